import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { HttpEvent, HTTP_EVENT_NAMES } from './events.js';
import { ALL_FILE_HASHES, CONNECT_HOLD_LIMIT_BYTES, FileHash, defaultHttpConfig, HttpState, type HttpConfig, type HttpTransaction } from './state.js';
import { getHttpBuffer } from './detect.js';
import { buildHttpEve } from './eve.js';

const enc = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const str = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('latin1'));

/** A small linear congruential generator, so split points repeat from run to run. */
function splitPoints(length: number, seed: number): number[] {
  let x = seed;
  const points: number[] = [];
  let at = 0;
  while (at < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    at += 1 + (x % 23);
    points.push(Math.min(at, length));
  }
  return points;
}

type Feed = 'whole' | 'bytes' | 'random';

function run(request: Uint8Array, response: Uint8Array, feed: Feed, config = defaultHttpConfig()): HttpState {
  const state = new HttpState(config);
  for (const [direction, data] of [[0, request], [1, response]] as const) {
    if (feed === 'whole') {
      state.handleData(direction, data, 0, data.length, 0);
    } else if (feed === 'bytes') {
      for (let i = 0; i < data.length; i++) state.handleData(direction, data, i, 1, 0);
    } else {
      let from = 0;
      for (const to of splitPoints(data.length, 7 + direction)) {
        state.handleData(direction, data, from, to - from, 0);
        from = to;
      }
    }
    state.handleEnd(direction);
  }
  return state;
}

/** Returns the records a feed produced, as plain values. */
function summary(tx: HttpTransaction): unknown {
  return {
    method: str(tx.method),
    uriRaw: str(tx.uriRaw),
    uri: str(tx.uri),
    host: str(tx.hostname),
    status: tx.statusCode,
    requestHeaders: tx.requestHeaders.values.map((v) => str(v)),
    responseHeaders: tx.responseHeaders.values.map((v) => str(v)),
    requestBody: str(tx.requestBody.view()),
    responseBody: str(tx.responseBody.view()),
    events: tx.events.map((e) => HTTP_EVENT_NAMES[e]).sort(),
    files: tx.files.map((f) => [str(f.name), f.size, f.state, f.md5]),
  };
}

