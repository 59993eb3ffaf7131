/**
 * TCP session tracking as Suricata's stream engine does it. It follows the
 * three-way handshake (the SYN's sender is the client) and the states
 * through FIN and RST. Per direction it keeps the next expected sequence
 * number, the highest ACK, the receive window with its scale and the last
 * timestamp.
 * Anomalies become stream events (stream-events.ts) on the session, reset
 * at the start of each packet, so detection and output read the events of
 * the packet being processed.
 *
 * State names follow Suricata, which names the close states from the
 * server's side: a FIN from the client moves the session to close_wait, a
 * FIN from the server to fin_wait1.
 *
 * Sequence numbers are unsigned 32-bit values compared in sequence space
 * (RFC 9293 section 3.4): `seqLt(a, b)` is true when a comes before b
 * within half the number space.
 */
import { ChecksumState, Direction, TcpFlag, type Packet } from '../core/packet.js';
import { StreamEvent } from './stream-events.js';
import type { TcpReassembly } from './reassembly.js';

/** Session states, numbered as Suricata numbers them (the reuse check compares them). */
export const TcpState = {
  NONE: 0,
  SYN_SENT: 1,
  SYN_RECV: 2,
  ESTABLISHED: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  LAST_ACK: 7,
  CLOSE_WAIT: 8,
  CLOSING: 9,
  CLOSED: 10,
} as const;

/** State names as EVE `tcp.state` writes them, by TcpState value. */
export const TCP_STATE_NAMES: readonly string[] = [
  'none',
  'syn_sent',
  'syn_recv',
  'established',
  'fin_wait1',
  'fin_wait2',
  'time_wait',
  'last_ack',
  'close_wait',
  'closing',
  'closed',
];

/** Results of `TcpSession.handlePacket`. */
export const TcpResult = {
  /** The packet was in sequence and updated the session. */
  ACCEPTED: 0,
  /** The packet did not change the session (invalid, out of window, no session). */
  REJECTED: 1,
} as const;

/** Largest window-scale shift; a larger option value is used as 14 (RFC 7323 section 2.3). */
export const TCP_MAX_WINDOW_SCALE = 14;

/**
 * Capacity of a session's queue of replaced SYN ISNs. A larger
 * stream.max-syn-queued acts as this value: later SYNs raise
 * 3whs_syn_flood.
 */
export const MAX_SYN_QUEUE = 64;

/** Most stream events recorded for one packet; later ones are dropped. */
export const MAX_STREAM_EVENTS_PER_PACKET = 8;

/** Largest receive window TCP can advertise: 65535 shifted by the largest window scale (RFC 7323 section 2.3). */
const MAX_SCALED_WINDOW_BYTES = 65535 * 2 ** TCP_MAX_WINDOW_SCALE;

/** Settings of the `stream` section that session tracking reads. */
export interface StreamConfig {
  /**
   * Pick up sessions whose handshake was not seen (`stream.midstream`,
   * default false). Without it such a flow never reaches established, so
   * `flow:established` rules do not match it.
   */
  midstream: boolean;
  /**
   * Track sessions of which only one direction is seen, as on a link with
   * asymmetric routing (`stream.async-oneside`, default false). The seen
   * side's data then counts as received, since no ACK for it will be seen.
   */
  asyncOneside: boolean;
  /** SYNs with a new sequence number accepted before 3whs_syn_flood (`stream.max-syn-queued`, default 10). */
  maxSynQueued: number;
  /** SYN/ACKs with a new seq or ack accepted before 3whs_synack_flood (`stream.max-synack-queued`, default 5). */
  maxSynAckQueued: number;
}

/** Returns the `stream` settings with Suricata 8's defaults. */
export function defaultStreamConfig(): StreamConfig {
  return { midstream: false, asyncOneside: false, maxSynQueued: 10, maxSynAckQueued: 5 };
}

/** True when sequence number a comes before b. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** True when sequence number a comes before b or equals it. */
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
/** True when sequence number a comes after b. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
/** True when sequence number a comes after b or equals it. */
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/**
 * Event raised, by state, when an ACK or data packet falls outside the
 * receive window, when a FIN does, and when the ACK number is invalid.
 * 0 where Suricata has no state-specific event.
 */
const ACK_WRONG_SEQ_EVENT: readonly number[] = [
  0, 0, 0,
  StreamEvent.EST_PACKET_OUT_OF_WINDOW,
  StreamEvent.FIN1_ACK_WRONG_SEQ,
  StreamEvent.FIN2_ACK_WRONG_SEQ,
  StreamEvent.TIMEWAIT_ACK_WRONG_SEQ,
  StreamEvent.LASTACK_ACK_WRONG_SEQ,
  StreamEvent.CLOSEWAIT_ACK_OUT_OF_WINDOW,
  StreamEvent.CLOSING_ACK_WRONG_SEQ,
  0,
];
const FIN_WRONG_SEQ_EVENT: readonly number[] = [
  0, 0, 0,
  StreamEvent.FIN_OUT_OF_WINDOW,
  StreamEvent.FIN1_FIN_WRONG_SEQ,
  StreamEvent.FIN2_FIN_WRONG_SEQ,
  StreamEvent.TIMEWAIT_ACK_WRONG_SEQ,
  StreamEvent.LASTACK_ACK_WRONG_SEQ,
  StreamEvent.CLOSEWAIT_FIN_OUT_OF_WINDOW,
  StreamEvent.CLOSING_ACK_WRONG_SEQ,
  0,
];
const INVALID_ACK_EVENT: readonly number[] = [
  0, 0, 0,
  StreamEvent.EST_INVALID_ACK,
  StreamEvent.FIN1_INVALID_ACK,
  StreamEvent.FIN2_INVALID_ACK,
  StreamEvent.TIMEWAIT_INVALID_ACK,
  StreamEvent.LASTACK_INVALID_ACK,
  StreamEvent.CLOSEWAIT_INVALID_ACK,
  StreamEvent.CLOSING_INVALID_ACK,
  0,
];

