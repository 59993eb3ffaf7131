/**
 * Prefilter by address for signatures without a fast pattern, such as the
 * IP reputation rules of Emerging Threats Open (about 1,200 rules, each
 * listing up to a few hundred source addresses). Without it every such rule
 * would be a candidate on every packet. Each indexed signature is filed
 * under the narrower of its two address sides. A packet then looks up its
 * addresses in sorted interval tables and gets only the signatures
 * whose indexed side contains one of them. The full header check still
 * runs on every candidate, so the index only has to return a superset:
 * IPv6 ranges are indexed by the first 48 bits of their bounds, which fit
 * exactly in a double.
 */
import type { Packet } from '../core/packet.js';
import { CompiledAddress } from './address.js';
import { RuleDirection, type Signature } from './signature.js';

/**
 * Largest number of IPv4 addresses an indexed side may cover (a /8). A
 * wider side, such as $HOME_NET or $EXTERNAL_NET, would make the signature
 * a candidate for a large share of packets anyway, and its ranges would
 * be copied into many intervals of the table.
 */
const MAX_INDEXED_V4_ADDRESSES = 2 ** 24;

/** Sorted address intervals (IPv4, or IPv6 cut to 48 bits), each with the signatures whose indexed side covers it. */
class IntervalTable {
  /** Interval i is [bounds[i], bounds[i+1]); addresses below bounds[0] or from the last bound on have none. */
  readonly bounds: Float64Array;
  /** Signatures of interval i: sigs[sigStart[i] .. sigStart[i+1]), as engine indices. */
  readonly sigStart: Int32Array;
  readonly sigs: Int32Array;

  constructor(ranges: readonly IndexedRange[]) {
    const points = new Float64Array(ranges.length * 2);
    for (let i = 0; i < ranges.length; i++) {
      points[2 * i] = ranges[i].start;
      points[2 * i + 1] = ranges[i].end + 1;
    }
    points.sort();
    let unique = 0;
    for (let i = 0; i < points.length; i++) {
      if (unique === 0 || points[i] !== points[unique - 1]) points[unique++] = points[i];
    }
    this.bounds = points.slice(0, unique);

    const lists: number[][] = [];
    for (let i = 0; i < unique; i++) lists.push([]);
    for (const r of ranges) {
      for (let i = this.intervalOf(r.start); i < unique && this.bounds[i] <= r.end; i++) lists[i].push(r.sigIndex);
    }
    this.sigStart = new Int32Array(unique + 1);
    let total = 0;
    for (let i = 0; i < unique; i++) {
      this.sigStart[i] = total;
      total += lists[i].length;
    }
    this.sigStart[unique] = total;
    this.sigs = new Int32Array(total);
    for (let i = 0; i < unique; i++) this.sigs.set(lists[i], this.sigStart[i]);
  }

  /** Returns the interval containing `addr`, or -1 when it lies below the first bound. */
  intervalOf(addr: number): number {
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid] <= addr) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  memoryBytes(): number {
    return this.bounds.byteLength + this.sigStart.byteLength + this.sigs.byteLength;
  }
}

interface IndexedRange {
  start: number;
  end: number;
  sigIndex: number;
}

/** Returns the number of IPv4 addresses in a compiled address. */
function v4AddressCount(address: CompiledAddress): number {
  let total = 0;
  for (let i = 0; i < address.v4Starts.length; i++) total += address.v4Ends[i] - address.v4Starts[i] + 1;
  return total;
}

/**
 * Returns the address side to index a signature by, or null when neither
 * side is narrow enough (or neither is a compiled address list). A side
 * written with a variable ($HOME_NET) is taken only when the other side
 * cannot be: such variables name the monitored networks, which most
 * packets have on one side however few addresses they cover.
 */
function indexedSide(sig: Signature): { address: CompiledAddress; isSource: boolean } | null {
  let best: { address: CompiledAddress; isSource: boolean } | null = null;
  let bestScore = Infinity;
  for (const isSource of [true, false]) {
    const address = isSource ? sig.src : sig.dst;
    if (!(address instanceof CompiledAddress) || address.isAny) continue;
    const count = v4AddressCount(address);
    if (count > MAX_INDEXED_V4_ADDRESSES) continue;
    const score = address.text.includes('$') ? MAX_INDEXED_V4_ADDRESSES + 1 + count : count;
    if (score < bestScore) {
      best = { address, isSource };
      bestScore = score;
    }
  }
  return best;
}

