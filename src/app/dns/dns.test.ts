import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, IpProto } from '../../core/packet.js';
import { DnsEvent, DNS_EVENT_NAMES, findDnsEvent } from './events.js';
import { DnsStatus, MAX_DNS_NAME_BYTES, MAX_DNS_NAME_STEPS_PER_MESSAGE, isValidDnsOpcode, parseDnsMessage } from './parser.js';
import { DnsState } from './state.js';
import { buildDnsEve, formatDnsAddress, resolveDnsEveVersion } from './eve.js';
import { DnsBuffer, DNS_KEYWORDS, DnsFieldMatch, getDnsBuffer, getDnsBuffers, getDnsQueries } from './detect.js';
import { probeDns, probeDnsTcp } from './probe.js';
import { parseUintValue, type UintValue } from '../../detect/keywords/uint-value.js';
import { parseMultiUintValue, type MultiUintValue } from '../../detect/keywords/multi-uint.js';
import { hexRows, readCaptureFlows, splitPlans } from './test-support.js';
import { join } from 'node:path';

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('latin1'));

// Request for www.example.com A, id 0x1234, RD set (RFC 1035 section 4.1).
const REQUEST = hexRows(`
0000  12 34 01 00 00 01 00 00 00 00 00 00 03 77 77 77   .4...........www
0010  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00   .example.com....
0020  01                                                .
`);

// Response: the query again, a CNAME to web.example.com whose rdata ends
// in a pointer to offset 0x10 ("example.com"), an A record named by a
// pointer to that rdata (offset 0x2d), and an OPT record (RFC 6891).
const RESPONSE = hexRows(`
0000  12 34 81 80 00 01 00 02 00 00 00 01 03 77 77 77   .4...........www
0010  07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00   .example.com....
0020  01 c0 0c 00 05 00 01 00 00 0e 10 00 06 03 77 65   ..............we
0030  62 c0 10 c0 2d 00 01 00 01 00 00 00 3c 00 04 c0   b...-.......<...
0040  00 02 01 00 00 29 10 00 00 00 00 00 00 00         .....).......
`);

function withPrefix(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length + 2);
  out[0] = message.length >> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function uint(text: string, max: number): UintValue {
  const v = parseUintValue(text, max);
  assert.ok(typeof v !== 'string', String(v));
  return v;
}

function multi(text: string): MultiUintValue {
  const v = parseMultiUintValue(text, 65535);
  assert.ok(typeof v !== 'string', String(v));
  return v;
}

function summary(state: DnsState): string[] {
  return state.transactions.map((tx) => `${tx.txId}:${tx.direction}:${tx.message?.id ?? '-'}:${tx.queryNames.map((n) => text(n)).join(',')}:${tx.events.join(',')}`);
}

test('dns request header and query', () => {
  const r = parseDnsMessage(REQUEST, 0, REQUEST.length);
  assert.equal(r.status, DnsStatus.OK);
  const m = r.message!;
  assert.equal(m.id, 0x1234);
  assert.equal(m.flags, 0x0100);
  assert.equal(m.queries.length, 1);
  assert.equal(text(m.queries[0].name.value), 'www.example.com');
  assert.equal(m.queries[0].rrtype, 1);
  assert.equal(m.queries[0].rrclass, 1);
  assert.deepEqual(m.events, []);
});

test('dns response compression pointers', () => {
  const m = parseDnsMessage(RESPONSE, 0, RESPONSE.length).message!;
  assert.equal(m.answers.length, 2);
  assert.equal(text(m.answers[0].name.value), 'www.example.com');
  assert.equal(m.answers[0].rrtype, 5);
  assert.equal(m.answers[0].ttl, 3600);
  const cname = m.answers[0].rdata;
  assert.ok(cname.kind === 'name');
  assert.equal(text(cname.name.value), 'web.example.com');
  assert.equal(text(m.answers[1].name.value), 'web.example.com');
  const a = m.answers[1].rdata;
  assert.ok(a.kind === 'address');
  assert.equal(formatDnsAddress(a.bytes), '192.0.2.1');
  assert.equal(m.additionals.length, 1);
  assert.equal(m.additionals[0].rrtype, 41);
  assert.equal(m.additionals[0].name.value.length, 0);
});

