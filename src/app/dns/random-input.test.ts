import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction } from '../../core/packet.js';
import { DnsState, DEFAULT_MAX_DNS_TRANSACTIONS } from './state.js';
import { buildDnsEve } from './eve.js';
import { TlsState } from '../tls/state.js';
import { buildTlsEve } from '../tls/eve.js';
import { SshState } from '../ssh/state.js';
import { buildSshEve } from '../ssh/eve.js';
import { seededRandom } from './test-support.js';

/** Returns `count` pseudo-random inputs of up to `maxBytes`, some starting with a plausible header. */
function randomInputs(seed: number, count: number, maxBytes: number, prefix: number[]): Uint8Array[] {
  const rand = seededRandom(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(1 + Math.floor(rand() * maxBytes));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    if (i % 2 === 0) bytes.set(prefix.slice(0, bytes.length));
    out.push(bytes);
  }
  return out;
}

test('dns random datagrams never throw', () => {
  const state = new DnsState(false);
  for (const bytes of randomInputs(11, 2000, 300, [0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1])) {
    state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
    for (const tx of state.transactions) buildDnsEve(tx, 3);
  }
  assert.ok(state.transactions.length <= DEFAULT_MAX_DNS_TRANSACTIONS);
  assert.equal(state.counters.messages, 2000);
});

test('dns random tcp stream never throws', () => {
  const state = new DnsState(true);
  for (const bytes of randomInputs(12, 500, 600, [0, 30, 0, 1, 1, 0, 0, 1])) {
    state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
  }
  assert.ok(state.transactions.length <= DEFAULT_MAX_DNS_TRANSACTIONS);
});

test('tls random records never throw', () => {
  for (const bytes of randomInputs(13, 1000, 400, [22, 3, 1, 1, 0, 1, 0, 0, 252, 3, 3])) {
    const state = new TlsState();
    state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
    state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
    buildTlsEve(state.tx, { isExtended: true, hasJa3: true, hasJa4: true });
  }
});

test('ssh random streams never throw', () => {
  for (const bytes of randomInputs(14, 1000, 300, [0x53, 0x53, 0x48, 0x2d, 0x32, 0x2e, 0x30, 0x2d, 0x78, 0x0a, 0, 0, 0, 12])) {
    const state = new SshState();
    state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
    buildSshEve(state.tx);
  }
});
