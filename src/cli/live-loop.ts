/**
 * The run loop shared by live packet sources: NFQUEUE queues (`run -q`),
 * an AF_PACKET socket (`run -i`), and any other source that implements
 * LiveSource. It reads batches, runs every packet through the run's
 * pipeline and lets the source act on the result. It writes `stats` events
 * on wall time. On SIGTERM or SIGINT it finishes the batch in hand,
 * flushes the outputs and returns. SIGHUP reopens the log files. On
 * SIGUSR2, or a reload-rules request on the control socket, it reloads the
 * rules between two batches (rule-reload.ts).
 */
import { Packet } from '../core/packet.js';
import { FlowEndReason } from '../flow/flow.js';
import type { RunPipeline } from '../engine/run-pipeline.js';
import type { RunPipelineOptions } from '../engine/run-pipeline.js';
import { logReload, reloadRules, type ReloadOutcome } from '../engine/rule-reload.js';
import { ReloadRequests } from './control-socket.js';
import type { RunSummary } from './run-options.js';
import { formatSummary, summarizeRun } from './run.js';

/**
 * Milliseconds that an idle loop waits in each source's read before it
 * yields to the event loop. A signal or a stats timer waits at most this
 * long (times the number of sources) to run, and so does the first
 * packet of a source while another source blocks.
 */
export const LIVE_IDLE_WAIT_MS = 50;

/**
 * Wall-time milliseconds between flow expiry passes while no packet
 * arrives. With traffic, the flow table expires flows itself once per
 * packet-time second; without it, only these passes end idle flows.
 */
export const LIVE_IDLE_EXPIRE_MS = 1000;

/**
 * Wall-time milliseconds between two log flushes while packets arrive, so
 * events reach the files within about this time even when the buffers do
 * not fill and stats events are off.
 */
export const LIVE_FLUSH_INTERVAL_MS = 1000;

/**
 * One live packet source. The loop calls `read`, then `nextPacket` until
 * it returns false, calling `complete` after each packet went through the
 * pipeline, then `finishBatch` once, also when the pipeline threw.
 */
/** Milliseconds a live run waits at its end for queued notifications. */
const LIVE_NOTIFY_DRAIN_MS = 5000;

export interface LiveSource {
  /** Name in the summary and logs, such as `NFQUEUE 0`. */
  readonly name: string;
  /** Waits up to `timeoutMs` for packets and reads a batch; returns its packet count. Throws CaptureError when the source fails. */
  read(timeoutMs: number): number;
  /** Fills `p` (after `p.reset`) with the next packet of the batch, or returns false after the last. */
  nextPacket(p: Packet): boolean;
  /** Takes the pipeline's decision for the packet that `nextPacket` filled last (`p.isDropped`). */
  complete(p: Packet): void;
  /**
   * Takes the decision for packet `index` of the batch (0 for the first
   * `nextPacket`), when worker threads decide packets out of order. A
   * source without verdicts leaves it out.
   */
  completeAt?(index: number, isDropped: boolean): void;
  /**
   * Sends the verdicts of the batch's packets before `upTo` (default:
   * every packet completed so far) ahead of finishBatch, so that early
   * packets of a large batch need not wait for the rest.
   */
  flushVerdicts?(upTo?: number): void;
  /** Ends the batch: packets read but not completed get the source's failure handling. */
  finishBatch(): void;
  /** Adds the source's counters, under Suricata-style stats names, to `out`. */
  collectCounters(out: Map<string, number>): void;
  close(): void;
}

/** Packets processed between two early verdict sends within one batch. */
export const VERDICT_FLUSH_PACKETS = 8;

/** Options of runLiveSources. */
export interface LiveLoopOptions {
  /** Stops the loop as SIGTERM does. */
  signal?: AbortSignal;
  /** Prints no summary when true. */
  quiet: boolean;
  /** Installs handlers for SIGTERM and SIGINT (stop), SIGHUP (reopen the logs) and SIGUSR2 (reload the rules); default true. */
  handleSignals?: boolean;
  /** Run options, for the end-of-run summary. */
  runOptions: RunPipelineOptions;
  /** reload-rules requests of the run's control socket, answered after each reload. */
  reloads?: ReloadRequests;
  /** Line printed on stderr once the signal handlers are in place, unless quiet. */
  startMessage?: string;
}

/**
 * The processing behind the live loop: the run's pipeline in this thread
 * (PipelineBackend), or worker threads (live-workers.ts).
 */
