import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesFromText } from './rule-files.js';
import { AppInspector, partitionTxSignatures, txProtocolOf } from './app-inspect.js';
import type { Signature } from './signature.js';
import { AlertQueue } from './detect-engine.js';
import { createTestFlow, createTestPacket } from './test-support/packets.js';
import { Direction, IpProto, type Packet } from '../core/packet.js';
import { AppProto, FlowAppState } from '../app/app-layer.js';
import { HttpState } from '../app/http/state.js';
import { DnsState } from '../app/dns/state.js';

function load(text: string): Signature[] {
  const result = loadRulesFromText(text, 'rules/local.rules');
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  return result.signatures;
}

test('transaction protocol by buffer', () => {
  const sigs = load(
    [
      'alert http any any -> any any (http.uri; content:"/a"; sid:1;)',
      'alert tcp any any -> any any (content:"x"; http_uri; sid:2;)',
      'alert dns any any -> any any (dns.query; content:"example"; sid:3;)',
      'alert udp any any -> any 53 (dns.opcode:0; sid:4;)',
      'alert tls any any -> any any (tls.sni; content:"example.org"; sid:5;)',
      'alert ssh any any -> any any (ssh.proto; content:"2.0"; sid:6;)',
      'alert dns any any -> any any (app-layer-event:dns.z_flag_set; sid:7;)',
      '',
    ].join('\n'),
  );
  assert.deepEqual(sigs.map((s) => txProtocolOf(s)), ['http', 'http', 'dns', 'dns', 'tls', 'ssh', 'dns']);
});

test('packet rules stay with the packet engine', () => {
  const sigs = load(
    [
      'alert tcp any any -> any 80 (content:"GET"; sid:1;)',
      'alert http any any -> any any (content:"GET"; sid:2;)',
      'alert http any any -> any any (flow:established; sid:3;)',
      'alert http any any -> any any (http.method; content:"GET"; sid:4;)',
      '',
    ].join('\n'),
  );
  const { packet, tx } = partitionTxSignatures(sigs);
  assert.deepEqual(packet.map((s) => s.sid), [1, 2, 3]);
  assert.deepEqual(tx.map((s) => s.sid), [4]);
});

test('inspector orders by action then load order', () => {
  const sigs = load(
    [
      'alert http any any -> any any (http.uri; content:"/a"; sid:1;)',
      'drop http any any -> any any (http.uri; content:"/b"; sid:2;)',
      'pass http any any -> any any (http.uri; content:"/c"; sid:3;)',
      '',
    ].join('\n'),
  );
  const inspector = new AppInspector(sigs, 15);
  assert.deepEqual(inspector.signatures.map((s) => s.sid), [3, 2, 1]);
  assert.deepEqual(inspector.skipped, []);
  assert.equal(inspector.usesPacketData, false);
});

test('inspector notes pkt_data use', () => {
  const sigs = load('alert http any any -> any any (content:"IE=Edge"; file_data; content:"IE=Edge"; sid:4;)\n');
  const inspector = new AppInspector(sigs, 15);
  assert.equal(inspector.signatures.length, 1);
  assert.equal(inspector.usesPacketData, true);
});

test('transactional header loads', () => {
  const sigs = load('alert http any any => any any (http.uri; content:"/download"; http.stat_code; content:"200"; sid:1;)\n');
  assert.equal(sigs.length, 1);
  assert.equal(sigs[0]?.isTransactional, true);
  assert.equal(txProtocolOf(sigs[0] as Signature), 'http');
});

/** One transaction exchange: a request, and the response when there is one. */
interface Exchange {
  request: string;
  /** The response, or its pieces, each fed and inspected on its own. */
  response?: string | readonly string[];
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
    const pieces = typeof exchange.response === 'string' ? [exchange.response] : exchange.response ?? [];
    for (const piece of pieces) feed(Direction.TO_CLIENT, piece, toClient);
  }
  return sids;
}

/** Encodes a DNS query with one question per name (type A, class IN). */
function dnsQuery(id: number, names: readonly string[]): Uint8Array {
  const bytes: number[] = [id >> 8, id & 0xff, 0x01, 0x00, 0x00, names.length, 0, 0, 0, 0, 0, 0];
  for (const name of names) {
    for (const label of name.split('.')) bytes.push(label.length, ...latin1(label));
    bytes.push(0, 0x00, 0x01, 0x00, 0x01);
  }
  return Uint8Array.from(bytes);
}

function inspectDns(inspector: AppInspector, names: readonly string[]): number[] {
  const state = new FlowAppState(2);
  const parser = new DnsState(false);
  state.proto = AppProto.DNS;
  state.parser = parser;
  const flow = createTestFlow();
  flow.appProto = AppProto.DNS;
  const out = new AlertQueue(15);
  const p = createTestPacket({ direction: Direction.TO_SERVER, ipProto: IpProto.UDP, dstPort: 53 });
  const bytes = dnsQuery(0x1234, names);
  parser.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  state.pendingInspect[Direction.TO_SERVER] = 1;
  inspector.inspect(p, flow, state, out, false);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids;
}

