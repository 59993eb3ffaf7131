import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HTTP_EVENT_NAMES } from './events.js';
import { parseHeaderField, parseRequestLine, parseStatusLine } from './parser.js';
import { HttpState } from './state.js';

const enc = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const str = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('latin1'));

/** Returns bytes from hex rows written as "offset  hex bytes  |ascii|"; only the hex part is read. */
function hexRows(rows: string): Uint8Array {
  const out: number[] = [];
  for (const row of rows.trim().split('\n')) {
    const hex = row.trim().split(/\s{2,}/)[1];
    for (const byte of hex.split(' ')) out.push(parseInt(byte, 16));
  }
  return Uint8Array.from(out);
}

test('request line plain', () => {
  const parts = parseRequestLine(enc('GET /index.html HTTP/1.0'));
  assert.equal(str(parts.method), 'GET');
  assert.equal(str(parts.uri), '/index.html');
  assert.equal(str(parts.protocol), 'HTTP/1.0');
});

test('request line splits at last space', () => {
  // libhtp with spaces allowed in the target: "GET / HTTP  / 01.10"
  // gives the target "/ HTTP  /" and the protocol "01.10".
  const parts = parseRequestLine(enc('GET / HTTP  / 01.10'));
  assert.equal(str(parts.uri), '/ HTTP  /');
  assert.equal(str(parts.protocol), '01.10');
});

test('request line method only', () => {
  const parts = parseRequestLine(enc('OPTIONS'));
  assert.equal(str(parts.method), 'OPTIONS');
  assert.equal(parts.uri, null);
  assert.equal(parts.protocol, null);
});

test('request line target without protocol', () => {
  const parts = parseRequestLine(enc('OPTIONS HTTP/1.1'));
  assert.equal(str(parts.uri), 'HTTP/1.1');
  assert.equal(parts.protocol, null);
});

test('request line tab delimiters', () => {
  const parts = parseRequestLine(enc('GET\t/a\tHTTP/1.1'));
  assert.equal(parts.hasMethodDelimiterNonSpace, true);
  assert.equal(parts.hasUriDelimiterNonSpace, true);
  assert.equal(str(parts.uri), '/a');
  assert.equal(str(parts.protocol), 'HTTP/1.1');
});

test('status line parts', () => {
  const parts = parseStatusLine(enc('HTTP/1.1 404 Not Found'));
  assert.equal(str(parts.protocol), 'HTTP/1.1');
  assert.equal(parts.code, 404);
  assert.equal(str(parts.message), 'Not Found');
  assert.equal(parseStatusLine(enc('HTTP/1.1 2x0 OK')).code, -1);
});

test('header field parts', () => {
  const field = parseHeaderField(enc('Content-Type:  text/html \t'));
  assert.equal(str(field.name), 'Content-Type');
  assert.equal(str(field.value), 'text/html');
  assert.equal(field.isNameInvalid, false);
  // RFC 9112 section 5.1: no whitespace between name and colon.
  assert.equal(parseHeaderField(enc('Host : x')).isNameInvalid, true);
  assert.equal(parseHeaderField(enc('NoColon')).hasColon, false);
});

test('chunked response from hex rows', () => {
  // Status line, Transfer-Encoding: chunked, then chunks "4" and "0" with
  // a trailer field.
  const response = hexRows(`
    0000  48 54 54 50 2f 31 2e 31 20 32 30 30 20 4f 4b 0d  |HTTP/1.1 200 OK.|
    0010  0a 54 72 61 6e 73 66 65 72 2d 45 6e 63 6f 64 69  |.Transfer-Encodi|
    0020  6e 67 3a 20 63 68 75 6e 6b 65 64 0d 0a 0d 0a 34  |ng: chunked....4|
    0030  0d 0a 57 69 6b 69 0d 0a 30 0d 0a 58 2d 54 3a 20  |..Wiki..0..X-T: |
    0040  31 0d 0a 0d 0a                                   |1....|
  `);
  const state = new HttpState();
  const request = enc('GET /w HTTP/1.1\r\nHost: h\r\n\r\n');
  state.handleData(0, request, 0, request.length, 0);
  state.handleData(1, response, 0, response.length, 0);
  const tx = state.transactions[0];
  assert.equal(str(tx.responseBody.view()), 'Wiki');
  assert.equal(str(tx.responseHeaders.get('x-t')), '1');
  assert.ok(tx.isResponseComplete);
  assert.deepEqual(tx.events, []);
});

test('delimiter events', () => {
  const state = new HttpState();
  const request = enc('GET\t/a\tHTTP/1.1\r\nHost: h\r\n\r\n');
  state.handleData(0, request, 0, request.length, 0);
  assert.deepEqual(state.transactions[0].events.map((e) => HTTP_EVENT_NAMES[e]).sort(), ['method_delim_non_compliant', 'uri_delim_non_compliant']);
});

test('http 0.9 response is body', () => {
  const state = new HttpState();
  const request = enc('GET /\r\n\r\n');
  const response = enc('<html>old</html>');
  state.handleData(0, request, 0, request.length, 0);
  state.handleData(1, response, 0, response.length, 0);
  state.handleEnd(1);
  const tx = state.transactions[0];
  assert.equal(tx.isHttp09, true);
  assert.equal(str(tx.responseBody.view()), '<html>old</html>\r\n');
  assert.equal(tx.hasEvent(HTTP_EVENT_NAMES.indexOf('response_invalid_protocol')), false);
});

test('chunked http 1.0 response event', () => {
  const state = new HttpState();
  const request = enc('GET / HTTP/1.0\r\n\r\n');
  const response = enc('HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n');
  state.handleData(0, request, 0, request.length, 0);
  state.handleData(1, response, 0, response.length, 0);
  assert.deepEqual(state.transactions[0].events.map((e) => HTTP_EVENT_NAMES[e]), ['response_chunked_old_proto']);
});

test('request line cut by close event', () => {
  const state = new HttpState();
  const request = enc('GET /partial');
  state.handleData(0, request, 0, request.length, 0);
  state.handleEnd(0);
  const tx = state.transactions[0];
  assert.equal(str(tx.uriRaw), '/partial');
  assert.ok(tx.events.map((e) => HTTP_EVENT_NAMES[e]).includes('request_line_incomplete'));
});

test('random input never throws', () => {
  // Seeded bytes biased towards HTTP's own characters, so the parser
  // reaches headers, chunk sizes and bodies, fed in random splits.
  const alphabet = enc('GET POST HTTP/1.1 200 \r\n:;0123456789abcdefxyz%u/.-Content-Length: Transfer-Encoding: chunked gzip\x00\xff\t');
  let x = 20261204;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  for (let round = 0; round < 200; round++) {
    const state = new HttpState();
    for (let piece = 0; piece < 20; piece++) {
      const length = 1 + (next() % 64);
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = alphabet[next() % alphabet.length];
      assert.doesNotThrow(() => state.handleData(next() % 2, bytes, 0, length, 0));
    }
    assert.doesNotThrow(() => {
      state.handleGap(0, 10);
      state.handleEnd(0);
      state.handleEnd(1);
    });
  }
});