export interface LiveBackend {
  readonly logDir: string;
  readonly isIps: boolean;
  /** Seconds between stats events (stats.interval), 0 for none. */
  readonly statsIntervalS: number;
  /** Reads one batch of `source` and decides every packet of it; returns its packet count. */
  runBatch(source: LiveSource, p: Packet, timeoutMs: number, loop: LiveLoopCounters): number;
  /** Ends the flows that timed out at wall time `nowUs`, while no packet comes. */
  expire(nowUs: number): void;
  flushLogs(): void;
  reopenLogs(): void;
  /** Reloads the rules; `reported` contains the config keys already reported as needing a restart. */
  reload(reported: Set<string>): Promise<{ outcome: ReloadOutcome; loaded: number; failed: number }>;
  /** Writes a stats event with the backend's counters plus `extra`. */
  writeStats(nowUs: number, uptimeS: number, extra: Map<string, number>): Promise<void>;
  /** Ends every flow at the end of the run. */
  finish(): Promise<void>;
  close(): void;
  summarize(elapsedMs: number): RunSummary;
}

/** The live backend that runs packets through a RunPipeline in this thread. */
export class PipelineBackend implements LiveBackend {
  readonly logDir: string;
  readonly isIps: boolean;
  readonly statsIntervalS: number;

  constructor(
    readonly run: RunPipeline,
    private readonly runOptions: RunPipelineOptions,
  ) {
    this.logDir = run.engine.logDir;
    this.isIps = run.engine.isIps;
    const stats = run.engine.config.stats;
    this.statsIntervalS = stats.enabled ? stats.interval : 0;
  }

  runBatch(source: LiveSource, p: Packet, timeoutMs: number, loop: LiveLoopCounters): number {
    return runBatch(this.run, source, p, timeoutMs, loop);
  }

  expire(nowUs: number): void {
    this.run.flows.expire(nowUs);
  }

  flushLogs(): void {
    this.run.flushLogs();
  }

  reopenLogs(): void {
    this.run.reopenLogs();
  }

  reload(reported: Set<string>): Promise<{ outcome: ReloadOutcome; loaded: number; failed: number }> {
    const outcome = reloadRules(this.run, this.runOptions, reported);
    // The blocklists are read and downloaded again with the rules. That runs
    // in the background so that packets keep flowing, and a list that fails keeps its last good version.
    const quiet = this.runOptions.quiet;
    this.run.reloadBlocklists((outcomes) => {
      if (quiet) return;
      const loaded = outcomes.filter((o) => o.status === 'loaded').length;
      process.stderr.write(`kapu: blocklists reloaded: ${loaded} of ${outcomes.length} loaded, the others keep their previous version\n`);
    });
    const summary = this.run.engine.rules.summary;
    return Promise.resolve({ outcome, loaded: summary.loaded, failed: summary.failed });
  }

  writeStats(nowUs: number, uptimeS: number, extra: Map<string, number>): Promise<void> {
    this.run.writeStats(nowUs, uptimeS, extra);
    this.run.flushLogs();
    return Promise.resolve();
  }

  async finish(): Promise<void> {
    this.run.pipeline.finish(FlowEndReason.SHUTDOWN);
    // The flows that ended can still raise notifications; they get a few seconds to go out.
    await this.run.drainNotifications(LIVE_NOTIFY_DRAIN_MS);
    // A blocklist download still running would write to the cache after the run closed.
    await this.run.settleBlocklists();
  }

  close(): void {
    this.run.close();
  }

  summarize(elapsedMs: number): RunSummary {
    return summarizeRun(this.run, elapsedMs);
  }
}

/** Counters of the loop itself, shown in stats as `capture.*`. */
export class LiveLoopCounters {
  /** Batches in which the pipeline threw; their remaining packets got the failure handling. */
  internalErrors = 0;
  batches = 0;
}

/**
 * Runs `sources` through `run` until SIGTERM, SIGINT or `options.signal`,
 * then ends the flows, writes a last stats event, closes the outputs and
 * the sources, and returns the run's figures. SIGHUP reopens the log
 * files. A source that throws on read ends the run with that error, after
 * the same cleanup.
 */
export async function runLiveSources(run: RunPipeline, sources: LiveSource[], options: LiveLoopOptions): Promise<RunSummary> {
  return runLiveLoop(new PipelineBackend(run, options.runOptions), sources, options);
}

