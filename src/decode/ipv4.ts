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
  ctx.pseudoSourceOffset = -1;
  ctx.pseudoDestinationOffset = -1;

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
    if (!decodeIpv4Options(p, ctx, at + IPV4_MIN_HEADER_BYTES, at + headerBytes)) return;
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
  // NOTE: Suricata 8 raises ipv4.unknown_protocol too; which numbers it
  // counts as unknown was not checked, so counts may differ from its own.
  if ((proto >= 146 && proto <= 252) || proto === 255) {
    raiseEvent(p, ctx, DecoderEvent.IPV4_UNKNOWN_PROTOCOL);
    return;
  }
  decodeIpPayload(p, ctx, proto, at + headerBytes, at + totalLength);
}

/**
 * Checks the options area [at, end). RFC 791 section 3.1: EOL (0) and NOP
 * (1) are one byte, every other option is type(1) length(1) data, with the
 * length counting the type and length bytes. The events follow Suricata's
 * decoder. An area that is not a multiple of 8 bytes raises
 * `opt_pad_required`. A multi-byte option cut by the area's end raises
 * `opt_eol_required`, an unknown type `opt_invalid`, and a repeated known
 * type `opt_duplicate`. A bad length or layout of a known option marks the
 * packet invalid. Returns false when an option length breaks the walk, and
 * the layers above are not decoded.
 */
export function decodeIpv4Options(p: Packet, ctx: DecodeContext, at: number, end: number): boolean {
  const bytes = p.bytes;
  if ((end - at) % 8 !== 0) raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_PAD_REQUIRED);

  let i = at;
  while (i < end) {
    const type = bytes[i];
    if (type === Ipv4Option.EOL) return true;
    if (type === Ipv4Option.NOP) {
      i++;
      continue;
    }
    if (end - i < 2) {
      raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_EOL_REQUIRED);
      return true;
    }
    const length = bytes[i + 1];
    if (length < 2 || i + length > end) {
      raiseInvalid(p, ctx, DecoderEvent.IPV4_OPT_INVALID_LEN);
      return false;
    }

    if (!isKnownIpv4Option(type)) {
      raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_INVALID);
    } else {
      const bit = 1 << (type & 0x1f);
      if ((p.ipOptionsSeen & bit) !== 0) {
        raiseEvent(p, ctx, DecoderEvent.IPV4_OPT_DUPLICATE);
      } else {
        // A known option that fails its checks marks the packet invalid,
        // but the walk goes on, and a later copy is not a duplicate.
        const problem = checkIpv4Option(bytes, i, type, length);
        if (problem !== 0) raiseInvalid(p, ctx, problem);
        else p.ipOptionsSeen |= bit;
      }
    }
    i += length;
  }
  return true;
}

function isKnownIpv4Option(type: number): boolean {
  switch (type) {
    case Ipv4Option.RR:
    case Ipv4Option.QS:
    case Ipv4Option.TS:
    case Ipv4Option.SEC:
    case Ipv4Option.LSRR:
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
 * Checks the length and layout of the known option at `at`. Returns 0, or
 * the event: `opt_invalid_len` for a length the option cannot have,
 * `opt_malformed` for a bad pointer or CIPSO tag.
 */
function checkIpv4Option(bytes: Uint8Array, at: number, type: number, length: number): number {
  switch (type) {
    case Ipv4Option.RR:
    case Ipv4Option.LSRR:
    case Ipv4Option.SSRR: {
      // type length pointer address...; the 1-based pointer moves in 4-byte
      // steps from 4 and may point one past the option.
      if (length < 3) return DecoderEvent.IPV4_OPT_INVALID_LEN;
      const pointer = bytes[at + 2];
      if (pointer < 4 || pointer % 4 !== 0 || pointer > length + 1) return DecoderEvent.IPV4_OPT_MALFORMED;
      return 0;
    }
    case Ipv4Option.TS: {
      // type length pointer overflow|flag records; flags 1 and 3 carry an
      // address with each timestamp (8-byte records), flag 0 does not.
      if (length < 5) return DecoderEvent.IPV4_OPT_INVALID_LEN;
      const pointer = bytes[at + 2];
      if (pointer < 5) return DecoderEvent.IPV4_OPT_MALFORMED;
      const flag = bytes[at + 3] & 0x0f;
      const recordBytes = flag === 1 || flag === 3 ? 8 : 4;
      if ((pointer - 5) % recordBytes !== 0 || pointer > length + 1) return DecoderEvent.IPV4_OPT_MALFORMED;
      return 0;
    }
    case Ipv4Option.QS:
      // RFC 4782 section 3.1: 8 bytes.
      return length < 8 ? DecoderEvent.IPV4_OPT_INVALID_LEN : 0;
    case Ipv4Option.SEC:
      // RFC 1108 section 2.3: 11 bytes.
      return length !== 11 ? DecoderEvent.IPV4_OPT_INVALID_LEN : 0;
    case Ipv4Option.SID:
    case Ipv4Option.RTRALT:
      // Stream id (RFC 791) and router alert (RFC 2113): 4 bytes.
      return length !== 4 ? DecoderEvent.IPV4_OPT_INVALID_LEN : 0;
    case Ipv4Option.CIPSO:
      return checkCipso(bytes, at, length);
    default:
      return 0;
  }
}

/**
 * CIPSO (FIPS 188, the expired CIPSO draft): type length DOI(4) tags, each
 * tag type(1) length(1) data. Tag types 1, 2, 5, 6 and 7 are defined. A tag
 * is at least 4 bytes long, and its alignment byte is zero unless the type
 * is 7.
 */
function checkCipso(bytes: Uint8Array, at: number, length: number): number {
  if (length < 10) return DecoderEvent.IPV4_OPT_INVALID_LEN;
  let tag = at + 6;
  const end = at + length;
  while (tag < end) {
    if (end - tag < 2) return DecoderEvent.IPV4_OPT_MALFORMED;
    const tagType = bytes[tag];
    const tagBytes = bytes[tag + 1];
    if (tagBytes > end - tag) return DecoderEvent.IPV4_OPT_MALFORMED;
    if (tagType !== 1 && tagType !== 2 && tagType !== 5 && tagType !== 6 && tagType !== 7) return DecoderEvent.IPV4_OPT_MALFORMED;
    if (tagBytes < 4) return DecoderEvent.IPV4_OPT_MALFORMED;
    if (tagType !== 7 && bytes[tag + 2] !== 0) return DecoderEvent.IPV4_OPT_MALFORMED;
    tag += tagBytes;
  }
  return 0;
}
