/**
 * The `http` object of EVE events (event_type http, and inside alerts and
 * fileinfo). It follows Suricata 8's field order for HTTP/1.x with
 * extended logging on, as in the stock config: hostname, http_port, url,
 * http_user_agent, http_content_type, http_refer, http_method, protocol,
 * status, redirect, length. request_headers and response_headers follow
 * when configured. Absent values are left out.
 *
 * Built once per transaction, as a JSON text fragment.
 */
import { latin1, type HttpHeaderTable, type HttpTransaction } from './state.js';

/** Options of the http EVE logger. */
export interface HttpEveOptions {
  /**
   * Add the extended fields (http_refer, http_method, protocol, status,
   * redirect, length), EVE `extended: yes`. Without it the object has
   * hostname, http_port, url, http_user_agent and http_content_type.
   */
  isExtended: boolean;
  /** Log the request or response header fields (EVE `dump-all-headers`). */
  dumpAllHeaders: 'none' | 'request' | 'response' | 'both';
}

/**
 * Default options: extended, no header dumps, as Suricata's stock config.
 * The http object of alerts and fileinfo events always has this form.
 */
export const DEFAULT_HTTP_EVE_OPTIONS: HttpEveOptions = { isExtended: true, dumpAllHeaders: 'none' };

/**
 * Renders bytes as Suricata's EVE writer does for protocol fields:
 * printable ASCII and space as they are, any other byte as the text
 * `\xHH` (lower-case hex), then JSON-escaped.
 */
export function eveString(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c >= 0x20 && c <= 0x7e) text += String.fromCharCode(c);
    else text += '\\x' + (c < 0x10 ? '0' : '') + c.toString(16);
  }
  return JSON.stringify(text);
}

/** Returns the header value up to the first ';' (media type without parameters). */
function mediaType(value: Uint8Array): Uint8Array {
  const semi = value.indexOf(0x3b);
  return semi < 0 ? value : value.subarray(0, semi);
}

/** Returns the Host header's port, or -1 when it has none. */
function hostPort(tx: HttpTransaction): number {
  const host = tx.requestHeaders.get('host');
  if (host === null) return -1;
  const text = latin1(host);
  const match = /:(\d{1,5})$/.exec(text);
  if (match === null || text.startsWith('[') && !text.includes(']:')) return -1;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535 ? port : -1;
}

function headerArray(headers: HttpHeaderTable): string {
  const parts: string[] = [];
  for (let i = 0; i < headers.size; i++) {
    parts.push(`{"name":${eveString(headers.names[i])},"value":${eveString(headers.values[i])}}`);
  }
  return `[${parts.join(',')}]`;
}

/** Builds the JSON text of the `http` object of one transaction. */
export function buildHttpEve(tx: HttpTransaction, options: HttpEveOptions = DEFAULT_HTTP_EVE_OPTIONS): string {
  const fields: string[] = [];
  if (tx.hostname !== null) fields.push(`"hostname":${eveString(tx.hostname)}`);
  const port = hostPort(tx);
  if (port > 0) fields.push(`"http_port":${port}`);
  if (tx.uriRaw !== null) fields.push(`"url":${eveString(tx.uriRaw)}`);
  const userAgent = tx.requestHeaders.get('user-agent');
  if (userAgent !== null) fields.push(`"http_user_agent":${eveString(userAgent)}`);
  const contentType = tx.responseHeaders.get('content-type');
  if (contentType !== null) fields.push(`"http_content_type":${eveString(mediaType(contentType))}`);
  if (options.isExtended) fields.push(...extendedFields(tx));
  const dump = options.dumpAllHeaders;
  if (dump === 'request' || dump === 'both') fields.push(`"request_headers":${headerArray(tx.requestHeaders)}`);
  if (dump === 'response' || dump === 'both') fields.push(`"response_headers":${headerArray(tx.responseHeaders)}`);
  return `{${fields.join(',')}}`;
}

function extendedFields(tx: HttpTransaction): string[] {
  const fields: string[] = [];
  const referer = tx.requestHeaders.get('referer');
  if (referer !== null) fields.push(`"http_refer":${eveString(referer)}`);
  if (tx.method !== null) fields.push(`"http_method":${eveString(tx.method)}`);
  if (tx.requestProtocol !== null) fields.push(`"protocol":${eveString(tx.requestProtocol)}`);
  if (tx.statusCode > 0) {
    fields.push(`"status":${tx.statusCode}`);
    const location = tx.responseHeaders.get('location');
    if (location !== null) fields.push(`"redirect":${eveString(location)}`);
  }
  fields.push(`"length":${tx.responseBodyWireLength}`);
  return fields;
}
