/**
 * The flow table: finds or creates the flow of each packet, keeps its
 * counters and TCP session, and ends flows on timeout, TCP reuse, memory
 * pressure and at the end of the capture.
 *
 * Layout: a bucket array of slot indexes (chained through `slotNext`), and
 * per slot the key words, hash and side of the client in typed arrays.
 * Flow objects and TCP sessions are pooled. A lookup builds the key in a
 * scratch array and allocates nothing.
 *
 * Time is capture time. Timeouts compare packet timestamps, a found flow
 * is checked for timeout before use, and handlePacket scans the table for
 * expired flows when a packet starts a new capture second.
 */
import { Direction, IpProto, TcpFlag, ChecksumState, type Packet } from '../core/packet.js';
import { STREAM_EVENT_ID_LIMIT } from '../stream/stream-events.js';
import { TcpSession, TcpState, TCP_STATE_NAMES } from '../stream/tcp-session.js';
import { Flow, FlowEndReason, FlowState } from './flow.js';
import { ExceptionAction, resolveMemcapAction, resolveMidstreamAction, type FlowConfig, type FlowTimeouts } from './flow-config.js';
import { STREAM_EXCEPTION_COUNTER_NAMES, StreamException } from '../stream/reassembly.js';
import { hashKey, KEY_WORDS, writeIcmpErrorKey, writePacketKey } from './flow-key.js';

/**
 * Bytes counted against `flow.memcap` for each flow. An estimate: the
 * Flow object with its address arrays, the slot's typed-array entries and
 * a share of the TCP session. Suricata counts its C structure the same way.
 */
export const FLOW_BYTES_ESTIMATE = 320;

/** Bytes counted against `flow.memcap` for each hash bucket (an estimate). */
export const HASH_BUCKET_BYTES_ESTIMATE = 16;

/**
 * Buckets examined for a flow to evict when the memcap is reached, as
 * Suricata's "get used" step does before the memcap policy applies.
 */
const GET_USED_MAX_TRIES = 5;

/**
 * A flow idle for at most this many seconds, by state, is never evicted
 * under memory pressure: new 1, established 5, closed 3.
 */
const STILL_ALIVE_S: readonly number[] = [1, 5, 3];

const US_PER_S = 1_000_000;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_48 = 2 ** 48;

/** Counters of the flow table and of TCP session tracking, as stats names them. */
export class FlowCounters {
  /** flow.total: flows created. */
  created: number;
  /** flow.active: flows in the table now. */
  active: number;
  /** Flows ended by timeout. */
  timedOut: number;
  /** flow.memcap: packets that needed a flow while the memcap was reached. */
  memcapHits: number;
  /** flow.tcp, flow.udp, flow.icmpv4, flow.icmpv6: flows created per protocol. */
  tcp: number;
  udp: number;
  icmpv4: number;
  icmpv6: number;
  /** flow.tcp_reuse. */
  tcpReuse: number;
  /** flow.get_used: flows evicted to make room; flow.get_used_failed: no flow could be evicted. */
  getUsed: number;
  getUsedFailed: number;
  /** flow.emerg_mode_entered, flow.emerg_mode_over. */
  emergencyEntered: number;
  emergencyOver: number;
  /** flow.memcap_exception_policy.<policy>, indexed by ExceptionAction. */
  memcapPolicy: Uint32Array;
  /** tcp.sessions, tcp.syn, tcp.synack, tcp.rst, tcp.invalid_checksum, tcp.midstream_pickups. */
  tcpSessions: number;
  tcpSyn: number;
  tcpSynAck: number;
  tcpRst: number;
  tcpInvalidChecksum: number;
  tcpMidstreamPickups: number;
  /** tcp.midstream_exception_policy.<policy>: packets the midstream policy acted on, by StreamException value. */
  midstreamPolicy: Uint32Array;
  /** stream.<event name>, indexed by StreamEvent id. */
  streamEvents: Uint32Array;
  /** flow.end.state.<name> by FlowState, and flow.end.tcp_state.<name> by TcpState, of ended flows. */
  endStates: Uint32Array;
  endTcpStates: Uint32Array;

