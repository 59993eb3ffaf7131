/**
 * `kapu run -i IFACE`: passive live capture (IDS) on one interface through
 * the native addon's AF_PACKET socket. Frames run through the same
 * pipeline as `kapu run -r`, with the kernel's receive timestamps. Flows
 * time out with wall time while no packet arrives, and `stats` events are
 * written every stats.interval seconds. SIGTERM and SIGINT stop the
 * capture, SIGHUP reopens the log files, and SIGUSR2 or a reload-rules
 * request on the control socket reloads the rules.
 */
import { openRejectSender, STDERR_REJECT_LOG } from '../act/reject-sender.js';
import { AfPacketCapture } from '../capture/af-packet.js';
import { LinkType, Packet } from '../core/packet.js';
import { FlowEndReason } from '../flow/flow.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from '../engine/run-pipeline.js';
import { logReload, reloadRules } from '../engine/rule-reload.js';
import { ControlSocketServer, openLiveControlSocket, ReloadRequests } from './control-socket.js';
import { formatSummary, summarizeRun } from './run.js';
import type { RunSummary } from './run-options.js';

/**
 * Maximum wait of one read in poll(2), in milliseconds. The read blocks
 * the event loop, so this bounds how late signals and the timers below run.
 */
export const LIVE_POLL_TIMEOUT_MS = 100;

/** Interval of the wall-time flow timeout check and of the log flush, in microseconds. */
export const LIVE_TIMEOUT_CHECK_US = 1_000_000;

/** Options of `kapu run -i`. */
export interface LiveRunOptions extends RunPipelineOptions {
  /** Interface to capture on (`-i`). */
  interfaceName: string;
  /** Put the interface in promiscuous mode while capturing; default true, as Suricata's af-packet. */
  promiscuous?: boolean;
  /** Stops the capture as SIGTERM does, for callers that run kapu in-process. */
  signal?: AbortSignal;
}

/** Requests that process signals make of a running capture. */
class LiveSignals {
  stopSignal: string | null = null;
  isReopenRequested = false;
  isReloadRequested = false;
  /** Config keys reported as needing a restart, so each is reported once. */
  readonly restartKeysReported = new Set<string>();
  /** reload-rules requests of the control socket. */
  readonly reloads = new ReloadRequests();
  private readonly onStop = (signal: NodeJS.Signals): void => {
    this.stopSignal = signal;
  };
  private readonly onHangup = (): void => {
    this.isReopenRequested = true;
  };
  private readonly onReload = (): void => {
    this.isReloadRequested = true;
  };

  attach(): void {
    process.on('SIGTERM', this.onStop);
    process.on('SIGINT', this.onStop);
    process.on('SIGHUP', this.onHangup);
    process.on('SIGUSR2', this.onReload);
  }

  detach(): void {
    process.off('SIGTERM', this.onStop);
    process.off('SIGINT', this.onStop);
    process.off('SIGHUP', this.onHangup);
    process.off('SIGUSR2', this.onReload);
  }
}

/**
 * Captures on `opts.interfaceName` until SIGTERM, SIGINT or `opts.signal`,
 * then ends every flow, writes a last `stats` event and returns the
 * summary. Throws CaptureError KAPU_ERR_CAPTURE_NATIVE_ADDON_MISSING
 * without the addon and KAPU_ERR_CAPTURE_LIVE_FAILED when the socket cannot
 * be opened or read.
 */
