/**
 * The detection engine for packets: finds the packet's rule group, runs
 * the group's prefilter over each buffer, and evaluates the candidate
 * signatures in order (header, flow, packet keywords, buffers, post-match
 * keywords, threshold). Matches are appended to an AlertQueue in
 * evaluation order, which is Suricata's: by action (pass, drop, reject,
 * alert by default), then priority, then load order.
 */
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { InspectContext, DEFAULT_INSPECTION_RECURSION_LIMIT } from './inspect-context.js';
import { inspectBuffer, prepareInspection } from './inspect.js';
import { selectFastPattern } from './fast-pattern.js';
import { MatcherCache, type BufferPrefilter } from './prefilter.js';
import { AddressPrefilter } from './address-prefilter.js';
import { hasPorts, ProtoKind, protoKindOf, RuleGroupIndex, type GroupingEntry } from './rule-group.js';
import { PKT_DATA } from './keywords/pkt-data.js';
import { fillHeaderBuffer, HEADER_BUFFER_NAMES, type BufferView } from './keywords/header-buffers.js';
import { HEADER_BUFFER_PROVIDERS } from './header-buffers.js';
import { StreamBufferProvider, StreamMode, streamModeOf } from './stream-buffer.js';
import { TransformedBufferProvider } from './transforms.js';
import { matchFlowFlags } from './keywords/flow.js';
import { Action, RuleDirection, type ActionId, type AddressMatcher, type Signature } from './signature.js';

/** Decides whether a matched signature raises its alert (thresholds, rate filters). */
export interface ThresholdHook {
  shouldAlert(sig: Signature, p: Packet, flow: Flow | null): boolean;
}

const ALWAYS_ALERT: ThresholdHook = { shouldAlert: () => true };

/** Provides one protocol header as a buffer (ipv4.hdr, tcp.hdr, ...). */
class HeaderBufferProvider implements BufferProvider {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  fill(p: Packet, _flow: Flow | null, out: BufferView): boolean {
    return fillHeaderBuffer(this.name, p, out);
  }
}

export type { BufferView };

/**
 * Supplies one named buffer (`pkt_data`, later sticky buffers such as
 * `http.uri`) for the current packet and flow. `fill` sets `out` and
 * returns false when the packet has no such buffer.
 */
export interface BufferProvider {
  readonly name: string;
  fill(p: Packet, flow: Flow | null, out: BufferView): boolean;
}

/** The packet payload. An empty payload counts as absent, as in Suricata. */
export const packetPayloadProvider: BufferProvider = {
  name: PKT_DATA,
  fill(p: Packet, _flow: Flow | null, out: BufferView): boolean {
    if (p.payloadOffset < 0 || p.payloadLength === 0) return false;
    out.bytes = p.bytes;
    out.start = p.payloadOffset;
    out.length = p.payloadLength;
    return true;
  },
};

/**
 * Alerts queued for one packet, at most MAX_PACKET_ALERTS, as Suricata's
 * packet-alert-max (default 15). Matches past the limit are not queued,
 * and `overflowCount` counts them. `actionsSeen` records the action of
 * every matching signature, including those past the limit, `noalert`
 * ones and those the threshold hook suppressed, so a drop still applies.
 */
export const MAX_PACKET_ALERTS = 15;

export class AlertQueue {
  readonly sigs: (Signature | null)[];
  count: number;
  /** Matches not queued because the queue was full, since the last clear. */
  overflowCount: number;
  /** Bit (1 << ActionId) for every action that matched, alerted or not. */
  actionsSeen: number;
  /** The pass signature that ended inspection, or null. */
  passSig: Signature | null;
  /** 1 where the queued alert at the same index matched reassembled stream data. */
  readonly isStreamMatch: Uint8Array;

  constructor(capacity = MAX_PACKET_ALERTS) {
    this.sigs = new Array<Signature | null>(capacity).fill(null);
    this.isStreamMatch = new Uint8Array(capacity);
    this.count = 0;
    this.overflowCount = 0;
    this.actionsSeen = 0;
    this.passSig = null;
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.sigs[i] = null;
    this.count = 0;
    this.overflowCount = 0;
    this.actionsSeen = 0;
    this.passSig = null;
  }

