/**
 * HTTP/1.x rule keywords: the sticky buffers (`http.uri`, `http.header`,
 * `file.data`, ...), `uricontent`, `urilen`, and the legacy content
 * modifiers (`http_uri`, `http_header`, ...). As in Suricata, a modifier
 * moves the previous content into its buffer. `getHttpBuffer` returns
 * the bytes a rule inspects in each buffer.
 * Suricata: rules/http-keywords.html.
 */
import { ErrorCode } from '../../core/errors.js';
import type { InspectionMatch, KeywordDef, SignatureBuilder } from '../../detect/signature.js';
import { contentKeyword } from '../../detect/keywords/content.js';
import { selectBufferInstance } from '../../detect/keywords/multi-buffer.js';
import { MatchKind, type PayloadMatch } from '../../detect/inspect-context.js';
import { parseUintValue, UintMode, type UintValue } from '../../detect/keywords/uint-value.js';
import { Progress, type HttpHeaderTable, type HttpTransaction } from './state.js';

const TO_SERVER = 0;
const TO_CLIENT = 1;

/** Canonical HTTP buffer names. */
export const HttpBuffer = {
  URI: 'http.uri',
  URI_RAW: 'http.uri.raw',
  METHOD: 'http.method',
  REQUEST_LINE: 'http.request_line',
  PROTOCOL: 'http.protocol',
  HEADER: 'http.header',
  HEADER_RAW: 'http.header.raw',
  HEADER_NAMES: 'http.header_names',
  HOST: 'http.host',
  HOST_RAW: 'http.host.raw',
  USER_AGENT: 'http.user_agent',
  COOKIE: 'http.cookie',
  REFERER: 'http.referer',
  CONTENT_TYPE: 'http.content_type',
  CONTENT_LEN: 'http.content_len',
  ACCEPT: 'http.accept',
  ACCEPT_ENC: 'http.accept_enc',
  ACCEPT_LANG: 'http.accept_lang',
  CONNECTION: 'http.connection',
  REQUEST_BODY: 'http.request_body',
  RESPONSE_BODY: 'http.response_body',
  STAT_CODE: 'http.stat_code',
  STAT_MSG: 'http.stat_msg',
  RESPONSE_LINE: 'http.response_line',
  SERVER: 'http.server',
  LOCATION: 'http.location',
  START: 'http.start',
  FILE_DATA: 'file.data',
} as const;

/** Direction a buffer exists in: request only, response only, or both. */
const Side = { REQUEST: 0, RESPONSE: 1, BOTH: 2 } as const;

interface StickySpec {
  name: string;
  aliases: readonly string[];
  side: number;
  description: string;
  docsAnchor: string;
}

