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
import { PacketRing, RecordFlag, RecordKind, type RingBuffers } from '../engine/workers/packet-ring.js';
import { reloadRules, type ReloadOutcome } from '../engine/rule-reload.js';
import { ForwardingResponder, type ForwardedQuarantine } from '../policy/forwarding-responder.js';
import { quarantineSettingsOf } from '../policy/quarantine-config.js';
import { openRejectSender, STDERR_REJECT_LOG, type RejectSender } from '../act/reject-sender.js';
import { RingOrderGate } from '../engine/workers/ring-order-gate.js';
import { summarizeRun } from './run.js';

/** Start data the main thread passes to each worker. */
export interface WorkerInit {
  index: number;
  options: RunPipelineOptions;
  /** The rings of all workers, this one's at `index`. */
  rings: RingBuffers[];
  /** Word 0 is set to 1 by a worker that fails. */
  status: SharedArrayBuffer;
  /** The dispatcher's published key (dispatcher.ts). */
  publishedKey: SharedArrayBuffer;
  /** The checksum sample of the `auto` mode, shared by all workers (two Int32 words). */
  checksumSample: SharedArrayBuffer;
  /** Live input (`-q`, `-i`) only: the verdict ring, and whether reject actions send responses. */
  live: LiveWorkerInit | null;
}

/** Start data of a live worker, beside the common part. */
export interface LiveWorkerInit {
  /** This worker's verdict ring, read by the main thread. */
  verdicts: RingBuffers;
  /** Word 0 counts verdicts written by all workers; the main thread sleeps on it. */
  verdictCount: SharedArrayBuffer;
  /** Open a raw socket and send the responses of reject actions. */
  sendsRejects: boolean;
  /** Forward the alerts that policy.responses names to the main thread's quarantine. */
  forwardsQuarantines: boolean;
}

/** Messages of a live worker besides the final report. */
export type WorkerMessage =
  | WorkerReport
  | ForwardedQuarantine
  | { type: 'ready'; index: number }
  | { type: 'stats'; index: number; request: number; counters: Array<[string, number]>; packets: number }
  | { type: 'reload'; index: number; request: number; outcome: ReloadOutcome; loaded: number; failed: number }
  | { type: 'notify'; line: string };

/** Forwards a worker's notification lines to the main thread, whose Notifier delivers them. */
const NOTIFY_FORWARDER = {
  writeLine(line: string): void {
    parentPort?.postMessage({ type: 'notify', line });
  },
  flush(): void {},
  reopen(): void {},
  close(): void {},
};

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
  /** Alerts of shadowed rules per signature, keyed as RunSummary.shadowHitsBySignature. */
  shadowHitsBySignature: Array<[string, number]>;
  peakMemory: { flow: number; stream: number; reassembly: number };
  counters: Array<[string, number]>;
  gateWaits: number;
}

/** Milliseconds one read waits for a record before it checks again. */
const READ_WAIT_MS = 1000;

/** Milliseconds a live worker waits for a record; when none came it flushes its logs. */
const LIVE_READ_WAIT_MS = 100;

/** Records between two checks of the wall clock for a live worker's log flush. */
const FLUSH_CHECK_RECORDS = 1024;

/** Most milliseconds a live worker's events stay in its buffers under steady traffic. */
const LIVE_FLUSH_INTERVAL_MS = 1000;

const NO_BYTES = new Uint8Array(0);