test('dns header shorter than 12 bytes', () => {
  const r = parseDnsMessage(REQUEST, 0, 11);
  assert.equal(r.status, DnsStatus.INVALID);
  assert.equal(r.event, DnsEvent.MALFORMED_DATA);
});

test('dns query cut inside name', () => {
  const r = parseDnsMessage(REQUEST, 0, 20);
  assert.equal(r.status, DnsStatus.INVALID);
  assert.equal(r.event, DnsEvent.MALFORMED_DATA);
});

test('dns forward pointer accepted', () => {
  // Two queries; the first name is a pointer to the second one, which
  // comes later in the message (Suricata 8 accepts forward pointers).
  const msg = hexRows(`
0000  8e 04 01 00 00 02 00 00 00 00 00 00 c0 12 00 01   ................
0010  00 01 0a 63 6f 64 65 6d 6f 6e 6b 65 79 03 6e 65   ...codemonkey.ne
0020  74 00 00 01 00 01                                 t.....
`);
  const m = parseDnsMessage(msg, 0, msg.length).message!;
  assert.deepEqual(m.queries.map((q) => text(q.name.value)), ['codemonkey.net', 'codemonkey.net']);
});

test('dns pointer loop ends at segment limit', () => {
  // The query name at 0x0c is a pointer to 0x0e, which points back to 0x0c.
  // Each pointer counts as a segment, so the walk stops after 255 with an
  // empty name and dns.too_many_labels, and the query's type and class are
  // read after the first pointer, as Suricata 8 reads them.
  const msg = hexRows(`
0000  00 01 01 00 00 01 00 00 00 00 00 00 c0 0e c0 0c   ................
0010  00 01 00 01                                       ....
`);
  const r = parseDnsMessage(msg, 0, msg.length);
  assert.equal(r.status, DnsStatus.OK);
  const m = r.message!;
  assert.equal(m.queries[0].name.value.length, 0);
  assert.equal(m.queries[0].rrtype, 0xc00c);
  assert.deepEqual(m.events, [DnsEvent.TOO_MANY_LABELS]);
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, msg, 0, msg.length, 0);
  assert.deepEqual(state.transactions[0].events, [DnsEvent.TOO_MANY_LABELS]);
});

test('dns pointer to itself after a pointer', () => {
  // 0x0c: label "a" and a pointer to 0x10; 0x10: a pointer to itself.
  // The name walked so far is kept and dns.infinite_loop is raised.
  const msg = hexRows(`
0000  00 01 01 00 00 01 00 00 00 00 00 00 01 61 c0 10   .............a..
0010  c0 10 00 01 00 01                                 ......
`);
  const r = parseDnsMessage(msg, 0, msg.length);
  assert.equal(r.status, DnsStatus.OK);
  assert.equal(text(r.message!.queries[0].name.value), 'a');
  assert.equal(r.message!.queries[0].rrtype, 0xc010);
  assert.deepEqual(r.message!.events, [DnsEvent.INFINITE_LOOP]);
});

test('dns pointer to itself is malformed', () => {
  // The first pointer of the name points to itself: nothing to keep.
  const msg = hexRows(`
0000  00 01 01 00 00 01 00 00 00 00 00 00 c0 0c 00 01   ................
0010  00 01                                             ..
`);
  const r = parseDnsMessage(msg, 0, msg.length);
  assert.equal(r.status, DnsStatus.INVALID);
  assert.equal(r.event, DnsEvent.MALFORMED_DATA);
});

test('dns name above length limit', () => {
  // 20 labels of 63 bytes: 20 * 64 - 1 = 1279 dotted bytes, above 1025.
  const labels: number[] = [];
  for (let i = 0; i < 20; i++) labels.push(63, ...new Array<number>(63).fill(0x61));
  const msg = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
  const m = parseDnsMessage(msg, 0, msg.length).message!;
  assert.equal(m.queries[0].name.isTruncated, true);
  assert.equal(m.queries[0].name.value.length, MAX_DNS_NAME_BYTES);
  assert.equal(MAX_DNS_NAME_BYTES, 1025);
  assert.deepEqual(m.events, [DnsEvent.NAME_TOO_LONG]);
});

