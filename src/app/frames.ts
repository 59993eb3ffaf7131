/**
 * App-layer frames: typed regions of one direction of a flow's stream (a
 * TLS record, an SSH binary packet, a DNS message, an HTTP request), which
 * the parsers report as they read them. Rules inspect a frame's bytes with
 * `frame:<proto>.<type>` (detect/frame-inspect.ts), and EVE writes `frame`
 * events (output/eve-frame.ts). Frame offsets are stream offsets of the
 * direction: byte 0 is the first data byte after the SYN. A UDP frame lies
 * in one datagram and its offset counts from the datagram's payload.
 *
 * The recorder keeps a copy of each direction's bytes from the oldest open
 * frame on (FrameBytes), because the reassembler may release stream data
 * once the parser read it, while frames are inspected and logged later.
 */
import { Direction } from '../core/packet.js';

/** Frame types of TLS (RFC 8446 section 5.1): the record, its header and payload, alert and heartbeat payloads. */
export const TlsFrameType = { PDU: 0, HDR: 1, DATA: 2, ALERT: 3, HEARTBEAT: 4 } as const;
/** Frame types of SSH binary packets (RFC 4253 section 6): header is packet_length, padding_length and the message code. */
export const SshFrameType = { RECORD_HDR: 0, RECORD_DATA: 1, RECORD_PDU: 2 } as const;
/** Frame type of DNS: one message, without the 2-byte length of DNS over TCP. */
export const DnsFrameType = { PDU: 0 } as const;
/** Frame types of HTTP/1.x messages and their parts. */
export const HttpFrameType = {
  REQUEST: 0, REQUEST_LINE: 1, REQUEST_HEADERS: 2, REQUEST_BODY: 3,
  RESPONSE: 4, RESPONSE_LINE: 5, RESPONSE_HEADERS: 6, RESPONSE_BODY: 7,
} as const;

/** Type id of the frame that covers a whole direction of a TCP stream (`<proto>.stream`). Its length stays unknown. */
export const STREAM_FRAME_TYPE = 63;

/** Frame type names by app-layer protocol (AppProto), indexed by type id, as rules and EVE write them. */
const FRAME_TYPE_NAMES: ReadonlyMap<string, readonly string[]> = new Map([
  ['tls', ['pdu', 'hdr', 'data', 'alert', 'heartbeat']],
  ['ssh', ['record.hdr', 'record.data', 'record.pdu']],
  ['dns', ['pdu']],
  ['http', ['request', 'request.line', 'request.headers', 'request.body',
    'response', 'response.line', 'response.headers', 'response.body']],
]);

/** Protocol names of the `frame` keyword and the app-layer protocol each names. */
const FRAME_PROTOCOL_NAMES: ReadonlyMap<string, string> = new Map([
  ['tls', 'tls'], ['ssl', 'tls'], ['ssh', 'ssh'], ['dns', 'dns'], ['http1', 'http'], ['http', 'http'],
]);

/** Returns the app-layer protocol that a `frame` keyword protocol name stands for, or null. */
export function frameProtocolOf(name: string): string | null {
  return FRAME_PROTOCOL_NAMES.get(name) ?? null;
}

/** Returns the type id of frame type `name` of `appProto`, or -1 when the protocol has no such frame. */
export function frameTypeId(appProto: string, name: string): number {
  if (name === 'stream' && FRAME_TYPE_NAMES.has(appProto)) return STREAM_FRAME_TYPE;
  const names = FRAME_TYPE_NAMES.get(appProto);
  return names === undefined ? -1 : names.indexOf(name);
}

/** Returns the name of frame type `type` of `appProto`, as EVE `frame.type` writes it. */
export function frameTypeName(appProto: string, type: number): string {
  if (type === STREAM_FRAME_TYPE) return 'stream';
  return FRAME_TYPE_NAMES.get(appProto)?.[type] ?? 'unknown';
}

/** Returns the frame type names of `appProto` (stream included), for diagnostics. */
export function frameTypeNames(appProto: string): readonly string[] {
  return [...(FRAME_TYPE_NAMES.get(appProto) ?? []), 'stream'];
}

/**
 * Maximum number of frames kept per flow direction. Frames leave the list
 * once inspected and logged; a parser that registers more before that
 * loses the extra ones, and `FlowFrames.dropped` counts them. A TLS or SSH
 * segment carries a few records, so the bound is reached only by a flood
 * of tiny records in data not yet acknowledged.
 */
