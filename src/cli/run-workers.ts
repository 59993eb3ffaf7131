/**
 * `kapu run -r ... --workers N`: the main thread reads the capture and
 * hands each packet to one of N worker threads by the address-pair hash
 * (dispatch-hash.ts), through one shared-memory ring per worker. Each
 * worker runs a whole pipeline and appends to the same log files. State
 * that crosses flows (thresholds, hostbits, xbits) changes in packet
 * order through the order gate, so the alerts are the same for any N.
 *
 * Besides packets, the dispatcher sends every worker a TICK when capture
 * time enters a new second, so flows time out at the same moments as in
 * one thread, a FILE record when a folder run moves to the next capture,
 * and an END record. Record keys count packets: packet number s goes to
 * its worker with key s*(N+1)+N, and the records sent before it to worker
 * i carry s*(N+1)+i, so keys rise over the whole input.
 */
import { Worker } from 'node:worker_threads';
import { CaptureError } from '../core/errors.js';
import { Packet } from '../core/packet.js';
import { openCaptureFile, type CaptureReader } from '../capture/open-capture-file.js';
import { loadConfig } from '../config/load-config.js';
import { EveWriter } from '../output/eve-writer.js';
import { createSharedStateBuffers, truncateSharedLogs } from '../engine/run-pipeline.js';
import { workerOf } from '../engine/workers/dispatch-hash.js';
import { createRingBuffers, PacketRing, RecordKind, RingAbortedError, type RingBuffers } from '../engine/workers/packet-ring.js';
import { createPublishedKeyBuffer, Dispatcher } from '../engine/workers/dispatcher.js';
import { formatSummary, isAborted, listCapturePaths } from './run.js';
import type { RunOptions, RunSummary } from './run-options.js';
import type { WorkerInit, WorkerMessage, WorkerReport } from './run-worker.js';
import { Notifier, isNotifyEnabled } from '../output/notifier.js';

/** Bytes of each worker's ring: room for a few thousand full-size frames. */
const RING_BYTES = 16 * 1024 * 1024;

/** Packets dispatched between yields to the event loop, so signals and worker errors are seen. */
const PACKETS_PER_BATCH = 4096;

const NO_BYTES = new Uint8Array(0);

/** Milliseconds the run waits at its end for queued notifications, as a one-thread run does. */
const NOTIFY_DRAIN_MS = 10_000;

interface RunningWorker {
  thread: Worker;
  report: Promise<WorkerReport>;
}

function startWorker(init: WorkerInit, notifier: Notifier | null): RunningWorker {
  const thread = new Worker(new URL('./run-worker.js', import.meta.url), { workerData: init });
  const report = new Promise<WorkerReport>((resolve, reject) => {
    let result: WorkerReport | null = null;
    thread.on('message', (m: WorkerMessage) => {
      if (m.type === 'done') result = m;
      else if (m.type === 'notify') notifier?.writeLine(m.line);
    });
    thread.on('error', reject);
    thread.on('exit', (code) => {
      if (result !== null) resolve(result);
      else reject(new Error(`worker thread ${init.index} exited with code ${code} before the end of the input`));
    });
  });
  return { thread, report };
}

