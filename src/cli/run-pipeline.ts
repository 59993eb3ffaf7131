/**
 * Builds the packet pipeline of a run from its options: config, rules,
 * detection, stream, app layer, flow table and outputs. Capture files
 * (`kapu run -r`, run.ts) and in-line queues (`kapu run -q`, inline.ts)
 * feed the same pipeline, and both report counters through collectStats.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { ErrorCode, KapuError } from '../core/errors.js';
import { loadConfig } from '../config/load-config.js';
import type { KapuConfig } from '../config/types.js';
import { renderDiagnostic } from '../detect/diagnostics.js';
import type { DetectEngine } from '../detect/detect-engine.js';
import type { LoadedRules } from '../detect/rule-files.js';
import type { ThresholdEngine } from '../detect/threshold.js';
import { HOST_TAGS } from '../detect/keywords/tag.js';
import type { Flow } from '../flow/flow.js';
import type { FlowConfig } from '../flow/flow-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { Defragmenter, defragConfigOf } from '../flow/defrag.js';
import { writeDefragStats } from '../flow/defrag-stats.js';
import { writeMidstreamPolicyStats } from '../flow/flow-stats.js';
import { writeAppLayerErrorStats } from '../app/app-layer-stats.js';
import { EXCEPTION_ACTION_COUNTER_NAMES } from '../flow/flow-config.js';
import { STREAM_EVENT_NAMES } from '../stream/stream-events.js';
import { EveWriter } from '../output/eve-writer.js';
import { FastLogWriter } from '../output/fast-log.js';
import { buildAppLayer, buildDecodeContext, buildDetectEngine, buildStreamReassembler, buildThresholdEngine, flowConfigOf, loadRules, resolveRuleFiles } from '../engine/build-pipeline.js';
import { reassemblyStats, type StreamReassembler } from '../stream/reassembly.js';
import { PacketPipeline } from '../engine/pipeline.js';
import { ThresholdActionRecorder } from '../engine/threshold-actions.js';
import type { RunOptions, RunSummary } from './run-options.js';
import { writeAppLayerTxCounters } from '../output/stats-counters.js';

/** The options of RunOptions that shape the pipeline; the packet source is the caller's. */
export type PipelineOptions = Omit<RunOptions, 'pcapPath' | 'signal'>;

/** Config, rules and the stages built from them, before any output is opened. */
export interface RunEngine {
  config: KapuConfig;
  isIps: boolean;
  flowConfig: FlowConfig;
  rules: LoadedRules;
  /** Wall time in microseconds when the rules were loaded (stats `detect.engines`). */
  rulesLoadedUs: number;
  thresholds: ThresholdEngine;
  thresholdActions: ThresholdActionRecorder;
  detect: DetectEngine;
  stream: StreamReassembler;
}

/** The pipeline of a run with its flow table and open outputs. */
export interface RunPipeline {
  engine: RunEngine;
  pipeline: PacketPipeline;
  flows: FlowTable;
  eve: EveWriter[];
  fast: FastLogWriter | null;
  logDir: string;
}

/**
 * Loads the config and rules and builds the detection and stream stages.
 * The mode is `opts.mode` (`--mode`), else `impliedMode`, the mode that
 * the command line implies (in-line runs pass 'ips'), else the config's
 * policy.mode.
 * Warnings and rule diagnostics go to stderr unless `opts.quiet`. Config
 * problems throw ConfigError before any output is opened.
 */
export function prepareRunEngine(opts: PipelineOptions, impliedMode: 'ids' | 'ips' | null = null): RunEngine {
  const warnings: string[] = [];
  const loaded = loadConfig(opts.configPath, opts.sets);
  warnings.push(...loaded.warnings);
  const config = loaded.config;
  const mode = opts.mode ?? impliedMode ?? config.policy.mode;
  const isIps = mode === 'ips';
  // Built first: an invalid stream.midstream-policy stops the run before any output is opened.
  const flowConfig = flowConfigOf(config, isIps);

  const requiresVersion = opts.requiresVersion === undefined ? undefined : opts.requiresVersion.split('.').map(Number);
  const rules = opts.loadedRules ?? loadRules(config, resolveRuleFiles(config, opts.configPath !== null, opts.ruleFiles, opts.extraRuleFiles), warnings, requiresVersion);
  const rulesLoadedUs = Date.now() * 1000;
  const thresholds = buildThresholdEngine(config, rules, warnings);
  const thresholdActions = new ThresholdActionRecorder(thresholds);
  const detect = buildDetectEngine(config, rules, thresholdActions);
  const stream = buildStreamReassembler(config, isIps, rules, warnings);
  if (!opts.quiet) {
    for (const warning of warnings) process.stderr.write(`kapu: warning: ${warning}\n`);
    for (const d of rules.diagnostics) process.stderr.write(renderDiagnostic(d) + '\n');
  }
  return { config, isIps, flowConfig, rules, rulesLoadedUs, thresholds, thresholdActions, detect, stream };
}