export const MAX_FRAMES_PER_DIRECTION = 1024;

/**
 * Bytes of a direction kept before the position being parsed, so a frame
 * whose start the parser read in an earlier chunk (a split record header,
 * an HTTP request line) still has its bytes. A frame that starts earlier
 * than this behind the newest byte has its first bytes missing.
 */
export const FRAME_LOOKBACK_BYTES = 4096;

/**
 * Maximum bytes of one frame that detection inspects, from the frame's
 * start. Longer frames are inspected over their first bytes only. It also
 * bounds the bytes kept per flow direction (FrameBytes) while a frame is
 * open, about this much plus FRAME_LOOKBACK_BYTES.
 */
export const MAX_FRAME_INSPECT_BYTES = 65536;

/** A gap larger than this clears the kept bytes instead of holding a zero-filled hole. */
const MAX_GAP_FILL_BYTES = 65536;

/** Maximum gaps remembered per direction, for the `[N bytes missing]` markers of logged payloads. */
const MAX_GAPS = 16;

/** One frame: a typed region of one direction. */
export class Frame {
  /** Per-flow id, from 1, in the order the frames were created. */
  readonly id: number;
  /** Type id (TlsFrameType, ..., or STREAM_FRAME_TYPE). */
  readonly type: number;
  /** Direction (Direction) of the data. */
  readonly direction: number;
  /** Stream offset of the first byte. */
  readonly offset: number;
  /** Length in bytes, or -1 while unknown (until the parser sets it, or for the whole-stream frame). */
  length: number;
  /** Transaction the frame belongs to, or -1. */
  txId: number;
  /** Stream offset up to which the frame's bytes were inspected. */
  inspectedEnd: number;
  /** True once inspection of the frame is finished (its bytes are all in, or the flow ended). */
  isInspected: boolean;
  /** True once the frame event was written. */
  isLogged: boolean;
  /** Per frame signature (FrameInspector index): 1 once it matched this frame. Null until the first match. */
  matched: Uint8Array | null;

  constructor(id: number, type: number, direction: number, offset: number, length: number, txId: number) {
    this.id = id;
    this.type = type;
    this.direction = direction;
    this.offset = offset;
    this.length = length;
    this.txId = txId;
    this.inspectedEnd = offset;
    this.isInspected = false;
    this.isLogged = false;
    this.matched = null;
  }

  /** Stream offset after the frame's last byte, or Infinity while its length is unknown. */
  get end(): number {
    return this.length < 0 ? Number.POSITIVE_INFINITY : this.offset + this.length;
  }
}

/**
 * The bytes of one direction from the oldest byte a frame may still need,
 * with the gaps the reassembler reported inside them (zero-filled).
 */
export class FrameBytes {
  data: Uint8Array;
  /** Stream offset of data[0]. */
  base: number;
  /** Stream offset after the last byte held. */
  end: number;
  /** Gaps inside [base, end): start and end offsets, oldest first. */
  readonly gapStarts: number[];
  readonly gapEnds: number[];

  constructor() {
    this.data = new Uint8Array(0);
    this.base = 0;
    this.end = 0;
    this.gapStarts = [];
    this.gapEnds = [];
  }

  /** Drops everything and starts again at stream offset `offset`. */
  restart(offset: number): void {
    this.base = offset;
    this.end = offset;
    this.gapStarts.length = 0;
    this.gapEnds.length = 0;
  }

  /** Appends `bytes[start, start + length)`, which sit at stream offset `offset` (not before `end`). */
  append(bytes: Uint8Array, start: number, length: number, offset: number): void {
    if (offset > this.end) this.addGap(offset - this.end);
    if (offset < this.end) {
      // Bytes already held (a chunk fed again after a restart): keep the first copy.
      const skip = Math.min(length, this.end - offset);
      start += skip;
      length -= skip;
    }
    if (length <= 0) return;
    this.ensureRoom(length);
    this.data.set(bytes.subarray(start, start + length), this.end - this.base);
    this.end += length;
  }

  /** Records `length` missing bytes at the end; a long gap restarts the buffer after it. */
  addGap(length: number): void {
    if (length <= 0) return;
    if (length > MAX_GAP_FILL_BYTES || this.gapStarts.length === MAX_GAPS) {
      const at = this.end + length;
      this.restart(at);
      return;
    }
    this.ensureRoom(length);
    this.data.fill(0, this.end - this.base, this.end - this.base + length);
    this.gapStarts.push(this.end);
    this.end += length;
    this.gapEnds.push(this.end);
  }

