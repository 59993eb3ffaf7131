/**
 * IPv6 (RFC 8200) and its extension header chain.
 *
 *   | ver(4) | traffic class(8) | flow label(20)                   |
 *   | payload length(16)       | next header(8) | hop limit(8)     |
 *   | source address (16 bytes)                                   |
 *   | destination address (16 bytes)                              |
 */
import { ChecksumState, IpProto, type Packet } from '../core/packet.js';
import { DecodeStat, raiseEvent, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';
import { decodeIpPayload } from './ip-payload.js';
import { enterLayer } from './link.js';

export const IPV6_HEADER_BYTES = 40;
const FRAGMENT_HEADER_BYTES = 8;
const IPPROTO_MOBILITY = 135;
const IPPROTO_HIP = 139;
const IPPROTO_SHIM6 = 140;

/** Option types of hop-by-hop and destination options headers (IANA). */
const Ipv6Option = {
  PAD1: 0x00,
  PADN: 0x01,
  JUMBO: 0xc2,
  ROUTER_ALERT: 0x05,
  CALIPSO: 0x07,
  SMF_DPD: 0x08,
  QUICK_START: 0x26,
  RPL: 0x63,
  MPL: 0x6d,
  HOME_ADDRESS: 0xc9,
  TUNNEL_LIMIT: 0x04,
  IOAM: 0x31,
} as const;

/** Bits of the extension headers seen, to find duplicates. */
const Seen = {
  HOP: 0x01,
  ROUTING: 0x02,
  FRAGMENT: 0x04,
  AH: 0x10,
} as const;

/** Decodes the IPv6 header at `at`, its extension headers and the payload. */
export function decodeIpv6(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.IPV6]++;
  if (!enterLayer(p, ctx)) return;
  const bytes = p.bytes;
  if (end - at < IPV6_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.IPV6_PKT_TOO_SMALL);
    return;
  }
  if (bytes[at] >> 4 !== 6) {
    raiseInvalid(p, ctx, DecoderEvent.IPV6_WRONG_IP_VERSION);
    return;
  }
  const payloadLength = (bytes[at + 4] << 8) | bytes[at + 5];
  let nextHeader = bytes[at + 6];
  let dataEnd = at + IPV6_HEADER_BYTES + payloadLength;
  // A payload length of 0 with a hop-by-hop header is a jumbogram (RFC
  // 2675) or a large GSO packet: the frame's end is the datagram's end.
  if (payloadLength === 0 && nextHeader === IpProto.HOPOPTS) dataEnd = end;
  if (dataEnd > end) {
    raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_PKT);
    return;
  }

  p.ipVersion = 6;
  p.l3Offset = at;
  p.ipTotalLength = dataEnd - at;
  p.tos = ((bytes[at] & 0x0f) << 4) | (bytes[at + 1] >> 4);
  p.ttl = bytes[at + 7];
  p.ipId = 0;
  p.ipFlags = 0;
  p.fragmentOffset = 0;
  p.isFragment = false;
  p.ipOptionsOffset = -1;
  p.ipOptionsLength = 0;
  p.ipOptionsSeen = 0;
  p.src4 = 0;
  p.dst4 = 0;
  p.ipChecksum = ChecksumState.UNCHECKED;
  const src = p.srcAddr;
  const dst = p.dstAddr;
  for (let i = 0; i < 16; i++) {
    src[i] = bytes[at + 8 + i];
    dst[i] = bytes[at + 24 + i];
  }

  ctx.pseudoSourceOffset = -1;
  ctx.pseudoDestinationOffset = -1;
  let offset = at + IPV6_HEADER_BYTES;
  let seen = 0;
  let dstOptsCount = 0;
  // Every header takes at least 8 bytes, so the chain ends within
  // payloadLength / 8 steps.
  for (;;) {
    // After an extension header, any next header needs at least 2 bytes
    // (next header and length); Suricata raises trunc_exthdr otherwise,
    // also when the next header is an upper-layer protocol.
    if (offset > at + IPV6_HEADER_BYTES && nextHeader !== IpProto.NONE && dataEnd - offset < 2) {
      raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
      return;
    }
    switch (nextHeader) {
      case IpProto.HOPOPTS:
      case IpProto.DSTOPTS: {
        if (dataEnd - offset < 8) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        const headerBytes = (bytes[offset + 1] + 1) * 8;
        if (offset + headerBytes > dataEnd) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        let isDuplicate = false;
        if (nextHeader === IpProto.HOPOPTS) {
          isDuplicate = (seen & Seen.HOP) !== 0;
          if (isDuplicate) raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_DUPL_HH);
          seen |= Seen.HOP;
        } else {
          // RFC 8200 section 4.1: one destination options header may come
          // before a routing header and one before the upper layer, so a
          // third one is a duplicate.
          dstOptsCount++;
          isDuplicate = dstOptsCount > 2;
          if (isDuplicate) raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_DUPL_DH);
        }
        // A duplicate header is skipped without checking its options.
        if (!isDuplicate) checkIpv6Options(p, ctx, offset + 2, offset + headerBytes, nextHeader === IpProto.HOPOPTS);
        nextHeader = bytes[offset];
        offset += headerBytes;
        break;
      }
      case IpProto.ROUTING: {
        if (dataEnd - offset < 8) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        const headerBytes = (bytes[offset + 1] + 1) * 8;
        if (offset + headerBytes > dataEnd) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        if ((seen & Seen.ROUTING) !== 0) raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_DUPL_RH);
        seen |= Seen.ROUTING;
        // RFC 5095 deprecates type 0 routing headers.
        const routingType = bytes[offset + 2];
        if (routingType === 0) raiseEvent(p, ctx, DecoderEvent.IPV6_RH_TYPE_0);
        setFinalDestination(ctx, bytes, offset, routingType);
        nextHeader = bytes[offset];
        offset += headerBytes;
        break;
      }
      case IpProto.FRAGMENT: {
        if (dataEnd - offset < FRAGMENT_HEADER_BYTES) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        if ((seen & Seen.FRAGMENT) !== 0) {
          // A second fragment header is skipped without further checks.
          raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_DUPL_FH);
          nextHeader = bytes[offset];
          offset += FRAGMENT_HEADER_BYTES;
          break;
        }
        seen |= Seen.FRAGMENT;
        // next header(1) reserved(1) offset(13 bits) res(2) M(1) identification(4)
        if (bytes[offset + 1] !== 0) raiseEvent(p, ctx, DecoderEvent.IPV6_FH_NON_ZERO_RESERVED_FIELD);
        const fragmentOffset = ((bytes[offset + 2] << 8) | (bytes[offset + 3] & 0xf8));
        const hasMore = (bytes[offset + 3] & 0x01) !== 0;
        p.ipId = ((bytes[offset + 4] << 24) | (bytes[offset + 5] << 16) | (bytes[offset + 6] << 8) | bytes[offset + 7]) >>> 0;
        p.fragmentOffset = fragmentOffset;
        p.ipFlags = hasMore ? 0x1 : 0;
        nextHeader = bytes[offset];
        offset += FRAGMENT_HEADER_BYTES;
        if (fragmentOffset === 0 && !hasMore) {
          // An atomic fragment (RFC 6946): the header serves no purpose.
          raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_USELESS_FH);
          break;
        }
        // RFC 8200 section 4.5: every fragment but the last carries a
        // multiple of 8 bytes.
        if (hasMore && (dataEnd - offset) % 8 !== 0) raiseEvent(p, ctx, DecoderEvent.IPV6_FRAG_INVALID_LENGTH);
        p.isFragment = true;
        finishIpv6(p, at, offset, nextHeader);
        // The flow stage reassembles fragments.
        return;
      }
      case IpProto.AH: {
        // RFC 4302 section 2: next header(1) payload length(1, in 4-byte
        // units minus 2) reserved(2, must be zero) SPI(4) sequence(4) ICV.
        if (dataEnd - offset < 12) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        const headerBytes = (bytes[offset + 1] + 2) * 4;
        if (offset + headerBytes > dataEnd) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        if ((seen & Seen.AH) !== 0) raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_DUPL_AH);
        seen |= Seen.AH;
        if (bytes[offset + 2] !== 0 || bytes[offset + 3] !== 0) raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_AH_RES_NOT_NULL);
        nextHeader = bytes[offset];
        offset += headerBytes;
        break;
      }
      case IPPROTO_MOBILITY:
      case IPPROTO_HIP:
      case IPPROTO_SHIM6: {
        // Extension headers kapu does not decode (RFC 6275, RFC 7401,
        // RFC 5533): next header(1) length(1, in 8-byte units after the
        // first 8), skipped to reach the upper layer.
        if (dataEnd - offset < 8) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        const headerBytes = (bytes[offset + 1] + 1) * 8;
        if (offset + headerBytes > dataEnd) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_TRUNC_EXTHDR);
          return;
        }
        nextHeader = bytes[offset];
        offset += headerBytes;
        break;
      }
      case IpProto.ESP:
        finishIpv6(p, at, offset, nextHeader);
        ctx.counters[DecodeStat.ESP]++;
        p.payloadOffset = offset;
        p.payloadLength = dataEnd - offset;
        return;
      case IpProto.NONE:
        finishIpv6(p, at, offset, nextHeader);
        if (offset < dataEnd) raiseEvent(p, ctx, DecoderEvent.IPV6_DATA_AFTER_NONE_HEADER);
        return;
      case IpProto.ICMP:
        finishIpv6(p, at, offset, nextHeader);
        raiseEvent(p, ctx, DecoderEvent.IPV6_ICMPV4);
        return;
      case IpProto.IPIP:
        finishIpv6(p, at, offset, nextHeader);
        if (dataEnd - offset < 20) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_IPV4_IN_IPV6_TOO_SMALL);
          return;
        }
        if (bytes[offset] >> 4 !== 4) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_IPV4_IN_IPV6_WRONG_VERSION);
          return;
        }
        decodeIpPayload(p, ctx, nextHeader, offset, dataEnd);
        return;
      case IpProto.IPV6:
        finishIpv6(p, at, offset, nextHeader);
        if (dataEnd - offset < IPV6_HEADER_BYTES) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_IPV6_IN_IPV6_TOO_SMALL);
          return;
        }
        if (bytes[offset] >> 4 !== 6) {
          raiseInvalid(p, ctx, DecoderEvent.IPV6_IPV6_IN_IPV6_WRONG_VERSION);
          return;
        }
        decodeIpPayload(p, ctx, nextHeader, offset, dataEnd);
        return;
      case IpProto.TCP:
      case IpProto.UDP:
      case IpProto.ICMPV6:
      case IpProto.SCTP:
      case IpProto.GRE:
        finishIpv6(p, at, offset, nextHeader);
        decodeIpPayload(p, ctx, nextHeader, offset, dataEnd);
        return;
      default:
        // IGMP, OSPF, PIM and the rest have no decoder here; Suricata
        // raises the same event for them.
        finishIpv6(p, at, offset, nextHeader);
        raiseEvent(p, ctx, DecoderEvent.IPV6_UNKNOWN_NEXT_HEADER);
        p.payloadOffset = offset;
        p.payloadLength = dataEnd - offset;
        return;
    }
  }
}

