/**
 * One flow: both directions of a 5-tuple (plus VLAN), its TCP session
 * state, counters and the per-flow state that detection keeps (flowbits,
 * pass and drop marks). The flow table (flow-table.ts) creates, finds and
 * expires flows; later stages read and update them.
 *
 * "Client" is the side that sent the first packet, or the SYN for TCP, as in
 * Suricata; `toServer` packets go from client to server.
 */
import type { TcpSession } from '../stream/tcp-session.js';

/** Flow states as EVE `flow.state` names them. */
export const FlowState = {
  NEW: 0,
  ESTABLISHED: 1,
  CLOSED: 2,
} as const;

/** Reasons for ending a flow (EVE `flow.reason`). */
export const FlowEndReason = {
  TIMEOUT: 0,
  FORCED: 1,
  SHUTDOWN: 2,
  /** A new TCP connection reused the tuple of a closed one (EVE `tcp_reuse`). */
  TCP_REUSE: 3,
} as const;

export class Flow {
  /** EVE `flow_id`: a number below 2^51 derived from the flow's hash. */
  flowId: number;
  /** Slot index in the flow table, or -1 once the flow is freed. */
  slot: number;
  /** 4 or 6. */
  ipVersion: number;
  /** Protocol of the flow (IpProto). */
  ipProto: number;
  /** Client and server addresses (4 or 16 bytes used) and ports. */
  clientAddr: Uint8Array;
  serverAddr: Uint8Array;
  clientPort: number;
  serverPort: number;
  /** Outermost VLAN id, or 0. */
  vlanId: number;

  /** Capture time of the first and latest packet, in microseconds. */
  startUs: number;
  lastUs: number;
  pktsToServer: number;
  pktsToClient: number;
  bytesToServer: number;
  bytesToClient: number;

  /** FlowState. */
  state: number;
  /** FlowEndReason, set when the flow is ended. */
  endReason: number;
  /** True when the flow ended while the flow table was in emergency mode (EVE `flow.emergency`). */
  isEmergencyEnd: boolean;
  /** TCP session, or null for other protocols. */
  tcp: TcpSession | null;

  /** Flowbits set on this flow, one bit per flowbit id; null until the first set. */
  flowbits: Uint32Array | null;
  /** Named flow integers (flowint), by variable id; null until the first set. */
  flowints: Map<number, number> | null;
  /**
   * Named flow variables captured by pcre (`flow:` captures), by variable
   * id, as Latin-1 text (one character per byte); null until the first set.
   */
  flowvars: Map<number, string> | null;
  /**
   * Entropy values that the `entropy` keyword measured, by buffer name
   * with dots as underscores (`file_data`), written under EVE
   * `metadata.entropy`, or null until the first measurement.
   */
  entropyByBuffer: Map<string, number> | null;
  /**
   * True once a `pass` rule matched: no further inspection of the flow.
   * Its stream is still reassembled and its app-layer events still
   * logged, as in Suricata, unless `isBypassed`.
   */
  isPassed: boolean;
  /**
   * True once an exception policy passed or bypassed the flow, or a
   * `bypass` rule matched (Suricata's local bypass): later packets are
   * counted in the flow but not reassembled, parsed or inspected. After a
   * `bypass` rule, which does not pass the flow, the data buffered before
   * the match is still inspected when the flow ends.
   */
  isBypassed: boolean;
  /** True once a drop or reject matched in IPS mode: later packets are dropped. */
  isDropped: boolean;
  /** Transactions (TLS handshake, HTTP requests) already looked up in the blocklists: the next txId to check. */
  siteCheckedTx: number;
  /** SiteBlocker.generation of the lists the flow's server address was checked against; 0 before the first check. */
  siteCheckedGeneration: number;
  /**
   * Directions (bit 1 << Direction) whose first packet has run the IP-only
   * signatures: as in Suricata, those run once per flow direction.
   */
  ipOnlyDirections: number;
  /**
   * Version of the detection engine whose per-rule state the flow contains
   * (PacketPipeline.swapDetection counts rule reloads); 0 before any reload.
   */
  detectVersion: number;
  /** True once any alert was raised on the flow (EVE `flow.alerted`). */
  hasAlerted: boolean;
  /** Application protocol name for EVE `app_proto`, or null when unknown. */
  appProto: string | null;
  /**
   * Protocol detected in each direction (client to server, server to
   * client), or null while unknown. They differ from appProto only when
   * the directions disagree; the flow's parser stays appProto's.
   */
  appProtoTs: string | null;
  appProtoTc: string | null;
  /** Session tag from the rule option `tag:session` (TagUnit in detect/keywords/tag.ts), 0 when untagged. */
  tagUnit: number;
  /** Packets or bytes still to tag, for the packets and bytes units. */
  tagRemaining: number;
  /** Capture time in microseconds when the tag ends, for the seconds unit. */
  tagEndUs: number;

