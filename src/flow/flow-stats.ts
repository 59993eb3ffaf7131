/**
 * Names the flow table's and session tracking's counters as Suricata's
 * `stats` event does, for the stats writer. Runs once per stats interval.
 */
import { STREAM_EVENT_ID_LIMIT, streamEventCounterName } from '../stream/stream-events.js';
import { EXCEPTION_ACTION_COUNTER_NAMES } from './flow-config.js';
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
    'flow.mgr.flows_timeout': c.timedOut,
    'tcp.sessions': c.tcpSessions,
    'tcp.syn': c.tcpSyn,
    'tcp.synack': c.tcpSynAck,
    'tcp.rst': c.tcpRst,
    'tcp.invalid_checksum': c.tcpInvalidChecksum,
    'tcp.midstream_pickups': c.tcpMidstreamPickups,
  };
  for (let action = 1; action < EXCEPTION_ACTION_COUNTER_NAMES.length; action++) {
    stats['flow.memcap_exception_policy.' + EXCEPTION_ACTION_COUNTER_NAMES[action]] = c.memcapPolicy[action] as number;
  }
  for (let id = 1; id < STREAM_EVENT_ID_LIMIT; id++) {
    stats[streamEventCounterName(id)] = c.streamEvents[id] as number;
  }
  return stats;
}
