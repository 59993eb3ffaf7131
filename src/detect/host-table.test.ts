import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePacket } from '../flow/test-packet.js';
import {
  AddressStateTable,
  attachHostTables,
  BIT_RECORD_BYTES,
  entryBytes,
  HOST_KEY_WORDS,
  HostTables,
  hostTablesOf,
  PAIR_KEY_WORDS,
  writeHostKey,
  writePairKey,
} from './host-table.js';

const T0_US = 1_700_000_000_000_000;
const US_PER_S = 1_000_000;

function hostTable(memcapBytes = 1 << 20, hashSize = 64): AddressStateTable {
  return new AddressStateTable('host', HOST_KEY_WORDS, { memcapBytes, hashSize });
}

function pairTable(memcapBytes = 1 << 20, hashSize = 64): AddressStateTable {
  return new AddressStateTable('ippair', PAIR_KEY_WORDS, { memcapBytes, hashSize });
}

/** Creates (or finds) the entry of the source host of a packet from `src` to `dst`. */
function hostEntry(table: AddressStateTable, src: string, dst = '192.0.2.200'): number {
  writeHostKey(table.key, makePacket({ src, dst }), true);
  return table.findOrCreate();
}

function findHost(table: AddressStateTable, src: string): number {
  writeHostKey(table.key, makePacket({ src, dst: '192.0.2.200' }), true);
  return table.find();
}

test('host key words for ipv4 and ipv6', () => {
  const key = new Uint32Array(HOST_KEY_WORDS);
  writeHostKey(key, makePacket({ src: '1.2.3.4', dst: '5.6.7.8' }), true);
  assert.deepEqual([...key], [4, 0x01020304, 0, 0, 0]);
  writeHostKey(key, makePacket({ src: '1.2.3.4', dst: '5.6.7.8' }), false);
  assert.deepEqual([...key], [4, 0x05060708, 0, 0, 0]);
  writeHostKey(key, makePacket({ src: '102:304::', dst: '506:708::' }), true);
  assert.deepEqual([...key], [6, 0x01020304, 0, 0, 0]);
});

test('pair key same in both directions', () => {
  const forward = new Uint32Array(PAIR_KEY_WORDS);
  const reverse = new Uint32Array(PAIR_KEY_WORDS);
  writePairKey(forward, makePacket({ src: '198.51.100.9', dst: '198.51.100.2' }));
  writePairKey(reverse, makePacket({ src: '198.51.100.2', dst: '198.51.100.9' }));
  // 198.51.100.2 = 0xc6336402 sorts before 198.51.100.9 = 0xc6336409.
  assert.deepEqual([...forward], [4, 0xc6336402, 0, 0, 0, 0xc6336409, 0, 0, 0]);
  assert.deepEqual([...reverse], [...forward]);

  writePairKey(forward, makePacket({ src: '2001:db8::1:0', dst: '2001:db8::2' }));
  writePairKey(reverse, makePacket({ src: '2001:db8::2', dst: '2001:db8::1:0' }));
  // The words differ first in word 3: 0x00010000 against 0x00000002.
  assert.deepEqual([...forward], [6, 0x20010db8, 0, 0, 2, 0x20010db8, 0, 0, 0x00010000]);
  assert.deepEqual([...reverse], [...forward]);
});

test('host bit shared across flows', () => {
  const table = hostTable();
  const entry = hostEntry(table, '198.51.100.7', '203.0.113.1');
  assert.equal(table.setBit(entry, 3, T0_US, T0_US + 30 * US_PER_S), true);

  // Another flow from the same host, to another server and port.
  const other = makePacket({ src: '198.51.100.7', dst: '203.0.113.99', srcPort: 40000, dstPort: 443 });
  writeHostKey(table.key, other, true);
  const again = table.find();
  assert.equal(again, entry);
  assert.equal(table.isBitSet(again, 3, T0_US + US_PER_S), true);
  assert.equal(table.isBitSet(again, 4, T0_US + US_PER_S), false);
  assert.equal(findHost(table, '198.51.100.8'), -1);
});

test('bit expiry at exact boundary', () => {
  const table = hostTable();
  const entry = hostEntry(table, '198.51.100.7');
  const expireUs = T0_US + 30 * US_PER_S;
  table.setBit(entry, 1, T0_US, expireUs);
  // Set up to and including the expiry time, gone one microsecond later.
  assert.equal(table.isBitSet(entry, 1, expireUs), true);
  assert.equal(table.isBitSet(entry, 1, expireUs + 1), false);
  // The expired bit was removed, so an earlier time does not revive it.
  assert.equal(table.isBitSet(entry, 1, T0_US), false);
});

