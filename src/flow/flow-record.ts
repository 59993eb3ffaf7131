/**
 * The flow-specific part of an EVE `flow` event, built once when a flow
 * ends: the `flow` object, the `tcp` object for TCP flows and the ICMP
 * type fields, with Suricata 8's field names and value formats. The output
 * stage adds the common fields (timestamp, flow_id, addresses, proto).
 */
import { IpProto, TcpFlag } from '../core/packet.js';
import { TcpState, TCP_STATE_NAMES } from '../stream/tcp-session.js';
import type { Flow } from './flow.js';

/** EVE `flow` object. */
export interface EveFlowObject {
  pkts_toserver: number;
  pkts_toclient: number;
  bytes_toserver: number;
  bytes_toclient: number;
  /** First and last packet time, e.g. `2022-07-11T05:48:21.714860+0000`. */
  start: string;
  end: string;
  /** Whole seconds between the start and end seconds. */
  age: number;
  /** Present (true) only when the flow ended during emergency mode. */
  emergency?: boolean;
  state: 'new' | 'established' | 'closed';
  reason: 'timeout' | 'forced' | 'shutdown' | 'tcp_reuse';
  alerted: boolean;
  /** Present when a drop or pass rule decided the flow. */
  action?: 'drop' | 'pass';
}

/** EVE `tcp` object of a flow event. Flag booleans are present only when set. */
export interface EveFlowTcpObject {
  /** TCP flags of both directions, of the client's and of the server's packets, as two hex digits. */
  tcp_flags: string;
  tcp_flags_ts: string;
  tcp_flags_tc: string;
  syn?: true;
  fin?: true;
  rst?: true;
  psh?: true;
  ack?: true;
  urg?: true;
  ecn?: true;
  cwr?: true;
  /** Session state name; absent when no session was set up. */
  state?: string;
  /** Maximum number of regions the client's and the server's stream data formed; absent without a session. */
  ts_max_regions?: number;
  tc_max_regions?: number;
}

/** The flow-specific fields of an EVE `flow` event. */
export interface EveFlowRecord {
  icmp_type?: number;
  icmp_code?: number;
  response_icmp_type?: number;
  response_icmp_code?: number;
  app_proto?: string;
  flow: EveFlowObject;
  tcp?: EveFlowTcpObject;
}

const STATE_NAMES = ['new', 'established', 'closed'] as const;
const REASON_NAMES = ['timeout', 'forced', 'shutdown', 'tcp_reuse'] as const;

/** Builds the EVE flow fields of an ended flow. Call it from the flow table's onFlowEnd. */
export function buildFlowRecord(flow: Flow): EveFlowRecord {
  const flowObject: EveFlowObject = {
    pkts_toserver: flow.pktsToServer,
    pkts_toclient: flow.pktsToClient,
    bytes_toserver: flow.bytesToServer,
    bytes_toclient: flow.bytesToClient,
    start: formatEveTimestamp(flow.startUs),
    end: formatEveTimestamp(flow.lastUs),
    age: Math.floor(flow.lastUs / 1e6) - Math.floor(flow.startUs / 1e6),
    state: STATE_NAMES[flow.state] ?? 'new',
    reason: REASON_NAMES[flow.endReason] ?? 'timeout',
    alerted: flow.hasAlerted,
  };
  if (flow.isEmergencyEnd) flowObject.emergency = true;
  if (flow.isDropped) flowObject.action = 'drop';
  else if (flow.isPassed) flowObject.action = 'pass';

  const record: EveFlowRecord = { flow: flowObject };
  if (flow.ipProto === IpProto.ICMP || flow.ipProto === IpProto.ICMPV6) {
    record.icmp_type = flow.icmpType;
    record.icmp_code = flow.icmpCode;
    if (flow.pktsToClient > 0) {
      record.response_icmp_type = flow.responseIcmpType;
      record.response_icmp_code = flow.responseIcmpCode;
    }
  }
  if (flow.appProto !== null) record.app_proto = flow.appProto;
  if (flow.ipProto === IpProto.TCP) record.tcp = buildTcpObject(flow);
  return record;
}

function buildTcpObject(flow: Flow): EveFlowTcpObject {
  const session = flow.tcp;
  const hasSession = session !== null && session.state !== TcpState.NONE;
  const flags = hasSession ? session.tcpFlags : 0;
  const tcp: EveFlowTcpObject = {
    tcp_flags: hexByte(flags),
    tcp_flags_ts: hexByte(hasSession ? session.client.tcpFlags : 0),
    tcp_flags_tc: hexByte(hasSession ? session.server.tcpFlags : 0),
  };
  if ((flags & TcpFlag.SYN) !== 0) tcp.syn = true;
  if ((flags & TcpFlag.FIN) !== 0) tcp.fin = true;
  if ((flags & TcpFlag.RST) !== 0) tcp.rst = true;
  if ((flags & TcpFlag.PSH) !== 0) tcp.psh = true;
  if ((flags & TcpFlag.ACK) !== 0) tcp.ack = true;
  if ((flags & TcpFlag.URG) !== 0) tcp.urg = true;
  if ((flags & TcpFlag.ECE) !== 0) tcp.ecn = true;
  if ((flags & TcpFlag.CWR) !== 0) tcp.cwr = true;
  if (hasSession) {
    tcp.state = TCP_STATE_NAMES[session.state];
    tcp.ts_max_regions = session.client.maxRegions;
    tcp.tc_max_regions = session.server.maxRegions;
  }
  return tcp;
}

function hexByte(value: number): string {
  return (value & 0xff).toString(16).padStart(2, '0');
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Formats microseconds since the epoch as EVE writes times, in UTC:
 * `2022-07-11T05:48:21.714860+0000`.
 * NOTE: Suricata writes local time with the local offset; kapu writes UTC,
 * which matches Suricata run with TZ=UTC.
 */
export function formatEveTimestamp(timestampUs: number): string {
  const seconds = Math.floor(timestampUs / 1e6);
  const micros = timestampUs - seconds * 1e6;
  const d = new Date(seconds * 1000);
  return (
    pad(d.getUTCFullYear(), 4) + '-' + pad(d.getUTCMonth() + 1, 2) + '-' + pad(d.getUTCDate(), 2) +
    'T' + pad(d.getUTCHours(), 2) + ':' + pad(d.getUTCMinutes(), 2) + ':' + pad(d.getUTCSeconds(), 2) +
    '.' + pad(micros, 6) + '+0000'
  );
}