test('dns name above label limit', () => {
  // 300 one-byte labels and no pointer: past 255 segments the name is
  // malformed.
  const labels: number[] = [];
  for (let i = 0; i < 300; i++) labels.push(1, 0x62);
  const msg = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
  const r = parseDnsMessage(msg, 0, msg.length);
  assert.equal(r.status, DnsStatus.INVALID);
  assert.equal(r.event, DnsEvent.MALFORMED_DATA);
});

test('dns labels after pointer above limit', () => {
  // Query 1 contains 200 labels; query 2 has 100 labels, then a pointer to
  // query 1. The walk stops past 255 segments: 100 labels, the pointer and
  // 155 labels, the last one kept as Suricata 8 keeps it, with
  // dns.too_many_labels.
  const first: number[] = [];
  for (let i = 0; i < 200; i++) first.push(1, 0x62);
  const second: number[] = [];
  for (let i = 0; i < 100; i++) second.push(1, 0x63);
  const msg = Uint8Array.from([0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, ...first, 0, 0, 1, 0, 1, ...second, 0xc0, 0x0c, 0, 1, 0, 1]);
  const r = parseDnsMessage(msg, 0, msg.length);
  assert.equal(r.status, DnsStatus.OK);
  const name = text(r.message!.queries[1].name.value)!;
  assert.equal(name.split('.').length, 255);
  assert.ok(name.startsWith('c.c.'));
  assert.ok(name.endsWith('.b.b'));
  assert.equal(r.message!.queries[1].rrtype, 1);
  assert.deepEqual(r.message!.events, [DnsEvent.TOO_MANY_LABELS]);
});

test('dns record types decoded', () => {
  // Answers: MX 10 mail.example, TXT "ab" "c", SOA, SRV 1 2 443 s.example,
  // SSHFP 1 1 aabb, AAAA 2001:db8::1. Names are written out in full.
  const name = (s: string): number[] => [...s.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
  const rr = (type: number, rdata: number[]): number[] => [...name('x'), 0, type, 0, 1, 0, 0, 0, 5, rdata.length >> 8, rdata.length & 0xff, ...rdata];
  const soa = [...name('ns.example'), ...name('host.example'), 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 10, 0, 0, 0, 11];
  const aaaa = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

  const body = [
    ...rr(15, [0, 10, ...name('mail.example')]),
    ...rr(16, [2, 0x61, 0x62, 1, 0x63]),
    ...rr(6, soa),
    ...rr(33, [0, 1, 0, 2, 1, 0xbb, ...name('s.example')]),
    ...rr(44, [1, 1, 0xaa, 0xbb]),
    ...rr(28, aaaa),
  ];
  const msg = Uint8Array.from([0, 7, 0x81, 0x80, 0, 0, 0, 6, 0, 0, 0, 0, ...body]);
  const state = new DnsState(false);
  state.handleData(Direction.TO_CLIENT, msg, 0, msg.length, 0);

  const [eve] = buildDnsEve(state.transactions[0], 3);
  const obj = JSON.parse(eve);
  assert.deepEqual(obj.answers, [
    { rrname: 'x', rrtype: 'MX', ttl: 5, rdata: 'mail.example' },
    { rrname: 'x', rrtype: 'TXT', ttl: 5, rdata: 'ab' },
    { rrname: 'x', rrtype: 'TXT', ttl: 5, rdata: 'c' },
    { rrname: 'x', rrtype: 'SOA', ttl: 5, soa: { mname: 'ns.example', rname: 'host.example', serial: 7, refresh: 8, retry: 9, expire: 10, minimum: 11 } },
    { rrname: 'x', rrtype: 'SRV', ttl: 5, srv: { priority: 1, weight: 2, port: 443, name: 's.example' } },
    { rrname: 'x', rrtype: 'SSHFP', ttl: 5, sshfp: { fingerprint: 'aa:bb', algo: 1, type: 1 } },
    { rrname: 'x', rrtype: 'AAAA', ttl: 5, rdata: '2001:0db8:0000:0000:0000:0000:0000:0001' },
  ]);
  assert.deepEqual(Object.keys(obj.grouped), ['MX', 'TXT', 'SOA', 'SRV', 'SSHFP', 'AAAA']);
  assert.deepEqual(obj.grouped.TXT, ['ab', 'c']);
});

test('dns eve v3 request and response', () => {
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, REQUEST, 0, REQUEST.length, 1);
  state.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 2);
  assert.deepEqual(buildDnsEve(state.transactions[0], 3), [
    '{"version":3,"type":"request","tx_id":0,"id":4660,"flags":"100","rd":true,"opcode":0,"rcode":"NOERROR","queries":[{"rrname":"www.example.com","rrtype":"A"}]}',
  ]);
  assert.deepEqual(buildDnsEve(state.transactions[1], 3), [
    '{"version":3,"type":"response","tx_id":1,"id":4660,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rcode":"NOERROR",' +
      '"queries":[{"rrname":"www.example.com","rrtype":"A"}],' +
      '"answers":[{"rrname":"www.example.com","rrtype":"CNAME","ttl":3600,"rdata":"web.example.com"},{"rrname":"web.example.com","rrtype":"A","ttl":60,"rdata":"192.0.2.1"}],' +
      // The OPT record carries no options, so no additionals are written.
      '"grouped":{"CNAME":["web.example.com"],"A":["192.0.2.1"]}}',
  ]);
});

