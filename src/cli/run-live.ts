/**
 * `kapu run -i IFACE`: passive live capture (IDS) on one interface through
 * the native addon's AF_PACKET socket. Frames run through the same
 * pipeline as `kapu run -r`, with the kernel's receive timestamps. The
 * live loop of `kapu run -q` (live-loop.ts) drives the capture. So flows
 * time out with wall time while no packet arrives, and `stats` events are
 * written every stats.interval seconds. SIGTERM and SIGINT stop the
 * capture, SIGHUP reopens the log files, and SIGUSR2 or a reload-rules
 * request on the control socket reloads the rules.
 */
import { loadConfig } from '../config/load-config.js';
import type { LiveWorkersOptions } from './live-workers.js';
import { openRejectSender, STDERR_REJECT_LOG } from '../act/reject-sender.js';
import { AfPacketCapture } from '../capture/af-packet.js';
import { LinkType, type Packet } from '../core/packet.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from '../engine/run-pipeline.js';
import { ControlSocketServer, openLiveControlSocket, ReloadRequests } from './control-socket.js';
import { runLiveSources, type LiveLoopOptions, type LiveSource } from './live-loop.js';
import type { RunSummary } from './run-options.js';

/** Options of `kapu run -i`. */
export interface LiveRunOptions extends RunPipelineOptions {
  /** Interface to capture on (`-i`). */
  interfaceName: string;
  /** Put the interface in promiscuous mode while capturing; default true, as Suricata's af-packet. */
  promiscuous?: boolean;
  /** Stops the capture as SIGTERM does, for callers that run kapu in-process. */
  signal?: AbortSignal;
  /** Worker threads that process the frames (`--workers`); absent or 1 processes them in this thread. */
  workers?: number;
}

/**
 * One AF_PACKET socket as a live source. The capture is passive, so the
 * pipeline's decision about a packet is not acted on.
 */
export class AfPacketSource implements LiveSource {
  readonly name: string;
  private readonly capture: AfPacketCapture;
  /** Frames read so far. Packets are numbered from 1 in read order. */
  private frameCount: number;

  /** Opens the socket on `interfaceName`; throws CaptureError when it cannot be opened. */
  constructor(interfaceName: string, promiscuous: boolean) {
    this.name = `interface ${interfaceName}`;
    this.capture = new AfPacketCapture(interfaceName, { promiscuous });
    this.frameCount = 0;
  }

  read(timeoutMs: number): number {
    return this.capture.read(timeoutMs);
  }

  nextPacket(p: Packet): boolean {
    const batch = this.capture.batch;
    if (!batch.next()) return false;
    this.frameCount++;
    p.reset(batch.data(), batch.timestampUs(), batch.originalLength, LinkType.ETHERNET, this.frameCount);
    return true;
  }

  complete(_p: Packet): void {}

  /** Skips the frames of the batch that the pipeline did not take, after it threw. */
  finishBatch(): void {
    const batch = this.capture.batch;
    while (batch.next()) this.frameCount++;
  }

  /** Adds the socket's kernel counters under Suricata's stats names. */
  collectCounters(out: Map<string, number>): void {
    const kernel = this.capture.stats();
    out.set('capture.kernel_packets', kernel.packets);
    out.set('capture.kernel_drops', kernel.drops);
  }

  close(): void {
    this.capture.close();
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
  const workerCount = opts.workers ?? 1;
  if (workerCount > 1) {
    const { config } = loadConfig(opts.configPath, opts.sets);
    const source = new AfPacketSource(opts.interfaceName, opts.promiscuous ?? true);
    const isIps = (opts.mode ?? config.policy.mode) === 'ips';
    const logDir = opts.logDir ?? config.defaultLogDir;
    const { runLiveOnWorkers } = await import('./live-workers.js');
    const o: LiveWorkersOptions = {
      config,
      runOptions: { ...opts, checksumMode: opts.checksumMode ?? 'none' },
      workerCount,
      isIps,
      sendsRejects: true,
      startMessage: `kapu: capturing on ${opts.interfaceName} (${isIps ? 'IPS' : 'IDS'} mode, ${workerCount} workers), writing to ${logDir}`,
    };
    if (opts.signal !== undefined) o.signal = opts.signal;
    return runLiveOnWorkers([source], o);
  }
  const engine = loadRunEngine(opts);
  // Opened before any output, so a missing interface leaves no empty logs.
  const source = new AfPacketSource(opts.interfaceName, opts.promiscuous ?? true);
  // NOTE: veths and NICs with checksum offload hand over frames whose TCP
  // and UDP checksums are not filled in yet, and AF_PACKET does not flag
  // them here, so live capture validates checksums only with `-k all`.
  // Rejects are answered in IDS mode too, as Suricata does; the responses leave by the routing table.
  const rejectSender = openRejectSender(opts.quiet ? null : STDERR_REJECT_LOG);
  let run: RunPipeline;
  try {
    run = new RunPipeline(engine, { ...opts, checksumMode: opts.checksumMode ?? 'none' }, rejectSender);
  } catch (err) {
    source.close();
    rejectSender.close();
    throw err;
  }
  await run.loadBlocklists();
  const reloads = new ReloadRequests();
  let control: ControlSocketServer | null;
  try {
    control = await openLiveControlSocket(engine.config, engine.logDir, reloads, opts.quiet);
  } catch (err) {
    source.close();
    run.close();
    rejectSender.close();
    throw err;
  }

  const modeName = engine.isIps ? 'IPS' : 'IDS';
  const loopOptions: LiveLoopOptions = {
    quiet: opts.quiet,
    runOptions: opts,
    reloads,
    startMessage: `kapu: capturing on ${opts.interfaceName} (${modeName} mode), writing to ${engine.logDir}`,
  };
  if (opts.signal !== undefined) loopOptions.signal = opts.signal;
  try {
    return await runLiveSources(run, [source], loopOptions);
  } finally {
    await control?.close();
    rejectSender.close();
  }
}