const STICKY: readonly StickySpec[] = [
  { name: HttpBuffer.URI, aliases: [], side: Side.REQUEST, description: 'inspect the normalised request URI', docsAnchor: 'http-keywords.html#http-uri-and-http-uri-raw' },
  { name: HttpBuffer.URI_RAW, aliases: [], side: Side.REQUEST, description: 'inspect the request URI as sent', docsAnchor: 'http-keywords.html#http-uri-and-http-uri-raw' },
  { name: HttpBuffer.METHOD, aliases: [], side: Side.REQUEST, description: 'inspect the request method', docsAnchor: 'http-keywords.html#http-method' },
  { name: HttpBuffer.REQUEST_LINE, aliases: ['http_request_line'], side: Side.REQUEST, description: 'inspect the whole request line', docsAnchor: 'http-keywords.html#http-request-line' },
  { name: HttpBuffer.PROTOCOL, aliases: ['http_protocol'], side: Side.BOTH, description: 'inspect the protocol of the request or status line', docsAnchor: 'http-keywords.html#http-protocol' },
  { name: HttpBuffer.HEADER, aliases: [], side: Side.BOTH, description: 'inspect the normalised header fields, without cookies', docsAnchor: 'http-keywords.html#http-header-and-http-header-raw' },
  { name: HttpBuffer.HEADER_RAW, aliases: [], side: Side.BOTH, description: 'inspect the header section as sent', docsAnchor: 'http-keywords.html#http-header-and-http-header-raw' },
  { name: HttpBuffer.HEADER_NAMES, aliases: ['http_header_names'], side: Side.BOTH, description: 'inspect the header names, CRLF separated', docsAnchor: 'http-keywords.html#http-header-names' },
  { name: HttpBuffer.HOST, aliases: [], side: Side.REQUEST, description: 'inspect the normalised host name', docsAnchor: 'http-keywords.html#http-host-and-http-host-raw' },
  { name: HttpBuffer.HOST_RAW, aliases: [], side: Side.REQUEST, description: 'inspect the host as sent', docsAnchor: 'http-keywords.html#http-host-and-http-host-raw' },
  { name: HttpBuffer.USER_AGENT, aliases: [], side: Side.REQUEST, description: 'inspect the User-Agent header value', docsAnchor: 'http-keywords.html#http-user-agent' },
  { name: HttpBuffer.COOKIE, aliases: [], side: Side.BOTH, description: 'inspect the Cookie or Set-Cookie header value', docsAnchor: 'http-keywords.html#http-cookie' },
  { name: HttpBuffer.REFERER, aliases: ['http_referer'], side: Side.REQUEST, description: 'inspect the Referer header value', docsAnchor: 'http-keywords.html#http-referer' },
  { name: HttpBuffer.CONTENT_TYPE, aliases: ['http_content_type'], side: Side.BOTH, description: 'inspect the Content-Type header value', docsAnchor: 'http-keywords.html#http-content-type' },
  { name: HttpBuffer.CONTENT_LEN, aliases: ['http_content_len'], side: Side.BOTH, description: 'inspect the Content-Length header value', docsAnchor: 'http-keywords.html#http-content-len' },
  { name: HttpBuffer.ACCEPT, aliases: ['http_accept'], side: Side.REQUEST, description: 'inspect the Accept header value', docsAnchor: 'http-keywords.html#http-accept' },
  { name: HttpBuffer.ACCEPT_ENC, aliases: ['http_accept_enc'], side: Side.REQUEST, description: 'inspect the Accept-Encoding header value', docsAnchor: 'http-keywords.html#http-accept-enc' },
  { name: HttpBuffer.ACCEPT_LANG, aliases: ['http_accept_lang'], side: Side.REQUEST, description: 'inspect the Accept-Language header value', docsAnchor: 'http-keywords.html#http-accept-lang' },
  { name: HttpBuffer.CONNECTION, aliases: ['http_connection'], side: Side.REQUEST, description: 'inspect the Connection header value', docsAnchor: 'http-keywords.html#http-connection' },
  { name: HttpBuffer.REQUEST_BODY, aliases: [], side: Side.REQUEST, description: 'inspect the decoded request body', docsAnchor: 'http-keywords.html#http-request-body' },
  { name: HttpBuffer.RESPONSE_BODY, aliases: [], side: Side.RESPONSE, description: 'inspect the decoded response body', docsAnchor: 'http-keywords.html#http-response-body' },
  { name: HttpBuffer.STAT_CODE, aliases: [], side: Side.RESPONSE, description: 'inspect the response status code', docsAnchor: 'http-keywords.html#http-stat-code' },
  { name: HttpBuffer.STAT_MSG, aliases: [], side: Side.RESPONSE, description: 'inspect the response reason phrase', docsAnchor: 'http-keywords.html#http-stat-msg' },
  { name: HttpBuffer.RESPONSE_LINE, aliases: ['http_response_line'], side: Side.RESPONSE, description: 'inspect the whole status line', docsAnchor: 'http-keywords.html#http-response-line' },
  { name: HttpBuffer.SERVER, aliases: ['http_server'], side: Side.RESPONSE, description: 'inspect the Server header value', docsAnchor: 'http-keywords.html#http-server' },
  { name: HttpBuffer.LOCATION, aliases: ['http_location'], side: Side.RESPONSE, description: 'inspect the Location header value', docsAnchor: 'http-keywords.html#http-location' },
  { name: HttpBuffer.START, aliases: ['http_start'], side: Side.BOTH, description: 'inspect the start line and header fields', docsAnchor: 'http-keywords.html#http-start' },
  { name: HttpBuffer.FILE_DATA, aliases: ['file_data'], side: Side.BOTH, description: 'inspect the decoded body of the message (file data)', docsAnchor: 'http-keywords.html#file-data' },
];

/**
 * Legacy content modifiers (Snort 2 style): each moves the previous
 * `content` of the packet payload into its buffer.
 */
const MODIFIERS: readonly [string, string][] = [
  ['http_uri', HttpBuffer.URI],
  ['http_raw_uri', HttpBuffer.URI_RAW],
  ['http_method', HttpBuffer.METHOD],
  ['http_header', HttpBuffer.HEADER],
  ['http_raw_header', HttpBuffer.HEADER_RAW],
  ['http_cookie', HttpBuffer.COOKIE],
  ['http_user_agent', HttpBuffer.USER_AGENT],
  ['http_host', HttpBuffer.HOST],
  ['http_raw_host', HttpBuffer.HOST_RAW],
  ['http_client_body', HttpBuffer.REQUEST_BODY],
  ['http_server_body', HttpBuffer.RESPONSE_BODY],
  ['http_stat_code', HttpBuffer.STAT_CODE],
  ['http_stat_msg', HttpBuffer.STAT_MSG],
];

