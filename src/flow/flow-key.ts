/**
 * The flow key and its hash. A key is KEY_WORDS unsigned 32-bit words in
 * a typed array, written so both directions of a flow give the same words:
 * the (address, port) pair that sorts lower comes first.
 *
 *   word 0-3   lower address (IPv4 uses word 0, the rest are 0)
 *   word 4-7   higher address
 *   word 8     lower port << 16 | higher port (0 for protocols without ports)
 *   word 9     IP protocol | IP version << 8
 *   word 10    first VLAN id | second VLAN id << 16
 *   word 11    third VLAN id
 *
 * ICMP is keyed by the addresses alone, as Suricata keys it: every ICMP
 * message between two hosts, echo or not, belongs to one flow. An ICMPv4
 * destination-unreachable message is looked up by the packet it quotes,
 * so it joins the flow that caused it (`writeIcmpErrorKey`).
 * NOTE: ICMPv6 errors and other ICMPv4 errors (time exceeded, parameter
 * problem) are keyed as plain ICMP, so they form their own flow.
 */
import { IpProto, type Packet } from '../core/packet.js';

export const KEY_WORDS = 12;

/** Fixed seed, so flow hashes and flow ids are the same from run to run. */
const HASH_SEED = 0x6b617075;

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function hasPorts(proto: number): boolean {
  return proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP;
}

/**
 * Writes the key of `p` into `key` and returns true when the packet's
 * source is the lower side of the key (or both sides are equal).
 */
export function writePacketKey(p: Packet, key: Uint32Array): boolean {
  const proto = p.ipProto;
  const srcPort = hasPorts(proto) ? p.srcPort : 0;
  const dstPort = hasPorts(proto) ? p.dstPort : 0;
  let isSrcLower: boolean;
  if (p.ipVersion === 4) {
    const src = p.src4 >>> 0;
    const dst = p.dst4 >>> 0;
    isSrcLower = src < dst || (src === dst && srcPort <= dstPort);
    key[0] = isSrcLower ? src : dst;
    key[1] = 0;
    key[2] = 0;
    key[3] = 0;
    key[4] = isSrcLower ? dst : src;
    key[5] = 0;
    key[6] = 0;
    key[7] = 0;
  } else {
    const order = compareAddr16(p.srcAddr, p.dstAddr);
    isSrcLower = order < 0 || (order === 0 && srcPort <= dstPort);
    const lower = isSrcLower ? p.srcAddr : p.dstAddr;
    const higher = isSrcLower ? p.dstAddr : p.srcAddr;
    for (let i = 0; i < 4; i++) {
      key[i] = readU32(lower, i * 4);
      key[4 + i] = readU32(higher, i * 4);
    }
  }
  writeTail(key, isSrcLower, srcPort, dstPort, proto, p);
  return isSrcLower;
}

function writeTail(key: Uint32Array, isSrcLower: boolean, srcPort: number, dstPort: number, proto: number, p: Packet): void {
  key[8] = isSrcLower ? ((srcPort << 16) | dstPort) >>> 0 : ((dstPort << 16) | srcPort) >>> 0;
  key[9] = proto | (p.ipVersion << 8);
  const vlans = p.vlanIds;
  const count = p.vlanCount;
  key[10] = ((count > 0 ? vlans[0] : 0) | ((count > 1 ? vlans[1] : 0) << 16)) >>> 0;
  key[11] = count > 2 ? vlans[2] : 0;
}

function compareAddr16(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/**
 * Writes the key of the TCP or UDP packet quoted in an ICMPv4
 * destination-unreachable message (RFC 792: the IP header plus the first
 * 8 bytes of its payload). Returns 1 or 0 for whether the quoted source
 * is the lower side, or -1 when the message quotes no usable packet.
 */
export function writeIcmpErrorKey(p: Packet, key: Uint32Array): number {
  if (p.ipVersion !== 4 || p.ipProto !== IpProto.ICMP || p.icmpType !== 3) return -1;
  const at = p.icmpInnerL3Offset;
  const bytes = p.bytes;
  if (at < 0 || at + 20 > p.captureLength) return -1;
  if (bytes[at] >> 4 !== 4) return -1;

  const headerBytes = (bytes[at] & 0x0f) * 4;
  const proto = bytes[at + 9];
  if (headerBytes < 20 || (proto !== IpProto.TCP && proto !== IpProto.UDP)) return -1;
  if (at + headerBytes + 4 > p.captureLength) return -1;

  const src = readU32(bytes, at + 12);
  const dst = readU32(bytes, at + 16);
  const srcPort = (bytes[at + headerBytes] << 8) | bytes[at + headerBytes + 1];
  const dstPort = (bytes[at + headerBytes + 2] << 8) | bytes[at + headerBytes + 3];
  const isSrcLower = src < dst || (src === dst && srcPort <= dstPort);
  key[0] = isSrcLower ? src : dst;
  key[1] = 0;
  key[2] = 0;
  key[3] = 0;
  key[4] = isSrcLower ? dst : src;
  key[5] = 0;
  key[6] = 0;
  key[7] = 0;
  writeTail(key, isSrcLower, srcPort, dstPort, proto, p);
  return isSrcLower ? 1 : 0;
}

/** Hashes the KEY_WORDS words of `key` at `offset` (MurmurHash3, 32-bit). */
export function hashKey(key: Uint32Array, offset: number): number {
  let h = HASH_SEED;
  for (let i = 0; i < KEY_WORDS; i++) {
    let k = Math.imul(key[offset + i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= KEY_WORDS * 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
