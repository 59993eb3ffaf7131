/**
 * Live runs (`-q`, `-i`) on worker threads: the main thread reads each
 * batch from the sources, hands every packet to a worker by the
 * address-pair hash (as `-r --workers` does), and waits for the verdicts,
 * which come back through one verdict ring per worker. Stats, reloads,
 * log reopening and flow expiry without traffic go to the workers as
 * control records; stats and reload answers come back as messages.
 */
import { Notifier, isNotifyEnabled } from '../output/notifier.js';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Packet } from '../core/packet.js';
import type { KapuConfig } from '../config/types.js';
import type { ReloadOutcome } from '../engine/rule-reload.js';
import { createSharedStateBuffers, truncateSharedLogs, type RunPipelineOptions } from '../engine/run-pipeline.js';
import { workerOf } from '../engine/workers/dispatch-hash.js';
import { createRingBuffers, PacketRing, RecordFlag, RecordKind, type RingBuffers } from '../engine/workers/packet-ring.js';
import { createPublishedKeyBuffer, Dispatcher } from '../engine/workers/dispatcher.js';
import { EveWriter } from '../output/eve-writer.js';
import { runLiveLoop, type LiveBackend, type LiveLoopCounters, type LiveLoopOptions, type LiveSource } from './live-loop.js';
import { ControlSocketServer, openLiveControlSocket, ReloadRequests } from './control-socket.js';
import type { RunSummary } from './run-options.js';
import { mergeReports } from './run-workers.js';
import { STDERR_QUARANTINE_LOG, type OpenQuarantine } from './quarantine-command.js';
import type { WorkerInit, WorkerMessage, WorkerReport } from './run-worker.js';

/** Bytes of each worker's packet ring. */
const RING_BYTES = 16 * 1024 * 1024;

/** Bytes of each worker's verdict ring: 56 bytes a verdict. */
const VERDICT_RING_BYTES = 4 * 1024 * 1024;

/**
 * Most milliseconds a batch waits for its verdicts. Packets still
 * undecided then get the source's failure handling (fail-open or
 * fail-closed), and the late verdicts are discarded.
 */
const VERDICT_WAIT_MS = 2000;

/** Milliseconds of one sleep while waiting for verdicts. */
const VERDICT_WAIT_SLICE_MS = 5;

/** Milliseconds a live run waits at its end for queued notifications. */
const NOTIFY_DRAIN_MS = 5000;

const NO_BYTES = new Uint8Array(0);

type Reply<T> = { resolve: (value: T) => void; reject: (err: Error) => void; replies: T[] };

/** The live backend that runs packets on worker threads. */
export class WorkersBackend implements LiveBackend {
  readonly logDir: string;
  readonly isIps: boolean;
  readonly statsIntervalS: number;

  private readonly threads: Worker[];
  private readonly dispatcher: Dispatcher;
  private readonly verdictRings: PacketRing[];
  private readonly verdictCount: Int32Array;
  private readonly statsWriters: EveWriter[];
  private readonly reports: (WorkerReport | null)[];
  private readonly workerCount: number;
  private seq: number;
  private lastSecond: number;
  private nextRequest: number;
  private readonly pendingStats: Map<number, Reply<Extract<WorkerMessage, { type: 'stats' }>>>;
  private readonly pendingReloads: Map<number, Reply<Extract<WorkerMessage, { type: 'reload' }>>>;
  private finished: Promise<void> | null;
  private failure: Error | null;
  /** Verdicts that came after their batch gave up waiting. */
  lateVerdicts: number;
  /** Per packet of the batch in hand: 1 once its verdict came. */
  private decidedFlags: Uint8Array;
  /** Delivers the notification lines that the workers forward; null when notify is off. */
  private readonly notifier: Notifier | null;

