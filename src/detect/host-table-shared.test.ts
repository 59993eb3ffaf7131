import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../core/packet.js';
import { Flow } from '../flow/flow.js';
import { makePacket } from '../flow/test-packet.js';
import {
  AddressStateTable,
  attachHostTables,
  BIT_RECORD_BYTES,
  entryBytes,
  HOST_KEY_WORDS,
  HostTables,
  type AddressTableConfig,
  type HostTablesConfig,
  PAIR_KEY_WORDS,
  writeHostKey,
  writePairKey,
} from './host-table.js';
import { loadRulesFromText } from './rule-files.js';
import type { DetectThreadContext, Signature } from './signature.js';

const T0_US = 1_700_000_000_000_000;
const US_PER_S = 1_000_000;

/** Two host tables over one new buffer, as two worker threads would hold them. */
function sharedHostTables(memcapBytes: number, hashSize: number): [AddressStateTable, AddressStateTable] {
  const config: AddressTableConfig = { memcapBytes, hashSize };
  const buffer = new SharedArrayBuffer(AddressStateTable.bytesFor(HOST_KEY_WORDS, config));
  return [new AddressStateTable('host', HOST_KEY_WORDS, config, buffer), new AddressStateTable('host', HOST_KEY_WORDS, config, buffer)];
}

function hostEntry(table: AddressStateTable, src: string): number {
  writeHostKey(table.key, makePacket({ src, dst: '192.0.2.200' }), true);
  return table.findOrCreate();
}

function findHost(table: AddressStateTable, src: string): number {
  writeHostKey(table.key, makePacket({ src, dst: '192.0.2.200' }), true);
  return table.find();
}

test('shared table bytes by hand', () => {
  // memcap 248, one bucket: 244 spare bytes hold 3 entries of 76 bytes or
  // 15 records of 16 bytes. Buffer: 48-byte header, 32 bytes of counters,
  // one 4-byte bucket, 3 * 76 and 15 * 16: 80 + 4 + 228 + 240 = 552.
  const config = { memcapBytes: 4 + 3 * entryBytes(HOST_KEY_WORDS) + BIT_RECORD_BYTES, hashSize: 1 };
  assert.equal(config.memcapBytes, 248);
  assert.equal(AddressStateTable.bytesFor(HOST_KEY_WORDS, config), 552);
  // Pair entries are 16 bytes larger (four more key words): 244 / 92 = 2 entries.
  assert.equal(AddressStateTable.bytesFor(PAIR_KEY_WORDS, config), 80 + 4 + 2 * 92 + 240);
  assert.throws(() => new AddressStateTable('host', HOST_KEY_WORDS, config, new SharedArrayBuffer(551)), /too small/);
});

test('shared buffer rejects other config', () => {
  const config = { memcapBytes: 64 * 1024, hashSize: 256 };
  const buffer = new SharedArrayBuffer(AddressStateTable.bytesFor(HOST_KEY_WORDS, config));
  new AddressStateTable('host', HOST_KEY_WORDS, config, buffer);
  // A smaller memcap fits in the buffer but gives another layout.
  assert.throws(() => new AddressStateTable('host', HOST_KEY_WORDS, { memcapBytes: 32 * 1024, hashSize: 256 }, buffer), /set up for 5 key words, 256 buckets/);
  assert.throws(() => new AddressStateTable('host', HOST_KEY_WORDS, { memcapBytes: 64 * 1024, hashSize: 512 }, buffer), /give every table over one buffer the same config/);
});

test('bit set through one instance', () => {
  const [first, second] = sharedHostTables(1 << 20, 64);
  const entry = hostEntry(first, '198.51.100.7');
  assert.equal(first.setBit(entry, 3, T0_US, T0_US + 30 * US_PER_S), true);

  const seen = findHost(second, '198.51.100.7');
  assert.equal(seen, entry);
  assert.equal(second.isBitSet(seen, 3, T0_US + US_PER_S), true);
  assert.equal(second.isBitSet(seen, 4, T0_US + US_PER_S), false);
  assert.equal(second.counters.active, 1);
  assert.equal(second.counters.created, 1);
  assert.equal(second.memuseBytes, first.memuseBytes);

  // Cleared through the second, clear through the first.
  second.unsetBit(seen, 3);
  assert.equal(first.isBitSet(entry, 3, T0_US + US_PER_S), false);
  assert.equal(first.memuseBytes, 64 * 4 + entryBytes(HOST_KEY_WORDS));
});