test('dns eve v2 query and answer', () => {
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, REQUEST, 0, REQUEST.length, 1);
  state.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 2);
  assert.deepEqual(buildDnsEve(state.transactions[0], 2), ['{"type":"query","id":4660,"rrname":"www.example.com","rrtype":"A","tx_id":0,"opcode":0}']);
  const [answer] = buildDnsEve(state.transactions[1], 2);
  const obj = JSON.parse(answer);
  assert.equal(obj.version, 2);
  assert.equal(obj.type, 'answer');
  assert.equal(obj.rrname, 'www.example.com');
  assert.equal(obj.rcode, 'NOERROR');
  assert.equal(obj.answers.length, 2);
});

test('dns eve version from config and env', () => {
  assert.equal(resolveDnsEveVersion(undefined, {}), 3);
  assert.equal(resolveDnsEveVersion(2, {}), 2);
  assert.equal(resolveDnsEveVersion(3, { SURICATA_EVE_DNS_VERSION: '2' }), 2);
  assert.equal(resolveDnsEveVersion(2, { SURICATA_EVE_DNS_VERSION: '3' }), 3);
});

test('dns response linked to request by id', () => {
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, REQUEST, 0, REQUEST.length, 1);
  state.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 2);
  assert.equal(state.transactions[1].requestTxId, 0);
  assert.equal(state.transactions[0].responseTxId, 1);
});

test('dns tcp messages at any split', () => {
  // Two requests and one response on one stream each way, framed by the
  // 2-byte length of RFC 1035 section 4.2.2.
  const second = REQUEST.slice();
  second[1] = 0x35;
  const toServer = concat(withPrefix(REQUEST), withPrefix(second));
  let expected: string[] | null = null;
  for (const plan of splitPlans(toServer.length, 53)) {
    const state = new DnsState(true);
    let at = 0;
    for (const n of plan) {
      state.handleData(Direction.TO_SERVER, toServer, at, n, 0);
      at += n;
    }
    const got = summary(state);
    if (expected === null) expected = got;
    assert.deepEqual(got, expected);
  }
  assert.deepEqual(expected, ['0:0:4660:www.example.com:', '1:0:4661:www.example.com:']);
});

test('dns tcp partial message at end', () => {
  const state = new DnsState(true);
  const framed = withPrefix(REQUEST);
  state.handleData(Direction.TO_SERVER, framed, 0, 10, 0);
  assert.equal(state.transactions.length, 0);
  state.handleEnd(Direction.TO_SERVER);
  assert.deepEqual(state.transactions[0].events, [DnsEvent.MALFORMED_DATA]);
});

