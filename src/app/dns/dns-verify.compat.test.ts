/**
 * DNS cases of the public suricata-verify suite in the shared corpus, run
 * through DnsState without the rest of the engine. Each test checks the
 * EVE fields and events that the case's test.yaml expects from Suricata 8.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Direction, IpProto } from '../../core/packet.js';
import { DNS_EVENT_NAMES } from './events.js';
import { DnsBuffer, getDnsBuffers } from './detect.js';
import { buildDnsEve } from './eve.js';
import { DnsState } from './state.js';
import { findCorpus, readCaptureFlows } from './test-support.js';

const VERIFY = join(findCorpus() ?? 'corpus-not-found', 'suricata-verify', 'dns');
const skipUnless = (path: string): { skip: string | false } => ({ skip: existsSync(join(VERIFY, path)) ? false : 'suricata-verify case not found' });

/** Runs every UDP datagram of a capture through one DnsState per flow and returns the states. */
function runUdp(path: string): DnsState[] {
  const states: DnsState[] = [];
  for (const flow of readCaptureFlows(join(VERIFY, path))) {
    if (flow.ipProto !== IpProto.UDP) continue;
    const state = new DnsState(false);
    for (const d of flow.datagrams) state.handleData(d.direction, d.bytes, 0, d.bytes.length, 0);
    states.push(state);
  }
  return states;
}

function eve(state: DnsState, index: number): Record<string, unknown> & { [k: string]: any } {
  return JSON.parse(buildDnsEve(state.transactions[index], 3)[0]);
}

test('verify dns-forward-pointer', skipUnless('dns-forward-pointer/input.pcap'), () => {
  const [state] = runUdp('dns-forward-pointer/input.pcap');
  const request = eve(state, 0);
  assert.equal(request.type, 'request');
  assert.equal(request.id, 36356);
  assert.deepEqual(request.queries, [
    { rrname: 'codemonkey.net', rrtype: 'A' },
    { rrname: 'codemonkey.net', rrtype: 'A' },
  ]);
  const response = eve(state, 1);
  assert.equal(response.type, 'response');
  assert.deepEqual(response.answers[0], { rrname: 'codemonkey.net', rrtype: 'A', ttl: 300, rdata: '152.53.82.239' });
  assert.deepEqual(response.queries, [{ rrname: 'codemonkey.net', rrtype: 'A' }]);
  assert.equal(state.counters.malformed, 0);
});

test('verify dns-rcode', skipUnless('dns-rcode/input.pcap'), () => {
  const [state] = runUdp('dns-rcode/input.pcap');
  assert.equal(eve(state, 1).rcode, 'NXDOMAIN');
});

test('verify dns-z-bit', skipUnless('dns-z-bit/input.pcap'), () => {
  const [state] = runUdp('dns-z-bit/input.pcap');
  const request = eve(state, 0);
  assert.equal(request.type, 'request');
  assert.equal(request.z, true);
  assert.deepEqual(state.transactions[0].events.map((e) => DNS_EVENT_NAMES[e]), ['z_flag_set']);
  const response = eve(state, 1);
  assert.equal(response.flags, '8180');
  assert.deepEqual(response.answers[0], { rrname: 'www.google.com', rrtype: 'A', ttl: 58, rdata: '142.251.32.68' });
  assert.equal(response.grouped.A[0], '142.251.32.68');
});

test('verify dns-answer-name', skipUnless('dns-answer-name/dns-udp-request-with-answer.pcap'), () => {
  // dns.answers.rrname content "oisf" matches the request (which carries
  // an answer) and the response; dns.response.rrname only the response.
  const [state] = runUdp('dns-answer-name/dns-udp-request-with-answer.pcap');
  const [request, response] = state.transactions;
  const has = (list: Uint8Array[]): boolean => list.some((b) => Buffer.from(b).toString('latin1').includes('oisf'));
  assert.equal(has(getDnsBuffers(request, DnsBuffer.ANSWERS_RRNAME, Direction.TO_SERVER)), true);
  assert.equal(has(getDnsBuffers(response, DnsBuffer.ANSWERS_RRNAME, Direction.TO_CLIENT)), true);
  assert.equal(has(getDnsBuffers(request, DnsBuffer.RESPONSE_RRNAME, Direction.TO_SERVER)), false);
  assert.equal(has(getDnsBuffers(response, DnsBuffer.RESPONSE_RRNAME, Direction.TO_CLIENT)), true);
});

test('verify dns-truncated-rname', skipUnless('dns-truncated-rname/poc2.pcap'), () => {
  // DNS over TCP on port 1053; the first query name is cut at 1025 bytes.
  const flow = readCaptureFlows(join(VERIFY, 'dns-truncated-rname/poc2.pcap')).find((f) => f.ipProto === IpProto.TCP)!;
  const state = new DnsState(true);
  for (const d of [0, 1]) state.handleData(d, flow.streams[d], 0, flow.streams[d].length, 0);
  const request = eve(state, 0);
  assert.equal(request.queries[0].rrname.length, 1025);
  assert.equal(request.queries[0].rrname_truncated, true);
  assert.ok(state.transactions[0].events.map((e) => DNS_EVENT_NAMES[e]).includes('name_too_long'));
});

test('verify dns-invalid-opcode', skipUnless('dns-invalid-opcode/input.pcap'), () => {
  const [state] = runUdp('dns-invalid-opcode/input.pcap');
  assert.equal(eve(state, 0).type, 'request');
  assert.equal(eve(state, 1).type, 'response');
  const names = state.transactions.map((tx) => tx.events.map((e) => DNS_EVENT_NAMES[e]));
  assert.deepEqual(names, [['invalid_opcode'], ['invalid_opcode']]);
});
