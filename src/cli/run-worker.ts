/**
 * The body of one worker thread of `kapu run --workers N`. It builds its
 * own pipeline from the run's options, reads the records the dispatcher
 * writes into its ring, and at the end posts its summary and counters to
 * the main thread. Shared state goes through the order gate, so the
 * results do not depend on N.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Packet } from '../core/packet.js';
import { installOrderGate } from '../core/order-gate.js';
import { FlowEndReason } from '../flow/flow.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from '../engine/run-pipeline.js';
import { PacketRing, RecordKind, type RingBuffers } from '../engine/workers/packet-ring.js';
import { RingOrderGate } from '../engine/workers/ring-order-gate.js';
import { summarizeRun } from './run.js';

/** What the main thread hands each worker. */
export interface WorkerInit {
  index: number;
  options: RunPipelineOptions;
  /** The rings of all workers, this one's at `index`. */
  rings: RingBuffers[];
  /** Word 0 is set to 1 by a worker that fails. */
  status: SharedArrayBuffer;
  /** The checksum sample of the `auto` mode, shared by all workers (two Int32 words). */
  checksumSample: SharedArrayBuffer;
}

/** The message a worker posts when its input ended. */
export interface WorkerReport {
  type: 'done';
  index: number;
  packets: number;
  bytes: number;
  alerts: number;
  drops: number;
  decoderEvents: number;
  flows: number;
  rulesLoaded: number;
  rulesFailed: number;
  rulesSkipped: number;
  rulesLoadedUs: number;
  alertsBySignature: Array<[string, number]>;
  peakMemory: { flow: number; stream: number; reassembly: number };
  counters: Array<[string, number]>;
  gateWaits: number;
}

/** Milliseconds one read waits for a record before it checks again. */
const READ_WAIT_MS = 1000;

function runWorker(init: WorkerInit): void {
  const startedMs = performance.now();
  const rings = init.rings.map((buffers) => new PacketRing(buffers));
  const own = rings[init.index] as PacketRing;
  const gate = new RingOrderGate(init.index, rings);
  installOrderGate(rings.length > 1 ? gate : null);

  // Only the first worker prints warnings and rule diagnostics; the others load the same.
  const options = { ...init.options, quiet: init.options.quiet || init.index !== 0 };
  const engine = loadRunEngine(options);
  const run = new RunPipeline(engine, options);
  const { pipeline, flows } = run;
  const decode = pipeline.parts.decode;
  decode.sharedChecksumSample = new Int32Array(init.checksumSample);
  const step = rings.length + 1;
  const p = new Packet();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      if (!own.read(READ_WAIT_MS)) continue;
      gate.currentKey = own.key;
      const kind = own.kind;
      if (kind === RecordKind.PACKET) {
        p.reset(own.payload, own.timestampUs, own.wireLength, own.linkType, own.pcapCount);
        decode.frameSeq = Math.floor(own.key / step);
        pipeline.processPacket(p);
      } else if (kind === RecordKind.TICK) {
        flows.advanceClock(own.timestampUs);
      } else if (kind === RecordKind.FILE) {
        const path = decoder.decode(own.payload);
        for (const writer of run.eve) writer.setPcapFilename(path);
      } else if (kind === RecordKind.END) {
        pipeline.finish(FlowEndReason.SHUTDOWN);
        run.flushLogs();
        parentPort?.postMessage(reportOf(init.index, run, performance.now() - startedMs, gate.waits));
        own.release();
        break;
      }
      own.release();
    }
  } finally {
    run.close();
  }
}

function reportOf(index: number, run: RunPipeline, elapsedMs: number, gateWaits: number): WorkerReport {
  const summary = summarizeRun(run, elapsedMs);
  const { rules, rulesLoadedUs } = run.engine;
  return {
    type: 'done',
    index,
    packets: summary.packets,
    bytes: summary.bytes,
    alerts: summary.alerts,
    drops: summary.drops,
    decoderEvents: summary.decoderEvents,
    flows: summary.flows,
    rulesLoaded: rules.summary.loaded,
    rulesFailed: rules.summary.failed,
    rulesSkipped: rules.summary.skipped,
    rulesLoadedUs,
    alertsBySignature: [...run.pipeline.counters.alertsBySignature].map(([key, v]) => [`${key} ${v.msg}`, v.count]),
    peakMemory: summary.peakMemory,
    counters: [...run.collectStats()],
    gateWaits,
  };
}

const init = workerData as WorkerInit;
try {
  runWorker(init);
} catch (err) {
  // The dispatcher may be waiting for room in this worker's ring: tell it to stop.
  Atomics.store(new Int32Array(init.status), 0, 1);
  throw err;
}
