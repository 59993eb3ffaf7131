/**
 * A fixed-size table of tracked hosts keyed by IP address, with
 * least-recently-used eviction, in typed arrays.
 *
 * Slots 0..maxHosts-1 never move, so other typed arrays can keep per-host
 * state at the slot index. When the table is full, a new address takes the
 * slot of the host seen least recently; `evictions` counts that, and the
 * caller clears the slot's state (the returned slot has `wasEvicted`).
 *
 * Layout: address words (4 per slot, IPv4 in word 0) and their hash, a
 * chained hash index (bucket heads and a next link per slot) and a doubly linked LRU list
 * (previous and next per slot, head = most recent).
 */
import { hashAddress } from './sampler.js';

/** Largest table accepted: 2^22 hosts. Per-host metric state runs to kilobytes, so larger tables do not fit in memory. */
export const MAX_TRACKED_HOSTS = 1 << 22;

const NONE = -1;
const HASH_SEED = 0x5bd1e995;

/** Tracked hosts by address; `findOrInsert` is the per-packet call and allocates nothing. */
export class HostTable {
  readonly maxHosts: number;
  /** Hosts in the table. */
  size: number;
  /** Hosts pushed out to make room for a new one. */
  evictions: number;
  /** True when the last `findOrInsert` evicted a host to make room; the caller then clears that slot's state. */
  wasEvicted: boolean;
  /** True when the last `findOrInsert` inserted a new host. */
  wasInserted: boolean;
  /** 4 or 6 per slot, 0 when free. */
  readonly versions: Uint8Array;
  /** Address words per slot: IPv4 in word 0, IPv6 as four big-endian words. */
  readonly words: Uint32Array;
  /** Address hash per slot, kept so that eviction finds the slot's bucket. */
  private readonly hashes: Uint32Array;
  private readonly bucketHeads: Int32Array;
  private readonly chainNext: Int32Array;
  private readonly bucketMask: number;
  private readonly lruPrevious: Int32Array;
  private readonly lruNext: Int32Array;
  private lruHead: number;
  private lruTail: number;
  /** The address being looked up, as words. */
  private readonly keyWords: Uint32Array;

  constructor(maxHosts: number) {
    if (!Number.isInteger(maxHosts) || maxHosts < 1 || maxHosts > MAX_TRACKED_HOSTS) {
      throw new RangeError(`tracked host count ${maxHosts} is invalid (expected an integer 1..${MAX_TRACKED_HOSTS})`);
    }
    this.maxHosts = maxHosts;
    this.size = 0;
    this.evictions = 0;
    this.wasEvicted = false;
    this.wasInserted = false;
    this.versions = new Uint8Array(maxHosts);
    this.words = new Uint32Array(maxHosts * 4);
    this.hashes = new Uint32Array(maxHosts);
    let buckets = 1;
    while (buckets < maxHosts * 2) buckets <<= 1;
    this.bucketHeads = new Int32Array(buckets).fill(NONE);
    this.chainNext = new Int32Array(maxHosts).fill(NONE);
    this.bucketMask = buckets - 1;
    this.lruPrevious = new Int32Array(maxHosts).fill(NONE);
    this.lruNext = new Int32Array(maxHosts).fill(NONE);
    this.lruHead = NONE;
    this.lruTail = NONE;
    this.keyWords = new Uint32Array(4);
  }

  /** Returns the slot of an address (IPv4 as a number, IPv6 as 16 bytes), or -1; does not change the LRU order. */
  find(ipVersion: number, addr4: number, addr: Uint8Array): number {
    this.loadKey(ipVersion, addr4, addr);
    return this.findKey(ipVersion, hashAddress(ipVersion, addr4, addr, HASH_SEED));
  }

