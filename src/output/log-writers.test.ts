import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { Action } from '../detect/signature.js';
import { Direction } from '../core/packet.js';
import { Flow } from '../flow/flow.js';
import { EveWriter } from './eve-writer.js';
import { FastLogWriter, fastLogLine } from './fast-log.js';
import { packetAlertFacts } from './eve-alert.js';
import { PktSrc } from './eve-format.js';
import { TimestampFormatter, formatUtcOffset } from './eve-time.js';
import { BufferedLogFile } from './log-file.js';
import { StatsCounters } from './stats-counters.js';
import { makeSig, verifyPacket } from './test-fixtures.js';

const TS_US = Date.UTC(2026, 11, 4, 21, 3, 13) * 1000 + 123456;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kapu-output-'));
}

test('timestamp iso and fast forms', () => {
  const utc = new TimestampFormatter(0);
  assert.equal(utc.iso(TS_US), '2026-12-04T21:03:13.123456+0000');
  assert.equal(utc.fast(TS_US), '12/04/2026-21:03:13.123456');
  assert.equal(utc.iso(TS_US + 7), '2026-12-04T21:03:13.123463+0000');
  assert.equal(utc.iso(TS_US - 123456), '2026-12-04T21:03:13.000000+0000');
});

test('timestamp alternating seconds', () => {
  const utc = new TimestampFormatter(0);
  const start = TS_US - 3_600_000_000;
  const third = TS_US + 86_400_000_000;
  assert.equal(utc.iso(TS_US), '2026-12-04T21:03:13.123456+0000');
  assert.equal(utc.iso(start), '2026-12-04T20:03:13.123456+0000');
  assert.equal(utc.iso(TS_US + 1), '2026-12-04T21:03:13.123457+0000');
  assert.equal(utc.iso(third), '2026-12-05T21:03:13.123456+0000');
  assert.equal(utc.iso(start), '2026-12-04T20:03:13.123456+0000');
  assert.equal(utc.fast(TS_US), '12/04/2026-21:03:13.123456');
});

test('timestamp offsets east and west', () => {
  assert.equal(new TimestampFormatter(60).iso(TS_US), '2026-12-04T22:03:13.123456+0100');
  assert.equal(new TimestampFormatter(-330).iso(TS_US), '2026-12-04T15:33:13.123456-0530');
  assert.equal(new TimestampFormatter(180).fast(TS_US), '12/05/2026-00:03:13.123456');
  assert.equal(formatUtcOffset(0), '+0000');
  assert.equal(formatUtcOffset(-480), '-0800');
});

test('timestamp local zone follows TZ', () => {
  // The test runner's zone is whatever TZ sets, so compare with Date's own offset.
  const minutes = -new Date(Math.floor(TS_US / 1000)).getTimezoneOffset();
  assert.ok(new TimestampFormatter().iso(TS_US).endsWith(formatUtcOffset(minutes)));
});

const fastSig = makeSig({
  gid: 1,
  sid: 2100498,
  rev: 7,
  msg: 'GPL ATTACK_RESPONSE id check returned root',
  classtype: 'bad-unknown',
  category: 'Potentially Bad Traffic',
  priority: 2,
});

function fastPacket() {
  const p = verifyPacket();
  p.srcAddr.set([203, 0, 113, 2]);
  p.dstAddr.set([198, 51, 100, 2]);
  p.srcPort = 8080;
  p.dstPort = 40000;
  return p;
}

test('fast log line format', () => {
  const line = fastLogLine(new TimestampFormatter(0), fastPacket(), fastSig, false);
  assert.equal(
    line,
    '12/04/2026-21:03:13.123456  [**] [1:2100498:7] GPL ATTACK_RESPONSE id check returned root [**] [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 203.0.113.2:8080 -> 198.51.100.2:40000',
  );
});

test('fast log drop and null class', () => {
  const time = new TimestampFormatter(0);
  const drop = makeSig({ action: Action.DROP, sid: 5, msg: 'x' });
  assert.equal(
    fastLogLine(time, fastPacket(), drop, true),
    '12/04/2026-21:03:13.123456  [Drop] [**] [1:5:1] x [**] [Classification: (null)] [Priority: 3] {TCP} 203.0.113.2:8080 -> 198.51.100.2:40000',
  );
  assert.ok(fastLogLine(time, fastPacket(), drop, false).includes('  [wDrop] [**] [1:5:1] '));
});

test('fast log icmp type as port', () => {
  const p = fastPacket();
  p.ipProto = 1;
  p.icmpType = 8;
  p.icmpCode = 0;
  assert.ok(fastLogLine(new TimestampFormatter(0), p, fastSig, false).endsWith('{ICMP} 203.0.113.2:8 -> 198.51.100.2:0'));
});

test('log file flushes in batches', () => {
  const dir = tempDir();
  const file = new BufferedLogFile(join(dir, 'x.log'), { bufferBytes: 4096 });
  const line = 'y'.repeat(99);
  for (let i = 0; i < 1000; i++) file.writeLine(line);
  // 100 bytes a line through a 4 KiB buffer: no line goes out on its own.
  assert.ok(file.flushes < 40, `flushes ${file.flushes}`);
  assert.equal(readFileSync(join(dir, 'x.log')).length, file.bytesFlushed);
  file.close();
  assert.equal(readFileSync(join(dir, 'x.log'), 'utf8'), (line + '\n').repeat(1000));
});

test('log file line larger than buffer', () => {
  const dir = tempDir();
  const file = new BufferedLogFile(join(dir, 'x.log'), { bufferBytes: 64 });
  file.writeLine('a');
  file.writeLine('é'.repeat(100));
  file.writeLine('b');
  file.close();
  assert.equal(readFileSync(join(dir, 'x.log'), 'utf8'), 'a\n' + 'é'.repeat(100) + '\nb\n');
});

