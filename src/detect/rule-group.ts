/**
 * Rule groups: the signatures that can match a packet of one protocol,
 * flow direction and destination port. Ports with the same set of rules
 * share one group. The fast-pattern prefilter is built once per protocol
 * slot and direction, over the patterns of all of its signatures, and
 * each group keeps a bitset of its members to drop the prefilter's hits
 * on other ports' rules. One matcher per port group instead would repeat
 * nearly the same large automaton hundreds of times: with Emerging
 * Threats Open that took 365 MB of tables. The header is checked again in
 * full for each candidate (detect-engine.ts); groups only narrow the
 * candidates.
 */
import { Direction, type Packet } from '../core/packet.js';
import { FlowFlag, RuleDirection, type PortMatcher, type Signature } from './signature.js';
import type { FastPattern } from './fast-pattern.js';
import { buildBufferPrefilter, type BufferPrefilter, type MatcherCache, type PrefilterEntry } from './prefilter.js';

/** Protocols a rule header can name, by how the engine checks them. */
export const ProtoKind = {
  IP: 0,
  IPV4: 1,
  IPV6: 2,
  TCP: 3,
  TCP_PKT: 4,
  TCP_STREAM: 5,
  UDP: 6,
  ICMP: 7,
  ICMPV4: 8,
  ICMPV6: 9,
  SCTP: 10,
  PKTHDR: 11,
  /** An application-layer protocol name (`http`, `dns`, ...), over TCP or UDP. */
  APP: 12,
  /** Every packet with an Ethernet header, IP or not (Suricata 8). */
  ETHER: 13,
  /** ARP packets (Suricata 8). */
  ARP: 14,
  IGMP: 15,
} as const;

const PROTO_NAMES: Record<string, number> = {
  ip: ProtoKind.IP,
  ipv4: ProtoKind.IPV4,
  ip4: ProtoKind.IPV4,
  ipv6: ProtoKind.IPV6,
  ip6: ProtoKind.IPV6,
  tcp: ProtoKind.TCP,
  'tcp-pkt': ProtoKind.TCP_PKT,
  'tcp-stream': ProtoKind.TCP_STREAM,
  udp: ProtoKind.UDP,
  icmp: ProtoKind.ICMP,
  icmpv4: ProtoKind.ICMPV4,
  icmpv6: ProtoKind.ICMPV6,
  sctp: ProtoKind.SCTP,
  pkthdr: ProtoKind.PKTHDR,
  ether: ProtoKind.ETHER,
  arp: ProtoKind.ARP,
  igmp: ProtoKind.IGMP,
};

/** Returns the ProtoKind of a header protocol; unknown names are app-layer protocols. */
export function protoKindOf(proto: string): number {
  return PROTO_NAMES[proto.toLowerCase()] ?? ProtoKind.APP;
}

/** IP protocol numbers a kind applies to, or null for every IP protocol. */
function ipProtocolsOf(kind: number): number[] | null {
  switch (kind) {
    case ProtoKind.TCP:
    case ProtoKind.TCP_PKT:
    case ProtoKind.TCP_STREAM:
      return [6];
    case ProtoKind.UDP: return [17];
    case ProtoKind.ICMP: return [1, 58];
    case ProtoKind.ICMPV4: return [1];
    case ProtoKind.ICMPV6: return [58];
    case ProtoKind.SCTP: return [132];
    case ProtoKind.IGMP: return [2];
    case ProtoKind.APP: return [6, 17];
    case ProtoKind.ARP: return [];
    default: return null;
  }
}

/** IP protocols whose packets carry ports. */
export function hasPorts(ipProto: number): boolean {
  return ipProto === 6 || ipProto === 17 || ipProto === 132;
}

/** The signatures of one group, as engine indices. */
export class RuleGroup {
  /** Bit s (members[s >>> 5] & (1 << (s & 31))) is set for each member s. */
  readonly members: Uint32Array;
  readonly memberCount: number;
  /**
   * Members without a usable fast pattern and not in the address
   * prefilter, in evaluation order: candidates on every packet.
   */
  readonly alwaysSigs: Int32Array;
  /** True when some member is in the address prefilter. */
  readonly hasAddressSigs: boolean;
  /**
   * The prefilters of the group's protocol slot and direction that serve
   * at least one member, shared with the slot's other groups.
   */
  readonly prefilters: readonly BufferPrefilter[];

