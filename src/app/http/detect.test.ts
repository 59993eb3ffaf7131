import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAYLOAD_KEYWORDS } from '../../detect/keywords/payload-keywords.js';
import { ContentMatch } from '../../detect/keywords/content.js';
import { buildSignature } from '../../detect/test-support/signature-builder.js';
import type { Signature } from '../../detect/signature.js';
import { HTTP_KEYWORD_NAMES, HTTP_KEYWORDS, UrilenMatch, getHttpBuffer, getHttpBuffers } from './detect.js';
import { HttpState } from './state.js';
import { loadRulesFromText } from '../../detect/rule-files.js';

const KEYWORDS = [...PAYLOAD_KEYWORDS, ...HTTP_KEYWORDS];
const build = (body: string) => buildSignature(body, {}, KEYWORDS);

/** Returns the buffers of a signature with the text of each content, in chain order. */
function chains(sig: Signature): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const b of sig.buffers) {
    out[b.buffer] = b.matches.map((m) => (m instanceof ContentMatch ? Buffer.from(m.original).toString('latin1') : m.keyword));
  }
  return out;
}

test('legacy modifier moves content', () => {
  const { sig, errors } = build('content:"GET"; http_method; content:"/x.php"; http_uri; content:"payload";');
  assert.deepEqual(errors, []);
  assert.deepEqual(chains(sig), { 'pkt_data': ['payload'], 'http.method': ['GET'], 'http.uri': ['/x.php'] });
});

test('modifier keeps later modifiers working', () => {
  // nocase after http_uri still applies to the moved content, and
  // the next content goes back to the packet payload.
  const { sig, errors } = build('content:"ABC"; http_uri; nocase; content:"def"; content:"GHI"; http_header; distance:0;');
  assert.deepEqual(errors, []);
  const uri = sig.buffers.find((b) => b.buffer === 'http.uri')?.matches[0] as ContentMatch;
  assert.equal(uri.isNocase, true);
  const header = sig.buffers.find((b) => b.buffer === 'http.header')?.matches[0] as ContentMatch;
  assert.equal(header.hasDistance, true);
  assert.deepEqual(chains(sig)['pkt_data'], ['def']);
});

test('modifier without content rejected', () => {
  const { errors } = build('http_uri;');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'KAPU_ERR_RULE_NO_PREVIOUS_CONTENT');
});

test('modifier after sticky buffer rejected', () => {
  const { errors } = build('http.uri; content:"a"; http_header;');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'KAPU_ERR_RULE_CONFLICTING_OPTIONS');
});

test('every modifier targets its buffer', () => {
  const expected: [string, string][] = [
    ['http_uri', 'http.uri'], ['http_raw_uri', 'http.uri.raw'], ['http_method', 'http.method'], ['http_header', 'http.header'],
    ['http_raw_header', 'http.header.raw'], ['http_cookie', 'http.cookie'], ['http_user_agent', 'http.user_agent'],
    ['http_host', 'http.host'], ['http_raw_host', 'http.host.raw'], ['http_client_body', 'http.request_body'],
    ['http_server_body', 'http.response_body'], ['http_stat_code', 'http.stat_code'], ['http_stat_msg', 'http.stat_msg'],
  ];
  for (const [modifier, buffer] of expected) {
    const { sig, errors } = build(`content:"x"; ${modifier};`);
    assert.deepEqual(errors, [], modifier);
    assert.deepEqual(sig.buffers.map((b) => b.buffer), [buffer], modifier);
  }
});

test('sticky buffers and aliases select', () => {
  for (const [keyword, buffer] of [['http.uri', 'http.uri'], ['file_data', 'file.data'], ['http_request_line', 'http.request_line'], ['http.start', 'http.start'], ['http_header_names', 'http.header_names']]) {
    const { sig } = build(`${keyword}; content:"x";`);
    assert.deepEqual(sig.buffers.map((b) => b.buffer), [buffer], keyword);
  }
});

test('uricontent is content with http_uri', () => {
  const { sig, errors } = build('uricontent:"/frame.html?"; content:"POST ";');
  assert.deepEqual(errors, []);
  assert.deepEqual(chains(sig), { 'http.uri': ['/frame.html?'], 'pkt_data': ['POST '] });
});

