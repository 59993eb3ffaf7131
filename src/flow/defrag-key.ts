/**
 * The key of a datagram being reassembled: the two addresses,
 * identification, protocol and VLAN ids, read from a fragment and hashed.
 */
import type { Packet } from '../core/packet.js';
import type { DefragTracker } from './defrag-tracker.js';

/** Key of the fragment being handled, read once from the packet. */
export class FragmentKey {
  high0 = 0;
  high1 = 0;
  high2 = 0;
  high3 = 0;
  low0 = 0;
  low1 = 0;
  low2 = 0;
  low3 = 0;
  vlan0 = 0;
  vlan1 = 0;
  vlan2 = 0;
  hash = 0;
}

function wordAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Folds one 32-bit word into hash `h` (FNV-1a step with a shift, so high bits also reach low ones). */
function mixWord(h: number, word: number): number {
  const x = Math.imul(h ^ word, 0x01000193);
  return x ^ (x >>> 15);
}

/** Tells whether address `a` sorts before `b` (first `length` bytes, unsigned). */
function isLowerAddress(a: Uint8Array, b: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]!;
  }
  return false;
}

/**
 * Fills `key` from `p` and hashes it over id, protocol, VLAN ids and address
 * words. The addresses are stored greater first, so fragments in either
 * direction between two hosts share a key, as Suricata 8 matches its
 * trackers. NOTE: a fragment from B to A with the id of a datagram from A
 * to B therefore joins that datagram, in kapu as in Suricata.
 */
export function readFragmentKey(p: Packet, key: FragmentKey): void {
  const isV6 = p.ipVersion === 6;
  let high = p.srcAddr;
  let low = p.dstAddr;
  if (isLowerAddress(high, low, isV6 ? 16 : 4)) {
    high = p.dstAddr;
    low = p.srcAddr;
  }
  key.high0 = wordAt(high, 0);
  key.low0 = wordAt(low, 0);
  key.high1 = isV6 ? wordAt(high, 4) : 0;
  key.high2 = isV6 ? wordAt(high, 8) : 0;
  key.high3 = isV6 ? wordAt(high, 12) : 0;
  key.low1 = isV6 ? wordAt(low, 4) : 0;
  key.low2 = isV6 ? wordAt(low, 8) : 0;
  key.low3 = isV6 ? wordAt(low, 12) : 0;
  key.vlan0 = p.vlanCount > 0 ? p.vlanIds[0]! : 0;
  key.vlan1 = p.vlanCount > 1 ? p.vlanIds[1]! : 0;
  key.vlan2 = p.vlanCount > 2 ? p.vlanIds[2]! : 0;

  let h = mixWord(0x811c9dc5, p.ipId);
  h = mixWord(h, p.ipProto | (p.ipVersion << 8) | (p.vlanCount << 12));
  h = mixWord(h, key.vlan0 | (key.vlan1 << 16));
  h = mixWord(h, key.vlan2);
  h = mixWord(h, key.high0);
  h = mixWord(h, key.high1);
  h = mixWord(h, key.high2);
  h = mixWord(h, key.high3);
  h = mixWord(h, key.low0);
  h = mixWord(h, key.low1);
  h = mixWord(h, key.low2);
  h = mixWord(h, key.low3);
  // Final avalanche (MurmurHash3's fmix32), so the high bits of the words
  // reach the low bits that pick the bucket.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  key.hash = h >>> 0;
}

export function isSameDatagram(t: DefragTracker, p: Packet, key: FragmentKey): boolean {
  return t.hash === key.hash && t.version === p.ipVersion && t.id === p.ipId && t.proto === p.ipProto
    && t.vlanCount === p.vlanCount && t.vlan0 === key.vlan0 && t.vlan1 === key.vlan1 && t.vlan2 === key.vlan2
    && t.high0 === key.high0 && t.high1 === key.high1 && t.high2 === key.high2 && t.high3 === key.high3
    && t.low0 === key.low0 && t.low1 === key.low1 && t.low2 === key.low2 && t.low3 === key.low3;
}

export function setTrackerKey(t: DefragTracker, p: Packet, key: FragmentKey): void {
  t.version = p.ipVersion;
  t.id = p.ipId;
  t.proto = p.ipProto;
  t.hash = key.hash;
  t.vlanCount = p.vlanCount;
  t.vlan0 = key.vlan0;
  t.vlan1 = key.vlan1;
  t.vlan2 = key.vlan2;
  t.high0 = key.high0;
  t.high1 = key.high1;
  t.high2 = key.high2;
  t.high3 = key.high3;
  t.low0 = key.low0;
  t.low1 = key.low1;
  t.low2 = key.low2;
  t.low3 = key.low3;
}
