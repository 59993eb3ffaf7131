/**
 * Content-based detection of HTTP/1.x: a request starts with a known
 * method and a space, a response with "HTTP/". Like Suricata's HTTP
 * probe, the check looks at the first bytes of a direction only.
 */

const METHODS: readonly string[] = [
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH', 'PROPFIND', 'PROPPATCH',
  'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT', 'CHECKOUT', 'MERGE', 'SUBSCRIBE', 'NOTIFY',
];

const RESPONSE_PREFIX = 'HTTP/';

/** Checks whether bytes[start, start+length) begin with `text` (ASCII), or could once more bytes arrive. */
function prefixState(bytes: Uint8Array, start: number, length: number, text: string): 'yes' | 'no' | 'need_more' {
  const n = Math.min(length, text.length);
  for (let i = 0; i < n; i++) if (bytes[start + i] !== text.charCodeAt(i)) return 'no';
  return length >= text.length ? 'yes' : 'need_more';
}

/** Tells whether the first bytes of a direction look like HTTP/1.x. */
export function probeHttp(bytes: Uint8Array, start: number, length: number, direction: number): 'yes' | 'no' | 'need_more' {
  if (length <= 0) return 'need_more';
  if (direction === 1) return prefixState(bytes, start, length, RESPONSE_PREFIX);
  let result: 'yes' | 'no' | 'need_more' = 'no';
  for (const method of METHODS) {
    const state = prefixState(bytes, start, length, method + ' ');
    if (state === 'yes') return 'yes';
    if (state === 'need_more') result = 'need_more';
  }
  return result;
}
