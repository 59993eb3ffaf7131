/**
 * The state of one datagram being reassembled: its key, its overlap
 * policy, and the fragments held so far, sorted by offset.
 */
import type { PlacedFragment } from './overlap-policy.js';

/** One fragment held by a tracker: a copy of its frame up to the end of its data. */
export class Fragment implements PlacedFragment {
  offset: number;
  dataLength: number;
  ltrim: number;
  /** True when the MF flag (IPv4) or M flag (IPv6) was set. */
  hasMore: boolean;
  /** The frame bytes, from the link header to the end of the IP datagram. */
  bytes: Uint8Array;
  /** Index in `bytes` of the first data byte held (after the trim at insertion). */
  dataStart: number;
  /** Offset of the IP header in `bytes`. */
  l3Offset: number;
  /** IPv4 header length in bytes (0 for IPv6). */
  headerLength: number;
  /** Offset of the IPv6 fragment header in `bytes` (0 for IPv4). */
  fragmentHeaderOffset: number;

  constructor(bytes: Uint8Array) {
    this.offset = 0;
    this.dataLength = 0;
    this.ltrim = 0;
    this.hasMore = false;
    this.bytes = bytes;
    this.dataStart = 0;
    this.l3Offset = 0;
    this.headerLength = 0;
    this.fragmentHeaderOffset = 0;
  }
}

/** Key, policy and fragments of one datagram. */
export class DefragTracker {
  /** 4 or 6. */
  version: number;
  /** IPv4 identification or IPv6 fragment header identification. */
  id: number;
  /** Protocol after the IP header (IPv4) or after the fragment header (IPv6). */
  proto: number;
  /**
   * The two addresses as big-endian 32-bit words (IPv4 in the first word
   * only), the greater address first (see defrag-key.ts), and up to three
   * VLAN ids. Plain number fields, so a tracker is one object without typed
   * arrays to allocate and collect.
   */
  high0: number;
  high1: number;
  high2: number;
  high3: number;
  low0: number;
  low1: number;
  low2: number;
  low3: number;
  vlan0: number;
  vlan1: number;
  vlan2: number;
  vlanCount: number;
  /** Hash of the key, for the bucket chain. */
  hash: number;
  /** Overlap policy (DefragPolicy) of the destination. */
  policy: number;
  /** Capture time in microseconds at which the tracker expires. */
  timeoutUs: number;
  /** True once the fragment without the more-fragments flag was held. */
  hasSeenLast: boolean;
  /** Fragments sorted by offset; equal offsets in arrival order. */
  readonly fragments: Fragment[];
  /** Bytes counted against defrag.memcap for this tracker and its fragments. */
  memBytes: number;
  /** Next tracker in the same hash bucket. */
  nextInBucket: DefragTracker | null;
  /** Neighbours in the expiry list, oldest first. */
  older: DefragTracker | null;
  newer: DefragTracker | null;

  constructor() {
    this.version = 0;
    this.id = 0;
    this.proto = 0;
    this.high0 = 0;
    this.high1 = 0;
    this.high2 = 0;
    this.high3 = 0;
    this.low0 = 0;
    this.low1 = 0;
    this.low2 = 0;
    this.low3 = 0;
    this.vlan0 = 0;
    this.vlan1 = 0;
    this.vlan2 = 0;
    this.vlanCount = 0;
    this.hash = 0;
    this.policy = 0;
    this.timeoutUs = 0;
    this.hasSeenLast = false;
    this.fragments = [];
    this.memBytes = 0;
    this.nextInBucket = null;
    this.older = null;
    this.newer = null;
  }

  /** Inserts `frag` after every fragment with an offset at or below its own. */
  insert(frag: Fragment): void {
    const list = this.fragments;
    let i = list.length;
    while (i > 0 && list[i - 1]!.offset > frag.offset) i--;
    list.splice(i, 0, frag);
  }
}