// Two pipelined requests (the second with a chunked body) and their
// responses: the first gzip-encoded with a Content-Length, the second
// chunked with a folded header field.
const GZIP_BODY = gzipSync(Buffer.from('<html>compressed page</html>'));
const PIPELINED_REQUEST = enc(
  'GET /a/b/../c.php?q=%41 HTTP/1.1\r\n' +
  'Host: WWW.Example.com:8080\r\n' +
  'User-Agent: SuriTester/0.8\r\n' +
  'User-Agent: GGGG\r\n' +
  'Cookie: session=1\r\n' +
  '\r\n' +
  'POST /upload HTTP/1.1\r\n' +
  'Host: www.example.com\r\n' +
  'Transfer-Encoding: chunked\r\n' +
  '\r\n' +
  '5\r\nhello\r\n' +
  '6;ext=1\r\n world\r\n' +
  '0\r\n\r\n',
);
const PIPELINED_RESPONSE = new Uint8Array(Buffer.concat([
  Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\nContent-Length: ${GZIP_BODY.length}\r\nSet-Cookie: id=2\r\n\r\n`, 'latin1'),
  GZIP_BODY,
  Buffer.from('HTTP/1.1 201 Created\r\nX-Folded: first\r\n  second\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'latin1'),
]));

test('http records same for every split', () => {
  const whole = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole').transactions.map(summary);
  const bytes = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'bytes').transactions.map(summary);
  const random = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'random').transactions.map(summary);
  assert.deepEqual(bytes, whole);
  assert.deepEqual(random, whole);
});

test('http pipelined transactions in order', () => {
  const state = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole');
  assert.equal(state.transactions.length, 2);
  const [first, second] = state.transactions;
  assert.equal(first.txId, 0);
  assert.equal(str(first.method), 'GET');
  assert.equal(str(first.uriRaw), '/a/b/../c.php?q=%41');
  // Dot segments removed from the path, the query percent-decoded.
  assert.equal(str(first.uri), '/a/c.php?q=A');
  assert.equal(first.statusCode, 200);
  assert.equal(str(first.responseBody.view()), '<html>compressed page</html>');
  assert.equal(second.txId, 1);
  assert.equal(str(second.method), 'POST');
  assert.equal(str(second.requestBody.view()), 'hello world');
  assert.equal(second.statusCode, 201);
  assert.equal(str(second.responseBody.view()), 'abc');
  assert.ok(first.isRequestComplete);
  assert.ok(first.isResponseComplete);
  assert.ok(second.isRequestComplete);
  assert.ok(second.isResponseComplete);
});

test('http duplicate headers joined', () => {
  const tx = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole').transactions[0];
  // Suricata's documentation: two User-Agent fields give "SuriTester/0.8, GGGG".
  assert.equal(str(getHttpBuffer(tx, 'http.user_agent', 0)), 'SuriTester/0.8, GGGG');
});

test('http folded header joined', () => {
  const tx = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole').transactions[1];
  assert.equal(str(tx.responseHeaders.get('x-folded')), 'first second');
  assert.ok(!tx.hasEvent(HttpEvent.INVALID_RESPONSE_FIELD_FOLDING));
});

test('http header buffers', () => {
  const tx = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole').transactions[0];
  // http.header leaves out Cookie and has no extra CRLF at the end.
  assert.equal(str(getHttpBuffer(tx, 'http.header', 0)), 'Host: WWW.Example.com:8080\r\nUser-Agent: SuriTester/0.8, GGGG\r\n');
  assert.equal(str(getHttpBuffer(tx, 'http.cookie', 0)), 'session=1');
  assert.equal(str(getHttpBuffer(tx, 'http.cookie', 1)), 'id=2');
  assert.equal(str(getHttpBuffer(tx, 'http.header_names', 0)), '\r\nHost\r\nUser-Agent\r\nCookie\r\n\r\n');
  assert.equal(
    str(getHttpBuffer(tx, 'http.start', 0)),
    'GET /a/b/../c.php?q=%41 HTTP/1.1\r\nHost: WWW.Example.com:8080\r\nUser-Agent: SuriTester/0.8, GGGG\r\nCookie: session=1\r\n\r\n',
  );
  assert.equal(
    str(getHttpBuffer(tx, 'http.header.raw', 0)),
    'Host: WWW.Example.com:8080\r\nUser-Agent: SuriTester/0.8\r\nUser-Agent: GGGG\r\nCookie: session=1\r\n\r\n',
  );
  assert.equal(str(getHttpBuffer(tx, 'http.request_line', 0)), 'GET /a/b/../c.php?q=%41 HTTP/1.1');
  assert.equal(str(getHttpBuffer(tx, 'http.response_line', 1)), 'HTTP/1.1 200 OK');
  assert.equal(str(getHttpBuffer(tx, 'http.protocol', 0)), 'HTTP/1.1');
  assert.equal(str(getHttpBuffer(tx, 'http.stat_code', 1)), '200');
  assert.equal(str(getHttpBuffer(tx, 'http.stat_msg', 1)), 'OK');
  assert.equal(str(getHttpBuffer(tx, 'http.content_type', 1)), 'text/html; charset=utf-8');
  assert.equal(str(getHttpBuffer(tx, 'file.data', 1)), '<html>compressed page</html>');
  // Request buffers do not exist in the response direction.
  assert.equal(getHttpBuffer(tx, 'http.uri', 1), null);
  assert.equal(getHttpBuffer(tx, 'http.stat_code', 0), null);
});

test('http host normalised and raw', () => {
  const tx = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole').transactions[0];
  assert.equal(str(getHttpBuffer(tx, 'http.host', 0)), 'www.example.com');
  assert.equal(str(getHttpBuffer(tx, 'http.host.raw', 0)), 'WWW.Example.com:8080');
});

test('http host from absolute uri', () => {
  // Suricata's documentation: the URI's host wins over the Host header.
  const state = run(enc('GET http://Proxy.Example.ORG/x HTTP/1.1\r\nHost: other.example\r\n\r\n'), enc(''), 'whole');
  const tx = state.transactions[0];
  assert.equal(str(getHttpBuffer(tx, 'http.host', 0)), 'proxy.example.org');
  assert.equal(str(getHttpBuffer(tx, 'http.host.raw', 0)), 'Proxy.Example.ORG');
  assert.equal(str(getHttpBuffer(tx, 'http.uri', 0)), '/x');
  assert.equal(str(getHttpBuffer(tx, 'http.uri.raw', 0)), 'http://Proxy.Example.ORG/x');
  assert.deepEqual(tx.events.map((e) => HTTP_EVENT_NAMES[e]), ['host_header_ambiguous']);
});

test('http duplicate host headers', () => {
  // Suricata's documentation example for http.host and http.host.raw.
  const tx = run(enc('GET /test.html HTTP/1.1\r\nHost: ABC.com\r\nAccept: */*\r\nHost: efg.net\r\n\r\n'), enc(''), 'whole').transactions[0];
  assert.equal(str(getHttpBuffer(tx, 'http.host', 0)), 'abc.com, efg.net');
  assert.equal(str(getHttpBuffer(tx, 'http.host.raw', 0)), 'ABC.com, efg.net');
});

/** Returns the default limits with every file digest switched on. */
function hashingConfig(): HttpConfig {
  return { ...defaultHttpConfig(), fileHashes: ALL_FILE_HASHES };
}

test('http file hashes of decoded body', () => {
  const tx = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole', hashingConfig()).transactions[0];
  const plain = '<html>compressed page</html>';
  const file = tx.files[0];
  assert.equal(str(file.name), '/a/c.php');
  assert.equal(file.size, plain.length);
  assert.equal(file.state, 'CLOSED');
  assert.equal(file.md5, createHash('md5').update(plain).digest('hex'));
  assert.equal(file.sha1, createHash('sha1').update(plain).digest('hex'));
  assert.equal(file.sha256, createHash('sha256').update(plain).digest('hex'));
});

test('http md5 of known body', () => {
  // RFC 1321 appendix A.5 gives MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
  const tx = run(enc('GET /f HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'), 'whole', hashingConfig()).transactions[0];
  assert.equal(tx.files[0].md5, '900150983cd24fb0d6963f7d28e17f72');
});

test('http file digests off by default', () => {
  const tx = run(enc('GET /f HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'), 'whole').transactions[0];
  assert.equal(tx.files[0].size, 3);
  assert.equal(tx.files[0].md5, null);
  assert.equal(tx.files[0].sha1, null);
  assert.equal(tx.files[0].sha256, null);
});

test('http only requested sha256', () => {
  const config = { ...defaultHttpConfig(), fileHashes: FileHash.SHA256 };
  const tx = run(enc('GET /f HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'), 'random', config).transactions[0];
  assert.equal(tx.files[0].md5, null);
  // FIPS 180-2 appendix B.1: SHA-256("abc").
  assert.equal(tx.files[0].sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('http content disposition file name', () => {
  const response = enc('HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename="report 1.pdf"\r\nContent-Length: 2\r\n\r\nab');
  const tx = run(enc('GET /download?id=3 HTTP/1.1\r\nHost: h\r\n\r\n'), response, 'whole').transactions[0];
  assert.equal(str(tx.files[0].name), 'report 1.pdf');
});

test('http post body is file', () => {
  const tx = run(enc('POST /cgi-bin/up.cgi?x=1 HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello'), enc('HTTP/1.0 204 No Content\r\n\r\n'), 'whole').transactions[0];
  assert.equal(tx.files.length, 1);
  assert.equal(str(tx.files[0].name), '/cgi-bin/up.cgi');
  assert.equal(tx.files[0].direction, 0);
  assert.equal(tx.files[0].size, 5);
});

test('http multipart post has no file', () => {
  const request = enc('POST /f HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 4\r\n\r\n--x-');
  assert.equal(run(request, enc(''), 'whole').transactions[0].files.length, 0);
});

test('http empty body has no file', () => {
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 'whole').transactions[0];
  assert.equal(tx.files.length, 0);
});

test('http body until close truncated file on gap', () => {
  const state = new HttpState();
  const request = enc('GET /big HTTP/1.0\r\n\r\n');
  const response = enc('HTTP/1.0 200 OK\r\n\r\nfirst part ');
  state.handleData(0, request, 0, request.length, 0);
  state.handleData(1, response, 0, response.length, 0);
  state.handleGap(1, 100);
  state.handleEnd(1);
  const tx = state.transactions[0];
  assert.equal(tx.files[0].state, 'TRUNCATED');
  assert.equal(tx.files[0].md5, null);
  assert.ok(tx.isResponseComplete);
});

test('http body until close complete', () => {
  const tx = run(enc('GET /x HTTP/1.0\r\n\r\n'), enc('HTTP/1.0 200 OK\r\n\r\nall of it'), 'whole').transactions[0];
  assert.equal(str(tx.responseBody.view()), 'all of it');
  assert.equal(tx.files[0].state, 'CLOSED');
});

test('http head response has no body', () => {
  const state = run(
    enc('HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n'),
    enc('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'),
    'whole',
  );
  assert.equal(state.transactions.length, 2);
  assert.equal(state.transactions[0].statusCode, 200);
  assert.equal(state.transactions[0].files.length, 0);
  assert.equal(state.transactions[1].statusCode, 404);
});

test('http 100 continue then final', () => {
  const state = run(
    enc('POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok'),
    enc('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    'whole',
  );
  assert.equal(state.transactions.length, 1);
  assert.equal(state.transactions[0].statusCode, 200);
  assert.ok(state.transactions[0].isResponseComplete);
  assert.equal(state.transactions[0].hasEvent(HttpEvent.CONTINUE_ALREADY_SEEN), false);
});

test('http second 100 continue event', () => {
  const state = run(
    enc('POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n'),
    enc('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    'whole',
  );
  assert.deepEqual(state.transactions[0].events.map((e) => HTTP_EVENT_NAMES[e]), ['100_continue_already_seen']);
  assert.equal(state.eventCounts[HttpEvent.CONTINUE_ALREADY_SEEN], 1);
});

test('http connect tunnel skipped', () => {
  const state = run(
    enc('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01binary'),
    enc('HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03more'),
    'whole',
  );
  assert.equal(state.transactions.length, 1);
  const tx = state.transactions[0];
  assert.equal(str(tx.hostname), 'example.com');
  assert.equal(str(tx.uriRaw), 'example.com:443');
  assert.equal(tx.uri, null);
  assert.equal(tx.files.length, 0);
});

test('http connect refused keeps parsing', () => {
  const state = run(
    enc('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n'),
    enc('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    'bytes',
  );
  assert.equal(state.transactions.length, 2);
  assert.equal(state.transactions[0].statusCode, 407);
  assert.equal(str(state.transactions[1].uriRaw), '/next');
  assert.equal(state.transactions[1].statusCode, 200);
  assert.equal(str(state.transactions[1].responseBody.view()), 'ok');
});

test('http connect hold limit', () => {
  const extra = 'x'.repeat(70 * 1024);
  const state = run(enc(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n${extra}`), enc(''), 'whole');
  assert.equal(state.connectHoldDroppedBytes, 70 * 1024 - CONNECT_HOLD_LIMIT_BYTES);
});