/**
 * Records where the final destination of a routing header with segments
 * left sits. Types 0 and 2 (RFC 8200 section 4.4, RFC 6275 section 6.4)
 * list addresses after 8 bytes and the last one is final. Type 4 (segment
 * routing, RFC 8754 section 2) stores the final segment first.
 */
function setFinalDestination(ctx: DecodeContext, bytes: Uint8Array, offset: number, routingType: number): void {
  const segmentsLeft = bytes[offset + 3];
  const addresses = bytes[offset + 1] >> 1;
  if (segmentsLeft === 0 || addresses === 0) return;
  if (routingType === 0 || routingType === 2) ctx.pseudoDestinationOffset = offset + 8 + 16 * (addresses - 1);
  else if (routingType === 4) ctx.pseudoDestinationOffset = offset + 8;
}

function finishIpv6(p: Packet, at: number, offset: number, nextHeader: number): void {
  p.ipHeaderLength = offset - at;
  p.ipProto = nextHeader;
}

/**
 * Checks the TLV options of a hop-by-hop or destination options header in
 * [at, end). RFC 8200 section 4.2: Pad1 is one zero byte, every other
 * option is type(1) length(1) data.
 */
function checkIpv6Options(p: Packet, ctx: DecodeContext, at: number, end: number, isHopByHop: boolean): void {
  const bytes = p.bytes;
  let paddingCount = 0;
  let otherCount = 0;
  let i = at;
  while (i < end) {
    const type = bytes[i];
    if (type === Ipv6Option.PAD1) {
      paddingCount++;
      i++;
      continue;
    }
    if (i + 2 > end || i + 2 + bytes[i + 1] > end) {
      raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_INVALID_OPTLEN);
      return;
    }
    const length = bytes[i + 1];
    if (type === Ipv6Option.PADN) {
      paddingCount++;
      if (length === 0) raiseEvent(p, ctx, DecoderEvent.IPV6_ZERO_LEN_PADN);
    } else if (!isKnownIpv6Option(type)) {
      otherCount++;
      raiseEvent(p, ctx, isHopByHop ? DecoderEvent.IPV6_HOPOPTS_UNKNOWN_OPT : DecoderEvent.IPV6_DSTOPTS_UNKNOWN_OPT);
    } else {
      if (length < ipv6OptionMinBytes(type)) {
        raiseEvent(p, ctx, DecoderEvent.IPV6_EXTHDR_INVALID_OPTLEN);
        return;
      }
      if (type === Ipv6Option.HOME_ADDRESS) ctx.pseudoSourceOffset = i + 2;
      // A jumbo payload option does not make the header more than padding,
      // as Suricata counts it.
      if (type !== Ipv6Option.JUMBO) otherCount++;
    }
    i += 2 + length;
  }
  if (paddingCount > 0 && otherCount === 0) {
    raiseEvent(p, ctx, isHopByHop ? DecoderEvent.IPV6_HOPOPTS_ONLY_PADDING : DecoderEvent.IPV6_DSTOPTS_ONLY_PADDING);
  }
}

function isKnownIpv6Option(type: number): boolean {
  switch (type) {
    case Ipv6Option.JUMBO:
    case Ipv6Option.ROUTER_ALERT:
    case Ipv6Option.CALIPSO:
    case Ipv6Option.SMF_DPD:
    case Ipv6Option.QUICK_START:
    case Ipv6Option.RPL:
    case Ipv6Option.MPL:
    case Ipv6Option.HOME_ADDRESS:
    case Ipv6Option.TUNNEL_LIMIT:
    case Ipv6Option.IOAM:
      return true;
    default:
      return false;
  }
}

/** Smallest data length of an option: jumbo payload 4 (RFC 2675), router alert 2 (RFC 2711), home address 16 (RFC 6275), tunnel limit 1 (RFC 2473). */
function ipv6OptionMinBytes(type: number): number {
  switch (type) {
    case Ipv6Option.JUMBO:
      return 4;
    case Ipv6Option.ROUTER_ALERT:
      return 2;
    case Ipv6Option.HOME_ADDRESS:
      return 16;
    case Ipv6Option.TUNNEL_LIMIT:
      return 1;
    default:
      return 0;
  }
}