  constructor() {
    this.created = 0;
    this.active = 0;
    this.timedOut = 0;
    this.memcapHits = 0;
    this.tcp = 0;
    this.udp = 0;
    this.icmpv4 = 0;
    this.icmpv6 = 0;
    this.tcpReuse = 0;
    this.getUsed = 0;
    this.getUsedFailed = 0;
    this.emergencyEntered = 0;
    this.emergencyOver = 0;
    this.memcapPolicy = new Uint32Array(6);
    this.tcpSessions = 0;
    this.tcpSyn = 0;
    this.tcpSynAck = 0;
    this.tcpRst = 0;
    this.tcpInvalidChecksum = 0;
    this.tcpMidstreamPickups = 0;
    this.midstreamPolicy = new Uint32Array(STREAM_EXCEPTION_COUNTER_NAMES.length);
    this.streamEvents = new Uint32Array(STREAM_EVENT_ID_LIMIT);
    this.endStates = new Uint32Array(3);
    this.endTcpStates = new Uint32Array(TCP_STATE_NAMES.length);
  }
}

/** Bidirectional flow table keyed by the 5-tuple plus VLAN ids. */
export class FlowTable {
  readonly config: FlowConfig;
  readonly counters: FlowCounters;
  /**
   * Outcome of the memcap policy for the last packet given to
   * `handlePacket` (ExceptionAction); NONE when the packet got a flow.
   */
  exceptionAction: number;
  /**
   * Outcome of `stream.midstream-policy` for the last packet (a
   * StreamException for the pipeline to apply); NONE unless the packet
   * would have started a TCP session without a handshake.
   */
  midstreamAction: number;
  /** StreamException value that `stream.midstream-policy` resolves to. */
  readonly midstreamPolicyAction: number;
  /** True while the memcap is reached: emergency timeouts apply. */
  isEmergency: boolean;

  private readonly onFlowEnd: (flow: Flow) => void;
  private readonly hashSize: number;
  private readonly buckets: Int32Array;
  /** Maximum number of flows that fit in the memcap beside the buckets. */
  private readonly maxFlows: number;
  private readonly memcapAction: number;

  private capacity: number;
  private keys: Uint32Array;
  private slotHash: Uint32Array;
  private slotNext: Int32Array;
  private slotClientIsLower: Uint8Array;
  private flows: (Flow | null)[];
  private freeSlots: Int32Array;
  private freeCount: number;

  private readonly spareFlows: Flow[];
  private readonly spareSessions: TcpSession[];
  /** Flow objects allocated: in the table plus spare. */
  private allocatedFlows: number;
  /** Most flow objects allocated at any time since the start. */
  private peakAllocatedFlows: number;

  private readonly scratchKey: Uint32Array;
  private lastExpireS: number;
  private lastEmergencyExpireS: number;
  private getUsedCursor: number;

  constructor(config: FlowConfig, onFlowEnd: (flow: Flow) => void) {
    this.config = config;
    this.counters = new FlowCounters();
    this.exceptionAction = ExceptionAction.NONE;
    this.midstreamAction = StreamException.NONE;
    this.midstreamPolicyAction = resolveMidstreamAction(config.midstreamPolicy, config.isIps, config.stream.midstream);
    this.isEmergency = false;
    this.onFlowEnd = onFlowEnd;

    this.hashSize = Math.max(1, Math.floor(config.hashSize));
    this.buckets = new Int32Array(this.hashSize).fill(-1);
    const flowBytes = config.memcapBytes - this.hashSize * HASH_BUCKET_BYTES_ESTIMATE;
    this.maxFlows = Math.max(0, Math.floor(flowBytes / FLOW_BYTES_ESTIMATE));
    this.memcapAction = resolveMemcapAction(config.memcapPolicy, config.isIps);

    this.capacity = 0;
    this.keys = new Uint32Array(0);
    this.slotHash = new Uint32Array(0);
    this.slotNext = new Int32Array(0);
    this.slotClientIsLower = new Uint8Array(0);
    this.flows = [];
    this.freeSlots = new Int32Array(0);
    this.freeCount = 0;
    this.growSlots(Math.min(this.maxFlows, Math.max(1024, config.prealloc)));

    this.spareFlows = [];
    this.spareSessions = [];
    const prealloc = Math.min(config.prealloc, this.maxFlows);
    for (let i = 0; i < prealloc; i++) this.spareFlows.push(new Flow());
    this.allocatedFlows = prealloc;
    this.peakAllocatedFlows = prealloc;

    this.scratchKey = new Uint32Array(KEY_WORDS);
    this.lastExpireS = -1;
    this.lastEmergencyExpireS = -1;
    this.getUsedCursor = 0;
  }

