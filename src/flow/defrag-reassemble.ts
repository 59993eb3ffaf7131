/**
 * Rebuilding a datagram from the fragments of a tracker: the completeness
 * check and the byte layout of the rebuilt IPv4 or IPv6 packet.
 *
 * The rebuilt bytes start with the first fragment's frame up to its IP
 * header (link header, VLAN tags, tunnel headers), so the packet keeps its
 * link layer. Fragments are copied in list order, each without its trimmed
 * leading bytes, so a later fragment overwrites the bytes of an earlier
 * one where the overlap policy left both (see overlap-policy.ts).
 */
import type { DefragTracker, Fragment } from './defrag-tracker.js';

export const IPV6_HEADER_BYTES = 40;
const IPV6_FRAGMENT_HEADER_BYTES = 8;

/**
 * Largest IPv6 payload length (16-bit field). A rebuilt datagram whose
 * payload would exceed it is given up, and the tracker is released.
 */
const MAX_IPV6_PAYLOAD_BYTES = 65535;

/**
 * Tells whether the tracker contains a whole datagram: the last fragment was
 * seen, a fragment starts at offset 0, and the fragments leave no hole.
 */
export function isComplete(tracker: DefragTracker): boolean {
  if (!tracker.hasSeenLast) return false;
  const list = tracker.fragments;
  if (list.length === 0 || list[0]!.offset !== 0) return false;
  let coveredEnd = 0;
  for (let i = 0; i < list.length; i++) {
    const frag = list[i]!;
    if (frag.offset > coveredEnd) return false;
    const end = frag.offset + frag.dataLength;
    if (end > coveredEnd) coveredEnd = end;
  }
  return true;
}

/** Size of a buffer that every copy of `rebuild*` fits in. */
function bufferBytes(list: readonly Fragment[], fragmentableStart: number): number {
  let size = 0;
  for (let i = 0; i < list.length; i++) {
    const frag = list[i]!;
    const end = frag.offset === 0 ? frag.bytes.length : fragmentableStart + frag.offset + frag.dataLength;
    if (end > size) size = end;
  }
  return size;
}

/**
 * Copies the data of a fragment past offset 0 into `out`, without its
 * trimmed leading bytes. Returns the end of its data in the fragmentable part.
 */
function copyData(out: Uint8Array, frag: Fragment, fragmentableStart: number): number {
  const from = frag.dataStart + frag.ltrim;
  out.set(frag.bytes.subarray(from, frag.dataStart + frag.dataLength), fragmentableStart + frag.offset + frag.ltrim);
  return frag.offset + frag.dataLength;
}

/**
 * Returns false when the copy loop should stop at `frag`: the previous
 * fragment copied was the last one and `frag` lies past it. A fragment at
 * the same offset as the last one is still copied, as its bytes may be
 * the ones the policy prefers.
 */
function isPastLast(frag: Fragment, hasMore: boolean, previousOffset: number): boolean {
  return !hasMore && frag.offset > previousOffset;
}

/**
 * Rebuilds the IPv4 datagram: the first fragment's frame with its header,
 * total length set to the header plus the data, flags and offset cleared,
 * and the header checksum updated for those changes (RFC 1624), so an
 * invalid checksum stays invalid. Returns the bytes and the IP header
 * offset in `l3Out[0]`, or null when the first fragment is missing.
 */
