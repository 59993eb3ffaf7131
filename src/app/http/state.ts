/**
 * Per-flow HTTP/1.x state: transactions built from the two directions'
 * messages, responses matched to requests in order (pipelining), body
 * decoding (chunked, gzip, deflate), body limits for inspection, and the
 * files of bodies with their hashes for fileinfo events.
 */
import { createHash, type Hash } from 'node:crypto';
import { BodyDecoder, Coding, DecodeFlag } from '../common/decompress.js';
import { HTTP_EVENT_COUNT, HttpEvent } from './events.js';
import {
  BodyMode, DEFAULT_FIELD_LIMIT_BYTES, HttpMessageParser, isStatusLineStart, parseHeaderField, parseRequestLine, parseStatusLine,
  type HttpMessageSink,
} from './parser.js';
import { MultipartParser, multipartBoundary, type MultipartSink } from './multipart.js';
import { normalizeHostname, normalizeUri, parseUri, type ParsedUri } from './uri.js';
import type { FlowFrames } from '../frames.js';

const TO_SERVER = 0;
const TO_CLIENT = 1;

/**
 * Request body bytes (decoded) kept for inspection, as Suricata's stock
 * config. Later bytes are hashed into the file but not kept; the
 * transaction gets request_body_limit_reached once.
 * Config: app-layer.protocols.http.libhtp.default-config.request-body-limit.
 */
export const DEFAULT_REQUEST_BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Response body bytes (decoded) kept for inspection; as the request limit.
 * Config: app-layer.protocols.http.libhtp.default-config.response-body-limit.
 */
export const DEFAULT_RESPONSE_BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Decoded bytes one compressed body may produce: libhtp's compression
 * bomb limit, 1 MiB in Suricata's build. Past it decoding stops and the
 * transaction gets compression_bomb_limit_reached.
 * Config: app-layer.protocols.http.libhtp.default-config.compression-bomb-limit
 * (kapu's key; Suricata sets this limit in code).
 */
export const DEFAULT_DECOMPRESS_LIMIT_BYTES = 1024 * 1024;

/**
 * Request bytes kept in the stream before the raw inspection point, as
 * Suricata's request-body-minimal-inspect-size (32 KiB): that much of the
 * inspected stream stays available, for one as the payload of alerts on
 * later requests. At session close the rest is released.
 * Config: app-layer.protocols.http.libhtp.default-config.request-body-minimal-inspect-size.
 */
export const DEFAULT_REQUEST_MIN_INSPECT_BYTES = 32 * 1024;

/**
 * Response bytes kept before the raw inspection point, as Suricata's
 * response-body-minimal-inspect-size (40 KiB), for the same uses.
 * Config: app-layer.protocols.http.libhtp.default-config.response-body-minimal-inspect-size.
 */
export const DEFAULT_RESPONSE_MIN_INSPECT_BYTES = 40 * 1024;

/**
 * Compressed bytes of one body kept for decoding (see common/decompress.ts).
 * Past it the rest of the body is not decoded, and the transaction gets
 * compression_bomb_limit_reached. kapu's own bound.
 * Config: app-layer.protocols.http.libhtp.default-config.decompress-input-limit (kapu's key).
 */
export const DEFAULT_DECOMPRESS_INPUT_LIMIT_BYTES = 1024 * 1024;

/**
 * Content codings decoded in a row, as Suricata's
 * response-body-decompress-layer-limit (default 2). More codings raise
 * too_many_encoding_layers and the body is kept as sent.
 */
export const DEFAULT_DECOMPRESS_LAYER_LIMIT = 2;

/**
 * Transactions kept per flow, as Suricata's max-tx (default 512). When a
 * new request would pass it, the oldest transaction is dropped, and the
 * flow gets too_many_transactions.
 * Config: app-layer.protocols.http.libhtp.default-config.max-tx.
 */
export const DEFAULT_MAX_TRANSACTIONS = 512;

/**
 * Header fields kept per message, as libhtp's headers limit (1024).
 * Later fields raise request_too_many_headers or response_too_many_headers
 * once and are dropped.
 * Config: app-layer.protocols.http.libhtp.default-config.headers-limit.
 */
export const DEFAULT_MAX_HEADERS = 1024;

/**
 * Repeated header fields merged per message, libhtp's fixed limit. Later
 * repeats are dropped. The first repeat of a name raises
 * request_header_repetition or response_header_repetition, as in libhtp.
 */
export const HEADER_REPETITION_LIMIT = 64;

/**
 * Request bytes held while a CONNECT request waits for its response, as
 * libhtp waits. A 2xx response turns the connection into a tunnel and the
 * held bytes are dropped. Any other response replays them as the next
 * requests. Past this bound the held bytes are cut, and
 * HttpState.connectHoldDroppedBytes counts the rest. kapu's own bound.
 */
export const CONNECT_HOLD_LIMIT_BYTES = 64 * 1024;

/** Limits of one HTTP state; the defaults are Suricata's stock values. */
export interface HttpConfig {
  requestBodyLimit: number;
  responseBodyLimit: number;
  decompressLimit: number;
  decompressInputLimit: number;
  decompressLayerLimit: number;
  maxTransactions: number;
  maxHeaders: number;
  fieldLimit: number;
  requestMinInspect: number;
  responseMinInspect: number;
  /**
   * Hashes computed for each file (FileHash bits). Suricata computes none
   * unless an eve-log `files: force-hash` list or a loaded filemd5,
   * filesha1 or filesha256 rule requests them.
   */
  fileHashes: number;
}

/** Returns the default limits. */
export function defaultHttpConfig(): HttpConfig {
  return {
    requestBodyLimit: DEFAULT_REQUEST_BODY_LIMIT_BYTES,
    responseBodyLimit: DEFAULT_RESPONSE_BODY_LIMIT_BYTES,
    decompressLimit: DEFAULT_DECOMPRESS_LIMIT_BYTES,
    decompressInputLimit: DEFAULT_DECOMPRESS_INPUT_LIMIT_BYTES,
    decompressLayerLimit: DEFAULT_DECOMPRESS_LAYER_LIMIT,
    maxTransactions: DEFAULT_MAX_TRANSACTIONS,
    maxHeaders: DEFAULT_MAX_HEADERS,
    fieldLimit: DEFAULT_FIELD_LIMIT_BYTES,
    requestMinInspect: DEFAULT_REQUEST_MIN_INSPECT_BYTES,
    responseMinInspect: DEFAULT_RESPONSE_MIN_INSPECT_BYTES,
    fileHashes: 0,
  };
}

/**
 * The header fields of one message, duplicates merged: a repeated name
 * (case-insensitive) appends ", value" to the first field of that name,
 * which keeps its place, as libhtp's header table does. A repeated
 * Content-Length keeps its first value.
 */
export class HttpHeaderTable {
  /** Names as first sent. */
  readonly names: Uint8Array[] = [];
  readonly values: Uint8Array[] = [];
  /** Names in lower case (Latin-1 strings), for lookups. */
  readonly keys: string[] = [];
  /** How often each name was sent. */
  readonly counts: number[] = [];

  /** Adds a field; returns how often the name has now been sent. */
  add(name: Uint8Array, value: Uint8Array): number {
    const key = lowerLatin1(name);
    const index = this.keys.indexOf(key);
    if (index < 0) {
      this.names.push(name.slice());
      this.values.push(value.slice());
      this.keys.push(key);
      this.counts.push(1);
      return 1;
    }
    this.counts[index]++;
    if (key === 'content-length') return this.counts[index];
    const old = this.values[index];
    const merged = new Uint8Array(old.length + 2 + value.length);
    merged.set(old, 0);
    merged[old.length] = 0x2c;
    merged[old.length + 1] = 0x20;
    merged.set(value, old.length + 2);
    this.values[index] = merged;
    return this.counts[index];
  }

  /** Tells whether a header of that lower-case name was sent. */
  has(key: string): boolean {
    return this.keys.includes(key);
  }

  /** Returns the (merged) value of a header, by lower-case name, or null. */
  get(key: string): Uint8Array | null {
    const index = this.keys.indexOf(key);
    return index < 0 ? null : this.values[index];
  }

  get size(): number {
    return this.keys.length;
  }
}

const COMMA_SPACE = Uint8Array.of(0x2c, 0x20);

/** Lower-case Latin-1 text of `bytes` without NUL bytes and without surrounding whitespace. */
function looseKey(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 0) s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return s.replace(/^[ \t\r\n\x0b\x0c]+|[ \t\r\n\x0b\x0c]+$/g, '');
}

function lowerLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    s += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return s;
}

/** Returns bytes as a Latin-1 string (one character per byte). */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A growing byte buffer that stops at a limit. */
export class BoundedBytes {
  bytes: Uint8Array;
  length: number;
  readonly limit: number;
  /** True once bytes past the limit were dropped. */
  isTruncated: boolean;

  constructor(limit: number) {
    this.bytes = new Uint8Array(0);
    this.length = 0;
    this.limit = limit;
    this.isTruncated = false;
  }

  /** Appends what fits; returns false when some bytes were dropped. */
  append(src: Uint8Array, start: number, n: number): boolean {
    let take = n;
    if (this.length + take > this.limit) {
      take = this.limit - this.length;
      this.isTruncated = true;
    }
    if (take <= 0) return take === n;
    if (this.length + take > this.bytes.length) {
      const grown = new Uint8Array(Math.min(this.limit, Math.max(this.bytes.length * 2, this.length + take, 256)));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(src.subarray(start, start + take), this.length);
    this.length += take;
    return take === n;
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** File states, as EVE fileinfo `state` names them. */
export const FileState = {
  OPEN: 'OPEN',
  CLOSED: 'CLOSED',
  TRUNCATED: 'TRUNCATED',
} as const;

/** Hash algorithms that file tracking can compute, as bits of HttpConfig.fileHashes. */
export const FileHash = {
  MD5: 1,
  SHA1: 2,
  SHA256: 4,
} as const;

/** Every FileHash bit. */
export const ALL_FILE_HASHES = FileHash.MD5 | FileHash.SHA1 | FileHash.SHA256;

/** A file carried in a message body, for fileinfo events and file keywords. */
export class HttpFile {
  /** File name: from Content-Disposition `filename=`, else the normalised URI path. */
  name: Uint8Array;
  /** Direction of the body (0 request, 1 response). */
  readonly direction: number;
  /** Decoded bytes seen. */
  size: number;
  state: string;
  /** True once a stream gap cut bytes out of the file; it then closes as TRUNCATED, without hashes. */
  hasGaps: boolean;
  /**
   * The file's bytes kept for `file.data`: the message body store for a
   * whole-body file, the file's own store for a multipart part. Later
   * bytes are hashed and counted but not kept.
   */
  readonly data: BoundedBytes;
  /** Hex digests of the requested algorithms, set when the file is closed, and null before or when not requested. */
  md5: string | null;
  sha1: string | null;
  sha256: string | null;
  private md5Hash: Hash | null;
  private sha1Hash: Hash | null;
  private sha256Hash: Hash | null;

  /** Opens a file whose kept bytes go to `data`. `hashes` (FileHash bits) selects the digests to compute. */
  constructor(name: Uint8Array, direction: number, data: BoundedBytes, hashes: number) {
    this.name = name;
    this.direction = direction;
    this.size = 0;
    this.state = FileState.OPEN;
    this.hasGaps = false;
    this.data = data;
    this.md5 = null;
    this.sha1 = null;
    this.sha256 = null;
    this.md5Hash = (hashes & FileHash.MD5) !== 0 ? createHash('md5') : null;
    this.sha1Hash = (hashes & FileHash.SHA1) !== 0 ? createHash('sha1') : null;
    this.sha256Hash = (hashes & FileHash.SHA256) !== 0 ? createHash('sha256') : null;
  }

  /** Counts and hashes decoded file bytes. Each byte is hashed once, as it arrives. */
  update(bytes: Uint8Array): void {
    if (this.state !== FileState.OPEN || bytes.length === 0) return;
    this.size += bytes.length;
    this.md5Hash?.update(bytes);
    this.sha1Hash?.update(bytes);
    this.sha256Hash?.update(bytes);
  }

  /** Counts `length` missing bytes into the size, as Suricata does, and stops hashing. */
  addGap(length: number): void {
    if (this.state !== FileState.OPEN || length <= 0) return;
    this.size += length;
    this.hasGaps = true;
    this.md5Hash = null;
    this.sha1Hash = null;
    this.sha256Hash = null;
  }

  /**
   * Closes the file as CLOSED (whole body seen) or TRUNCATED; a file with
   * gaps is TRUNCATED. Only a CLOSED file gets its digests.
   */
  close(state: string): void {
    if (this.state !== FileState.OPEN) return;
    this.state = this.hasGaps ? FileState.TRUNCATED : state;
    if (this.state === FileState.CLOSED) {
      this.md5 = this.md5Hash?.digest('hex') ?? null;
      this.sha1 = this.sha1Hash?.digest('hex') ?? null;
      this.sha256 = this.sha256Hash?.digest('hex') ?? null;
    }
    this.md5Hash = null;
    this.sha1Hash = null;
    this.sha256Hash = null;
  }
}

/** Transaction progress per direction. */
export const Progress = {
  NONE: 0,
  LINE: 1,
  HEADERS: 2,
  BODY: 3,
  COMPLETE: 4,
} as const;

/** One request and its response. Byte fields are null until seen. */
export class HttpTransaction {
  readonly txId: number;
  requestProgress: number;
  responseProgress: number;

  requestLine: Uint8Array | null;
  method: Uint8Array | null;
  /** The request target as sent (`http.uri.raw`). */
  uriRaw: Uint8Array | null;
  /** The normalised URI (`http.uri`), or null without a path. */
  uri: Uint8Array | null;
  parsedUri: ParsedUri | null;
  requestProtocol: Uint8Array | null;
  /** True for a request line without protocol (HTTP/0.9 form). */
  isHttp09: boolean;
  requestHeaders: HttpHeaderTable;
  requestHeadersRaw: BoundedBytes;
  /** Normalised host (`http.host`): lower case, no port. */
  hostname: Uint8Array | null;
  /** Raw host (`http.host.raw`): the URI's host, else the Host header. */
  hostRaw: Uint8Array | null;
  requestBody: BoundedBytes;
  /** Decoded request body bytes seen, kept or not. */
  requestBodyLength: number;
  requestContentLength: number;

  responseLine: Uint8Array | null;
  responseProtocol: Uint8Array | null;
  statusText: Uint8Array | null;
  statusCode: number;
  statusMessage: Uint8Array | null;
  responseHeaders: HttpHeaderTable;
  responseHeadersRaw: BoundedBytes;
  responseBody: BoundedBytes;
  responseBodyLength: number;
  /** Response body bytes as framed (chunk framing removed, before decoding): EVE `length`. */
  responseBodyWireLength: number;
  /** True when the request framing gave no body (no Content-Length or chunked coding). */
  hasNoRequestBody: boolean;
  /** Interim (1xx) responses seen before the final one. */
  interimCount: number;

  files: HttpFile[];
  /** Event ids raised on this transaction, each once. */
  events: number[];
  /** Cached inspection buffers, by buffer name and direction. */
  bufferCache: Map<string, Uint8Array | null>;

  constructor(txId: number, config: HttpConfig) {
    this.txId = txId;
    this.requestProgress = Progress.NONE;
    this.responseProgress = Progress.NONE;
    this.requestLine = null;
    this.method = null;
    this.uriRaw = null;
    this.uri = null;
    this.parsedUri = null;
    this.requestProtocol = null;
    this.isHttp09 = false;

    this.requestHeaders = new HttpHeaderTable();
    this.requestHeadersRaw = new BoundedBytes(config.fieldLimit * 4);
    this.hostname = null;
    this.hostRaw = null;
    this.requestBody = new BoundedBytes(config.requestBodyLimit);
    this.requestBodyLength = 0;
    this.requestContentLength = -1;
    this.hasNoRequestBody = false;

    this.responseLine = null;
    this.responseProtocol = null;
    this.statusText = null;
    this.statusCode = -1;
    this.statusMessage = null;
    this.responseHeaders = new HttpHeaderTable();
    this.responseHeadersRaw = new BoundedBytes(config.fieldLimit * 4);
    this.responseBody = new BoundedBytes(config.responseBodyLimit);
    this.responseBodyLength = 0;
    this.responseBodyWireLength = 0;
    this.interimCount = 0;

    this.files = [];
    this.events = [];
    this.bufferCache = new Map();
  }

  get isRequestComplete(): boolean {
    return this.requestProgress === Progress.COMPLETE;
  }

  get isResponseComplete(): boolean {
    return this.responseProgress === Progress.COMPLETE;
  }

  /** Records an event once per transaction. */
  addEvent(id: number): void {
    if (!this.events.includes(id)) this.events.push(id);
  }

  hasEvent(id: number): boolean {
    return this.events.includes(id);
  }
}

/** Turns the file parts of one multipart request body into the transaction's files. */
class MultipartFiles implements MultipartSink {
  private readonly state: HttpState;
  private readonly tx: HttpTransaction;
  private file: HttpFile | null;

  constructor(state: HttpState, tx: HttpTransaction) {
    this.state = state;
    this.tx = tx;
    this.file = null;
  }

  onFileStart(name: Uint8Array): void {
    const config = this.state.config;
    this.file = new HttpFile(name, TO_SERVER, new BoundedBytes(config.requestBodyLimit), config.fileHashes);
    this.tx.files.push(this.file);
  }

  onFileData(bytes: Uint8Array): void {
    const file = this.file;
    if (file === null) return;
    file.update(bytes);
    // A part keeps only bytes that the body store kept as well, so a scan
    // of the body finds every pattern that a part's kept bytes contain.
    if (!this.tx.requestBody.isTruncated) file.data.append(bytes, 0, bytes.length);
  }

  onFileEnd(isComplete: boolean): void {
    this.file?.close(isComplete ? FileState.CLOSED : FileState.TRUNCATED);
    this.file = null;
  }

  onEvent(event: number): void {
    this.state.raiseEvent(this.tx, event);
  }
}

/** Body decoding state of the message being read in one direction. */
class BodyContext {
  tx: HttpTransaction | null = null;
  decoders: BodyDecoder[] = [];
  file: HttpFile | null = null;
  /** True when body data opens a file (on the first decoded byte). */
  wantsFile = false;
  /** The multipart/form-data splitter of a request body, or null. */
  multipart: MultipartParser | null = null;
  hasLimitEvent = false;
  headerCount = 0;
  hasTooManyHeaders = false;
  /** Repeated fields merged so far in this message. */
  repetitions = 0;
  contentLengthCount = 0;
  contentLength = -1;
  isChunked = false;
  hasTransferEncoding = false;
  /** The response Content-Encoding values, joined by ", " (names matched as libhtp does). */
  responseContentEncoding: Uint8Array | null = null;

  reset(tx: HttpTransaction | null): void {
    this.tx = tx;
    this.decoders = [];
    this.file = null;
    this.wantsFile = false;
    this.multipart = null;
    this.hasLimitEvent = false;
    this.headerCount = 0;
    this.hasTooManyHeaders = false;
    this.repetitions = 0;
    this.contentLengthCount = 0;
    this.contentLength = -1;
    this.isChunked = false;
    this.hasTransferEncoding = false;
    this.responseContentEncoding = null;
  }
}

/** Per-flow HTTP/1.x state, fed with the in-order bytes of each direction. */
export class HttpState implements HttpMessageSink {
  readonly config: HttpConfig;
  /** Transactions in creation order; old ones leave through removeCompleted. */
  readonly transactions: HttpTransaction[];
  /** Events per id over the flow's life (counters for stats). */
  readonly eventCounts: Uint32Array;
  /** Events that belong to no transaction (too_many_transactions). */
  readonly flowEvents: number[];
  /** Gaps seen per direction; a body cut by a gap truncates its file. */
  readonly gapCount: Uint32Array;
  /** Requests (index 0) and final responses (index 1) completed, for the raw stream inspection request. */
  readonly completedMessages: Uint32Array;
  /** Server port of the flow for the port-mismatch check, or -1. */
  serverPort: number;
  private nextTxId: number;
  /** Index into transactions of the transaction that the next response belongs to. */
  private responseIndex: number;
  /** Frame hook (app/frames.ts): set by the app layer when the run records frames. */
  frames: FlowFrames | null;
  /** Stream offset of the first byte of `heldRequest`, for frames. */
  private heldRequestOffset: number;
  private readonly parsers: HttpMessageParser[];
  private readonly bodies: BodyContext[];
  private isTunnel: boolean;
  /** The CONNECT transaction waiting for its response, or null. */
  private connectTx: HttpTransaction | null;
  private heldRequest: BoundedBytes | null;
  /** Request bytes dropped past CONNECT_HOLD_LIMIT_BYTES while a CONNECT waited. */
  connectHoldDroppedBytes: number;

  constructor(config: HttpConfig = defaultHttpConfig(), serverPort = -1) {
    this.config = config;
    this.transactions = [];
    this.eventCounts = new Uint32Array(HTTP_EVENT_COUNT);
    this.flowEvents = [];
    this.gapCount = new Uint32Array(2);
    this.completedMessages = new Uint32Array(2);
    this.serverPort = serverPort;
    this.nextTxId = 0;
    this.responseIndex = 0;
    this.parsers = [new HttpMessageParser(TO_SERVER, this, config.fieldLimit), new HttpMessageParser(TO_CLIENT, this, config.fieldLimit)];
    this.bodies = [new BodyContext(), new BodyContext()];
    this.isTunnel = false;
    this.connectTx = null;
    this.heldRequest = null;
    this.connectHoldDroppedBytes = 0;
    this.frames = null;
    this.heldRequestOffset = 0;
  }

  /** Feeds in-order bytes of one direction (Direction.TO_SERVER = 0, TO_CLIENT = 1). */
  handleData(direction: number, bytes: Uint8Array, start: number, length: number, _timestampUs: number): void {
    if (this.isTunnel || length <= 0) return;
    if (direction === TO_SERVER && this.heldRequest !== null) {
      this.holdRequest(bytes, start, length);
      return;
    }
    if (this.frames !== null) this.parsers[direction].indexBase = this.frames.chunkBase[direction] as number;
    const used = this.parsers[direction].parse(bytes, start, length);
    if (used < length && direction === TO_SERVER && this.heldRequest !== null) this.holdRequest(bytes, start + used, length - used);
  }

  private holdRequest(bytes: Uint8Array, start: number, length: number): void {
    const held = this.heldRequest;
    if (held === null) return;
    const before = held.length;
    // Frame hook: the stream offset of the first held byte, for when the bytes are parsed.
    if (before === 0 && this.frames !== null) this.heldRequestOffset = (this.frames.chunkBase[TO_SERVER] as number) + start;
    if (!held.append(bytes, start, length)) this.connectHoldDroppedBytes += length - (held.length - before);
  }

  /**
   * Records missing bytes in one direction. The file of a body in
   * progress is truncated; parsing goes on with the next bytes.
   */
  handleGap(direction: number, lengthBytes: number): void {
    this.gapCount[direction]++;
    // A gap inside a body with a known end (or one read until close) is
    // skipped as body, and parsing goes on after it, as libhtp does.
    if (this.parsers[direction].skipGap(lengthBytes) > 0) return;
    const body = this.bodies[direction];
    if (body.file !== null) body.file.close(FileState.TRUNCATED);
    if (body.multipart !== null) {
      body.multipart.finish(false);
      body.multipart = null;
    }
  }

  /** Ends one direction: a body read until close completes, other open files are truncated. */
  handleEnd(direction: number): void {
    const parser = this.parsers[direction];
    if (this.frames !== null) parser.position = this.frames.dataEnd(direction);
    parser.settleHeld();
    if (parser.isBodyUntilClose) {
      parser.finish();
      return;
    }
    parser.finish();
    const body = this.bodies[direction];
    // A compressed body cut short by the close: what inflates so far is
    // still body, as libhtp finalizes the response on close.
    if (body.tx !== null && body.decoders.length > 0) this.decodeBody(body.tx, body, direction, EMPTY, true);
    if (body.file !== null) body.file.close(FileState.TRUNCATED);
    if (body.multipart !== null) {
      body.multipart.finish(false);
      body.multipart = null;
    }
  }

  /**
   * Drops completed transactions from the front, keeping those after
   * `keepFromTxId`; returns how many were dropped.
   */
  removeCompleted(keepFromTxId: number): number {
    let n = 0;
    while (n < this.transactions.length && n < this.responseIndex) {
      const tx = this.transactions[n];
      if (tx.txId >= keepFromTxId || !tx.isRequestComplete || !tx.isResponseComplete) break;
      n++;
    }
    if (n > 0) {
      this.transactions.splice(0, n);
      this.responseIndex -= n;
    }
    return n;
  }

  // HttpMessageSink.

  onStartLine(direction: number, line: Uint8Array, isBareLf: boolean): boolean {
    if (direction === TO_CLIENT) {
      // As libhtp, a response line of whitespace alone is ignored.
      if (isBlank(line)) return false;
      if (!this.startResponse(line)) return false;
      this.openMessageFrames(direction);
      return true;
    }
    if (this.takeUnexpectedBody(line, isBareLf)) return false;
    this.startRequest(line);
    this.openMessageFrames(direction);
    return true;
  }

  /** Frame hook: opens the frames of the message whose start line was just read. */
  private openMessageFrames(direction: number): void {
    const tx = this.bodies[direction].tx;
    if (this.frames === null || this.frames.http === null || tx === null) return;
    const parser = this.parsers[direction];
    this.frames.http.startMessage(direction, tx.txId, parser.messageStart, parser.position);
  }

  /**
   * Takes a line after a request without a body as more of that request,
   * when its first word is no known method: as libhtp, the line becomes
   * request body and raises request_body_unexpected.
   */
  private takeUnexpectedBody(line: Uint8Array, isBareLf: boolean): boolean {
    const previous = this.transactions.length === 0 ? null : this.transactions[this.transactions.length - 1];
    if (previous === null || !previous.isRequestComplete || !previous.hasNoRequestBody) return false;
    if (isKnownMethod(parseRequestLine(line).method)) return false;
    const body = this.bodies[TO_SERVER];
    body.reset(previous);
    this.raise(previous, HttpEvent.REQUEST_BODY_UNEXPECTED);
    this.deliverBody(previous, body, TO_SERVER, line);
    this.deliverBody(previous, body, TO_SERVER, isBareLf ? LF_ONLY : CRLF);
    body.reset(null);
    return true;
  }

  onRawHeaderLine(direction: number, line: Uint8Array, start: number, length: number): void {
    const tx = this.bodies[direction].tx;
    if (tx === null) return;
    (direction === TO_SERVER ? tx.requestHeadersRaw : tx.responseHeadersRaw).append(line, start, length);
  }

  onHeaderField(direction: number, line: Uint8Array, _isFolded: boolean, isTrailer: boolean): void {
    const body = this.bodies[direction];
    const tx = body.tx;
    if (tx === null) return;
    const field = parseHeaderField(line);
    const isRequest = direction === TO_SERVER;
    if (!field.hasColon) this.raise(tx, isRequest ? HttpEvent.REQUEST_FIELD_MISSING_COLON : HttpEvent.RESPONSE_FIELD_MISSING_COLON);
    else if (field.isNameInvalid) this.raise(tx, isRequest ? HttpEvent.REQUEST_HEADER_INVALID : HttpEvent.RESPONSE_HEADER_INVALID);
    body.headerCount++;
    if (body.headerCount > this.config.maxHeaders) {
      if (!body.hasTooManyHeaders) {
        body.hasTooManyHeaders = true;
        this.raise(tx, isRequest ? HttpEvent.REQUEST_TOO_MANY_HEADERS : HttpEvent.RESPONSE_TOO_MANY_HEADERS);
      }
      return;
    }
    const table = isRequest ? tx.requestHeaders : tx.responseHeaders;
    if (table.has(lowerLatin1(field.name))) {
      if (body.repetitions >= HEADER_REPETITION_LIMIT) return;
      body.repetitions++;
      this.raise(tx, isRequest ? HttpEvent.REQUEST_HEADER_REPETITION : HttpEvent.RESPONSE_HEADER_REPETITION);
    }
    table.add(field.name, field.value);
    if (isTrailer) return;
    this.noteFramingHeader(tx, body, field.name, field.value, isRequest);
  }

  onHeadersEnd(direction: number, parser: HttpMessageParser): number {
    const body = this.bodies[direction];
    const tx = body.tx;
    if (tx === null) return BodyMode.NONE;
    const mode = direction === TO_SERVER ? this.requestHeadersEnd(tx, body, parser) : this.responseHeadersEnd(tx, body, parser);
    if (this.frames !== null && this.frames.http !== null) {
      let bodyLength = -1;
      if (mode === BodyMode.LENGTH) bodyLength = parser.bodyLength;
      else if (mode === BodyMode.NONE || mode === BodyMode.TUNNEL) bodyLength = 0;
      this.frames.http.endHeaders(direction, parser.position, bodyLength);
    }
    return mode;
  }

  onBodyData(direction: number, bytes: Uint8Array, start: number, length: number): void {
    const body = this.bodies[direction];
    const tx = body.tx;
    if (tx === null) return;
    if (direction === TO_SERVER) {
      tx.requestProgress = Progress.BODY;
    } else {
      tx.responseProgress = Progress.BODY;
      tx.responseBodyWireLength += length;
    }
    if (body.decoders.length === 0) {
      this.deliverBody(tx, body, direction, bytes.subarray(start, start + length));
      return;
    }
    this.decodeBody(tx, body, direction, bytes.subarray(start, start + length), false);
  }

  onBodyGap(direction: number, length: number): void {
    const body = this.bodies[direction];
    const tx = body.tx;
    if (tx === null || length <= 0) return;
    if (direction === TO_CLIENT) tx.responseBodyWireLength += length;
    if (body.file === null && body.wantsFile) body.file = this.openFile(tx, direction);
    if (body.file !== null) body.file.addGap(length);
    if (body.multipart !== null) {
      // The part boundaries after a gap cannot be trusted.
      body.multipart.finish(false);
      body.multipart = null;
    }
  }

  onMessageEnd(direction: number): void {
    const body = this.bodies[direction];
    const tx = body.tx;
    if (tx === null) return;
    if (this.frames !== null && this.frames.http !== null) this.frames.http.endMessage(direction, this.parsers[direction].position);
    if (body.decoders.length > 0) this.decodeBody(tx, body, direction, EMPTY, true);
    if (body.multipart !== null) body.multipart.finish(true);
    if (body.file !== null) body.file.close(body.file.state === FileState.OPEN ? FileState.CLOSED : body.file.state);
    if (direction === TO_SERVER) {
      tx.requestProgress = Progress.COMPLETE;
      this.completedMessages[TO_SERVER]++;
    } else {
      // An interim response (1xx other than 101) leaves the transaction waiting for the final one.
      if (tx.statusCode >= 100 && tx.statusCode < 200 && tx.statusCode !== 101) {
        tx.responseProgress = Progress.NONE;
        body.reset(null);
        return;
      }
      tx.responseProgress = Progress.COMPLETE;
      this.completedMessages[TO_CLIENT]++;
      this.responseIndex++;
    }
    body.reset(null);
  }

  onEvent(direction: number, event: number): void {
    const tx = this.bodies[direction].tx ?? (direction === TO_CLIENT ? this.transactions[this.responseIndex] ?? null : null);
    if (tx !== null) this.raise(tx, event);
    else this.raiseFlow(event);
  }

  // Requests.

  private startRequest(line: Uint8Array): void {
    const tx = this.newTransaction();
    this.bodies[TO_SERVER].reset(tx);
    tx.requestProgress = Progress.HEADERS;
    tx.requestLine = line;

    const parts = parseRequestLine(line);
    tx.method = parts.method;
    tx.uriRaw = parts.uri;
    tx.requestProtocol = parts.protocol;
    if (parts.hasLeadingWhitespace) this.raise(tx, HttpEvent.REQUEST_LINE_LEADING_WHITESPACE);
    if (parts.hasMethodDelimiterNonSpace) this.raise(tx, HttpEvent.METHOD_DELIM_NON_COMPLIANT);
    if (parts.hasUriDelimiterNonSpace) this.raise(tx, HttpEvent.URI_DELIM_NON_COMPLIANT);
    if (parts.protocol === null) {
      tx.isHttp09 = true;
      this.raise(tx, HttpEvent.REQUEST_LINE_MISSING_PROTOCOL);
    } else if (!isKnownProtocol(parts.protocol)) {
      this.raise(tx, HttpEvent.REQUEST_LINE_INVALID);
    }
    if (parts.uri === null) return;

    const isConnect = equalsAscii(parts.method, 'CONNECT');
    const parsed = parseUri(parts.uri, isConnect);
    tx.parsedUri = parsed;
    if (parsed.path !== null || parsed.query !== null || parsed.fragment !== null) {
      // NOTE: double_encoded_uri is raised by Suricata only with
      // double-decode-path or double-decode-query on (default off), which
      // kapu does not offer, so the event never fires here.
      tx.uri = normalizeUri(parsed).uri;
    }
    if (parsed.hostname !== null) {
      tx.hostRaw = parsed.hostname;
      tx.hostname = normalizeHostname(parsed.hostname);
      if (parsed.port !== null && parsePort(parsed.port) < 0) this.raise(tx, HttpEvent.INVALID_AUTHORITY_PORT);
    }
  }

  private newTransaction(): HttpTransaction {
    if (this.transactions.length >= this.config.maxTransactions) {
      this.raiseFlow(HttpEvent.TOO_MANY_TRANSACTIONS);
      this.transactions.shift();
      if (this.responseIndex > 0) this.responseIndex--;
    }
    const tx = new HttpTransaction(this.nextTxId++, this.config);
    this.transactions.push(tx);
    return tx;
  }

  private requestHeadersEnd(tx: HttpTransaction, body: BodyContext, parser: HttpMessageParser): number {
    this.checkRequestHost(tx);
    const authorization = tx.requestHeaders.get('authorization');
    if (authorization !== null) {
      const scheme = latin1(authorization).trimStart().split(/[ \t]/, 1)[0].toLowerCase();
      if (!KNOWN_AUTH_SCHEMES.has(scheme)) this.raise(tx, HttpEvent.REQUEST_AUTH_UNRECOGNIZED);
    }

    this.setupDecoders(tx, body, tx.requestHeaders, TO_SERVER);
    body.wantsFile = this.isRequestBodyFile(tx);
    const contentType = tx.requestHeaders.get('content-type');
    const boundary = contentType === null ? null : multipartBoundary(latin1(contentType));
    if (boundary !== null) body.multipart = new MultipartParser(boundary, new MultipartFiles(this, tx));

    if (equalsAscii(tx.method ?? EMPTY, 'CONNECT')) {
      this.connectTx = tx;
      this.heldRequest = new BoundedBytes(CONNECT_HOLD_LIMIT_BYTES);
      return BodyMode.TUNNEL;
    }

    // RFC 9112 section 6.3: chunked wins over Content-Length; a request
    // without either has no body.
    if (body.isChunked) return BodyMode.CHUNKED;
    if (body.contentLength >= 0) {
      tx.requestContentLength = body.contentLength;
      parser.bodyLength = body.contentLength;
      return BodyMode.LENGTH;
    }
    tx.hasNoRequestBody = true;
    return BodyMode.NONE;
  }

  /**
   * Sets the host from the Host header when the URI has none, and checks
   * the header: missing in HTTP/1.1, a bad port, or a host that differs
   * from the URI's.
   */
  private checkRequestHost(tx: HttpTransaction): void {
    const host = tx.requestHeaders.get('host');
    if (host === null) {
      const isHttp11 = tx.requestProtocol !== null && equalsAscii(tx.requestProtocol, 'HTTP/1.1');
      if (isHttp11) this.raise(tx, HttpEvent.MISSING_HOST_HEADER);
      return;
    }
    const split = splitHostHeader(host);
    if (split.port !== null && parsePort(split.port) < 0) {
      this.raise(tx, HttpEvent.INVALID_SERVER_PORT_IN_REQUEST);
    } else if (split.port !== null && this.serverPort >= 0 && parsePort(split.port) !== this.serverPort) {
      this.raise(tx, HttpEvent.REQUEST_SERVER_PORT_TCP_PORT_MISMATCH);
    }
    if (tx.hostRaw === null) {
      tx.hostRaw = host;
      tx.hostname = normalizeHostname(split.host);
    } else if (!equalBytes(normalizeHostname(split.host), tx.hostname)) {
      this.raise(tx, HttpEvent.HOST_HEADER_AMBIGUOUS);
    }
  }

  // Responses.

  /** Starts a response; returns false when the line is no status line and the direction became body. */
  private startResponse(line: Uint8Array): boolean {
    let tx = this.transactions[this.responseIndex] ?? null;
    if (tx === null || tx.requestProgress === Progress.NONE) {
      tx = this.newTransaction();
      this.raise(tx, HttpEvent.UNABLE_TO_MATCH_RESPONSE_TO_REQUEST);
      tx.requestProgress = Progress.COMPLETE;
    }
    this.bodies[TO_CLIENT].reset(tx);

    const parts = parseStatusLine(line);
    if (!isStatusLineStart(line)) {
      // No status line: an HTTP/0.9 response, or not HTTP. The whole
      // direction is body.
      if (!tx.isHttp09) this.raise(tx, HttpEvent.RESPONSE_INVALID_PROTOCOL);
      tx.responseProgress = Progress.BODY;
      tx.statusCode = -1;
      const body = this.bodies[TO_CLIENT];
      body.wantsFile = true;
      this.deliverBody(tx, body, TO_CLIENT, line);
      this.deliverBody(tx, body, TO_CLIENT, CRLF);
      this.parsers[TO_CLIENT].startBodyUntilClose();
      return false;
    }

    if (tx.statusCode >= 100 && tx.statusCode < 200) {
      tx.interimCount++;
      if (tx.statusCode === 100 && parts.code === 100) this.raise(tx, HttpEvent.CONTINUE_ALREADY_SEEN);
    }
    tx.responseProgress = Progress.HEADERS;
    tx.responseLine = line;
    tx.responseProtocol = parts.protocol;
    tx.statusText = parts.statusText;
    tx.statusCode = parts.code;
    tx.statusMessage = parts.message;
    tx.responseHeaders = new HttpHeaderTable();
    tx.responseHeadersRaw = new BoundedBytes(this.config.fieldLimit * 4);
    if (!isKnownProtocol(parts.protocol)) this.raise(tx, HttpEvent.RESPONSE_INVALID_PROTOCOL);
    if (parts.code < 0) this.raise(tx, HttpEvent.RESPONSE_INVALID_STATUS);
    return true;
  }

  private responseHeadersEnd(tx: HttpTransaction, body: BodyContext, parser: HttpMessageParser): number {
    const code = tx.statusCode;
    // As libhtp, a 204 or 304 response (RFC 9112 section 6.3: no body)
    // still has one when it sends Content-Length or Transfer-Encoding,
    // since browsers read it, and a 101 is a tunnel only without them.
    // Other 1xx responses are interim: what follows is the next response.
    const hasFraming = body.hasTransferEncoding || body.contentLengthCount > 0;
    if (code === 101 && !hasFraming) {
      this.isTunnel = true;
      return BodyMode.TUNNEL;
    }
    if (code >= 100 && code < 200 && code !== 101) return BodyMode.INTERIM;
    if ((code === 204 || code === 304) && !hasFraming) return BodyMode.NONE;
    if (tx.method !== null && equalsAscii(tx.method, 'HEAD')) return BodyMode.NONE;
    if (tx === this.connectTx && code >= 200) {
      const held = this.heldRequest;
      this.connectTx = null;
      this.heldRequest = null;
      if (code < 300) {
        this.isTunnel = true;
        return BodyMode.TUNNEL;
      }
      // The proxy refused the tunnel: what the client sent meanwhile are requests.
      this.parsers[TO_SERVER].resume();
      if (held !== null && held.length > 0) {
        this.parsers[TO_SERVER].indexBase = this.heldRequestOffset;
        this.parsers[TO_SERVER].parse(held.bytes, 0, held.length);
      }
    }
    this.setupDecoders(tx, body, tx.responseHeaders, TO_CLIENT);
    body.wantsFile = true;
    if (body.isChunked) {
      const proto = tx.responseProtocol;
      if (proto !== null && (equalsAscii(proto, 'HTTP/1.0') || equalsAscii(proto, 'HTTP/0.9'))) {
        this.raise(tx, HttpEvent.RESPONSE_CHUNKED_OLD_PROTO);
      }
      return BodyMode.CHUNKED;
    }
    if (body.contentLength >= 0) {
      parser.bodyLength = body.contentLength;
      return BodyMode.LENGTH;
    }
    return BodyMode.CLOSE;
  }

  // Headers that frame the body.

  private noteFramingHeader(tx: HttpTransaction, body: BodyContext, name: Uint8Array, value: Uint8Array, isRequest: boolean): void {
    // As libhtp, a response framing name matches with NUL bytes and
    // surrounding whitespace ignored ("Transfer\0-Encoding").
    // Names shorter than "content-length" cannot match, so most fields
    // build no key.
    const key = isRequest || name.length < 14 ? null : looseKey(name);
    if (key === 'content-encoding') {
      body.responseContentEncoding = body.responseContentEncoding === null ? value.slice() : concat(concat(body.responseContentEncoding, COMMA_SPACE), value);
      return;
    }
    if (isRequest ? equalsAsciiNocase(name, 'content-length') : key === 'content-length') {
      body.contentLengthCount++;
      const n = parseContentLength(value);
      if (body.contentLengthCount > 1) {
        // As libhtp: the first value frames the body, and only a repeat
        // that differs or does not parse is an event.
        if (n < 0 || n !== body.contentLength) {
          this.raise(tx, isRequest ? HttpEvent.DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST : HttpEvent.DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE);
        }
        return;
      }
      if (n < 0) {
        this.raise(tx, isRequest ? HttpEvent.INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST : HttpEvent.INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE);
        return;
      }
      body.contentLength = n;
      return;
    }
    if (isRequest ? equalsAsciiNocase(name, 'transfer-encoding') : key === 'transfer-encoding') {
      body.hasTransferEncoding = true;
      const text = isRequest ? latin1(value).toLowerCase() : looseKey(value);
      if (!isRequest) {
        // As libhtp, a response is chunked when the value contains
        // "chunked" anywhere ("xchunked", "chunked;", "gzip x chunked").
        if (text.includes('chunked')) {
          body.isChunked = true;
          if (text !== 'chunked') this.raise(tx, HttpEvent.RESPONSE_ABNORMAL_TRANSFER_ENCODING);
        } else {
          this.raise(tx, HttpEvent.INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE);
        }
        return;
      }
      // RFC 9112 section 6.1: chunked must be the last coding.
      const codings = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      if (codings.length > 0 && codings[codings.length - 1] === 'chunked') {
        body.isChunked = true;
        if (codings.length > 1 && !isRequest) this.raise(tx, HttpEvent.RESPONSE_ABNORMAL_TRANSFER_ENCODING);
      } else {
        this.raise(tx, isRequest ? HttpEvent.INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST : HttpEvent.INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE);
      }
    }
  }

  /** Builds the decoder chain from Content-Encoding, innermost coding last. */
  private setupDecoders(tx: HttpTransaction, body: BodyContext, headers: HttpHeaderTable, direction: number): void {
    if (direction === TO_CLIENT) {
      this.setupResponseDecoders(tx, body);
      return;
    }
    const value = headers.get('content-encoding');
    if (value === null) return;
    const codings = latin1(value).toLowerCase().split(',').map((s) => s.trim()).filter((s) => s.length > 0 && s !== 'identity');
    const chain: BodyDecoder[] = [];
    for (let i = codings.length - 1; i >= 0; i--) {
      const name = codings[i];
      let coding = 0;
      if (name === 'gzip' || name === 'x-gzip') coding = Coding.GZIP;
      else if (name === 'deflate') coding = Coding.DEFLATE;
      else {
        this.raise(tx, HttpEvent.ABNORMAL_CE_HEADER);
        return;
      }
      if (chain.length >= this.config.decompressLayerLimit) {
        this.raise(tx, HttpEvent.TOO_MANY_ENCODING_LAYERS);
        return;
      }
      chain.push(new BodyDecoder(coding, this.config.decompressLimit, this.config.decompressInputLimit));
    }
    body.decoders = chain;
  }

  /**
   * Builds the response decoder chain from Content-Encoding as libhtp
   * does. A value that is one known coding, NUL bytes ignored, gives one
   * layer. Otherwise the value splits at commas and spaces, and each part
   * containing "gzip" or "deflate" adds a layer (other parts are an
   * abnormal_ce_header event) up to the layer limit. The decoders find
   * the real format themselves, so the order of the layers does not
   * matter for valid data.
   */
  private setupResponseDecoders(tx: HttpTransaction, body: BodyContext): void {
    const value = body.responseContentEncoding;
    if (value === null) return;
    const whole = looseKey(value);
    if (whole === 'gzip' || whole === 'x-gzip') {
      body.decoders = [new BodyDecoder(Coding.GZIP, this.config.decompressLimit, this.config.decompressInputLimit)];
      return;
    }
    if (whole === 'deflate' || whole === 'x-deflate') {
      body.decoders = [new BodyDecoder(Coding.DEFLATE, this.config.decompressLimit, this.config.decompressInputLimit)];
      return;
    }
    if (whole === 'lzma') {
      body.decoders = [new BodyDecoder(Coding.LZMA, this.config.decompressLimit, this.config.decompressInputLimit)];
      return;
    }
    if (whole === 'inflate' || whole === 'none' || whole === 'identity' || whole === '') return;
    const chain: BodyDecoder[] = [];
    let layers = 0;
    for (const part of latin1(value).toLowerCase().split(/[, ]/)) {
      if (part.length === 0) continue;
      layers++;
      if (layers > this.config.decompressLayerLimit) {
        this.raise(tx, HttpEvent.TOO_MANY_ENCODING_LAYERS);
        break;
      }
      let coding = 0;
      if (part.includes('gzip')) {
        coding = Coding.GZIP;
        if (part !== 'gzip' && part !== 'x-gzip') this.raise(tx, HttpEvent.ABNORMAL_CE_HEADER);
      } else if (part.includes('deflate')) {
        coding = Coding.DEFLATE;
        if (part !== 'deflate' && part !== 'x-deflate') this.raise(tx, HttpEvent.ABNORMAL_CE_HEADER);
      } else if (part === 'lzma') {
        coding = Coding.LZMA;
      } else if (part !== 'inflate' && part !== 'none' && part !== 'identity') {
        this.raise(tx, HttpEvent.ABNORMAL_CE_HEADER);
      }
      if (coding !== 0) chain.unshift(new BodyDecoder(coding, this.config.decompressLimit, this.config.decompressInputLimit));
    }
    body.decoders = chain;
  }

  private decodeBody(tx: HttpTransaction, body: BodyContext, direction: number, data: Uint8Array, isEnd: boolean): void {
    let chunk = data;
    for (let i = 0; i < body.decoders.length; i++) {
      const decoder = body.decoders[i];
      const before = decoder.flags;
      const pushed = chunk.length > 0 ? decoder.push(chunk, 0, chunk.length) : EMPTY;
      if (isEnd) {
        const rest = decoder.finish();
        chunk = pushed.length === 0 ? rest : concat(pushed, rest);
      } else {
        chunk = pushed;
      }
      const raised = decoder.flags & ~before;
      if ((raised & DecodeFlag.FAILED) !== 0) this.raise(tx, HttpEvent.GZIP_DECOMPRESSION_FAILED);
      // The input bound is kapu's own; it shares the decompression-limit event.
      if ((raised & (DecodeFlag.OUTPUT_LIMIT | DecodeFlag.INPUT_LIMIT)) !== 0) this.raise(tx, HttpEvent.COMPRESSION_BOMB_LIMIT_REACHED);
    }
    if (chunk.length > 0) this.deliverBody(tx, body, direction, chunk);
  }

  private deliverBody(tx: HttpTransaction, body: BodyContext, direction: number, decoded: Uint8Array): void {
    if (decoded.length === 0) return;
    const isRequest = direction === TO_SERVER;
    const store = isRequest ? tx.requestBody : tx.responseBody;
    if (isRequest) tx.requestBodyLength += decoded.length;
    else tx.responseBodyLength += decoded.length;
    if (!store.append(decoded, 0, decoded.length) && !body.hasLimitEvent) {
      body.hasLimitEvent = true;
      this.raise(tx, isRequest ? HttpEvent.REQUEST_BODY_LIMIT_REACHED : HttpEvent.RESPONSE_BODY_LIMIT_REACHED);
    }
    if (body.file === null && body.wantsFile) body.file = this.openFile(tx, direction);
    if (body.file !== null) body.file.update(decoded);
    if (body.multipart !== null) body.multipart.push(decoded);
  }

  /**
   * Tells whether a request body is a file: the body of a POST or PUT, as
   * Suricata tracks it, except multipart bodies.
   */
  private isRequestBodyFile(tx: HttpTransaction): boolean {
    const method = tx.method ?? EMPTY;
    if (!equalsAscii(method, 'POST') && !equalsAscii(method, 'PUT')) return false;
    const contentType = tx.requestHeaders.get('content-type');
    // Multipart bodies give one file per part instead (multipart.ts).
    return contentType === null || !latin1(contentType).toLowerCase().startsWith('multipart/');
  }

  private openFile(tx: HttpTransaction, direction: number): HttpFile {
    const headers = direction === TO_SERVER ? tx.requestHeaders : tx.responseHeaders;
    let name: Uint8Array | null = null;
    const disposition = headers.get('content-disposition');
    if (disposition !== null) name = dispositionFilename(disposition);
    if (name === null) name = tx.parsedUri?.path !== null && tx.parsedUri?.path !== undefined ? normalizedPath(tx) : EMPTY;
    // The file is the whole body, so the body store contains its kept bytes.
    const store = direction === TO_SERVER ? tx.requestBody : tx.responseBody;
    const file = new HttpFile(name, direction, store, this.config.fileHashes);
    tx.files.push(file);
    return file;
  }

  /** Records an event on a transaction, for helpers such as the multipart splitter. */
  raiseEvent(tx: HttpTransaction, event: number): void {
    this.raise(tx, event);
  }

  private raise(tx: HttpTransaction, event: number): void {
    if (!tx.hasEvent(event)) this.eventCounts[event]++;
    tx.addEvent(event);
  }

  private raiseFlow(event: number): void {
    this.eventCounts[event]++;
    if (!this.flowEvents.includes(event)) this.flowEvents.push(event);
  }
}

const EMPTY = new Uint8Array(0);
const CRLF = Uint8Array.of(0x0d, 0x0a);
const LF_ONLY = Uint8Array.of(0x0a);

/** Methods libhtp recognises (RFC 9110, WebDAV and DeltaV). Others count as unknown. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL',
  'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'VERSION-CONTROL', 'CHECKOUT', 'UNCHECKOUT', 'CHECKIN', 'UPDATE', 'LABEL',
  'REPORT', 'MKWORKSPACE', 'MKACTIVITY', 'BASELINE-CONTROL', 'MERGE',
]);

function isKnownMethod(method: Uint8Array): boolean {
  return method.length <= 16 && KNOWN_METHODS.has(latin1(method));
}

/** Authorization schemes libhtp parses; others raise request_auth_unrecognized. */
const KNOWN_AUTH_SCHEMES: ReadonlySet<string> = new Set(['basic', 'digest', 'bearer']);

/** Returns the path part of the normalised URI (before '?' or '#'). */
function normalizedPath(tx: HttpTransaction): Uint8Array {
  const uri = tx.uri;
  if (uri === null) return EMPTY;
  let end = 0;
  while (end < uri.length && uri[end] !== 0x3f && uri[end] !== 0x23) end++;
  return uri.subarray(0, end);
}

/** Reads `filename=` from a Content-Disposition value (RFC 6266), quoted or not. */
export function dispositionFilename(value: Uint8Array): Uint8Array | null {
  const text = latin1(value);
  const match = /(?:^|;)\s*filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/i.exec(text);
  if (match === null) return null;
  const name = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[1].trim();
  return name.length === 0 ? null : Uint8Array.from(Buffer.from(name, 'latin1'));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function isKnownProtocol(p: Uint8Array): boolean {
  return equalsAscii(p, 'HTTP/1.1') || equalsAscii(p, 'HTTP/1.0') || equalsAscii(p, 'HTTP/0.9');
}

/** Compares bytes with an ASCII string, exactly. */
export function equalsAscii(bytes: Uint8Array, text: string): boolean {
  if (bytes.length !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

function equalsAsciiNocase(bytes: Uint8Array, lowerText: string): boolean {
  if (bytes.length !== lowerText.length) return false;
  for (let i = 0; i < lowerText.length; i++) {
    const c = bytes[i];
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lowerText.charCodeAt(i)) return false;
  }
  return true;
}

function isBlankByte(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) if (!isBlankByte(line[i])) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array | null): boolean {
  if (b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses a decimal Content-Length (RFC 9110 section 8.6); -1 when invalid. */
function parseContentLength(value: Uint8Array): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Parses a port number 1..65535; -1 when invalid. */
function parsePort(text: Uint8Array): number {
  if (text.length === 0 || text.length > 5) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n >= 1 && n <= 65535 ? n : -1;
}

/** Splits a Host header value into host and port (IPv6 literals in brackets). */
function splitHostHeader(value: Uint8Array): { host: Uint8Array; port: Uint8Array | null } {
  const parsed = parseUri(value, true);
  return { host: parsed.hostname ?? value, port: parsed.port };
}