test('http encoding layers limit event', () => {
  const body = gzipSync(gzipSync(gzipSync(Buffer.from('deep'))));
  const response = new Uint8Array(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip, gzip\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), response, 'whole').transactions[0];
  assert.ok(tx.hasEvent(HttpEvent.TOO_MANY_ENCODING_LAYERS));
  // Two layers decode, as Suricata's default layer limit allows.
  const twice = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), new Uint8Array(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\nContent-Length: ${gzipSync(gzipSync(Buffer.from('two'))).length}\r\n\r\n`), gzipSync(gzipSync(Buffer.from('two')))])), 'random').transactions[0];
  assert.equal(str(twice.responseBody.view()), 'two');
});

test('http decompression input limit', () => {
  const config = { ...defaultHttpConfig(), decompressInputLimit: 64 };
  const plain = Buffer.from(Array.from({ length: 4000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join(''));
  const body = gzipSync(plain, { level: 0 });
  const response = new Uint8Array(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), response, 'whole', config).transactions[0];
  // Only what the first 64 compressed bytes hold is decoded.
  assert.ok(tx.responseBodyLength > 0);
  assert.ok(tx.responseBodyLength < 64);
  assert.equal(str(tx.responseBody.view()), plain.subarray(0, tx.responseBodyLength).toString('latin1'));
  assert.ok(tx.hasEvent(HttpEvent.COMPRESSION_BOMB_LIMIT_REACHED));
});

test('http unexpected request body', () => {
  // A POST without Content-Length followed by a line that is no request.
  const state = run(enc('POST /f HTTP/1.1\r\nHost: h\r\n\r\nlogin=foo\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n'), enc(''), 'random');
  assert.equal(state.transactions.length, 2);
  assert.equal(str(state.transactions[0].requestBody.view()), 'login=foo\r\n');
  assert.ok(state.transactions[0].hasEvent(HttpEvent.REQUEST_BODY_UNEXPECTED));
  assert.equal(str(state.transactions[1].uriRaw), '/next');
});

test('http unrecognized auth event', () => {
  const unknown = run(enc('GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Turbo abc\r\n\r\n'), enc(''), 'whole');
  assert.ok(unknown.transactions[0].hasEvent(HttpEvent.REQUEST_AUTH_UNRECOGNIZED));
  const basic = run(enc('GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YTpi\r\n\r\n'), enc(''), 'whole');
  assert.equal(basic.transactions[0].hasEvent(HttpEvent.REQUEST_AUTH_UNRECOGNIZED), false);
});

test('http missing protocol event', () => {
  // The request of suricata-verify's http-not09 case: headers follow a
  // request line without protocol, and are parsed.
  const state = run(enc('GET /\r\nFakeHeader\r\nHost: localhost\r\nUser-Agent: myscript\r\n\r\n'), enc(''), 'whole');
  const tx = state.transactions[0];
  assert.ok(tx.hasEvent(HttpEvent.REQUEST_LINE_MISSING_PROTOCOL));
  assert.ok(tx.hasEvent(HttpEvent.REQUEST_FIELD_MISSING_COLON));
  assert.equal(str(getHttpBuffer(tx, 'http.user_agent', 0)), 'myscript');
});

test('http uri with spaces kept whole', () => {
  // suricata-verify http-uri-spaces: `curl "127.0.0.1:8000/uri afterspace"`.
  const tx = run(enc('GET /uri afterspace HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n'), enc(''), 'whole').transactions[0];
  assert.equal(str(tx.uri), '/uri afterspace');
  assert.equal(str(tx.requestProtocol), 'HTTP/1.1');
});

test('http invalid chunk length event', () => {
  const state = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nrest'), 'whole');
  const tx = state.transactions[0];
  assert.ok(tx.hasEvent(HttpEvent.INVALID_RESPONSE_CHUNK_LEN));
  // The rest of the direction is read as body.
  assert.equal(str(tx.responseBody.view()), 'zzrest');
});

test('http invalid content length event', () => {
  const state = run(enc('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12x\r\n\r\n'), enc(''), 'whole');
  assert.deepEqual(state.transactions[0].events.map((e) => HTTP_EVENT_NAMES[e]), ['invalid_content_length_field_in_request']);
});

test('http duplicate content length event', () => {
  // suricata-verify http-multiple-cl: two different values are ambiguous,
  // and the first one frames the body.
  const state = run(enc('POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\nxPOST /b HTTP/1.1\r\nHost: h\r\n\r\n'), enc(''), 'whole');
  assert.deepEqual(state.transactions[0].events.map((e) => HTTP_EVENT_NAMES[e]).sort(), ['duplicate_content_length_field_in_request', 'request_header_repetition']);
  assert.equal(str(state.transactions[0].requestBody.view()), 'x');
  assert.equal(str(getHttpBuffer(state.transactions[0], 'http.content_len', 0)), '1');
  assert.equal(str(state.transactions[1].uriRaw), '/b');
});

test('http same content length repeated', () => {
  const state = run(enc('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'), enc(''), 'whole');
  assert.deepEqual(state.transactions[0].events.map((e) => HTTP_EVENT_NAMES[e]), ['request_header_repetition']);
});

test('http header repetition limit', () => {
  const lines = Array.from({ length: 70 }, (_, i) => `X-A: ${i}\r\n`).join('');
  const tx = run(enc(`GET / HTTP/1.1\r\nHost: h\r\n${lines}\r\n`), enc(''), 'whole').transactions[0];
  // The first field and 64 merged repeats; the last 5 repeats are dropped.
  assert.equal(str(tx.requestHeaders.get('x-a'))?.split(', ').length, 65);
  assert.ok(tx.hasEvent(HttpEvent.REQUEST_HEADER_REPETITION));
});

test('http missing host event', () => {
  const state = run(enc('GET / HTTP/1.1\r\n\r\nGET / HTTP/1.0\r\n\r\n'), enc(''), 'whole');
  assert.ok(state.transactions[0].hasEvent(HttpEvent.MISSING_HOST_HEADER));
  // HTTP/1.0 does not require Host.
  assert.equal(state.transactions[1].hasEvent(HttpEvent.MISSING_HOST_HEADER), false);
});

test('http folding without field event', () => {
  const state = run(enc('GET / HTTP/1.1\r\n folded\r\nHost: h\r\n\r\n'), enc(''), 'whole');
  assert.ok(state.transactions[0].hasEvent(HttpEvent.INVALID_REQUEST_FIELD_FOLDING));
});

test('http leading whitespace event', () => {
  const state = run(enc(' GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(''), 'whole');
  assert.ok(state.transactions[0].hasEvent(HttpEvent.REQUEST_LINE_LEADING_WHITESPACE));
  assert.equal(str(state.transactions[0].method), 'GET');
});

test('http unmatched response event', () => {
  const state = run(enc(''), enc('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 'whole');
  assert.ok(state.transactions[0].hasEvent(HttpEvent.UNABLE_TO_MATCH_RESPONSE_TO_REQUEST));
});

test('http gzip failure passes body through', () => {
  // suricata-verify http-encoding-gzip-uncompressed: a body labelled gzip
  // that is not compressed is still inspected as sent.
  for (const feed of ['whole', 'bytes'] as const) {
    const state = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!'), feed);
    const tx = state.transactions[0];
    assert.ok(tx.hasEvent(HttpEvent.GZIP_DECOMPRESSION_FAILED), feed);
    assert.equal(str(tx.responseBody.view()), 'not gzip!!', feed);
  }
});

test('http deflate zlib and raw', () => {
  const plain = 'deflated text';
  for (const body of [deflateSync(Buffer.from(plain)), deflateSync(Buffer.from(plain)).subarray(2)]) {
    const response = new Uint8Array(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), response, 'random').transactions[0];
    assert.equal(str(tx.responseBody.view()), plain);
  }
});

test('http request body limit event', () => {
  const config = { ...defaultHttpConfig(), requestBodyLimit: 4 };
  const state = run(enc('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789'), enc(''), 'whole', config);
  const tx = state.transactions[0];
  assert.equal(str(tx.requestBody.view()), '0123');
  assert.equal(tx.requestBodyLength, 10);
  assert.ok(tx.hasEvent(HttpEvent.REQUEST_BODY_LIMIT_REACHED));
  assert.equal(state.eventCounts[HttpEvent.REQUEST_BODY_LIMIT_REACHED], 1);
});

test('http decompression limit event', () => {
  const config = { ...defaultHttpConfig(), decompressLimit: 1000 };
  const body = gzipSync(Buffer.alloc(200000, 0x41));
  const response = new Uint8Array(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  const state = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), response, 'whole', config);
  const tx = state.transactions[0];
  assert.ok(tx.hasEvent(HttpEvent.COMPRESSION_BOMB_LIMIT_REACHED));
  assert.ok(tx.responseBodyLength <= 1000);
});

test('http too many transactions event', () => {
  const config = { ...defaultHttpConfig(), maxTransactions: 3 };
  const request = enc('GET /1 HTTP/1.1\r\nHost: h\r\n\r\n'.repeat(5));
  const state = run(request, enc(''), 'whole', config);
  assert.equal(state.transactions.length, 3);
  assert.equal(state.transactions[0].txId, 2);
  assert.deepEqual(state.flowEvents.map((e) => HTTP_EVENT_NAMES[e]), ['too_many_transactions']);
  assert.equal(state.eventCounts[HttpEvent.TOO_MANY_TRANSACTIONS], 2);
});

test('http too many headers event', () => {
  const config = { ...defaultHttpConfig(), maxHeaders: 2 };
  const state = run(enc('GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n'), enc(''), 'whole', config);
  const tx = state.transactions[0];
  assert.ok(tx.hasEvent(HttpEvent.REQUEST_TOO_MANY_HEADERS));
  assert.equal(tx.requestHeaders.size, 2);
});

test('http field too long event', () => {
  const config = { ...defaultHttpConfig(), fieldLimit: 20 };
  const state = run(enc(`GET / HTTP/1.1\r\nHost: h\r\nX-Long: ${'a'.repeat(50)}\r\n\r\n`), enc(''), 'whole', config);
  assert.ok(state.transactions[0].hasEvent(HttpEvent.REQUEST_FIELD_TOO_LONG));
});

test('http remove completed transactions', () => {
  const state = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole');
  assert.equal(state.removeCompleted(1), 1);
  assert.equal(state.transactions.length, 1);
  assert.equal(state.transactions[0].txId, 1);
});

test('http eve object', () => {
  const tx = run(PIPELINED_REQUEST, PIPELINED_RESPONSE, 'whole').transactions[0];
  assert.deepEqual(JSON.parse(buildHttpEve(tx)), {
    hostname: 'www.example.com',
    http_port: 8080,
    url: '/a/b/../c.php?q=%41',
    http_user_agent: 'SuriTester/0.8, GGGG',
    http_content_type: 'text/html',
    http_method: 'GET',
    protocol: 'HTTP/1.1',
    status: 200,
    length: GZIP_BODY.length,
  });
  // Field order as Suricata writes it.
  assert.deepEqual(Object.keys(JSON.parse(buildHttpEve(tx, { isExtended: true, dumpAllHeaders: 'request' }))), [
    'hostname', 'http_port', 'url', 'http_user_agent', 'http_content_type', 'http_method', 'protocol', 'status', 'length', 'request_headers',
  ]);
  // Without extended logging (a bare `- http` in the eve-log types).
  assert.deepEqual(JSON.parse(buildHttpEve(tx, { isExtended: false, dumpAllHeaders: 'none' })), {
    hostname: 'www.example.com',
    http_port: 8080,
    url: '/a/b/../c.php?q=%41',
    http_user_agent: 'SuriTester/0.8, GGGG',
    http_content_type: 'text/html',
  });
});

test('http lenient chunk size lines', () => {
  // suricata-verify http-evader-008: the chunk-size lines are "f\r\r\n"
  // and "8\r\r\n" (a stray CR after the digits), hex rows from tshark.
  const body = Buffer.from(
    '660d0d0a58354f2150254041505b345c505a580d0a660d0d0a3534' +
    '28505e29374343293' + '77d244549' + '0d0a300d0a0d0a', 'hex').toString('latin1');
  const head = 'HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n';
  const expected = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EI';
  for (const feed of ['whole', 'bytes', 'random'] as const) {
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(head + body), feed).transactions[0];
    assert.equal(str(tx.responseBody.view()), expected, feed);
    assert.equal(tx.hasEvent(HttpEvent.INVALID_RESPONSE_CHUNK_LEN), false);
  }
  // http-evader-009, -014, -021, -018, -019: junk after the digits, a
  // leading VT, and empty lines before the size are all skipped.
  for (const sizeLine of ['fx\r\n', 'f x\r\n', '\x0bf\r\n', '\nf\r\n', '\r\n\r\nf\r\n', 'f\x00\r\n']) {
    const text = head + sizeLine + 'X5O!P%@AP[4\\PZX\r\n0\r\n\r\n';
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), 'whole').transactions[0];
    assert.equal(str(tx.responseBody.view()), 'X5O!P%@AP[4\\PZX', JSON.stringify(sizeLine));
  }
});

test('http bytes after chunk data dropped', () => {
  const text = 'HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcjunk\r\n2\r\nde\r\n0\r\n\r\n';
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), 'whole').transactions[0];
  assert.equal(str(tx.responseBody.view()), 'abcde');
});

test('http chunked anywhere in coding', () => {
  // suricata-verify http-evader-062 to -066 and -092: Suricata reads these
  // Transfer-Encoding values as chunked and finds the whole file.
  for (const value of ['chunked;', 'xchunked', 'chunkedx', 'chunked x', 'x chunked', ': chunked']) {
    const text = `HTTP/1.1 200 ok\r\nTransfer-Encoding: ${value}\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`;
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), 'whole').transactions[0];
    assert.equal(str(tx.responseBody.view()), 'abcde', value);
    assert.ok(tx.hasEvent(HttpEvent.RESPONSE_ABNORMAL_TRANSFER_ENCODING), value);
  }
});

test('http unframed chunked body kept', () => {
  // suricata-verify http-evader-044: "Transfer-Encoding: chunked" but the
  // body is sent raw with no line end before the close.
  const text = 'HTTP/1.0 200 ok\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nX5O!P%@AP[4';
  for (const feed of ['whole', 'bytes'] as const) {
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), feed).transactions[0];
    assert.equal(str(tx.responseBody.view()), 'X5O!P%@AP[4', feed);
    assert.ok(tx.hasEvent(HttpEvent.INVALID_RESPONSE_CHUNK_LEN));
  }
});

test('http loose framing header names', () => {
  // suricata-verify http-evader-291, -292, -293 (NUL bytes in the
  // Transfer-Encoding name and value) and -339 (VT before the colon).
  const chunked = '3\r\nabc\r\n0\r\n\r\n';
  for (const field of ['Transfer\x00-encoding:chunked', 'Transfer\x00-encoding:chun\x00ked', 'Transfer-Encoding\x00:chunked']) {
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(`HTTP/1.1 200 ok\r\n${field}\r\n\r\n${chunked}`), 'whole').transactions[0];
    assert.equal(str(tx.responseBody.view()), 'abc', JSON.stringify(field));
  }
  // http-evader-166, -170, -315, -329, -339: gzip found in odd values.
  const gz = gzipSync(Buffer.from('plain text'));
  for (const field of ['Content-Encoding:gzip x', 'Content-Encoding:x gzip', 'Content-Encoding:gz\x00ip', 'Content-Encoding:gzip;', 'Content-Encoding\x0b:gzip']) {
    const text = `HTTP/1.1 200 ok\r\nContent-Length: ${gz.length}\r\n${field}\r\n\r\n`;
    const response = Uint8Array.from(Buffer.concat([Buffer.from(text, 'latin1'), gz]));
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), response, 'whole').transactions[0];
    assert.equal(str(tx.responseBody.view()), 'plain text', JSON.stringify(field));
  }
});

test('http status line after blank lines', () => {
  // suricata-verify http-evader-481 (" \r\n" before the status line),
  // -494 (" \n"), -489 (a leading CR) and -390 (a leading NUL): libhtp
  // still reads a status line and headers, so the file keeps its name.
  const rest = 'HTTP/1.1 200 ok\r\nContent-disposition: attachment; filename="eicar.txt"\r\nContent-length: 3\r\n\r\nabc';
  for (const before of [' \r\n', ' \n', '\r', '\x00']) {
    const tx = run(enc('GET /x HTTP/1.1\r\nHost: h\r\n\r\n'), enc(before + rest), 'whole').transactions[0];
    assert.equal(tx.statusCode, 200, JSON.stringify(before));
    assert.equal(str(tx.responseBody.view()), 'abc', JSON.stringify(before));
    assert.ok(tx.responseHeaders.has('content-disposition'));
  }
});

test('http truncated compressed body decoded', () => {
  // suricata-verify http-evader-208: Content-Length promises more gzip
  // bytes than arrive before the close.
  const gz = gzipSync(Buffer.from('plain text'));
  const head = `HTTP/1.1 200 ok\r\nContent-Length: ${gz.length + 8}\r\nContent-Encoding: gzip\r\n\r\n`;
  const response = Uint8Array.from(Buffer.concat([Buffer.from(head, 'latin1'), gz.subarray(0, gz.length - 8)]));
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), response, 'whole').transactions[0];
  assert.equal(str(tx.responseBody.view()), 'plain text');
});

test('http 204 and 101 framed bodies', () => {
  // suricata-verify http-evader-450 (204 with Content-Length), -476 (204
  // chunked) and -448 (101 with Content-Length): libhtp reads the body.
  const cases: [string, string][] = [
    ['HTTP/1.1 204 ok\r\nContent-length: 3\r\n\r\nabc', 'abc'],
    ['HTTP/1.1 204 ok\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['HTTP/1.1 101 ok\r\nContent-length: 3\r\n\r\nabc', 'abc'],
  ];
  for (const [text, expected] of cases) {
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), 'whole').transactions[0];
    assert.equal(str(tx.responseBody.view()), expected, text.slice(0, 16));
  }
  // Without them a 204 still has no body.
  const state = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 204 ok\r\n\r\n'), 'whole');
  assert.equal(state.transactions[0].responseBodyLength, 0);
});

test('http response header line ends', () => {
  // suricata-verify http-evader-405 ("\n\r" line ends), -410
  // ("\n\r\r\n" then the body), -415 ("\n\r\r\n\r\n" then the body),
  // -425 (HT and bare LF then the body) and -423 (SP and bare LF, then LF).
  const cases: [string, string][] = [
    ['HTTP/1.1 200 ok\n\rContent-length: 3\n\rX: y\r\n\r\nabc', 'abc'],
    ['HTTP/1.1 200 ok\r\nContent-length: 3\n\r\r\nabc', 'abc'],
    ['HTTP/1.1 200 ok\r\nContent-length: 3\n\r\r\n\r\nabc', 'abc'],
    ['HTTP/1.1 200 ok\r\nContent-length: 3\n\t\nabc', 'abc'],
    ['HTTP/1.1 200 ok\r\nContent-length: 3\n \n\nabc', 'abc'],
    // http-evader-284: "\r\r\n" after a CRLF line is no end.
    ['HTTP/1.1 200 ok\r\nX: y\r\n\r\r\nContent-length: 3\r\n\r\nabc', 'abc'],
  ];
  for (const [text, expected] of cases) {
    for (const feed of ['whole', 'bytes'] as const) {
      const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), feed).transactions[0];
      assert.equal(str(tx.responseBody.view()), expected, `${JSON.stringify(text)} ${feed}`);
    }
  }
});

test('http response lines split at CR', () => {
  // suricata-verify http-evader-378 ("HTTP/1.1\rTransfer-Encoding:chunked"),
  // -182 (two fields joined by a CR) and -399 (every field ended by CR).
  const cases: [string, string][] = [
    ['HTTP/1.1\rTransfer-Encoding:chunked\r\nX: y\r\n\r\n3\r\nabc\r\n0\r\n\r\n', 'abc'],
    ['HTTP/1.1 200 ok\r\nX: y\rContent-Length: 3\r\n\r\nabc', 'abc'],
    ['HTTP/1.1 200 ok\rX: y\rContent-length: 3\r\n\nabc', 'abc'],
  ];
  for (const [text, expected] of cases) {
    for (const feed of ['whole', 'bytes'] as const) {
      const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), feed).transactions[0];
      assert.equal(str(tx.responseBody.view()), expected, `${JSON.stringify(text)} ${feed}`);
      assert.ok(tx.responseHeaders.has('x'));
    }
  }
});

test('http indented response field kept', () => {
  // suricata-verify http-evader-269: "Connection: close" then
  // "\tTransfer-Encoding: chunked"; Suricata finds the chunked file.
  const text = 'HTTP/1.1 200 ok\r\nConnection: close\r\n\tTransfer-Encoding: chunked\r\nX: y\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), 'whole').transactions[0];
  assert.equal(str(tx.responseBody.view()), 'abc');
  assert.equal(str(tx.responseHeaders.get('connection')), 'close');
  // A continuation without a colon still folds.
  const folded = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc('HTTP/1.1 200 ok\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n'), 'whole').transactions[0];
  assert.equal(str(folded.responseHeaders.get('x')), 'a b');
});

test('http NUL line folds into field', () => {
  // suricata-verify http-evader-307: "Transfer-Encoding:\n\0chunked\r\n".
  const text = 'HTTP/1.1 200 ok\r\nTransfer-Encoding:\n\x00chunked\r\nX: y\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
  for (const feed of ['whole', 'bytes'] as const) {
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), feed).transactions[0];
    assert.equal(str(tx.responseBody.view()), 'abc', feed);
  }
});

test('http statusless response is body', () => {
  // The lines after a first line that is no status line are body, not
  // header fields.
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc('hello there\r\nworld: x\r\n\r\nmore'), 'whole').transactions[0];
  assert.equal(str(tx.responseBody.view()), 'hello there\r\nworld: x\r\n\r\nmore');
  assert.equal(tx.responseHeaders.size, 0);
});

test('http junk line before status dropped', () => {
  // suricata-verify http-evader-488: " SIP/2.0 200 ok" comes before the
  // real status line; libhtp skips a non-HTTP line when the next one
  // starts with 'H'.
  const text = ' SIP/2.0 200 ok\r\nHTTP/1.1 200 ok\r\nContent-length: 3\r\n\r\nabc';
  for (const feed of ['whole', 'bytes'] as const) {
    const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), feed).transactions[0];
    assert.equal(tx.statusCode, 200, feed);
    assert.equal(str(tx.responseBody.view()), 'abc', feed);
  }
});

test('http lines after response body', () => {
  // suricata-verify http-gap-simple: "Hello World!" (Content-Length: 12)
  // and "\r\n" arrive in one read, so libhtp adds the line to the body
  // (a 14-byte file) and the status line after it starts the next response.
  const request = enc('GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n');
  const first = 'HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nHello World!\r\n';
  const second = 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi';
  const state = run(request, enc(first + second), 'whole');
  assert.equal(state.transactions.length, 2);
  assert.equal(str(state.transactions[0].responseBody.view()), 'Hello World!\r\n');
  assert.equal(state.transactions[0].files[0]?.size, 14);
  assert.equal(state.transactions[0].files[0]?.state, 'CLOSED');
  assert.equal(str(state.transactions[1].responseBody.view()), 'hi');

  // When the read ends with the body, the response is complete there and
  // a blank line in the next read is skipped before the next status line.
  const split = new HttpState();
  split.handleData(0, request, 0, request.length, 0);
  const head = enc(first.slice(0, -2));
  const rest = enc('\r\n' + second);
  split.handleData(1, head, 0, head.length, 0);
  split.handleData(1, rest, 0, rest.length, 0);
  assert.equal(split.transactions.length, 2);
  assert.equal(str(split.transactions[0].responseBody.view()), 'Hello World!');
  assert.equal(str(split.transactions[1].responseBody.view()), 'hi');
});

test('http interim response skips finalize', () => {
  // suricata-verify http-evader-447: a "100" response with headers, then
  // the file as a line of its own. An interim response has no body, so
  // the line starts the next response, here a body without status line.
  const text = 'HTTP/1.1 100 ok\r\nContent-length: 4\r\n\r\nDATA';
  const tx = run(enc('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), enc(text), 'whole').transactions[0];
  assert.equal(str(tx.responseBody.view()), 'DATA\r\n');
});

test('http gap inside response body', () => {
  // suricata-verify http-gap-simple: 14 of the 70 body bytes are missing.
  // Suricata counts them into the file size (70), logs gaps: true and
  // state TRUNCATED, and parses the next response after the body.
  const state = new HttpState();
  const request = enc('GET /2 HTTP/1.0\r\n\r\nGET /3 HTTP/1.0\r\n\r\n');
  state.handleData(0, request, 0, request.length, 0);
  const head = enc('HTTP/1.0 200 OK\r\nContent-Length: 70\r\n\r\n' + 'A'.repeat(14));
  state.handleData(1, head, 0, head.length, 0);
  state.handleGap(1, 14);
  const rest = enc('A'.repeat(42) + 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi');
  state.handleData(1, rest, 0, rest.length, 0);
  state.handleEnd(1);

  assert.equal(state.transactions.length, 2);
  const file = state.transactions[0].files[0];
  assert.equal(file?.size, 70);
  assert.equal(file?.hasGaps, true);
  assert.equal(file?.state, 'TRUNCATED');
  assert.equal(file?.md5, null);
  assert.equal(state.transactions[0].responseBodyWireLength, 70);
  assert.equal(state.transactions[1].statusCode, 200);
  assert.equal(str(state.transactions[1].responseBody.view()), 'hi');
  assert.equal(state.transactions[1].files[0]?.hasGaps, false);
});

test('http gap outside body truncates', () => {
  // A gap in the middle of a header section: the parser cannot know where
  // the next message starts, and the open file is cut.
  const state = new HttpState();
  const request = enc('GET / HTTP/1.0\r\n\r\n');
  state.handleData(0, request, 0, request.length, 0);
  const head = enc('HTTP/1.0 200 OK\r\nX: y');
  state.handleData(1, head, 0, head.length, 0);
  state.handleGap(1, 10);
  assert.equal(state.gapCount[1], 1);
  assert.equal(state.transactions[0].isResponseComplete, false);
});

test('http completed messages counted', () => {
  // Two requests, an interim 100 response and two final responses: the
  // counts that ask for raw stream inspection skip the interim one.
  const request = enc('POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nxGET /b HTTP/1.1\r\nHost: h\r\n\r\n');
  const response = enc('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
  const state = run(request, response, 'whole');
  assert.equal(state.completedMessages[0], 2);
  assert.equal(state.completedMessages[1], 2);
});
