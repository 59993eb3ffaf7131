/**
 * The application layer of one worker. It detects the protocol of each
 * flow (by content through the probes, and by the DNS port) and keeps the
 * flow's parser state. It feeds the parser the in-order stream data of
 * each TCP direction as reassembly makes it contiguous, or each UDP
 * datagram.
 *
 * Supported: HTTP/1.x, TLS, SSH and DNS on any TCP port (DNS probed first
 * on port 53), and DNS over UDP when either port is 53.
 */
import { Direction, IpProto, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import type { StreamDirectionState } from '../stream/reassembly.js';
import { TcpState } from '../stream/tcp-session.js';
import { defaultHttpConfig, HttpState, Progress, type HttpConfig, type HttpTransaction } from './http/state.js';
import { probeHttp } from './http/probe.js';
import { DEFAULT_MAX_DNS_TRANSACTIONS, DnsState, type DnsErrorCounters, type DnsTransaction } from './dns/state.js';
import { probeDnsTcp } from './dns/probe.js';
import { TlsState, type TlsTransaction } from './tls/state.js';
import { probeTls } from './tls/probe.js';
import { SshState, type SshTransaction } from './ssh/state.js';
import { probeSsh } from './ssh/probe.js';

/** App-layer protocol names as EVE `app_proto` and rule headers write them. */
export const AppProto = {
  HTTP: 'http',
  DNS: 'dns',
  TLS: 'tls',
  SSH: 'ssh',
} as const;

/** The DNS port: UDP DNS is detected on it only, and TCP DNS is probed first there. */
export const DNS_PORT = 53;

/**
 * Ports where DNS is expected, from app-layer.protocols.dns.udp and
 * dns.tcp `detection-ports.dp` (default 53 for both). UDP DNS is parsed
 * on these ports only. On a TCP DNS port a valid header is enough to
 * detect a message larger than the probe window, as Suricata does.
 */
export interface DnsPorts {
  udp: ReadonlySet<number>;
  tcp: ReadonlySet<number>;
}

export const DEFAULT_DNS_PORTS: DnsPorts = { udp: new Set([DNS_PORT]), tcp: new Set([DNS_PORT]) };

/** Bytes of a direction probed before detection gives up on it. */
export const MAX_PROBE_BYTES = 4096;

export type AppTransaction = HttpTransaction | DnsTransaction | TlsTransaction | SshTransaction;
export type AppParserState = HttpState | DnsState | TlsState | SshState;

/** Probe state of a direction while the protocol is unknown. */
const ProbeStatus = { PENDING: 0, FAILED: 1 } as const;

/** App-layer state of one flow. */
export class FlowAppState {
  /** flowId of the flow this state belongs to; flows are pooled, so a reused flow gets a new state. */
  readonly flowId: number;
  /** Detected protocol (AppProto), or null while unknown. */
  proto: string | null;
  parser: AppParserState | null;
  /** Stream offset up to which each direction was handed to the parser (or probed past). */
  readonly progress: Float64Array;
  /** ProbeStatus of each direction while the protocol is unknown. */
  readonly probeStatus: Uint8Array;
  /** Parser state events written as anomaly events so far. */
  eventsLogged: number;
  /** Per transaction and signature (app-inspect index): the directions it matched in, bit (1 << Direction). */
  readonly matchedSigs: WeakMap<object, Uint8Array>;
  /** Transactions whose protocol event is written, for protocols that finish out of order. */
  readonly loggedTx: WeakSet<object>;
  /**
   * 1 for a direction whose parser got data since transactions were last
   * inspected in that direction. Detection inspects a direction's
   * transactions on packets of that direction, as Suricata does.
   */
  readonly pendingInspect: Uint8Array;
  /**
   * Copy of the stream bytes each direction's parser got last, kept only
   * when a transaction rule also inspects `pkt_data` (AppLayer.keepsFedData).
   */
  readonly lastFedData: (Uint8Array | null)[];
  /** True once the parser's directions were ended (TCP session closed, or flow end). */
  isEnded: boolean;
  /** Id after the newest transaction counted in AppLayerCounters.txByProto. */
  txCounted: number;
  /** Stats name of the protocol (`dns_udp` for DNS over UDP), set with the protocol. */
  statsName: string;

  constructor(flowId: number) {
    this.flowId = flowId;
    this.proto = null;
    this.parser = null;
    this.progress = new Float64Array(2);
    this.probeStatus = new Uint8Array(2);
    this.eventsLogged = 0;
    this.matchedSigs = new WeakMap();
    this.loggedTx = new WeakSet();
    this.pendingInspect = new Uint8Array(2);
    this.lastFedData = [null, null];
    this.isEnded = false;
    this.txCounted = 0;
    this.statsName = '';
  }

  /** Returns the parser's transactions, oldest first. */
  transactions(): readonly AppTransaction[] {
    const parser = this.parser;
    if (parser === null) return EMPTY_TXS;
    return parser.transactions as readonly AppTransaction[];
  }
}

const EMPTY_TXS: readonly AppTransaction[] = [];

/** Counters of the application layer. */
export class AppLayerCounters {
  /** Flows by detected protocol, with Suricata's stats names (`http`, `tls`, `ssh`, `dns_udp`, `dns_tcp`). */
  readonly flowsByProto: Map<string, number>;
  /** DNS messages that failed to parse, by transport (`app_layer.error.dns_udp.parser`, `dns_tcp`). */
  readonly dnsUdpErrors: DnsErrorCounters;
  readonly dnsTcpErrors: DnsErrorCounters;
  /**
   * Transactions that parsers created, by the same names (Suricata's
   * app_layer.tx.*). As in Suricata, a transaction that exists from the
   * state's start, the one handshake of TLS and SSH, is not counted, so
   * those stay at 0.
   */
  readonly txByProto: Map<string, number>;

  constructor() {
    this.flowsByProto = new Map();
    this.dnsUdpErrors = { parser: 0 };
    this.dnsTcpErrors = { parser: 0 };
    this.txByProto = new Map();
  }
}

/** Tells whether a transaction of `proto` is finished in `direction` (its buffers in that direction are final). */
export function isTxDone(proto: string, tx: AppTransaction, direction: number): boolean {
  switch (proto) {
    case AppProto.HTTP: {
      const h = tx as HttpTransaction;
      return direction === Direction.TO_SERVER ? h.requestProgress === Progress.COMPLETE : h.responseProgress === Progress.COMPLETE;
    }
    default: {
      const t = tx as DnsTransaction | TlsTransaction | SshTransaction;
      return direction === Direction.TO_SERVER ? t.isToServerDone : t.isToClientDone;
    }
  }
}

/**
 * Tells whether a transaction direction can be inspected: for HTTP once
 * its start line is in (buffers of the header section wait for its end,
 * see httpBufferReady), for DNS in the direction its message travelled.
 */
export function isTxInspectable(proto: string, tx: AppTransaction, direction: number): boolean {
  if (proto === AppProto.HTTP) {
    const h = tx as HttpTransaction;
    return (direction === Direction.TO_SERVER ? h.requestProgress : h.responseProgress) >= Progress.HEADERS;
  }
  if (proto === AppProto.DNS) return (tx as DnsTransaction).direction === direction;
  return true;
}

/** HTTP buffers that the start line fills, inspectable while the header section is still being read. */
const HTTP_START_LINE_BUFFERS: ReadonlySet<string> = new Set([
  'http.uri', 'http.uri.raw', 'http.method', 'http.request_line', 'http.protocol',
  'http.stat_code', 'http.stat_msg', 'http.response_line',
]);

/**
 * Tells whether HTTP buffer `name` of a transaction direction is final
 * enough to inspect: start-line buffers once the line is in, the others
 * once the header section ended (body data arrived, or the message is
 * complete). `isFlowEnd` takes whatever the transaction has.
 */
export function httpBufferReady(tx: HttpTransaction, name: string, direction: number, isFlowEnd: boolean): boolean {
  const progress = direction === Direction.TO_SERVER ? tx.requestProgress : tx.responseProgress;
  if (progress === Progress.NONE) return false;
  if (isFlowEnd || progress >= Progress.BODY) return true;
  return HTTP_START_LINE_BUFFERS.has(name);
}

/** Detects protocols and runs the parsers of one worker's flows. */
export class AppLayer {
  readonly counters: AppLayerCounters;
  /**
   * In-line mode parses stream data as it arrives. Otherwise (IDS) a
   * direction's data is parsed once the receiver acknowledged it, so on
   * the peer's ACK, as Suricata does.
   */
  readonly isInline: boolean;
  /** Keep a copy of the bytes last fed per direction (FlowAppState.lastFedData). */
  readonly keepsFedData: boolean;
  /** Limits of each HTTP state. */
  readonly httpConfig: HttpConfig;
  /** Protocols (AppProto) that `app-layer.protocols.<proto>.enabled: no` switched off. */
  readonly disabled: ReadonlySet<string>;
  private readonly states: WeakMap<Flow, FlowAppState>;
  private readonly dnsPorts: DnsPorts;

  constructor(
    isInline: boolean,
    keepsFedData = false,
    httpConfig: HttpConfig = defaultHttpConfig(),
    disabled: ReadonlySet<string> = new Set(),
    dnsPorts: DnsPorts = DEFAULT_DNS_PORTS,
  ) {
    this.counters = new AppLayerCounters();
    this.isInline = isInline;
    this.keepsFedData = keepsFedData;
    this.httpConfig = httpConfig;
    this.disabled = disabled;
    this.states = new WeakMap();
    this.dnsPorts = dnsPorts;
  }

  /** Returns the app-layer state of `flow`, or null when none was created. */
  stateOf(flow: Flow): FlowAppState | null {
    const state = this.states.get(flow);
    if (state === undefined || state.flowId !== flow.flowId) return null;
    return state;
  }

  private acquire(flow: Flow): FlowAppState {
    let state = this.states.get(flow);
    if (state === undefined || state.flowId !== flow.flowId) {
      state = new FlowAppState(flow.flowId);
      this.states.set(flow, state);
    }
    return state;
  }

  /**
   * Feeds the data that packet `p` makes available: its UDP payload, or
   * the newly contiguous stream bytes of both TCP directions. Call after
   * stream reassembly handled the packet. Returns the flow's state, or
   * null when the flow carries no detected protocol.
   */
  handlePacket(p: Packet, flow: Flow | null): FlowAppState | null {
    if (flow === null) return null;
    if (p.ipProto === 17) return this.handleDatagram(p, flow);
    if (p.ipProto !== 6 || flow.tcp === null) return this.stateOf(flow);
    const reassembly = flow.tcp.reassembly;
    if (reassembly === null) return this.stateOf(flow);
    if (!reassembly.toServer.hasBase && !reassembly.toClient.hasBase) return this.stateOf(flow);
    const state = this.acquire(flow);
    if (state.proto === null && state.probeStatus[0] === ProbeStatus.FAILED && state.probeStatus[1] === ProbeStatus.FAILED) return null;
    const isAckBound = !this.isInline;
    this.feedStream(flow, state, reassembly.toServer, Direction.TO_SERVER, p.timestampUs, isAckBound);
    this.feedStream(flow, state, reassembly.toClient, Direction.TO_CLIENT, p.timestampUs, isAckBound);
    // As in Suricata, both directions of the parser end once the session
    // is closed, so a body read until close completes on the packet that
    // closes the session, not when the flow times out.
    if (flow.tcp.state === TcpState.CLOSED && state.parser !== null && !state.isEnded) this.endParser(state);
    return state.proto !== null ? state : null;
  }

  /** Ends both directions of the parser; a direction whose transactions changed is inspected again. */
  private endParser(state: FlowAppState): void {
    const parser = state.parser;
    if (parser === null) return;
    state.isEnded = true;
    for (let direction = Direction.TO_SERVER; direction <= Direction.TO_CLIENT; direction++) {
      const before = progressSum(state, direction);
      parser.handleEnd(direction);
      if (progressSum(state, direction) !== before) state.pendingInspect[direction] = 1;
    }
  }

  /**
   * Hands an ending flow's parser the stream data not parsed yet
   * (acknowledged or not) and ends both directions, so its last messages
   * complete. Call before the reassembly state is released.
   */
  endFlow(flow: Flow, timestampUs: number): FlowAppState | null {
    const state = this.stateOf(flow);
    if (state === null || state.parser === null) return null;
    const reassembly = flow.tcp !== null ? flow.tcp.reassembly : null;
    if (reassembly !== null) {
      this.feedStream(flow, state, reassembly.toServer, Direction.TO_SERVER, timestampUs, false);
      this.feedStream(flow, state, reassembly.toClient, Direction.TO_CLIENT, timestampUs, false);
    }
    if (!state.isEnded) this.endParser(state);
    return state;
  }

  /** Forgets an ended flow. */
  release(flow: Flow): void {
    this.states.delete(flow);
  }

  private handleDatagram(p: Packet, flow: Flow): FlowAppState | null {
    if (p.payloadOffset < 0 || p.payloadLength === 0) return this.stateOf(flow);
    const ports = this.dnsPorts.udp;
    if ((!ports.has(flow.clientPort) && !ports.has(flow.serverPort)) || this.disabled.has(AppProto.DNS)) return null;
    const state = this.acquire(flow);
    // Port 53 is DNS without a content probe, as with Suricata's
    // port-based detection. The parser raises events for what it cannot read.
    if (state.proto === null) this.setProto(flow, state, AppProto.DNS, new DnsState(false, DEFAULT_MAX_DNS_TRANSACTIONS, this.counters.dnsUdpErrors));
    if (state.proto !== AppProto.DNS) return null;
    (state.parser as DnsState).handleData(p.direction, p.bytes, p.payloadOffset, p.payloadLength, p.timestampUs);
    this.countTransactions(state);
    if (this.keepsFedData) state.lastFedData[p.direction] = p.bytes.slice(p.payloadOffset, p.payloadOffset + p.payloadLength);
    state.pendingInspect[p.direction] = 1;
    return state;
  }

  private setProto(flow: Flow, state: FlowAppState, proto: string, parser: AppParserState): void {
    state.proto = proto;
    state.parser = parser;
    flow.appProto = proto;
    // Suricata counts DNS flows per transport (app_layer.flow.dns_udp, dns_tcp).
    let name = proto;
    if (proto === AppProto.DNS) name = flow.ipProto === IpProto.UDP ? 'dns_udp' : 'dns_tcp';
    this.counters.flowsByProto.set(name, (this.counters.flowsByProto.get(name) ?? 0) + 1);
    state.statsName = name;
    state.txCounted = newestTxEnd(parser);
    if (!this.counters.txByProto.has(name)) this.counters.txByProto.set(name, 0);
  }

  /** Adds the transactions the parser created since the last call to the counters. */
  private countTransactions(state: FlowAppState): void {
    const end = newestTxEnd(state.parser as AppParserState);
    if (end <= state.txCounted) return;
    const counts = this.counters.txByProto;
    counts.set(state.statsName, (counts.get(state.statsName) ?? 0) + end - state.txCounted);
    state.txCounted = end;
  }

  /**
   * Hands the contiguous bytes of one direction past `state.progress` to
   * the parser, and data the reassembler skipped (acknowledged but never
   * seen) as a gap. With `isAckBound` only acknowledged bytes go. While
   * the protocol is unknown, the bytes from the start of the direction go
   * to the probes instead.
   */
  private feedStream(flow: Flow, state: FlowAppState, stream: StreamDirectionState, direction: number, timestampUs: number, isAckBound: boolean): void {
    if (!stream.hasBase) return;
    const segments = stream.segments;
    let at = state.progress[direction] as number;
    if (state.proto === null) {
      if (!this.probeStream(flow, state, stream, direction)) return;
      at = state.progress[direction] as number;
    }
    const parser = state.parser as AppParserState;
    const dnsMessagesBefore = state.proto === AppProto.DNS ? (parser as DnsState).counters.messages : 0;
    const httpMessagesBefore = parser instanceof HttpState ? (parser.completedMessages[direction] as number) : 0;
    const startAt = at;
    // As Suricata's HTTP parser does, keep the minimal inspect size of the stream before the raw progress.
    if (parser instanceof HttpState) stream.minInspectDepth = direction === Direction.TO_SERVER ? this.httpConfig.requestMinInspect : this.httpConfig.responseMinInspect;
    if (at < segments.releasedBase) {
      parser.handleGap(direction, segments.releasedBase - at);
      at = segments.releasedBase;
    }
    const limit = isAckBound ? stream.ackProgress : Number.MAX_SAFE_INTEGER;
    // Bounded: each round moves `at` forward to a record boundary or to the acknowledged end.
    for (let round = 0; round < 1024 && at < limit; round++) {
      const end = Math.min(segments.contiguousEnd(at), limit);
      if (end > at) {
        parser.handleData(direction, segments.data, at - segments.dataBase, end - at, timestampUs);
        at = end;
        continue;
      }
      if (stream.ackProgress <= at) break;
      const next = segments.nextStart(at);
      const target = next >= 0 && next < stream.ackProgress ? next : stream.ackProgress;
      parser.handleGap(direction, target - at);
      at = target;
    }
    state.progress[direction] = at;
    // Suricata's DNS parser has the raw stream inspected after each message it completes.
    if (state.proto === AppProto.DNS && (parser as DnsState).counters.messages > dnsMessagesBefore) stream.isInspectionRequested = true;
    // So does its HTTP parser after each request and response, and the
    // stream then stops using PSH in place of such requests.
    if (parser instanceof HttpState) {
      stream.hasParserRequests = true;
      if (parser.completedMessages[direction] !== httpMessagesBefore) stream.isInspectionRequested = true;
    }
    if (at > startAt) {
      this.countTransactions(state);
      state.pendingInspect[direction] = 1;
      if (this.keepsFedData) state.lastFedData[direction] = copyRange(segments, Math.max(startAt, segments.releasedBase), at);
    }
  }

  /**
   * Probes the first bytes of a direction. Returns true once a protocol
   * is set (the direction's data is then fed from its start), false while
   * more data is needed or when the direction matched nothing.
   */
  private probeStream(flow: Flow, state: FlowAppState, stream: StreamDirectionState, direction: number): boolean {
    if (state.probeStatus[direction] === ProbeStatus.FAILED) return false;
    const segments = stream.segments;
    if (segments.releasedBase > 0) {
      // The start of the direction is gone, so it cannot be probed.
      state.probeStatus[direction] = ProbeStatus.FAILED;
      return false;
    }
    const end = segments.contiguousEnd(0);
    if (end === 0) return false;
    const bytes = segments.data;
    const start = 0 - segments.dataBase;
    const length = end;
    let proto: string | null = null;
    let needMore = false;
    const isDnsPort = this.dnsPorts.tcp.has(flow.serverPort) || this.dnsPorts.tcp.has(flow.clientPort);
    if (isDnsPort) {
      const dns = probeDnsTcp(bytes, start, length, direction, true);
      if (dns === 'yes') proto = AppProto.DNS;
      else if (dns === 'need_more') needMore = true;
    }
    if (proto === null) {
      const http = probeHttp(bytes, start, length, direction);
      if (http === 'yes') proto = AppProto.HTTP;
      else if (http === 'need_more') needMore = true;
    }
    if (proto === null) {
      const tls = probeTls(bytes, start, length, direction);
      if (tls === 'yes') proto = AppProto.TLS;
      else if (tls === 'need_more') needMore = true;
    }
    if (proto === null) {
      const ssh = probeSsh(bytes, start, length, direction);
      if (ssh === 'yes') proto = AppProto.SSH;
      else if (ssh === 'need_more') needMore = true;
    }
    if (proto === null && !isDnsPort) {
      // DNS over TCP on another port: tried last, as its probe needs a whole message.
      const dns = probeDnsTcp(bytes, start, length, direction);
      if (dns === 'yes') proto = AppProto.DNS;
      else if (dns === 'need_more') needMore = true;
    }
    if (proto !== null && this.disabled.has(proto)) {
      proto = null;
      needMore = false;
    }
    if (proto === null) {
      if (!needMore || length >= MAX_PROBE_BYTES) state.probeStatus[direction] = ProbeStatus.FAILED;
      return false;
    }
    this.setProto(flow, state, proto, createParser(proto, flow, this.httpConfig, this.counters));
    state.progress[0] = 0;
    state.progress[1] = 0;
    return true;
  }
}

/**
 * Returns the id after the parser's newest transaction, or 0 when it has
 * none. Transactions are pruned only after logging, so the newest one is
 * still there right after the parser ran.
 */
function newestTxEnd(parser: AppParserState): number {
  const txs = parser.transactions as readonly { txId: number }[];
  return txs.length === 0 ? 0 : (txs[txs.length - 1] as { txId: number }).txId + 1;
}

/**
 * Returns a number that changes when the transactions of one direction
 * progress: the transaction count, plus each HTTP message's progress.
 */
function progressSum(state: FlowAppState, direction: number): number {
  const txs = state.transactions();
  let sum = txs.length;
  if (state.proto !== AppProto.HTTP) return sum;
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i] as HttpTransaction;
    sum += direction === Direction.TO_SERVER ? tx.requestProgress : tx.responseProgress;
  }
  return sum;
}

/** Copies the contiguous stored bytes of [start, end), or returns null when a gap lies inside. */
function copyRange(segments: StreamDirectionState['segments'], start: number, end: number): Uint8Array | null {
  if (segments.contiguousEnd(start) < end) return null;
  return segments.data.slice(start - segments.dataBase, end - segments.dataBase);
}

function createParser(proto: string, flow: Flow, httpConfig: HttpConfig, counters: AppLayerCounters): AppParserState {
  switch (proto) {
    case AppProto.HTTP: return new HttpState(httpConfig, flow.serverPort);
    case AppProto.DNS: return new DnsState(true, DEFAULT_MAX_DNS_TRANSACTIONS, counters.dnsTcpErrors);
    case AppProto.TLS: return new TlsState();
    default: return new SshState();
  }
}