  /** Records the action of a matching signature that raises no alert. */
  noteAction(sig: Signature): void {
    this.actionsSeen |= 1 << sig.action;
  }

  push(sig: Signature, isStreamMatch = false): void {
    this.actionsSeen |= 1 << sig.action;
    if (this.count === this.sigs.length) {
      this.overflowCount++;
      return;
    }
    this.isStreamMatch[this.count] = isStreamMatch ? 1 : 0;
    this.sigs[this.count++] = sig;
  }

  /** Tells whether `sig` is queued already. */
  contains(sig: Signature): boolean {
    for (let i = 0; i < this.count; i++) {
      if (this.sigs[i] === sig) return true;
    }
    return false;
  }
}

export interface DetectEngineOptions {
  thresholdHook?: ThresholdHook;
  /** Providers of named buffers beyond pkt_data and the header buffers; a name given here replaces the built-in one. */
  bufferProviders?: readonly BufferProvider[];
  /** Action order, first evaluated first (default pass, drop, reject, alert). */
  actionOrder?: readonly ActionId[];
  /** detect.inspection-recursion-limit (default 3000). */
  inspectionRecursionLimit?: number;
}

/** A signature the engine cannot run, and why. */
export interface SkippedSignature {
  sig: Signature;
  reason: string;
}

/** Per-signature data the engine precomputes. */
class EngineSignature {
  readonly sig: Signature;
  readonly protoKind: number;
  readonly providers: BufferProvider[];
  /** Data the `pkt_data` keywords inspect (StreamMode). */
  readonly streamMode: number;
  /** Runs on the first packet of each flow direction only (isIpOnlySignature). */
  readonly isIpOnly: boolean;

  constructor(sig: Signature, protoKind: number, providers: BufferProvider[]) {
    this.sig = sig;
    this.protoKind = protoKind;
    this.providers = providers;
    this.streamMode = streamModeOf(sig, protoKind);
    this.isIpOnly = isIpOnlySignature(sig, protoKind);
  }
}

/**
 * Tells whether a signature is IP-only in Suricata's sense: an IP-level
 * protocol, any ports, and nothing to check beyond the addresses. Suricata
 * evaluates such signatures once per flow direction, on its first packet.
 */
export function isIpOnlySignature(sig: Signature, protoKind: number): boolean {
  if (protoKind === ProtoKind.PKTHDR || protoKind === ProtoKind.APP || protoKind === ProtoKind.TCP_STREAM) return false;
  if (!sig.srcPorts.isAny || !sig.dstPorts.isAny) return false;
  return sig.packetMatches.length === 0 && sig.buffers.length === 0 && sig.postMatches.length === 0 && sig.flowFlags === 0;
}

/** Action bits (1 << ActionId) that block a packet. */
const BLOCKING_ACTIONS =
  (1 << Action.DROP) | (1 << Action.REJECT) | (1 << Action.REJECTSRC) | (1 << Action.REJECTDST) | (1 << Action.REJECTBOTH);

const DEFAULT_ACTION_ORDER: readonly ActionId[] = [
  Action.PASS, Action.DROP, Action.REJECT, Action.REJECTSRC, Action.REJECTDST, Action.REJECTBOTH, Action.ALERT,
];

export class DetectEngine {
  /** Signatures the engine runs, in evaluation order. */
  readonly signatures: Signature[];
  readonly skipped: SkippedSignature[];
  readonly ctx: InspectContext;
  readonly matchers: MatcherCache;
  readonly groups: RuleGroupIndex;
  /** The stream block of the current inspection (see stream-buffer.ts). */
  readonly stream: StreamBufferProvider;
  /** Candidates by address among the signatures without a fast pattern. */
  readonly addressPrefilter: AddressPrefilter;
  /** Counters since construction. */
  packets: number;
  candidates: number;
  matches: number;