  /** Returns the end of the data without a gap that starts at `from`. */
  contiguousEnd(from: number): number {
    if (from < this.base) return from;
    for (let i = 0; i < this.gapStarts.length; i++) {
      const gapStart = this.gapStarts[i] as number;
      const gapEnd = this.gapEnds[i] as number;
      if (gapEnd <= from) continue;
      return gapStart <= from ? from : gapStart;
    }
    return this.end;
  }

  /** Drops the bytes before stream offset `offset`. */
  trim(offset: number): void {
    if (offset <= this.base) return;
    if (offset >= this.end) {
      this.restart(this.end);
      return;
    }
    this.data.copyWithin(0, offset - this.base, this.end - this.base);
    this.base = offset;
    while (this.gapEnds.length > 0 && (this.gapEnds[0] as number) <= offset) {
      this.gapStarts.shift();
      this.gapEnds.shift();
    }
  }

  private ensureRoom(length: number): void {
    const needed = this.end - this.base + length;
    if (needed <= this.data.length) return;
    let size = Math.max(this.data.length, 1024);
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.data.subarray(0, this.end - this.base));
    this.data = grown;
  }
}

/**
 * The frame types a run records, by app-layer protocol: those that a
 * rule inspects, or all of them when EVE writes frame events.
 */
export class FrameConfig {
  /** True when every type of every protocol is recorded. */
  readonly isAll: boolean;
  private readonly byProto: Map<string, Set<number>>;

  constructor(isAll: boolean) {
    this.isAll = isAll;
    this.byProto = new Map();
  }

  /** Enables type `type` of `appProto`. */
  enable(appProto: string, type: number): void {
    let set = this.byProto.get(appProto);
    if (set === undefined) {
      set = new Set();
      this.byProto.set(appProto, set);
    }
    set.add(type);
  }

  /** Returns one flag per type id (STREAM_FRAME_TYPE included) for `appProto`, or null when none is enabled. */
  enabledTypes(appProto: string): Uint8Array | null {
    const names = FRAME_TYPE_NAMES.get(appProto);
    if (names === undefined) return null;
    const flags = new Uint8Array(STREAM_FRAME_TYPE + 1);
    if (this.isAll) {
      flags.fill(1);
      return flags;
    }
    const set = this.byProto.get(appProto);
    if (set === undefined) return null;
    for (const type of set) flags[type] = 1;
    return flags;
  }
}

/**
 * The frames of one flow, and the hook the parsers call. A parser reports a
 * frame with a position in the `bytes` it was handed, and `chunkBase` turns
 * that into a stream offset. This works for positions before the chunk
 * too, such as a record header split over two chunks.
 */
export class FlowFrames {
  readonly appProto: string;
  readonly isTcp: boolean;
  /** Per type id: 1 when frames of that type are recorded. */
  readonly enabled: Uint8Array;
  /** Frames of each direction, oldest first. */
  readonly frames: [Frame[], Frame[]];
  readonly bytes: [FrameBytes, FrameBytes];
  /** Per direction: stream offset minus array index of the chunk being parsed. */
  readonly chunkBase: Float64Array;
  /** Per direction: 1 once the direction ended (flow end). */
  readonly isEnded: Uint8Array;
  /** Per direction: 1 once the whole-stream frame was created. */
  private readonly hasStreamFrame: Uint8Array;
  /** Frames not recorded because MAX_FRAMES_PER_DIRECTION was reached. */
  dropped: number;
  /** The open HTTP message frames, for an HTTP flow. */
  readonly http: HttpFrameTracker | null;
  private nextId: number;

  constructor(appProto: string, isTcp: boolean, enabled: Uint8Array) {
    this.appProto = appProto;
    this.isTcp = isTcp;
    this.enabled = enabled;
    this.frames = [[], []];
    this.bytes = [new FrameBytes(), new FrameBytes()];
    this.chunkBase = new Float64Array(2);
    this.isEnded = new Uint8Array(2);
    this.hasStreamFrame = new Uint8Array(2);
    this.dropped = 0;
    this.nextId = 1;
    this.http = appProto === 'http' ? new HttpFrameTracker(this) : null;
  }

