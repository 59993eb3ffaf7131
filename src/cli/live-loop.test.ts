import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LinkType, type Packet } from '../core/packet.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from '../engine/run-pipeline.js';
import { bytesOf, TcpFlag, tcpFrame } from '../test-support/packet-craft.js';
import { LIVE_FLUSH_INTERVAL_MS, runLiveSources, type LiveSource } from './live-loop.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-live-loop-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A stats interval far longer than any test, so only the last stats event
// is written. The frames are segments without a handshake, which IPS mode
// drops unless midstream pickup is on.
const CONFIG = `%YAML 1.1
---
stream:
  midstream: true
stats:
  interval: 600
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - stats
`;

const RULES = 'alert tcp any any -> any 8080 (msg:"good"; content:"GOOD"; sid:1;)\n'
  + 'drop tcp any any -> any 8080 (msg:"bad"; content:"BAD"; sid:2;)\n';

let caseNumber = 0;

/** Opens an IPS run with RULES and returns it with its options and eve.json path. */
function openRun(): { run: RunPipeline; opts: RunPipelineOptions; evePath: string } {
  const dir = join(scratch, String(++caseNumber));
  const rulesPath = join(scratch, `${caseNumber}.rules`);
  const configPath = join(scratch, `${caseNumber}.yaml`);
  writeFileSync(rulesPath, RULES);
  writeFileSync(configPath, CONFIG);
  const opts: RunPipelineOptions = {
    configPath, ruleFiles: [rulesPath], extraRuleFiles: [], logDir: join(dir, 'log'),
    checksumMode: 'none', sets: [], mode: 'ips', env: {}, quiet: true,
  };
  return { run: new RunPipeline(loadRunEngine(opts), opts), opts, evePath: join(dir, 'log', 'eve.json') };
}

/** Builds a TCP segment from 198.51.100.2 to 203.0.113.2:8080 that carries `text`. */
function frameOf(text: string, sport: number): Uint8Array {
  return tcpFrame({ src: '198.51.100.2', dst: '203.0.113.2', sport, dport: 8080, seq: 1000, ack: 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload: bytesOf(text) });
}

interface EveRecord {
  event_type: string;
  alert?: { signature_id: number };
  stats?: { capture?: Record<string, number>; fake?: Record<string, number> };
}

function readEve(path: string): EveRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.endsWith('}')).map((line) => JSON.parse(line) as EveRecord);
}

/** Blocks the thread for `ms` milliseconds, as a capture read that waits does. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A live source that serves queued batches of frames, one batch per read,
 * and records the pipeline's decision about each packet. With `repeat`
 * set, an empty queue serves `repeat` again on every read, as steady
 * traffic does.
 */
class FakeSource implements LiveSource {
  readonly name = 'fake 0';
  readonly batches: Uint8Array[][] = [];
  readonly decisions: boolean[] = [];
  reads = 0;
  finishedBatches = 0;
  /** Index of the packet, counted over the run, whose nextPacket throws; -1 for none. */
  throwAt = -1;
  repeat: Uint8Array | null = null;
  isClosed = false;
  private current: Uint8Array[] = [];
  private served = 0;

  read(timeoutMs: number): number {
    this.reads++;
    const next = this.batches.shift() ?? (this.repeat !== null ? [this.repeat] : undefined);
    if (next === undefined) {
      blockFor(Math.min(timeoutMs, 5));
      this.current = [];
      return 0;
    }
    if (this.repeat !== null) blockFor(5);
    this.current = next;
    return next.length;
  }

  nextPacket(p: Packet): boolean {
    const frame = this.current.shift();
    if (frame === undefined) return false;
    if (this.served++ === this.throwAt) throw new Error('fake source failure');
    p.reset(frame, Date.now() * 1000, frame.length, LinkType.ETHERNET, this.served);
    return true;
  }

  complete(p: Packet): void {
    this.decisions.push(p.isDropped);
  }

  finishBatch(): void {
    this.finishedBatches++;
    this.current = [];
  }

  collectCounters(out: Map<string, number>): void {
    out.set('fake.packets', this.served);
  }

  close(): void {
    this.isClosed = true;
  }
}

/** Aborts `controller` once `check` returns true, polling every 10 ms for at most 5 s. */
function abortWhen(controller: AbortController, check: () => boolean): void {
  const deadline = Date.now() + 5_000;
  const timer = setInterval(() => {
    if (check() || Date.now() > deadline) {
      clearInterval(timer);
      controller.abort();
    }
  }, 10);
}