test('set keeps expiry of a live bit', () => {
  const table = hostTable();
  const entry = hostEntry(table, '198.51.100.7');
  table.setBit(entry, 1, T0_US, T0_US + 10 * US_PER_S);
  table.setBit(entry, 1, T0_US + 5 * US_PER_S, T0_US + 15 * US_PER_S);
  assert.equal(table.isBitSet(entry, 1, T0_US + 10 * US_PER_S), true);
  assert.equal(table.isBitSet(entry, 1, T0_US + 11 * US_PER_S), false);

  // Once expired, a set starts a new expiry.
  table.setBit(entry, 2, T0_US, T0_US + 10 * US_PER_S);
  table.setBit(entry, 2, T0_US + 20 * US_PER_S, T0_US + 30 * US_PER_S);
  assert.equal(table.isBitSet(entry, 2, T0_US + 30 * US_PER_S), true);
});

test('toggle and unset bits', () => {
  const table = hostTable();
  const entry = hostEntry(table, '198.51.100.7');
  const expireUs = T0_US + 30 * US_PER_S;
  table.toggleBit(entry, 5, T0_US, expireUs);
  assert.equal(table.isBitSet(entry, 5, T0_US), true);
  table.toggleBit(entry, 5, T0_US, expireUs);
  assert.equal(table.isBitSet(entry, 5, T0_US), false);

  table.setBit(entry, 5, T0_US, expireUs);
  table.setBit(entry, 6, T0_US, expireUs);
  table.unsetBit(entry, 5);
  assert.equal(table.isBitSet(entry, 5, T0_US), false);
  assert.equal(table.isBitSet(entry, 6, T0_US), true);
  // An expired bit counts as clear, so toggling sets it again.
  table.toggleBit(entry, 6, expireUs + 1, expireUs + 31 * US_PER_S);
  assert.equal(table.isBitSet(entry, 6, expireUs + 2), true);
});

test('pair bit symmetric between directions', () => {
  const table = pairTable();
  writePairKey(table.key, makePacket({ src: '198.51.100.1', dst: '203.0.113.5', srcPort: 1111, dstPort: 80 }));
  const entry = table.findOrCreate();
  table.setBit(entry, 0, T0_US, T0_US + 30 * US_PER_S);

  writePairKey(table.key, makePacket({ src: '203.0.113.5', dst: '198.51.100.1', srcPort: 53, dstPort: 2222, proto: 17 }));
  const reply = table.find();
  assert.equal(reply, entry);
  assert.equal(table.isBitSet(reply, 0, T0_US), true);

  writePairKey(table.key, makePacket({ src: '198.51.100.1', dst: '203.0.113.6' }));
  assert.equal(table.find(), -1);
});

test('ipv4 and ipv6 keys never collide', () => {
  // One bucket, so every key shares a chain; the IPv6 pair has the same
  // address words as the IPv4 pair with the remaining words zero.
  const pairs = pairTable(1 << 20, 1);
  writePairKey(pairs.key, makePacket({ src: '1.2.3.4', dst: '5.6.7.8', srcPort: 1111, dstPort: 2222, proto: 17 }));
  const v4 = pairs.findOrCreate();
  pairs.setBit(v4, 0, T0_US, T0_US + 30 * US_PER_S);

  writePairKey(pairs.key, makePacket({ src: '102:304::', dst: '506:708::', srcPort: 1111, dstPort: 2222, proto: 17 }));
  assert.equal(pairs.find(), -1);
  const v6 = pairs.findOrCreate();
  assert.notEqual(v6, v4);
  assert.equal(pairs.isBitSet(v6, 0, T0_US), false);

  const hosts = hostTable(1 << 20, 1);
  const host4 = hostEntry(hosts, '1.2.3.4');
  hosts.setBit(host4, 0, T0_US, T0_US + 30 * US_PER_S);
  assert.equal(findHost(hosts, '102:304::'), -1);
  assert.equal(findHost(hosts, '1.2.3.4'), host4);
});

