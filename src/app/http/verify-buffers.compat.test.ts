/**
 * Inspection buffers and events of suricata-verify cases. Each row takes
 * one case's rule and the alert count Suricata's checks expect, and turns
 * it into a check on the buffer this parser builds: a content that must
 * be present (the rule alerts) or absent (it does not). The rule of each
 * row is quoted beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTcpStreams } from '../common/test-streams.js';
import { getHttpBuffer } from './detect.js';
import { HTTP_EVENT_NAMES } from './events.js';
import { defaultHttpConfig, HttpState, type HttpConfig, type HttpTransaction } from './state.js';
import { CORPUS_DIR } from '../../../test/corpus-path.js';

function findVerifyDir(): string | null {
  const candidates = [process.env.KAPU_CORPUS, '../shared/corpus', CORPUS_DIR];
  for (const root of candidates) {
    if (root !== undefined && existsSync(join(root, 'suricata-verify'))) return join(root, 'suricata-verify');
  }
  return null;
}

const VERIFY_DIR = findVerifyDir();
const SKIP = VERIFY_DIR === null ? 'suricata-verify corpus not found (set KAPU_CORPUS)' : false;

/** Parses every TCP connection of a case's pcap; returns all transactions. */
function transactionsOf(pcap: string, config: HttpConfig = defaultHttpConfig()): HttpTransaction[] {
  const all: HttpTransaction[] = [];
  for (const conn of readTcpStreams(join(VERIFY_DIR ?? '', pcap))) {
    const state = new HttpState(config);
    for (const chunk of conn.chunks) state.handleData(chunk.direction, chunk.bytes, 0, chunk.bytes.length, 0);
    state.handleEnd(0);
    state.handleEnd(1);
    all.push(...state.transactions);
  }
  return all;
}

/** Counts the transactions whose buffer contains `pattern` (ASCII case-folded when `nocase`). */
function countContaining(txs: HttpTransaction[], buffer: string, direction: number, pattern: string | Uint8Array, nocase = false): number {
  const needle = typeof pattern === 'string' ? Buffer.from(pattern, 'latin1') : Buffer.from(pattern);
  let n = 0;
  for (const tx of txs) {
    const bytes = getHttpBuffer(tx, buffer, direction);
    if (bytes === null) continue;
    const haystack = Buffer.from(bytes);
    const found = nocase
      ? haystack.toString('latin1').toLowerCase().includes(needle.toString('latin1').toLowerCase())
      : haystack.indexOf(needle) >= 0;
    if (found) n++;
  }
  return n;
}

function eventCount(txs: HttpTransaction[], name: string): number {
  return txs.filter((tx) => tx.events.some((e) => HTTP_EVENT_NAMES[e] === name)).length;
}

test('verify http-raw-header', { skip: SKIP }, () => {
  // content:"Server|3a 20 20 20 20 20 20 20|Yx|28|"; http_raw_header; -> 1 alert
  const txs = transactionsOf('http-raw-header/input.pcap');
  assert.equal(countContaining(txs, 'http.header.raw', 1, 'Server:       Yx('), 1);
  // The normalised buffer has the value's inner spaces too, but not the raw form's line end.
  assert.equal(countContaining(txs, 'http.header', 1, 'Server: Yx(yw)'), 1);
});

test('verify http-chunked header buffers', { skip: SKIP }, () => {
  // http.header; content:"Host" ... sids 21, 23-26 alert once; sid 22
  // (Cookie) does not; http.header.raw contains all six names, Cookie included.
  const txs = transactionsOf('http-chunked/input.pcap');
  for (const name of ['Host', 'X-Qlik-User', 'User-Agent', 'Content-Length', 'Transfer-Encoding']) {
    assert.equal(countContaining(txs, 'http.header', 0, name), 1, name);
    assert.equal(countContaining(txs, 'http.header.raw', 0, name), 1, name);
  }
  assert.equal(countContaining(txs, 'http.header', 0, 'Cookie'), 0);
  assert.equal(countContaining(txs, 'http.header.raw', 0, 'Cookie'), 1);
});

test('verify http-request-line', { skip: SKIP }, () => {
  // http_request_line; content:"GET /index.html HTTP/1.0"; and bsize 10<>100 alert.
  const txs = transactionsOf('http-request-line/input.pcap');
  assert.equal(countContaining(txs, 'http.request_line', 0, 'GET /index.html HTTP/1.0'), 1);
  const line = getHttpBuffer(txs[0], 'http.request_line', 0);
  assert.ok(line !== null);
  assert.ok(line.length > 10);
  assert.ok(line.length < 100);
});

test('verify http-response-line', { skip: SKIP }, () => {
  // http_response_line; content:"HTTP/1.0 200 OK"; -> 1 alert
  assert.equal(countContaining(transactionsOf('http-response-line/input.pcap'), 'http.response_line', 1, 'HTTP/1.0 200 OK'), 1);
});

