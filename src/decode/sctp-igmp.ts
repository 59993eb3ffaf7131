/**
 * SCTP common header (RFC 9260 section 3.1) and IGMP (RFC 2236, RFC 9776).
 */
import { ChecksumState, type Packet } from '../core/packet.js';
import { addChecksumWords, isChecksumValid, sctpCrc32c } from './checksum.js';
import { DecodeStat, raiseEvent, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';

export const SCTP_HEADER_BYTES = 12;
export const IGMP_MIN_BYTES = 8;
/** IGMPv3 membership query: 12 bytes before the source list (RFC 9776 section 4.1). */
export const IGMP_V3_QUERY_MIN_BYTES = 12;

/** Chunk type names by type (IANA SCTP chunk types registry, RFC 9260 section 3.2). */
export const SCTP_CHUNK_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'data'],
  [1, 'init'],
  [2, 'init_ack'],
  [3, 'sack'],
  [4, 'heartbeat'],
  [5, 'heartbeat_ack'],
  [6, 'abort'],
  [7, 'shutdown'],
  [8, 'shutdown_ack'],
  [9, 'error'],
  [10, 'cookie_echo'],
  [11, 'cookie_ack'],
  [12, 'ecne'],
  [13, 'cwr'],
  [14, 'shutdown_complete'],
  [15, 'auth'],
  [64, 'i_data'],
  [128, 'asconf_ack'],
  [130, 're_config'],
  [132, 'pad'],
  [192, 'forward_tsn'],
  [193, 'asconf'],
  [194, 'i_forward_tsn'],
]);

/** Chunk type of DATA (RFC 9260 section 3.3.1). */
export const SCTP_CHUNK_DATA = 0;
/** Chunk header: type(1) flags(1) length(2). */
export const SCTP_CHUNK_HEADER_BYTES = 4;
/** DATA chunk header before the user data: chunk header, TSN(4), stream id(2), stream sequence(2), PPID(4). */
export const SCTP_DATA_HEADER_BYTES = 16;
/**
 * Chunks in one packet past which `sctp.too_many_chunks` is raised. The
 * walk itself is bounded by the packet, as every chunk takes at least 4
 * bytes, so the bound only flags packets that real endpoints do not send.
 */
// NOTE: kapu's choice. Suricata 9 raises the same event, but its bound
// was not checked; both agree on packets of thousands of chunks.
export const SCTP_MAX_CHUNKS = 256;

/**
 * Walks the chunks after the common header (RFC 9260 section 3.2): counts
 * them, records their types, and makes the user data of the first DATA
 * chunk the packet's payload, as Suricata 9 does. A packet without DATA
 * has no payload. The walk stops at a chunk whose length is below 4 or
 * runs past the packet.
 */
function walkSctpChunks(p: Packet, ctx: DecodeContext, from: number, end: number): void {
  const bytes = p.bytes;
  const types = p.sctpChunkTypes;
  types.fill(0);
  p.sctpChunkCount = 0;
  p.payloadOffset = end;
  p.payloadLength = 0;
  let hasData = false;
  let at = from;
  while (end - at >= SCTP_CHUNK_HEADER_BYTES) {
    const type = bytes[at] as number;
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    if (length < SCTP_CHUNK_HEADER_BYTES || length > end - at) break;
    p.sctpChunkCount++;
    types[type >>> 5] |= 1 << (type & 31);
    if (type === SCTP_CHUNK_DATA && !hasData && length >= SCTP_DATA_HEADER_BYTES) {
      hasData = true;
      p.payloadOffset = at + SCTP_DATA_HEADER_BYTES;
      p.payloadLength = length - SCTP_DATA_HEADER_BYTES;
    }
    // Chunks are padded to a multiple of 4 bytes; the length leaves the padding out.
    at += (length + 3) & ~3;
  }
  if (p.sctpChunkCount > SCTP_MAX_CHUNKS) raiseEvent(p, ctx, DecoderEvent.SCTP_TOO_MANY_CHUNKS);
}

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
  walkSctpChunks(p, ctx, at + SCTP_HEADER_BYTES, end);

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