test('urilen bounds', () => {
  const cases: [string, number, number, boolean][] = [
    ['3', 3, 3, false], ['>80', 81, Number.MAX_SAFE_INTEGER, false], ['<10', 0, 9, false],
    // Suricata's documentation: "10<>20" is bigger than 10 and smaller than 20.
    ['10<>20', 11, 19, false], ['> 5, raw', 6, Number.MAX_SAFE_INTEGER, true],
  ];
  for (const [value, min, max, isRaw] of cases) {
    const { sig, errors } = build(`urilen:${value};`);
    assert.deepEqual(errors, [], value);
    const buffer = sig.buffers[0];
    assert.equal(buffer.buffer, isRaw ? 'http.uri.raw' : 'http.uri', value);
    const m = buffer.matches[0] as UrilenMatch;
    assert.equal(m.min, min, value);
    assert.equal(m.max, max, value);
  }
  assert.equal(build('urilen:5,weird;').errors.length, 1);
  assert.equal(build('urilen:abc;').errors.length, 1);
});

test('urilen matches transaction', () => {
  const state = new HttpState();
  const request = Buffer.from('GET /a/../index.html HTTP/1.1\r\nHost: h\r\n\r\n', 'latin1');
  state.handleData(0, request, 0, request.length, 0);
  const tx = state.transactions[0];
  assert.equal(new UrilenMatch(11, 11, false).matchTx(tx, 0), true);
  assert.equal(new UrilenMatch(16, 16, true).matchTx(tx, 0), true);
  assert.equal(new UrilenMatch(11, 11, false).matchTx(tx, 1), false);
  assert.equal(Buffer.from(getHttpBuffer(tx, 'http.uri', 0) ?? []).toString(), '/index.html');
});

test('keyword names listed once', () => {
  assert.equal(new Set(HTTP_KEYWORD_NAMES).size, HTTP_KEYWORD_NAMES.length);
  for (const name of ['http.uri', 'http_uri', 'uricontent', 'urilen', 'file_data', 'file.data', 'http_client_body', 'http.request_body']) {
    assert.ok(HTTP_KEYWORD_NAMES.includes(name), name);
  }
});

test('request header instances per field', () => {
  const state = new HttpState();
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\nX-Key: 12\r\n\r\n', 'latin1');
  state.handleData(0, request, 0, request.length, 0);
  const tx = state.transactions[0];
  const lines = getHttpBuffers(tx, 'http.request_header', 0).map((b) => Buffer.from(b).toString('latin1'));
  // One instance per field, repeated names merged with ", ", no CRLF.
  assert.deepEqual(lines, ['Host: h', 'Accept: a, b', 'X-Key: 12']);
  assert.deepEqual(getHttpBuffers(tx, 'http.request_header', 1), []);
  assert.deepEqual(getHttpBuffers(tx, 'http.response_header', 1), []);
  // The single-buffer view the prefilter scans joins them.
  assert.equal(Buffer.from(getHttpBuffer(tx, 'http.request_header', 0) ?? []).toString('latin1'), 'Host: h\r\nAccept: a, b\r\nX-Key: 12\r\n');
});

/** Parses one rule with the real parser; returns its signature (or null) and the diagnostic messages. */
function parse(options: string): { sig: Signature | null; messages: string[] } {
  const result = loadRulesFromText(`alert http any any => any any (${options} sid:1;)\n`, 'rules/local.rules');
  return { sig: result.signatures[0] ?? null, messages: result.diagnostics.map((d) => d.message) };
}

test('sticky buffer direction argument', () => {
  const { sig, messages } = parse('http.connection: to_client; content:"close"; http.connection; content:"keep"; http.connection: to_server; content:"x";');
  assert.deepEqual(messages, []);
  assert.deepEqual(sig?.buffers.map((b) => [b.buffer, b.direction]), [
    ['http.connection', 1],
    ['http.connection', undefined],
    ['http.connection', 0],
  ]);
});

test('direction argument rejected', () => {
  assert.deepEqual(parse('http.connection: sideways; content:"x";').messages, [
    "http.connection: 'sideways' is not a direction (expected to_server or to_client)",
  ]);
  // A request-only buffer takes no direction.
  assert.deepEqual(parse('http.uri: to_client; content:"x";').messages, ["http.uri: 'http.uri' takes no value, found 'to_client'"]);
});

test('multi-buffer naming opens new chain', () => {
  const { sig } = parse('http.request_header; content:"a"; http.request_header; content:"b"; http.uri; content:"/"; http.uri; content:"x";');
  assert.deepEqual(sig === null ? null : chains(sig), { 'http.request_header': ['b'], 'http.uri': ['/', 'x'] });
  assert.equal(sig?.buffers.length, 3);
});

test('urilen keeps multi-buffer chain', () => {
  const { sig, messages } = parse('http.request_header; content:"a"; urilen:5; content:"b";');
  assert.deepEqual(messages, []);
  assert.deepEqual(sig?.buffers.map((b) => [b.buffer, b.matches.length]), [
    ['http.request_header', 2],
    ['http.uri', 1],
  ]);
});