test('dns tcp gap drops partial message', () => {
  const state = new DnsState(true);
  const framed = concat(withPrefix(REQUEST), withPrefix(REQUEST));
  state.handleData(Direction.TO_SERVER, framed, 0, 10, 0);
  state.handleGap(Direction.TO_SERVER, REQUEST.length - 8);
  state.handleData(Direction.TO_SERVER, framed, REQUEST.length + 2, REQUEST.length + 2, 0);
  assert.deepEqual(summary(state), ['0:0:4660:www.example.com:']);
});

test('dns opcode validity as suricata checks', () => {
  // Suricata 8 raises invalid_opcode for opcodes 7 to 15 only.
  for (const opcode of [0, 1, 2, 3, 4, 5, 6]) assert.equal(isValidDnsOpcode(opcode), true, String(opcode));
  for (const opcode of [7, 8, 15]) assert.equal(isValidDnsOpcode(opcode), false, String(opcode));
});

test('dns events on header flags', () => {
  const state = new DnsState(false);
  // A response sent to the server: not_request.
  state.handleData(Direction.TO_SERVER, RESPONSE, 0, RESPONSE.length, 0);
  // A request sent to the client with the Z bit and opcode 7: three events.
  const odd = REQUEST.slice();
  odd[2] = 0x38; // opcode 7
  odd[3] = 0x40; // Z
  state.handleData(Direction.TO_CLIENT, odd, 0, odd.length, 0);
  assert.deepEqual(state.transactions[0].events, [DnsEvent.NOT_REQUEST]);
  assert.deepEqual(state.transactions[1].events, [DnsEvent.NOT_RESPONSE, DnsEvent.Z_FLAG_SET, DnsEvent.INVALID_OPCODE]);
  assert.deepEqual(
    state.events.map((e) => DNS_EVENT_NAMES[e]),
    ['not_request', 'not_response', 'z_flag_set', 'invalid_opcode'],
  );
});

test('dns invalid authorities keeps answers', () => {
  // RESPONSE with nscount 1 but no authority bytes after the answers.
  const msg = RESPONSE.slice(0, 0x43);
  msg[9] = 1;
  msg[11] = 0;
  const m = parseDnsMessage(msg, 0, msg.length).message!;
  assert.equal(m.answers.length, 2);
  assert.deepEqual(m.events, [DnsEvent.INVALID_AUTHORITIES]);
});

test('dns invalid additionals keeps authorities', () => {
  const msg = RESPONSE.slice(0, 0x43);
  msg[11] = 1;
  const m = parseDnsMessage(msg, 0, msg.length).message!;
  assert.equal(m.answers.length, 2);
  assert.deepEqual(m.events, [DnsEvent.INVALID_ADDITIONALS]);
});

test('dns transaction limit drops oldest', () => {
  const state = new DnsState(false, 4);
  for (let i = 0; i < 6; i++) state.handleData(Direction.TO_SERVER, REQUEST, 0, REQUEST.length, i);
  assert.equal(state.transactions.length, 4);
  assert.equal(state.transactions[0].txId, 2);
  assert.equal(state.counters.droppedTransactions, 2);
  assert.equal(state.events.filter((e) => e === DnsEvent.TOO_MANY_TRANSACTIONS).length, 2);
});

test('dns prune drops logged transactions', () => {
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, REQUEST, 0, REQUEST.length, 0);
  state.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 0);
  state.transactions[0].isLogged = true;
  state.pruneTransactions(2);
  assert.deepEqual(state.transactions.map((t) => t.txId), [1]);
});

