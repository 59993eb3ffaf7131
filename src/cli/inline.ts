/**
 * `kapu run -q N`: in-line prevention on NFQUEUE. Every queued packet goes
 * through the run's pipeline, and the verdict goes back to the kernel:
 * DROP when the pipeline dropped the packet (drop rules, dropped flows,
 * exception policies in IPS mode), ACCEPT otherwise.
 */
import { mkdirSync } from 'node:fs';
import { openRejectSender, STDERR_REJECT_LOG } from '../act/reject-sender.js';
import { NftAnomaly } from '../act/nft-anomaly.js';
import { withQuarantine } from '../policy/anomaly-quarantine.js';
import type { AnomalyFirewall } from '../policy/anomaly-actions.js';
import { LinkType, type Packet } from '../core/packet.js';
import { SkbInfo } from '../capture/native-addon.js';
import { NfQueue, readNfQueueKernelStats, Verdict, type NfQueueKernelStats } from '../capture/nfqueue.js';
import type { KapuConfig } from '../config/types.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from '../engine/run-pipeline.js';
import type { RunSummary } from './run-options.js';
import { loadConfig } from '../config/load-config.js';
import type { LiveWorkersOptions } from './live-workers.js';
import { ControlSocketServer, openLiveControlSocket, ReloadRequests } from './control-socket.js';
import { runLiveSources, type LiveSource } from './live-loop.js';
import { isQuarantineWanted, openQuarantine, STDERR_QUARANTINE_LOG, type OpenQuarantine } from './quarantine-command.js';

/** Options of `kapu run -q`. */
export interface InlineOptions extends RunPipelineOptions {
  /** Queue numbers (`-q`, repeatable), 0 to 65535. */
  queues: number[];
  /** Stops the run as SIGTERM does. */
  signal?: AbortSignal;
  /** Worker threads that decide the packets (`--workers`); absent or 1 decides them in this thread. */
  workers?: number;
}

/** The verdict calls of a queue, as NfQueue has them. */
export interface VerdictSender {
  setVerdict(id: number, verdict: number): number;
  setVerdictBatch(maxId: number, verdict: number): number;
}

/** Initial capacity of the per-batch id and verdict arrays; they double when a batch is larger. */
const INITIAL_BATCH_RECORDS = 1024;

/**
 * Sends the verdicts of one batch: `verdicts[i]` for packet `ids[i]`, in
 * read order, and returns the id of the last packet in the batch.
 * `previousId` is the id of the packet that got its verdict just before
 * the batch, or -1 when there was none. A batch verdict also releases
 * every waiting packet with a lower id, including packets whose messages
 * were lost (ENOBUFS). So a run of packets with the same verdict goes as
 * one batch verdict only when its ids follow one another and its first id
 * directly follows the previous verdict's id. Every other packet goes
 * alone, and no run crosses the wrap of the 32-bit id. Failed calls are
 * added to `result.failures`. `from` skips the packets of the batch that
 * got their verdicts already.
 */
export function sendVerdicts(queue: VerdictSender, ids: Uint32Array, verdicts: Uint8Array, count: number, previousId: number, result: { failures: number }, from = 0): number {
  let previous = previousId;
  let i = from;
  while (i < count) {
    const verdict = verdicts[i];
    let last = i;
    if (ids[i] === previous + 1) {
      while (last + 1 < count && verdicts[last + 1] === verdict && ids[last + 1] === ids[last] + 1) last++;
    }
    const status = last > i ? queue.setVerdictBatch(ids[last], verdict) : queue.setVerdict(ids[i], verdict);
    if (status !== 0) result.failures++;
    previous = ids[last];
    i = last + 1;
  }
  return previous;
}

/** One NFQUEUE queue as a live source: packets in, verdicts out. */
export class NfQueueSource implements LiveSource {
  readonly name: string;
  private readonly queue: NfQueue;
  /** Verdict for packets that were read but whose processing failed. */
  private readonly failureVerdict: number;
  private ids: Uint32Array;
  private verdicts: Uint8Array;
  /** Packets of the current batch handed to the pipeline so far. */
  private pending: number;
  /** Packets of the current batch whose verdicts were sent. */
  private sent: number;
  private packetCount: number;
  /** Id of the last packet that got a verdict, or -1 before the first. */
  private lastAnsweredId: number;
  private readonly counters: { packets: number; bytes: number; accepted: number; dropped: number; offloaded: number };
  /** Verdict calls that failed. */
  private readonly verdictResult: { failures: number };

  /** Binds queue `queueNum`; throws CaptureError when the queue cannot be bound. */
  constructor(queueNum: number, config: KapuConfig['nfq']) {
    this.name = `NFQUEUE ${queueNum}`;
    this.queue = new NfQueue(queueNum, { failOpen: config.failOpen, gso: config.gso, maxLength: config.queueMaxlen });
    this.failureVerdict = config.failOpen ? Verdict.ACCEPT : Verdict.DROP;
    this.ids = new Uint32Array(INITIAL_BATCH_RECORDS);
    this.verdicts = new Uint8Array(INITIAL_BATCH_RECORDS);
    this.pending = 0;
    this.sent = 0;
    this.packetCount = 0;
    this.lastAnsweredId = -1;
    this.counters = { packets: 0, bytes: 0, accepted: 0, dropped: 0, offloaded: 0 };
    this.verdictResult = { failures: 0 };
  }