  /** Flows allocated and waiting for reuse (flow.spare). */
  get spareCount(): number {
    return this.spareFlows.length;
  }

  /** Bytes counted against `flow.memcap` now (flow.memuse). */
  get memuseBytes(): number {
    return this.hashSize * HASH_BUCKET_BYTES_ESTIMATE + this.allocatedFlows * FLOW_BYTES_ESTIMATE;
  }

  /** Most bytes counted against `flow.memcap` at any time since the start. */
  get peakMemuseBytes(): number {
    return this.hashSize * HASH_BUCKET_BYTES_ESTIMATE + this.peakAllocatedFlows * FLOW_BYTES_ESTIMATE;
  }

  /**
   * Finds or creates the flow of `p`, sets `p.direction`, updates the
   * counters and, for TCP, the session. Returns null for packets that have
   * no flow (not IP, an IP fragment before reassembly, or a packet whose
   * decoding stopped on an invalid header) and when the memcap leaves no
   * room. In that case `exceptionAction` contains the outcome of the
   * memcap policy.
   */
  handlePacket(p: Packet): Flow | null {
    this.exceptionAction = ExceptionAction.NONE;
    this.midstreamAction = StreamException.NONE;
    if ((p.ipVersion !== 4 && p.ipVersion !== 6) || p.isFragment || p.isInvalid) return null;

    const nowUs = p.timestampUs;
    this.advanceClock(nowUs);

    const key = this.scratchKey;
    let isIcmpError = false;
    let slot = -1;
    if (writeIcmpErrorKey(p, key) >= 0) {
      slot = this.findSlot(key, hashKey(key, 0));
      if (slot >= 0 && this.isTimedOut(this.flows[slot] as Flow, nowUs)) {
        this.endFlow(slot, FlowEndReason.TIMEOUT);
        slot = -1;
      }
      isIcmpError = slot >= 0;
    }
    let isSrcLower = false;
    if (!isIcmpError) {
      isSrcLower = writePacketKey(p, key);
      const hash = hashKey(key, 0);
      slot = this.findSlot(key, hash);
      if (slot >= 0) slot = this.checkExisting(slot, p, isSrcLower, nowUs);
      if (slot < 0) slot = this.createFlow(p, key, hash, isSrcLower, nowUs);
      if (slot < 0) return null;
    }

    const flow = this.flows[slot] as Flow;
    const direction = isIcmpError
      ? directionByAddress(flow, p)
      : (isSrcLower ? 1 : 0) === this.slotClientIsLower[slot] ? Direction.TO_SERVER : Direction.TO_CLIENT;
    p.direction = direction;
    this.updateCounters(flow, p, direction, nowUs);

    if (flow.tcp !== null) {
      // An ICMP error joined to a TCP flow counts as a packet but leaves the
      // session alone, and so do packets of a flow dropped in IPS mode. The
      // session's events always belong to the current packet.
      if (p.ipProto === IpProto.TCP && !flow.isDropped) this.updateTcp(flow, flow.tcp, p, direction, slot);
      else flow.tcp.eventCount = 0;
    } else if (flow.state === FlowState.NEW && flow.pktsToServer > 0 && flow.pktsToClient > 0) {
      flow.state = FlowState.ESTABLISHED;
    }
    return flow;
  }

  /**
   * Moves capture time to `nowUs`: when it starts a new second, ends the
   * flows that timed out. handlePacket calls it for every packet; a worker
   * thread also calls it when another worker's packet starts a second, so
   * flows time out at the same moments whichever worker holds them.
   */
  advanceClock(nowUs: number): void {
    const nowS = Math.floor(nowUs / US_PER_S);
    if (nowS > this.lastExpireS) {
      if (this.lastExpireS >= 0) this.expire(nowUs);
      this.lastExpireS = nowS;
    }
  }