export function rebuildIpv4(tracker: DefragTracker, l3Out: Int32Array): Uint8Array | null {
  const list = tracker.fragments;
  const first = list[0]!;
  const fragmentableStart = first.l3Offset + first.headerLength;
  const out = new Uint8Array(bufferBytes(list, fragmentableStart));

  let l3 = -1;
  let headerLength = 0;
  let fragmentableLength = 0;
  let hasMore = true;
  let previousOffset = 0;
  for (let i = 0; i < list.length; i++) {
    const frag = list[i]!;
    if (isPastLast(frag, hasMore, previousOffset)) break;
    if (frag.ltrim >= frag.dataLength) continue;
    if (frag.offset === 0) {
      out.set(frag.bytes, 0);
      l3 = frag.l3Offset;
      headerLength = frag.headerLength;
      fragmentableLength = frag.dataLength;
    } else {
      const end = copyData(out, frag, fragmentableStart);
      if (end > fragmentableLength) fragmentableLength = end;
    }
    hasMore = frag.hasMore;
    previousOffset = frag.offset;
  }
  if (l3 < 0) return null;

  const totalLength = headerLength + fragmentableLength;
  const oldLength = (out[l3 + 2]! << 8) | out[l3 + 3]!;
  const oldFlagsOffset = (out[l3 + 6]! << 8) | out[l3 + 7]!;
  out[l3 + 2] = totalLength >> 8;
  out[l3 + 3] = totalLength & 0xff;
  out[l3 + 6] = 0;
  out[l3 + 7] = 0;
  let checksum = (out[l3 + 10]! << 8) | out[l3 + 11]!;
  checksum = updateChecksum(checksum, oldLength, totalLength);
  checksum = updateChecksum(checksum, oldFlagsOffset, 0);
  out[l3 + 10] = checksum >> 8;
  out[l3 + 11] = checksum & 0xff;

  l3Out[0] = l3;
  return out.subarray(0, l3 + totalLength);
}

/**
 * Rebuilds the IPv6 datagram: the first fragment's IPv6 header and the
 * extension headers before its fragment header, then the data without
 * the fragment header. The payload length is set to the extension headers
 * plus the data, and the header that named the fragment header now names
 * the protocol after it. Returns null when the first fragment is missing
 * or the payload would exceed 65535 bytes.
 */
export function rebuildIpv6(tracker: DefragTracker, l3Out: Int32Array): Uint8Array | null {
  const list = tracker.fragments;
  const first = list[0]!;
  const fragmentableStart = first.fragmentHeaderOffset;
  const out = new Uint8Array(bufferBytes(list, fragmentableStart));

  let l3 = -1;
  let nextHeader = 0;
  let unfragmentableLength = 0;
  let fragmentableLength = 0;
  let hasMore = true;
  let previousOffset = 0;
  for (let i = 0; i < list.length; i++) {
    const frag = list[i]!;
    if (isPastLast(frag, hasMore, previousOffset)) break;
    if (frag.ltrim >= frag.dataLength) continue;
    if (frag.offset === 0) {
      const fh = frag.fragmentHeaderOffset;
      nextHeader = frag.bytes[fh]!;
      out.set(frag.bytes.subarray(0, fh), 0);
      out.set(frag.bytes.subarray(fh + IPV6_FRAGMENT_HEADER_BYTES, fh + IPV6_FRAGMENT_HEADER_BYTES + frag.dataLength), fh);
      l3 = frag.l3Offset;
      unfragmentableLength = fh - l3 - IPV6_HEADER_BYTES;
      fragmentableLength = frag.dataLength;
    } else {
      const end = copyData(out, frag, fragmentableStart);
      if (end > fragmentableLength) fragmentableLength = end;
    }
    hasMore = frag.hasMore;
    previousOffset = frag.offset;
  }
  if (l3 < 0) return null;

  const payloadLength = unfragmentableLength + fragmentableLength;
  if (payloadLength > MAX_IPV6_PAYLOAD_BYTES) return null;
  out[l3 + 4] = payloadLength >> 8;
  out[l3 + 5] = payloadLength & 0xff;
  // With extension headers before the fragment header, the last of them
  // was pointed past the fragment header when the first fragment was held.
  if (unfragmentableLength === 0) out[l3 + 6] = nextHeader;

  l3Out[0] = l3;
  return out.subarray(0, l3 + IPV6_HEADER_BYTES + payloadLength);
}

/**
 * Updates a ones'-complement checksum for one 16-bit word changed from
 * `oldWord` to `newWord` (RFC 1624 equation 3: HC' = ~(~HC + ~m + m')).
 */
export function updateChecksum(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