  read(timeoutMs: number): number {
    const count = this.queue.read(timeoutMs);
    this.pending = 0;
    this.sent = 0;
    if (count > this.ids.length) {
      const capacity = Math.max(count, this.ids.length * 2);
      this.ids = new Uint32Array(capacity);
      this.verdicts = new Uint8Array(capacity);
    }
    return count;
  }

  /** Fills `p` with the next record: raw IPv4 or IPv6, no link layer. */
  nextPacket(p: Packet): boolean {
    const batch = this.queue.batch;
    if (!batch.next()) return false;
    const index = this.pending++;
    this.ids[index] = batch.id;
    this.verdicts[index] = this.failureVerdict;
    this.packetCount++;
    const wireLength = batch.originalLength > batch.capturedLength ? batch.originalLength : batch.capturedLength;
    // NOTE: batch.data() makes one small view per packet, the only allocation on this path.
    p.reset(batch.data(), batch.timestampUs(), wireLength, LinkType.RAW, this.packetCount);
    if ((batch.skbInfo & (SkbInfo.CSUM_NOT_READY | SkbInfo.GSO)) !== 0) {
      p.isChecksumOffloaded = true;
      this.counters.offloaded++;
    }
    this.counters.packets++;
    this.counters.bytes += batch.capturedLength;
    return true;
  }

  complete(p: Packet): void {
    if (p.isDropped) {
      this.verdicts[this.pending - 1] = Verdict.DROP;
      this.counters.dropped++;
    } else {
      this.verdicts[this.pending - 1] = Verdict.ACCEPT;
      this.counters.accepted++;
    }
  }

  completeAt(index: number, isDropped: boolean): void {
    if (isDropped) {
      this.verdicts[index] = Verdict.DROP;
      this.counters.dropped++;
    } else {
      this.verdicts[index] = Verdict.ACCEPT;
      this.counters.accepted++;
    }
  }

  /**
   * Sends the verdicts of packets `sent` to `upTo` (default: every packet
   * handed out so far), which must all be decided, so that a packet early
   * in a large batch does not wait for the rest of the batch.
   */
  flushVerdicts(upTo: number = this.pending): void {
    if (upTo <= this.sent) return;
    this.lastAnsweredId = sendVerdicts(this.queue, this.ids, this.verdicts, upTo, this.lastAnsweredId, this.verdictResult, this.sent);
    this.sent = upTo;
  }

  /** Gives unprocessed records the failure verdict, then sends the batch's verdicts. */
  finishBatch(): void {
    const batch = this.queue.batch;
    while (batch.next()) {
      const index = this.pending++;
      this.ids[index] = batch.id;
      this.verdicts[index] = this.failureVerdict;
    }
    this.lastAnsweredId = sendVerdicts(this.queue, this.ids, this.verdicts, this.pending, this.lastAnsweredId, this.verdictResult, this.sent);
    this.pending = 0;
    this.sent = 0;
  }

  collectCounters(out: Map<string, number>): void {
    const prefix = `nfq.queue_${this.queue.queueNum}.`;
    const c = this.counters;
    out.set(prefix + 'packets', c.packets);
    out.set(prefix + 'bytes', c.bytes);
    out.set(prefix + 'accepted', c.accepted);
    out.set(prefix + 'dropped', c.dropped);
    out.set(prefix + 'checksum_offloaded', c.offloaded);
    out.set(prefix + 'verdict_failures', this.verdictResult.failures);
    const native = this.queue.stats();
    out.set(prefix + 'enobufs', native.enobufs);
    const kernel = kernelStatsOf(this.queue.queueNum);
    if (kernel !== null) {
      out.set(prefix + 'queue_dropped', kernel.queueDropped);
      out.set(prefix + 'user_dropped', kernel.userDropped);
      out.set(prefix + 'queue_total', kernel.queueTotal);
    }
  }

  close(): void {
    this.queue.close();
  }
}

/** Returns the kernel's counters of one queue, or null when they cannot be read. */
function kernelStatsOf(queueNum: number): NfQueueKernelStats | null {
  try {
    return readNfQueueKernelStats().find((q) => q.queueNum === queueNum) ?? null;
  } catch {
    // The file is missing where the kernel lacks nfnetlink_queue; the other counters still go out.
    return null;
  }
}

/**
 * Runs kapu in-line on the NFQUEUE queues of `opts.queues` until SIGTERM,
 * SIGINT or `opts.signal`. The mode is IPS unless `--mode` (opts.mode)
 * sets another, because `-q` implies IPS as in Suricata, so the config's
 * policy.mode does not apply. Throws CaptureError when the addon is
 * missing or a queue cannot be bound, before any log file is opened.
 */
