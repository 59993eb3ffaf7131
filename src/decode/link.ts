/**
 * Link layers: Ethernet with 802.1Q/802.1ad tags, Linux cooked capture
 * (SLL, SLL2), BSD loopback (null), raw IP, Cisco HDLC, the NSH service
 * header, and 802.11 frames, which are recognised and counted only. Each
 * decoder takes the offset of its header and the end of the frame.
 */
import { MAX_VLAN_LAYERS, type Packet } from '../core/packet.js';
import { DecodeStat, MAX_DECODE_LAYERS, raiseEvent, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  TRANSPARENT_ETHERNET: 0x6558,
  NSH: 0x894f,
} as const;

export const ETHERNET_HEADER_BYTES = 14;
export const VLAN_HEADER_BYTES = 4;
export const SLL_HEADER_BYTES = 16;
export const SLL2_HEADER_BYTES = 20;
export const NULL_HEADER_BYTES = 4;
export const ARP_HEADER_BYTES = 8;
export const CHDLC_HEADER_BYTES = 4;
/** NSH base and service path headers (RFC 8300 section 2.2). */
export const NSH_MIN_HEADER_BYTES = 8;

/**
 * Ethertypes that Suricata decodes and kapu does not yet: MPLS unicast and
 * multicast, PPPoE discovery and session, 802.1ah, DCE, VN-Tag, E-Tag and
 * ERSPAN. They count in decoder.unknown_ethertype without an event, so
 * that events match Suricata's. Every other ethertype from 0x0600 up
 * raises `ethernet.unknown_ethertype`, as in Suricata's decoder.
 */
// TODO: MPLS and PPPoE payloads are not decoded, so rules do not see the IP
// traffic inside them.
const KNOWN_UNDECODED_ETHERTYPES = new Set([0x8847, 0x8848, 0x8863, 0x8864, 0x88e7, 0x8903, 0x8926, 0x893f, 0x88be]);

/**
 * Counts one more layer in the packet. Returns false, with
 * `too_many_layers`, past MAX_DECODE_LAYERS.
 */
export function enterLayer(p: Packet, ctx: DecodeContext): boolean {
  ctx.layerCount++;
  if (ctx.layerCount > MAX_DECODE_LAYERS) {
    raiseInvalid(p, ctx, DecoderEvent.TOO_MANY_LAYERS);
    return false;
  }
  return true;
}

/** Decodes an Ethernet II header at `at` and what follows it. */
export function decodeEthernet(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.ETHERNET]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < ETHERNET_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.ETHERNET_PKT_TOO_SMALL);
    return;
  }
  // The innermost Ethernet header is the packet's own: the one a VXLAN or
  // GRE tunnel carries belongs to the inner packet, and the outer packet of
  // a tunnel (tunnel-root.ts) starts at the frame's first byte.
  p.l2Offset = at;
  const bytes = p.bytes;
  const etherType = (bytes[at + 12] << 8) | bytes[at + 13];
  decodeEtherType(p, ctx, etherType, at + ETHERNET_HEADER_BYTES, end);
}

/**
 * Decodes the layer that `etherType` names at `at`. Values below 0x0600
 * are 802.3 lengths (LLC frames such as STP), which kapu counts without an
 * event.
 */
export function decodeEtherType(p: Packet, ctx: DecodeContext, etherType: number, at: number, end: number): void {
  p.etherType = etherType;
  switch (etherType) {
    case EtherType.IPV4:
      decodeIpv4(p, ctx, at, end);
      return;
    case EtherType.IPV6:
      decodeIpv6(p, ctx, at, end);
      return;
    case EtherType.VLAN:
    case EtherType.QINQ:
    case EtherType.QINQ_OLD:
      decodeVlan(p, ctx, at, end);
      return;
    case EtherType.ARP:
      decodeArp(p, ctx, at, end);
      return;
    case EtherType.TRANSPARENT_ETHERNET:
      decodeEthernet(p, ctx, at, end);
      return;
    case EtherType.NSH:
      decodeNsh(p, ctx, at, end);
      return;
    default:
      ctx.counters[DecodeStat.UNKNOWN_ETHERTYPE]++;
      if (etherType >= 0x0600 && !KNOWN_UNDECODED_ETHERTYPES.has(etherType)) {
        raiseEvent(p, ctx, DecoderEvent.ETHERNET_UNKNOWN_ETHERTYPE);
      }
  }
}

/**
 * Decodes one 802.1Q or 802.1ad tag: TCI(2) with the 12-bit VLAN id, then
 * the inner ethertype(2).
 */
