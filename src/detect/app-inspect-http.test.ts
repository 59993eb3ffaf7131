/**
 * Transaction detection of HTTP multi-buffers, buffer directions,
 * `absent`, the `http1` header protocol and config rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesFromText } from './rule-files.js';
import { AppInspector } from './app-inspect.js';
import type { Signature } from './signature.js';
import { AlertQueue } from './detect-engine.js';
import { createTestFlow, createTestPacket } from './test-support/packets.js';
import { Direction, type Packet } from '../core/packet.js';
import { AppProto, FlowAppState } from '../app/app-layer.js';
import { HttpState } from '../app/http/state.js';

function load(text: string): Signature[] {
  const result = loadRulesFromText(text, 'rules/local.rules');
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  return result.signatures;
}

/** One transaction exchange: a request, and the response when there is one. */
interface Exchange {
  request: string;
  response?: string;
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Feeds the exchanges of one HTTP flow and inspects after each message. Returns the sids in alert order. */
function inspectHttp(inspector: AppInspector, exchanges: readonly Exchange[]): number[] {
  const state = new FlowAppState(1);
  const parser = new HttpState();
  state.proto = AppProto.HTTP;
  state.parser = parser;
  const flow = createTestFlow();
  flow.appProto = AppProto.HTTP;
  const out = new AlertQueue(15);
  const toServer = createTestPacket({ direction: Direction.TO_SERVER });
  const toClient = createTestPacket({ direction: Direction.TO_CLIENT, src: '203.0.113.1', dst: '198.51.100.1', srcPort: 80, dstPort: 40000 });
  const sids: number[] = [];
  const feed = (direction: number, text: string, p: Packet): void => {
    const bytes = latin1(text);
    parser.handleData(direction, bytes, 0, bytes.length, 0);
    state.pendingInspect[direction] = 1;
    out.clear();
    inspector.inspect(p, flow, state, out, false);
    for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  };
  for (const exchange of exchanges) {
    feed(Direction.TO_SERVER, exchange.request, toServer);
    if (exchange.response !== undefined) feed(Direction.TO_CLIENT, exchange.response, toClient);
  }
  return sids;
}

const GET_INDEX: Exchange = {
  request: 'GET /index.html HTTP/1.1\r\nHost: www.Example.org\r\nUser-Agent: Mozilla/5.0\r\n\r\n',
  response: 'HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nServer: nginx\r\n\r\nnope\n',
};

test('request header matches one field', () => {
  const sigs = load(
    [
      // Both contents sit in the Host field.
      'alert http any any -> any any (http.request_header; content:"Host|3a 20|"; startswith; content:".org"; endswith; sid:1;)',
      // "Host" and "Mozilla" are in two fields, so no instance has both.
      'alert http any any -> any any (http.request_header; content:"Host"; content:"Mozilla"; sid:2;)',
      // Each naming of the buffer may match its own field.
      'alert http any any -> any any (http.request_header; content:"Host"; http.request_header; content:"Mozilla"; sid:3;)',
      'alert http any any -> any any (http.response_header; content:"Server|3a 20|nginx"; bsize:13; sid:4;)',
      '',
    ].join('\n'),
  );
  assert.deepEqual(inspectHttp(new AppInspector(sigs, 15), [GET_INDEX]), [1, 3, 4]);
  assert.deepEqual(inspectHttp(new AppInspector(sigs, 15, { isPrefiltered: false }), [GET_INDEX]), [1, 3, 4]);
});

test('transactional rule reads named direction', () => {
  const exchange: Exchange = {
    request: 'GET /download HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n',
    response: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
  };
  const sigs = load(
    [
      'alert http any any => any any (http.uri; content:"/download"; http.connection: to_client; content:"close"; sid:11;)',
      'alert http any any => any any (http.uri; content:"/download"; http.connection: to_server; content:"close"; sid:12;)',
      'alert http any any => any any (http.connection: to_client; content:"close"; http.connection: to_server; content:"keep"; sid:13;)',
      // Without a direction, http.connection is the request's.
      'alert http any any => any any (http.stat_code; content:"200"; http.connection; content:"keep"; sid:14;)',
      '',
    ].join('\n'),
  );
  assert.deepEqual(inspectHttp(new AppInspector(sigs, 15), [exchange]), [11, 13, 14]);
});

test('absent buffer matches', () => {
  const post: Exchange = { request: 'POST /form HTTP/1.1\r\nHost: h\r\nUser-Agent: foo\r\nContent-Length: 0\r\n\r\n' };
  const sigs = load(
    [
      'alert http any any -> any any (http.referer; absent; sid:1;)',
      'alert http any any -> any any (http.user_agent; absent; sid:2;)',
      'alert http any any -> any any (http.referer; absent: or_else; content:"example"; sid:3;)',
      'alert http any any -> any any (http.user_agent; absent: or_else; content:!"bar"; sid:4;)',
      'alert http any any -> any any (http.user_agent; absent: or_else; content:"bar"; sid:5;)',
      'alert http any any -> any any (http.request_body; absent; http.method; content:"POST"; sid:6;)',
      '',
    ].join('\n'),
  );
  assert.deepEqual(inspectHttp(new AppInspector(sigs, 15), [post]), [1, 3, 4, 6]);
});

test('absent body waits for message end', () => {
  const sigs = load('alert http any any -> any any (http.request_body; absent; sid:1;)\n');
  const inspector = new AppInspector(sigs, 15);
  // The header section is in, the 4 body bytes are not: no verdict yet.
  const headersOnly: Exchange = { request: 'POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n' };
  assert.deepEqual(inspectHttp(inspector, [headersOnly]), []);
  const withBody: Exchange = { request: 'POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd' };
  assert.deepEqual(inspectHttp(inspector, [withBody]), []);
});

test('plain absent with content rejected', () => {
  const result = loadRulesFromText('alert http any any -> any any (http.referer; absent; content:"x"; sid:1;)\n', 'rules/local.rules');
  assert.equal(result.signatures.length, 0);
  assert.deepEqual(result.diagnostics.map((d) => d.message), [
    "absent: the buffer 'http.referer' has other keywords, which plain absent never runs (use 'absent: or_else' to match them when the buffer exists)",
  ]);
  const late = loadRulesFromText('alert http any any -> any any (http.referer; content:"x"; absent; sid:1;)\n', 'rules/local.rules');
  assert.deepEqual(late.diagnostics.map((d) => d.message), ["absent: absent must come right after the sticky buffer 'http.referer', before its other keywords"]);
  const payload = loadRulesFromText('alert tcp any any -> any any (absent; sid:1;)\n', 'rules/local.rules');
  assert.deepEqual(payload.diagnostics.map((d) => d.message), ['absent: absent must follow a sticky buffer (the packet payload is never missing)']);
});

test('http1 header matches HTTP/1 flows', () => {
  const sigs = load('alert http1 any any -> any any (http.method; content:"GET"; sid:1;)\n');
  const inspector = new AppInspector(sigs, 15);
  assert.deepEqual(inspector.skipped, []);
  assert.deepEqual(inspectHttp(inspector, [{ request: GET_INDEX.request }]), [1]);
});

test('config rule unlogs matched transaction', () => {
  const sigs = load(
    [
      'config http any any -> any any (http.host; content:"example"; config: logging disable, type tx, scope tx; sid:1;)',
      'config http any any -> any any (http.host; content:"other"; config:logging disable, type tx, scope tx; sid:2;)',
      '',
    ].join('\n'),
  );
  assert.equal(sigs[0]?.isNoAlert, true);
  assert.equal(sigs[0]?.disablesTxLogging, true);
  const inspector = new AppInspector(sigs, 15);
  const state = new FlowAppState(1);
  const parser = new HttpState();
  state.proto = AppProto.HTTP;
  state.parser = parser;
  const flow = createTestFlow();
  flow.appProto = AppProto.HTTP;
  const out = new AlertQueue(15);
  const bytes = latin1('GET / HTTP/1.1\r\nHost: www.example.org\r\n\r\nGET / HTTP/1.1\r\nHost: www.kapu.test\r\n\r\n');
  parser.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  state.pendingInspect[Direction.TO_SERVER] = 1;
  inspector.inspect(createTestPacket({ direction: Direction.TO_SERVER }), flow, state, out, false);
  // A config rule raises no alert.
  assert.equal(out.count, 0);
  const txs = state.transactions();
  assert.equal(txs.length, 2);
  assert.equal(state.unloggedTx.has(txs[0] as object), true);
  assert.equal(state.unloggedTx.has(txs[1] as object), false);
});

test('unsupported config setting rejected', () => {
  const result = loadRulesFromText('config tcp any any -> any 666 (config: tracking disable, type flow, scope packet; sid:1;)\n', 'rules/local.rules');
  assert.equal(result.signatures.length, 0);
  assert.deepEqual(result.diagnostics.map((d) => d.message), [
    "config: 'tracking disable, type flow, scope packet' is not supported yet (supported: 'logging disable, type tx, scope tx'); rule skipped",
  ]);
  const bad = loadRulesFromText('alert http any any -> any any (config: logging disable; sid:1;)\n', 'rules/local.rules');
  assert.deepEqual(bad.diagnostics.map((d) => d.message), [
    "config: 'logging disable' is not a config setting (expected '<subsys> <action>, type <type>, scope <scope>')",
  ]);
});