export async function runLive(opts: LiveRunOptions): Promise<RunSummary> {
  const startedMs = performance.now();
  const engine = loadRunEngine(opts);
  // Opened before any output, so a missing interface leaves no empty logs.
  const capture = new AfPacketCapture(opts.interfaceName, { promiscuous: opts.promiscuous ?? true });
  // NOTE: veths and NICs with checksum offload hand over frames whose TCP
  // and UDP checksums are not filled in yet, and AF_PACKET does not flag
  // them here, so live capture validates checksums only with `-k all`.
  // Rejects are answered in IDS mode too, as Suricata does; the responses leave by the routing table.
  const rejectSender = openRejectSender(opts.quiet ? null : STDERR_REJECT_LOG);
  let run: RunPipeline;
  try {
    run = new RunPipeline(engine, { ...opts, checksumMode: opts.checksumMode ?? 'none' }, rejectSender);
  } catch (err) {
    capture.close();
    rejectSender.close();
    throw err;
  }
  const signals = new LiveSignals();
  let control: ControlSocketServer | null;
  try {
    control = await openLiveControlSocket(engine.config, engine.logDir, signals.reloads, opts.quiet);
  } catch (err) {
    capture.close();
    run.close();
    rejectSender.close();
    throw err;
  }
  signals.attach();
  const startUs = Date.now() * 1000;
  const modeName = engine.isIps ? 'IPS' : 'IDS';
  if (!opts.quiet) process.stderr.write(`kapu: capturing on ${opts.interfaceName} (${modeName} mode), writing to ${engine.logDir}\n`);

  try {
    await readUntilStopped(capture, run, signals, opts, startUs);
    if (!opts.quiet) process.stderr.write(`kapu: ${signals.stopSignal ?? 'abort'} received, stopping the capture on ${opts.interfaceName}\n`);
    run.pipeline.finish(FlowEndReason.SHUTDOWN);
    const nowUs = Date.now() * 1000;
    run.writeStats(nowUs, (nowUs - startUs) / 1e6, captureCounters(capture));
  } finally {
    signals.detach();
    signals.reloads.cancel('kapu is stopping; the rules were not reloaded');
    await control?.close();
    capture.close();
    run.close();
    rejectSender.close();
  }

  const summary = summarizeRun(run, performance.now() - startedMs);
  if (!opts.quiet) {
    const label = `interface ${opts.interfaceName}`;
    process.stdout.write(formatSummary(summary, { ...opts, pcapPath: label, logDir: engine.logDir }, engine.isIps));
  }
  return summary;
}

/** Reads batches into the pipeline and runs the wall-time timers until a stop is requested. */
async function readUntilStopped(capture: AfPacketCapture, run: RunPipeline, signals: LiveSignals, opts: LiveRunOptions, startUs: number): Promise<void> {
  const config = run.engine.config;
  const statsIntervalUs = config.stats.enabled && config.stats.interval > 0 ? config.stats.interval * 1_000_000 : 0;
  let nextStatsUs = statsIntervalUs > 0 ? startUs + statsIntervalUs : Number.POSITIVE_INFINITY;
  let nextTimeoutCheckUs = startUs + LIVE_TIMEOUT_CHECK_US;
  const pipeline = run.pipeline;
  const batch = capture.batch;
  const p = new Packet();
  let frameCount = 0;

  while (signals.stopSignal === null && opts.signal?.aborted !== true) {
    capture.read(LIVE_POLL_TIMEOUT_MS);
    while (batch.next()) {
      frameCount++;
      p.reset(batch.data(), batch.timestampUs(), batch.originalLength, LinkType.ETHERNET, frameCount);
      pipeline.processPacket(p);
    }

    const nowUs = Date.now() * 1000;
    if (nowUs >= nextTimeoutCheckUs) {
      // Flows end by wall time too, so an idle flow is logged without waiting for the next packet.
      run.flows.expire(nowUs);
      run.flushLogs();
      nextTimeoutCheckUs = nowUs + LIVE_TIMEOUT_CHECK_US;
    }
    if (nowUs >= nextStatsUs) {
      run.writeStats(nowUs, (nowUs - startUs) / 1e6, captureCounters(capture));
      run.flushLogs();
      nextStatsUs += statsIntervalUs;
      if (nextStatsUs <= nowUs) nextStatsUs = nowUs + statsIntervalUs;
    }
    if (signals.isReopenRequested) {
      signals.isReopenRequested = false;
      run.reopenLogs();
      if (!opts.quiet) process.stderr.write('kapu: SIGHUP received, log files reopened\n');
    }
    if (signals.isReloadRequested || signals.reloads.isRequested) {
      const trigger = signals.isReloadRequested ? 'SIGUSR2 received' : 'reload-rules requested on the control socket';
      signals.isReloadRequested = false;
      const outcome = reloadRules(run, opts, signals.restartKeysReported);
      logReload(outcome, opts.quiet, trigger);
      signals.reloads.answer(outcome, run.engine.rules.summary.loaded, run.engine.rules.summary.failed);
      const reloadedUs = Date.now() * 1000;
      run.writeStats(reloadedUs, (reloadedUs - startUs) / 1e6, captureCounters(capture));
      run.flushLogs();
    }

    // Lets signal handlers and the writers' timers run between batches.
    await new Promise<void>((resolveBatch) => setImmediate(resolveBatch));
  }
}

/** Returns the socket's kernel counters under Suricata's stats names. */
function captureCounters(capture: AfPacketCapture): Map<string, number> {
  const kernel = capture.stats();
  return new Map([
    ['capture.kernel_packets', kernel.packets],
    ['capture.kernel_drops', kernel.drops],
  ]);
}