/** Runs the live loop of runLiveSources over any backend (this thread, or worker threads). */
export async function runLiveLoop(backend: LiveBackend, sources: LiveSource[], options: LiveLoopOptions): Promise<RunSummary> {
  const startedMs = performance.now();
  const startedUs = Date.now() * 1000;
  const requests = { stopSignal: null as string | null, isReopenRequested: false, isReloadRequested: false };
  const requestReload = (): void => {
    requests.isReloadRequested = true;
  };
  // Config keys reported as needing a restart, so each is reported once.
  const restartKeysReported = new Set<string>();
  const reloads = options.reloads ?? new ReloadRequests();
  const requestStop = (signal: NodeJS.Signals): void => {
    requests.stopSignal = signal;
  };
  const requestAbort = (): void => {
    requests.stopSignal = 'abort';
  };
  const requestReopen = (): void => {
    requests.isReopenRequested = true;
  };
  const handleSignals = options.handleSignals !== false;
  if (handleSignals) {
    process.on('SIGTERM', requestStop);
    process.on('SIGINT', requestStop);
    process.on('SIGHUP', requestReopen);
    process.on('SIGUSR2', requestReload);
  }
  options.signal?.addEventListener('abort', requestAbort);
  const label = sources.map((source) => source.name).join(', ');
  if (!options.quiet && options.startMessage !== undefined) process.stderr.write(`${options.startMessage}\n`);

  const loop = new LiveLoopCounters();
  const writeStats = (): Promise<void> => {
    const nowUs = Date.now() * 1000;
    return backend.writeStats(nowUs, (nowUs - startedUs) / 1e6, sourceCounters(sources, loop));
  };
  const statsTimer = backend.statsIntervalS > 0 ? setInterval(() => void writeStats(), backend.statsIntervalS * 1000) : null;

  const p = new Packet();
  let lastExpireMs = Date.now();
  let lastFlushMs = lastExpireMs;
  try {
    while (requests.stopSignal === null && options.signal?.aborted !== true) {
      let packets = 0;
      for (const source of sources) packets += backend.runBatch(source, p, 0, loop);
      if (packets === 0) {
        for (const source of sources) packets += backend.runBatch(source, p, LIVE_IDLE_WAIT_MS, loop);
      }
      const nowMs = Date.now();
      if (packets === 0 && nowMs - lastExpireMs >= LIVE_IDLE_EXPIRE_MS) {
        lastExpireMs = nowMs;
        lastFlushMs = nowMs;
        backend.expire(nowMs * 1000);
        backend.flushLogs();
      } else if (nowMs - lastFlushMs >= LIVE_FLUSH_INTERVAL_MS) {
        lastFlushMs = nowMs;
        backend.flushLogs();
      }
      if (requests.isReopenRequested) {
        requests.isReopenRequested = false;
        backend.reopenLogs();
        if (!options.quiet) process.stderr.write('kapu: SIGHUP received, log files reopened\n');
      }
      if (requests.isReloadRequested || reloads.isRequested) {
        const trigger = requests.isReloadRequested ? 'SIGUSR2 received' : 'reload-rules requested on the control socket';
        requests.isReloadRequested = false;
        const { outcome, loaded, failed } = await backend.reload(restartKeysReported);
        logReload(outcome, options.quiet, trigger);
        reloads.answer(outcome, loaded, failed);
        await writeStats();
      }
      await new Promise<void>((resolveRound) => setImmediate(resolveRound));
    }
    if (!options.quiet) process.stderr.write(`kapu: ${requests.stopSignal ?? 'abort'} received, stopping the capture on ${label}\n`);
    await backend.finish();
    await writeStats();
  } finally {
    reloads.cancel('kapu is stopping; the rules were not reloaded');
    if (statsTimer !== null) clearInterval(statsTimer);
    if (handleSignals) {
      process.off('SIGTERM', requestStop);
      process.off('SIGINT', requestStop);
      process.off('SIGHUP', requestReopen);
      process.off('SIGUSR2', requestReload);
    }
    options.signal?.removeEventListener('abort', requestAbort);
    backend.close();
    for (const source of sources) source.close();
  }

  const summary = backend.summarize(performance.now() - startedMs);
  if (!options.quiet) {
    process.stdout.write(formatSummary(summary, { ...options.runOptions, pcapPath: label, logDir: backend.logDir }, backend.isIps));
  }
  return summary;
}

/**
 * Reads one batch of `source` and runs it through the pipeline. One `try`
 * covers the batch: an unexpected throw is counted, and the batch's
 * remaining packets get the source's failure handling in finishBatch.
 */
function runBatch(run: RunPipeline, source: LiveSource, p: Packet, timeoutMs: number, loop: LiveLoopCounters): number {
  const count = source.read(timeoutMs);
  if (count === 0) return 0;
  loop.batches++;
  const pipeline = run.pipeline;
  try {
    let processed = 0;
    while (source.nextPacket(p)) {
      pipeline.processPacket(p);
      source.complete(p);
      if (++processed % VERDICT_FLUSH_PACKETS === 0) source.flushVerdicts?.();
    }
  } catch (err) {
    // Reported once; later ones are counted in capture.internal_errors.
    if (loop.internalErrors === 0) process.stderr.write(`kapu: error: ${source.name}: packet processing failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    loop.internalErrors++;
  }
  source.finishBatch();
  return count;
}

function sourceCounters(sources: LiveSource[], loop: LiveLoopCounters): Map<string, number> {
  const out = new Map<string, number>();
  out.set('capture.batches', loop.batches);
  out.set('capture.internal_errors', loop.internalErrors);
  for (const source of sources) source.collectCounters(out);
  return out;
}
