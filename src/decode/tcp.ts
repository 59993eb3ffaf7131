/**
 * TCP (RFC 9293) and its options.
 *
 *   | source port(16)            | destination port(16)          |
 *   | sequence number(32)                                        |
 *   | acknowledgment number(32)                                  |
 *   | offset(4) res(4) flags(8)  | window(16)                    |
 *   | checksum(16)               | urgent pointer(16)            |
 *   | options (offset * 4 - 20 bytes)                            |
 */
import { ChecksumState, IpProto, type Packet } from '../core/packet.js';
import { addChecksumWords, isChecksumValid, pseudoHeaderSum } from './checksum.js';
import { DecodeStat, raiseEvent, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';

export const TCP_MIN_HEADER_BYTES = 20;

/** TCP option kinds (IANA). */
export const TcpOption = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
  MD5: 19,
  AO: 29,
  TFO: 34,
} as const;

/** Largest window-scale shift (RFC 7323 section 2.3); larger values are used as 14. */
export const TCP_MAX_WINDOW_SCALE = 14;

/** Decodes the TCP header at `at`; the segment ends at `end`. */
export function decodeTcp(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.TCP]++;
  const bytes = p.bytes;
  if (end - at < TCP_MIN_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.TCP_PKT_TOO_SMALL);
    return;
  }
  const headerBytes = (bytes[at + 12] >> 4) * 4;
  if (end - at < headerBytes) {
    raiseInvalid(p, ctx, DecoderEvent.TCP_HLEN_TOO_SMALL);
    return;
  }
  // A data offset below 5 words leaves no room for the fixed header; as in
  // Suricata, this is an invalid options length.
  if (headerBytes < TCP_MIN_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.TCP_INVALID_OPTLEN);
    return;
  }

  p.l4Offset = at;
  p.l4HeaderLength = headerBytes;
  p.srcPort = (bytes[at] << 8) | bytes[at + 1];
  p.dstPort = (bytes[at + 2] << 8) | bytes[at + 3];
  p.tcpSeq = ((bytes[at + 4] << 24) | (bytes[at + 5] << 16) | (bytes[at + 6] << 8) | bytes[at + 7]) >>> 0;
  p.tcpAck = ((bytes[at + 8] << 24) | (bytes[at + 9] << 16) | (bytes[at + 10] << 8) | bytes[at + 11]) >>> 0;
  p.tcpFlags = bytes[at + 13];
  p.tcpWindow = (bytes[at + 14] << 8) | bytes[at + 15];
  p.tcpUrgentPointer = (bytes[at + 18] << 8) | bytes[at + 19];
  p.payloadOffset = at + headerBytes;
  p.payloadLength = end - at - headerBytes;

  if (headerBytes > TCP_MIN_HEADER_BYTES) {
    p.tcpOptionsOffset = at + TCP_MIN_HEADER_BYTES;
    p.tcpOptionsLength = headerBytes - TCP_MIN_HEADER_BYTES;
    decodeTcpOptions(p, ctx, at + TCP_MIN_HEADER_BYTES, at + headerBytes);
  }

  if (ctx.isChecksumValidationOn) {
    const sum = addChecksumWords(bytes, at, end, pseudoHeaderSum(p, ctx, IpProto.TCP, end - at));
    if (isChecksumValid(sum)) {
      p.l4Checksum = ChecksumState.VALID;
    } else {
      p.l4Checksum = ChecksumState.INVALID;
      ctx.hasInvalidChecksum = true;
      ctx.counters[DecodeStat.TCP_INVALID_CHECKSUM]++;
    }
  }
}

/**
 * Reads the options in [at, end): kind(1), then for every kind but EOL and
 * NOP a length(1) that counts the kind and length bytes. A length below 2
 * or past the header raises `tcp.opt_invalid_len` and stops the walk. A
 * known option with the wrong length raises the same event and is skipped.
 */
export function decodeTcpOptions(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  const bytes = p.bytes;
  let seen = 0;
  let i = at;
  while (i < end) {
    const kind = bytes[i];
    if (kind === TcpOption.EOL) return;
    if (kind === TcpOption.NOP) {
      i++;
      continue;
    }
    if (i + 2 > end) {
      raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
      return;
    }
    const length = bytes[i + 1];
    if (length < 2 || i + length > end) {
      raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
      return;
    }

    if (kind < 32) {
      const bit = 1 << kind;
      if ((seen & bit) !== 0) raiseEvent(p, ctx, DecoderEvent.TCP_OPT_DUPLICATE);
      seen |= bit;
    }

    switch (kind) {
      case TcpOption.MSS:
        if (length !== 4) raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
        else p.tcpMss = (bytes[i + 2] << 8) | bytes[i + 3];
        break;
      case TcpOption.WSCALE:
        if (length !== 3) raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
        else p.tcpWindowScale = Math.min(bytes[i + 2], TCP_MAX_WINDOW_SCALE);
        break;
      case TcpOption.SACK_PERMITTED:
        if (length !== 2) raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
        else p.tcpSackPermitted = true;
        break;
      case TcpOption.SACK:
        // RFC 2018 section 3: 2 bytes plus up to 4 blocks of 8 bytes. An
        // empty SACK (length 2) is accepted, as Suricata accepts it.
        if (length > 34 || (length - 2) % 8 !== 0) raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
        break;
      case TcpOption.TIMESTAMP:
        if (length !== 10) {
          raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
        } else {
          p.hasTcpTimestamp = true;
          p.tcpTsVal = ((bytes[i + 2] << 24) | (bytes[i + 3] << 16) | (bytes[i + 4] << 8) | bytes[i + 5]) >>> 0;
          p.tcpTsEcr = ((bytes[i + 6] << 24) | (bytes[i + 7] << 16) | (bytes[i + 8] << 8) | bytes[i + 9]) >>> 0;
        }
        break;
      case TcpOption.MD5:
        if (length !== 18) raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
        break;
      case TcpOption.TFO:
        // RFC 7413 section 4.1.1: empty (a request) or a 4 to 16 byte cookie.
        if (length !== 2 && (length < 6 || length > 18)) raiseEvent(p, ctx, DecoderEvent.TCP_OPT_INVALID_LEN);
        break;
      default:
        break;
    }
    i += length;
  }
}