  private readonly entries: EngineSignature[];
  private readonly thresholdHook: ThresholdHook;
  private readonly view: BufferView;
  private readonly providerByName: Map<string, BufferProvider>;
  private readonly candidateMark: Uint32Array;
  private readonly candidateList: Int32Array;
  private readonly patternSeen: Uint32Array;
  private readonly patternHits: Int32Array;
  private mark: number;
  private patternMark: number;
  /** The signature being evaluated matched in the stream block. */
  private isStreamMatch: boolean;
  /** True while inspecting a packet whose flow direction already ran the IP-only signatures. */
  private skipIpOnly: boolean;
  /** StreamMode of each engine signature, by index. */
  private readonly streamModes: Uint8Array;

  constructor(signatures: readonly Signature[], options: DetectEngineOptions = {}) {
    this.thresholdHook = options.thresholdHook ?? ALWAYS_ALERT;
    this.ctx = new InspectContext(options.inspectionRecursionLimit ?? DEFAULT_INSPECTION_RECURSION_LIMIT);
    this.view = { bytes: new Uint8Array(0), start: 0, length: 0 };
    this.stream = new StreamBufferProvider();
    this.isStreamMatch = false;
    this.skipIpOnly = false;
    this.providerByName = new Map([[PKT_DATA, packetPayloadProvider]]);
    for (const name of HEADER_BUFFER_NAMES) this.providerByName.set(name, new HeaderBufferProvider(name));
    // The providers of header-buffers.ts replace those. They also cover
    // ether.hdr, sctp.hdr and igmp.hdr, count IPv6 extension headers in
    // ipv6.hdr, and report a header cut short by the capture as absent, as
    // Suricata does.
    for (const provider of HEADER_BUFFER_PROVIDERS) this.providerByName.set(provider.name, provider);
    for (const provider of options.bufferProviders ?? []) this.providerByName.set(provider.name, provider);
    this.addTransformedProviders(signatures);
    this.skipped = [];
    this.packets = 0;
    this.candidates = 0;
    this.matches = 0;

    const rank = new Map<number, number>();
    (options.actionOrder ?? DEFAULT_ACTION_ORDER).forEach((action, i) => rank.set(action, i));
    const runnable = signatures.filter((sig) => this.checkRunnable(sig));
    runnable.sort(
      (a, b) =>
        (rank.get(a.action) ?? 99) - (rank.get(b.action) ?? 99) || a.priority - b.priority || a.id - b.id,
    );
    this.signatures = runnable;
    this.entries = runnable.map(
      (sig) => new EngineSignature(sig, protoKindOf(sig.proto), sig.buffers.map((b) => this.providerByName.get(b.buffer) as BufferProvider)),
    );

    this.matchers = new MatcherCache();
    const grouping: GroupingEntry[] = this.entries.map((e, index) => ({
      sig: e.sig,
      index,
      protoKind: e.protoKind,
      fastPattern: selectFastPattern(e.sig, (buffer) => this.providerByName.has(buffer)),
      isAddressIndexed: false,
    }));
    this.addressPrefilter = new AddressPrefilter(
      grouping.filter((g) => g.fastPattern === null),
      grouping.length,
    );
    for (const g of grouping) g.isAddressIndexed = this.addressPrefilter.isIndexed[g.index] === 1;
    this.groups = new RuleGroupIndex(grouping, this.matchers);

    this.streamModes = Uint8Array.from(this.entries, (e) => e.streamMode);
    this.candidateMark = new Uint32Array(this.entries.length);
    this.candidateList = new Int32Array(this.entries.length);
    const maxPatterns = this.matchers.maxPatterns();
    this.patternSeen = new Uint32Array(maxPatterns);
    this.patternHits = new Int32Array(maxPatterns);
    this.mark = 0;
    this.patternMark = 0;
  }

  /**
   * Registers a provider for each transformed buffer instance (see
   * transforms.ts) whose source buffer has a provider. Each provider owns
   * its scratch buffers, so they belong to this engine.
   */
  private addTransformedProviders(signatures: readonly Signature[]): void {
    for (const sig of signatures) {
      for (const inspection of sig.buffers) {
        const transforms = inspection.transforms;
        if (transforms === undefined || this.providerByName.has(inspection.buffer)) continue;
        const source = this.providerByName.get(transforms.source);
        if (source !== undefined) this.providerByName.set(inspection.buffer, new TransformedBufferProvider(inspection.buffer, source, transforms, this.ctx));
      }
    }
  }

