/**
 * Request-target parsing and normalisation, as libhtp does it with the IDS
 * server personality that Suricata 8 uses by default:
 *
 * - The target splits into scheme, authority (only after a scheme), path,
 *   query and fragment. `//x/y` without a scheme is a path.
 * - The path is percent-decoded (%HH, and %uHHHH to one byte), encoded
 *   separators (%2f) are decoded, backslashes become slashes, runs of
 *   slashes are compressed. UTF-8 sequences then become one byte each
 *   (best fit), invalid UTF-8 bytes become '?', and last the dot segments
 *   are removed. An invalid escape keeps its percent sign. The path is
 *   not lower-cased: Suricata turns that part of the IDS personality off.
 * - The query and the fragment are percent-decoded ('+' stays '+', as
 *   Suricata's query-plusspace-decode defaults to no).
 * - The normalised URI (`http.uri`) is path, `?query` and `#fragment`,
 *   without scheme or authority.
 *
 * These functions run once per transaction, not per packet.
 */

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const DOT = 0x2e;
const QUESTION = 0x3f;
const HASH = 0x23;
const COLON = 0x3a;
const AT = 0x40;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUESTION_MARK_BYTE = 0x3f;

/** The parts of a request target, as views into the raw target. Absent parts are null. */
export interface ParsedUri {
  scheme: Uint8Array | null;
  /** Host of the authority, without user info and port. */
  hostname: Uint8Array | null;
  /** Port text of the authority, or null. */
  port: Uint8Array | null;
  path: Uint8Array | null;
  query: Uint8Array | null;
  fragment: Uint8Array | null;
}

/** Flags raised while normalising, for the events of the transaction. */
export const UriFlag = {
  /** A %-escape had invalid hex digits (kept as sent). */
  INVALID_ENCODING: 0x01,
  /** A decoded byte was itself '%' followed by two hex digits. */
  DOUBLE_ENCODED: 0x02,
  /** A %u escape was decoded. */
  U_ENCODED: 0x04,
  /** A code point above 0xff was replaced by '?'. */
  BESTFIT_REPLACED: 0x08,
  /** The path had bytes that are not valid UTF-8. */
  UTF8_INVALID: 0x10,
} as const;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Splits a request target. The method matters only for CONNECT, whose
 * target is an authority (`host:port`). A CONNECT target that starts with
 * '/' is no authority, so it is read as a path and gives no hostname.
 */
export function parseUri(target: Uint8Array, isConnect: boolean): ParsedUri {
  const out: ParsedUri = { scheme: null, hostname: null, port: null, path: null, query: null, fragment: null };
  const len = target.length;
  if (len === 0) return out;
  if (isConnect && target[0] !== SLASH) {
    parseHostPort(target, 0, len, out);
    return out;
  }

  let pos = 0;
  if (target[0] !== SLASH) {
    // A target that does not start with '/' has a scheme, up to the colon.
    // Without a colon the whole target is taken as a path, as Apache does.
    let i = 0;
    while (i < len && target[i] !== COLON) i++;
    if (i < len) {
      out.scheme = target.subarray(0, i);
      pos = i + 1;
    }
  }

  // RFC 3986 section 3.2: the authority follows "//", read only after a scheme.
  if (out.scheme !== null && pos + 2 < len && target[pos] === SLASH && target[pos + 1] === SLASH && target[pos + 2] !== SLASH) {
    const start = pos + 2;
    let end = start;
    while (end < len && target[end] !== SLASH && target[end] !== QUESTION && target[end] !== HASH) end++;
    let hostStart = start;
    for (let i = end - 1; i >= start; i--) {
      if (target[i] === AT) {
        hostStart = i + 1;
        break;
      }
    }
    parseHostPort(target, hostStart, end, out);
    pos = end;
  }

  let pathEnd = pos;
  while (pathEnd < len && target[pathEnd] !== QUESTION && target[pathEnd] !== HASH) pathEnd++;
  if (pathEnd > pos) out.path = target.subarray(pos, pathEnd);
  pos = pathEnd;
  if (pos < len && target[pos] === QUESTION) {
    let queryEnd = pos + 1;
    while (queryEnd < len && target[queryEnd] !== HASH) queryEnd++;
    out.query = target.subarray(pos + 1, queryEnd);
    pos = queryEnd;
  }
  if (pos < len && target[pos] === HASH) out.fragment = target.subarray(pos + 1, len);
  return out;
}

/** Splits `host[:port]` (IPv6 literals in brackets) into hostname and port. */
function parseHostPort(bytes: Uint8Array, start: number, end: number, out: ParsedUri): void {
  let colon = -1;
  if (start < end && bytes[start] === OPEN_BRACKET) {
    let close = start;
    while (close < end && bytes[close] !== CLOSE_BRACKET) close++;
    if (close + 1 < end && bytes[close + 1] === COLON) colon = close + 1;
  } else {
    for (let i = end - 1; i >= start; i--) {
      if (bytes[i] === COLON) {
        colon = i;
        break;
      }
    }
  }
  if (colon < 0) {
    out.hostname = bytes.subarray(start, end);
    return;
  }
  out.hostname = bytes.subarray(start, colon);
  out.port = bytes.subarray(colon + 1, end);
}

