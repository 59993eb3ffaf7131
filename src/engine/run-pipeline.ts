/**
 * Builds the packet pipeline of one `kapu run` from its options: config,
 * rules, detection, stream and app layer, then the writers in the log
 * folder. Capture files (`-r`) and live capture (`-i`) feed the same
 * pipeline, one packet at a time through `pipeline.processPacket`.
 */
import type { RejectSender } from '../act/reject-sender.js';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ErrorCode, KapuError } from '../core/errors.js';
import { loadConfig } from '../config/load-config.js';
import type { KapuConfig } from '../config/types.js';
import { renderDiagnostic } from '../detect/diagnostics.js';
import type { LoadedRules } from '../detect/rule-files.js';
import { ThresholdTable, type ThresholdEngine } from '../detect/threshold.js';
import { HostTables, useThreadHostTables, type HostTablesBuffers } from '../detect/host-table.js';
import { HOST_TAGS } from '../detect/keywords/tag.js';
import type { Flow } from '../flow/flow.js';
import { FlowTable } from '../flow/flow-table.js';
import { Defragmenter, defragConfigOf } from '../flow/defrag.js';
import type { StreamReassembler } from '../stream/reassembly.js';
import { EveWriter } from '../output/eve-writer.js';
import { FastLogWriter } from '../output/fast-log.js';
import {
  buildAppLayer,
  buildDecodeContext,
  buildDetectEngine,
  buildStreamReassembler,
  buildThresholdEngine,
  flowConfigOf,
  loadRules,
  resolveRuleFiles,
} from './build-pipeline.js';
import { collectStats } from './collect-stats.js';
import { PacketPipeline } from './pipeline.js';
import { ThresholdActionRecorder } from './threshold-actions.js';
import type { AlertResponder } from '../policy/alert-responder.js';
import type { AnomalyDetectors } from '../anomaly/detectors.js';
import { baselinePathOf, openAnomalyStage, saveBaselines } from '../anomaly/anomaly-config.js';
import { anomalyActionsOf, type AnomalyFirewall } from '../policy/anomaly-actions.js';
import { Notifier, isNotifyEnabled, notifyEveConfig } from '../output/notifier.js';
import type { EveLineSink } from '../output/eve-writer.js';
import { BlocklistLoader, STDERR_BLOCKLIST_LOG, type ListLoadOutcome } from '../policy/blocklist-load.js';
import { SiteBlocker } from '../policy/site-blocker.js';
import { neverBlockListOf } from '../policy/quarantine-config.js';

/** The run options that shape the pipeline, whatever the packet source (RunOptions has them all). */
export interface RunPipelineOptions {
  /** Config file (`-c`), or null for the built-in defaults. */
  configPath: string | null;
  /** Rule files that replace the configured ones (`-S`), or null. */
  ruleFiles: string[] | null;
  /** Rule files added to the configured ones (`-s`). */
  extraRuleFiles: string[];
  /** Log folder (`-l`), or null for the config's default-log-dir. */
  logDir: string | null;
  /** Checksum validation (`-k`), or null to follow pcap-file.checksum-checks. */
  checksumMode: 'all' | 'none' | null;
  /** `--set key=value` overrides, applied in order after the config file. */
  sets: string[];
  /** `--mode`, or null to follow policy.mode of the config. */
  mode: 'ids' | 'ips' | null;
  /** Environment variables that change output (SURICATA_EVE_DNS_VERSION). */
  env: Record<string, string>;
  /** When true, warnings and rule diagnostics are not printed. */
  quiet: boolean;
  /** Suricata version that rules' `requires: version` is judged against. */
  requiresVersion?: string;
  /** Rules loaded before with the same config; the run then reads no rule files. */
  loadedRules?: LoadedRules;
  /** Buffers of the state that worker threads share (thresholds, hostbits, xbits); absent in one thread. */
  sharedState?: SharedStateBuffers;
  /**
   * Destination of a worker thread's notification lines: the main thread, which
   * owns the Notifier, because a worker's loop blocks and its timers do
   * not run. Absent in one thread, which runs its own Notifier.
   */
  notifySink?: EveLineSink;
}

/** The shared memory behind the tables every worker thread uses (SharedStateBuffers.create). */
export interface SharedStateBuffers {
  threshold: SharedArrayBuffer;
  hosts: HostTablesBuffers;
}