  constructor(members: Uint32Array, memberCount: number, alwaysSigs: Int32Array, hasAddressSigs: boolean, prefilters: readonly BufferPrefilter[]) {
    this.members = members;
    this.memberCount = memberCount;
    this.alwaysSigs = alwaysSigs;
    this.hasAddressSigs = hasAddressSigs;
    this.prefilters = prefilters;
  }
}

/** Signature data used for grouping. */
export interface GroupingEntry {
  sig: Signature;
  /** Engine index: position in evaluation order. */
  index: number;
  protoKind: number;
  fastPattern: FastPattern | null;
  /** True when the address prefilter selects this signature (it has no fast pattern). */
  isAddressIndexed: boolean;
}

/** Groups of one protocol slot and direction: one group, or one per port. */
interface SlotTable {
  group: RuleGroup;
  /** Group index by destination port, or null when ports do not matter. */
  portGroup: Int32Array | null;
}

const PORT_COUNT = 65536;

/** The rule groups of an engine and the lookup from packet to group. */
export class RuleGroupIndex {
  /** Distinct groups. */
  readonly groups: RuleGroup[];
  /** Slot of each IP protocol number. */
  private readonly slotOf: Int32Array;
  /** Slot of packets that are not IP or are invalid: pkthdr, ether and arp rules. */
  private readonly nonIpSlot: number;
  /** Table per slot and direction: tables[slot * 2 + direction]. */
  private readonly tables: SlotTable[];

  /** Groups `entries`, whose indices run from 0 to entries.length - 1. */
  constructor(entries: readonly GroupingEntry[], cache: MatcherCache) {
    // The port protocols always get their own slot, so that rules for
    // every IP protocol (`ip`) are still grouped by port.
    const specific = new Set<number>([6, 17, 132]);
    for (const e of entries) {
      const protos = ipProtocolsOf(e.protoKind);
      if (protos !== null) for (const p of protos) specific.add(p);
    }
    // Slot 0 contains every IP protocol that no rule names on its own.
    const slotProtos: number[] = [-1, ...[...specific].sort((a, b) => a - b)];
    this.slotOf = new Int32Array(256);
    slotProtos.forEach((proto, slot) => {
      if (proto >= 0) this.slotOf[proto] = slot;
    });
    this.nonIpSlot = slotProtos.length;

    const builder = new GroupBuilder(cache, entries.length);
    this.tables = [];
    for (let slot = 0; slot <= this.nonIpSlot; slot++) {
      const proto = slot === this.nonIpSlot ? -2 : slotProtos[slot];
      const inSlot = entries.filter((e) => appliesToSlot(e, proto));
      const toServer = inSlot.filter((e) => appliesToDirection(e.sig, 0));
      const toClient = inSlot.filter((e) => appliesToDirection(e.sig, 1));
      const usePorts = proto >= 0 && hasPorts(proto);
      this.tables.push(builder.buildTable(toServer, usePorts, toClient));
      this.tables.push(builder.buildTable(toClient, usePorts, toServer));
    }
    this.groups = builder.groups;
  }

  /** Returns the group of the packet's protocol, direction and destination port. */
  lookup(p: Packet): RuleGroup {
    const slot = p.ipVersion === 0 ? this.nonIpSlot : this.slotOf[p.ipProto];
    const table = this.tables[slot * 2 + (p.direction === Direction.TO_CLIENT ? 1 : 0)];
    if (table.portGroup === null) return table.group;
    return this.groups[table.portGroup[p.dstPort]];
  }
}

function appliesToSlot(e: GroupingEntry, proto: number): boolean {
  if (proto === -2) return e.protoKind === ProtoKind.PKTHDR || e.protoKind === ProtoKind.ETHER || e.protoKind === ProtoKind.ARP;
  const protos = ipProtocolsOf(e.protoKind);
  if (protos === null) return true;
  return protos.includes(proto);
}

function appliesToDirection(sig: Signature, dir: number): boolean {
  if ((sig.flowFlags & FlowFlag.TO_SERVER) !== 0) return dir === 0;
  if ((sig.flowFlags & FlowFlag.TO_CLIENT) !== 0) return dir === 1;
  return true;
}

function rangesToSet(ranges: readonly (readonly [number, number])[]): Uint8Array {
  const set = new Uint8Array(PORT_COUNT);
  for (const [low, high] of ranges) set.fill(1, Math.max(0, low), Math.min(PORT_COUNT - 1, high) + 1);
  return set;
}