/** Result of path normalisation: the bytes and the UriFlag bits raised. */
export interface NormalizedPath {
  bytes: Uint8Array;
  flags: number;
}

/**
 * Maps a code point to one byte: code points below 0x100 are the byte
 * itself, and the full-width forms U+FF01..U+FF5E map to ASCII 0x21..0x7E.
 * Anything else returns -1 (the caller writes '?').
 */
function bestFitByte(codePoint: number): number {
  if (codePoint < 0x100) return codePoint;
  if (codePoint >= 0xff01 && codePoint <= 0xff5e) return codePoint - 0xff00 + 0x20;
  // NOTE: libhtp's best-fit table (Windows-1252) also maps about 300 other
  // code points, such as accented Latin letters, to ASCII look-alikes.
  // kapu writes '?' for those, so http.uri can differ from Suricata's there.
  return -1;
}

/**
 * Decodes `%uHHHH` at `at` to one byte. Returns -1 without a valid %u
 * escape there. Otherwise returns the byte, plus U_REPLACED when the code
 * point has no one-byte form and became '?'.
 */
function decodePercentU(bytes: Uint8Array, at: number): number {
  if (at + 5 >= bytes.length || (bytes[at + 1] !== 0x75 && bytes[at + 1] !== 0x55)) return -1;
  const h1 = hexValue(bytes[at + 2]);
  const h2 = hexValue(bytes[at + 3]);
  const h3 = hexValue(bytes[at + 4]);
  const h4 = hexValue(bytes[at + 5]);
  if (h1 < 0 || h2 < 0 || h3 < 0 || h4 < 0) return -1;
  const mapped = bestFitByte((((h1 << 4) | h2) << 8) | (h3 << 4) | h4);
  return mapped < 0 ? U_REPLACED | QUESTION_MARK_BYTE : mapped;
}

/** Bit that decodePercentU sets when it wrote '?' for an unmapped code point. */
const U_REPLACED = 0x100;