test('dns query buffers per name', () => {
  const state = new DnsState(false);
  const two = hexRows(`
0000  00 09 01 00 00 02 00 00 00 00 00 00 01 61 00 00   .............a..
0010  01 00 01 01 62 00 00 1c 00 01                     ....b.....
`);
  state.handleData(Direction.TO_SERVER, two, 0, two.length, 0);
  state.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 0);
  const [request, response] = state.transactions;
  assert.deepEqual(getDnsQueries(request).map(text), ['a', 'b']);
  assert.deepEqual(getDnsBuffers(request, DnsBuffer.QUERY, Direction.TO_SERVER).map(text), ['a', 'b']);
  assert.equal(getDnsBuffer(response, DnsBuffer.QUERY, Direction.TO_CLIENT), null);
  assert.deepEqual(getDnsBuffers(response, DnsBuffer.QUERIES_RRNAME, Direction.TO_CLIENT).map(text), ['www.example.com']);
  assert.deepEqual(getDnsBuffers(response, DnsBuffer.ANSWERS_RRNAME, Direction.TO_CLIENT).map(text), ['www.example.com', 'web.example.com']);
  // The OPT record's owner is the root, an empty name, which is not inspected.
  assert.deepEqual(getDnsBuffers(response, DnsBuffer.ADDITIONALS_RRNAME, Direction.TO_CLIENT).map(text), []);
  assert.deepEqual(getDnsBuffers(response, DnsBuffer.RESPONSE_RRNAME, Direction.TO_CLIENT).map(text), [
    'www.example.com',
    'www.example.com',
    'web.example.com',
    'web.example.com',
  ]);
});

test('dns opcode rcode rrtype matchers', () => {
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, REQUEST, 0, REQUEST.length, 0);
  state.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 0);
  const [request, response] = state.transactions;
  assert.equal(new DnsFieldMatch('dns.opcode', 0, uint('0', 15), null).matchTx(request, Direction.TO_SERVER), true);
  assert.equal(new DnsFieldMatch('dns.opcode', 0, uint('!0', 15), null).matchTx(request, Direction.TO_SERVER), false);
  assert.equal(new DnsFieldMatch('dns.rcode', 1, uint('0', 15), null).matchTx(response, Direction.TO_CLIENT), true);
  assert.equal(new DnsFieldMatch('dns.rcode', 1, uint('3', 15), null).matchTx(response, Direction.TO_CLIENT), false);
  // The response's answers are CNAME (5) and A (1); its query type A is not inspected.
  assert.equal(new DnsFieldMatch('dns.rrtype', 2, null, multi('5')).matchTx(response, Direction.TO_CLIENT), true);
  assert.equal(new DnsFieldMatch('dns.rrtype', 2, null, multi('5')).matchTx(request, Direction.TO_SERVER), false);
  assert.equal(new DnsFieldMatch('dns.rrtype', 2, null, multi('1')).matchTx(request, Direction.TO_SERVER), true);
  assert.equal(new DnsFieldMatch('dns.rrtype', 2, null, multi('28')).matchTx(response, Direction.TO_CLIENT), false);
});

test('dns rrtype index forms', () => {
  const state = new DnsState(false);
  state.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 0);
  const response = state.transactions[0];
  // Answers in order: CNAME (5), then A (1).
  const cases: [string, boolean][] = [
    ['1', true],
    ['1,0', false],
    ['5,0', true],
    ['1,1', true],
    ['1,-1', true],
    ['5,-2', true],
    ['1,2', false],
    ['1,oob_or 2', true],
    ['1,all', false],
    ['<10,all', true],
    ['1,nb=1', true],
    ['1,nb>1', false],
    ['count 2', true],
    ['count >2', false],
    ['1,any,1:2', true],
    ['1,any,0:1', false],
  ];
  for (const [text, expected] of cases) {
    assert.equal(new DnsFieldMatch('dns.rrtype', 2, null, multi(text)).matchTx(response, Direction.TO_CLIENT), expected, text);
  }
});

test('dns keyword names and aliases', () => {
  const names = DNS_KEYWORDS.flatMap((k) => [k.name, ...(k.aliases ?? [])]).sort();
  assert.deepEqual(names, [
    'dns.additionals.rrname',
    'dns.answer.name',
    'dns.answers.rrname',
    'dns.authorities.rrname',
    'dns.opcode',
    'dns.queries.rrname',
    'dns.query',
    'dns.query.name',
    'dns.rcode',
    'dns.response.rrname',
    'dns.rrtype',
    'dns_query',
  ]);
});