/** Builds the prefilters of each table, its groups and the per-port lookup. */
class GroupBuilder {
  readonly groups: RuleGroup[];
  private readonly cache: MatcherCache;
  private readonly sigCount: number;
  private readonly portSets: Map<PortMatcher, Uint8Array>;
  private readonly setsByKey: Map<string, Uint8Array>;
  /** The runs of each shared port set as [low, high] pairs, flattened. */
  private readonly runsOf: Map<Uint8Array, number[]>;
  /** Port sets by the text of a matcher's `ranges`, to skip rebuilding equal sets. */
  private readonly rangeSets: Map<string, Uint8Array>;

  constructor(cache: MatcherCache, sigCount: number) {
    this.groups = [];
    this.cache = cache;
    this.sigCount = sigCount;
    this.portSets = new Map();
    this.setsByKey = new Map();
    this.runsOf = new Map();
    this.rangeSets = new Map();
  }

  /** Builds the table of `members`; `reverse` are the members of the other direction, whose patterns may share a matcher. */
  buildTable(members: GroupingEntry[], usePorts: boolean, reverse: readonly GroupingEntry[]): SlotTable {
    const prefilters = this.buildPrefilters(members, reverse);
    if (!usePorts) return { group: this.addGroup(new MemberSet(this.sigCount).add(members), prefilters), portGroup: null };

    const anyPort: GroupingEntry[] = [];
    const byPortSet = new Map<Uint8Array, GroupingEntry[]>();
    for (const e of members) {
      const ports = this.destinationPorts(e.sig);
      if (ports === null) {
        anyPort.push(e);
        continue;
      }
      const list = byPortSet.get(ports);
      if (list === undefined) byPortSet.set(ports, [e]);
      else list.push(e);
    }
    const anyPortSet = new MemberSet(this.sigCount).add(anyPort);
    if (byPortSet.size === 0) return { group: this.addGroup(anyPortSet, prefilters), portGroup: null };

    // Partition refinement: ports end in one class when every port set
    // contains both or neither. Distinct classes therefore have distinct
    // members.
    const classOf = new Int32Array(PORT_COUNT);
    let classCount = 1;
    for (const set of byPortSet.keys()) {
      const remap = new Int32Array(classCount).fill(-1);
      const runs = this.runsOf.get(set) as number[];
      for (let r = 0; r < runs.length; r += 2) {
        for (let port = runs[r]; port <= runs[r + 1]; port++) {
          const c = classOf[port];
          if (remap[c] < 0) remap[c] = classCount++;
          classOf[port] = remap[c];
        }
      }
    }

    const groupOfClass = new Int32Array(classCount).fill(-1);
    const portGroup = new Int32Array(PORT_COUNT);
    for (let port = 0; port < PORT_COUNT; port++) {
      const c = classOf[port];
      if (groupOfClass[c] < 0) {
        const memberSet = anyPortSet.copy();
        for (const [set, withSet] of byPortSet) {
          if (set[port] !== 0) memberSet.add(withSet);
        }
        this.addGroup(memberSet, prefilters);
        groupOfClass[c] = this.groups.length - 1;
      }
      portGroup[port] = groupOfClass[c];
    }
    return { group: this.groups[portGroup[0]], portGroup };
  }

  /** Builds one prefilter per buffer over the fast patterns of all `members`. */
  private buildPrefilters(members: readonly GroupingEntry[], reverse: readonly GroupingEntry[]): BufferPrefilter[] {
    const byBuffer = patternsByBuffer(members);
    const reverseByBuffer = patternsByBuffer(reverse);
    const prefilters: BufferPrefilter[] = [];
    for (const [buffer, list] of byBuffer) prefilters.push(buildBufferPrefilter(buffer, list, this.cache, reverseByBuffer.get(buffer) ?? []));
    return prefilters;
  }

  private addGroup(memberSet: MemberSet, prefilters: readonly BufferPrefilter[]): RuleGroup {
    const always = Int32Array.from(memberSet.always);
    if (memberSet.isAlwaysUnsorted) always.sort();
    // A buffer none of whose patterns belong to a member is not scanned for this group.
    const used = prefilters.filter((prefilter) => prefilter.sigs.some((s) => memberSet.has(s)));
    const group = new RuleGroup(memberSet.bits, memberSet.count, always, memberSet.hasAddressSigs, used);
    this.groups.push(group);
    return group;
  }

