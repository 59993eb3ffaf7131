/**
 * Gathers the counters of a run's pipeline under the names of Suricata's
 * `stats` event, for the stats events of `kapu run -r` and `kapu run -i`.
 */
import type { KapuConfig } from '../config/types.js';
import type { ThresholdEngine } from '../detect/threshold.js';
import type { FlowTable } from '../flow/flow-table.js';
import { writeDefragStats } from '../flow/defrag-stats.js';
import { writeMidstreamPolicyStats } from '../flow/flow-stats.js';
import { EXCEPTION_ACTION_COUNTER_NAMES } from '../flow/flow-config.js';
import { STREAM_EVENT_NAMES } from '../stream/stream-events.js';
import { reassemblyStats } from '../stream/reassembly.js';
import { writeAppLayerErrorStats } from '../app/app-layer-stats.js';
import { writeAppLayerTxCounters } from '../output/stats-counters.js';
import type { PacketPipeline } from './pipeline.js';

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
  out.set('policy.shadow.hits', c.shadowHits);
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
