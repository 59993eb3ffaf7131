/**
 * IPv4 (RFC 791) with its options, and the dispatch to the layer above IP.
 *
 *    0       4       8              16      19                      31
 *   | ver   | IHL   | TOS          | total length                   |
 *   | identification               | flags | fragment offset        |
 *   | TTL           | protocol     | header checksum                |
 *   | source address                                                |
 *   | destination address                                           |
 *   | options (IHL * 4 - 20 bytes)                                  |
 */
import { ChecksumState, IpProto, type Packet } from '../core/packet.js';
import { addChecksumWords, isChecksumValid } from './checksum.js';
import { DecodeStat, raiseEvent, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';
import { decodeIpPayload } from './ip-payload.js';
import { enterLayer } from './link.js';

export const IPV4_MIN_HEADER_BYTES = 20;

/** IPv4 option types (IANA "IP Option Numbers"), with copy and class bits. */
export const Ipv4Option = {
  EOL: 0,
  NOP: 1,
  RR: 7,
  QS: 25,
  TS: 68,
  SEC: 130,
  LSRR: 131,
  ESEC: 133,
  CIPSO: 134,
  SID: 136,
  SSRR: 137,
  RTRALT: 148,
} as const;

/** Decodes the IPv4 header at `at`; `end` is the end of the frame data. */
export function decodeIpv4(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.IPV4]++;
  if (!enterLayer(p, ctx)) return;
  const bytes = p.bytes;
  if (end - at < IPV4_MIN_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.IPV4_PKT_TOO_SMALL);
    return;
  }
  if (bytes[at] >> 4 !== 4) {
    raiseInvalid(p, ctx, DecoderEvent.IPV4_WRONG_IP_VERSION);
    return;
  }
  const headerBytes = (bytes[at] & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.IPV4_HLEN_TOO_SMALL);
    return;
  }
  const totalLength = (bytes[at + 2] << 8) | bytes[at + 3];
  if (totalLength < headerBytes) {
    raiseInvalid(p, ctx, DecoderEvent.IPV4_IPLEN_SMALLER_THAN_HLEN);
    return;
  }
  // The frame may be longer (Ethernet padding), never shorter.
  if (end - at < totalLength) {
    raiseInvalid(p, ctx, DecoderEvent.IPV4_TRUNC_PKT);
    return;
  }

  p.ipVersion = 4;
  p.l3Offset = at;
  p.ipHeaderLength = headerBytes;
  p.ipTotalLength = totalLength;
  p.tos = bytes[at + 1];
  p.ipId = (bytes[at + 4] << 8) | bytes[at + 5];
  p.ipFlags = bytes[at + 6] >> 5;
  p.fragmentOffset = (((bytes[at + 6] & 0x1f) << 8) | bytes[at + 7]) * 8;
  p.isFragment = (p.ipFlags & 0x1) !== 0 || p.fragmentOffset !== 0;
  p.ttl = bytes[at + 8];
  p.ipProto = bytes[at + 9];
  p.src4 = ((bytes[at + 12] << 24) | (bytes[at + 13] << 16) | (bytes[at + 14] << 8) | bytes[at + 15]) >>> 0;
  p.dst4 = ((bytes[at + 16] << 24) | (bytes[at + 17] << 16) | (bytes[at + 18] << 8) | bytes[at + 19]) >>> 0;
  const src = p.srcAddr;
  const dst = p.dstAddr;
  for (let i = 0; i < 4; i++) {
    src[i] = bytes[at + 12 + i];
    dst[i] = bytes[at + 16 + i];
  }
  p.ipOptionsOffset = -1;
  p.ipOptionsLength = 0;
  p.ipOptionsSeen = 0;
  p.ipChecksum = ChecksumState.UNCHECKED;

  if (ctx.isChecksumValidationOn) {
    if (isChecksumValid(addChecksumWords(bytes, at, at + headerBytes, 0))) {
      p.ipChecksum = ChecksumState.VALID;
    } else {
      p.ipChecksum = ChecksumState.INVALID;
      ctx.hasInvalidChecksum = true;
      ctx.counters[DecodeStat.IPV4_INVALID_CHECKSUM]++;
    }
  }

  if (headerBytes > IPV4_MIN_HEADER_BYTES) {
    p.ipOptionsOffset = at + IPV4_MIN_HEADER_BYTES;
    p.ipOptionsLength = headerBytes - IPV4_MIN_HEADER_BYTES;
    decodeIpv4Options(p, ctx, at + IPV4_MIN_HEADER_BYTES, at + headerBytes);
  }

  // Fragments are reassembled by the flow stage; only the whole datagram
  // has a layer-4 header to decode.
  if (p.isFragment) return;

  const proto = p.ipProto;
  if (proto === IpProto.ICMPV6) {
    raiseEvent(p, ctx, DecoderEvent.IPV4_ICMPV6);
    return;
  }
  // Protocol numbers 146-252 are unassigned and 255 is reserved (IANA).
  if ((proto >= 146 && proto <= 252) || proto === 255) {
    raiseEvent(p, ctx, DecoderEvent.IPV4_UNKNOWN_PROTOCOL);
    return;
  }
  decodeIpPayload(p, ctx, proto, at + headerBytes, at + totalLength);
}