const SIDES: ReadonlyMap<string, number> = new Map(STICKY.map((s) => [s.name, s.side]));

/** Every keyword name this module defines (sticky buffers, aliases, modifiers, uricontent, urilen). */
export const HTTP_KEYWORD_NAMES: readonly string[] = [
  ...STICKY.flatMap((s) => [s.name, ...s.aliases]),
  ...MODIFIERS.map(([name]) => name),
  'uricontent',
  'urilen',
];

function stickyKeyword(spec: StickySpec): KeywordDef {
  return {
    name: spec.name,
    aliases: spec.aliases,
    description: spec.description,
    docsAnchor: spec.docsAnchor,
    value: 'none',
    setup(b: SignatureBuilder): void {
      // file.data has one instance per file (files.ts).
      if (spec.name === HttpBuffer.FILE_DATA) selectBufferInstance(b, spec.name);
      else b.selectBuffer(spec.name);
    },
  };
}

/**
 * Moves the last `content` of the packet payload chain into `target`, as
 * Suricata does for a legacy modifier. The modifier is an error after a
 * sticky buffer, or without a content before it.
 */
export function moveContentToBuffer(b: SignatureBuilder, keyword: string, target: string): void {
  if (b.currentBuffer !== 'pkt_data') {
    b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `${keyword}: cannot follow the sticky buffer '${b.currentBuffer}' (use a content before the sticky buffer, or drop ${keyword})`);
    return;
  }
  const buffers = b.sig.buffers;
  const index = buffers.findIndex((entry) => entry.buffer === 'pkt_data');
  const matches = index < 0 ? [] : buffers[index].matches;
  let last = -1;
  for (let i = matches.length - 1; i >= 0; i--) {
    if (matches[i].keyword === 'content') {
      last = i;
      break;
    }
  }
  if (last < 0) {
    b.error(ErrorCode.RULE_NO_PREVIOUS_CONTENT, `${keyword}: no content before it to modify`);
    return;
  }
  const moved = matches[last];
  const rest: InspectionMatch[] = matches.filter((_m, i) => i !== last);
  // A new chain object, so the builder's view of the match order is rebuilt.
  if (rest.length === 0) buffers.splice(index, 1);
  else buffers[index] = { buffer: 'pkt_data', matches: rest };
  b.selectBuffer(target);
  b.currentMatches().push(moved);
  b.selectBuffer('pkt_data');
}

function modifierKeyword(name: string, target: string): KeywordDef {
  return {
    name,
    description: `move the previous content into ${target}`,
    docsAnchor: 'http-keywords.html',
    value: 'none',
    setup(b: SignatureBuilder): void {
      moveContentToBuffer(b, name, target);
    },
  };
}

const uricontentKeyword: KeywordDef = {
  name: 'uricontent',
  description: 'match a pattern in the normalised request URI (content with http_uri)',
  docsAnchor: 'http-keywords.html#uricontent',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    if (b.currentBuffer !== 'pkt_data') {
      b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `uricontent: cannot follow the sticky buffer '${b.currentBuffer}'`);
      return;
    }
    const before = b.currentMatches().length;
    contentKeyword.setup(b, value);
    if (b.currentMatches().length > before) moveContentToBuffer(b, 'uricontent', HttpBuffer.URI);
  },
};

/**
 * `urilen`: the length of the normalised (or raw) URI within bounds. It
 * sits in the http.uri (or http.uri.raw) chain and runs as a bsize test
 * there, as Suricata applies urilen to that buffer. `matchTx` checks one
 * transaction directly.
 */
export class UrilenMatch implements PayloadMatch {
  readonly keyword = 'urilen';
  readonly kind = MatchKind.BSIZE;
  readonly isRelative = false;
  /** Smallest and largest length that match, inclusive. */
  readonly min: number;
  readonly max: number;
  readonly isRaw: boolean;

  constructor(min: number, max: number, isRaw: boolean) {
    this.min = min;
    this.max = max;
    this.isRaw = isRaw;
  }

  /** Tells whether the transaction's URI length is within the bounds. */
  matchTx(tx: HttpTransaction, direction: number): boolean {
    if (direction !== TO_SERVER) return false;
    const uri = this.isRaw ? tx.uriRaw : tx.uri;
    return uri !== null && uri.length >= this.min && uri.length <= this.max;
  }
}

