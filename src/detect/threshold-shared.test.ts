import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packet } from '../core/packet.js';
import { Action } from './signature.js';
import type { Signature, ThresholdSpec } from './signature.js';
import { DISTINCT_PORTS_PER_SLOT, ThresholdEngine, ThresholdTable, type ThresholdTableFull } from './threshold.js';

const anyAddress = { isAny: true, matchV4: () => true, matchV6: () => true };
const anyPort = { isAny: true, match: () => true };
let nextSigId = 0;

function sig(fields: Partial<Signature>): Signature {
  return {
    id: nextSigId++,
    action: Action.ALERT,
    gid: 1,
    sid: 1000001,
    rev: 1,
    msg: '',
    classtype: null,
    priority: 3,
    category: '',
    references: [],
    metadata: [],
    target: null,
    proto: 'tcp',
    src: anyAddress,
    srcPorts: anyPort,
    dst: anyAddress,
    dstPorts: anyPort,
    direction: 0,
    flowFlags: 0,
    packetMatches: [],
    buffers: [],
    postMatches: [],
    threshold: null,
    detectionFilter: null,
    isNoAlert: false,
    file: 'test.rules',
    line: 1,
    text: '',
    ...fields,
  };
}

function spec(kind: ThresholdSpec['kind'], track: ThresholdSpec['track'], count: number, seconds: number): ThresholdSpec {
  return { kind, track, count, seconds };
}

function packet(src: string, seconds: number, srcPort = 1024): Packet {
  const p = new Packet();
  p.reset(new Uint8Array(0), seconds * 1_000_000, 0, 1, 1);
  p.ipVersion = 4;
  p.ipProto = 6;
  p.srcAddr.set(src.split('.').map(Number));
  p.dstAddr.set([10, 0, 0, 2]);
  p.srcPort = srcPort;
  p.dstPort = 80;
  return p;
}

/** Two engines over one new buffer, as two worker threads would hold them. */
function sharedPair(memcapBytes: number, onTableFull?: (info: ThresholdTableFull) => void): [ThresholdEngine, ThresholdEngine] {
  const sharedBuffer = new SharedArrayBuffer(ThresholdTable.bytesFor(memcapBytes));
  const first = new ThresholdEngine([], onTableFull === undefined ? { memcapBytes, sharedBuffer } : { memcapBytes, sharedBuffer, onTableFull });
  const second = new ThresholdEngine([], onTableFull === undefined ? { memcapBytes, sharedBuffer } : { memcapBytes, sharedBuffer, onTableFull });
  return [first, second];
}

test('threshold table bytes for memcap', () => {
  // Memcap 0 gives 64 slots. Per slot: 3 float64 (24), 10 key words (40),
  // count and distinct count (8) and 32 uint16 ports (64) = 136 bytes,
  // plus a 40-byte header: 40 + 64 * 136 = 8744.
  assert.equal(ThresholdTable.bytesFor(0), 8744);
  // The default 16 MiB memcap gives 2^17 slots (16 MiB / 92 bytes = 182361).
  assert.equal(ThresholdTable.bytesFor(16 * 1024 * 1024), 40 + 131072 * 136);
  assert.throws(() => new ThresholdTable(0, new SharedArrayBuffer(8743)), /too small/);
  // 100 KiB of memcap gives 1024 slots (102400 / 92 = 1113): the buffer is
  // large enough for 64 slots but set up for another layout.
  const buffer = new SharedArrayBuffer(ThresholdTable.bytesFor(100 * 1024));
  new ThresholdTable(100 * 1024, buffer);
  assert.throws(() => new ThresholdTable(0, buffer), /set up for 1024 slots, not 64/);
});

test('threshold limit continues across engines', () => {
  // limit 3 per 60 s by source: two matches in one engine, four in the other.
  const [first, second] = sharedPair(0);
  const s = sig({ threshold: spec('limit', 'by_src', 3, 60) });
  const results = [
    first.shouldAlert(s, packet('10.0.0.1', 0), null),
    first.shouldAlert(s, packet('10.0.0.1', 1), null),
    second.shouldAlert(s, packet('10.0.0.1', 2), null),
    second.shouldAlert(s, packet('10.0.0.1', 3), null),
    first.shouldAlert(s, packet('10.0.0.1', 4), null),
    // 61 s after the first match: a new window.
    second.shouldAlert(s, packet('10.0.0.1', 61), null),
  ];
  assert.deepEqual(results, [true, true, true, false, false, true]);
  assert.equal(first.table.entries, 1);
  assert.equal(second.table.entries, 1);
  assert.equal(first.alertsSuppressed + second.alertsSuppressed, 2);
});

test('threshold every fourth across engines', () => {
  // type threshold, count 4: matches alternate between engines, alerts on the 4th and 8th.
  const [first, second] = sharedPair(0);
  const s = sig({ threshold: spec('threshold', 'by_src', 4, 60) });
  const results: boolean[] = [];
  for (let i = 0; i < 8; i++) results.push((i % 2 === 0 ? first : second).shouldAlert(s, packet('10.0.0.1', i), null));
  assert.deepEqual(results, [false, false, false, true, false, false, false, true]);
});