/**
 * Empties fast.log before worker threads open it, when `outputs.fast.append`
 * is off: each worker appends to the one file.
 */
export function truncateSharedLogs(config: KapuConfig, logDir: string): void {
  const fast = config.outputs.fast;
  if (!fast.enabled || fast.append) return;
  mkdirSync(logDir, { recursive: true });
  writeFileSync(isAbsolute(fast.filename) ? fast.filename : join(logDir, fast.filename), '');
}

/** Allocates the shared tables for a run with `config`. */
export function createSharedStateBuffers(config: KapuConfig): SharedStateBuffers {
  return {
    threshold: new SharedArrayBuffer(ThresholdTable.bytesFor(config.detect.thresholds.memcap)),
    hosts: HostTables.createBuffers(),
  };
}

/** The parts of a run built before any output is opened: config, rules and detection. */
export interface RunEngine {
  config: KapuConfig;
  isIps: boolean;
  /** The log folder, created by loadRunEngine. */
  logDir: string;
  rules: LoadedRules;
  /** Wall time when the rules finished loading, in microseconds since the epoch. */
  rulesLoadedUs: number;
  flowConfig: ReturnType<typeof flowConfigOf>;
  thresholds: ThresholdEngine;
  thresholdActions: ThresholdActionRecorder;
  detect: ReturnType<typeof buildDetectEngine>;
  stream: StreamReassembler;
}

/**
 * Loads the config and the rules, builds detection and creates the log
 * folder, and prints the warnings and rule diagnostics unless quiet.
 * Throws ConfigError for a bad config and KapuError
 * KAPU_ERR_OUTPUT_OPEN_FAILED for a log folder that cannot be created.
 */
export function loadRunEngine(opts: RunPipelineOptions): RunEngine {
  const warnings: string[] = [];
  const loaded = loadConfig(opts.configPath, opts.sets);
  warnings.push(...loaded.warnings);
  const config = loaded.config;
  const isIps = (opts.mode ?? config.policy.mode) === 'ips';
  // Built first: an invalid stream.midstream-policy stops the run before any output is opened.
  const flowConfig = flowConfigOf(config, isIps);

  const requiresVersion = opts.requiresVersion === undefined ? undefined : opts.requiresVersion.split('.').map(Number);
  const rules = opts.loadedRules ?? loadRules(config, resolveRuleFiles(config, opts.configPath !== null, opts.ruleFiles, opts.extraRuleFiles), warnings, requiresVersion);
  const rulesLoadedUs = Date.now() * 1000;
  const shared = opts.sharedState;
  const thresholds = buildThresholdEngine(config, rules, warnings, shared?.threshold);
  if (shared !== undefined) useThreadHostTables(new HostTables(undefined, shared.hosts));
  const thresholdActions = new ThresholdActionRecorder(thresholds);
  const detect = buildDetectEngine(config, rules, thresholdActions);
  const stream = buildStreamReassembler(config, isIps, rules, warnings);
  if (!opts.quiet) {
    for (const warning of warnings) process.stderr.write(`kapu: warning: ${warning}\n`);
    for (const d of rules.diagnostics) process.stderr.write(renderDiagnostic(d) + '\n');
  }

  const logDir = opts.logDir ?? config.defaultLogDir;
  openLogDir(logDir);
  return { config, isIps, logDir, rules, rulesLoadedUs, flowConfig, thresholds, thresholdActions, detect, stream };
}

