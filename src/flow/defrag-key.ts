/**
 * The key of a datagram being reassembled: source, destination,
 * identification, protocol and VLAN ids, read from a fragment and hashed.
 */
import type { Packet } from '../core/packet.js';
import type { DefragTracker } from './defrag-tracker.js';

/** Key of the fragment being handled, read once from the packet. */
export class FragmentKey {
  src0 = 0;
  src1 = 0;
  src2 = 0;
  src3 = 0;
  dst0 = 0;
  dst1 = 0;
  dst2 = 0;
  dst3 = 0;
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

/** Fills `key` from `p` and hashes it over id, protocol, VLAN ids and address words. */
export function readFragmentKey(p: Packet, key: FragmentKey): void {
  const isV6 = p.ipVersion === 6;
  const src = p.srcAddr;
  const dst = p.dstAddr;
  key.src0 = wordAt(src, 0);
  key.dst0 = wordAt(dst, 0);
  key.src1 = isV6 ? wordAt(src, 4) : 0;
  key.src2 = isV6 ? wordAt(src, 8) : 0;
  key.src3 = isV6 ? wordAt(src, 12) : 0;
  key.dst1 = isV6 ? wordAt(dst, 4) : 0;
  key.dst2 = isV6 ? wordAt(dst, 8) : 0;
  key.dst3 = isV6 ? wordAt(dst, 12) : 0;
  key.vlan0 = p.vlanCount > 0 ? p.vlanIds[0]! : 0;
  key.vlan1 = p.vlanCount > 1 ? p.vlanIds[1]! : 0;
  key.vlan2 = p.vlanCount > 2 ? p.vlanIds[2]! : 0;

  let h = mixWord(0x811c9dc5, p.ipId);
  h = mixWord(h, p.ipProto | (p.ipVersion << 8) | (p.vlanCount << 12));
  h = mixWord(h, key.vlan0 | (key.vlan1 << 16));
  h = mixWord(h, key.vlan2);
  h = mixWord(h, key.src0);
  h = mixWord(h, key.src1);
  h = mixWord(h, key.src2);
  h = mixWord(h, key.src3);
  h = mixWord(h, key.dst0);
  h = mixWord(h, key.dst1);
  h = mixWord(h, key.dst2);
  h = mixWord(h, key.dst3);
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
    && t.src0 === key.src0 && t.src1 === key.src1 && t.src2 === key.src2 && t.src3 === key.src3
    && t.dst0 === key.dst0 && t.dst1 === key.dst1 && t.dst2 === key.dst2 && t.dst3 === key.dst3;
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
  t.src0 = key.src0;
  t.src1 = key.src1;
  t.src2 = key.src2;
  t.src3 = key.src3;
  t.dst0 = key.dst0;
  t.dst1 = key.dst1;
  t.dst2 = key.dst2;
  t.dst3 = key.dst3;
}