  /** Tells whether the engine can run the signature; records why not. */
  private checkRunnable(sig: Signature): boolean {
    for (const inspection of sig.buffers) {
      if (!this.providerByName.has(inspection.buffer)) {
        this.skipped.push({ sig, reason: `buffer '${inspection.buffer}' is not supported yet` });
        return false;
      }
      const keyword = prepareInspection(inspection.matches);
      if (keyword !== null) {
        this.skipped.push({ sig, reason: `keyword '${keyword}' cannot be inspected in buffer '${inspection.buffer}'` });
        return false;
      }
    }
    return true;
  }

  /** Returns the bytes held by the prefilter matchers, the address index and the groups' member sets. */
  memoryBytes(): number {
    let groupBytes = 0;
    for (const g of this.groups.groups) groupBytes += g.members.byteLength + g.alwaysSigs.byteLength;
    return this.matchers.memoryBytes() + this.addressPrefilter.memoryBytes() + groupBytes;
  }

  /**
   * Evaluates the packet against the rules and appends the matches to
   * `out`. A matching pass rule ends the evaluation and marks the flow
   * passed, unless a drop or reject matched before it. Later packets of a
   * passed flow are not inspected.
   */
  inspectPacket(p: Packet, flow: Flow | null, out: AlertQueue): void {
    if (flow !== null && flow.isPassed) return;
    this.packets++;
    this.ctx.beginPacket();
    this.ctx.flow = flow;
    // Later calls for the same packet (stream blocks) skip them too: they ran on the first.
    const directionBit = 1 << p.direction;
    this.skipIpOnly = flow !== null && (flow.ipOnlyDirections & directionBit) !== 0;
    if (flow !== null) flow.ipOnlyDirections |= directionBit;

    const count = this.collectCandidates(p, flow);
    this.candidates += count;
    const stream = this.stream;
    for (let i = 0; i < count; i++) {
      const entry = this.entries[this.candidateList[i]];
      if (stream.isStreamOnly && (entry.streamMode === StreamMode.PACKET || out.contains(entry.sig))) continue;
      if (entry.isIpOnly && this.skipIpOnly) continue;
      this.isStreamMatch = false;
      if (!this.matchSignature(entry, p, flow)) continue;
      this.matches++;
      const sig = entry.sig;
      let isAlert = !sig.isNoAlert;
      for (let k = 0; k < sig.postMatches.length; k++) {
        if (!sig.postMatches[k].apply(p, flow, this.ctx)) isAlert = false;
      }
      if (sig.action === Action.PASS) {
        // A drop or reject that matched first (an action-order with drop
        // before pass) decides: the flow is then not passed.
        if (flow !== null && (out.actionsSeen & BLOCKING_ACTIONS) === 0) flow.isPassed = true;
        out.passSig = sig;
        if (sig.hasAlertKeyword === true && isAlert && this.thresholdHook.shouldAlert(sig, p, flow)) {
          out.push(sig);
          if (flow !== null) flow.hasAlerted = true;
        }
        return;
      }
      if (!isAlert || !this.thresholdHook.shouldAlert(sig, p, flow)) {
        out.noteAction(sig);
        continue;
      }
      out.push(sig, this.isStreamMatch);
      if (flow !== null) flow.hasAlerted = true;
    }
  }

  /** Fills candidateList with the group's candidates in evaluation order. */
  private collectCandidates(p: Packet, flow: Flow | null): number {
    const group = this.groups.lookup(p);
    const mark = ++this.mark;
    const marks = this.candidateMark;
    const list = this.candidateList;
    let count = 0;
    const always = group.alwaysSigs;
    for (let i = 0; i < always.length; i++) {
      marks[always[i]] = mark;
      list[count++] = always[i];
    }
    const members = group.members;
    if (group.hasAddressSigs) count = this.addressPrefilter.collect(p, members, marks, mark, list, count);

    // Stream hits can only make stream signatures match, and payload hits only
    // the signatures that may read this payload (see stream-buffer.ts).
    const stream = this.stream;
    const payloadSkip = (1 << StreamMode.STREAM) | (stream.isPacketInStream ? 1 << StreamMode.BOTH : 0);
    for (let f = 0; f < group.prefilters.length; f++) {
      const prefilter = group.prefilters[f];
      const isPayload = prefilter.buffer === PKT_DATA;
      if (isPayload && stream.fill(p, flow, this.view)) count = this.addPrefilterHits(prefilter, count, 1 << StreamMode.PACKET, members);
      if (isPayload && stream.isStreamOnly) continue;
      const provider = this.providerByName.get(prefilter.buffer) as BufferProvider;
      if (!provider.fill(p, flow, this.view)) continue;
      count = this.addPrefilterHits(prefilter, count, isPayload ? payloadSkip : 0, members);
    }
    sortPrefix(list, count);
    return count;
  }