  /**
   * Records a frame of `type` that starts at `bytes[index]` of the chunk
   * the parser of `direction` is reading, `length` bytes long (-1 when not
   * known yet). Returns the frame, or null when the type is not recorded
   * or the direction already contains MAX_FRAMES_PER_DIRECTION frames.
   */
  add(direction: number, type: number, index: number, length: number, txId = -1): Frame | null {
    return this.addAt(direction, type, (this.chunkBase[direction] as number) + index, length, txId);
  }

  /** Records a frame that starts at stream offset `offset`; otherwise as `add`. */
  addAt(direction: number, type: number, offset: number, length: number, txId = -1): Frame | null {
    if (this.enabled[type] !== 1) return null;
    const list = this.frames[direction] as Frame[];
    if (list.length >= MAX_FRAMES_PER_DIRECTION) {
      this.dropped++;
      return null;
    }
    const frame = new Frame(this.nextId++, type, direction, offset, length, txId);
    list.push(frame);
    return frame;
  }

  /**
   * Takes the chunk `bytes[start, start + length)` at stream offset
   * `offset` before the parser of `direction` reads it. The first data of
   * a TCP direction creates its whole-stream frame.
   */
  beginChunk(direction: number, bytes: Uint8Array, start: number, length: number, offset: number): void {
    const store = this.bytes[direction] as FrameBytes;
    if (!this.isTcp) {
      // A datagram is a stream of its own: frames of the previous one are gone.
      (this.frames[direction] as Frame[]).length = 0;
      store.restart(offset);
    } else if (store.end === 0 && store.base === 0 && offset > 0) {
      store.restart(offset);
    }
    store.append(bytes, start, length, offset);
    this.chunkBase[direction] = offset - start;
    if (this.isTcp && this.hasStreamFrame[direction] === 0) {
      this.hasStreamFrame[direction] = 1;
      this.add(direction, STREAM_FRAME_TYPE, start, -1);
    }
  }

  /** Records `length` bytes that the reassembler never saw at the end of the direction. */
  addGap(direction: number, length: number): void {
    (this.bytes[direction] as FrameBytes).addGap(length);
  }

  /** Marks both directions ended: frames of unknown length end where their data ends. */
  endFlow(): void {
    this.isEnded[Direction.TO_SERVER] = 1;
    this.isEnded[Direction.TO_CLIENT] = 1;
  }

  /** Stream offset after the last byte of `direction` handed to the parser. */
  dataEnd(direction: number): number {
    return (this.bytes[direction] as FrameBytes).end;
  }

  /**
   * Drops the frames that are inspected and logged (or need no log), and
   * the bytes that no frame needs any more. Call after detection and
   * logging of a packet.
   */
  prune(direction: number, needsLog: boolean): void {
    const list = this.frames[direction] as Frame[];
    let keptCount = 0;
    for (let i = 0; i < list.length; i++) {
      const frame = list[i] as Frame;
      if (frame.isInspected && (frame.isLogged || !needsLog)) continue;
      list[keptCount++] = frame;
    }
    list.length = keptCount;
    const store = this.bytes[direction] as FrameBytes;
    let keepFrom = store.end - FRAME_LOOKBACK_BYTES;
    for (let i = 0; i < keptCount; i++) {
      const offset = (list[i] as Frame).offset;
      if (offset < keepFrom) keepFrom = offset;
    }
    store.trim(keepFrom);
  }
}

/** SSH binary packet header: packet_length (4), padding_length (1) and the message code (1), RFC 4253 section 6. */
const SSH_RECORD_HEADER_BYTES = 6;
/** TLS record header: type, version and length (RFC 8446 section 5.1). */
const TLS_RECORD_HEADER_BYTES = 5;
const TLS_CONTENT_ALERT = 21;
const TLS_CONTENT_HEARTBEAT = 24;

/**
 * Records the frames of one SSH binary packet whose header starts at
 * `bytes[headerIndex]`: the packet without its MAC (record.pdu), the
 * 6-byte header (record.hdr) and what follows it (record.data). SSH has
 * one transaction, id 0.
 */