  /**
   * Ends every flow whose timeout passed at `nowUs` (reason timeout), and
   * leaves emergency mode once memory use is low enough. handlePacket
   * calls it once per capture second.
   */
  expire(nowUs: number): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      const flow = this.flows[slot];
      if (flow !== null && this.isTimedOut(flow, nowUs)) this.endFlow(slot, FlowEndReason.TIMEOUT);
    }
    this.checkEmergencyRecovery();
  }

  /** Ends every flow with `reason` (FlowEndReason; shutdown at the end of a capture). */
  flushAll(reason: number): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.flows[slot] !== null) this.endFlow(slot, reason);
    }
  }

  /** Returns the timeout in seconds that applies to `flow` now. */
  timeoutSeconds(flow: Flow): number {
    const t = this.timeoutsFor(flow.ipProto);
    if (flow.state === FlowState.ESTABLISHED) return this.isEmergency ? t.emergencyEstablishedS : t.establishedS;
    if (flow.state === FlowState.CLOSED) return this.isEmergency ? t.emergencyClosedS : t.closedS;
    return this.isEmergency ? t.emergencyNewS : t.newS;
  }

  private timeoutsFor(proto: number): FlowTimeouts {
    if (proto === IpProto.TCP) return this.config.timeoutsTcp;
    if (proto === IpProto.UDP) return this.config.timeoutsUdp;
    if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) return this.config.timeoutsIcmp;
    return this.config.timeoutsDefault;
  }

  /** Tells whether capture time reached the flow's last packet plus its timeout. */
  private isTimedOut(flow: Flow, nowUs: number): boolean {
    return nowUs >= flow.lastUs + this.timeoutSeconds(flow) * US_PER_S;
  }

  private findSlot(key: Uint32Array, hash: number): number {
    let slot = this.buckets[hash % this.hashSize];
    const keys = this.keys;
    while (slot >= 0) {
      if (this.slotHash[slot] === hash) {
        const base = slot * KEY_WORDS;
        let i = 0;
        while (i < KEY_WORDS && keys[base + i] === key[i]) i++;
        if (i === KEY_WORDS) return slot;
      }
      slot = this.slotNext[slot];
    }
    return -1;
  }

  /**
   * Checks a found flow before use. A flow that timed out, or whose TCP
   * tuple a new connection reuses, is ended and -1 returned, so the caller
   * creates a new flow. Otherwise the slot is returned.
   */
  private checkExisting(slot: number, p: Packet, isSrcLower: boolean, nowUs: number): number {
    const flow = this.flows[slot] as Flow;
    if (this.isTimedOut(flow, nowUs)) {
      this.endFlow(slot, FlowEndReason.TIMEOUT);
      return -1;
    }
    if (flow.tcp === null || (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) !== TcpFlag.SYN) {
      return slot;
    }
    const isToServer = (isSrcLower ? 1 : 0) === this.slotClientIsLower[slot];
    if (isTcpReuse(flow.tcp, p, isToServer)) {
      this.counters.tcpReuse++;
      this.endFlow(slot, FlowEndReason.TCP_REUSE);
      return -1;
    }
    return slot;
  }

  private createFlow(p: Packet, key: Uint32Array, hash: number, isSrcLower: boolean, nowUs: number): number {
    if (this.counters.active >= this.maxFlows && !this.makeRoom(nowUs)) {
      this.exceptionAction = this.memcapAction;
      this.counters.memcapPolicy[this.memcapAction]++;
      return -1;
    }
    if (this.freeCount === 0) this.growSlots(Math.min(this.maxFlows, this.capacity * 2));
    const slot = this.freeSlots[--this.freeCount];

    this.keys.set(key, slot * KEY_WORDS);
    this.slotHash[slot] = hash;
    this.slotClientIsLower[slot] = isSrcLower ? 1 : 0;
    const bucket = hash % this.hashSize;
    this.slotNext[slot] = this.buckets[bucket];
    this.buckets[bucket] = slot;

    let flow = this.spareFlows.pop();
    if (flow === undefined) {
      flow = new Flow();
      this.allocatedFlows++;
      if (this.allocatedFlows > this.peakAllocatedFlows) this.peakAllocatedFlows = this.allocatedFlows;
    }
    this.flows[slot] = flow;
    this.initFlow(flow, p, slot, hash, nowUs);
    this.counters.created++;
    this.counters.active++;
    return slot;
  }

  private initFlow(flow: Flow, p: Packet, slot: number, hash: number, nowUs: number): void {
    flow.slot = slot;
    flow.ipVersion = p.ipVersion;
    flow.ipProto = p.ipProto;
    flow.clientAddr.set(p.srcAddr);
    flow.serverAddr.set(p.dstAddr);
    const proto = p.ipProto;
    const hasPorts = proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP;
    flow.clientPort = hasPorts ? p.srcPort : 0;
    flow.serverPort = hasPorts ? p.dstPort : 0;
    flow.vlanId = p.vlanCount > 0 ? p.vlanIds[0] : 0;
    flow.startUs = nowUs;
    flow.lastUs = nowUs;
    flow.flowId = this.uniqueFlowId(hash, nowUs, slot);

    if (proto === IpProto.TCP) {
      const session = this.spareSessions.pop() ?? new TcpSession();
      session.reset();
      flow.tcp = session;
      this.counters.tcp++;
    } else if (proto === IpProto.UDP) {
      this.counters.udp++;
    } else if (proto === IpProto.ICMP) {
      this.counters.icmpv4++;
    } else if (proto === IpProto.ICMPV6) {
      this.counters.icmpv6++;
    }
    if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) {
      flow.icmpType = p.icmpType;
      flow.icmpCode = p.icmpCode;
    }
  }

  /**
   * Builds the EVE flow_id as Suricata lays it out: the low 3 bits of the
   * start second, the low 16 bits of its microseconds and the 32-bit flow
   * hash, 51 bits in all so JSON readers keep it exact. Two flows in the
   * table with the same hash sit in the same bucket, so a clash is found
   * there and resolved by stepping the microsecond part.
   * NOTE: a flow that already ended may have had the same id.
   */
  private uniqueFlowId(hash: number, nowUs: number, newSlot: number): number {
    const secondsPart = Math.floor(nowUs / US_PER_S) & 0x7;
    let microsPart = (nowUs % US_PER_S) & 0xffff;
    for (let tries = 0; tries < 0x10000; tries++) {
      const id = secondsPart * TWO_POW_48 + microsPart * TWO_POW_32 + hash;
      if (!this.isFlowIdInBucket(id, hash, newSlot)) return id;
      microsPart = (microsPart + 1) & 0xffff;
    }
    return secondsPart * TWO_POW_48 + microsPart * TWO_POW_32 + hash;
  }

  private isFlowIdInBucket(id: number, hash: number, newSlot: number): boolean {
    let slot = this.buckets[hash % this.hashSize];
    while (slot >= 0) {
      const other = this.flows[slot];
      if (slot !== newSlot && other !== null && other.flowId === id) return true;
      slot = this.slotNext[slot];
    }
    return false;
  }

  /**
   * Frees room for one flow at the memcap: enters emergency mode, expires
   * flows under the emergency timeouts (once per capture second), then
   * evicts one idle flow from a few buckets. Returns true when room was made.
   */
  private makeRoom(nowUs: number): boolean {
    this.counters.memcapHits++;
    if (!this.isEmergency) {
      this.isEmergency = true;
      this.counters.emergencyEntered++;
    }
    const nowS = Math.floor(nowUs / US_PER_S);
    if (nowS !== this.lastEmergencyExpireS) {
      this.lastEmergencyExpireS = nowS;
      for (let slot = 0; slot < this.capacity; slot++) {
        const flow = this.flows[slot];
        if (flow !== null && this.isTimedOut(flow, nowUs)) this.endFlow(slot, FlowEndReason.TIMEOUT);
      }
      if (this.counters.active < this.maxFlows) return true;
    }
    if (this.evictUsedFlow(nowS)) {
      this.counters.getUsed++;
      return true;
    }
    this.counters.getUsedFailed++;
    return false;
  }

  /** Evicts the first flow of one of the next few buckets that is idle long enough (reason forced). */
  private evictUsedFlow(nowS: number): boolean {
    for (let tries = 0; tries < GET_USED_MAX_TRIES; tries++) {
      this.getUsedCursor = (this.getUsedCursor + 1) % this.hashSize;
      const slot = this.buckets[this.getUsedCursor];
      if (slot < 0) continue;
      const flow = this.flows[slot] as Flow;
      if (nowS - Math.floor(flow.lastUs / US_PER_S) <= STILL_ALIVE_S[flow.state]) continue;
      this.endFlow(slot, FlowEndReason.FORCED);
      return true;
    }
    return false;
  }

  private checkEmergencyRecovery(): void {
    if (!this.isEmergency) return;
    const usedBytes = this.hashSize * HASH_BUCKET_BYTES_ESTIMATE + this.counters.active * FLOW_BYTES_ESTIMATE;
    const limitBytes = (this.config.memcapBytes * (100 - this.config.emergencyRecoveryPercent)) / 100;
    if (usedBytes < limitBytes) {
      this.isEmergency = false;
      this.counters.emergencyOver++;
    }
  }

  private updateCounters(flow: Flow, p: Packet, direction: number, nowUs: number): void {
    if (nowUs > flow.lastUs) flow.lastUs = nowUs;
    if (direction === Direction.TO_SERVER) {
      flow.pktsToServer++;
      flow.bytesToServer += p.captureLength;
    } else {
      flow.pktsToClient++;
      flow.bytesToClient += p.captureLength;
      if (flow.pktsToClient === 1 && (flow.ipProto === IpProto.ICMP || flow.ipProto === IpProto.ICMPV6)) {
        flow.responseIcmpType = p.icmpType;
        flow.responseIcmpCode = p.icmpCode;
      }
    }
  }

  private updateTcp(flow: Flow, session: TcpSession, p: Packet, direction: number, slot: number): void {
    const counters = this.counters;
    if (p.l4Checksum === ChecksumState.INVALID) {
      counters.tcpInvalidChecksum++;
      session.eventCount = 0;
      return;
    }
    const flags = p.tcpFlags;
    if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) counters.tcpSyn++;
    else if ((flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) counters.tcpSynAck++;
    if ((flags & TcpFlag.RST) !== 0) counters.tcpRst++;

    const stateBefore = session.state;
    session.handlePacket(p, direction, this.config.stream);
    if (stateBefore === TcpState.NONE && session.state !== TcpState.NONE) {
      counters.tcpSessions++;
      if (session.isMidstream) counters.tcpMidstreamPickups++;
    }
    // Suricata 8 lists the policy in the flow event even when it is ignore,
    // so an allowed pickup shows as stream_midstream 'ignore'. A bypassed
    // flow is not tracked any more, so the policy acts once on it.
    if (session.isMidstreamPacket && !flow.isBypassed) {
      const action = this.midstreamPolicyAction;
      flow.noteExceptionPolicy('stream_midstream', STREAM_EXCEPTION_COUNTER_NAMES[action] as string);
      if (action !== StreamException.IGNORE) counters.midstreamPolicy[action]++;
      this.midstreamAction = action;
    }
    if (session.needsFlowSwap) {
      this.swapFlow(flow, slot);
      p.direction = Direction.TO_CLIENT;
    }
    for (let i = 0; i < session.eventCount; i++) counters.streamEvents[session.events[i]]++;
    flow.state = flowStateOfTcp(session.state);
  }

  /** Reverses client and server, used when a midstream pickup finds that the first packet came from the server. */
  private swapFlow(flow: Flow, slot: number): void {
    const addr = flow.clientAddr;
    flow.clientAddr = flow.serverAddr;
    flow.serverAddr = addr;
    const port = flow.clientPort;
    flow.clientPort = flow.serverPort;
    flow.serverPort = port;
    const pkts = flow.pktsToServer;
    flow.pktsToServer = flow.pktsToClient;
    flow.pktsToClient = pkts;
    const bytes = flow.bytesToServer;
    flow.bytesToServer = flow.bytesToClient;
    flow.bytesToClient = bytes;
    this.slotClientIsLower[slot] ^= 1;
  }

  /** Reports the flow through onFlowEnd, unlinks it and returns its objects to the pools. */
  private endFlow(slot: number, reason: number): void {
    const flow = this.flows[slot] as Flow;
    flow.endReason = reason;
    flow.isEmergencyEnd = this.isEmergency;
    if (reason === FlowEndReason.TIMEOUT) this.counters.timedOut++;
    this.counters.endStates[flow.state]++;
    if (flow.tcp !== null) this.counters.endTcpStates[flow.tcp.state]++;
    this.onFlowEnd(flow);

    const bucket = this.slotHash[slot] % this.hashSize;
    let at = this.buckets[bucket];
    if (at === slot) {
      this.buckets[bucket] = this.slotNext[slot];
    } else {
      while (at >= 0 && this.slotNext[at] !== slot) at = this.slotNext[at];
      if (at >= 0) this.slotNext[at] = this.slotNext[slot];
    }
    this.slotNext[slot] = -1;
    this.flows[slot] = null;
    this.freeSlots[this.freeCount++] = slot;
    this.counters.active--;

    if (flow.tcp !== null) this.spareSessions.push(flow.tcp);
    flow.reset();
    if (this.spareFlows.length < this.config.prealloc) this.spareFlows.push(flow);
    else this.allocatedFlows--;
  }

  private growSlots(newCapacity: number): void {
    const oldCapacity = this.capacity;
    if (newCapacity <= oldCapacity) return;
    const keys = new Uint32Array(newCapacity * KEY_WORDS);
    keys.set(this.keys);
    this.keys = keys;
    const slotHash = new Uint32Array(newCapacity);
    slotHash.set(this.slotHash);
    this.slotHash = slotHash;
    const slotNext = new Int32Array(newCapacity).fill(-1);
    slotNext.set(this.slotNext);
    this.slotNext = slotNext;
    const sides = new Uint8Array(newCapacity);
    sides.set(this.slotClientIsLower);
    this.slotClientIsLower = sides;
    for (let i = oldCapacity; i < newCapacity; i++) this.flows.push(null);

    // Free slots are taken from the top, so the lowest index comes first.
    const freeSlots = new Int32Array(newCapacity);
    let count = 0;
    for (let i = newCapacity - 1; i >= oldCapacity; i--) freeSlots[count++] = i;
    for (let i = 0; i < this.freeCount; i++) freeSlots[count++] = this.freeSlots[i];
    this.freeSlots = freeSlots;
    this.freeCount = count;
    this.capacity = newCapacity;
  }
}

