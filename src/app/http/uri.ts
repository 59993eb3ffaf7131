/**
 * Request-target parsing and normalisation, as libhtp does it with the IDS
 * server personality that Suricata 8 uses by default:
 *
 * - The target splits into scheme, authority (only after a scheme), path,
 *   query and fragment. `//x/y` without a scheme is a path.
 * - The path is percent-decoded (%HH, and %uHHHH to one byte), encoded
 *   separators (%2f) are decoded, backslashes become slashes, runs of
 *   slashes are compressed, then the dot segments are removed (RFC 3986
 *   section 5.2.4). An invalid escape keeps its percent sign.
 * - The query is kept as sent; the fragment is percent-decoded.
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
} as const;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Splits a request target. The method matters only for CONNECT, whose
 * target is an authority (`host:port`).
 */
export function parseUri(target: Uint8Array, isConnect: boolean): ParsedUri {
  const out: ParsedUri = { scheme: null, hostname: null, port: null, path: null, query: null, fragment: null };
  const len = target.length;
  if (len === 0) return out;
  if (isConnect) {
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
      if (i + 5 < len && (path[i + 1] === 0x75 || path[i + 1] === 0x55)) {
        const h1 = hexValue(path[i + 2]);
        const h2 = hexValue(path[i + 3]);
        const h3 = hexValue(path[i + 4]);
        const h4 = hexValue(path[i + 5]);
        if (h1 >= 0 && h2 >= 0 && h3 >= 0 && h4 >= 0) {
          c = bestFitByte((h1 << 4) | h2, (h3 << 4) | h4);
          if (c < 0) {
            c = QUESTION_MARK_BYTE;
            flags |= UriFlag.BESTFIT_REPLACED;
          }
          flags |= UriFlag.U_ENCODED;
          i += 5;
        } else {
          flags |= UriFlag.INVALID_ENCODING;
        }
      } else if (i + 2 < len && hexValue(path[i + 1]) >= 0 && hexValue(path[i + 2]) >= 0) {
        c = (hexValue(path[i + 1]) << 4) | hexValue(path[i + 2]);
        i += 2;
        if (c === PERCENT && i + 2 < len && hexValue(path[i + 1]) >= 0 && hexValue(path[i + 2]) >= 0) flags |= UriFlag.DOUBLE_ENCODED;
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
 * Maps a %u code point to one byte: code points below 0x100 are the byte
 * itself, the full-width forms U+FF01..U+FF5E map to their ASCII letters,
 * and anything else returns -1 (the caller writes '?').
 */
function bestFitByte(high: number, low: number): number {
  if (high === 0) return low;
  if (high === 0xff && low <= 0x5e) return low + 0x20;
  // NOTE: libhtp also maps a table of other code points (accented letters
  // and similar) to ASCII look-alikes; kapu replaces them all with '?'.
  return -1;
}

/** Removes `.` and `..` segments (RFC 3986 section 5.2.4), in a new array. */
export function removeDotSegments(path: Uint8Array): Uint8Array {
  const out = new Uint8Array(path.length);
  let n = 0;
  let i = 0;
  const len = path.length;
  while (i < len) {
    // A: drop a leading "../" or "./".
    if (startsWithAt(path, i, '../')) {
      i += 3;
      continue;
    }
    if (startsWithAt(path, i, './')) {
      i += 2;
      continue;
    }
    // B: "/./" or a final "/." becomes "/".
    if (startsWithAt(path, i, '/./')) {
      i += 2;
      continue;
    }
    if (i + 2 === len && path[i] === SLASH && path[i + 1] === DOT) {
      out[n++] = SLASH;
      break;
    }
    // C: "/../" or a final "/.." becomes "/" and drops the last output segment.
    if (startsWithAt(path, i, '/../') || (i + 3 === len && path[i] === SLASH && path[i + 1] === DOT && path[i + 2] === DOT)) {
      while (n > 0 && out[n - 1] !== SLASH) n--;
      if (n > 0) n--;
      if (i + 3 === len) {
        out[n++] = SLASH;
        break;
      }
      i += 3;
      continue;
    }
    // D: a lone "." or "..".
    if ((i + 1 === len && path[i] === DOT) || (i + 2 === len && path[i] === DOT && path[i + 1] === DOT)) break;
    // E: move the first segment, with its leading slash, to the output.
    if (path[i] === SLASH) out[n++] = path[i++];
    while (i < len && path[i] !== SLASH) out[n++] = path[i++];
  }
  return out.slice(0, n);
}

function startsWithAt(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Decodes %HH escapes only; an invalid escape is kept as sent. */
export function percentDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === PERCENT && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1]);
      const low = hexValue(bytes[i + 2]);
      if (high >= 0 && low >= 0) {
        out[n++] = (high << 4) | low;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.slice(0, n);
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
    const decoded = decodePath(parsed.path);
    flags = decoded.flags;
    path = removeDotSegments(decoded.bytes);
  }
  const query = parsed.query;
  const fragment = parsed.fragment === null ? null : percentDecode(parsed.fragment);
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