/**
 * Checks the options area [at, end). RFC 791: EOL (0) and NOP (1) are one
 * byte, every other option is type(1) length(1) data, with length counting
 * the type and length bytes. Options after EOL must be zero padding.
 */
export function decodeIpv4Options(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  const bytes = p.bytes;
  let i = at;
  while (i < end) {
    const type = bytes[i];
    if (type === Ipv4Option.EOL) {
      for (let pad = i + 1; pad < end; pad++) {
        if (bytes[pad] !== 0) {
          raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_PAD_REQUIRED);
          break;
        }
      }
      return;
    }
    if (type === Ipv4Option.NOP) {
      i++;
      continue;
    }
    if (end - i < 2) {
      raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_MALFORMED);
      return;
    }
    const length = bytes[i + 1];
    if (length < 2) {
      raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_INVALID_LEN);
      return;
    }
    if (i + length > end) {
      raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_MALFORMED);
      return;
    }

    const bit = 1 << (type & 0x1f);
    if ((p.ipOptionsSeen & bit) !== 0) raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_DUPLICATE);
    p.ipOptionsSeen |= bit;
    if (!isIpv4OptionLengthValid(type, length, bytes[i + 2])) {
      raiseEvent(p, ctx, isKnownIpv4Option(type) ? DecoderEvent.IPV4_OPT_INVALID_LEN : DecoderEvent.IPV4_OPT_UNKNOWN);
    }
    i += length;
  }
}

function isKnownIpv4Option(type: number): boolean {
  switch (type) {
    case Ipv4Option.RR:
    case Ipv4Option.QS:
    case Ipv4Option.TS:
    case Ipv4Option.SEC:
    case Ipv4Option.LSRR:
    case Ipv4Option.ESEC:
    case Ipv4Option.CIPSO:
    case Ipv4Option.SID:
    case Ipv4Option.SSRR:
    case Ipv4Option.RTRALT:
      return true;
    default:
      return false;
  }
}

/**
 * Length rules of the known options; unknown types return false. Route
 * options (RFC 791 section 3.1) carry a pointer and 4-byte addresses;
 * timestamps hold 4- or 8-byte entries after a 4-byte head.
 */
function isIpv4OptionLengthValid(type: number, length: number, pointer: number): boolean {
  switch (type) {
    case Ipv4Option.RR:
    case Ipv4Option.LSRR:
    case Ipv4Option.SSRR:
      return length >= 3 && (length - 3) % 4 === 0 && pointer >= 4;
    case Ipv4Option.TS:
      return length >= 4 && (length - 4) % 4 === 0 && pointer >= 5;
    case Ipv4Option.QS:
      return length === 8;
    case Ipv4Option.SID:
    case Ipv4Option.RTRALT:
      return length === 4;
    case Ipv4Option.SEC:
    case Ipv4Option.ESEC:
      return length >= 3;
    case Ipv4Option.CIPSO:
      return length >= 6;
    default:
      return false;
  }
}