test('memcap evicts least recently used', () => {
  // Room for exactly three host entries and one bit record beside one
  // 4-byte bucket.
  const memcapBytes = 4 + 3 * entryBytes(HOST_KEY_WORDS) + BIT_RECORD_BYTES;
  const table = hostTable(memcapBytes, 1);
  const first = hostEntry(table, '198.51.100.1');
  table.setBit(first, 0, T0_US, T0_US + 30 * US_PER_S);
  hostEntry(table, '198.51.100.2');
  hostEntry(table, '198.51.100.3');
  assert.equal(table.counters.active, 3);
  assert.equal(table.memuseBytes <= memcapBytes, true);

  assert.equal(table.memuseBytes, memcapBytes);

  // Make the first host the most recently used, then add a fourth host:
  // the second host, now the least recently used, makes room.
  assert.equal(findHost(table, '198.51.100.1'), first);
  hostEntry(table, '198.51.100.4');
  assert.equal(table.counters.active, 3);
  assert.equal(table.memuseBytes, memcapBytes);
  assert.equal(findHost(table, '198.51.100.2'), -1);
  assert.notEqual(findHost(table, '198.51.100.4'), -1);
  assert.equal(table.isBitSet(findHost(table, '198.51.100.1'), 0, T0_US), true);
  assert.equal(findHost(table, '198.51.100.3') >= 0, true);
  assert.equal(table.counters.evicted, 1);
  assert.equal(table.counters.memcapHits, 0);
});

test('memcap crossed with many hosts', () => {
  const memcapBytes = 64 * 1024;
  const table = hostTable(memcapBytes, 256);
  const perHost = entryBytes(HOST_KEY_WORDS) + 2 * BIT_RECORD_BYTES;
  for (let i = 0; i < 10_000; i++) {
    const entry = hostEntry(table, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.notEqual(entry, -1);
    table.setBit(entry, 0, T0_US, T0_US + US_PER_S);
    table.setBit(entry, 1, T0_US, T0_US + US_PER_S);
    assert.equal(table.memuseBytes <= memcapBytes, true);
  }
  // (65536 - 256 * 4) / (76 + 32) = 597.3, so 597 hosts fit.
  assert.equal(table.counters.active, Math.floor((memcapBytes - 256 * 4) / perHost));
  assert.equal(table.counters.created, 10_000);
  assert.equal(table.counters.evicted, 10_000 - table.counters.active);
  // The newest host kept both bits.
  const last = findHost(table, '10.0.39.15');
  assert.equal(table.isBitSet(last, 1, T0_US), true);
});

test('memcap hit when nothing to evict', () => {
  // Room for one entry and no bit record.
  const table = hostTable(4 + entryBytes(HOST_KEY_WORDS), 1);
  const entry = hostEntry(table, '198.51.100.1');
  assert.notEqual(entry, -1);
  assert.equal(table.setBit(entry, 0, T0_US, T0_US + US_PER_S), false);
  assert.equal(table.counters.memcapHits, 1);
  assert.deepEqual(table.stats(), [
    ['host.memuse', 4 + entryBytes(HOST_KEY_WORDS)],
    ['host.memcap', 1],
    ['host.active', 1],
    ['host.evicted', 0],
  ]);

  // A memcap too small for any entry fails every create.
  const empty = hostTable(2, 1);
  assert.equal(hostEntry(empty, '198.51.100.1'), -1);
  assert.equal(empty.counters.memcapHits, 1);
});

test('entry counters start at zero', () => {
  const table = hostTable();
  const entry = hostEntry(table, '198.51.100.1');
  assert.equal(table.counter(entry, 0), 0);
  assert.equal(table.addCounter(entry, 2, 5), 5);
  assert.equal(table.addCounter(entry, 2, 1.5), 6.5);
  assert.equal(table.counter(entry, 2), 6.5);
  assert.equal(table.counter(entry, 1), 0);
});

test('tables per detection context', () => {
  const a = { byteVars: new Float64Array(0) };
  const b = { byteVars: new Float64Array(0) };
  assert.equal(hostTablesOf(a), hostTablesOf(a));
  assert.notEqual(hostTablesOf(a), hostTablesOf(b));
  const shared = new HostTables();
  attachHostTables(a, shared);
  attachHostTables(b, shared);
  assert.equal(hostTablesOf(a), shared);
  assert.equal(hostTablesOf(b), shared);
  assert.deepEqual(shared.stats().map(([name]) => name), [
    'host.memuse', 'host.memcap', 'host.active', 'host.evicted',
    'ippair.memuse', 'ippair.memcap', 'ippair.active', 'ippair.evicted',
  ]);
});
