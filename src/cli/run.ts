/**
 * `kapu run -r`: reads a capture file, or a folder of them, through the
 * pipeline and writes EVE JSON and fast.log. The command line, `kapu verify` and the benchmarks all
 * run captures through runCapture.
 */
import { existsSync, mkdirSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { CaptureError, ErrorCode, KapuError } from '../core/errors.js';
import { Packet } from '../core/packet.js';
import { openCaptureFile, type CaptureReader } from '../capture/open-capture-file.js';
import { loadConfig } from '../config/load-config.js';
import type { KapuConfig } from '../config/types.js';
import { renderDiagnostic } from '../detect/diagnostics.js';
import { HOST_TAGS } from '../detect/keywords/tag.js';
import { FlowEndReason, type Flow } from '../flow/flow.js';
import type { ThresholdEngine } from '../detect/threshold.js';
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
import { reassemblyStats } from '../stream/reassembly.js';
import { PacketPipeline } from '../engine/pipeline.js';
import { ThresholdActionRecorder } from '../engine/threshold-actions.js';
import type { RunOptions, RunSummary } from './run-options.js';
import { writeAppLayerTxCounters } from '../output/stats-counters.js';

/** Packets processed between yields to the event loop, so timers and signals run. */
const PACKETS_PER_BATCH = 4096;

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
 * Returns the capture files to read: `path` itself, or for a folder every
 * file below it in path order (files that are not captures are skipped
 * with a warning when opened). Throws KAPU_ERR_CAPTURE_OPEN_FAILED for a
 * folder without files.
 */
export function listCapturePaths(path: string): string[] {
  if (!existsSync(path) || !statSync(path).isDirectory()) return [path];
  const files: string[] = [];
  // Names in one folder are unique, so no two compare equal.
  const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : 1);
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort(byName);
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  walk(path);
  if (files.length === 0) throw new CaptureError(ErrorCode.CAPTURE_OPEN_FAILED, `${path}: the folder has no files; give a capture file or a folder of captures with -r`);
  return files;
}

/** Tells whether the run's abort signal has fired. */
function isAborted(opts: RunOptions): boolean {
  return opts.signal?.aborted === true;
}

/** Loads the config and applies the run's mode; config problems throw ConfigError. */
function loadRunConfig(opts: RunOptions, warnings: string[]): { config: KapuConfig; isIps: boolean } {
  const loaded = loadConfig(opts.configPath, opts.sets);
  warnings.push(...loaded.warnings);
  const mode = opts.mode ?? loaded.config.policy.mode;
  return { config: loaded.config, isIps: mode === 'ips' };
}

