import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Packet } from '../core/packet.js';
import { makePacket } from '../flow/test-packet.js';
import { HostTables, writeHostKey } from './host-table.js';
import type { Signature } from './signature.js';
import { ThresholdEngine, ThresholdTable } from './threshold.js';

const T0_US = 1_700_000_000_000_000;
const US_PER_S = 1_000_000;

/**
 * Worker script: builds its own HostTables and ThresholdEngine over the
 * buffers it gets, sets hostbit 7 on 198.51.100.7 and runs two matches of
 * a `limit 3 by_src` rule from 10.0.0.1, then posts what it saw.
 */
const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { HostTables } = await import(workerData.hostTableUrl);
  const { ThresholdEngine } = await import(workerData.thresholdUrl);
  const { Packet } = await import(workerData.packetUrl);
  const tables = new HostTables(undefined, workerData.hostBuffers);
  tables.hosts.key.set([4, 0xc6336407, 0, 0, 0]);
  const entry = tables.hosts.findOrCreate();
  tables.hosts.setBit(entry, 7, workerData.nowUs, workerData.nowUs + 30 * 1000000);

  const engine = new ThresholdEngine([], { memcapBytes: 0, sharedBuffer: workerData.thresholdBuffer });
  const sig = { id: 0, gid: 1, sid: 1000001, threshold: { kind: 'limit', track: 'by_src', count: 3, seconds: 60 }, detectionFilter: null };
  const alerts = [];
  for (let i = 0; i < 2; i++) {
    const p = new Packet();
    p.reset(new Uint8Array(0), workerData.nowUs + i, 0, 1, 1);
    p.ipVersion = 4;
    p.srcAddr.set([10, 0, 0, 1]);
    p.dstAddr.set([10, 0, 0, 2]);
    alerts.push(engine.shouldAlert(sig, p, null));
  }
  parentPort.postMessage({ entry, alerts, entries: engine.table.entries });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack) }));
`;

function thresholdPacket(timestampUs: number): Packet {
  const p = new Packet();
  p.reset(new Uint8Array(0), timestampUs, 0, 1, 1);
  p.ipVersion = 4;
  p.srcAddr.set([10, 0, 0, 1]);
  p.dstAddr.set([10, 0, 0, 2]);
  return p;
}

test('worker thread updates shared tables', { timeout: 30_000 }, async () => {
  const hostBuffers = HostTables.createBuffers();
  const tables = new HostTables(undefined, hostBuffers);
  const thresholdBuffer = new SharedArrayBuffer(ThresholdTable.bytesFor(0));
  const engine = new ThresholdEngine([], { memcapBytes: 0, sharedBuffer: thresholdBuffer });
  const sig = { id: 0, gid: 1, sid: 1000001, threshold: { kind: 'limit', track: 'by_src', count: 3, seconds: 60 }, detectionFilter: null } as unknown as Signature;
  // The first of the three alerts the window allows.
  assert.equal(engine.shouldAlert(sig, thresholdPacket(T0_US - 1), null), true);

  const worker = new Worker(WORKER_SCRIPT, {
    eval: true,
    workerData: {
      hostTableUrl: new URL('./host-table.js', import.meta.url).href,
      thresholdUrl: new URL('./threshold.js', import.meta.url).href,
      packetUrl: new URL('../core/packet.js', import.meta.url).href,
      hostBuffers,
      thresholdBuffer,
      nowUs: T0_US,
    },
  });
  // The message reaches this thread after the worker's writes to the buffers.
  const [result] = (await once(worker, 'message')) as [{ entry: number; alerts: boolean[]; entries: number; error?: string }];
  await worker.terminate();
  assert.equal(result.error, undefined);

  // 198.51.100.7 = 0xc6336407, the key the worker wrote by hand.
  writeHostKey(tables.hosts.key, makePacket({ src: '198.51.100.7', dst: '192.0.2.1' }), true);
  const entry = tables.hosts.find();
  assert.equal(entry, result.entry);
  assert.equal(tables.hosts.isBitSet(entry, 7, T0_US + US_PER_S), true);
  assert.equal(tables.hosts.counters.active, 1);

  // The worker's two matches were the 2nd and 3rd of the window: both alert,
  // and the 4th, back in this thread, is limited.
  assert.deepEqual(result.alerts, [true, true]);
  assert.equal(result.entries, 1);
  assert.equal(engine.shouldAlert(sig, thresholdPacket(T0_US + 2), null), false);
  assert.equal(engine.table.entries, 1);
});