/** The address index of one engine's signatures. */
export class AddressPrefilter {
  /** Signatures to look up by the packet's source address. */
  private readonly bySource: IntervalTable;
  /** Signatures to look up by the packet's destination address. */
  private readonly byDestination: IntervalTable;
  /** The same for IPv6 addresses, keyed by their first 48 bits. */
  private readonly bySource6: IntervalTable;
  private readonly byDestination6: IntervalTable;
  /** 1 for each engine index that the index covers. */
  readonly isIndexed: Uint8Array;

  /** Indexes the signatures given by engine index, those that have a narrow address side. */
  constructor(candidates: readonly { sig: Signature; index: number }[], sigCount: number) {
    this.isIndexed = new Uint8Array(sigCount);
    const sourceRanges: IndexedRange[] = [];
    const destinationRanges: IndexedRange[] = [];
    const sourceRanges6: IndexedRange[] = [];
    const destinationRanges6: IndexedRange[] = [];
    for (const { sig, index } of candidates) {
      const side = indexedSide(sig);
      if (side === null) continue;
      this.isIndexed[index] = 1;
      const { address } = side;
      // A `<>` rule also matches with its sides swapped, so the indexed side
      // may contain either of the packet's addresses.
      const isBoth = sig.direction === RuleDirection.BOTH;
      for (let i = 0; i < address.v4Starts.length; i++) {
        const range = { start: address.v4Starts[i], end: address.v4Ends[i], sigIndex: index };
        if (side.isSource || isBoth) sourceRanges.push(range);
        if (!side.isSource || isBoth) destinationRanges.push(range);
      }
      for (let i = 0; i < address.v6Count; i++) {
        const range = { start: prefix48(address.v6Bounds, i * 32), end: prefix48(address.v6Bounds, i * 32 + 16), sigIndex: index };
        if (side.isSource || isBoth) sourceRanges6.push(range);
        if (!side.isSource || isBoth) destinationRanges6.push(range);
      }
    }
    this.bySource = new IntervalTable(sourceRanges);
    this.byDestination = new IntervalTable(destinationRanges);
    this.bySource6 = new IntervalTable(sourceRanges6);
    this.byDestination6 = new IntervalTable(destinationRanges6);
  }

  /**
   * Appends to list[count..] the indexed signatures that may match the
   * packet's addresses and are members of the group (bit set in
   * `members`), skipping those whose marks[index] equals `mark` and
   * setting it for those appended. Returns the new count.
   */
  collect(p: Packet, members: Uint32Array, marks: Uint32Array, mark: number, list: Int32Array, count: number): number {
    if (p.ipVersion === 4) {
      const n = appendInterval(this.bySource, p.src4, members, marks, mark, list, count);
      return appendInterval(this.byDestination, p.dst4, members, marks, mark, list, n);
    }
    if (p.ipVersion === 6) {
      const n = appendInterval(this.bySource6, prefix48(p.srcAddr, 0), members, marks, mark, list, count);
      return appendInterval(this.byDestination6, prefix48(p.dstAddr, 0), members, marks, mark, list, n);
    }
    return count;
  }

  memoryBytes(): number {
    return (
      this.bySource.memoryBytes() +
      this.byDestination.memoryBytes() +
      this.bySource6.memoryBytes() +
      this.byDestination6.memoryBytes() +
      this.isIndexed.byteLength
    );
  }
}

/** Returns the first 48 bits of the IPv6 address at bytes[at..] as a number. */
function prefix48(bytes: Uint8Array, at: number): number {
  const high = (bytes[at] << 8) | bytes[at + 1];
  const low = ((bytes[at + 2] << 24) | (bytes[at + 3] << 16) | (bytes[at + 4] << 8) | bytes[at + 5]) >>> 0;
  return high * 0x100000000 + low;
}

function appendInterval(
  table: IntervalTable,
  addr: number,
  members: Uint32Array,
  marks: Uint32Array,
  mark: number,
  list: Int32Array,
  count: number,
): number {
  const interval = table.intervalOf(addr);
  if (interval < 0) return count;
  return appendList(table.sigs, table.sigStart[interval], table.sigStart[interval + 1], members, marks, mark, list, count);
}

function appendList(
  sigs: Int32Array,
  from: number,
  to: number,
  members: Uint32Array,
  marks: Uint32Array,
  mark: number,
  list: Int32Array,
  count: number,
): number {
  let n = count;
  for (let k = from; k < to; k++) {
    const s = sigs[k];
    if ((members[s >>> 5] & (1 << (s & 31))) === 0 || marks[s] === mark) continue;
    marks[s] = mark;
    list[n++] = s;
  }
  return n;
}
