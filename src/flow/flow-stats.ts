/**
 * Names the flow table's and session tracking's counters as Suricata's
 * `stats` event does, for the stats writer. Runs once per stats interval.
 */
import { STREAM_EVENT_ID_LIMIT, streamEventCounterName } from '../stream/stream-events.js';
import { TCP_STATE_NAMES } from '../stream/tcp-session.js';
import { ExceptionAction } from './flow-config.js';
import { STREAM_EXCEPTION_COUNTER_NAMES, StreamException } from '../stream/reassembly.js';
import type { FlowTable } from './flow-table.js';

/** Returns the counters of `table` by dotted stats name (`flow.memcap`, `stream.pkt_invalid_ack`, ...). */
export function collectFlowStats(table: FlowTable): Record<string, number> {
  const c = table.counters;
  const stats: Record<string, number> = {
    'flow.total': c.created,
    'flow.active': c.active,
    'flow.tcp': c.tcp,
    'flow.udp': c.udp,
    'flow.icmpv4': c.icmpv4,
    'flow.icmpv6': c.icmpv6,
    'flow.tcp_reuse': c.tcpReuse,
    'flow.memcap': c.memcapHits,
    'flow.get_used': c.getUsed,
    'flow.get_used_failed': c.getUsedFailed,
    'flow.emerg_mode_entered': c.emergencyEntered,
    'flow.emerg_mode_over': c.emergencyOver,
    'flow.memuse': table.memuseBytes,
    'flow.spare': table.spareCount,
    'flow.mgr.flows_timeout': c.timedOut,
    'tcp.sessions': c.tcpSessions,
    'tcp.syn': c.tcpSyn,
    'tcp.synack': c.tcpSynAck,
    'tcp.rst': c.tcpRst,
    'tcp.invalid_checksum': c.tcpInvalidChecksum,
    'tcp.midstream_pickups': c.tcpMidstreamPickups,
  };

  // The flow memcap policy applies to packets only, so the flow policies stay 0.
  const policy = c.memcapPolicy;
  stats['flow.memcap_exception_policy.drop_flow'] = 0;
  stats['flow.memcap_exception_policy.drop_packet'] = policy[ExceptionAction.DROP_PACKET] as number;
  stats['flow.memcap_exception_policy.pass_flow'] = 0;
  stats['flow.memcap_exception_policy.pass_packet'] = policy[ExceptionAction.PASS_PACKET] as number;
  stats['flow.memcap_exception_policy.bypass'] = policy[ExceptionAction.BYPASS] as number;
  stats['flow.memcap_exception_policy.reject'] = policy[ExceptionAction.REJECT] as number;

  const stateNames = ['new', 'established', 'closed'];
  for (let state = 0; state < stateNames.length; state++) {
    stats['flow.end.state.' + stateNames[state]] = c.endStates[state] as number;
  }
  for (let state = 0; state < TCP_STATE_NAMES.length; state++) {
    stats['flow.end.tcp_state.' + TCP_STATE_NAMES[state]] = c.endTcpStates[state] as number;
  }

  for (let id = 1; id < STREAM_EVENT_ID_LIMIT; id++) {
    stats[streamEventCounterName(id)] = c.streamEvents[id] as number;
  }
  return stats;
}

/**
 * Policies of `stream.midstream-policy` that Suricata 8 counts, by
 * StreamException value: the flow policies, since the packet ones are
 * not valid for it, and not ignore.
 */
const MIDSTREAM_POLICY_ACTIONS: readonly number[] = [
  StreamException.DROP_FLOW,
  StreamException.PASS_FLOW,
  StreamException.BYPASS,
  StreamException.REJECT,
];

/**
 * Adds `tcp.midstream_exception_policy.<policy>` to `out`: packets that
 * would have started a session without a handshake and met the policy.
 * Written only when the policy is not ignore, as in Suricata 8.
 */
export function writeMidstreamPolicyStats(table: FlowTable, out: Map<string, number>): void {
  if (table.midstreamPolicyAction === StreamException.IGNORE) return;
  for (const action of MIDSTREAM_POLICY_ACTIONS) {
    out.set('tcp.midstream_exception_policy.' + STREAM_EXCEPTION_COUNTER_NAMES[action], table.counters.midstreamPolicy[action] as number);
  }
}