test('dns event names match the rules file', () => {
  // rules/dns-events.rules of Suricata names these ten events.
  for (const name of ['malformed_data', 'not_request', 'not_response', 'z_flag_set', 'invalid_opcode', 'name_too_long', 'infinite_loop', 'too_many_labels', 'invalid_additionals', 'invalid_authorities']) {
    assert.ok(findDnsEvent(name) >= 0, name);
  }
});

test('dns older event names accepted', () => {
  assert.equal(findDnsEvent('not_a_request'), DnsEvent.NOT_REQUEST);
  assert.equal(findDnsEvent('not_a_response'), DnsEvent.NOT_RESPONSE);
  assert.equal(findDnsEvent('not_a_query'), -1);
});

test('dns events carry their transaction', () => {
  // A response sent to the server raises not_request on transaction 0;
  // a request sent to the client raises not_response on transaction 1.
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, RESPONSE, 0, RESPONSE.length, 0);
  state.handleData(Direction.TO_CLIENT, REQUEST, 0, REQUEST.length, 0);
  assert.deepEqual(state.events, [DnsEvent.NOT_REQUEST, DnsEvent.NOT_RESPONSE]);
  assert.deepEqual(state.eventTxIds, [0, 1]);
});

test('dns parser errors counted across flows', () => {
  const errors = { parser: 0 };
  const first = new DnsState(false, 256, errors);
  const second = new DnsState(false, 256, errors);
  // A 5-byte datagram is shorter than the 12-byte header.
  first.handleData(Direction.TO_SERVER, REQUEST, 0, 5, 0);
  second.handleData(Direction.TO_SERVER, REQUEST, 0, 5, 0);
  second.handleData(Direction.TO_SERVER, REQUEST, 0, REQUEST.length, 0);
  assert.equal(errors.parser, 2);
  assert.equal(second.counters.malformed, 1);
});

test('dns tcp probe on header alone', () => {
  // Length prefix 0x4185 (16773 bytes) and a request header with 1500
  // questions (0x05dc), but only the first 20 bytes of the message.
  const partial = hexRows(`
0000  41 85 08 ae 01 00 05 dc 00 00 00 00 00 00 1e 31   A..............1
0010  32 33 34 35 36                                    23456
`);
  // On a DNS port the header decides: 12 + 2 * 1500 bytes fit in 16773.
  assert.equal(probeDnsTcp(partial, 0, partial.length, Direction.TO_SERVER, true), 'yes');
  // Elsewhere 1500 questions are too many to guess from the header.
  assert.equal(probeDnsTcp(partial, 0, partial.length, Direction.TO_SERVER), 'no');
  // 9000 questions need 18012 bytes, more than the 16773 announced.
  const tooMany = partial.slice();
  tooMany[6] = 0x23;
  tooMany[7] = 0x28;
  assert.equal(probeDnsTcp(tooMany, 0, tooMany.length, Direction.TO_SERVER, true), 'no');
  // A request header with the QR bit set is no request.
  const response = partial.slice();
  response[4] = 0x81;
  assert.equal(probeDnsTcp(response, 0, response.length, Direction.TO_SERVER, true), 'no');
});

test('dns probe udp and tcp', () => {
  assert.equal(probeDns(REQUEST, 0, REQUEST.length, Direction.TO_SERVER), 'yes');
  assert.equal(probeDns(RESPONSE, 0, RESPONSE.length, Direction.TO_SERVER), 'no');
  assert.equal(probeDns(REQUEST, 0, 8, Direction.TO_SERVER), 'need_more');
  const framed = withPrefix(REQUEST);
  assert.equal(probeDnsTcp(framed, 0, framed.length, Direction.TO_SERVER), 'yes');
  assert.equal(probeDnsTcp(framed, 0, 20, Direction.TO_SERVER), 'need_more');
  const http = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(probeDnsTcp(http, 0, http.length, Direction.TO_SERVER), 'no');
});

