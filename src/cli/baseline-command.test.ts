import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PcapFileWriter, tcpFrame } from '../test-support/packet-craft.js';
import { BaselineStore } from '../anomaly/baseline-store.js';
import { runBaselineLearn, runBaselineShow } from './baseline-command.js';
import { UsageError } from '../core/errors.js';

/** Collects what a command writes. */
function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk, _encoding, done) { text += String(chunk); done(); } });
  return { stream, text: () => text };
}

/**
 * Writes 3000 TCP segments of one connection from 198.51.100.1 to
 * 198.51.100.2, one every 10 ms from a whole second on: 100 packets in
 * each of 30 seconds.
 */
function writeSteadyCapture(path: string): void {
  const writer = new PcapFileWriter(path, 1_704_067_200, 10_000);
  for (let i = 0; i < 3000; i++) {
    writer.write(tcpFrame({ src: '198.51.100.1', dst: '198.51.100.2', sport: 40000, dport: 80, seq: 1 + i, ack: 1, flags: 0x10 }));
  }
  writer.close();
}

test('baseline learn stores the network rate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-baseline-test-'));
  try {
    const capture = join(dir, 'steady.pcap');
    writeSteadyCapture(capture);
    const db = join(dir, 'b.db');
    const out = sink();
    assert.equal(await runBaselineLearn([capture], { db, set: [] }, out.stream), 0);
    assert.match(out.text(), /learnt from 1 capture \(3000 packets\)/);

    const store = new BaselineStore(db);
    const rows = store.loadAll();
    store.close();
    // Both hosts are home hosts: the network receives and sends 100
    // packets in each of the 30 one-second intervals, a flat series.
    const network = rows.find((r) => r.entity === 'network' && r.metric === 'pps_in');
    assert.ok(network !== undefined, 'network pps_in stored');
    assert.equal(network.count, 30);
    assert.equal(network.mean, 100);
    assert.equal(network.variance, 0);
    assert.equal(network.firstUpdateS, 1_704_067_201);
    assert.equal(network.lastUpdateS, 1_704_067_229.99);
    const receiver = rows.find((r) => r.entity === 'host:198.51.100.2' && r.metric === 'pps_in');
    assert.equal(receiver?.mean, 100);

    // Learning the same capture again adds its 30 values to the stored ones.
    await runBaselineLearn([capture], { db, set: [] }, sink().stream);
    const again = new BaselineStore(db);
    assert.equal(again.loadAll().find((r) => r.entity === 'network' && r.metric === 'pps_in')?.count, 60);
    again.close();

    const shown = sink();
    assert.equal(runBaselineShow({ db, set: [] }, shown.stream), 0);
    assert.match(shown.text(), /^network\s+pps_in\s+0\s+60\s+100\.000\s+0\.000\s/m);
    assert.match(shown.text(), /\d+ baselines\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('baseline show needs the file', () => {
  assert.throws(() => runBaselineShow({ db: '/nonexistent/kapu-b.db', set: [] }, sink().stream), UsageError);
});