/** Reads `opts.pcapPath` through the pipeline and writes the configured outputs into the log folder (`-l` or default-log-dir). */
export async function runCapture(opts: RunOptions): Promise<RunSummary> {
  const startedMs = performance.now();
  const warnings: string[] = [];
  const { config, isIps } = loadRunConfig(opts, warnings);
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

  const logDir = opts.logDir ?? config.defaultLogDir;
  openLogDir(logDir);
  const capturePaths = listCapturePaths(opts.pcapPath);
  // A single file is opened before any output, so an unreadable capture leaves no empty logs.
  let reader: CaptureReader | null = capturePaths.length === 1 ? openCaptureFile(capturePaths[0]!) : null;
  const eve = config.outputs.eveLogs.filter((c) => c.enabled).map((c) => new EveWriter(logDir, c, isIps));
  for (const writer of eve) writer.setPcapFilename(opts.pcapPath);
  for (const writer of eve) writer.setVariableNames(rules.variables);
  const fastConfig = config.outputs.fast;
  const fast = fastConfig.enabled ? new FastLogWriter(logDir, fastConfig.filename, isIps) : null;
  // The flow table reports ended flows to the pipeline, which is built after it.
  let endFlow = (flow: Flow): void => PacketPipeline.writeFlowEvent(eve, flow);
  const flows = new FlowTable(flowConfig, (flow) => endFlow(flow));
  const appLayer = buildAppLayer(config, isIps, rules, thresholdActions, eve, config.packetAlertMax, { ...process.env, ...opts.env });
  const pipeline = new PacketPipeline(
    { decode: buildDecodeContext(config, opts.checksumMode), flows, defrag: new Defragmenter(defragConfigOf(config, isIps)), detect, thresholdActions, eve, fast, isIps, stream, ...appLayer },
    config.packetAlertMax,
  );
  endFlow = (flow: Flow): void => pipeline.endFlow(flow);

  // Host tags live in a process-wide table; a run starts without any.
  HOST_TAGS.tags.clear();
  const p = new Packet();
  let lastTimestampUs = 0;
  let firstTimestampUs = -1;
  try {
    // The files of a folder run one after another through the same
    // pipeline, so flows and state carry over from one file to the next.
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
      for (const writer of eve) writer.setPcapFilename(capturePath);
      try {
        for (;;) {
          let batch = 0;
          try {
            while (batch < PACKETS_PER_BATCH && reader.next(p)) {
              if (firstTimestampUs < 0) firstTimestampUs = p.timestampUs;
              lastTimestampUs = p.timestampUs;
              pipeline.processPacket(p);
              batch++;
            }
          } catch (err) {
            // A corrupt record ends the capture as libpcap ends it: the packets
            // before it are analysed and the run completes.
            if (!(err instanceof CaptureError)) throw err;
            if (!opts.quiet) process.stderr.write(`kapu: warning: ${err.message}; the capture ends there, after ${pipeline.counters.packets} packets\n`);
            break;
          }
          if (batch < PACKETS_PER_BATCH) break;
          if (isAborted(opts)) break;
          await new Promise<void>((resolveBatch) => setImmediate(resolveBatch));
        }
      } finally {
        reader.close();
        reader = null;
      }
    }
    pipeline.finish(FlowEndReason.SHUTDOWN);

    const uptimeS = firstTimestampUs < 0 ? 0 : (lastTimestampUs - firstTimestampUs) / 1e6;
    const counters = collectStats(pipeline, flows, thresholds, config);
    const engines = [{ id: 0, lastReloadUs: rulesLoadedUs, rulesLoaded: rules.summary.loaded, rulesFailed: rules.summary.failed, rulesSkipped: rules.summary.skipped }];
    for (const writer of eve) writer.stats(lastTimestampUs, uptimeS, counters, engines);
  } finally {
    reader?.close();
    for (const writer of eve) writer.close();
    fast?.close();
  }

  const c = pipeline.counters;
  const summary: RunSummary = {
    packets: c.packets,
    bytes: c.bytes,
    alerts: c.alerts,
    drops: c.blocked,
    decoderEvents: sumEvents(pipeline),
    rulesLoaded: rules.summary.loaded,
    rulesFailed: rules.summary.failed,
    flows: flows.counters.created,
    elapsedMs: performance.now() - startedMs,
    alertsBySignature: new Map([...c.alertsBySignature].map(([key, v]) => [`${key} ${v.msg}`, v.count])),
    peakMemory: {
      flow: flows.peakMemuseBytes,
      stream: stream.streamMemory.peak,
      reassembly: stream.reassemblyMemory.peak,
    },
  };
  if (!opts.quiet) process.stdout.write(formatSummary(summary, { ...opts, logDir }, isIps));
  return summary;
}

function sumEvents(pipeline: PacketPipeline): number {
  let total = 0;
  for (const count of pipeline.parts.decode.eventCounts) total += count;
  return total;
}

/** Gathers the counters of every stage under Suricata's stats names. */
function collectStats(pipeline: PacketPipeline, flows: FlowTable, thresholds: ThresholdEngine, config: KapuConfig): Map<string, number> {
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
  // Only runs that can send responses (live and in-line) report them.
  if (pipeline.parts.rejectSender) {
    out.set('ips.reject_responses_sent', c.rejectResponsesSent);
    out.set('ips.reject_responses_failed', c.rejectResponsesFailed);
  }
  out.set('ips.replaced', 0);
  for (const [reason, count] of c.dropsByReason) out.set('ips.drop_reason.' + reason.replace(/ /g, '_'), count);
  return out;
}

/** Renders the end-of-run summary shown on the terminal. */
export function formatSummary(s: RunSummary, opts: RunOptions, isIps: boolean): string {
  const seconds = s.elapsedMs / 1000;
  const lines: string[] = [];
  lines.push(`kapu: ${opts.pcapPath} (${isIps ? 'IPS' : 'IDS'} mode)`);
  lines.push(`  packets        ${s.packets} (${(s.bytes / 1e6).toFixed(1)} MB), flows ${s.flows}`);
  lines.push(`  rules          ${s.rulesLoaded} loaded, ${s.rulesFailed} failed`);
  lines.push(`  decoder events ${s.decoderEvents}`);
  lines.push(`  alerts         ${s.alerts}${isIps ? `, packets dropped ${s.drops}` : ''}`);
  const top = [...s.alertsBySignature].sort((a, b) => b[1] - a[1]).slice(0, 20);
  for (const [key, count] of top) lines.push(`    ${String(count).padStart(6)}  [${key.replace(' ', '] ')}`);
  if (s.alertsBySignature.size > top.length) lines.push(`    ... ${s.alertsBySignature.size - top.length} more signatures`);
  lines.push(`  output         ${opts.logDir}`);
  lines.push(`  time           ${seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}