/** Decodes `%HH` at `at`, or returns -1 when there is no valid escape there. */
function decodePercentHex(bytes: Uint8Array, at: number): number {
  if (at + 2 >= bytes.length) return -1;
  const high = hexValue(bytes[at + 1]);
  const low = hexValue(bytes[at + 2]);
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

/**
 * Decodes a path in libhtp's IDS manner: %HH and %uHHHH escapes, encoded
 * separators, backslash to slash, and compressed slash runs.
 */
export function decodePath(path: Uint8Array): NormalizedPath {
  const out = new Uint8Array(path.length);
  let n = 0;
  let flags = 0;
  const len = path.length;
  for (let i = 0; i < len; i++) {
    let c = path[i];
    if (c === PERCENT) {
      const u = decodePercentU(path, i);
      const hex = u === -1 ? decodePercentHex(path, i) : -1;
      if (u !== -1) {
        c = u & 0xff;
        if ((u & U_REPLACED) !== 0) flags |= UriFlag.BESTFIT_REPLACED;
        flags |= UriFlag.U_ENCODED;
        i += 5;
      } else if (hex >= 0) {
        c = hex;
        i += 2;
        if (c === PERCENT && decodePercentHex(path, i) >= 0) flags |= UriFlag.DOUBLE_ENCODED;
      } else {
        flags |= UriFlag.INVALID_ENCODING;
      }
    }
    if (c === BACKSLASH) c = SLASH;
    if (c === SLASH && n > 0 && out[n - 1] === SLASH) continue;
    out[n++] = c;
  }
  return { bytes: out.subarray(0, n), flags };
}

/**
 * Decodes %HH and %uHHHH escapes of a query or fragment. An invalid
 * escape is kept as sent, and '+' stays '+'.
 */
export function decodeComponent(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  const len = bytes.length;
  for (let i = 0; i < len; i++) {
    const c = bytes[i];
    if (c === PERCENT) {
      const u = decodePercentU(bytes, i);
      if (u !== -1) {
        out[n++] = u & 0xff;
        i += 5;
        continue;
      }
      const hex = decodePercentHex(bytes, i);
      if (hex >= 0) {
        out[n++] = hex;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.slice(0, n);
}

/**
 * Converts UTF-8 in a decoded path to one byte per character: code points
 * below 0x100 as themselves, others by best fit or '?'. Overlong forms
 * decode to their code point. A byte that cannot start a sequence becomes
 * '?', and so does a sequence cut short, whose next byte starts afresh.
 */
export function utf8BestFit(bytes: Uint8Array): NormalizedPath {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  let flags = 0;
  let i = 0;
  const len = bytes.length;
  while (i < len) {
    const c = bytes[i];
    if (c < 0x80) {
      out[n++] = c;
      i++;
      continue;
    }
    let need = 0;
    let codePoint = 0;
    if (c >= 0xc0 && c <= 0xdf) {
      need = 1;
      codePoint = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      codePoint = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf7) {
      need = 3;
      codePoint = c & 0x07;
    } else {
      out[n++] = QUESTION_MARK_BYTE;
      flags |= UriFlag.UTF8_INVALID;
      i++;
      continue;
    }
    let j = i + 1;
    while (need > 0 && j < len && (bytes[j] & 0xc0) === 0x80) {
      codePoint = (codePoint << 6) | (bytes[j] & 0x3f);
      need--;
      j++;
    }
    i = j;
    if (need > 0) {
      out[n++] = QUESTION_MARK_BYTE;
      flags |= UriFlag.UTF8_INVALID;
      continue;
    }
    const mapped = bestFitByte(codePoint);
    if (mapped < 0) flags |= UriFlag.BESTFIT_REPLACED;
    out[n++] = mapped < 0 ? QUESTION_MARK_BYTE : mapped;
  }
  return { bytes: out.slice(0, n), flags };
}

/**
 * Removes `.` and `..` segments, in a new array. This follows libhtp's
 * reading of RFC 3986 section 5.2.4: a leading "./" or "../" is dropped,
 * "/./" becomes "/", "/../" drops the segment before it, and a path that
 * ends in "/.", "/..", "/./" or "/../" gets no trailing slash.
 */
export function removeDotSegments(path: Uint8Array): Uint8Array {
  const out = new Uint8Array(path.length);
  let n = 0;
  let i = 0;
  const len = path.length;
  // Leading "./" and "../" of a relative path, and a path of only "." or "..".
  for (;;) {
    if (startsWithAt(path, i, './')) i += 2;
    else if (startsWithAt(path, i, '../')) i += 3;
    else break;
  }
  if ((len - i === 1 && path[i] === DOT) || (len - i === 2 && path[i] === DOT && path[i + 1] === DOT)) return out.slice(0, 0);

  let isAfterDotSegment = false;
  while (i < len) {
    if (path[i] !== SLASH) {
      // The first segment of a relative path.
      while (i < len && path[i] !== SLASH) out[n++] = path[i++];
      isAfterDotSegment = false;
      continue;
    }
    let end = i + 1;
    while (end < len && path[end] !== SLASH) end++;
    const segmentLength = end - i - 1;
    if (segmentLength === 1 && path[i + 1] === DOT) {
      i = end;
      isAfterDotSegment = true;
      continue;
    }
    if (segmentLength === 2 && path[i + 1] === DOT && path[i + 2] === DOT) {
      while (n > 0 && out[n - 1] !== SLASH) n--;
      if (n > 0) n--;
      i = end;
      isAfterDotSegment = true;
      continue;
    }
    // A final "/" right after a dot segment is dropped.
    if (segmentLength === 0 && end === len && isAfterDotSegment) break;
    for (let k = i; k < end; k++) out[n++] = path[k];
    i = end;
    isAfterDotSegment = false;
  }
  return out.slice(0, n);
}

function startsWithAt(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Runs the whole path normalisation: decoding, UTF-8 best fit, dot segments. */
export function normalizePath(path: Uint8Array): NormalizedPath {
  const decoded = decodePath(path);
  const narrowed = utf8BestFit(decoded.bytes);
  return { bytes: removeDotSegments(narrowed.bytes), flags: decoded.flags | narrowed.flags };
}

/** The normalised URI and the UriFlag bits raised while building it. */
export interface NormalizedUri {
  uri: Uint8Array;
  flags: number;
}

/** Builds the `http.uri` bytes from a parsed target: path, `?query`, `#fragment`. */
export function normalizeUri(parsed: ParsedUri): NormalizedUri {
  let path: Uint8Array = new Uint8Array(0);
  let flags = 0;
  if (parsed.path !== null) {
    const normalized = normalizePath(parsed.path);
    path = normalized.bytes;
    flags = normalized.flags;
  }
  const query = parsed.query === null ? null : decodeComponent(parsed.query);
  const fragment = parsed.fragment === null ? null : decodeComponent(parsed.fragment);
  let total = path.length;
  if (query !== null) total += 1 + query.length;
  if (fragment !== null) total += 1 + fragment.length;
  const uri = new Uint8Array(total);
  uri.set(path, 0);
  let at = path.length;
  if (query !== null) {
    uri[at++] = QUESTION;
    uri.set(query, at);
    at += query.length;
  }
  if (fragment !== null) {
    uri[at++] = HASH;
    uri.set(fragment, at);
  }
  return { uri, flags };
}

/**
 * Normalises a host name as libhtp does for `http.host`: ASCII lower case,
 * and trailing dots removed. The port is already split off by the caller.
 */
export function normalizeHostname(host: Uint8Array): Uint8Array {
  let end = host.length;
  while (end > 0 && host[end - 1] === DOT) end--;
  const out = new Uint8Array(end);
  for (let i = 0; i < end; i++) {
    const c = host[i];
    out[i] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  }
  return out;
}