  /**
   * Scans `this.view` with one prefilter and appends the new candidates
   * after `count`, leaving out signatures whose StreamMode bit is set in
   * `skipModes`. Returns the new count.
   */
  private addPrefilterHits(prefilter: BufferPrefilter, count: number, skipModes: number, members: Uint32Array): number {
    const view = this.view;
    const marks = this.candidateMark;
    const list = this.candidateList;
    const modes = this.streamModes;
    const mark = this.mark;
    // Pattern ids are per matcher, so each scan gets its own mark.
    const patternMark = ++this.patternMark;
    const hitCount = prefilter.matcher.scan(view.bytes, view.start, view.length, this.patternHits, 0, this.patternSeen, patternMark);
    for (let h = 0; h < hitCount; h++) {
      const pattern = this.patternHits[h];
      for (let k = prefilter.sigStart[pattern]; k < prefilter.sigStart[pattern + 1]; k++) {
        const s = prefilter.sigs[k];
        // Hits of signatures outside the packet's port group are dropped here.
        if ((members[s >>> 5] & (1 << (s & 31))) === 0) continue;
        if (marks[s] === mark || (skipModes & (1 << (modes[s] as number))) !== 0) continue;
        marks[s] = mark;
        list[count++] = s;
      }
    }
    return count;
  }

  private matchSignature(entry: EngineSignature, p: Packet, flow: Flow | null): boolean {
    const sig = entry.sig;
    if (entry.streamMode === StreamMode.STREAM) {
      if (!this.stream.hasBlock) return false;
      this.isStreamMatch = true;
    }
    if (!matchProtocol(entry.protoKind, sig.proto, p, flow)) return false;
    if (!matchHeaderAddresses(sig, p)) return false;
    if (sig.flowFlags !== 0 && !matchFlowFlags(sig.flowFlags, p, flow)) return false;
    for (let i = 0; i < sig.packetMatches.length; i++) {
      if (!sig.packetMatches[i].match(p, flow, this.ctx)) return false;
    }
    for (let i = 0; i < sig.buffers.length; i++) {
      if (entry.streamMode !== StreamMode.PACKET && sig.buffers[i].buffer === PKT_DATA) {
        if (!this.matchPayloadOrStream(entry, i, p, flow)) return false;
        continue;
      }
      if (!entry.providers[i].fill(p, flow, this.view)) return false;
      const view = this.view;
      if (!inspectBuffer(sig.buffers[i].matches, view.bytes, view.start, view.length, this.ctx)) return false;
    }
    return true;
  }

  /**
   * Inspects the `pkt_data` keywords of a stream signature: the stream
   * block first, then the packet payload when the signature may read it
   * and the payload did not go into the stream.
   */
  private matchPayloadOrStream(entry: EngineSignature, i: number, p: Packet, flow: Flow | null): boolean {
    const matches = entry.sig.buffers[i].matches;
    const stream = this.stream;
    const view = this.view;
    if (stream.fill(p, flow, view) && inspectBuffer(matches, view.bytes, view.start, view.length, this.ctx)) {
      // A match inside the bytes an earlier window covered was reported then (in-line windows overlap).
      if (stream.priorLength === 0 || !inspectBuffer(matches, view.bytes, view.start, stream.priorLength, this.ctx)) {
        this.isStreamMatch = true;
        return true;
      }
    }
    if (entry.streamMode === StreamMode.STREAM || stream.isStreamOnly || stream.isPacketInStream) return false;
    if (!packetPayloadProvider.fill(p, flow, view)) return false;
    return inspectBuffer(matches, view.bytes, view.start, view.length, this.ctx);
  }
}