test('shared lru eviction across instances', () => {
  // The scenario of 'memcap evicts least recently used', spread over two
  // instances: room for three host entries and one bit record.
  const memcapBytes = 4 + 3 * entryBytes(HOST_KEY_WORDS) + BIT_RECORD_BYTES;
  const [first, second] = sharedHostTables(memcapBytes, 1);
  const firstHost = hostEntry(first, '198.51.100.1');
  second.setBit(firstHost, 0, T0_US, T0_US + 30 * US_PER_S);
  hostEntry(second, '198.51.100.2');
  hostEntry(first, '198.51.100.3');
  assert.equal(second.counters.active, 3);
  assert.equal(second.memuseBytes, memcapBytes);

  // The first host becomes the most recently used through the second
  // instance, so the fourth host, added through the first, evicts host 2.
  assert.equal(findHost(second, '198.51.100.1'), firstHost);
  hostEntry(first, '198.51.100.4');
  assert.equal(second.counters.active, 3);
  assert.equal(second.counters.evicted, 1);
  assert.equal(findHost(second, '198.51.100.2'), -1);
  assert.notEqual(findHost(second, '198.51.100.4'), -1);
  assert.equal(second.isBitSet(findHost(second, '198.51.100.1'), 0, T0_US), true);
  assert.equal(first.memuseBytes, memcapBytes);

  // A second bit record, on host 3, evicts host 4, now the least recently used.
  const three = findHost(second, '198.51.100.3');
  assert.equal(first.setBit(three, 1, T0_US, T0_US + US_PER_S), true);
  assert.equal(first.counters.evicted, 2);
  assert.equal(findHost(first, '198.51.100.4'), -1);
  assert.equal(second.counters.memcapHits, 0);
});