  private constructor(config: KapuConfig, logDir: string, isIps: boolean, workerCount: number, options: RunPipelineOptions, sendsRejects: boolean, private readonly quarantine: OpenQuarantine | null) {
    this.logDir = logDir;
    this.isIps = isIps;
    this.statsIntervalS = config.stats.enabled ? config.stats.interval : 0;
    this.workerCount = workerCount;
    this.seq = 0;
    this.lastSecond = -1;
    this.nextRequest = 1;
    this.pendingStats = new Map();
    this.pendingReloads = new Map();
    this.finished = null;
    this.failure = null;
    this.lateVerdicts = 0;
    this.decidedFlags = new Uint8Array(1024);
    this.notifier = isNotifyEnabled(config) ? new Notifier(config.notify) : null;
    this.reports = new Array<WorkerReport | null>(workerCount).fill(null);

    const status = new SharedArrayBuffer(4);
    const abort = new Int32Array(status);
    const ringBuffers: RingBuffers[] = [];
    const verdictBuffers: RingBuffers[] = [];
    for (let i = 0; i < workerCount; i++) {
      ringBuffers.push(createRingBuffers(RING_BYTES));
      verdictBuffers.push(createRingBuffers(VERDICT_RING_BYTES));
    }
    const publishedKey = createPublishedKeyBuffer();
    this.dispatcher = new Dispatcher(ringBuffers.map((b) => new PacketRing(b, abort)), publishedKey);
    this.verdictRings = verdictBuffers.map((b) => new PacketRing(b));
    const verdictCount = new SharedArrayBuffer(4);
    this.verdictCount = new Int32Array(verdictCount);
    const sharedState = createSharedStateBuffers(config);
    truncateSharedLogs(config, logDir);
    const checksumSample = new SharedArrayBuffer(8);
    this.threads = ringBuffers.map((_, index) => {
      const init: WorkerInit = {
        index,
        options: { ...options, logDir, sharedState },
        rings: ringBuffers,
        status,
        publishedKey,
        checksumSample,
        live: { verdicts: verdictBuffers[index] as RingBuffers, verdictCount, sendsRejects, forwardsQuarantines: quarantine !== null && quarantine.manager.hasResponses },
      };
      return new Worker(new URL('./run-worker.js', import.meta.url), { workerData: init });
    });
    this.statsWriters = config.outputs.eveLogs.filter((c) => c.enabled).map((c) => new EveWriter(logDir, c, isIps));
  }

  /**
   * Starts `workerCount` workers and resolves once every one has loaded
   * the rules and built its pipeline. When a worker fails (a bad config or
   * rule file), it stops the others and rejects with that error.
   */
  static async start(config: KapuConfig, logDir: string, isIps: boolean, workerCount: number, options: RunPipelineOptions, sendsRejects: boolean, quarantine: OpenQuarantine | null = null): Promise<WorkersBackend> {
    const backend = new WorkersBackend(config, logDir, isIps, workerCount, options, sendsRejects, quarantine);
    try {
      await Promise.all(backend.threads.map((thread, index) => backend.watch(thread, index)));
    } catch (err) {
      backend.terminate();
      throw err;
    }
    return backend;
  }