export async function runInline(opts: InlineOptions): Promise<RunSummary> {
  const workerCount = opts.workers ?? 1;
  if (workerCount > 1) {
    const { config } = loadConfig(opts.configPath, opts.sets);
    const sources: NfQueueSource[] = [];
    try {
      for (const queueNum of opts.queues) sources.push(new NfQueueSource(queueNum, config.nfq));
    } catch (err) {
      for (const source of sources) source.close();
      throw err;
    }
    const { runLiveOnWorkers } = await import('./live-workers.js');
    const isIps = (opts.mode ?? 'ips') === 'ips';
    const logDir = opts.logDir ?? config.defaultLogDir;
    // IDS mode only watches, so it neither quarantines nor touches the firewall.
    let quarantine: OpenQuarantine | null = null;
    try {
      if (isIps && config.policy.responses.length > 0) mkdirSync(logDir, { recursive: true });
      if (isIps && isQuarantineWanted(config, logDir)) quarantine = openQuarantine(config, logDir, STDERR_QUARANTINE_LOG);
    } catch (err) {
      for (const source of sources) source.close();
      throw err;
    }
    const o: LiveWorkersOptions = { config, runOptions: opts, workerCount, isIps, sendsRejects: true, quarantine };
    if (opts.signal !== undefined) o.signal = opts.signal;
    return runLiveOnWorkers(sources, o);
  }
  const engine = loadRunEngine({ ...opts, mode: opts.mode ?? 'ips' });
  // Bound before any output is opened, so a queue in use leaves no empty logs.
  const sources: NfQueueSource[] = [];
  const rejectSender = openRejectSender(opts.quiet ? null : STDERR_REJECT_LOG);
  let quarantine: OpenQuarantine | null = null;
  let run: RunPipeline;
  try {
    for (const queueNum of opts.queues) sources.push(new NfQueueSource(queueNum, engine.config.nfq));
    // IDS mode only watches, so it neither quarantines nor touches the firewall.
    if (engine.isIps && isQuarantineWanted(engine.config, engine.logDir)) quarantine = openQuarantine(engine.config, engine.logDir, STDERR_QUARANTINE_LOG);
    let anomalyFirewall: AnomalyFirewall | null = engine.isIps ? await openAnomalyFirewall(engine.config, opts.quiet) : null;
    if (anomalyFirewall !== null && quarantine !== null) anomalyFirewall = withQuarantine(anomalyFirewall, quarantine.manager);
    run = new RunPipeline(engine, opts, rejectSender, quarantine?.manager ?? null, anomalyFirewall);
  } catch (err) {
    for (const source of sources) source.close();
    rejectSender.close();
    quarantine?.store.close();
    throw err;
  }
  if (quarantine !== null) await startQuarantine(quarantine, run);
  await run.loadBlocklists();
  const reloads = new ReloadRequests();
  let control: ControlSocketServer | null;
  try {
    control = await openLiveControlSocket(engine.config, engine.logDir, reloads, opts.quiet);
  } catch (err) {
    run.close();
    for (const source of sources) source.close();
    rejectSender.close();
    throw err;
  }
  const loopOptions = opts.signal === undefined ? { quiet: opts.quiet, runOptions: opts, reloads } : { quiet: opts.quiet, runOptions: opts, signal: opts.signal, reloads };
  try {
    return await runLiveSources(run, sources, loopOptions);
  } finally {
    await control?.close();
    rejectSender.close();
    if (quarantine !== null) {
      await quarantine.manager.idle();
      quarantine.store.close();
    }
  }
}

/**
 * Restores the stored quarantines into nftables and sends automatic
 * quarantines to the run's EVE writers as gid 8100 alerts. When nft
 * fails, kapu logs it and runs on: the IPS still works, and each
 * automatic quarantine then fails and is counted.
 */
async function startQuarantine(quarantine: OpenQuarantine, run: RunPipeline): Promise<void> {
  quarantine.manager.onEvent = (event) => {
    for (const writer of run.eve) writer.quarantineAlert(event);
  };
  try {
    const restored = await quarantine.manager.restore();
    STDERR_QUARANTINE_LOG('info', { restored, table: quarantine.firewall.options.table }, 'quarantine table ready');
  } catch (err) {
    STDERR_QUARANTINE_LOG('error', { err: err instanceof Error ? err.message : String(err) }, 'quarantine not restored');
  }
}

/**
 * Creates the nftables table of anomaly.actions when the anomaly stage is
 * on with action rules; returns null otherwise. A failed setup is a
 * warning: the actions are then counted but fail.
 */
async function openAnomalyFirewall(config: KapuConfig, quiet: boolean): Promise<NftAnomaly | null> {
  const section = config.anomaly;
  if (!section.enabled || section.actions.rules.length === 0) return null;
  const firewall = new NftAnomaly({ table: section.actions.table, ratePps: section.actions.rateLimitPps });
  const isReady = await firewall.setup();
  if (!isReady && !quiet) process.stderr.write(`kapu: warning: nftables table inet ${section.actions.table} for anomaly.actions could not be created (${firewall.lastError}); actions will fail\n`);
  return firewall;
}