test('dns over tcp from capture', () => {
  // tshark -r dns-tcp.pcapng -T fields -e dns.id -e dns.qry.name: the TCP
  // query 0xb4c3 for ripe.net (type ANY) and its response flags 0x8180.
  // tshark -Y 'dns.flags.response==1 && tcp' -e dns.resp.type:
  // 48,48,48,48,46,43,43,46 (four DNSKEY, RRSIG, two DS, RRSIG).
  const flow = readCaptureFlows(join(process.cwd(), 'test', 'pcaps', 'app', 'dns', 'dns-tcp.pcapng')).find((f) => f.ipProto === IpProto.TCP)!;
  for (const plan of splitPlans(flow.streams[1].length, 99, 3)) {
    const state = new DnsState(true);
    state.handleData(Direction.TO_SERVER, flow.streams[0], 0, flow.streams[0].length, 0);
    let at = 0;
    for (const n of plan) {
      state.handleData(Direction.TO_CLIENT, flow.streams[1], at, n, 0);
      at += n;
    }
    const [request, response] = state.transactions;
    assert.equal(request.message!.id, 0xb4c3);
    assert.deepEqual(request.queryNames.map(text), ['ripe.net']);
    assert.equal(response.message!.flags, 0x8180);
    assert.deepEqual(response.message!.answers.map((a) => a.rrtype), [48, 48, 48, 48, 46, 43, 43, 46]);
    assert.equal(response.requestTxId, 0);
    assert.deepEqual(state.events, []);
  }
});

test('dns eve opt option and truncated name', () => {
  // Response for a 20-label name (cut, see the length test) with one OPT
  // record carrying an EDNS cookie option (code 10, RFC 7873).
  const labels: number[] = [];
  for (let i = 0; i < 20; i++) labels.push(63, ...new Array<number>(63).fill(0x61));
  const opt = [0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 8, 0, 10, 0, 4, 0xde, 0xad, 0xbe, 0xef];
  const msg = Uint8Array.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 1, ...labels, 0, 0, 1, 0, 1, ...opt]);
  const state = new DnsState(false);
  state.handleData(Direction.TO_CLIENT, msg, 0, msg.length, 0);
  const obj = JSON.parse(buildDnsEve(state.transactions[0], 3)[0]);
  assert.equal(obj.queries[0].rrname_truncated, true);
  assert.deepEqual(obj.additionals, [{ rrname: '', rrtype: 'OPT', ttl: 0, opt: [{ code: 10, data: 'deadbeef' }] }]);
});

test('dns eve name bytes not utf-8', () => {
  // Query name with bytes 0xff and 0x01: printed as \xff and \x01 text.
  const msg = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0xff, 0x01, 0, 0, 1, 0, 1]);
  const state = new DnsState(false);
  state.handleData(Direction.TO_SERVER, msg, 0, msg.length, 0);
  const obj = JSON.parse(buildDnsEve(state.transactions[0], 3)[0]);
  assert.equal(obj.queries[0].rrname, 'a\\xff\\x01');
});

test('dns name steps above message budget', () => {
  // Query 0 is a name of 250 labels, and each of the 10836 queries after it
  // is a pointer to it. Every name walks 252 steps, 2.7 million in all.
  const labels: number[] = [];
  for (let i = 0; i < 250; i++) labels.push(1, 0x61);
  const count = 1 + Math.floor((65535 - 12 - labels.length - 5) / 6);
  const b = new Uint8Array(12 + labels.length + 5 + (count - 1) * 6);
  b.set([0, 1, 1, 0, count >> 8, count & 0xff, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
  for (let i = 1; i < count; i++) b.set([0xc0, 0x0c, 0, 1, 0, 1], 12 + labels.length + 5 + (i - 1) * 6);

  assert.ok(count * 252 > MAX_DNS_NAME_STEPS_PER_MESSAGE);
  const r = parseDnsMessage(b, 0, b.length);
  assert.equal(r.status, DnsStatus.INVALID);
  assert.equal(r.event, DnsEvent.INFINITE_LOOP);

  // The same message with 1000 queries stays within the budget.
  const few = b.slice();
  few[4] = 1000 >> 8;
  few[5] = 1000 & 0xff;
  const ok = parseDnsMessage(few, 0, few.length);
  assert.equal(ok.status, DnsStatus.OK);
  assert.equal(ok.message!.queries[999].name.value.length, 250 * 2 - 1);
});