test('log file timer flushes', async () => {
  const dir = tempDir();
  const file = new BufferedLogFile(join(dir, 'x.log'), { flushIntervalMs: 10 });
  file.writeLine('quiet');
  for (let i = 0; i < 50 && file.flushes === 0; i++) await new Promise((done) => setTimeout(done, 10));
  assert.equal(readFileSync(join(dir, 'x.log'), 'utf8'), 'quiet\n');
  file.close();
});

test('log file reopen after rotation', () => {
  const dir = tempDir();
  const path = join(dir, 'eve.json');
  const file = new BufferedLogFile(path);
  file.writeLine('one');
  file.flush();
  renameSync(path, join(dir, 'eve.json.1'));
  file.writeLine('two');
  file.reopen();
  file.writeLine('three');
  file.close();
  assert.equal(readFileSync(join(dir, 'eve.json.1'), 'utf8'), 'one\ntwo\n');
  assert.equal(readFileSync(path, 'utf8'), 'three\n');
});

test('eve writer follows eve-log types', () => {
  const dir = tempDir();
  const { config } = loadConfig(null, []);
  const eveConfig = config.outputs.eveLogs[0]!;
  const writer = new EveWriter(dir, eveConfig, false, {}, new TimestampFormatter(0));
  const p = verifyPacket();
  const flow = new Flow();
  writer.alert(p, flow, makeSig({ sid: 9 }), packetAlertFacts('allowed'));
  writer.anomaly(p, flow, 'decode', 'decoder.ipv4.trunc_pkt', PktSrc.WIRE);
  writer.anomaly(p, flow, 'stream', 'stream.pkt_invalid_ack', PktSrc.WIRE);
  writer.drop(p, flow, null, null, PktSrc.WIRE);
  writer.flow(flow, { flow: { state: 'new' } }, TS_US);
  const counters = new StatsCounters();
  counters.add(counters.register('detect.alert'));
  writer.stats(TS_US, 8, counters.snapshot());
  assert.equal(readFileSync(join(dir, 'eve.json'), 'utf8'), '');
  writer.close();
  // Stock defaults: decode and stream anomalies and drop events are off.
  const types = readFileSync(join(dir, 'eve.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).event_type);
  assert.deepEqual(types, ['alert', 'flow', 'stats']);
  assert.deepEqual(writer.counts, { alert: 1, packet: 0, anomaly: 0, drop: 0, flow: 1, stats: 1, app: 0, arp: 0 });
  const stats = JSON.parse(readFileSync(join(dir, 'eve.json'), 'utf8').trim().split('\n')[2]!);
  assert.equal(stats.stats.detect.alert, 1);
  assert.equal(stats.stats.decoder.pkts, 0);
});

test('eve writer drop flows start', () => {
  // Suricata's drop log with `flows: start`: a drop by a signature is always
  // written; of a dropped flow's other packets, the first in each direction.
  const dir = tempDir();
  const { config } = loadConfig(null, []);
  const eveConfig = config.outputs.eveLogs[0]!;
  eveConfig.types.drop.enabled = true;
  const writer = new EveWriter(dir, eveConfig, true);
  const flow = new Flow();
  const sig = makeSig({ action: Action.DROP, sid: 1 });
  const packetAt = (direction: number): ReturnType<typeof verifyPacket> => {
    const p = verifyPacket();
    p.direction = direction;
    return p;
  };
  writer.drop(packetAt(Direction.TO_SERVER), flow, 'rules', sig, PktSrc.WIRE);
  assert.equal(writer.counts.drop, 1);
  writer.drop(packetAt(Direction.TO_SERVER), flow, 'rules', sig, PktSrc.WIRE);
  assert.equal(writer.counts.drop, 2);
  writer.drop(packetAt(Direction.TO_SERVER), flow, 'flow drop', null, PktSrc.WIRE);
  assert.equal(writer.counts.drop, 2, 'a packet-only drop without a signature is not written');

  flow.isDropped = true;
  writer.drop(packetAt(Direction.TO_SERVER), flow, 'flow drop', null, PktSrc.WIRE);
  assert.equal(writer.counts.drop, 3);
  writer.drop(packetAt(Direction.TO_SERVER), flow, 'flow drop', null, PktSrc.WIRE);
  assert.equal(writer.counts.drop, 3);
  writer.drop(packetAt(Direction.TO_CLIENT), flow, 'flow drop', null, PktSrc.WIRE);
  assert.equal(writer.counts.drop, 4);
  writer.drop(packetAt(Direction.TO_CLIENT), flow, 'flow drop', null, PktSrc.WIRE);
  assert.equal(writer.counts.drop, 4);
  writer.close();
});

test('fast writer appends lines', () => {
  const dir = tempDir();
  const writer = new FastLogWriter(dir, 'fast.log', false, {}, new TimestampFormatter(0));
  writer.alert(fastPacket(), fastSig);
  writer.alert(fastPacket(), fastSig);
  writer.close();
  const lines = readFileSync(join(dir, 'fast.log'), 'utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  assert.ok(lines[0]!.startsWith('12/04/2026-21:03:13.123456  [**] [1:2100498:7]'));
});

test('stats counters register and count', () => {
  const counters = new StatsCounters(['decoder.pkts']);
  const pkts = counters.register('decoder.pkts');
  const custom = counters.register('kapu.custom');
  counters.add(pkts);
  counters.add(pkts, 2);
  counters.set(custom, 7);
  assert.equal(counters.get('decoder.pkts'), 3);
  assert.deepEqual([...counters.snapshot()], [['decoder.pkts', 3], ['kapu.custom', 7]]);
});