test('shared memcap across instances', () => {
  // 'memcap crossed with many hosts' through two instances in turn:
  // (65536 - 256 * 4) / (76 + 32) = 597.3, so 597 hosts fit.
  const memcapBytes = 64 * 1024;
  const [first, second] = sharedHostTables(memcapBytes, 256);
  for (let i = 0; i < 10_000; i++) {
    const table = i % 2 === 0 ? first : second;
    const entry = hostEntry(table, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.notEqual(entry, -1);
    table.setBit(entry, 0, T0_US, T0_US + US_PER_S);
    table.setBit(entry, 1, T0_US, T0_US + US_PER_S);
    assert.equal(table.memuseBytes <= memcapBytes, true);
  }
  assert.equal(first.counters.active, 597);
  assert.equal(second.counters.created, 10_000);
  assert.equal(first.counters.evicted, 10_000 - 597);
  assert.equal(first.memuseBytes, second.memuseBytes);
  const last = findHost(first, '10.0.39.15');
  assert.equal(second.isBitSet(last, 1, T0_US), true);
});

test('shared memcap hit counted once', () => {
  // Room for one entry and no bit record.
  const [first, second] = sharedHostTables(4 + entryBytes(HOST_KEY_WORDS), 1);
  const entry = hostEntry(first, '198.51.100.1');
  assert.equal(second.setBit(entry, 0, T0_US, T0_US + US_PER_S), false);
  assert.equal(first.counters.memcapHits, 1);
  assert.deepEqual(first.stats(), second.stats());
});

test('shared table places entries as own', () => {
  // The same operations give the same entry indexes with and without a
  // shared buffer, so sharing does not change which entries are evicted.
  const config = { memcapBytes: 16 * 1024, hashSize: 16 };
  const own = new AddressStateTable('host', HOST_KEY_WORDS, config);
  const shared = new AddressStateTable('host', HOST_KEY_WORDS, config, new SharedArrayBuffer(AddressStateTable.bytesFor(HOST_KEY_WORDS, config)));
  for (let i = 0; i < 2000; i++) {
    // Hosts repeat every 300, and every third step sets a bit.
    const src = `10.0.${(i % 300) >> 8}.${i % 256}`;
    const ownEntry = hostEntry(own, src);
    assert.equal(hostEntry(shared, src), ownEntry, `step ${i}`);
    if (i % 3 === 0) assert.equal(shared.setBit(ownEntry, i % 5, T0_US + i, T0_US + i + 100), own.setBit(ownEntry, i % 5, T0_US + i, T0_US + i + 100));
  }
  assert.deepEqual(shared.stats(), own.stats());
  assert.equal(shared.counters.created, own.counters.created);
});

test('pair tables over given buffers', () => {
  const config: HostTablesConfig = {
    host: { memcapBytes: 64 * 1024, hashSize: 64 },
    ippair: { memcapBytes: 64 * 1024, hashSize: 64 },
  };
  assert.deepEqual(HostTables.bufferBytes(config), {
    host: AddressStateTable.bytesFor(HOST_KEY_WORDS, config.host),
    ippair: AddressStateTable.bytesFor(PAIR_KEY_WORDS, config.ippair),
  });
  const buffers = HostTables.createBuffers(config);
  const first = new HostTables(config, buffers);
  const second = new HostTables(config, buffers);
  assert.equal(first.pairs.isShared, true);

  writePairKey(first.pairs.key, makePacket({ src: '198.51.100.1', dst: '203.0.113.5' }));
  const entry = first.pairs.findOrCreate();
  first.pairs.setBit(entry, 0, T0_US, T0_US + 30 * US_PER_S);
  // The reply direction, through the other instance.
  writePairKey(second.pairs.key, makePacket({ src: '203.0.113.5', dst: '198.51.100.1' }));
  assert.equal(second.pairs.isBitSet(second.pairs.find(), 0, T0_US), true);
  assert.deepEqual(second.stats(), first.stats());
  assert.equal(second.hosts.counters.active, 0);
});

/** Runs a signature as the engine does: packet matchers, then post matchers; returns whether it alerts. */
function run(sig: Signature | undefined, p: Packet, ctx: DetectThreadContext): boolean {
  assert.ok(sig);
  const flow = new Flow();
  for (const m of sig.packetMatches) if (!m.match(p, flow, ctx)) return false;
  let alerts = !sig.isNoAlert;
  for (const m of sig.postMatches) if (!m.apply(p, flow, ctx)) alerts = false;
  return alerts;
}

test('hostbits across detection contexts', () => {
  // Each context loads the rules itself, as each worker does, and both use
  // tables over the same buffers.
  const text = `
alert tcp any any -> any any (hostbits:set,seen,src; hostbits:noalert; sid:1;)
alert tcp any any -> any any (xbits:set,pair,track ip_pair; noalert; sid:2;)
alert tcp any any -> any any (hostbits:isset,seen,dst; xbits:isset,pair,track ip_pair; sid:3;)
`;
  const bySid = (): Map<number, Signature> => new Map(loadRulesFromText(text, 'h.rules').signatures.map((sig) => [sig.sid, sig]));
  const firstSigs = bySid();
  const secondSigs = bySid();
  const buffers = HostTables.createBuffers();
  const firstCtx: DetectThreadContext = { byteVars: new Float64Array(0) };
  const secondCtx: DetectThreadContext = { byteVars: new Float64Array(0) };
  attachHostTables(firstCtx, new HostTables(undefined, buffers));
  attachHostTables(secondCtx, new HostTables(undefined, buffers));

  const request = makePacket({ src: '198.51.100.10', dst: '203.0.113.1', timestampUs: T0_US });
  const reply = makePacket({ src: '203.0.113.1', dst: '198.51.100.10', timestampUs: T0_US + US_PER_S });
  assert.equal(run(secondSigs.get(3), reply, secondCtx), false);
  assert.equal(run(firstSigs.get(1), request, firstCtx), false);
  assert.equal(run(firstSigs.get(2), request, firstCtx), false);
  assert.equal(run(secondSigs.get(3), reply, secondCtx), true);
});