describe('live loop', () => {
  it('hands decisions back to source', async () => {
    const { run, opts, evePath } = openRun();
    const source = new FakeSource();
    source.batches.push([frameOf('GOOD', 40001), frameOf('BAD', 40002), frameOf('plain', 40003)]);
    const controller = new AbortController();
    abortWhen(controller, () => source.reads >= 3);
    const summary = await runLiveSources(run, [source], { quiet: true, runOptions: opts, handleSignals: false, signal: controller.signal });

    assert.deepEqual(source.decisions, [false, true, false]);
    assert.equal(source.finishedBatches, 1);
    assert.equal(source.isClosed, true);
    assert.equal(summary.packets, 3);
    assert.equal(summary.alerts, 2);
    const eve = readEve(evePath);
    assert.deepEqual(eve.filter((e) => e.event_type === 'alert').map((e) => e.alert?.signature_id), [1, 2]);
    const last = eve[eve.length - 1];
    assert.equal(last?.event_type, 'stats');
    assert.equal(last?.stats?.capture?.['batches'], 1);
    assert.equal(last?.stats?.capture?.['internal_errors'], 0);
    assert.equal(last?.stats?.fake?.['packets'], 3);
  });

  it('counts a batch that throws', async () => {
    const { run, opts, evePath } = openRun();
    const source = new FakeSource();
    source.throwAt = 1;
    source.batches.push([frameOf('GOOD', 40001), frameOf('BAD', 40002), frameOf('GOOD', 40003)], [frameOf('BAD', 40004)]);
    const controller = new AbortController();
    abortWhen(controller, () => source.reads >= 4);
    await runLiveSources(run, [source], { quiet: true, runOptions: opts, handleSignals: false, signal: controller.signal });

    // The first packet went through; the throw skipped the rest of its batch, and the next batch ran.
    assert.deepEqual(source.decisions, [false, true]);
    assert.equal(source.finishedBatches, 2);
    const last = readEve(evePath).at(-1);
    assert.equal(last?.stats?.capture?.['batches'], 2);
    assert.equal(last?.stats?.capture?.['internal_errors'], 1);
  });

  it('flushes logs under steady traffic', async () => {
    const { run, opts, evePath } = openRun();
    const source = new FakeSource();
    source.batches.push([frameOf('GOOD', 40001)]);
    source.repeat = frameOf('plain', 40002);
    const controller = new AbortController();
    let isAlertWritten = false;
    const startedMs = Date.now();
    // Packets keep coming, so no idle pass runs; only the timed flush writes the alert.
    abortWhen(controller, () => {
      isAlertWritten = readEve(evePath).some((e) => e.event_type === 'alert');
      return isAlertWritten || Date.now() - startedMs > LIVE_FLUSH_INTERVAL_MS * 3;
    });
    await runLiveSources(run, [source], { quiet: true, runOptions: opts, handleSignals: false, signal: controller.signal });

    assert.ok(isAlertWritten, 'the alert did not reach eve.json while packets kept coming');
    assert.ok(source.reads > 10, `${source.reads} reads`);
  });

  it('reopens logs on SIGHUP, stops on SIGTERM', async () => {
    const { run, opts, evePath } = openRun();
    const source = new FakeSource();
    source.batches.push([frameOf('GOOD', 40001)]);
    const rotatedPath = `${evePath}.1`;
    let step = 0;
    // Signals to this test process reach the loop's handlers.
    const timer = setInterval(() => {
      if (step === 0 && source.reads >= 2) {
        run.flushLogs();
        renameSync(evePath, rotatedPath);
        process.kill(process.pid, 'SIGHUP');
        step = 1;
      } else if (step === 1 && existsSync(evePath)) {
        source.batches.push([frameOf('BAD', 40002)]);
        step = 2;
      } else if (step === 2 && source.decisions.length === 2) {
        process.kill(process.pid, 'SIGTERM');
        step = 3;
      }
    }, 10);
    // The timeout ends a loop that missed a signal, and the step check then fails.
    const summary = await runLiveSources(run, [source], { quiet: true, runOptions: opts, signal: AbortSignal.timeout(10_000) });
    clearInterval(timer);

    assert.equal(step, 3);
    assert.equal(summary.packets, 2);
    assert.deepEqual(readEve(rotatedPath).filter((e) => e.event_type === 'alert').map((e) => e.alert?.signature_id), [1]);
    const current = readEve(evePath);
    assert.deepEqual(current.filter((e) => e.event_type === 'alert').map((e) => e.alert?.signature_id), [2]);
    assert.equal(current.at(-1)?.event_type, 'stats');
    assert.equal(process.listenerCount('SIGTERM'), 0);
    assert.equal(process.listenerCount('SIGHUP'), 0);
  });
});