  /** Routes a worker's messages; resolves on its `ready` message. */
  private watch(thread: Worker, index: number): Promise<void> {
    return new Promise<void>((resolveReady, rejectReady) => {
      let isReady = false;
      thread.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          isReady = true;
          resolveReady();
        } else if (m.type === 'stats') {
          this.settle(this.pendingStats, m.request, m);
        } else if (m.type === 'reload') {
          this.settle(this.pendingReloads, m.request, m);
        } else if (m.type === 'quarantine') {
          this.quarantine?.manager.request(m.target, m.evidence, null);
        } else if (m.type === 'done') {
          this.reports[index] = m;
        } else if (m.type === 'notify') {
          this.notifier?.writeLine(m.line);
        }
      });
      thread.on('error', (err: Error) => {
        this.failure ??= err;
        if (!isReady) rejectReady(err);
        for (const pending of [...this.pendingStats.values(), ...this.pendingReloads.values()]) pending.reject(err);
      });
    });
  }

  private settle<T>(pending: Map<number, Reply<T>>, request: number, reply: T): void {
    const entry = pending.get(request);
    if (entry === undefined) return;
    entry.replies.push(reply);
    if (entry.replies.length === this.workerCount) {
      pending.delete(request);
      entry.resolve(reply);
    }
  }

  private ask<T>(pending: Map<number, Reply<T>>, kind: number): Promise<T[]> {
    const request = this.nextRequest++;
    return new Promise<T[]>((resolve, reject) => {
      const entry: Reply<T> = { resolve: () => resolve(entry.replies), reject, replies: [] };
      pending.set(request, entry as Reply<T>);
      this.broadcast(kind, Date.now() * 1000, request);
    });
  }

  /** Sends a control record to every worker, keyed before the next packet. */
  private broadcast(kind: number, timestampUs: number, token = 0): void {
    const step = this.workerCount + 1;
    for (let i = 0; i < this.workerCount; i++) this.dispatcher.write(i, kind, (this.seq + 1) * step + i, timestampUs, NO_BYTES, 0, 0, 0, 0, token);
    this.dispatcher.publish();
  }

  runBatch(source: LiveSource, p: Packet, timeoutMs: number, loop: LiveLoopCounters): number {
    const count = source.read(timeoutMs);
    if (count === 0) return 0;
    loop.batches++;
    const workers = this.workerCount;
    const step = workers + 1;
    let dispatched = 0;
    while (source.nextPacket(p)) {
      const target = workerOf(p.bytes, p.linkType, workers);
      const seq = ++this.seq;
      const ts = p.timestampUs;
      const second = Math.floor(ts / 1_000_000);
      if (second > this.lastSecond) {
        if (this.lastSecond >= 0) {
          for (let i = 0; i < workers; i++) if (i !== target) this.dispatcher.write(i, RecordKind.TICK, seq * step + i, ts, NO_BYTES, 0, 0, 0);
        }
        this.lastSecond = second;
      }
      const flags = p.isChecksumOffloaded ? RecordFlag.CHECKSUM_OFFLOADED : 0;
      this.dispatcher.write(target, RecordKind.PACKET, seq * step + workers, ts, p.bytes, p.wireLength, p.linkType, p.pcapCount, flags, dispatched, 0);
      dispatched++;
    }
    this.dispatcher.publish();
    const decided = this.collectVerdicts(source, dispatched);
    if (decided < dispatched) loop.internalErrors++;
    source.finishBatch();
    return count;
  }

  /**
   * Waits for the verdicts of the `dispatched` packets of the batch, up to
   * VERDICT_WAIT_MS, and hands each to the source. Returns how many came.
   */
  private collectVerdicts(source: LiveSource, dispatched: number): number {
    let decided = 0;
    if (this.decidedFlags.length < dispatched) this.decidedFlags = new Uint8Array(Math.max(dispatched, this.decidedFlags.length * 2));
    const flags = this.decidedFlags;
    flags.fill(0, 0, dispatched);
    // Packets before `prefix` are all decided; their verdicts go out before the rest of the batch is done.
    let prefix = 0;
    const deadline = Date.now() + VERDICT_WAIT_MS;
    for (;;) {
      const seen = Atomics.load(this.verdictCount, 0);
      for (const ring of this.verdictRings) {
        while (ring.read(0)) {
          const token = ring.token;
          if (token < dispatched && flags[token] === 0) {
            source.completeAt?.(token, ring.wireLength === 1);
            flags[token] = 1;
            decided++;
          } else {
            this.lateVerdicts++;
          }
          ring.release();
        }
      }
      const before = prefix;
      while (prefix < dispatched && flags[prefix] === 1) prefix++;
      if (prefix > before && prefix < dispatched) source.flushVerdicts?.(prefix);
      if (decided >= dispatched || Date.now() >= deadline || this.failure !== null) return decided;
      Atomics.wait(this.verdictCount, 0, seen, VERDICT_WAIT_SLICE_MS);
    }
  }

  /**
   * Restores the stored quarantines into nftables and writes each
   * automatic quarantine as a gid 8100 alert. When nft fails, kapu logs it
   * and runs on, as in one thread.
   */
  async startQuarantine(quarantine: OpenQuarantine): Promise<void> {
    quarantine.manager.onEvent = (event) => {
      for (const writer of this.statsWriters) writer.quarantineAlert(event);
    };
    try {
      const restored = await quarantine.manager.restore();
      STDERR_QUARANTINE_LOG('info', { restored, table: quarantine.firewall.options.table }, 'quarantine table ready');
    } catch (err) {
      STDERR_QUARANTINE_LOG('error', { err: err instanceof Error ? err.message : String(err) }, 'quarantine not restored');
    }
  }

  expire(nowUs: number): void {
    this.broadcast(RecordKind.EXPIRE, nowUs);
  }

  flushLogs(): void {
    for (const writer of this.statsWriters) writer.flush();
  }

  reopenLogs(): void {
    this.broadcast(RecordKind.REOPEN, Date.now() * 1000);
    for (const writer of this.statsWriters) writer.reopen();
  }

  async reload(_reported: Set<string>): Promise<{ outcome: ReloadOutcome; loaded: number; failed: number }> {
    const replies = await this.ask(this.pendingReloads, RecordKind.RELOAD);
    // Every worker read the same files; the first one's outcome speaks for all.
    const first = replies.find((r) => r.index === 0) ?? (replies[0] as (typeof replies)[number]);
    return { outcome: first.outcome, loaded: first.loaded, failed: first.failed };
  }

  async writeStats(nowUs: number, uptimeS: number, extra: Map<string, number>): Promise<void> {
    if (this.finished !== null) {
      this.writeStatsEvent(nowUs, uptimeS, this.reports.filter((r): r is WorkerReport => r !== null).map((r) => ({ index: r.index, counters: r.counters, packets: r.packets })), extra);
      return;
    }
    const replies = await this.ask(this.pendingStats, RecordKind.STATS);
    this.writeStatsEvent(nowUs, uptimeS, replies, extra);
  }

  private writeStatsEvent(nowUs: number, uptimeS: number, replies: Array<{ index: number; counters: Array<[string, number]>; packets: number }>, extra: Map<string, number>): void {
    const counters = new Map<string, number>();
    for (const r of replies) {
      for (const [name, value] of r.counters) counters.set(name, (counters.get(name) ?? 0) + value);
    }
    for (const [name, value] of extra) counters.set(name, (counters.get(name) ?? 0) + value);
    this.notifier?.collectCounters(counters);
    for (const r of replies) counters.set(`worker.${r.index}.packets`, r.packets);
    counters.set('capture.late_verdicts', this.lateVerdicts);
    this.quarantine?.manager.collectCounters(counters);
    const engines = [{ id: 0, lastReloadUs: nowUs, rulesLoaded: 0, rulesFailed: 0, rulesSkipped: 0 }];
    for (const writer of this.statsWriters) {
      writer.stats(nowUs, uptimeS, counters, engines);
      writer.flush();
    }
  }

  finish(): Promise<void> {
    this.finished ??= (async () => {
      const step = this.workerCount + 1;
      for (let i = 0; i < this.workerCount; i++) this.dispatcher.write(i, RecordKind.END, (this.seq + 1) * step + i, Date.now() * 1000, NO_BYTES, 0, 0, 0);
      this.dispatcher.publish();
      await Promise.all(this.threads.map((thread) => new Promise<void>((resolveExit) => thread.once('exit', () => resolveExit()))));
      await this.notifier?.drain(NOTIFY_DRAIN_MS);
      if (this.failure !== null) throw this.failure;
    })();
    return this.finished;
  }

  close(): void {
    for (const writer of this.statsWriters) writer.close();
    this.notifier?.close();
    if (this.finished === null) this.terminate();
  }

  private terminate(): void {
    for (const thread of this.threads) void thread.terminate();
  }

  summarize(elapsedMs: number): RunSummary {
    const reports = this.reports.filter((r): r is WorkerReport => r !== null);
    if (reports.length === 0) return mergeReports([emptyReport()], elapsedMs);
    return mergeReports(reports, elapsedMs);
  }
}

