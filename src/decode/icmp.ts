/**
 * ICMPv4 (RFC 792) and ICMPv6 (RFC 4443): type(1) code(1) checksum(2),
 * then 4 bytes whose meaning depends on the type (echo identifier and
 * sequence, or unused before the invoking packet of an error).
 */
import { ChecksumState, IpProto, type Packet } from '../core/packet.js';
import { addChecksumWords, isChecksumValid, pseudoHeaderSum } from './checksum.js';
import { DecodeStat, raiseEvent, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';

export const ICMP_HEADER_BYTES = 8;

/** Decodes the ICMPv4 message at `at`, ending at `end`. */
export function decodeIcmpv4(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.ICMPV4]++;
  const bytes = p.bytes;
  if (end - at < ICMP_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.ICMPV4_PKT_TOO_SMALL);
    return;
  }
  const type = bytes[at];
  const code = bytes[at + 1];
  p.l4Offset = at;
  p.l4HeaderLength = ICMP_HEADER_BYTES;
  p.icmpType = type;
  p.icmpCode = code;
  p.payloadOffset = at + ICMP_HEADER_BYTES;
  p.payloadLength = end - at - ICMP_HEADER_BYTES;

  const maxCode = icmpv4MaxCode(type);
  if (maxCode < 0) {
    raiseEvent(p, ctx, DecoderEvent.ICMPV4_UNKNOWN_TYPE);
  } else if (code > maxCode) {
    raiseEvent(p, ctx, DecoderEvent.ICMPV4_UNKNOWN_CODE);
  } else if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
    // Errors carry the invoking IP header plus 8 bytes (RFC 792); an error
    // with no bytes after its header is accepted as Suricata does.
    const inner = at + ICMP_HEADER_BYTES;
    if (end > inner) {
      if (end - inner < 20) {
        raiseEvent(p, ctx, DecoderEvent.ICMPV4_IPV4_TRUNC_PKT);
      } else if (bytes[inner] >> 4 !== 4) {
        raiseEvent(p, ctx, DecoderEvent.ICMPV4_IPV4_UNKNOWN_VER);
      } else {
        p.icmpInnerL3Offset = inner;
      }
    }
  } else if ((type === 13 || type === 14) && end - at < ICMP_HEADER_BYTES + 12) {
    // Timestamp messages carry three 4-byte timestamps (RFC 792).
    raiseEvent(p, ctx, DecoderEvent.ICMPV4_IPV4_TRUNC_PKT);
  }

  if (type === 0 || type === 8 || (type >= 13 && type <= 18)) {
    p.icmpId = (bytes[at + 4] << 8) | bytes[at + 5];
    p.icmpSeq = (bytes[at + 6] << 8) | bytes[at + 7];
  }

  if (ctx.isChecksumValidationOn) {
    if (isChecksumValid(addChecksumWords(bytes, at, end, 0))) {
      p.l4Checksum = ChecksumState.VALID;
    } else {
      p.l4Checksum = ChecksumState.INVALID;
      ctx.hasInvalidChecksum = true;
      ctx.counters[DecodeStat.ICMPV4_INVALID_CHECKSUM]++;
    }
  }
}

/**
 * Highest code accepted for an ICMPv4 type, or -1 for a type kapu does not
 * know. The table is the one Suricata's decoder checks: the RFC 792 and RFC
 * 950 types, with router advertisement (9) and solicitation (10) taking any
 * code and parameter problem (12) only code 0.
 */
function icmpv4MaxCode(type: number): number {
  switch (type) {
    case 0:
    case 4:
    case 8:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
      return 0;
    case 3:
      return 15;
    case 5:
      return 3;
    case 9:
    case 10:
      return 255;
    case 11:
      return 1;
    default:
      return -1;
  }
}

/** Decodes the ICMPv6 message at `at`, ending at `end`. */
export function decodeIcmpv6(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.ICMPV6]++;
  const bytes = p.bytes;
  if (end - at < ICMP_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.ICMPV6_PKT_TOO_SMALL);
    return;
  }
  const type = bytes[at];
  const code = bytes[at + 1];
  p.l4Offset = at;
  p.l4HeaderLength = ICMP_HEADER_BYTES;
  p.icmpType = type;
  p.icmpCode = code;
  p.payloadOffset = at + ICMP_HEADER_BYTES;
  p.payloadLength = end - at - ICMP_HEADER_BYTES;

  if (type >= 1 && type <= 4) {
    // RFC 4443 section 3: errors carry as much of the invoking packet as fits.
    const inner = at + ICMP_HEADER_BYTES;
    if (end - inner < 40) {
      raiseEvent(p, ctx, DecoderEvent.ICMPV6_IPV6_TRUNC_PKT);
    } else if (bytes[inner] >> 4 !== 6) {
      raiseEvent(p, ctx, DecoderEvent.ICMPV6_IPV6_UNKNOWN_VERSION);
    } else {
      p.icmpInnerL3Offset = inner;
    }
  } else if (type === 128 || type === 129) {
    p.icmpId = (bytes[at + 4] << 8) | bytes[at + 5];
    p.icmpSeq = (bytes[at + 6] << 8) | bytes[at + 7];
  } else if ((type >= 130 && type <= 132) || type === 143) {
    // RFC 2710 section 3 and RFC 3810 section 5: MLD messages are sent
    // with a hop limit of 1.
    if (p.ttl !== 1) raiseEvent(p, ctx, DecoderEvent.ICMPV6_MLD_MESSAGE_WITH_INVALID_HL);
  }

  const maxCode = icmpv6MaxCode(type);
  if (type === 100 || type === 101 || type === 200 || type === 201) {
    raiseEvent(p, ctx, DecoderEvent.ICMPV6_EXPERIMENTATION_TYPE);
  } else if (type === 0 || type === 127) {
    raiseEvent(p, ctx, DecoderEvent.ICMPV6_UNKNOWN_TYPE);
  } else if (maxCode < 0) {
    raiseEvent(p, ctx, DecoderEvent.ICMPV6_UNASSIGNED_TYPE);
  } else if (code > maxCode) {
    raiseEvent(p, ctx, DecoderEvent.ICMPV6_UNKNOWN_CODE);
  }

  if (ctx.isChecksumValidationOn) {
    const sum = addChecksumWords(bytes, at, end, pseudoHeaderSum(p, ctx, IpProto.ICMPV6, end - at));
    if (isChecksumValid(sum)) {
      p.l4Checksum = ChecksumState.VALID;
    } else {
      p.l4Checksum = ChecksumState.INVALID;
      ctx.hasInvalidChecksum = true;
      ctx.counters[DecodeStat.ICMPV6_INVALID_CHECKSUM]++;
    }
  }
}

/**
 * Highest code defined for an ICMPv6 type (IANA "ICMPv6 Parameters"), or
 * -1 for unassigned types (5-99, 102-126, 160-199, 202-255). Types whose
 * codes carry other data (router renumbering, node information, RPL)
 * accept any code.
 */
function icmpv6MaxCode(type: number): number {
  if (type === 1) return 8;
  if (type === 2) return 0;
  if (type === 3) return 1;
  if (type === 4) return 3;
  if (type >= 128 && type <= 137) return 0;
  if (type >= 138 && type <= 159) return 255;
  return -1;
}