/** Returns the log folder of a run: `-l`, else the config's default-log-dir. */
export function logDirOf(engine: RunEngine, opts: PipelineOptions): string {
  return opts.logDir ?? engine.config.defaultLogDir;
}

/** Creates the log folder, or throws KAPU_ERR_OUTPUT_OPEN_FAILED naming it. */
export function openLogDir(logDir: string): void {
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
 * Opens the configured outputs in `logDir` (which must exist) and builds
 * the flow table and the packet pipeline on `engine`. Clears the
 * process-wide host tags, so each run starts without any.
 */
export function openRunPipeline(engine: RunEngine, opts: PipelineOptions, logDir: string): RunPipeline {
  const { config, isIps, rules } = engine;
  const eve = config.outputs.eveLogs.filter((c) => c.enabled).map((c) => new EveWriter(logDir, c, isIps));
  for (const writer of eve) writer.setVariableNames(rules.variables);
  const fastConfig = config.outputs.fast;
  const fast = fastConfig.enabled ? new FastLogWriter(logDir, fastConfig.filename, isIps) : null;
  // The flow table reports ended flows to the pipeline, which is built after it.
  let endFlow = (flow: Flow): void => PacketPipeline.writeFlowEvent(eve, flow);
  const flows = new FlowTable(engine.flowConfig, (flow) => endFlow(flow));
  const appLayer = buildAppLayer(config, isIps, rules, engine.thresholdActions, eve, config.packetAlertMax, { ...process.env, ...opts.env });
  const pipeline = new PacketPipeline(
    {
      decode: buildDecodeContext(config, opts.checksumMode),
      flows,
      defrag: new Defragmenter(defragConfigOf(config, isIps)),
      detect: engine.detect,
      thresholdActions: engine.thresholdActions,
      eve,
      fast,
      isIps,
      stream: engine.stream,
      ...appLayer,
    },
    config.packetAlertMax,
  );
  endFlow = (flow: Flow): void => pipeline.endFlow(flow);
  HOST_TAGS.tags.clear();
  return { engine, pipeline, flows, eve, fast, logDir };
}

/** Writes one `stats` event with every stage's counters plus `extra` to each EVE output. */
export function writeStatsEvents(run: RunPipeline, timestampUs: number, uptimeS: number, extra: ReadonlyMap<string, number> | null = null): void {
  const { engine } = run;
  const counters = collectStats(run.pipeline, run.flows, engine.thresholds, engine.config);
  if (extra !== null) for (const [name, value] of extra) counters.set(name, value);
  const engines = [{ id: 0, lastReloadUs: engine.rulesLoadedUs, rulesLoaded: engine.rules.summary.loaded, rulesFailed: engine.rules.summary.failed, rulesSkipped: engine.rules.summary.skipped }];
  for (const writer of run.eve) writer.stats(timestampUs, uptimeS, counters, engines);
}

/** Flushes and closes the outputs of a run. */
export function closeRunOutputs(run: RunPipeline): void {
  for (const writer of run.eve) writer.close();
  run.fast?.close();
}

/** Sums the decoder events of a run. */
export function sumDecoderEvents(pipeline: PacketPipeline): number {
  let total = 0;
  for (const count of pipeline.parts.decode.eventCounts) total += count;
  return total;
}

/** Gathers the counters of every stage under Suricata's stats names. */
export function collectStats(pipeline: PacketPipeline, flows: FlowTable, thresholds: ThresholdEngine, config: KapuConfig): Map<string, number> {
  const out = new Map<string, number>();
  const decodeStats = pipeline.parts.decode.toStats();
  for (const [name, value] of Object.entries(decodeStats)) {
    if (name.startsWith('decoder.event.') && !config.stats.decoderEvents) continue;
    out.set(name, value);
  }

  const f = flows.counters;
  out.set('flow.total', f.created);
  out.set('flow.active', f.active);
  out.set('flow.tcp', f.tcp);
  out.set('flow.udp', f.udp);
  out.set('flow.icmpv4', f.icmpv4);
  out.set('flow.icmpv6', f.icmpv6);
  out.set('flow.tcp_reuse', f.tcpReuse);
  out.set('flow.memcap', f.memcapHits);
  out.set('flow.memuse', flows.memuseBytes);
  out.set('flow.get_used', f.getUsed);
  out.set('flow.get_used_failed', f.getUsedFailed);
  out.set('flow.emerg_mode_entered', f.emergencyEntered);
  out.set('flow.emerg_mode_over', f.emergencyOver);
  for (let i = 1; i < EXCEPTION_ACTION_COUNTER_NAMES.length; i++) {
    out.set('flow.memcap_exception_policy.' + EXCEPTION_ACTION_COUNTER_NAMES[i], f.memcapPolicy[i] as number);
  }
  if (pipeline.parts.defrag !== null) writeDefragStats(pipeline.parts.defrag, out);
  out.set('tcp.sessions', f.tcpSessions);
  out.set('tcp.syn', f.tcpSyn);
  out.set('tcp.synack', f.tcpSynAck);
  out.set('tcp.rst', f.tcpRst);
  out.set('tcp.invalid_checksum', f.tcpInvalidChecksum);
  out.set('tcp.midstream_pickups', f.tcpMidstreamPickups);
  writeMidstreamPolicyStats(flows, out);
  if (config.stats.streamEvents) {
    const reassemblyEvents = pipeline.parts.stream?.counters.streamEvents;
    for (let id = 1; id < STREAM_EVENT_NAMES.length; id++) {
      out.set('stream.' + STREAM_EVENT_NAMES[id], (f.streamEvents[id] as number) + (reassemblyEvents?.[id] ?? 0));
    }
  }

  if (pipeline.parts.stream) {
    for (const [name, value] of reassemblyStats(pipeline.parts.stream)) out.set(name, value);
  }

  const app = pipeline.parts.app ?? null;
  if (app !== null) {
    for (const [name, count] of app.counters.flowsByProto) out.set('app_layer.flow.' + name, count);
    // Parser errors of the DNS transports that the run saw.
    if (app.counters.flowsByProto.has('dns_udp')) out.set('app_layer.error.dns_udp.parser', app.counters.dnsUdpErrors.parser);
    if (app.counters.flowsByProto.has('dns_tcp')) out.set('app_layer.error.dns_tcp.parser', app.counters.dnsTcpErrors.parser);
    writeAppLayerTxCounters(out, app.counters.txByProto);
    writeAppLayerErrorStats(app, out, config.stats.exceptionPolicy.perAppProtoErrors);
  }

  const c = pipeline.counters;
  out.set('detect.alert', c.alerts);
  out.set('detect.alert_queue_overflow', c.alertQueueOverflow);
  out.set('detect.alerts_suppressed', thresholds.alertsSuppressed);
  out.set('ips.accepted', c.accepted);
  out.set('ips.blocked', c.blocked);
  out.set('ips.rejected', c.rejected);
  out.set('ips.replaced', 0);
  for (const [reason, count] of c.dropsByReason) out.set('ips.drop_reason.' + reason.replace(/ /g, '_'), count);
  return out;
}

/** Renders the end-of-run summary shown on the terminal; `source` names what was read. */
export function formatRunSummary(s: RunSummary, source: string, logDir: string, isIps: boolean): string {
  const seconds = s.elapsedMs / 1000;
  const lines: string[] = [];
  lines.push(`kapu: ${source} (${isIps ? 'IPS' : 'IDS'} mode)`);
  lines.push(`  packets        ${s.packets} (${(s.bytes / 1e6).toFixed(1)} MB), flows ${s.flows}`);
  lines.push(`  rules          ${s.rulesLoaded} loaded, ${s.rulesFailed} failed`);
  lines.push(`  decoder events ${s.decoderEvents}`);
  lines.push(`  alerts         ${s.alerts}${isIps ? `, packets dropped ${s.drops}` : ''}`);
  const top = [...s.alertsBySignature].sort((a, b) => b[1] - a[1]).slice(0, 20);
  for (const [key, count] of top) lines.push(`    ${String(count).padStart(6)}  [${key.replace(' ', '] ')}`);
  if (s.alertsBySignature.size > top.length) lines.push(`    ... ${s.alertsBySignature.size - top.length} more signatures`);
  lines.push(`  output         ${logDir}`);
  lines.push(`  time           ${seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}