/** Creates the log folder, or throws KAPU_ERR_OUTPUT_OPEN_FAILED naming it. */
function openLogDir(logDir: string): void {
  if (existsSync(logDir) && !statSync(logDir).isDirectory()) {
    throw new KapuError(ErrorCode.OUTPUT_OPEN_FAILED, `log folder '${logDir}' is a file, not a folder; give another path with -l`);
  }
  try {
    mkdirSync(logDir, { recursive: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new KapuError(ErrorCode.OUTPUT_OPEN_FAILED, `log folder '${logDir}' cannot be created (${reason}); give another path with -l`);
  }
}

/**
 * A run's packet pipeline with its flow table and output writers. Open it
 * after loadRunEngine, feed packets to `pipeline.processPacket`, end with
 * `pipeline.finish`, write the last stats and `close`.
 */
export class RunPipeline {
  readonly engine: RunEngine;
  readonly pipeline: PacketPipeline;
  readonly flows: FlowTable;
  readonly eve: EveWriter[];
  readonly fast: FastLogWriter | null;
  /** The anomaly stage, or null when `anomaly.enabled` is off. */
  readonly anomaly: AnomalyDetectors | null;
  /** Administrator notifications (notify), or null when no sink is enabled. */
  readonly notifier: Notifier | null;
  /** The blocklists' lookups, or null when policy.blocklists is empty; `loadBlocklists` fills them. */
  readonly siteBlocker: SiteBlocker | null;
  private readonly blocklistLoader: BlocklistLoader | null;
  /** The background reload of the blocklists in progress, or null. */
  private blocklistReload: Promise<void> | null;
  /** A reload was requested while one was in progress, so another follows it. */
  private isBlocklistReloadPending: boolean;

  /**
   * Opens the configured outputs in the log folder and builds the
   * pipeline. `rejectSender` sends reject responses (live and in-line
   * runs); without it rejects are only recorded. `responder` receives
   * every alert for the automatic responses (policy.responses).
   * `anomalyFirewall` carries out anomaly.actions; without it they are
   * only counted.
   */
  constructor(engine: RunEngine, opts: RunPipelineOptions, rejectSender: RejectSender | null = null, responder: AlertResponder | null = null, anomalyFirewall: AnomalyFirewall | null = null) {
    const { config, isIps, logDir, rules, thresholdActions } = engine;
    this.engine = engine;
    this.eve = config.outputs.eveLogs.filter((c) => c.enabled).map((c) => new EveWriter(logDir, c, isIps));
    for (const writer of this.eve) writer.setVariableNames(rules.variables);
    this.notifier = null;
    if (isNotifyEnabled(config)) {
      // The notifier is one more EVE writer, whose lines go to its queues.
      const notifier = opts.notifySink ?? new Notifier(config.notify);
      const writer = new EveWriter(logDir, notifyEveConfig(config.notify), isIps, {}, undefined, notifier);
      writer.alertSeverityLimit = config.notify.minSeverity;
      writer.setVariableNames(rules.variables);
      this.eve.push(writer);
      this.notifier = notifier instanceof Notifier ? notifier : null;
    }
    const fastConfig = config.outputs.fast;
    // Worker threads share the file, so each appends; the main thread emptied it when `append` is off.
    const appendFast = opts.sharedState !== undefined || fastConfig.append;
    this.fast = fastConfig.enabled ? new FastLogWriter(logDir, fastConfig.filename, isIps, { append: appendFast }) : null;

    // The flow table reports ended flows to the pipeline, which is built after it.
    const eve = this.eve;
    let endFlow = (flow: Flow): void => PacketPipeline.writeFlowEvent(eve, flow);
    this.flows = new FlowTable(engine.flowConfig, (flow) => endFlow(flow));
    // NOTE: with worker threads each worker builds its own anomaly stage and
    // sees only its share of the flows, so rates per victim are divided
    // among the workers and findings depend on the worker count.
    this.anomaly = openAnomalyStage(config.anomaly, logDir);
    const hasBlocklists = config.policy.blocklists.length > 0;
    this.siteBlocker = hasBlocklists ? new SiteBlocker([], neverBlockListOf(config)) : null;
    this.blocklistReload = null;
    this.isBlocklistReloadPending = false;
    this.blocklistLoader = hasBlocklists ? new BlocklistLoader(config, opts.configPath, logDir, opts.quiet ? () => undefined : STDERR_BLOCKLIST_LOG) : null;
    const appLayer = buildAppLayer(config, isIps, rules, thresholdActions, eve, config.packetAlertMax, { ...process.env, ...opts.env });
    const pipeline = new PacketPipeline(
      {
        decode: buildDecodeContext(config, opts.checksumMode),
        flows: this.flows,
        defrag: new Defragmenter(defragConfigOf(config, isIps)),
        detect: engine.detect,
        thresholdActions,
        eve,
        fast: this.fast,
        isIps,
        stream: engine.stream,
        rejectSender,
        responder,
        anomaly: this.anomaly,
        anomalyActions: this.anomaly !== null ? anomalyActionsOf(config, anomalyFirewall) : null,
        siteBlocker: this.siteBlocker,
        ...appLayer,
      },
      config.packetAlertMax,
    );
    endFlow = (flow: Flow): void => pipeline.endFlow(flow);
    this.pipeline = pipeline;

    // Host tags live in a process-wide table; a run starts without any.
    HOST_TAGS.tags.clear();
  }

  /** Returns the counters of every stage under Suricata's stats names. */
  collectStats(): Map<string, number> {
    const counters = collectStats(this.pipeline, this.flows, this.engine.thresholds, this.engine.config);
    this.pipeline.parts.responder?.collectCounters?.(counters);
    this.notifier?.collectCounters(counters);
    this.siteBlocker?.collectCounters(counters);
    return counters;
  }

  /**
   * Reads and downloads the blocklists and puts them in force; call at
   * start and on reload. A list that fails keeps its previous version.
   */
  async loadBlocklists(): Promise<ListLoadOutcome[]> {
    if (this.blocklistLoader === null || this.siteBlocker === null) return [];
    const { lists, outcomes } = await this.blocklistLoader.load();
    this.siteBlocker.replace(lists);
    return outcomes;
  }

  /**
   * Starts loading the blocklists again without waiting for it, so the
   * packet loop goes on during a download. The new lists take effect
   * between two packets once every list is read; `onDone` then gets the
   * outcomes. A request during a load runs once more after it.
   */
  reloadBlocklists(onDone: (outcomes: ListLoadOutcome[]) => void): void {
    if (this.blocklistLoader === null) return;
    if (this.blocklistReload !== null) {
      this.isBlocklistReloadPending = true;
      return;
    }
    this.blocklistReload = this.loadBlocklists().then(onDone, (err: unknown) => {
      // loadBlocklists catches the failures of each list, so this is a bug; the lists in force stay.
      process.stderr.write(`kapu: error: blocklist reload failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }).finally(() => {
      this.blocklistReload = null;
      if (this.isBlocklistReloadPending) {
        this.isBlocklistReloadPending = false;
        this.reloadBlocklists(onDone);
      }
    });
  }

  /** Waits for a background reload of the blocklists, if one runs. */
  async settleBlocklists(): Promise<void> {
    while (this.blocklistReload !== null) await this.blocklistReload;
  }

  /** Writes a `stats` event at `timestampUs` with the stage counters plus `extra` (capture counters). */
  writeStats(timestampUs: number, uptimeSeconds: number, extra?: ReadonlyMap<string, number>): void {
    const counters = this.collectStats();
    if (extra !== undefined) for (const [name, value] of extra) counters.set(name, value);
    const { rules, rulesLoadedUs } = this.engine;
    const engines = [{ id: 0, lastReloadUs: rulesLoadedUs, rulesLoaded: rules.summary.loaded, rulesFailed: rules.summary.failed, rulesSkipped: rules.summary.skipped }];
    for (const writer of this.eve) writer.stats(timestampUs, uptimeSeconds, counters, engines);
  }

  /** Writes the buffered events to their files. */
  flushLogs(): void {
    for (const writer of this.eve) writer.flush();
    this.fast?.flush();
  }

  /** Closes and reopens every log file at its path, after log rotation moved the old files. */
  reopenLogs(): void {
    for (const writer of this.eve) writer.reopen();
    this.fast?.reopen();
  }

  /**
   * Delivers the queued notifications for at most `timeoutMs` milliseconds
   * and stops the notifier; call before `close` at the end of a run.
   */
  async drainNotifications(timeoutMs: number): Promise<void> {
    if (this.notifier !== null) await this.notifier.drain(timeoutMs);
  }

  /** Flushes and closes every log file, and stores the learnt baselines when `anomaly.baseline.save` is on. */
  close(): void {
    const anomaly = this.anomaly;
    const baselinePath = baselinePathOf(this.engine.config.anomaly, this.engine.logDir);
    if (anomaly !== null && baselinePath !== null && this.engine.config.anomaly.baseline.save) saveBaselines(anomaly, baselinePath);
    for (const writer of this.eve) writer.close();
    this.fast?.close();
  }
}