test('threshold table full across engines', () => {
  // Memcap 0: 64 slots, 32 entries. 20 sources through each engine fill it
  // at the 33rd source, which the second engine sees first.
  const events: ThresholdTableFull[] = [];
  const [first, second] = sharedPair(0, (info) => events.push(info));
  const s = sig({ threshold: spec('limit', 'by_src', 1, 60) });
  for (let i = 0; i < 20; i++) first.shouldAlert(s, packet(`10.1.0.${i}`, 5), null);
  for (let i = 20; i < 40; i++) second.shouldAlert(s, packet(`10.1.0.${i}`, 7), null);
  assert.equal(first.table.entries, 32);
  assert.equal(second.table.fullCount, 8);
  assert.equal(first.table.fullCount, 8);
  assert.equal(first.table.firstFullUs, 7_000_000);
  assert.deepEqual(events, [{ event: 'detect.thresholds.table_full', entries: 32, maxEntries: 32, timestampUs: 7_000_000 }]);
  // A source tracked through the first engine is limited in the second.
  assert.equal(second.shouldAlert(s, packet('10.1.0.3', 8), null), false);
});

test('distinct ports shared up to limit', () => {
  // count = DISTINCT_PORTS_PER_SLOT (32): the 33rd distinct port alerts.
  // Each engine gets half the ports, and both get repeats.
  const [first, second] = sharedPair(0);
  const limit = DISTINCT_PORTS_PER_SLOT;
  const s = sig({ detectionFilter: { ...spec('detection_filter', 'by_src', limit, 60), uniqueOn: 'src_port' } });
  let alerts = 0;
  for (let i = 0; i < limit; i++) {
    const engine = i % 2 === 0 ? first : second;
    const other = i % 2 === 0 ? second : first;
    if (engine.shouldAlert(s, packet('10.0.0.1', 1, 2000 + i), null)) alerts++;
    // A repeat through the other engine is no new port.
    if (other.shouldAlert(s, packet('10.0.0.1', 1, 2000 + i), null)) alerts++;
  }
  assert.equal(alerts, 0);
  assert.equal(second.shouldAlert(s, packet('10.0.0.1', 2, 5000), null), true);
  assert.equal(first.shouldAlert(s, packet('10.0.0.1', 2, 2000), null), true);
  assert.equal(first.table.distinctPortsNotKept, 0);
});

test('distinct ports restart with window', () => {
  // count 2 in 10 s: ports 1, 2, 3 alert at 3; at 15 s the window restarts
  // and port 1 is new again.
  const [first, second] = sharedPair(0);
  const s = sig({ detectionFilter: { ...spec('detection_filter', 'by_src', 2, 10), uniqueOn: 'src_port' } });
  const results = [
    first.shouldAlert(s, packet('10.0.0.1', 0, 1), null),
    second.shouldAlert(s, packet('10.0.0.1', 1, 2), null),
    first.shouldAlert(s, packet('10.0.0.1', 2, 3), null),
    second.shouldAlert(s, packet('10.0.0.1', 15, 1), null),
    first.shouldAlert(s, packet('10.0.0.1', 16, 1), null),
    second.shouldAlert(s, packet('10.0.0.1', 16, 3), null),
    first.shouldAlert(s, packet('10.0.0.1', 17, 2), null),
  ];
  assert.deepEqual(results, [false, false, true, false, false, false, true]);
});

test('distinct ports past limit counted', () => {
  // count 40 is past the 32 kept ports: ports 33 to 40 count but are not
  // kept (8), and the 41st distinct port alerts.
  const [first, second] = sharedPair(0);
  const s = sig({ detectionFilter: { ...spec('detection_filter', 'by_src', 40, 60), uniqueOn: 'dst_port' } });
  const withDst = (port: number): Packet => {
    const p = packet('10.0.0.1', 1);
    p.dstPort = port;
    return p;
  };
  let alerts = 0;
  for (let port = 1; port <= 40; port++) if ((port % 2 === 0 ? first : second).shouldAlert(s, withDst(port), null)) alerts++;
  assert.equal(alerts, 0);
  assert.equal(first.table.distinctPortsNotKept, 8);
  // A repeat of a kept port is not new.
  assert.equal(first.shouldAlert(s, withDst(7), null), false);
  assert.equal(second.shouldAlert(s, withDst(41), null), true);
  assert.equal(first.table.distinctPortsNotKept, 8);
});

test('distinct port not kept counts again', () => {
  // The NOTE of DISTINCT_PORTS_PER_SLOT: with count 40, port 33 is not kept,
  // so its repeat counts as the 34th distinct port.
  const engine = new ThresholdEngine();
  const s = sig({ detectionFilter: { ...spec('detection_filter', 'by_src', 40, 60), uniqueOn: 'src_port' } });
  for (let port = 1; port <= 33; port++) engine.shouldAlert(s, packet('10.0.0.1', 1, port), null);
  for (let i = 0; i < 7; i++) assert.equal(engine.shouldAlert(s, packet('10.0.0.1', 1, 33), null), false);
  // 33 + 7 = 40 counted; the next repeat makes 41.
  assert.equal(engine.shouldAlert(s, packet('10.0.0.1', 1, 33), null), true);
  assert.equal(engine.table.distinctPortsNotKept, 8);
});
