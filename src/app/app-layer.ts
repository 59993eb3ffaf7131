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
import { STREAM_EXCEPTION_COUNTER_NAMES, StreamException, type StreamDirectionState } from '../stream/reassembly.js';
import { TcpState } from '../stream/tcp-session.js';
import { defaultHttpConfig, HttpState, Progress, type HttpConfig, type HttpTransaction } from './http/state.js';
import { probeHttp } from './http/probe.js';
import { DEFAULT_MAX_DNS_TRANSACTIONS, DnsState, type DnsErrorCounters, type DnsTransaction } from './dns/state.js';
import { probeDnsTcp } from './dns/probe.js';
import { TlsState, type TlsTransaction } from './tls/state.js';
import { probeTls } from './tls/probe.js';
import { SshState, type SshTransaction } from './ssh/state.js';
import { probeSsh } from './ssh/probe.js';
import { AppLayerEvent } from './app-layer-events.js';
import { FlowFrames, type FrameConfig } from './frames.js';

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
  /** Transactions that a `config: logging disable` rule keeps out of the protocol log. */
  readonly unloggedTx: WeakSet<object>;
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
  /** The parser's two directions were ended (AppLayer.endStreams). */
  isEnded: boolean;
  /** AppLayerEvent bits raised since the last packet took them (see AppLayer.handlePacket). */
  newEvents: number;
  /** Bits (1 << Direction) of directions detected since the last packet took them. */
  newDetections: number;
  /** Id after the newest transaction counted in AppLayerCounters.txByProto. */
  txCounted: number;
  /** Stats name of the protocol (`dns_udp` for DNS over UDP), set with the protocol. */
  statsName: string;
  /** App-layer frames of the flow (frames.ts), or null when the run records none. */
  frames: FlowFrames | null;
  /**
   * True once the parser of a TCP flow reported an error: as in Suricata,
   * the flow's stream data is no longer parsed in either direction.
   */
  hasParserError: boolean;

  constructor(flowId: number) {
    this.flowId = flowId;
    this.proto = null;
    this.parser = null;
    this.progress = new Float64Array(2);
    this.probeStatus = new Uint8Array(2);
    this.eventsLogged = 0;
    this.matchedSigs = new WeakMap();
    this.loggedTx = new WeakSet();
    this.unloggedTx = new WeakSet();
    this.pendingInspect = new Uint8Array(2);
    this.lastFedData = [null, null];
    this.isEnded = false;
    this.newEvents = 0;
    this.newDetections = 0;
    this.txCounted = 0;
    this.statsName = '';
    this.frames = null;
    this.hasParserError = false;
  }

  /** Returns the parser's transactions, oldest first. */
  transactions(): readonly AppTransaction[] {
    const parser = this.parser;
    if (parser === null) return EMPTY_TXS;
    return parser.transactions as readonly AppTransaction[];
  }
}

const EMPTY_TXS: readonly AppTransaction[] = [];

