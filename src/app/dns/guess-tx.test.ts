import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction } from '../../core/packet.js';
import { AppProto, FlowAppState } from '../app-layer.js';
import { guessAlertTx } from '../../output/eve-app.js';
import { DnsState, type DnsTransaction } from './state.js';
import { hexRows } from './test-support.js';

// A query for a.example (A) and its response with no answers, id 0x0102.
const QUERY = hexRows(`
0000  01 02 01 00 00 01 00 00 00 00 00 00 01 61 07 65   .............a.e
0010  78 61 6d 70 6c 65 00 00 01 00 01                  xample.....
`);
const RESPONSE = hexRows(`
0000  01 02 81 80 00 01 00 00 00 00 00 00 01 61 07 65   .............a.e
0010  78 61 6d 70 6c 65 00 00 01 00 01                  xample.....
`);

function dnsFlowState(): { state: FlowAppState; dns: DnsState } {
  const state = new FlowAppState(1);
  const dns = new DnsState(false);
  state.proto = AppProto.DNS;
  state.parser = dns;
  return { state, dns };
}

test('guess dns tx by direction', () => {
  const { state, dns } = dnsFlowState();
  dns.handleData(Direction.TO_SERVER, QUERY, 0, QUERY.length, 0);
  dns.handleData(Direction.TO_CLIENT, RESPONSE, 0, RESPONSE.length, 0);
  // One request and one response: each direction has one live message.
  assert.equal((guessAlertTx(state, Direction.TO_SERVER) as DnsTransaction | null)?.txId, 0);
  assert.equal((guessAlertTx(state, Direction.TO_CLIENT) as DnsTransaction | null)?.txId, 1);
});

test('guess dns tx not made for two', () => {
  const { state, dns } = dnsFlowState();
  dns.handleData(Direction.TO_SERVER, QUERY, 0, QUERY.length, 0);
  dns.handleData(Direction.TO_SERVER, QUERY, 0, QUERY.length, 0);
  assert.equal(guessAlertTx(state, Direction.TO_SERVER), null);
  assert.equal(guessAlertTx(state, Direction.TO_CLIENT), null);
});

test('guess tx needs a protocol', () => {
  const state = new FlowAppState(1);
  assert.equal(guessAlertTx(state, Direction.TO_SERVER), null);
});