/**
 * Checks the TSecr of a server packet before the handshake completed: it
 * must echo the TSval of the client's SYN (RFC 7323 section 3.2), and be 0
 * when the SYN had no timestamp. A packet that echoes another value was
 * not sent in reply to this SYN, as with injected RST or FIN packets.
 */
function isSynSentEchoValid(p: Packet, client: TcpStreamState): boolean {
  if (!p.hasTcpTimestamp) return true;
  if (client.hasTimestampOption) {
    return client.lastTsVal === 0 || p.tcpTsEcr === 0 || p.tcpTsEcr === client.lastTsVal;
  }
  return p.tcpTsEcr === 0;
}

/** One direction of a session: the bytes that one side sends. */
export class TcpStreamState {
  /** Initial sequence number (the SYN's), or the estimate of a midstream pickup. */
  isn: number;
  /** Next sequence number expected from this side. */
  nextSeq: number;
  /** Highest ACK number the peer sent for this side's bytes. */
  lastAck: number;
  /** Receive window the peer advertised for this side's bytes, scaled, in bytes. */
  window: number;
  /** Right edge of that window: the highest sequence number this side may send. */
  nextWin: number;
  /** Window-scale shift this side announced (applies to the windows it sends). */
  windowScale: number;
  /** The SYN (or SYN/ACK) of this side carried the window-scale option. */
  hasWindowScaleOption: boolean;
  /** The SYN (or SYN/ACK) of this side carried the timestamp option. */
  hasTimestampOption: boolean;
  /** Latest TSval this side sent (RFC 7323), 0 before the first. */
  lastTsVal: number;
  /** OR of the TCP flags this side sent. */
  tcpFlags: number;
  /** This side sent a FIN. */
  hasFin: boolean;
  /** This side was sent a RST that the session accepted. */
  isRstReceived: boolean;
  /**
   * Maximum number of regions this side's stored stream data formed at
   * once (EVE flow `ts_max_regions` and `tc_max_regions`). Reassembly
   * raises it.
   */
  maxRegions: number;

  constructor() {
    this.isn = 0;
    this.nextSeq = 0;
    this.lastAck = 0;
    this.window = 0;
    this.nextWin = 0;
    this.windowScale = 0;
    this.hasWindowScaleOption = false;
    this.hasTimestampOption = false;
    this.lastTsVal = 0;
    this.tcpFlags = 0;
    this.hasFin = false;
    this.isRstReceived = false;
    this.maxRegions = 1;
  }

  reset(): void {
    this.isn = 0;
    this.nextSeq = 0;
    this.lastAck = 0;
    this.window = 0;
    this.nextWin = 0;
    this.windowScale = 0;
    this.hasWindowScaleOption = false;
    this.hasTimestampOption = false;
    this.lastTsVal = 0;
    this.tcpFlags = 0;
    this.hasFin = false;
    this.isRstReceived = false;
    this.maxRegions = 1;
  }
}

/**
 * TCP session state of one flow. The flow table owns one per pooled TCP
 * flow and calls `handlePacket` for every TCP packet of the flow.
 */
export class TcpSession {
  /** Session state (TcpState). */
  state: number;
  /** Data sent by the client (`toServer`) and by the server (`toClient`). */
  client: TcpStreamState;
  server: TcpStreamState;
  /** OR of the TCP flags of every packet the session processed (EVE `tcp.tcp_flags`). */
  tcpFlags: number;
  /** Both SYN and SYN/ACK carried timestamps, so every later packet is checked (RFC 7323 section 5). */
  hasTimestamps: boolean;
  /** The session was picked up without its handshake (`stream.midstream`). */
  isMidstream: boolean;
  /**
   * Only one direction of the session is seen (`stream.async-oneside`):
   * its data counts as acknowledged on arrival, and its ACK numbers,
   * which cover data never seen, are not checked.
   */
  isAsync: boolean;
  /** The session ended with an accepted RST. */
  isClosedByRst: boolean;
  /** State in which the last accepted RST arrived. Packets that suggest an injected RST are handled in it. */
  stateBeforeRst: number;
  /** The server replied to the client's SYN with a SYN of its own (4-way handshake). */
  isFourWay: boolean;
  /** ACK number of the SYN/ACK, for the resend checks. */
  synAckAck: number;
  /** SYNs and SYN/ACKs with new numbers seen during the handshake. */
  synQueued: number;
  /** ISNs of the SYNs that a later SYN replaced; `synQueued` are valid. */
  readonly synQueue: Uint32Array;
  synAckQueued: number;
  /**
   * Set by a midstream SYN/ACK pickup: the packet's sender is the server,
   * so the flow table swaps the flow's client and server.
   */
  needsFlowSwap: boolean;
  /**
   * The latest packet came while no session existed and would start one
   * without a handshake (a SYN/ACK, a FIN, or an ACK without SYN), so
   * `stream.midstream-policy` applies to it, whether or not
   * `stream.midstream` lets the session be picked up.
   */
  isMidstreamPacket: boolean;
  /** Stream events of the current packet (StreamEvent ids); `eventCount` are valid. */
  events: Uint16Array;
  eventCount: number;
  /** Session state before the latest `handlePacket`. */
  stateBefore: number;
  /** TcpResult of the latest `handlePacket`; reassembly stores data only of accepted packets. */
  lastResult: number;
  /**
   * Reassembly state, or null until the session carries data. The stream
   * reassembler takes it from its pool and returns it when the flow ends.
   */
  reassembly: TcpReassembly | null;