export function decodeVlan(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  if (p.vlanCount === 0) ctx.counters[DecodeStat.VLAN]++;
  else if (p.vlanCount === 1) ctx.counters[DecodeStat.VLAN_QINQ]++;
  else if (p.vlanCount === 2) ctx.counters[DecodeStat.VLAN_QINQINQ]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < VLAN_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.VLAN_HEADER_TOO_SMALL);
    return;
  }
  if (p.vlanCount >= MAX_VLAN_LAYERS) {
    raiseInvalid(p, ctx, DecoderEvent.VLAN_TOO_MANY_LAYERS);
    return;
  }

  const bytes = p.bytes;
  p.vlanIds[p.vlanCount] = ((bytes[at] & 0x0f) << 8) | bytes[at + 1];
  p.vlanCount++;
  const etherType = (bytes[at + 2] << 8) | bytes[at + 3];
  if (!isDecodedEtherType(etherType)) {
    // 802.3 lengths (LLC frames such as STP on a trunk) are normal.
    if (etherType >= 0x0600 && !KNOWN_UNDECODED_ETHERTYPES.has(etherType)) raiseEvent(p, ctx, DecoderEvent.VLAN_UNKNOWN_TYPE);
    ctx.counters[DecodeStat.UNKNOWN_ETHERTYPE]++;
    p.etherType = etherType;
    return;
  }
  decodeEtherType(p, ctx, etherType, at + VLAN_HEADER_BYTES, end);
}

/** Tells whether kapu decodes the layer that `etherType` names. */
export function isDecodedEtherType(etherType: number): boolean {
  switch (etherType) {
    case EtherType.IPV4:
    case EtherType.IPV6:
    case EtherType.ARP:
    case EtherType.VLAN:
    case EtherType.QINQ:
    case EtherType.QINQ_OLD:
    case EtherType.TRANSPARENT_ETHERNET:
    case EtherType.NSH:
      return true;
    default:
      return false;
  }
}

/**
 * Counts an ARP packet and records where its header starts. The catalogue
 * has no ARP events, so a header shorter than its fixed part only marks the
 * packet invalid. ARP carried by a tunnel (VXLAN, GRE bridging) is a
 * packet without IP of its own: the IP fields that the outer header set
 * are cleared, and the outer layer stays at `outerL3Offset`.
 */
export function decodeArp(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.ARP]++;
  if (p.tunnelDepth > 0) {
    p.ipVersion = 0;
    p.l3Offset = -1;
    p.ipProto = 0;
  }
  if (end - at < ARP_HEADER_BYTES) {
    p.isInvalid = true;
    return;
  }
  p.arpOffset = at;
}

/**
 * Linux cooked capture v1: packet type(2) ARPHRD type(2) address length(2)
 * address(8) protocol(2). The protocol is an ethertype for IP traffic.
 */
export function decodeSll(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.SLL]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < SLL_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.SLL_PKT_TOO_SMALL);
    return;
  }
  p.l2Offset = at;
  const protocol = (p.bytes[at + 14] << 8) | p.bytes[at + 15];
  decodeEtherType(p, ctx, protocol, at + SLL_HEADER_BYTES, end);
}

/**
 * Linux cooked capture v2: protocol(2) reserved(2) interface index(4)
 * ARPHRD type(2) packet type(1) address length(1) address(8).
 */
export function decodeSll2(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.SLL2]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < SLL2_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.SLL_PKT_TOO_SMALL);
    return;
  }
  p.l2Offset = at;
  const protocol = (p.bytes[at] << 8) | p.bytes[at + 1];
  decodeEtherType(p, ctx, protocol, at + SLL2_HEADER_BYTES, end);
}

/**
 * BSD loopback: a 4-byte address family. LINKTYPE_NULL stores it in the
 * byte order of the capturing host, so both orders are tried;
 * LINKTYPE_LOOP stores it big-endian. IPv6 is 24 (NetBSD, OpenBSD), 28
 * (FreeBSD, DragonFly) or 30 (macOS), and 10 on Linux.
 */
export function decodeNull(p: Packet, ctx: DecodeContext, at: number, end: number, isBigEndianOnly: boolean): void {
  ctx.counters[DecodeStat.NULL]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < NULL_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.LTNULL_PKT_TOO_SMALL);
    return;
  }
  const bytes = p.bytes;
  const bigEndian = ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  const littleEndian = ((bytes[at + 3] << 24) | (bytes[at + 2] << 16) | (bytes[at + 1] << 8) | bytes[at]) >>> 0;
  const family = isBigEndianOnly || bigEndian < littleEndian ? bigEndian : littleEndian;
  p.l2Offset = at;
  switch (family) {
    case 2:
      decodeIpv4(p, ctx, at + NULL_HEADER_BYTES, end);
      return;
    case 10:
    case 24:
    case 28:
    case 30:
      decodeIpv6(p, ctx, at + NULL_HEADER_BYTES, end);
      return;
    default:
      raiseEvent(p, ctx, DecoderEvent.LTNULL_UNSUPPORTED_TYPE);
  }
}