  /**
   * Returns the slot of an address and marks it most recently used,
   * inserting it (and evicting the least recently used host when full) when
   * absent. Sets `wasInserted` and `wasEvicted`.
   */
  findOrInsert(ipVersion: number, addr4: number, addr: Uint8Array): number {
    this.wasInserted = false;
    this.wasEvicted = false;
    this.loadKey(ipVersion, addr4, addr);
    const hash = hashAddress(ipVersion, addr4, addr, HASH_SEED);
    const found = this.findKey(ipVersion, hash);
    if (found !== NONE) {
      this.touch(found);
      return found;
    }

    let slot: number;
    if (this.size < this.maxHosts) {
      slot = this.size++;
    } else {
      slot = this.lruTail;
      this.unlinkBucket(slot);
      this.unlinkLru(slot);
      this.evictions++;
      this.wasEvicted = true;
    }
    this.versions[slot] = ipVersion;
    for (let w = 0; w < 4; w++) this.words[slot * 4 + w] = this.keyWords[w];
    this.hashes[slot] = hash;
    const bucket = hash & this.bucketMask;
    this.chainNext[slot] = this.bucketHeads[bucket];
    this.bucketHeads[bucket] = slot;
    this.pushLruHead(slot);
    this.wasInserted = true;
    return slot;
  }

  /** Formats the address of `slot` as text (dotted IPv4, or IPv6 with the longest zero run compressed). */
  addressText(slot: number): string {
    const w = this.words;
    if (this.versions[slot] === 4) {
      const a = w[slot * 4];
      return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
    }
    const groups: number[] = [];
    for (let i = 0; i < 4; i++) groups.push(w[slot * 4 + i] >>> 16, w[slot * 4 + i] & 0xffff);
    return formatIpv6Groups(groups);
  }

  private loadKey(ipVersion: number, addr4: number, addr: Uint8Array): void {
    const key = this.keyWords;
    if (ipVersion === 4) {
      key[0] = addr4;
      key[1] = 0;
      key[2] = 0;
      key[3] = 0;
      return;
    }
    for (let w = 0; w < 4; w++) {
      key[w] = ((addr[w * 4] << 24) | (addr[w * 4 + 1] << 16) | (addr[w * 4 + 2] << 8) | addr[w * 4 + 3]) >>> 0;
    }
  }

  private findKey(ipVersion: number, hash: number): number {
    const key = this.keyWords;
    let slot = this.bucketHeads[hash & this.bucketMask];
    if (ipVersion === 4) {
      while (slot !== NONE) {
        if (this.versions[slot] === 4 && this.words[slot * 4] === key[0]) return slot;
        slot = this.chainNext[slot];
      }
      return NONE;
    }
    while (slot !== NONE) {
      const at = slot * 4;
      if (
        this.versions[slot] === ipVersion &&
        this.words[at] === key[0] &&
        this.words[at + 1] === key[1] &&
        this.words[at + 2] === key[2] &&
        this.words[at + 3] === key[3]
      ) {
        return slot;
      }
      slot = this.chainNext[slot];
    }
    return NONE;
  }

  private unlinkBucket(slot: number): void {
    const bucket = this.hashes[slot] & this.bucketMask;
    let current = this.bucketHeads[bucket];
    if (current === slot) {
      this.bucketHeads[bucket] = this.chainNext[slot];
      return;
    }
    while (current !== NONE) {
      const next = this.chainNext[current];
      if (next === slot) {
        this.chainNext[current] = this.chainNext[slot];
        return;
      }
      current = next;
    }
  }

  private touch(slot: number): void {
    if (this.lruHead === slot) return;
    this.unlinkLru(slot);
    this.pushLruHead(slot);
  }

  private unlinkLru(slot: number): void {
    const previous = this.lruPrevious[slot];
    const next = this.lruNext[slot];
    if (previous !== NONE) this.lruNext[previous] = next;
    else this.lruHead = next;
    if (next !== NONE) this.lruPrevious[next] = previous;
    else this.lruTail = previous;
    this.lruPrevious[slot] = NONE;
    this.lruNext[slot] = NONE;
  }

  private pushLruHead(slot: number): void {
    this.lruPrevious[slot] = NONE;
    this.lruNext[slot] = this.lruHead;
    if (this.lruHead !== NONE) this.lruPrevious[this.lruHead] = slot;
    this.lruHead = slot;
    if (this.lruTail === NONE) this.lruTail = slot;
  }
}

/** Formats eight 16-bit groups as RFC 5952 text: lower-case hex, the longest run of two or more zero groups as `::`. */
export function formatIpv6Groups(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