  constructor() {
    this.state = TcpState.NONE;
    this.client = new TcpStreamState();
    this.server = new TcpStreamState();
    this.tcpFlags = 0;
    this.hasTimestamps = false;
    this.isMidstream = false;
    this.isAsync = false;
    this.isClosedByRst = false;
    this.stateBeforeRst = TcpState.NONE;
    this.isFourWay = false;
    this.synAckAck = 0;
    this.synQueued = 0;
    this.synQueue = new Uint32Array(MAX_SYN_QUEUE);
    this.synAckQueued = 0;
    this.needsFlowSwap = false;
    this.isMidstreamPacket = false;
    this.events = new Uint16Array(MAX_STREAM_EVENTS_PER_PACKET);
    this.eventCount = 0;
    this.stateBefore = TcpState.NONE;
    this.lastResult = TcpResult.REJECTED;
    this.reassembly = null;
  }

  /** Clears the session so a pooled flow can carry a new connection. */
  reset(): void {
    this.state = TcpState.NONE;
    this.client.reset();
    this.server.reset();
    this.tcpFlags = 0;
    this.hasTimestamps = false;
    this.isMidstream = false;
    this.isAsync = false;
    this.isClosedByRst = false;
    this.stateBeforeRst = TcpState.NONE;
    this.isFourWay = false;
    this.synAckAck = 0;
    this.synQueued = 0;
    this.synAckQueued = 0;
    this.needsFlowSwap = false;
    this.isMidstreamPacket = false;
    this.eventCount = 0;
    this.stateBefore = TcpState.NONE;
    this.lastResult = TcpResult.REJECTED;
  }

  /** Tells whether the stream event `eventId` was raised by the current packet. */
  hasEvent(eventId: number): boolean {
    for (let i = 0; i < this.eventCount; i++) {
      if (this.events[i] === eventId) return true;
    }
    return false;
  }

  /**
   * Bytes seen in sequence space from the client (`toServer`) or the
   * server: next expected sequence number minus the ISN, so the SYN counts
   * one, as Suricata's `stream_size` reads it. 0 without a session.
   */
  streamSize(direction: number): number {
    if (this.state === TcpState.NONE) return 0;
    const side = direction === Direction.TO_SERVER ? this.client : this.server;
    return (side.nextSeq - side.isn) >>> 0;
  }

  /**
   * Updates the session with one TCP packet travelling in `direction`
   * (Direction, relative to the flow). Returns a TcpResult; the packet's
   * stream events are in `events` afterwards. A packet with an invalid TCP
   * checksum changes nothing.
   */
  handlePacket(p: Packet, direction: number, config: StreamConfig): number {
    this.eventCount = 0;
    this.needsFlowSwap = false;
    this.isMidstreamPacket = false;
    this.lastResult = TcpResult.REJECTED;
    this.stateBefore = this.state;
    if (p.l4Checksum === ChecksumState.INVALID) return TcpResult.REJECTED;

    const flags = p.tcpFlags;
    // An ACK number without the ACK flag: the field must be ignored (RFC 9293 section 3.1),
    // and a non-zero value points at broken middleboxes or crafted packets.
    if ((flags & TcpFlag.ACK) === 0 && p.tcpAck !== 0) this.addEvent(StreamEvent.PKT_BROKEN_ACK);

    let result: number;
    const state = this.state;
    if (state === TcpState.NONE) {
      result = this.handleNone(p, direction, config);
    } else if ((flags & (TcpFlag.SYN | TcpFlag.FIN)) === (TcpFlag.SYN | TcpFlag.FIN)) {
      this.addEvent(StreamEvent.FIN_SYN);
      result = TcpResult.REJECTED;
    } else if (!this.isTimestampValid(p, direction)) {
      this.addEvent(StreamEvent.PKT_INVALID_TIMESTAMP);
      result = TcpResult.REJECTED;
    } else if (state === TcpState.CLOSED) {
      result = this.handleClosed(p, direction, config);
    } else {
      result = this.dispatch(p, direction, config);
    }
    if (result === TcpResult.ACCEPTED && (flags & TcpFlag.RST) === 0) this.checkAfterRst(direction);

    if (this.state !== TcpState.NONE) {
      this.tcpFlags |= flags;
      const senderIsClient = (direction === Direction.TO_SERVER) !== this.needsFlowSwap;
      if (senderIsClient) this.client.tcpFlags |= flags;
      else this.server.tcpFlags |= flags;
    }
    this.lastResult = result;
    return result;
  }

  /** Runs the handler of the current state, which is neither none nor closed. */
  private dispatch(p: Packet, direction: number, config: StreamConfig): number {
    const state = this.state;
    if (state === TcpState.SYN_SENT) return this.handleSynSent(p, direction, config);
    if (state === TcpState.SYN_RECV) return this.handleSynRecv(p, direction, config);
    return this.handleEstablished(p, direction);
  }

  /**
   * Flags a RST as injected when its supposed sender keeps sending: the
   * first packet of that side after the RST raises suspected_rst_inject
   * and clears the RST, so the event fires once per RST.
   */
  private checkAfterRst(direction: number): void {
    const receiver = direction === Direction.TO_SERVER ? this.server : this.client;
    if (!receiver.isRstReceived) return;
    receiver.isRstReceived = false;
    this.isClosedByRst = false;
    this.addEvent(StreamEvent.SUSPECTED_RST_INJECT);
  }

  /** Records a stream event on the current packet; past MAX_STREAM_EVENTS_PER_PACKET it is dropped. */
  addEvent(eventId: number): void {
    if (this.eventCount < MAX_STREAM_EVENTS_PER_PACKET) {
      this.events[this.eventCount] = eventId;
      this.eventCount++;
    }
  }