/** Reads `opts.pcapPath` through `workers` worker threads; the same outputs and summary as runCapture. */
export async function runCaptureWorkers(opts: RunOptions, workerCount: number): Promise<RunSummary> {
  const startedMs = performance.now();
  // The config is checked here first, so a bad one stops the run before any thread starts.
  const { config } = loadConfig(opts.configPath, opts.sets);
  const isIps = (opts.mode ?? config.policy.mode) === 'ips';
  const logDir = opts.logDir ?? config.defaultLogDir;
  const capturePaths = listCapturePaths(opts.pcapPath);
  let reader: CaptureReader | null = capturePaths.length === 1 ? openCaptureFile(capturePaths[0]!) : null;

  const sharedState = createSharedStateBuffers(config);
  truncateSharedLogs(config, logDir);
  const status = new SharedArrayBuffer(4);
  const checksumSample = new SharedArrayBuffer(8);
  const abort = new Int32Array(status);
  const ringBuffers: RingBuffers[] = [];
  for (let i = 0; i < workerCount; i++) ringBuffers.push(createRingBuffers(RING_BYTES));
  const rings = ringBuffers.map((buffers) => new PacketRing(buffers, abort));
  const publishedKey = createPublishedKeyBuffer();
  const dispatcher = new Dispatcher(rings, publishedKey);
  const { signal: _signal, loadedRules: _loaded, pcapPath: _path, ...pipelineOptions } = opts;
  // Workers forward their notification lines; this thread delivers them.
  const notifier = isNotifyEnabled(config) ? new Notifier(config.notify) : null;
  const workers = ringBuffers.map((_, index) => startWorker({ index, options: { ...pipelineOptions, logDir, sharedState }, rings: ringBuffers, status, publishedKey, checksumSample, live: null }, notifier));
  // A failed worker is reported once, from the dispatch loop or the final wait.
  for (const w of workers) w.report.catch(() => Atomics.store(abort, 0, 1));

  const step = workerCount + 1;
  const p = new Packet();
  let seq = 0;
  let lastSecond = -1;
  let firstTimestampUs = -1;
  let lastTimestampUs = 0;
  try {
    for (const capturePath of capturePaths) {
      if (isAborted(opts)) break;
      if (reader === null) {
        try {
          reader = openCaptureFile(capturePath);
        } catch (err) {
          if (!(err instanceof CaptureError)) throw err;
          if (!opts.quiet) process.stderr.write(`kapu: warning: ${err.message}; file skipped\n`);
          continue;
        }
      }
      const pathBytes = Buffer.from(capturePath);
      for (let i = 0; i < workerCount; i++) dispatcher.write(i, RecordKind.FILE, (seq + 1) * step + i, 0, pathBytes, 0, 0, 0);
      try {
        for (;;) {
          let batch = 0;
          try {
            while (batch < PACKETS_PER_BATCH && reader.next(p)) {
              seq++;
              batch++;
              const ts = p.timestampUs;
              if (firstTimestampUs < 0) firstTimestampUs = ts;
              lastTimestampUs = ts;
              const target = workerOf(p.bytes, p.linkType, workerCount);
              const second = Math.floor(ts / 1_000_000);
              if (second > lastSecond) {
                if (lastSecond >= 0) {
                  for (let i = 0; i < workerCount; i++) if (i !== target) dispatcher.write(i, RecordKind.TICK, seq * step + i, ts, NO_BYTES, 0, 0, 0);
                }
                lastSecond = second;
              }
              dispatcher.write(target, RecordKind.PACKET, seq * step + workerCount, ts, p.bytes, p.wireLength, p.linkType, p.pcapCount);
            }
          } catch (err) {
            if (!(err instanceof CaptureError)) throw err;
            if (!opts.quiet) process.stderr.write(`kapu: warning: ${err.message}; the capture ends there, after ${seq} packets\n`);
            break;
          }
          dispatcher.publish();
          if (batch < PACKETS_PER_BATCH) break;
          if (isAborted(opts)) break;
          await new Promise<void>((resolveBatch) => setImmediate(resolveBatch));
        }
      } finally {
        reader.close();
        reader = null;
      }
    }
    for (let i = 0; i < workerCount; i++) dispatcher.write(i, RecordKind.END, (seq + 1) * step + i, lastTimestampUs, NO_BYTES, 0, 0, 0);
    dispatcher.publish();
  } catch (err) {
    reader?.close();
    notifier?.close();
    for (const w of workers) void w.thread.terminate();
    if (err instanceof RingAbortedError) await firstFailure(workers);
    throw err;
  }

  let reports: WorkerReport[];
  try {
    reports = await Promise.all(workers.map((w) => w.report));
  } catch (err) {
    notifier?.close();
    for (const w of workers) void w.thread.terminate();
    throw err;
  }
  await notifier?.drain(NOTIFY_DRAIN_MS);

  const summary = mergeReports(reports, performance.now() - startedMs);
  const uptimeS = firstTimestampUs < 0 ? 0 : (lastTimestampUs - firstTimestampUs) / 1e6;
  writeMergedStats(config.outputs.eveLogs, logDir, isIps, reports, lastTimestampUs, uptimeS, notifier);
  if (!opts.quiet) process.stdout.write(formatSummary(summary, { ...opts, logDir }, isIps));
  return summary;
}

/** Rethrows the error of the first worker that failed. */
async function firstFailure(workers: RunningWorker[]): Promise<void> {
  for (const w of workers) await w.report;
}

/** Adds up the workers' figures into one run summary. */
export function mergeReports(reports: readonly WorkerReport[], elapsedMs: number): RunSummary {
  const first = reports[0] as WorkerReport;
  const bySignature = new Map<string, number>();
  const shadowBySignature = new Map<string, number>();
  const summary: RunSummary = {
    packets: 0,
    bytes: 0,
    alerts: 0,
    drops: 0,
    decoderEvents: 0,
    rulesLoaded: first.rulesLoaded,
    rulesFailed: first.rulesFailed,
    flows: 0,
    elapsedMs,
    alertsBySignature: bySignature,
    shadowHitsBySignature: shadowBySignature,
    peakMemory: { flow: 0, stream: 0, reassembly: 0 },
  };
  for (const r of reports) {
    summary.packets += r.packets;
    summary.bytes += r.bytes;
    summary.alerts += r.alerts;
    summary.drops += r.drops;
    summary.decoderEvents += r.decoderEvents;
    summary.flows += r.flows;
    // Each worker has its own tables under the memcaps, so the peaks add up.
    summary.peakMemory.flow += r.peakMemory.flow;
    summary.peakMemory.stream += r.peakMemory.stream;
    summary.peakMemory.reassembly += r.peakMemory.reassembly;
    for (const [key, count] of r.alertsBySignature) bySignature.set(key, (bySignature.get(key) ?? 0) + count);
    for (const [key, count] of r.shadowHitsBySignature) shadowBySignature.set(key, (shadowBySignature.get(key) ?? 0) + count);
  }
  return summary;
}

/** Writes one `stats` event with the workers' counters added up, and each worker's packets under `worker.<i>`. */
function writeMergedStats(
  eveLogs: ReturnType<typeof loadConfig>['config']['outputs']['eveLogs'],
  logDir: string,
  isIps: boolean,
  reports: readonly WorkerReport[],
  timestampUs: number,
  uptimeS: number,
  notifier: Notifier | null = null,
): void {
  const counters = new Map<string, number>();
  for (const r of reports) {
    for (const [name, value] of r.counters) counters.set(name, (counters.get(name) ?? 0) + value);
  }
  notifier?.collectCounters(counters);
  for (const r of reports) counters.set(`worker.${r.index}.packets`, r.packets);
  const first = reports[0] as WorkerReport;
  const engines = [{ id: 0, lastReloadUs: first.rulesLoadedUs, rulesLoaded: first.rulesLoaded, rulesFailed: first.rulesFailed, rulesSkipped: first.rulesSkipped }];
  for (const c of eveLogs) {
    if (!c.enabled) continue;
    const writer = new EveWriter(logDir, c, isIps);
    writer.stats(timestampUs, uptimeS, counters, engines);
    writer.close();
  }
}