const GET_INDEX: Exchange = {
  request: 'GET /index.html HTTP/1.1\r\nHost: www.Example.org\r\nUser-Agent: Mozilla/5.0\r\n\r\n',
  response: 'HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nServer: nginx\r\n\r\nnope\n',
};

test('absent fast pattern skips rule', () => {
  const inspector = new AppInspector(load('alert http any any -> any any (http.uri; content:"/absent-path"; sid:1;)\n'), 15);
  assert.deepEqual(inspectHttp(inspector, [GET_INDEX]), []);
  assert.equal(inspector.evaluations, 0);
});

test('present fast pattern evaluates rule', () => {
  const inspector = new AppInspector(load('alert http any any -> any any (http.uri; content:"/index"; sid:2;)\n'), 15);
  assert.deepEqual(inspectHttp(inspector, [GET_INDEX]), [2]);
  // The request inspection evaluates it; the response one finds it matched already.
  assert.equal(inspector.evaluations, 1);
});

test('case mismatch selects nocase only', () => {
  const sigs = load(
    [
      'alert http any any -> any any (flow:to_server; http.host; content:"EXAMPLE.ORG"; sid:3;)',
      'alert http any any -> any any (flow:to_server; http.host; content:"EXAMPLE.ORG"; nocase; sid:4;)',
      '',
    ].join('\n'),
  );
  const inspector = new AppInspector(sigs, 15);
  assert.deepEqual(inspectHttp(inspector, [{ request: GET_INDEX.request }]), [4]);
  assert.equal(inspector.evaluations, 1);
});

test('rules without fast pattern always run', () => {
  const sigs = load(
    [
      'alert http any any -> any any (flow:to_server; http.uri; pcre:"/zzz/"; sid:5;)',
      'alert http any any -> any any (flow:to_server; http.uri; content:!"/zzz"; sid:6;)',
      '',
    ].join('\n'),
  );
  const inspector = new AppInspector(sigs, 15);
  assert.deepEqual(inspectHttp(inspector, [{ request: GET_INDEX.request }]), [6]);
  assert.equal(inspector.evaluations, 2);
});

test('response rule runs on responses', () => {
  const inspector = new AppInspector(load('alert http any any -> any any (http.stat_code; content:"404"; sid:7;)\n'), 15);
  assert.deepEqual(inspectHttp(inspector, [GET_INDEX]), [7]);
  assert.equal(inspector.evaluations, 1);
});

test('multi-buffer instances all scanned', () => {
  const inspector = new AppInspector(load('alert dns any any -> any any (dns.query; content:"evil"; sid:8;)\n'), 15);
  assert.deepEqual(inspectDns(inspector, ['a.example', 'www.evil.test']), [8]);
  assert.equal(inspector.evaluations, 1);
  const other = new AppInspector(load('alert dns any any -> any any (dns.query; content:"evil"; sid:8;)\n'), 15);
  assert.deepEqual(inspectDns(other, ['a.example', 'b.example']), []);
  assert.equal(other.evaluations, 0);
});

const MIXED_RULES = [
  'alert http any any -> any any (msg:"uri"; flow:established,to_server; http.uri; content:"/index"; sid:10;)',
  'alert http any any -> any any (msg:"method and agent"; http.method; content:"GET"; http.user_agent; content:"Mozilla"; sid:11;)',
  'alert http any any -> any any (msg:"host nocase"; http.host; content:"example.ORG"; nocase; sid:12;)',
  'alert http any any -> any any (msg:"absent"; http.uri; content:"/admin"; sid:13;)',
  'alert http any any -> any any (msg:"pcre only"; http.uri; pcre:"/\\.php$/"; sid:14;)',
  'alert http any any -> any any (msg:"negated"; http.uri; content:!"/index"; sid:15;)',
  'alert http any any -> any any (msg:"status"; http.stat_code; content:"404"; sid:16;)',
  'alert http any any -> any any (msg:"request and response"; http.uri; content:"/login.php"; http.stat_code; content:"200"; sid:17;)',
  'drop http any any -> any any (msg:"drop post"; http.method; content:"POST"; http.request_body; content:"passwd="; fast_pattern; sid:18;)',
  'alert http any any => any any (msg:"transactional"; http.uri; content:"/download"; http.server; content:"Apache"; sid:19;)',
  'alert http any any -> any any (msg:"chopped"; http.uri; content:"/logout.php"; fast_pattern:1,6; sid:20;)',
  'pass http any any -> any any (msg:"pass"; http.host; content:"trusted.test"; sid:21;)',
  'alert http any any -> any any (msg:"after pass"; http.uri; content:"/"; sid:22;)',
  '',
].join('\n');