test('verify http-sticky-start', { skip: SKIP }, () => {
  // flow:to_server; http.start; content:"GET"; depth:3; content:"Host:"; distance:0; -> 3 alerts
  const txs = transactionsOf('http-sticky-start/input.pcap');
  const starts = txs.map((tx) => getHttpBuffer(tx, 'http.start', 0)).filter((b) => b !== null);
  const matching = starts.filter((b) => Buffer.from(b).subarray(0, 3).toString() === 'GET' && Buffer.from(b).indexOf('Host:', 3) > 0);
  assert.equal(matching.length, 3);
});

test('verify http-missing-protocol', { skip: SKIP }, () => {
  // content:"GET"; http_method; http_header_names; content:"User-Agent"; -> 1 alert
  const txs = transactionsOf('http-missing-protocol/input.pcap');
  assert.equal(countContaining(txs, 'http.method', 0, 'GET'), 1);
  assert.equal(countContaining(txs, 'http.header_names', 0, 'User-Agent'), 1);
});

test('verify http-uri-spaces', { skip: SKIP }, () => {
  // content:" afterspace"; http_uri; -> 1 alert
  assert.equal(countContaining(transactionsOf('http-uri-spaces/input.pcap'), 'http.uri', 0, ' afterspace'), 1);
});

test('verify bug-78-http-uri', { skip: SKIP }, () => {
  // content:"blah"; http_uri; (and uricontent:"blah";) -> 1 alert
  assert.equal(countContaining(transactionsOf('bug-78-uricontent/input.pcap'), 'http.uri', 0, 'blah'), 1);
});

test('verify http-post-data-decompression', { skip: SKIP }, () => {
  // content:"name"; http_client_body; nocase; -> 1 alert (gzip request body)
  // http.response_body; content:"name"; nocase; -> no alert
  const txs = transactionsOf('http-post-data-decompression/input.pcap');
  assert.equal(countContaining(txs, 'http.request_body', 0, 'name', true), 1);
  assert.equal(countContaining(txs, 'http.response_body', 1, 'name', true), 0);
});

test('verify http-encoding-gzip-uncompressed', { skip: SKIP }, () => {
  // http.request_body; content:"|22|sdk_version|22 3a|"; ... -> 1 alert,
  // though the body is labelled gzip and is not compressed.
  const txs = transactionsOf('http-encoding-gzip-uncompressed/input.pcap');
  for (const part of ['"sdk_version":', '"app_package":"', '"app_version":"', '"device_id":"']) {
    assert.equal(countContaining(txs, 'http.request_body', 0, part), 1, part);
  }
});

test('verify http-body-inspect', { skip: SKIP }, () => {
  // --set ...response-body-limit=1mb; file_data; content:"|60 5c f3 f0 29 2b|"; -> 1 alert
  const config = { ...defaultHttpConfig(), responseBodyLimit: 1024 * 1024 };
  const txs = transactionsOf('http-body-inspect/http-aptget-ids-02-s2.pcap', config);
  assert.equal(countContaining(txs, 'file.data', 1, Uint8Array.of(0x60, 0x5c, 0xf3, 0xf0, 0x29, 0x2b)), 1);
  // With the stock 100 KiB limit the pattern, at byte 261033, is past the kept body.
  assert.equal(countContaining(transactionsOf('http-body-inspect/http-aptget-ids-02-s2.pcap'), 'file.data', 1, Uint8Array.of(0x60, 0x5c, 0xf3, 0xf0, 0x29, 0x2b)), 0);
});

test('verify http events', { skip: SKIP }, () => {
  // app-layer-event:http.request_chunk_extension; -> 1 alert
  assert.equal(eventCount(transactionsOf('http-event-chunk/input.pcap'), 'request_chunk_extension'), 1);
  // app-layer-event:http.duplicate_content_length_field_in_request; -> 1 alert
  assert.equal(eventCount(transactionsOf('http-multiple-cl/input.pcap'), 'duplicate_content_length_field_in_request'), 1);
  // app-layer-event:http.request_line_missing_protocol; -> 1 alert
  assert.equal(eventCount(transactionsOf('http-not09/input.pcap'), 'request_line_missing_protocol'), 1);
  // app-layer-event:http.request_auth_unrecognized; -> 1 alert ("Turbo"), 0 for "Bearer"
  assert.equal(eventCount(transactionsOf('http-auth-unrecognized/input.pcap'), 'request_auth_unrecognized'), 1);
  assert.equal(eventCount(transactionsOf('http-auth-bearer/input.pcap'), 'request_auth_unrecognized'), 0);
});

test('verify http-request-invalid', { skip: SKIP }, () => {
  // content:"login=foo&password=bar"; http_client_body;
  // app-layer-event:http.request_body_unexpected; -> 2 alerts: two POSTs
  // without Content-Length whose body follows anyway.
  const txs = transactionsOf('http-request-invalid/input.pcap');
  const both = txs.filter((tx) => tx.events.some((e) => HTTP_EVENT_NAMES[e] === 'request_body_unexpected') && countContaining([tx], 'http.request_body', 0, 'login=foo&password=bar') === 1);
  assert.equal(both.length, 2);
});