async function runWorker(init: WorkerInit): Promise<void> {
  const startedMs = performance.now();
  const rings = init.rings.map((buffers) => new PacketRing(buffers));
  const own = rings[init.index] as PacketRing;
  const gate = new RingOrderGate(init.index, rings, init.publishedKey);
  installOrderGate(rings.length > 1 ? gate : null);

  // Only the first worker prints warnings and rule diagnostics; the others load the same.
  const options = { ...init.options, quiet: init.options.quiet || init.index !== 0, notifySink: NOTIFY_FORWARDER };
  const engine = loadRunEngine(options);
  const live = init.live;
  let rejectSender: RejectSender | null = null;
  if (live !== null && live.sendsRejects) rejectSender = openRejectSender(options.quiet ? null : STDERR_REJECT_LOG);
  let responder: ForwardingResponder | null = null;
  if (live !== null && live.forwardsQuarantines) {
    responder = new ForwardingResponder(quarantineSettingsOf(engine.config).responses, (request) => parentPort?.postMessage(request));
  }
  const run = new RunPipeline(engine, options, rejectSender, responder);
  // NOTE: every worker reads and downloads the blocklists itself (a download
  // is a conditional request against the shared cache). The rule reload of
  // a live worker runs inside its synchronous loop and does not reload the
  // blocklists, so with --workers above 1 they stay as loaded at start.
  await run.loadBlocklists();
  if (live !== null) {
    try {
      parentPort?.postMessage({ type: 'ready', index: init.index });
      runLiveWorker(init, live, options, run, own, gate);
    } finally {
      run.close();
      rejectSender?.close();
    }
    return;
  }
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

/**
 * Runs the loop of a live worker: every packet's verdict goes back at once
 * through the verdict ring. A packet whose processing throws is counted,
 * reported once, and gets the verdict of the nfq.fail-open setting.
 */
function runLiveWorker(init: WorkerInit, live: LiveWorkerInit, options: RunPipelineOptions, run: RunPipeline, own: PacketRing, gate: RingOrderGate): void {
  const { pipeline, flows } = run;
  const verdicts = new PacketRing(live.verdicts);
  const verdictCount = new Int32Array(live.verdictCount);
  const restartKeysReported = new Set<string>();
  const failOpen = run.engine.config.nfq.failOpen;
  const decode = pipeline.parts.decode;
  const p = new Packet();
  let internalErrors = 0;
  let records = 0;
  let lastFlushMs = Date.now();
  for (;;) {
    if (!own.read(LIVE_READ_WAIT_MS)) {
      run.flushLogs();
      lastFlushMs = Date.now();
      continue;
    }
    gate.currentKey = own.key;
    const kind = own.kind;
    if (kind === RecordKind.PACKET) {
      p.reset(own.payload, own.timestampUs, own.wireLength, own.linkType, own.pcapCount);
      p.isChecksumOffloaded = (own.flags & RecordFlag.CHECKSUM_OFFLOADED) !== 0;
      decode.frameSeq = 0;
      let isDropped: boolean;
      try {
        pipeline.processPacket(p);
        isDropped = p.isDropped;
      } catch (err) {
        if (internalErrors === 0) process.stderr.write(`kapu: error: worker ${init.index}: packet processing failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        internalErrors++;
        isDropped = !failOpen;
      }
      while (!verdicts.write(RecordKind.VERDICT, 0, 0, NO_BYTES, isDropped ? 1 : 0, 0, 0, 0, own.token, own.source)) {
        verdicts.publish();
        verdicts.waitForRoom();
      }
      verdicts.publish();
      Atomics.add(verdictCount, 0, 1);
      Atomics.notify(verdictCount, 0);
    } else if (kind === RecordKind.TICK) {
      flows.advanceClock(own.timestampUs);
    } else if (kind === RecordKind.EXPIRE) {
      flows.expire(own.timestampUs);
      run.flushLogs();
    } else if (kind === RecordKind.STATS) {
      const counters = run.collectStats();
      counters.set('capture.internal_errors', internalErrors);
      parentPort?.postMessage({ type: 'stats', index: init.index, request: own.token, counters: [...counters], packets: pipeline.counters.packets });
    } else if (kind === RecordKind.RELOAD) {
      const outcome = reloadRules(run, options, restartKeysReported);
      const summary = run.engine.rules.summary;
      parentPort?.postMessage({ type: 'reload', index: init.index, request: own.token, outcome, loaded: summary.loaded, failed: summary.failed });
    } else if (kind === RecordKind.REOPEN) {
      run.reopenLogs();
    } else if (kind === RecordKind.END) {
      pipeline.finish(FlowEndReason.SHUTDOWN);
      run.flushLogs();
      parentPort?.postMessage(reportOf(init.index, run, 0, gate.waits));
      own.release();
      return;
    }
    own.release();
    if (++records % FLUSH_CHECK_RECORDS === 0) {
      const nowMs = Date.now();
      if (nowMs - lastFlushMs >= LIVE_FLUSH_INTERVAL_MS) {
        lastFlushMs = nowMs;
        run.flushLogs();
      }
    }
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
    shadowHitsBySignature: [...(summary.shadowHitsBySignature ?? [])],
    peakMemory: summary.peakMemory,
    counters: [...run.collectStats()],
    gateWaits,
  };
}

const init = workerData as WorkerInit;
runWorker(init).catch((err: unknown) => {
  // The dispatcher may be waiting for room in this worker's ring: tell it to stop.
  Atomics.store(new Int32Array(init.status), 0, 1);
  throw err;
});
