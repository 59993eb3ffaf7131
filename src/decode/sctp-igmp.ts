/**
 * SCTP common header (RFC 9260 section 3.1) and IGMP (RFC 2236, RFC 9776).
 */
import { ChecksumState, type Packet } from '../core/packet.js';
import { addChecksumWords, isChecksumValid, sctpCrc32c } from './checksum.js';
import { DecodeStat, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';

export const SCTP_HEADER_BYTES = 12;
export const IGMP_MIN_BYTES = 8;
/** IGMPv3 membership query: 12 bytes before the source list (RFC 9776 section 4.1). */
export const IGMP_V3_QUERY_MIN_BYTES = 12;

/** Decodes the SCTP common header: ports(2+2) verification tag(4) checksum(4). */
export function decodeSctp(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.SCTP]++;
  const bytes = p.bytes;
  if (end - at < SCTP_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.SCTP_PKT_TOO_SMALL);
    return;
  }
  p.l4Offset = at;
  p.l4HeaderLength = SCTP_HEADER_BYTES;
  p.srcPort = (bytes[at] << 8) | bytes[at + 1];
  p.dstPort = (bytes[at + 2] << 8) | bytes[at + 3];
  p.payloadOffset = at + SCTP_HEADER_BYTES;
  p.payloadLength = end - at - SCTP_HEADER_BYTES;

  if (ctx.isChecksumValidationOn) {
    // The CRC32c is stored least significant byte first (RFC 9260 appendix A).
    const stored = (bytes[at + 8] | (bytes[at + 9] << 8) | (bytes[at + 10] << 16) | (bytes[at + 11] << 24)) >>> 0;
    if (sctpCrc32c(bytes, at, end, at + 8) === stored) {
      p.l4Checksum = ChecksumState.VALID;
    } else {
      p.l4Checksum = ChecksumState.INVALID;
      ctx.hasInvalidChecksum = true;
      ctx.counters[DecodeStat.SCTP_INVALID_CHECKSUM]++;
    }
  }
}

/** Decodes an IGMP message: type(1) max response(1) checksum(2) group(4), and checks its checksum. */
export function decodeIgmp(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.IGMP]++;
  const bytes = p.bytes;
  if (end - at < IGMP_MIN_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.IGMP_PKT_TOO_SMALL);
    return;
  }
  const type = bytes[at];
  // A query longer than 8 bytes is an IGMPv3 query (RFC 9776 section 7.1).
  if (type === 0x11 && end - at > IGMP_MIN_BYTES && end - at < IGMP_V3_QUERY_MIN_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.IGMP_V3_PKT_TOO_SMALL);
    return;
  }
  // The whole message is header: an IGMPv3 query's source list or a
  // report's group records are not payload, so `dsize` is 0 for IGMP.
  p.l4Offset = at;
  p.l4HeaderLength = end - at;
  p.payloadOffset = end;
  p.payloadLength = 0;

  // The checksum covers the whole IGMP message (RFC 2236 section 2.3).
  if (ctx.isChecksumValidationOn) {
    if (isChecksumValid(addChecksumWords(bytes, at, end, 0))) {
      p.l4Checksum = ChecksumState.VALID;
    } else {
      p.l4Checksum = ChecksumState.INVALID;
      ctx.hasInvalidChecksum = true;
      ctx.counters[DecodeStat.IGMP_INVALID_CHECKSUM]++;
    }
  }
}