export function addSshPacketFrames(frames: FlowFrames, direction: number, headerIndex: number, packetBytes: number): void {
  frames.add(direction, SshFrameType.RECORD_PDU, headerIndex, packetBytes + 4, 0);
  frames.add(direction, SshFrameType.RECORD_HDR, headerIndex, SSH_RECORD_HEADER_BYTES, 0);
  frames.add(direction, SshFrameType.RECORD_DATA, headerIndex + SSH_RECORD_HEADER_BYTES, packetBytes - 2, 0);
}

/**
 * Records the frames of one TLS record whose header starts at
 * `bytes[headerIndex]`: the record (pdu), its header (hdr) and payload
 * (data), and for alert and heartbeat records their payload again under
 * that type. TLS has one transaction, id 0.
 */
export function addTlsRecordFrames(frames: FlowFrames, direction: number, headerIndex: number, contentType: number, length: number): void {
  frames.add(direction, TlsFrameType.PDU, headerIndex, TLS_RECORD_HEADER_BYTES + length, 0);
  frames.add(direction, TlsFrameType.HDR, headerIndex, TLS_RECORD_HEADER_BYTES, 0);
  frames.add(direction, TlsFrameType.DATA, headerIndex + TLS_RECORD_HEADER_BYTES, length, 0);
  if (contentType === TLS_CONTENT_ALERT) frames.add(direction, TlsFrameType.ALERT, headerIndex + TLS_RECORD_HEADER_BYTES, length, 0);
  else if (contentType === TLS_CONTENT_HEARTBEAT) frames.add(direction, TlsFrameType.HEARTBEAT, headerIndex + TLS_RECORD_HEADER_BYTES, length, 0);
}

/** Frame types of a response follow those of a request in HttpFrameType. */
const HTTP_RESPONSE_TYPE_SHIFT = HttpFrameType.RESPONSE - HttpFrameType.REQUEST;

/**
 * The frames of the HTTP message being read in each direction: the whole
 * message, its start line, header section (blank line included) and body
 * (chunk framing included). The HTTP parser reports stream offsets: the
 * start line's first byte, the end of the start line, the end of the
 * header section and the end of the message.
 */
export class HttpFrameTracker {
  private readonly frames: FlowFrames;
  private readonly message: (Frame | null)[];
  private readonly headers: (Frame | null)[];
  private readonly body: (Frame | null)[];

  constructor(frames: FlowFrames) {
    this.frames = frames;
    this.message = [null, null];
    this.headers = [null, null];
    this.body = [null, null];
  }

  /** Opens the frames of a message whose start line spans [messageStart, lineEnd). */
  startMessage(direction: number, txId: number, messageStart: number, lineEnd: number): void {
    const shift = direction === Direction.TO_SERVER ? 0 : HTTP_RESPONSE_TYPE_SHIFT;
    const frames = this.frames;
    this.message[direction] = frames.addAt(direction, HttpFrameType.REQUEST + shift, messageStart, -1, txId);
    frames.addAt(direction, HttpFrameType.REQUEST_LINE + shift, messageStart, lineEnd - messageStart, txId);
    this.headers[direction] = frames.addAt(direction, HttpFrameType.REQUEST_HEADERS + shift, lineEnd, -1, txId);
    this.body[direction] = null;
  }

  /**
   * Ends the header section at `headersEnd`. `bodyLength` is the body's
   * length when Content-Length gives it (0 without a body), else -1 (chunked,
   * or until close): the message's length is then known at its end only.
   */
  endHeaders(direction: number, headersEnd: number, bodyLength: number): void {
    const message = this.message[direction] ?? null;
    const headers = this.headers[direction] ?? null;
    if (headers !== null) headers.length = headersEnd - headers.offset;
    if (message === null) return;
    const shift = direction === Direction.TO_SERVER ? 0 : HTTP_RESPONSE_TYPE_SHIFT;
    if (bodyLength >= 0) message.length = headersEnd + bodyLength - message.offset;
    if (bodyLength !== 0) this.body[direction] = this.frames.addAt(direction, HttpFrameType.REQUEST_BODY + shift, headersEnd, bodyLength, message.txId);
  }

  /** Ends the message at stream offset `end`. */
  endMessage(direction: number, end: number): void {
    const message = this.message[direction] ?? null;
    const body = this.body[direction] ?? null;
    if (message !== null && message.length < 0) message.length = end - message.offset;
    if (body !== null && body.length < 0) body.length = end - body.offset;
    this.message[direction] = null;
    this.headers[direction] = null;
    this.body[direction] = null;
  }
}