const EXCHANGES: readonly (readonly Exchange[])[] = [
  [GET_INDEX],
  [
    {
      request: 'POST /login.php HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 17\r\n\r\nuser=a&passwd=bb\n',
      response: 'HTTP/1.1 200 OK\r\nServer: Apache\r\nContent-Length: 2\r\n\r\nok',
    },
    {
      request: 'GET /download/file.bin HTTP/1.1\r\nHost: shop.test\r\n\r\n',
      response: 'HTTP/1.1 200 OK\r\nServer: Apache/2.4\r\nContent-Length: 0\r\n\r\n',
    },
    { request: 'GET /logout.php HTTP/1.1\r\nHost: shop.test\r\n\r\n' },
  ],
  [{ request: 'GET /index.html HTTP/1.1\r\nHost: trusted.test\r\n\r\n', response: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' }],
];

test('prefilter keeps full-evaluation alerts', () => {
  const expected = [
    [10, 11, 12, 22, 16],
    [18, 14, 15, 22, 17, 15, 22, 19, 14, 15, 20, 22],
    // The pass rule ends inspection before sids 10 and 22, and raises no alert.
    [],
  ];
  let prefiltered = 0;
  let full = 0;
  EXCHANGES.forEach((exchanges, i) => {
    const withPrefilter = new AppInspector(load(MIXED_RULES), 15);
    const without = new AppInspector(load(MIXED_RULES), 15, { isPrefiltered: false });
    assert.deepEqual(inspectHttp(withPrefilter, exchanges), expected[i], `exchange set ${i}`);
    assert.deepEqual(inspectHttp(without, exchanges), expected[i], `exchange set ${i} without prefilter`);
    prefiltered += withPrefilter.evaluations;
    full += without.evaluations;
  });
  assert.ok(prefiltered < full, `${prefiltered} evaluations with the prefilter, ${full} without`);
});

test('body pattern across pieces matches', () => {
  const rules = 'alert http any any -> any any (file.data; content:"secret-token"; sid:30;)\n';
  const body = 'x'.repeat(40) + 'secret-token' + 'y'.repeat(8);
  const head = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`;
  const exchange: Exchange = { request: 'GET / HTTP/1.1\r\nHost: a.test\r\n\r\n', response: [head + body.slice(0, 44), body.slice(44)] };
  const inspector = new AppInspector(load(rules), 15);
  assert.deepEqual(inspectHttp(inspector, [exchange]), [30]);
  // The first piece ends inside the pattern: only the second inspection evaluates the rule.
  assert.equal(inspector.evaluations, 1);
  // Without the prefilter the request and both response inspections evaluate it, so the first piece was inspectable.
  const full = new AppInspector(load(rules), 15, { isPrefiltered: false });
  assert.deepEqual(inspectHttp(full, [exchange]), [30]);
  assert.equal(full.evaluations, 3);
  const absent = new AppInspector(load(rules), 15);
  const other: Exchange = { request: exchange.request, response: [head + 'z'.repeat(44), 'z'.repeat(body.length - 44)] };
  assert.deepEqual(inspectHttp(absent, [other]), []);
  assert.equal(absent.evaluations, 0);
});

test('transformed http buffers inspected', () => {
  // The body "API=Y29va2ll%3D" is "API=" and the URL-encoded base64 of
  // "cookie" (RFC 4648: "Y29va2ll" decodes to "cookie"); "%3D" is "=".
  const sigs = load(
    [
      'alert http any any -> any any (http.request_body; url_decode; content:"ll="; sid:1;)',
      'alert http any any -> any any (http.request_body; content:"API="; base64_decode:relative; base64_data; content:"cookie"; sid:2;)',
      'alert http any any -> any any (http.request_body; url_decode; content:"API="; base64_decode:relative; base64_data; content:"cookie"; sid:3;)',
      'alert http any any -> any any (http.uri; to_uppercase; content:"/FORM"; sid:4;)',
      'alert http any any -> any any (http.request_body; base64_decode:offset 4; base64_data; content:"secret"; sid:5;)',
      'alert http any any -> any any (http.request_body; base64_decode:offset 4; base64_data; content:"cookie"; sid:6;)',
      '',
    ].join('\n'),
  );
  assert.deepEqual(sigs.map((s) => txProtocolOf(s)), ['http', 'http', 'http', 'http', 'http', 'http']);
  const inspector = new AppInspector(sigs, 15);
  assert.deepEqual(inspector.skipped, []);
  const body = 'API=Y29va2ll%3D';
  const request = `POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const sids = inspectHttp(inspector, [{ request, response: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' }]);
  assert.deepEqual(sids.sort((a, b) => a - b), [1, 2, 3, 4, 6]);
});