/** Largest URI length urilen compares against (Suricata parses a 16-bit value). */
const URILEN_MAX = 65535;

/** Converts a comparison to inclusive bounds; null for != and masks, which urilen does not take. */
function urilenBounds(v: UintValue): { min: number; max: number } | null {
  switch (v.mode) {
    case UintMode.EQ: return { min: v.a, max: v.a };
    case UintMode.LT: return v.a === 0 ? null : { min: 0, max: v.a - 1 };
    case UintMode.LE: return { min: 0, max: v.a };
    case UintMode.GT: return { min: v.a + 1, max: Number.MAX_SAFE_INTEGER };
    case UintMode.GE: return { min: v.a, max: Number.MAX_SAFE_INTEGER };
    // "10<>20" is strictly between, as Suricata's documentation states.
    case UintMode.RANGE: return v.b - v.a < 2 ? null : { min: v.a + 1, max: v.b - 1 };
    default: return null;
  }
}

const urilenKeyword: KeywordDef = {
  name: 'urilen',
  description: 'match the length of the request URI (normalised, or raw with ",raw")',
  docsAnchor: 'http-keywords.html#urilen',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const parts = value.split(',');
    let isRaw = false;
    if (parts.length > 2) {
      b.error(ErrorCode.RULE_BAD_VALUE, `urilen: '${value.trim()}' has too many parts (expected a comparison and optionally ",norm" or ",raw")`);
      return;
    }
    if (parts.length === 2) {
      const kind = parts[1].trim();
      if (kind === 'raw') isRaw = true;
      else if (kind !== 'norm') {
        b.error(ErrorCode.RULE_BAD_VALUE, `urilen: '${kind}' is not a buffer kind (expected norm or raw)`);
        return;
      }
    }
    const parsed = parseUintValue(parts[0].replace(/\s+/g, ''), URILEN_MAX);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, `urilen: ${parsed}`);
      return;
    }
    const bounds = urilenBounds(parsed);
    if (bounds === null) {
      b.error(ErrorCode.RULE_BAD_VALUE, `urilen: '${parts[0].trim()}' matches no length or is not supported (expected n, <n, <=n, >n, >=n or lo<>hi)`);
      return;
    }
    const previous = b.currentBuffer;
    b.selectBuffer(isRaw ? HttpBuffer.URI_RAW : HttpBuffer.URI);
    b.currentMatches().push(new UrilenMatch(bounds.min, bounds.max, isRaw));
    b.selectBuffer(previous);
  },
};

/** Every HTTP keyword definition, for the registry. */
export const HTTP_KEYWORDS: readonly KeywordDef[] = [
  ...STICKY.map(stickyKeyword),
  ...MODIFIERS.map(([name, target]) => modifierKeyword(name, target)),
  uricontentKeyword,
  urilenKeyword,
];

// Buffers.

/**
 * Returns the bytes a rule inspects in `bufferName` for one transaction
 * and direction (0 request, 1 response), or null when the transaction has
 * no such buffer. Built once per transaction and buffer, then cached.
 */
export function getHttpBuffer(tx: HttpTransaction, bufferName: string, direction: number): Uint8Array | null {
  const side = SIDES.get(bufferName);
  if (side === undefined) return null;
  if ((side === Side.REQUEST && direction !== TO_SERVER) || (side === Side.RESPONSE && direction !== TO_CLIENT)) return null;
  // Bodies grow while the message is read: they are not cached.
  // file.data here is the whole decoded body, which contains the kept
  // bytes of every file of the message: the prefilter scans it, and rules
  // inspect each file on its own (collectFileBuffers in files.ts).
  if (bufferName === HttpBuffer.REQUEST_BODY || bufferName === HttpBuffer.RESPONSE_BODY || bufferName === HttpBuffer.FILE_DATA) {
    const body = direction === TO_SERVER ? tx.requestBody : tx.responseBody;
    return body.length === 0 ? null : body.view();
  }
  const key = direction === TO_SERVER ? bufferName : bufferName + '|1';
  const cached = tx.bufferCache.get(key);
  if (cached !== undefined) return cached;
  const built = buildBuffer(tx, bufferName, direction);
  // Header-derived buffers are final once the header section is complete.
  const isFinal = direction === TO_SERVER ? tx.requestProgress >= Progress.BODY : tx.responseProgress >= Progress.BODY;
  if (isFinal) tx.bufferCache.set(key, built);
  return built;
}