/** Raises flow.txCount to the number of transactions the flow's parser created; pruned ones still count. */
function countTransactions(flow: Flow, state: FlowAppState): void {
  const txs = state.transactions();
  if (txs.length === 0) return;
  const count = (txs[txs.length - 1] as AppTransaction).txId + 1;
  if (count > flow.txCount) flow.txCount = count;
}

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
  /**
   * Parser errors by the same names (`app_layer.error.<proto>.parser`):
   * each time a parser returned an error, which starts the error policy.
   */
  readonly parserErrors: Map<string, number>;
  /**
   * Errors that `app-layer.error-policy` acted on, by StreamException
   * value: in total (`app_layer.error.exception_policy.<policy>`) and by
   * protocol (`app_layer.error.<proto>.exception_policy.<policy>`).
   * Ignored errors are not counted.
   */
  readonly errorPolicy: Uint32Array;
  readonly errorPolicyByProto: Map<string, Uint32Array>;

  constructor() {
    this.flowsByProto = new Map();
    this.dnsUdpErrors = { parser: 0 };
    this.dnsTcpErrors = { parser: 0 };
    this.txByProto = new Map();
    this.parserErrors = new Map();
    this.errorPolicy = new Uint32Array(STREAM_EXCEPTION_COUNTER_NAMES.length);
    this.errorPolicyByProto = new Map();
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
  /** Frame types the parsers record (frames.ts), or null to record none. */
  frameConfig: FrameConfig | null;
  /** StreamException value that `app-layer.error-policy` resolves to. */
  readonly errorPolicyAction: number;
  /**
   * Outcome of the error policy for the last `handlePacket` (a
   * StreamException for the pipeline to apply); NONE when no parser
   * reported an error.
   */
  errorAction: number;
  private readonly states: WeakMap<Flow, FlowAppState>;
  private readonly dnsPorts: DnsPorts;

  constructor(
    isInline: boolean,
    keepsFedData = false,
    httpConfig: HttpConfig = defaultHttpConfig(),
    disabled: ReadonlySet<string> = new Set(),
    dnsPorts: DnsPorts = DEFAULT_DNS_PORTS,
    errorPolicyAction: number = StreamException.IGNORE,
  ) {
    this.counters = new AppLayerCounters();
    this.errorPolicyAction = errorPolicyAction;
    this.errorAction = StreamException.NONE;
    this.isInline = isInline;
    this.keepsFedData = keepsFedData;
    this.httpConfig = httpConfig;
    this.disabled = disabled;
    this.frameConfig = null;
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
    this.errorAction = StreamException.NONE;
    if (flow === null) return null;
    if (p.ipProto === 17) return this.handleDatagram(p, flow);
    if (p.ipProto !== 6 || flow.tcp === null) return this.stateOf(flow);
    const reassembly = flow.tcp.reassembly;
    if (reassembly === null) return this.stateOf(flow);
    if (!reassembly.toServer.hasBase && !reassembly.toClient.hasBase) return this.stateOf(flow);
    const state = this.acquire(flow);
    if (state.proto === null && state.probeStatus[0] === ProbeStatus.FAILED && state.probeStatus[1] === ProbeStatus.FAILED) return null;
    // Suricata tells the parser that both streams ended once the session is
    // closed, with all the data they carried, so a message that ends with
    // the connection (an HTTP response without a length) completes on that
    // packet, not at the flow's end.
    const isClosed = flow.tcp.state === TcpState.CLOSED;
    const isAckBound = !this.isInline && !isClosed;
    this.feedStream(flow, state, reassembly.toServer, Direction.TO_SERVER, p.timestampUs, isAckBound);
    this.feedStream(flow, state, reassembly.toClient, Direction.TO_CLIENT, p.timestampUs, isAckBound);
    if (isClosed && state.parser !== null && !state.isEnded) {
      const doneToServer = countDone(state, Direction.TO_SERVER);
      const doneToClient = countDone(state, Direction.TO_CLIENT);
      this.endStreams(state);
      // A direction whose transactions the end completed waits for detection before they are dropped.
      if (countDone(state, Direction.TO_SERVER) > doneToServer) state.pendingInspect[Direction.TO_SERVER] = 1;
      if (countDone(state, Direction.TO_CLIENT) > doneToClient) state.pendingInspect[Direction.TO_CLIENT] = 1;
    }
    // Events of protocol detection belong to the packet whose data raised them.
    p.appLayerEvents |= state.newEvents;
    p.appProtoDetected |= state.newDetections;
    state.newEvents = 0;
    state.newDetections = 0;
    countTransactions(flow, state);
    return state.proto !== null ? state : null;
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
    if (state.frames !== null) state.frames.endFlow();
    if (!state.isEnded) this.endStreams(state);
    countTransactions(flow, state);
    return state;
  }

  /** Tells the parser that both directions ended. */
  private endStreams(state: FlowAppState): void {
    state.isEnded = true;
    const parser = state.parser as AppParserState;
    parser.handleEnd(Direction.TO_SERVER);
    parser.handleEnd(Direction.TO_CLIENT);
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
    if (state.proto === null) {
      this.setProto(flow, state, AppProto.DNS, new DnsState(false, DEFAULT_MAX_DNS_TRANSACTIONS, this.counters.dnsUdpErrors));
      p.appProtoDetected = (1 << Direction.TO_SERVER) | (1 << Direction.TO_CLIENT);
    }
    if (state.proto !== AppProto.DNS) return null;
    if (state.frames !== null) state.frames.beginChunk(p.direction, p.bytes, p.payloadOffset, p.payloadLength, 0);
    const dns = state.parser as DnsState;
    const errorsBefore = dns.counters.malformed;
    dns.handleData(p.direction, p.bytes, p.payloadOffset, p.payloadLength, p.timestampUs);
    // NOTE: unlike a TCP flow, a UDP flow goes on being parsed after an error.
    if (dns.counters.malformed > errorsBefore) this.onParserError(flow, state);
    this.countTransactions(state);
    if (this.keepsFedData) state.lastFedData[p.direction] = p.bytes.slice(p.payloadOffset, p.payloadOffset + p.payloadLength);
    state.pendingInspect[p.direction] = 1;
    countTransactions(flow, state);
    return state;
  }

  private setProto(flow: Flow, state: FlowAppState, proto: string, parser: AppParserState): void {
    state.proto = proto;
    state.parser = parser;
    flow.appProto = proto;
    // UDP DNS is detected by port, for both directions at once.
    if (flow.ipProto === IpProto.UDP) {
      flow.appProtoTs = proto;
      flow.appProtoTc = proto;
    }
    this.attachFrames(flow, state, proto, parser);
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

  /** Gives the flow and its parser a frame list when the run records frames of `proto`. */
  private attachFrames(flow: Flow, state: FlowAppState, proto: string, parser: AppParserState): void {
    const enabled = this.frameConfig !== null ? this.frameConfig.enabledTypes(proto) : null;
    if (enabled === null) return;
    state.frames = new FlowFrames(proto, flow.ipProto === IpProto.TCP, enabled);
    parser.frames = state.frames;
  }

  /**
   * Hands the contiguous bytes of one direction past `state.progress` to
   * the parser, and data the reassembler skipped (acknowledged but never
   * seen) as a gap. With `isAckBound` only acknowledged bytes go. While
   * the protocol is unknown, the bytes from the start of the direction go
   * to the probes instead.
   */
  private feedStream(flow: Flow, state: FlowAppState, stream: StreamDirectionState, direction: number, timestampUs: number, isAckBound: boolean): void {
    if (!stream.hasBase || state.hasParserError) return;
    const segments = stream.segments;
    let at = state.progress[direction] as number;
    if (state.proto === null) {
      if (!this.probeStream(flow, state, stream, direction)) return;
      at = state.progress[direction] as number;
    } else if (directionProto(flow, direction) === null) {
      this.probeOtherDirection(flow, state, stream, direction);
    }
    const parser = state.parser as AppParserState;
    const frames = state.frames;
    const dnsMessagesBefore = state.proto === AppProto.DNS ? (parser as DnsState).counters.messages : 0;
    const isHttp = state.proto === AppProto.HTTP;
    stream.hasMessageRequests = isHttp;
    const httpDoneBefore = isHttp ? countDone(state, direction) : 0;
    const startAt = at;
    const errorsBefore = parserErrorCount(state.proto as string, parser);
    // As Suricata's HTTP parser does, keep the minimal inspect size of the stream before the raw progress.
    if (parser instanceof HttpState) stream.minInspectDepth = direction === Direction.TO_SERVER ? this.httpConfig.requestMinInspect : this.httpConfig.responseMinInspect;
    if (at < segments.releasedBase) {
      if (frames !== null) frames.addGap(direction, segments.releasedBase - at);
      parser.handleGap(direction, segments.releasedBase - at);
      at = segments.releasedBase;
    }
    const limit = isAckBound ? stream.ackProgress : Number.MAX_SAFE_INTEGER;
    // Bounded: each round moves `at` forward to a record boundary or to the acknowledged end.
    for (let round = 0; round < 1024 && at < limit; round++) {
      const end = Math.min(segments.contiguousEnd(at), limit);
      if (end > at) {
        if (frames !== null) frames.beginChunk(direction, segments.data, at - segments.dataBase, end - at, at);
        parser.handleData(direction, segments.data, at - segments.dataBase, end - at, timestampUs);
        at = end;
        continue;
      }
      if (stream.ackProgress <= at) break;
      const next = segments.nextStart(at);
      const target = next >= 0 && next < stream.ackProgress ? next : stream.ackProgress;
      if (frames !== null) frames.addGap(direction, target - at);
      parser.handleGap(direction, target - at);
      at = target;
    }
    state.progress[direction] = at;
    if (parserErrorCount(state.proto as string, parser) > errorsBefore) {
      state.hasParserError = true;
      this.onParserError(flow, state);
    }
    // Suricata's DNS parser has the raw stream inspected after each message it completes.
    if (state.proto === AppProto.DNS && (parser as DnsState).counters.messages > dnsMessagesBefore) stream.isInspectionRequested = true;
    // So does its HTTP parser after each request and each response.
    if (isHttp && countDone(state, direction) > httpDoneBefore) stream.isInspectionRequested = true;
    if (at > startAt) {
      this.countTransactions(state);
      state.pendingInspect[direction] = 1;
      if (this.keepsFedData) state.lastFedData[direction] = copyRange(segments, Math.max(startAt, segments.releasedBase), at);
    }
  }

  /**
   * Counts a parser error of `flow` and applies `app-layer.error-policy`:
   * the outcome goes to `errorAction` for the pipeline, and the flow
   * records it for EVE `flow.exception_policy`.
   */
  private onParserError(flow: Flow, state: FlowAppState): void {
    const counters = this.counters;
    const name = state.statsName;
    counters.parserErrors.set(name, (counters.parserErrors.get(name) ?? 0) + 1);
    const action = this.errorPolicyAction;
    flow.noteExceptionPolicy('app_layer_error', STREAM_EXCEPTION_COUNTER_NAMES[action] as string);
    this.errorAction = action;
    if (action === StreamException.IGNORE) return;
    counters.errorPolicy[action]++;
    let byProto = counters.errorPolicyByProto.get(name);
    if (byProto === undefined) {
      byProto = new Uint32Array(STREAM_EXCEPTION_COUNTER_NAMES.length);
      counters.errorPolicyByProto.set(name, byProto);
    }
    byProto[action]++;
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
    const found = this.detect(flow, segments.data, 0 - segments.dataBase, end, direction);
    if (found.proto === null) {
      if (!found.needMore || end >= MAX_PROBE_BYTES) state.probeStatus[direction] = ProbeStatus.FAILED;
      return false;
    }
    this.setProto(flow, state, found.proto, createParser(found.proto, flow, this.httpConfig, this.counters));
    setDirectionProto(flow, direction, found.proto);
    state.newDetections |= 1 << direction;
    state.progress[0] = 0;
    state.progress[1] = 0;
    return true;
  }

  /**
   * Probes the first bytes of the second direction of a flow whose
   * protocol the first one set, as Suricata detects each direction. A
   * different protocol raises applayer_mismatch_protocol_both_directions,
   * and the flow keeps the first protocol and its parser. A direction that
   * matches nothing, or whose start is gone, takes the flow's protocol.
   */
  private probeOtherDirection(flow: Flow, state: FlowAppState, stream: StreamDirectionState, direction: number): void {
    const segments = stream.segments;
    const proto = state.proto as string;
    if (segments.releasedBase > 0 || state.probeStatus[direction] === ProbeStatus.FAILED) {
      setDirectionProto(flow, direction, proto);
      return;
    }
    const end = segments.contiguousEnd(0);
    if (end === 0) return;
    const found = this.detect(flow, segments.data, 0 - segments.dataBase, end, direction);
    if (found.proto === null) {
      if (found.needMore && end < MAX_PROBE_BYTES) return;
      setDirectionProto(flow, direction, proto);
      return;
    }
    setDirectionProto(flow, direction, found.proto);
    state.newDetections |= 1 << direction;
    if (found.proto !== proto) state.newEvents |= AppLayerEvent.MISMATCH_PROTOCOL_BOTH_DIRECTIONS;
  }

  /** Runs the probes on one direction's first `length` bytes. */
  private detect(flow: Flow, bytes: Uint8Array, start: number, length: number, direction: number): { proto: string | null; needMore: boolean } {
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
    if (proto !== null && this.disabled.has(proto)) return { proto: null, needMore: false };
    return { proto, needMore };
  }
}

/** Counts the transactions finished in `direction`. */
function countDone(state: FlowAppState, direction: number): number {
  const txs = state.transactions();
  let count = 0;
  for (let i = 0; i < txs.length; i++) {
    if (isTxDone(state.proto as string, txs[i] as AppTransaction, direction)) count++;
  }
  return count;
}

/** Returns the protocol detected in `direction` of the flow, or null. */
function directionProto(flow: Flow, direction: number): string | null {
  return direction === Direction.TO_SERVER ? flow.appProtoTs : flow.appProtoTc;
}

function setDirectionProto(flow: Flow, direction: number, proto: string): void {
  if (direction === Direction.TO_SERVER) flow.appProtoTs = proto;
  else flow.appProtoTc = proto;
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
 * Returns how many errors the parser of `proto` returned so far: TLS and
 * SSH directions that stopped on bytes of another protocol, DNS messages
 * that could not be parsed. Suricata's parsers return an error in these
 * cases, not for every app-layer event.
 * NOTE: the HTTP parser has no error state (every input becomes events),
 * so HTTP flows never start the error policy.
 */
function parserErrorCount(proto: string, parser: AppParserState): number {
  switch (proto) {
    case AppProto.TLS: return (parser as TlsState).counters.parserErrors;
    case AppProto.SSH: return (parser as SshState).counters.parserErrors;
    case AppProto.DNS: return (parser as DnsState).counters.malformed;
    default: return 0;
  }
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
