/**
 * kapu's gid 8200 alerts: findings of the anomaly stage (floods, scans,
 * reflection, thresholds, baselines) written as EVE `alert` events, so
 * every consumer of alerts reads them. The sid is the detector's
 * (finding.ts); `src_ip` and `dest_ip` are the main source and the victim
 * when the finding has them, and the evidence sits under `kapu.anomaly`:
 * the metric, observed value, baseline, deviation, window, sampling rate,
 * top sources and targets and whether the sources look spoofed.
 */
import { ANOMALY_GID, ANOMALY_TYPE_NAMES, findingSignature, type AnomalyFinding, type RankedAddress } from '../anomaly/finding.js';
import { closeEvent, type EveContext } from './eve-header.js';
import { jsonString } from './eve-format.js';
import type { TimestampFormatter } from './eve-time.js';

/** EVE `alert.category` of anomaly findings. */
export const ANOMALY_CATEGORY = 'Detection of a Network Scan or Denial of Service';

/** Severity (Suricata priority) by detector sid: floods and reflection 1, scans 2, the rest 3. */
const SEVERITY_BY_TYPE = [3, 3, 2, 1, 1, 1, 1, 2, 2, 3, 2];

/** Returns the severity of a finding's detector. */
export function anomalySeverity(type: number): number {
  return SEVERITY_BY_TYPE[type] ?? 3;
}

/** Builds one EVE alert line (without the newline) for a finding. */
export function buildAnomalyAlertEvent(ctx: EveContext, f: AnomalyFinding): string {
  let out = '{"timestamp":"' + ctx.time.iso(f.timestampUs) + '","event_type":"alert"';
  if (f.srcIp !== null) out += ',"src_ip":' + jsonString(f.srcIp);
  if (f.destIp !== null) out += ',"dest_ip":' + jsonString(f.destIp);
  if (f.destPort > 0) out += ',"dest_port":' + f.destPort;
  if (f.proto !== null) out += ',"proto":' + jsonString(f.proto);
  out += ',"alert":{"action":"allowed","gid":' + ANOMALY_GID + ',"signature_id":' + f.type + ',"rev":1';
  out += ',"signature":' + jsonString(findingSignature(f)) + ',"category":' + jsonString(ANOMALY_CATEGORY);
  out += ',"severity":' + anomalySeverity(f.type) + '}';
  out += ',"kapu":{"anomaly":' + anomalyEvidenceJson(ctx.time, f) + '}';
  return closeEvent(ctx, out);
}

/** Renders the `kapu.anomaly` evidence object of a finding. */
export function anomalyEvidenceJson(time: TimestampFormatter, f: AnomalyFinding): string {
  let out = '{"type":' + jsonString(ANOMALY_TYPE_NAMES[f.type] ?? 'unknown') + ',"phase":"' + f.phase + '"';
  out += ',"entity":' + jsonString(f.entity) + ',"metric":' + jsonString(f.metric);
  out += ',"observed":' + jsonNumber(f.observed) + ',"baseline":' + jsonNumber(f.baseline);
  out += ',"deviation":' + jsonNumber(f.deviation) + ',"peak":' + jsonNumber(f.peak);
  out += ',"window":{"start":"' + time.iso(f.windowStartUs) + '","end":"' + time.iso(f.windowEndUs) + '"';
  out += ',"interval_s":' + jsonNumber(f.intervalS) + '}';
  out += ',"sample_rate":' + f.sampleRate;
  if (f.distinctSources >= 0) out += ',"distinct_sources":' + f.distinctSources;
  out += ',"sources_spoofed":' + (f.sourcesSpoofed === null ? 'null' : String(f.sourcesSpoofed));
  out += ',"top_sources":' + rankedJson(f.topSources) + ',"top_targets":' + rankedJson(f.topTargets);
  out += ',"top_ports":[' + f.topPorts.join(',') + ']}';
  return out;
}

/** Builds the fast.log line (without the newline) of a finding. */
export function anomalyFastLogLine(time: TimestampFormatter, f: AnomalyFinding): string {
  const proto = f.proto ?? 'IP';
  return time.fast(f.timestampUs) + '  [**] [' + ANOMALY_GID + ':' + f.type + ':1] ' + findingSignature(f) + ' ' + f.phase
    + ' [**] [Classification: ' + ANOMALY_CATEGORY + '] [Priority: ' + anomalySeverity(f.type) + '] {' + proto + '} '
    + (f.srcIp ?? 'many') + ':0 -> ' + (f.destIp ?? f.entity) + ':' + f.destPort;
}

function rankedJson(list: readonly RankedAddress[]): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += ',';
    out += '{"ip":' + jsonString(list[i].ip) + ',"count":' + jsonNumber(list[i].count) + '}';
  }
  return out + ']';
}

/** JSON has no Infinity or NaN: they are written as null. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