/**
 * Decides whether a SYN on an existing TCP flow starts a new connection,
 * as Suricata's reuse check does. Towards the server it does when the old
 * session is in last_ack or a later-numbered state and the SYN is not a
 * retransmission. Towards the client it also does when no session exists.
 */
function isTcpReuse(session: TcpSession, p: Packet, isToServer: boolean): boolean {
  const state = session.state;
  if (isToServer) {
    if (state === TcpState.NONE || p.tcpSeq === session.client.isn) return false;
    return state >= TcpState.LAST_ACK;
  }
  return state === TcpState.NONE || state >= TcpState.LAST_ACK;
}

/** Maps a TCP state to the flow state, as Suricata does. */
function flowStateOfTcp(state: number): number {
  switch (state) {
    case TcpState.ESTABLISHED:
    case TcpState.FIN_WAIT1:
    case TcpState.FIN_WAIT2:
    case TcpState.CLOSING:
    case TcpState.CLOSE_WAIT:
      return FlowState.ESTABLISHED;
    case TcpState.LAST_ACK:
    case TcpState.TIME_WAIT:
    case TcpState.CLOSED:
      return FlowState.CLOSED;
    default:
      return FlowState.NEW;
  }
}

/** Direction of an ICMP error: towards the server only when it comes from the flow's client address. */
function directionByAddress(flow: Flow, p: Packet): number {
  const length = p.ipVersion === 4 ? 4 : 16;
  for (let i = 0; i < length; i++) {
    if (flow.clientAddr[i] !== p.srcAddr[i]) return Direction.TO_CLIENT;
  }
  return Direction.TO_SERVER;
}