  /** Handles a packet while no session exists: the first one of a flow, or any after it that set none up. */
  private handleNone(p: Packet, direction: number, config: StreamConfig): number {
    const flags = p.tcpFlags;
    if ((flags & TcpFlag.RST) !== 0) {
      this.addEvent(StreamEvent.RST_BUT_NO_SESSION);
      return TcpResult.REJECTED;
    }
    if ((flags & TcpFlag.FIN) !== 0) {
      this.isMidstreamPacket = true;
      if (!config.midstream || p.payloadLength === 0) {
        this.addEvent(StreamEvent.FIN_BUT_NO_SESSION);
        return TcpResult.REJECTED;
      }
      this.pickUpMidstream(p, direction);
      return this.handleEstablished(p, direction);
    }
    if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      this.isMidstreamPacket = true;
      // A SYN/ACK starts the server's half of a one-sided session too.
      if (!config.midstream && !config.asyncOneside) return TcpResult.REJECTED;
      this.pickUpSynAck(p, direction);
      return TcpResult.ACCEPTED;
    }
    if ((flags & TcpFlag.SYN) !== 0) {
      const sender = direction === Direction.TO_SERVER ? this.client : this.server;
      const receiver = direction === Direction.TO_SERVER ? this.server : this.client;
      this.state = TcpState.SYN_SENT;
      this.recordSyn(p, sender, receiver);
      return TcpResult.ACCEPTED;
    }
    if ((flags & TcpFlag.ACK) === 0) return TcpResult.REJECTED;
    this.isMidstreamPacket = true;
    if (config.midstream) {
      this.pickUpMidstream(p, direction);
      return this.handleEstablished(p, direction);
    }
    return TcpResult.REJECTED;
  }

  /** Stores the numbers and options of a SYN sent by `sender`. */
  private recordSyn(p: Packet, sender: TcpStreamState, receiver: TcpStreamState): void {
    sender.isn = p.tcpSeq;
    // Data on a SYN (TCP Fast Open, RFC 7413) follows the SYN's sequence number.
    sender.nextSeq = seqAdd(p.tcpSeq, 1 + p.payloadLength);
    sender.hasWindowScaleOption = p.tcpWindowScale >= 0;
    sender.windowScale = p.tcpWindowScale >= 0 ? Math.min(p.tcpWindowScale, TCP_MAX_WINDOW_SCALE) : 0;
    sender.hasTimestampOption = p.hasTcpTimestamp;
    sender.lastTsVal = p.hasTcpTimestamp ? p.tcpTsVal : 0;
    // The window field of a SYN is never scaled (RFC 7323 section 2.2).
    receiver.window = p.tcpWindow;
  }

  /**
   * Picks up a session from a data or ACK packet. The window scale is
   * unknown, so the largest shift is assumed, as Suricata does.
   */
  private pickUpMidstream(p: Packet, direction: number): void {
    const sender = direction === Direction.TO_SERVER ? this.client : this.server;
    const receiver = direction === Direction.TO_SERVER ? this.server : this.client;
    this.state = TcpState.ESTABLISHED;
    this.isMidstream = true;

    sender.isn = seqAdd(p.tcpSeq, -1);
    sender.nextSeq = p.tcpSeq;
    sender.lastAck = p.tcpSeq;
    receiver.isn = seqAdd(p.tcpAck, -1);
    receiver.nextSeq = p.tcpAck;
    receiver.lastAck = p.tcpAck;

    sender.windowScale = TCP_MAX_WINDOW_SCALE;
    receiver.windowScale = TCP_MAX_WINDOW_SCALE;
    receiver.window = p.tcpWindow * 2 ** TCP_MAX_WINDOW_SCALE;
    receiver.nextWin = seqAdd(receiver.lastAck, receiver.window);
    sender.window = receiver.window;
    sender.nextWin = seqAdd(sender.lastAck, sender.window);

    this.hasTimestamps = p.hasTcpTimestamp;
    sender.lastTsVal = p.hasTcpTimestamp ? p.tcpTsVal : 0;
  }

  /**
   * Picks up a session from a SYN/ACK: its sender is the server, so the
   * flow must be reversed (`needsFlowSwap`), and the session continues in
   * syn_recv.
   */
  private pickUpSynAck(p: Packet, direction: number): void {
    this.needsFlowSwap = direction === Direction.TO_SERVER;
    this.state = TcpState.SYN_RECV;
    this.isMidstream = true;
    const server = this.server;
    const client = this.client;

    server.isn = p.tcpSeq;
    server.nextSeq = seqAdd(p.tcpSeq, 1);
    server.lastAck = server.nextSeq;
    client.isn = seqAdd(p.tcpAck, -1);
    client.nextSeq = p.tcpAck;
    client.lastAck = p.tcpAck;
    this.synAckAck = p.tcpAck;

    server.hasWindowScaleOption = p.tcpWindowScale >= 0;
    server.windowScale = p.tcpWindowScale >= 0 ? Math.min(p.tcpWindowScale, TCP_MAX_WINDOW_SCALE) : 0;
    client.windowScale = p.tcpWindowScale >= 0 ? TCP_MAX_WINDOW_SCALE : 0;
    client.window = p.tcpWindow;
    client.nextWin = seqAdd(client.lastAck, client.window);

    this.hasTimestamps = p.hasTcpTimestamp;
    server.lastTsVal = p.hasTcpTimestamp ? p.tcpTsVal : 0;
  }

  /**
   * Establishes the session on a packet of the side that sent the SYN or
   * SYN/ACK, whose peer's reply was not seen. Its first packet must carry
   * the next sequence number. With `isAsync` (`stream.async-oneside`) the
   * session becomes one-sided.
   */
  private establishFromSender(p: Packet, direction: number, sender: TcpStreamState, isAsync: boolean): number {
    if (p.tcpSeq !== sender.nextSeq) {
      this.addEvent(StreamEvent.THREEWHS_ASYNC_WRONG_SEQ);
      return TcpResult.REJECTED;
    }
    this.isAsync = isAsync;
    this.state = TcpState.ESTABLISHED;
    // The unseen side's receive window is unknown, so the largest is assumed.
    sender.window = MAX_SCALED_WINDOW_BYTES;
    sender.lastAck = sender.nextSeq;
    sender.nextWin = seqAdd(sender.lastAck, sender.window);
    return this.handleEstablished(p, direction);
  }

  /** Handles a packet in syn_sent: the client sent a SYN, the server's SYN/ACK is due. */
  private handleSynSent(p: Packet, direction: number, config: StreamConfig): number {
    const flags = p.tcpFlags;
    const client = this.client;
    const server = this.server;

    if (direction === Direction.TO_CLIENT) {
      if (!isSynSentEchoValid(p, client)) {
        this.addEvent(StreamEvent.PKT_INVALID_TIMESTAMP);
        return TcpResult.REJECTED;
      }
      if ((flags & TcpFlag.RST) !== 0) {
        // In SYN-SENT a RST is acceptable only when it acknowledges the SYN (RFC 9293 section 3.10.7.3).
        if ((flags & TcpFlag.ACK) === 0 || p.tcpAck !== seqAdd(client.isn, 1)) {
          this.addEvent(StreamEvent.PKT_INVALID_ACK);
          this.addEvent(StreamEvent.RST_INVALID_ACK);
          return TcpResult.REJECTED;
        }
        this.closeByRst(client);
        return TcpResult.ACCEPTED;
      }
      if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
        this.recordServerSyn(p);
        return TcpResult.ACCEPTED;
      }
      if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) !== (TcpFlag.SYN | TcpFlag.ACK)) return TcpResult.REJECTED;
      // The SYN/ACK acknowledges the SYN and any data it carried. A server
      // that ignores Fast Open data acknowledges the SYN alone, and the
      // client sends the data again (RFC 7413 section 3).
      if (p.tcpAck !== client.nextSeq && p.tcpAck !== seqAdd(client.isn, 1)) {
        this.addEvent(StreamEvent.THREEWHS_SYNACK_WITH_WRONG_ACK);
        return TcpResult.REJECTED;
      }
      client.nextSeq = p.tcpAck;
      this.acceptSynAck(p);
      return TcpResult.ACCEPTED;
    }

    if ((flags & TcpFlag.RST) !== 0) {
      // Suricata closes on a client RST here only in the form seq = ISN,
      // window 0, ack = ISN + 1; any other is ignored.
      if (p.tcpSeq !== client.isn || p.tcpWindow !== 0 || p.tcpAck !== seqAdd(client.isn, 1)) return TcpResult.REJECTED;
      this.closeByRst(server);
      return TcpResult.ACCEPTED;
    }
    if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.ACK && config.asyncOneside) {
      // The SYN/ACK took another path: the client's ACK carries the server's numbers.
      server.isn = seqAdd(p.tcpAck, -1);
      server.nextSeq = p.tcpAck;
      server.lastAck = p.tcpAck;
      server.windowScale = client.hasWindowScaleOption ? TCP_MAX_WINDOW_SCALE : 0;
      return this.establishFromSender(p, direction, client, true);
    }
    if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      if (this.isFourWay) return this.acceptClientSynAck(p);
      this.addEvent(StreamEvent.THREEWHS_SYNACK_IN_WRONG_DIRECTION);
      return TcpResult.REJECTED;
    }
    if ((flags & TcpFlag.SYN) !== 0) {
      if (p.tcpSeq === client.isn) return TcpResult.ACCEPTED;
      // As in Suricata, a SYN with a new ISN replaces the session's SYN,
      // because the server most likely acknowledges the latest one. The
      // replaced ISN is queued once. A full queue (stream.max-syn-queued)
      // raises 3whs_syn_flood, and the new SYN still replaces the old one.
      this.queueSynIsn(client.isn, config.maxSynQueued);
      this.recordSyn(p, client, server);
      return TcpResult.ACCEPTED;
    }
    return TcpResult.REJECTED;
  }

  /** Queues the ISN of a replaced SYN unless it is queued already. A full queue raises 3whs_syn_flood. */
  private queueSynIsn(isn: number, maxQueued: number): void {
    const queue = this.synQueue;
    for (let i = 0; i < this.synQueued; i++) {
      if (queue[i] === isn) return;
    }
    if (this.synQueued >= maxQueued || this.synQueued >= queue.length) {
      this.addEvent(StreamEvent.THREEWHS_SYN_FLOOD);
      return;
    }
    queue[this.synQueued++] = isn;
  }

  /**
   * Stores a SYN from the server while the client's SYN is unanswered: a
   * simultaneous open or split handshake (RFC 9293 section 3.5, Suricata's
   * 4-way handshake). The client's SYN/ACK and the server's ACK follow.
   */
  private recordServerSyn(p: Packet): void {
    const client = this.client;
    const server = this.server;
    this.isFourWay = true;
    this.recordSyn(p, server, client);
    server.lastAck = server.nextSeq;
    client.lastAck = client.nextSeq;
    client.nextWin = seqAdd(client.lastAck, client.window);
    this.negotiateOptions();
  }

  /** Completes the client's half of a 4-way handshake with its SYN/ACK. */
  private acceptClientSynAck(p: Packet): number {
    const client = this.client;
    const server = this.server;
    if (p.tcpAck !== server.nextSeq) {
      this.addEvent(StreamEvent.FOURWHS_SYNACK_WITH_WRONG_ACK);
      return TcpResult.REJECTED;
    }
    if (p.tcpSeq !== client.isn) {
      this.addEvent(StreamEvent.FOURWHS_SYNACK_WITH_WRONG_SYN);
      return TcpResult.REJECTED;
    }
    this.state = TcpState.SYN_RECV;
    this.synAckAck = p.tcpAck;
    server.window = p.tcpWindow;
    server.nextWin = seqAdd(server.lastAck, server.window);
    return TcpResult.ACCEPTED;
  }

  /** Applies window scaling and timestamps once both sides sent their SYN (RFC 7323 sections 2.2, 3.2). */
  private negotiateOptions(): void {
    const client = this.client;
    const server = this.server;
    if (!client.hasWindowScaleOption || !server.hasWindowScaleOption) {
      client.windowScale = 0;
      server.windowScale = 0;
    }
    this.hasTimestamps = client.hasTimestampOption && server.hasTimestampOption;
  }

  /** Stores the server's SYN/ACK and negotiates window scaling and timestamps. */
  private acceptSynAck(p: Packet): void {
    const client = this.client;
    const server = this.server;
    this.state = TcpState.SYN_RECV;

    server.isn = p.tcpSeq;
    server.nextSeq = seqAdd(p.tcpSeq, 1);
    server.lastAck = server.nextSeq;
    client.lastAck = p.tcpAck;
    this.synAckAck = p.tcpAck;

    // Scaling is in effect only when both sides sent the option (RFC 7323 section 2.2).
    server.hasWindowScaleOption = p.tcpWindowScale >= 0;
    if (client.hasWindowScaleOption && server.hasWindowScaleOption) {
      server.windowScale = Math.min(p.tcpWindowScale, TCP_MAX_WINDOW_SCALE);
    } else {
      client.windowScale = 0;
      server.windowScale = 0;
    }
    client.window = p.tcpWindow;
    client.nextWin = seqAdd(client.lastAck, client.window);
    server.nextWin = seqAdd(server.lastAck, server.window);

    // Timestamps are in use only when both SYN and SYN/ACK carried them (RFC 7323 section 3.2).
    server.hasTimestampOption = p.hasTcpTimestamp;
    this.hasTimestamps = client.hasTimestampOption && p.hasTcpTimestamp;
    server.lastTsVal = p.hasTcpTimestamp ? p.tcpTsVal : 0;
  }

  /** SYN and SYN/ACK seen; waiting for the client's ACK. */
  private handleSynRecv(p: Packet, direction: number, config: StreamConfig): number {
    const flags = p.tcpFlags;
    const client = this.client;
    const server = this.server;
    if ((flags & TcpFlag.RST) !== 0) return this.handleRst(p, direction);

    if (direction === Direction.TO_CLIENT && this.isFourWay && (flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.ACK) {
      // The server's ACK of the client's SYN/ACK ends a 4-way handshake.
      if (p.tcpSeq !== server.nextSeq) {
        this.addEvent(StreamEvent.FOURWHS_WRONG_SEQ);
        return TcpResult.REJECTED;
      }
      if (!this.isAckValid(p.tcpAck, client)) {
        this.addEvent(StreamEvent.FOURWHS_INVALID_ACK);
        return TcpResult.REJECTED;
      }
      this.state = TcpState.ESTABLISHED;
      return this.handleEstablished(p, direction);
    }
    if (direction === Direction.TO_CLIENT) {
      if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
        if (p.tcpSeq === server.isn && p.tcpAck === this.synAckAck) return TcpResult.ACCEPTED;
        this.addEvent(
          p.tcpSeq !== server.isn
            ? StreamEvent.THREEWHS_SYNACK_RESEND_WITH_DIFF_SEQ
            : StreamEvent.THREEWHS_SYNACK_RESEND_WITH_DIFFERENT_ACK,
        );
        this.synAckQueued++;
        if (this.synAckQueued > config.maxSynAckQueued) this.addEvent(StreamEvent.THREEWHS_SYNACK_FLOOD);
        return TcpResult.REJECTED;
      }
      if ((flags & TcpFlag.SYN) !== 0) {
        this.addEvent(StreamEvent.THREEWHS_SYN_TOCLIENT_ON_SYN_RECV);
        return TcpResult.REJECTED;
      }
      // After a midstream SYN/ACK pickup the server may go on sending: the
      // client's ACK was missed or takes another path.
      if ((flags & TcpFlag.ACK) !== 0 && (config.asyncOneside || this.isMidstream)) {
        return this.establishFromSender(p, direction, server, config.asyncOneside);
      }
      if ((flags & TcpFlag.ACK) !== 0) this.addEvent(StreamEvent.THREEWHS_ACK_IN_WRONG_DIR);
      return TcpResult.REJECTED;
    }

    if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      this.addEvent(StreamEvent.THREEWHS_SYNACK_TOSERVER_ON_SYN_RECV);
      return TcpResult.REJECTED;
    }
    if ((flags & TcpFlag.SYN) !== 0) {
      if (p.tcpSeq === client.isn) return TcpResult.ACCEPTED;
      this.addEvent(StreamEvent.THREEWHS_SYN_RESEND_DIFF_SEQ_ON_SYN_RECV);
      return TcpResult.REJECTED;
    }
    if ((flags & TcpFlag.ACK) === 0) return TcpResult.REJECTED;

    // The third packet must carry the next client sequence number and
    // acknowledge the server's SYN (RFC 9293 section 3.5).
    if (p.tcpSeq === client.nextSeq && p.tcpAck === server.nextSeq) {
      this.state = TcpState.ESTABLISHED;
      return this.handleEstablished(p, direction);
    }
    if (p.tcpSeq === client.nextSeq) {
      this.addEvent(StreamEvent.THREEWHS_RIGHT_SEQ_WRONG_ACK_EVASION);
    } else {
      this.addEvent(StreamEvent.THREEWHS_WRONG_SEQ_WRONG_ACK);
    }
    return TcpResult.REJECTED;
  }

  /** Handles a packet in established or one of the close states after it (all but closed). */
  private handleEstablished(p: Packet, direction: number): number {
    const flags = p.tcpFlags;
    const state = this.state;
    if ((flags & TcpFlag.SYN) !== 0) return this.handleSynAfterHandshake(p, direction);
    if ((flags & TcpFlag.RST) !== 0) return this.handleRst(p, direction);
    if ((flags & TcpFlag.ACK) === 0) return TcpResult.REJECTED;

    const sender = direction === Direction.TO_SERVER ? this.client : this.server;
    const receiver = direction === Direction.TO_SERVER ? this.server : this.client;
    const isFin = (flags & TcpFlag.FIN) !== 0;
    const seqEnd = seqAdd(p.tcpSeq, p.payloadLength);

    // A keep-alive (RFC 9293 section 3.8.4) repeats the byte before the next
    // sequence number: no retransmission, and nothing changes.
    if (!isFin && p.payloadLength <= 1 && p.tcpSeq === seqAdd(sender.nextSeq, -1) && p.tcpAck === receiver.lastAck) {
      return TcpResult.ACCEPTED;
    }
    // A zero-window probe sends one byte past a closed window (RFC 9293
    // section 3.8.6.1). The receiver may drop it, so it does not move the stream.
    if (sender.window === 0 && p.payloadLength === 1 && p.tcpSeq === sender.nextSeq && p.tcpAck === receiver.lastAck) {
      return TcpResult.ACCEPTED;
    }
    if (!isFin && this.isBadWindowUpdate(p, sender, receiver)) {
      this.addEvent(StreamEvent.PKT_BAD_WINDOW_UPDATE);
      return TcpResult.REJECTED;
    }
    if (!this.isAsync && !this.isAckValid(p.tcpAck, receiver)) {
      this.addEvent(StreamEvent.PKT_INVALID_ACK);
      this.addEvent(isFin && state === TcpState.ESTABLISHED ? StreamEvent.FIN_INVALID_ACK : INVALID_ACK_EVENT[state]);
      return TcpResult.REJECTED;
    }

    if (isFin && sender.hasFin && seqAdd(seqEnd, 1) === sender.nextSeq) {
      this.addEvent(StreamEvent.PKT_RETRANSMISSION);
      return TcpResult.REJECTED;
    }
    if (p.payloadLength > 0 && seqLeq(seqEnd, sender.nextSeq)) {
      this.addEvent(StreamEvent.PKT_RETRANSMISSION);
      if (seqLeq(seqEnd, sender.lastAck)) {
        // Data the receiver acknowledged already: a spurious retransmission.
        this.addEvent(StreamEvent.PKT_SPURIOUS_RETRANSMISSION);
        if (state === TcpState.ESTABLISHED) this.addEvent(StreamEvent.EST_PKT_BEFORE_LAST_ACK);
        else if (state === TcpState.CLOSE_WAIT) this.addEvent(StreamEvent.CLOSEWAIT_PKT_BEFORE_LAST_ACK);
        return TcpResult.REJECTED;
      }
    }
    // Data must end within the window the receiver advertised (RFC 9293 section 3.10.7.4).
    if (seqGt(seqEnd, sender.nextWin)) {
      this.addEvent(isFin ? FIN_WRONG_SEQ_EVENT[state] : ACK_WRONG_SEQ_EVENT[state]);
      return TcpResult.REJECTED;
    }

    this.updateAfterAccept(p, sender, receiver, seqEnd);
    if (isFin) {
      sender.hasFin = true;
      const finEnd = seqAdd(seqEnd, 1);
      if (seqGt(finEnd, sender.nextSeq)) sender.nextSeq = finEnd;
    }
    // No ACK from the unseen side will come: its data counts as received.
    if (this.isAsync && seqGt(sender.nextSeq, sender.lastAck)) {
      sender.lastAck = sender.nextSeq;
      sender.nextWin = seqAdd(sender.lastAck, sender.window);
    }
    this.advanceCloseState(direction, isFin, p.tcpAck, receiver);
    return TcpResult.ACCEPTED;
  }

  /** Moves the ACK, window, next sequence number and timestamp forward after an accepted packet. */
  private updateAfterAccept(p: Packet, sender: TcpStreamState, receiver: TcpStreamState, seqEnd: number): void {
    if (seqGt(p.tcpAck, receiver.lastAck)) receiver.lastAck = p.tcpAck;
    receiver.window = p.tcpWindow * 2 ** sender.windowScale;
    const nextWin = seqAdd(receiver.lastAck, receiver.window);
    if (seqGt(nextWin, receiver.nextWin)) receiver.nextWin = nextWin;
    if (seqGt(seqEnd, sender.nextSeq)) sender.nextSeq = seqEnd;
    if (p.hasTcpTimestamp && seqGt(p.tcpTsVal, sender.lastTsVal)) sender.lastTsVal = p.tcpTsVal;
  }

  /**
   * Applies the close transitions, with states named from the server's
   * side as Suricata names them.
   */
  private advanceCloseState(direction: number, isFin: boolean, ack: number, receiver: TcpStreamState): void {
    const acksPeerFin = receiver.hasFin && seqGeq(ack, receiver.nextSeq);
    const fromClient = direction === Direction.TO_SERVER;
    switch (this.state) {
      case TcpState.ESTABLISHED:
        if (isFin) this.state = fromClient ? TcpState.CLOSE_WAIT : TcpState.FIN_WAIT1;
        break;
      case TcpState.FIN_WAIT1:
        if (!fromClient) break;
        if (isFin) this.state = acksPeerFin ? TcpState.TIME_WAIT : TcpState.CLOSING;
        else if (acksPeerFin) this.state = TcpState.FIN_WAIT2;
        break;
      case TcpState.FIN_WAIT2:
        if (fromClient && isFin) this.state = TcpState.TIME_WAIT;
        break;
      case TcpState.CLOSE_WAIT:
        if (!fromClient && isFin) this.state = TcpState.LAST_ACK;
        break;
      case TcpState.CLOSING:
        if (acksPeerFin) this.state = TcpState.TIME_WAIT;
        break;
      case TcpState.LAST_ACK:
      case TcpState.TIME_WAIT:
        if (acksPeerFin) this.state = TcpState.CLOSED;
        break;
    }
  }

  /** Classifies a SYN or SYN/ACK after the handshake: a resend, or one in the wrong direction. */
  private handleSynAfterHandshake(p: Packet, direction: number): number {
    if (this.state !== TcpState.ESTABLISHED) {
      this.addEvent(StreamEvent.SHUTDOWN_SYN_RESEND);
      return TcpResult.REJECTED;
    }
    const isSynAck = (p.tcpFlags & TcpFlag.ACK) !== 0;
    let eventId: number;
    if (isSynAck) {
      if (direction === Direction.TO_SERVER) eventId = StreamEvent.EST_SYNACK_TOSERVER;
      else if (p.tcpSeq !== this.server.isn) eventId = StreamEvent.EST_SYNACK_RESEND_WITH_DIFF_SEQ;
      else if (p.tcpAck !== this.synAckAck) eventId = StreamEvent.EST_SYNACK_RESEND_WITH_DIFFERENT_ACK;
      else eventId = StreamEvent.EST_SYNACK_RESEND;
    } else {
      if (direction === Direction.TO_CLIENT) eventId = StreamEvent.EST_SYN_TOCLIENT;
      else if (p.tcpSeq !== this.client.isn) eventId = StreamEvent.EST_SYN_RESEND_DIFF_SEQ;
      else eventId = StreamEvent.EST_SYN_RESEND;
    }
    this.addEvent(eventId);
    return TcpResult.REJECTED;
  }

  /**
   * Accepts a RST whose sequence number is exactly the next expected one
   * (the BSD policy, which is Suricata's default, and the only RST that
   * RFC 5961 section 3.2 acts on) and whose ACK, when present, is valid.
   */
  private handleRst(p: Packet, direction: number): number {
    const sender = direction === Direction.TO_SERVER ? this.client : this.server;
    const receiver = direction === Direction.TO_SERVER ? this.server : this.client;
    if ((p.tcpFlags & TcpFlag.ACK) !== 0 && p.tcpAck !== 0 && !this.isAckValid(p.tcpAck, receiver)) {
      this.addEvent(StreamEvent.PKT_INVALID_ACK);
      this.addEvent(StreamEvent.RST_INVALID_ACK);
      return TcpResult.REJECTED;
    }
    if (p.tcpSeq !== sender.nextSeq) return TcpResult.REJECTED;
    this.closeByRst(receiver);
    return TcpResult.ACCEPTED;
  }

  private closeByRst(receiver: TcpStreamState): void {
    this.stateBeforeRst = this.state;
    this.state = TcpState.CLOSED;
    this.isClosedByRst = true;
    receiver.isRstReceived = true;
  }

  /**
   * Handles a packet in closed. After a RST, a packet from the RST's
   * supposed sender to its receiver shows that the sender is still
   * sending. A third party may have injected the RST, or the receiver
   * rejected it for a bad MD5 or TCP-AO signature (RFC 2385, RFC 5925).
   * Such a packet is handled in the state the session had before the RST,
   * so its data is still reassembled and inspected. The state stays closed
   * unless that handling moves it on. Any other packet changes nothing.
   */
  private handleClosed(p: Packet, direction: number, config: StreamConfig): number {
    if ((p.tcpFlags & TcpFlag.RST) !== 0) return TcpResult.REJECTED;
    const sender = direction === Direction.TO_SERVER ? this.client : this.server;
    const receiver = direction === Direction.TO_SERVER ? this.server : this.client;
    const previous = this.stateBeforeRst;
    if (sender.isRstReceived || !receiver.isRstReceived || previous === TcpState.NONE || previous === TcpState.CLOSED) {
      this.checkAfterRst(direction);
      return TcpResult.REJECTED;
    }
    this.state = previous;
    const result = this.dispatch(p, direction, config);
    if (this.state === previous) this.state = TcpState.CLOSED;
    return result;
  }

  /**
   * Detects a window update that shrinks the receive window by more than
   * the ACK moved forward, sent with sequence and ACK numbers ahead of
   * anything seen, as Suricata checks it. RFC 9293 section 3.8.6 advises
   * against shrinking the window, and such a packet could make a
   * monitor drop data the receiver still accepts. Small windows (1024
   * bytes or less) get no slack, larger ones 32 bytes.
   */
  private isBadWindowUpdate(p: Packet, sender: TcpStreamState, receiver: TcpStreamState): boolean {
    const window = p.tcpWindow * 2 ** sender.windowScale;
    if (window >= receiver.window) return false;
    const shrinkBytes = receiver.window - window;
    if (shrinkBytes <= p.payloadLength) return false;
    if (!seqGt(p.tcpAck, receiver.nextSeq) || !seqGt(p.tcpSeq, sender.nextSeq)) return false;
    const ackAdvance = (p.tcpAck - receiver.lastAck) >>> 0;
    return window > 1024 ? shrinkBytes > ackAdvance + 32 : shrinkBytes > ackAdvance;
  }

  /**
   * Checks an ACK number against the stream it acknowledges: it may repeat
   * the last ACK, move forward up to the right edge of the window, or go
   * back by at most one window.
   */
  private isAckValid(ack: number, acked: TcpStreamState): boolean {
    if (ack === acked.lastAck) return true;
    if (seqGt(ack, acked.lastAck)) return seqLeq(ack, acked.nextWin);
    return acked.window === 0 || seqGeq(ack, seqAdd(acked.lastAck, -acked.window));
  }

  /**
   * Checks the timestamp option once both sides negotiated it: TSval must
   * not go back (PAWS, RFC 7323 section 5.3). A RST is not checked.
   */
  private isTimestampValid(p: Packet, direction: number): boolean {
    if (!this.hasTimestamps || !p.hasTcpTimestamp || (p.tcpFlags & TcpFlag.RST) !== 0) return true;
    const sender = direction === Direction.TO_SERVER ? this.client : this.server;
    if (sender.lastTsVal === 0) return true;
    return seqGeq(p.tcpTsVal, sender.lastTsVal);
  }
}

/**
 * Tells whether the packet just processed belongs to an established
 * session for `flow:established`. Suricata decides this from the session
 * state before the stream engine processes the packet: established or any
 * state after it, the close states and closed included. So the packets
 * that close a session (the FINs, the last ACK, an accepted RST) still
 * count as established, and the handshake's ACK does not.
 */
export function wasEstablishedBefore(session: TcpSession): boolean {
  const state = session.stateBefore;
  return state >= TcpState.ESTABLISHED;
}
