/**
 * UDP (RFC 768): source port(2) destination port(2) length(2) checksum(2).
 * VXLAN on UDP port 4789 and Geneve on UDP port 6081 are decoded through.
 */
import { ChecksumState, IpProto, type Packet } from '../core/packet.js';
import { addChecksumWords, isChecksumValid, pseudoHeaderSum } from './checksum.js';
import { DecodeStat, raiseInvalid, type DecodeContext } from './context.js';
import { DecoderEvent } from './events.js';
import { decodeVxlan, VXLAN_PORT } from './tunnel.js';
import { decodeGeneve, GENEVE_PORT } from './geneve.js';

export const UDP_HEADER_BYTES = 8;

/** Decodes the UDP header at `at`; the IP payload ends at `end`. */
export function decodeUdp(p: Packet, ctx: DecodeContext, at: number, end: number): void {
  ctx.counters[DecodeStat.UDP]++;
  const bytes = p.bytes;
  if (end - at < UDP_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.UDP_HLEN_TOO_SMALL);
    return;
  }
  const udpLength = (bytes[at + 4] << 8) | bytes[at + 5];
  if (udpLength > end - at) {
    raiseInvalid(p, ctx, DecoderEvent.UDP_PKT_TOO_SMALL);
    return;
  }
  // The length covers the header. Bytes after it, inside the IP payload,
  // are not part of the datagram and are ignored (Suricata does the same).
  if (udpLength < UDP_HEADER_BYTES) {
    raiseInvalid(p, ctx, DecoderEvent.UDP_LEN_INVALID);
    return;
  }

  p.l4Offset = at;
  p.l4HeaderLength = UDP_HEADER_BYTES;
  p.srcPort = (bytes[at] << 8) | bytes[at + 1];
  p.dstPort = (bytes[at + 2] << 8) | bytes[at + 3];
  p.payloadOffset = at + UDP_HEADER_BYTES;
  p.payloadLength = udpLength - UDP_HEADER_BYTES;

  if (ctx.isChecksumValidationOn) {
    const checksum = (bytes[at + 6] << 8) | bytes[at + 7];
    // RFC 768: over IPv4 a zero checksum means the sender computed none.
    // RFC 8200 section 8.1 makes it mandatory over IPv6.
    if (checksum === 0 && p.ipVersion === 4) {
      p.l4Checksum = ChecksumState.VALID;
    } else if (isChecksumValid(addChecksumWords(bytes, at, at + udpLength, pseudoHeaderSum(p, ctx, IpProto.UDP, udpLength)))) {
      p.l4Checksum = ChecksumState.VALID;
    } else {
      p.l4Checksum = ChecksumState.INVALID;
      ctx.hasInvalidChecksum = true;
      ctx.counters[DecodeStat.UDP_INVALID_CHECKSUM]++;
    }
  }

  if (p.dstPort === VXLAN_PORT) decodeVxlan(p, ctx, at + UDP_HEADER_BYTES, at + udpLength);
  else if (p.dstPort === GENEVE_PORT) decodeGeneve(p, ctx, at + UDP_HEADER_BYTES, at + udpLength);
}