function emptyReport(): WorkerReport {
  return {
    type: 'done', index: 0, packets: 0, bytes: 0, alerts: 0, drops: 0, decoderEvents: 0, flows: 0, rulesLoaded: 0, rulesFailed: 0, rulesSkipped: 0,
    rulesLoadedUs: 0, alertsBySignature: [], shadowHitsBySignature: [], peakMemory: { flow: 0, stream: 0, reassembly: 0 }, counters: [], gateWaits: 0,
  };
}

/** Options of runLiveOnWorkers. */
export interface LiveWorkersOptions {
  config: KapuConfig;
  /** Run options for the workers' pipelines (the command line's). */
  runOptions: RunPipelineOptions;
  workerCount: number;
  isIps: boolean;
  /** Send the responses of reject actions through raw sockets (the native addon). */
  sendsRejects: boolean;
  /** The quarantine of the run (IPS mode with quarantine wanted), or null. */
  quarantine?: OpenQuarantine | null;
  signal?: AbortSignal;
  startMessage?: string;
}

/**
 * Runs `sources` on worker threads until SIGTERM, SIGINT or the signal:
 * the live loop of runLiveSources with a WorkersBackend, the control
 * socket for `kapu reload`, and the cleanup. Closes the sources when the
 * workers cannot start.
 */
export async function runLiveOnWorkers(sources: LiveSource[], o: LiveWorkersOptions): Promise<RunSummary> {
  const { config, runOptions } = o;
  const quarantine = o.quarantine ?? null;
  const logDir = runOptions.logDir ?? config.defaultLogDir;
  const { signal: _signal, loadedRules: _loaded, ...cloneable } = runOptions as RunPipelineOptions & { signal?: AbortSignal };
  let backend: WorkersBackend;
  try {
    mkdirSync(logDir, { recursive: true });
    backend = await WorkersBackend.start(config, logDir, o.isIps, o.workerCount, { ...cloneable, mode: o.isIps ? 'ips' : 'ids' }, o.sendsRejects, quarantine);
  } catch (err) {
    for (const source of sources) source.close();
    quarantine?.store.close();
    throw err;
  }
  if (quarantine !== null) await backend.startQuarantine(quarantine);
  const reloads = new ReloadRequests();
  let control: ControlSocketServer | null;
  try {
    control = await openLiveControlSocket(config, logDir, reloads, runOptions.quiet);
  } catch (err) {
    backend.close();
    for (const source of sources) source.close();
    throw err;
  }
  const loopOptions: LiveLoopOptions = { quiet: runOptions.quiet, runOptions, reloads };
  if (o.signal !== undefined) loopOptions.signal = o.signal;
  if (o.startMessage !== undefined) loopOptions.startMessage = o.startMessage;
  try {
    return await runLiveLoop(backend, sources, loopOptions);
  } finally {
    await control?.close();
    if (quarantine !== null) {
      await quarantine.manager.idle();
      quarantine.store.close();
    }
  }
}
