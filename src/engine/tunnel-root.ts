/**
 * The outer packet of a tunnel. The decoder describes a tunnelled frame by
 * its innermost layers and keeps only the offset of the outermost IP
 * header, but Suricata runs the outer packet through flow, detection and
 * output too (its flow has protocol IP-in-IP, IPv6, GRE or UDP), and then
 * the inner packet, whose events carry `pkt_src` "ipv4 tunnel" (and the
 * like) and a `tunnel` object that names the outer packet.
 *
 * Layers between the outermost and the innermost one (a tunnel inside a
 * tunnel) become packets of their own too, filled by fillTunnelLayer.
 * NOTE: such a middle layer is inspected without a flow (IP-only rules run
 * on each of its packets), and only the first MAX_TUNNEL_LAYER_OFFSETS
 * layers are recorded.
 */
import { IpProto, LinkType, type Packet } from '../core/packet.js';
import { GENEVE_HEADER_BYTES, GENEVE_PORT } from '../decode/geneve.js';
import { PktSrc, type PktSrcValue } from '../output/eve-format.js';

const IPV4_MIN_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const UDP_HEADER_BYTES = 8;
const VXLAN_HEADER_BYTES = 8;
const IPV6_FRAGMENT_HEADER_BYTES = 8;
/** Extension headers walked before the outer packet's protocol, at most. */
const MAX_IPV6_EXTENSION_HEADERS = 8;

function readU16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

/**
 * Fills `root` with the outermost IP layer of the tunnelled packet `p`
 * (after decoding, `p.tunnelDepth` > 0). Returns false, leaving `root`
 * unusable, when that header cannot be read.
 */
export function fillTunnelRoot(root: Packet, p: Packet): boolean {
  return fillTunnelLayer(root, p, p.outerL3Offset);
}

/**
 * Fills `root` with the tunnel layer of `p` whose IP header starts at `at`
 * (an entry of `p.tunnelL3Offsets`). Returns false, leaving `root`
 * unusable, when that header cannot be read.
 */
export function fillTunnelLayer(root: Packet, p: Packet, at: number): boolean {
  const b = p.bytes;
  if (at < 0 || at >= b.length) return false;
  root.reset(b, p.timestampUs, p.wireLength, p.linkType, p.pcapCount);
  root.l2Offset = p.linkType === LinkType.ETHERNET ? 0 : -1;
  root.etherType = p.etherType;
  root.vlanIds.set(p.vlanIds);
  root.vlanCount = p.vlanCount;

  const version = (b[at] as number) >> 4;
  let l4: number;
  let end: number;
  if (version === 4) {
    const headerBytes = ((b[at] as number) & 0x0f) * 4;
    if (headerBytes < IPV4_MIN_HEADER_BYTES || at + headerBytes > b.length) return false;
    root.ipVersion = 4;
    root.ipHeaderLength = headerBytes;
    root.ipTotalLength = readU16(b, at + 2);
    root.tos = b[at + 1] as number;
    root.ipId = readU16(b, at + 4);
    root.ttl = b[at + 8] as number;
    root.ipProto = b[at + 9] as number;
    root.srcAddr.set(b.subarray(at + 12, at + 16));
    root.dstAddr.set(b.subarray(at + 16, at + 20));
    root.src4 = (((b[at + 12] as number) << 24) | ((b[at + 13] as number) << 16) | ((b[at + 14] as number) << 8) | (b[at + 15] as number)) >>> 0;
    root.dst4 = (((b[at + 16] as number) << 24) | ((b[at + 17] as number) << 16) | ((b[at + 18] as number) << 8) | (b[at + 19] as number)) >>> 0;
    l4 = at + headerBytes;
    end = Math.min(b.length, at + root.ipTotalLength);
  } else if (version === 6) {
    if (at + IPV6_HEADER_BYTES > b.length) return false;
    root.ipVersion = 6;
    root.ipTotalLength = IPV6_HEADER_BYTES + readU16(b, at + 4);
    root.tos = (readU16(b, at) >> 4) & 0xff;
    root.ttl = b[at + 7] as number;
    root.srcAddr.set(b.subarray(at + 8, at + 24));
    root.dstAddr.set(b.subarray(at + 24, at + 40));
    end = Math.min(b.length, at + root.ipTotalLength);
    l4 = skipIpv6Extensions(root, b, at + IPV6_HEADER_BYTES, b[at + 6] as number, end);
    if (l4 < 0) return false;
    root.ipHeaderLength = l4 - at;
  } else {
    return false;
  }
  root.l3Offset = at;

  if (root.ipProto === IpProto.UDP && l4 + UDP_HEADER_BYTES <= end) {
    root.l4Offset = l4;
    root.l4HeaderLength = UDP_HEADER_BYTES;
    root.srcPort = readU16(b, l4);
    root.dstPort = readU16(b, l4 + 2);
    root.payloadOffset = l4 + UDP_HEADER_BYTES;
    root.payloadLength = end - root.payloadOffset;
  } else if (root.ipProto === IpProto.GRE) {
    root.l4Offset = l4;
  }
  return true;
}

/** Walks IPv6 extension headers from `at`; sets `root.ipProto` and returns the layer-4 offset, or -1. */
function skipIpv6Extensions(root: Packet, b: Uint8Array, at: number, next: number, end: number): number {
  let offset = at;
  let proto = next;
  for (let i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
    if (proto !== IpProto.HOPOPTS && proto !== IpProto.ROUTING && proto !== IpProto.DSTOPTS
      && proto !== IpProto.FRAGMENT && proto !== IpProto.AH) break;
    if (offset + 2 > end) return -1;
    let length: number;
    if (proto === IpProto.FRAGMENT) length = IPV6_FRAGMENT_HEADER_BYTES;
    else if (proto === IpProto.AH) length = ((b[offset + 1] as number) + 2) * 4;
    else length = ((b[offset + 1] as number) + 1) * 8;
    proto = b[offset] as number;
    offset += length;
  }
  root.ipProto = proto;
  return offset;
}

/** Returns the EVE `pkt_src` of the inner packet of a tunnel whose outer packet is `root`. */
export function tunnelPktSrc(root: Packet): PktSrcValue {
  if (root.ipProto === IpProto.GRE) return PktSrc.GRE_TUNNEL;
  if (root.ipProto === IpProto.UDP) return root.dstPort === GENEVE_PORT ? PktSrc.GENEVE : PktSrc.VXLAN;
  return root.ipVersion === 6 ? PktSrc.IPV6_TUNNEL : PktSrc.IPV4_TUNNEL;
}

/**
 * Returns the offset where the inner packet of the tunnel starts: the
 * frame carried by VXLAN or Geneve (after Geneve's options), else the inner
 * IP header.
 */
export function innerPacketOffset(root: Packet, p: Packet): number {
  if (root.ipProto === IpProto.UDP && root.payloadOffset >= 0) {
    if (root.dstPort !== GENEVE_PORT) return root.payloadOffset + VXLAN_HEADER_BYTES;
    return root.payloadOffset + GENEVE_HEADER_BYTES + ((p.bytes[root.payloadOffset] as number) & 0x3f) * 4;
  }
  return p.l3Offset;
}