  /** ICMP type and code of the first packet to the server and of the first reply (ICMP flows only). */
  icmpType: number;
  icmpCode: number;
  responseIcmpType: number;
  responseIcmpCode: number;

  /** Transactions the app-layer parser created on the flow (EVE `flow.tx_cnt`); the app layer keeps it. */
  txCount: number;
  /**
   * Exception policies applied to the flow, by target and policy name, as
   * EVE `flow.exception_policy` lists them; null while none was applied.
   */
  exceptionPolicies: { target: string; policy: string }[] | null;

  constructor() {
    this.flowId = 0;
    this.slot = -1;
    this.ipVersion = 0;
    this.ipProto = 0;
    this.clientAddr = new Uint8Array(16);
    this.serverAddr = new Uint8Array(16);
    this.clientPort = 0;
    this.serverPort = 0;
    this.vlanId = 0;

    this.startUs = 0;
    this.lastUs = 0;
    this.pktsToServer = 0;
    this.pktsToClient = 0;
    this.bytesToServer = 0;
    this.bytesToClient = 0;

    this.state = FlowState.NEW;
    this.endReason = FlowEndReason.TIMEOUT;
    this.isEmergencyEnd = false;
    this.tcp = null;

    this.flowbits = null;
    this.flowints = null;
    this.flowvars = null;
    this.entropyByBuffer = null;
    this.isPassed = false;
    this.isBypassed = false;
    this.isDropped = false;
    this.siteCheckedTx = 0;
    this.siteCheckedGeneration = 0;
    this.ipOnlyDirections = 0;
    this.detectVersion = 0;
    this.hasAlerted = false;
    this.appProto = null;
    this.appProtoTs = null;
    this.appProtoTc = null;
    this.tagUnit = 0;
    this.tagRemaining = 0;
    this.tagEndUs = 0;

    this.icmpType = 0;
    this.icmpCode = 0;
    this.responseIcmpType = 0;
    this.responseIcmpCode = 0;

    this.txCount = 0;
    this.exceptionPolicies = null;
  }

  /**
   * Clears every field so a pooled flow can carry a new connection. A field
   * added to the constructor must be cleared here too.
   */
  reset(): void {
    this.flowId = 0;
    this.slot = -1;
    this.ipVersion = 0;
    this.ipProto = 0;
    this.clientAddr.fill(0);
    this.serverAddr.fill(0);
    this.clientPort = 0;
    this.serverPort = 0;
    this.vlanId = 0;
    this.startUs = 0;
    this.lastUs = 0;
    this.pktsToServer = 0;
    this.pktsToClient = 0;
    this.bytesToServer = 0;
    this.bytesToClient = 0;
    this.state = FlowState.NEW;
    this.endReason = FlowEndReason.TIMEOUT;
    this.isEmergencyEnd = false;
    this.tcp = null;
    this.flowbits = null;
    this.flowints = null;
    this.flowvars = null;
    this.entropyByBuffer = null;
    this.isPassed = false;
    this.isBypassed = false;
    this.isDropped = false;
    this.siteCheckedTx = 0;
    this.siteCheckedGeneration = 0;
    this.ipOnlyDirections = 0;
    this.detectVersion = 0;
    this.hasAlerted = false;
    this.appProto = null;
    this.appProtoTs = null;
    this.appProtoTc = null;
    this.tagUnit = 0;
    this.tagRemaining = 0;
    this.tagEndUs = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.responseIcmpType = 0;
    this.responseIcmpCode = 0;
    this.txCount = 0;
    this.exceptionPolicies = null;
  }

  /** Records that exception policy `policy` was applied to the flow for `target`, once per target. */
  noteExceptionPolicy(target: string, policy: string): void {
    const list = this.exceptionPolicies ?? (this.exceptionPolicies = []);
    for (const entry of list) if (entry.target === target) return;
    list.push({ target, policy });
  }
}