/**
 * Raw IP: the version nibble picks IPv4 or IPv6. `onlyVersion` is 4 or 6
 * for LINKTYPE_IPV4 and LINKTYPE_IPV6, 0 for LINKTYPE_RAW.
 */
export function decodeRaw(p: Packet, ctx: DecodeContext, at: number, end: number, onlyVersion: number): void {
  ctx.counters[DecodeStat.RAW]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < 1) {
    raiseInvalid(p, ctx, DecoderEvent.IPRAW_INVALID_IP_VERSION);
    return;
  }
  const version = p.bytes[at] >> 4;
  if (onlyVersion === 4 || (onlyVersion === 0 && version === 4)) {
    decodeIpv4(p, ctx, at, end);
  } else if (onlyVersion === 6 || (onlyVersion === 0 && version === 6)) {
    decodeIpv6(p, ctx, at, end);
  } else {
    raiseInvalid(p, ctx, DecoderEvent.IPRAW_INVALID_IP_VERSION);
  }
}

/**
 * Counts an 802.11 frame. Frame decoding belongs to the wireless monitor;
 * the IP stages see no layers here.
 */
export function decodeIeee80211(p: Packet, ctx: DecodeContext, at: number): void {
  ctx.counters[DecodeStat.IEEE80211]++;
  p.l2Offset = at;
}

/**
 * Radiotap: version(1) pad(1) length(2, little-endian) present flags, then
 * the 802.11 frame at `length`. A length that does not fit marks the packet
 * invalid; there is no Suricata event for it.
 */
export function decodeRadiotap(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.RADIOTAP]++;
  if (end - at < 8) {
    p.isInvalid = true;
    return;
  }
  const headerBytes = p.bytes[at + 2] | (p.bytes[at + 3] << 8);
  if (headerBytes < 8 || at + headerBytes > end) {
    p.isInvalid = true;
    return;
  }
  decodeIeee80211(p, ctx, at + headerBytes);
}

/**
 * Cisco HDLC: address(1) control(1) protocol(2), the protocol being an
 * ethertype.
 */
export function decodeChdlc(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.CHDLC]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < CHDLC_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.CHDLC_PKT_TOO_SMALL);
    return;
  }
  p.l2Offset = at;
  const protocol = (p.bytes[at + 2] << 8) | p.bytes[at + 3];
  decodeEtherType(p, ctx, protocol, at + CHDLC_HEADER_BYTES, end);
}

/**
 * Network Service Header (RFC 8300 section 2):
 *
 *   ver(2) O(1) U(1) TTL(6) length(6, in 4-byte words) U(4) MD type(4) next protocol(8)
 *   service path id(24) service index(8)
 *   context headers
 *
 * MD type 1 has a fixed length of 6 words, MD type 2 at least 2. The next
 * protocol is 1 IPv4, 2 IPv6, 3 Ethernet or 4 NSH. The catalogue has no NSH
 * events, so a bad header only marks the packet invalid.
 */
export function decodeNsh(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.NSH]++;
  if (!enterLayer(p, ctx)) return;
  const bytes = p.bytes;
  if (end - at < NSH_MIN_HEADER_BYTES || bytes[at] >> 6 !== 0) {
    p.isInvalid = true;
    return;
  }
  const headerBytes = (bytes[at + 1] & 0x3f) * 4;
  const mdType = bytes[at + 2] & 0x0f;
  const isLengthValid = mdType === 1 ? headerBytes === 24 : mdType === 2 && headerBytes >= NSH_MIN_HEADER_BYTES;
  if (!isLengthValid || at + headerBytes > end) {
    p.isInvalid = true;
    return;
  }
  switch (bytes[at + 3]) {
    case 1:
      decodeIpv4(p, ctx, at + headerBytes, end);
      return;
    case 2:
      decodeIpv6(p, ctx, at + headerBytes, end);
      return;
    case 3:
      decodeEthernet(p, ctx, at + headerBytes, end);
      return;
    case 4:
      decodeNsh(p, ctx, at + headerBytes, end);
      return;
    default:
      p.isInvalid = true;
  }
}