function buildBuffer(tx: HttpTransaction, name: string, direction: number): Uint8Array | null {
  const isRequest = direction === TO_SERVER;
  const headers = isRequest ? tx.requestHeaders : tx.responseHeaders;
  switch (name) {
    case HttpBuffer.URI: return tx.uri;
    case HttpBuffer.URI_RAW: return tx.uriRaw;
    case HttpBuffer.METHOD: return tx.method;
    case HttpBuffer.REQUEST_LINE: return tx.requestLine;
    case HttpBuffer.RESPONSE_LINE: return tx.responseLine;
    case HttpBuffer.PROTOCOL: return isRequest ? tx.requestProtocol : tx.responseProtocol;
    case HttpBuffer.STAT_CODE: return tx.statusText;
    case HttpBuffer.STAT_MSG: return tx.statusMessage;
    case HttpBuffer.HOST: return tx.hostname;
    case HttpBuffer.HOST_RAW: return tx.hostRaw;
    case HttpBuffer.HEADER: return headerBuffer(headers, isRequest ? 'cookie' : 'set-cookie');
    case HttpBuffer.HEADER_RAW: {
      const raw = isRequest ? tx.requestHeadersRaw : tx.responseHeadersRaw;
      return raw.length === 0 ? null : raw.view();
    }
    case HttpBuffer.HEADER_NAMES: return headerNamesBuffer(headers);
    case HttpBuffer.START: return startBuffer(isRequest ? tx.requestLine : tx.responseLine, headers);
    case HttpBuffer.COOKIE: return headers.get(isRequest ? 'cookie' : 'set-cookie');
    case HttpBuffer.USER_AGENT: return headers.get('user-agent');
    case HttpBuffer.REFERER: return headers.get('referer');
    case HttpBuffer.CONTENT_TYPE: return headers.get('content-type');
    case HttpBuffer.CONTENT_LEN: return headers.get('content-length');
    case HttpBuffer.ACCEPT: return headers.get('accept');
    case HttpBuffer.ACCEPT_ENC: return headers.get('accept-encoding');
    case HttpBuffer.ACCEPT_LANG: return headers.get('accept-language');
    case HttpBuffer.CONNECTION: return headers.get('connection');
    case HttpBuffer.SERVER: return headers.get('server');
    case HttpBuffer.LOCATION: return headers.get('location');
    default: return null;
  }
}

/** `Name: value\r\n` for every field except `skipKey`, with no extra CRLF at the end. */
function headerBuffer(headers: HttpHeaderTable, skipKey: string): Uint8Array | null {
  if (headers.size === 0) return null;
  let total = 0;
  for (let i = 0; i < headers.size; i++) {
    if (headers.keys[i] === skipKey) continue;
    total += headers.names[i].length + headers.values[i].length + 4;
  }
  if (total === 0) return null;
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < headers.size; i++) {
    if (headers.keys[i] === skipKey) continue;
    at = writeField(out, at, headers.names[i], headers.values[i]);
  }
  return out;
}

function writeField(out: Uint8Array, at: number, name: Uint8Array, value: Uint8Array): number {
  out.set(name, at);
  at += name.length;
  out[at++] = 0x3a;
  out[at++] = 0x20;
  out.set(value, at);
  at += value.length;
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  return at;
}

/** `\r\nName1\r\nName2\r\n\r\n`, as Suricata's documentation shows. */
function headerNamesBuffer(headers: HttpHeaderTable): Uint8Array | null {
  if (headers.size === 0) return null;
  let total = 4;
  for (let i = 0; i < headers.size; i++) total += headers.names[i].length + 2;
  const out = new Uint8Array(total);
  out[0] = 0x0d;
  out[1] = 0x0a;
  let at = 2;
  for (let i = 0; i < headers.size; i++) {
    out.set(headers.names[i], at);
    at += headers.names[i].length;
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  out[at++] = 0x0d;
  out[at] = 0x0a;
  return out;
}

/** Start line, CRLF, every field as `Name: value\r\n`, then an empty line. */
function startBuffer(line: Uint8Array | null, headers: HttpHeaderTable): Uint8Array | null {
  if (line === null) return null;
  let total = line.length + 4;
  for (let i = 0; i < headers.size; i++) total += headers.names[i].length + headers.values[i].length + 4;
  const out = new Uint8Array(total);
  out.set(line, 0);
  let at = line.length;
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  for (let i = 0; i < headers.size; i++) at = writeField(out, at, headers.names[i], headers.values[i]);
  out[at++] = 0x0d;
  out[at] = 0x0a;
  return out;
}
