/**
 * GRE (RFC 2784, RFC 2890; version 1 is PPTP's enhanced GRE, RFC 2637) and
 * VXLAN (RFC 7348). The Packet describes the innermost IP layer, so entering
 * a tunnel keeps the outer IP header's offset in `outerL3Offset` and clears
 * the transport fields that the outer layer set. When the tunnel carries no
 * IP (ARP in VXLAN), the IP fields stay those of the outer header and
 * `etherType` names the inner protocol.
 *
 * NOTE: `ipChecksum` and the IP fields describe the inner header only, so
 * an invalid outer IPv4 checksum is counted in decoder.ipv4_invalid_checksum
 * but not visible to `ipv4-csum` on the packet.
 *
 *   GRE:   C R K S s recur(3) A flags(4) version(3) | protocol type(16)
 *          [checksum(2) offset(2)] [key(4)] [sequence(4)] [routing]
 *   VXLAN: flags(1, I = 0x08) reserved(3) VNI(3) reserved(1) | Ethernet
 */
import { ChecksumState, type Packet } from '../core/packet.js';
import { DecodeStat, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';
import { decodeEtherType, decodeEthernet, enterLayer, isDecodedEtherType } from './link.js';

export const GRE_MIN_HEADER_BYTES = 4;
export const VXLAN_HEADER_BYTES = 8;
/** UDP port of VXLAN (IANA). Suricata's default vxlan ports are the same. */
export const VXLAN_PORT = 4789;
/** Protocol type of PPP in enhanced GRE (RFC 2637 section 4.1). */
export const GRE_PROTO_PPP = 0x880b;

/** Records the outer layer of a tunnel and clears the transport fields it set. */
export function enterTunnel(p: Packet): void {
  if (p.tunnelDepth === 0) p.outerL3Offset = p.l3Offset;
  if (p.tunnelDepth < p.tunnelL3Offsets.length) p.tunnelL3Offsets[p.tunnelDepth] = p.l3Offset;
  p.tunnelDepth++;
  p.l4Offset = -1;
  p.l4HeaderLength = 0;
  p.srcPort = 0;
  p.dstPort = 0;
  p.l4Checksum = ChecksumState.UNCHECKED;
  p.payloadOffset = -1;
  p.payloadLength = 0;
}

/** Decodes a GRE header at `at` and its payload. */
export function decodeGre(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.GRE]++;
  if (!enterLayer(p, ctx)) return;
  if (end - at < GRE_MIN_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.GRE_PKT_TOO_SMALL);
    return;
  }

  const bytes = p.bytes;
  const flags = (bytes[at] << 8) | bytes[at + 1];
  const protocol = (bytes[at + 2] << 8) | bytes[at + 3];
  const hasChecksum = (flags & 0x8000) !== 0;
  const hasRouting = (flags & 0x4000) !== 0;
  const hasKey = (flags & 0x2000) !== 0;
  const hasSequence = (flags & 0x1000) !== 0;
  const hasStrictRoute = (flags & 0x0800) !== 0;
  const recursion = (flags >> 8) & 0x7;
  const version = flags & 0x7;
  p.l4Offset = at;

  let headerBytes = GRE_MIN_HEADER_BYTES;
  if (version === 0) {
    if (recursion !== 0) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION0_RECUR);
      return;
    }
    // RFC 2784 section 2.3: reserved0 bits 5-12 must be zero (RFC 2890
    // gives K and S their meaning again).
    if ((flags & 0x00f8) !== 0) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION0_FLAGS);
      return;
    }
    if (hasChecksum || hasRouting) headerBytes += 4;
    if (hasKey) headerBytes += 4;
    if (hasSequence) headerBytes += 4;
    if (at + headerBytes > end) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION0_HDR_TOO_BIG);
      return;
    }
    if (hasRouting) {
      // RFC 1701 source route entries: address family(2) offset(1)
      // length(1) data, ended by an entry of length 0.
      for (;;) {
        if (at + headerBytes + 4 > end) {
          raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION0_HDR_TOO_BIG);
          return;
        }
        const sreBytes = bytes[at + headerBytes + 3];
        headerBytes += 4 + sreBytes;
        if (sreBytes === 0) break;
      }
      if (at + headerBytes > end) {
        raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION0_HDR_TOO_BIG);
        return;
      }
    }
  } else if (version === 1) {
    // RFC 2637 section 4.1: C, R, s and recursion are zero, K is one, and
    // only the A (acknowledgment) flag may be set.
    if (hasChecksum) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_CHKSUM);
      return;
    }
    if (hasRouting) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_ROUTE);
      return;
    }
    if (hasStrictRoute) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_SSR);
      return;
    }
    if (recursion !== 0) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_RECUR);
      return;
    }
    if ((flags & 0x0078) !== 0) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_FLAGS);
      return;
    }
    if (!hasKey) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_NO_KEY);
      return;
    }
    if (protocol !== GRE_PROTO_PPP) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_WRONG_PROTOCOL);
      return;
    }
    headerBytes += 4;
    if (hasSequence) headerBytes += 4;
    if ((flags & 0x0080) !== 0) headerBytes += 4;
    if (at + headerBytes > end) {
      raiseInvalid(p, ctx, DecoderEvent.GRE_VERSION1_HDR_TOO_BIG);
      return;
    }
    // The payload is PPP, which kapu does not decode.
    p.l4HeaderLength = headerBytes;
    p.payloadOffset = at + headerBytes;
    p.payloadLength = end - at - headerBytes;
    return;
  } else {
    raiseInvalid(p, ctx, DecoderEvent.GRE_WRONG_VERSION);
    return;
  }

  p.l4HeaderLength = headerBytes;
  if (!isDecodedEtherType(protocol)) {
    // ERSPAN, WCCP, MPLS and other payloads stay the GRE payload.
    p.payloadOffset = at + headerBytes;
    p.payloadLength = end - at - headerBytes;
    return;
  }
  enterTunnel(p);
  decodeEtherType(p, ctx, protocol, at + headerBytes, end);
}

/**
 * Decodes a VXLAN header at `at` and the Ethernet frame it carries. Returns
 * false, and decodes nothing, when the bytes do not look like VXLAN
 * (RFC 7348 section 5: the I flag must be set, and a frame must follow):
 * the UDP payload then stays as it is.
 */
export function decodeVxlan(p: Packet, ctx: DecodeContext, at: number, end: number): boolean {
  if (end - at < VXLAN_HEADER_BYTES + 14 || (p.bytes[at] & 0x08) === 0) return false;
  ctx.counters[DecodeStat.VXLAN]++;
  if (!enterLayer(p, ctx)) return true;
  enterTunnel(p);
  decodeEthernet(p, ctx, at + VXLAN_HEADER_BYTES, end);
  return true;
}