/** Sorts list[0, count) ascending: insertion sort, as candidate lists are short. */
function sortPrefix(list: Int32Array, count: number): void {
  if (count > 64) {
    list.subarray(0, count).sort();
    return;
  }
  for (let i = 1; i < count; i++) {
    const v = list[i];
    let j = i - 1;
    while (j >= 0 && list[j] > v) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = v;
  }
}

/**
 * Checks the header protocol. `pkthdr` takes every packet, including
 * non-IP ones; every other protocol needs an IP header. As in Suricata, a
 * packet whose upper layer is invalid (a TCP header cut short) still
 * reaches the rules of its protocol, so decode-event rules see it.
 */
export function matchProtocol(kind: number, proto: string, p: Packet, flow: Flow | null): boolean {
  if (kind === ProtoKind.PKTHDR) return true;
  if (p.ipVersion === 0) return false;
  switch (kind) {
    case ProtoKind.IP: return true;
    case ProtoKind.IPV4: return p.ipVersion === 4;
    case ProtoKind.IPV6: return p.ipVersion === 6;
    case ProtoKind.TCP:
    case ProtoKind.TCP_PKT:
      return p.ipProto === 6;
    case ProtoKind.TCP_STREAM:
      // Stream-only: the payload check (stream-buffer.ts) keeps these rules off packet payloads.
      return p.ipProto === 6;
    case ProtoKind.UDP: return p.ipProto === 17;
    case ProtoKind.ICMP: return p.ipProto === 1 || p.ipProto === 58;
    case ProtoKind.ICMPV4: return p.ipProto === 1;
    case ProtoKind.ICMPV6: return p.ipProto === 58;
    case ProtoKind.SCTP: return p.ipProto === 132;
    default: return matchAppProto(proto, p, flow);
  }
}

/** Checks an app-layer protocol: the flow must exist and carry that protocol. */
function matchAppProto(proto: string, p: Packet, flow: Flow | null): boolean {
  if (flow === null || flow.appProto === null || (p.ipProto !== 6 && p.ipProto !== 17)) return false;
  if (flow.appProto === proto) return true;
  // The HTTP parser names its flows 'http' and parses HTTP/1 only, so `http1` rules match them.
  if (proto === 'http1') return flow.appProto === 'http';
  return proto === 'http' && (flow.appProto === 'http1' || flow.appProto === 'http2');
}

function matchAddress(m: AddressMatcher, p: Packet, isSource: boolean): boolean {
  if (m.isAny) return true;
  if (p.ipVersion === 4) return m.matchV4(isSource ? p.src4 : p.dst4);
  if (p.ipVersion === 6) return m.matchV6(isSource ? p.srcAddr : p.dstAddr);
  return false;
}

/**
 * Checks addresses and ports, and for `<>` rules the reverse direction
 * too. Ports count only for TCP, UDP and SCTP packets; a rule with ports
 * does not match packets without them.
 */
export function matchHeaderAddresses(sig: Signature, p: Packet): boolean {
  const isPortProto = hasPorts(p.ipProto) && p.l4Offset >= 0 && p.ipVersion !== 0;
  const portsAny = sig.srcPorts.isAny && sig.dstPorts.isAny;
  if (!portsAny && !isPortProto) return false;

  if (
    matchAddress(sig.src, p, true) &&
    matchAddress(sig.dst, p, false) &&
    (portsAny || (sig.srcPorts.match(p.srcPort) && sig.dstPorts.match(p.dstPort)))
  ) {
    return true;
  }
  if (sig.direction !== RuleDirection.BOTH) return false;
  return (
    matchAddress(sig.src, p, false) &&
    matchAddress(sig.dst, p, true) &&
    (portsAny || (sig.srcPorts.match(p.dstPort) && sig.dstPorts.match(p.srcPort)))
  );
}

/** The `flow:` checks: one implementation, shared with the keyword's matcher. */
export { matchFlowFlags };