  /**
   * Returns the destination ports a packet may have to match the rule, as
   * a 65536-entry set, or null for any port. A `<>` rule may match with
   * its source ports on the packet's destination port.
   */
  private destinationPorts(sig: Signature): Uint8Array | null {
    if (sig.dstPorts.isAny) return null;
    if (sig.direction === RuleDirection.BOTH && sig.srcPorts.isAny) return null;
    const dst = this.portSet(sig.dstPorts);
    if (sig.direction !== RuleDirection.BOTH) return dst;
    const src = this.portSet(sig.srcPorts);
    const both = new Uint8Array(PORT_COUNT);
    for (let i = 0; i < PORT_COUNT; i++) both[i] = dst[i] | src[i];
    return this.shareSet(both);
  }

  /**
   * Returns the port set of a matcher, from its `ranges` when it lists
   * them, else by calling `match` on every port. Equal sets share one
   * array, so the partition above runs once per distinct set.
   */
  private portSet(m: PortMatcher): Uint8Array {
    const known = this.portSets.get(m);
    if (known !== undefined) return known;

    let shared: Uint8Array;
    if (m.ranges !== undefined) {
      const key = m.ranges.map(([low, high]) => `${low}-${high},`).join('');
      shared = this.rangeSets.get(key) ?? this.shareSet(rangesToSet(m.ranges));
      this.rangeSets.set(key, shared);
    } else {
      const set = new Uint8Array(PORT_COUNT);
      for (let port = 0; port < PORT_COUNT; port++) set[port] = m.match(port) ? 1 : 0;
      shared = this.shareSet(set);
    }
    this.portSets.set(m, shared);
    return shared;
  }

  /** Returns the stored array equal to `set`, storing `set` when it is new. */
  private shareSet(set: Uint8Array): Uint8Array {
    const runs: number[] = [];
    let port = 0;
    while (port < PORT_COUNT) {
      if (set[port] === 0) {
        port++;
        continue;
      }
      const low = port;
      while (port < PORT_COUNT && set[port] !== 0) port++;
      runs.push(low, port - 1);
    }
    const key = runs.join(',');
    const known = this.setsByKey.get(key);
    if (known !== undefined) return known;
    this.setsByKey.set(key, set);
    this.runsOf.set(set, runs);
    return set;
  }
}

/** Returns the fast patterns of `entries` by buffer. */
function patternsByBuffer(entries: readonly GroupingEntry[]): Map<string, PrefilterEntry[]> {
  const byBuffer = new Map<string, PrefilterEntry[]>();
  for (const e of entries) {
    if (e.fastPattern === null) continue;
    const list = byBuffer.get(e.fastPattern.buffer);
    const entry = { sigIndex: e.index, fastPattern: e.fastPattern };
    if (list === undefined) byBuffer.set(e.fastPattern.buffer, [entry]);
    else list.push(entry);
  }
  return byBuffer;
}

/** The members of a group while it is built. */
class MemberSet {
  bits: Uint32Array;
  count: number;
  always: number[];
  /** True once `always` may be out of evaluation order. */
  isAlwaysUnsorted: boolean;
  hasAddressSigs: boolean;

  constructor(sigCount: number) {
    this.bits = new Uint32Array((sigCount + 31) >>> 5);
    this.count = 0;
    this.always = [];
    this.isAlwaysUnsorted = false;
    this.hasAddressSigs = false;
  }

  /** Adds entries that are not members yet; returns this set. */
  add(entries: readonly GroupingEntry[]): MemberSet {
    for (const e of entries) {
      const word = e.index >>> 5;
      const bit = 1 << (e.index & 31);
      if ((this.bits[word] & bit) !== 0) continue;
      this.bits[word] |= bit;
      this.count++;
      if (e.fastPattern !== null) continue;
      if (e.isAddressIndexed) {
        this.hasAddressSigs = true;
        continue;
      }
      if (this.always.length > 0 && this.always[this.always.length - 1] > e.index) this.isAlwaysUnsorted = true;
      this.always.push(e.index);
    }
    return this;
  }

  has(index: number): boolean {
    return (this.bits[index >>> 5] & (1 << (index & 31))) !== 0;
  }

  copy(): MemberSet {
    const other = new MemberSet(0);
    other.bits = this.bits.slice();
    other.count = this.count;
    other.always = this.always.slice();
    other.isAlwaysUnsorted = this.isAlwaysUnsorted;
    other.hasAddressSigs = this.hasAddressSigs;
    return other;
  }
}
