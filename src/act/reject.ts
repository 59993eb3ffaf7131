/**
 * Builds the responses of the reject actions: a TCP reset for TCP and an
 * ICMP (ICMPv6) destination unreachable for other IP traffic, addressed to
 * the sender of the rejected packet (`reject`, `rejectsrc`), to its
 * receiver (`rejectdst`) or to both (`rejectboth`). The fields follow what
 * Suricata's respond-reject (src/respond-reject-libnet11.c, 6.x to 8.x)
 * sends: TTL or hop limit 64, RST and ACK set, the window of the rejected
 * segment, ICMP code "administratively prohibited".
 *
 * The builders write a whole IP packet into a caller's buffer and return
 * its length, so the packet path allocates nothing.
 */
import { IpProto, TcpFlag, type Packet } from '../core/packet.js';
import { Action } from '../detect/signature.js';
import { addChecksumWords, foldChecksum } from '../decode/checksum.js';

/** Targets of a reject response, as bits: the sender of the packet, its receiver, or both. */
export const RejectTarget = {
  NONE: 0,
  SOURCE: 1,
  DESTINATION: 2,
  BOTH: 3,
} as const;

/** TTL (IPv4) and hop limit (IPv6) of every response, as Suricata sets them. */
export const RESPONSE_TTL = 64;

/**
 * Largest ICMPv4 error in bytes. RFC 1812 section 4.3.2.3 wants as much
 * of the offending datagram as fits in 576 bytes.
 */
export const MAX_ICMP4_ERROR_BYTES = 576;

/**
 * Largest ICMPv6 error in bytes. RFC 4443 section 2.4 (c) wants as much
 * of the offending packet as fits in the IPv6 minimum MTU, 1280 bytes.
 */
export const MAX_ICMP6_ERROR_BYTES = 1280;

/** Size that a response buffer needs: the largest response any builder writes. */
export const MAX_RESPONSE_BYTES = MAX_ICMP6_ERROR_BYTES;

const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
const TCP_HEADER_BYTES = 20;
const ICMP_HEADER_BYTES = 8;

/** ICMP type 3, destination unreachable (RFC 792). */
const ICMP4_DEST_UNREACHABLE = 3;
/** Code 10: communication with the destination host administratively prohibited (RFC 1122 section 3.2.2.1). */
const ICMP4_HOST_PROHIBITED = 10;
/** ICMPv6 type 1, destination unreachable (RFC 4443 section 3.1). */
const ICMP6_DEST_UNREACHABLE = 1;
/** Code 1: communication with the destination administratively prohibited. */
const ICMP6_ADMIN_PROHIBITED = 1;

/** Returns the RejectTarget of `action` (an ActionId), or NONE for an action other than a reject. */
export function rejectTargetOf(action: number): number {
  switch (action) {
    case Action.REJECT:
    case Action.REJECTSRC:
      return RejectTarget.SOURCE;
    case Action.REJECTDST:
      return RejectTarget.DESTINATION;
    case Action.REJECTBOTH:
      return RejectTarget.BOTH;
    default:
      return RejectTarget.NONE;
  }
}

/**
 * Writes the response to `p` for one side into `out` (at least
 * MAX_RESPONSE_BYTES long) and returns its length, or 0 when `p` gets no
 * response: it is not IPv4 or IPv6, it is tunnelled, it is a TCP reset, an
 * ICMP error or a fragment other than the first.
 */
export function buildRejectResponse(p: Packet, toSource: boolean, out: Uint8Array): number {
  if (p.isInvalid || p.tunnelDepth > 0 || (p.ipVersion !== 4 && p.ipVersion !== 6)) return 0;
  if (p.ipProto === IpProto.TCP && p.l4HeaderLength > 0 && !p.isFragment) return buildTcpReset(p, toSource, out);
  return buildIcmpUnreachable(p, toSource, out);
}

/**
 * Writes a TCP reset for decoded TCP packet `p` into `out` and returns its
 * length (40 for IPv4, 60 for IPv6). It returns 0 when `p` is itself a
 * reset, because RFC 9293 section 3.10.7.1 forbids a reset in response.
 *
 * To the sender of `p` the reset comes from the receiver's address and
 * port, with the numbers of RFC 9293 section 3.10.7.1. With ACK set on
 * `p`, SEQ is p.ack, which is exactly the sender's RCV.NXT, so a stack
 * that checks resets as RFC 5961 section 3.2 requires accepts it. Without
 * ACK, SEQ is 0. ACK is p.seq plus the segment length in both cases.
 * To the receiver of `p` the reset carries p's own addresses, ports and
 * numbers, because p.seq is the receiver's RCV.NXT while p, dropped
 * in-line, never arrives. Both resets have RST and ACK set.
 */
export function buildTcpReset(p: Packet, toSource: boolean, out: Uint8Array): number {
  if ((p.tcpFlags & TcpFlag.RST) !== 0) return 0;

  // SYN and FIN each take one sequence number (RFC 9293 section 3.4).
  const segmentLength = p.payloadLength + ((p.tcpFlags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((p.tcpFlags & TcpFlag.FIN) !== 0 ? 1 : 0);
  let seq: number;
  let ack: number;
  if (toSource) {
    seq = (p.tcpFlags & TcpFlag.ACK) !== 0 ? p.tcpAck : 0;
    ack = (p.tcpSeq + segmentLength) >>> 0;
  } else {
    seq = p.tcpSeq;
    ack = p.tcpAck;
  }

  const tcpAt = writeIpHeader(p, toSource, IpProto.TCP, TCP_HEADER_BYTES, out);
  writeUint16(out, tcpAt, toSource ? p.dstPort : p.srcPort);
  writeUint16(out, tcpAt + 2, toSource ? p.srcPort : p.dstPort);
  writeUint32(out, tcpAt + 4, seq);
  writeUint32(out, tcpAt + 8, ack);
  out[tcpAt + 12] = (TCP_HEADER_BYTES / 4) << 4;
  out[tcpAt + 13] = TcpFlag.RST | TcpFlag.ACK;
  writeUint16(out, tcpAt + 14, p.tcpWindow);
  writeUint16(out, tcpAt + 16, 0);
  writeUint16(out, tcpAt + 18, 0);
  writeUint16(out, tcpAt + 16, transportChecksum(out, tcpAt, TCP_HEADER_BYTES, IpProto.TCP));
  return tcpAt + TCP_HEADER_BYTES;
}

/**
 * Writes an ICMP destination unreachable, code "administratively
 * prohibited" (ICMPv6 for IPv6), about packet `p` into `out` and returns
 * its length. It returns 0 when `p` is an ICMP error itself or a fragment
 * other than the first, because RFC 1122 section 3.2.2 and RFC 4443
 * section 2.4 (e) forbid an ICMP error about those. The message quotes `p`
 * from its IP header on, cut to MAX_ICMP4_ERROR_BYTES or
 * MAX_ICMP6_ERROR_BYTES.
 *
 * NOTE: as in Suricata, the message to the receiver of `p` (`rejectdst`)
 * carries p's own addresses, so it quotes a packet that the receiver did
 * not send. The receiver's stack most likely finds no socket for it and
 * ignores it (untested), so `rejectdst` on traffic other than TCP may only drop.
 */
export function buildIcmpUnreachable(p: Packet, toSource: boolean, out: Uint8Array): number {
  if (p.isFragment && p.fragmentOffset !== 0) return 0;
  if (isIcmpError(p)) return 0;

  const isIpv4 = p.ipVersion === 4;
  const maxBytes = isIpv4 ? MAX_ICMP4_ERROR_BYTES : MAX_ICMP6_ERROR_BYTES;
  const headerBytes = (isIpv4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES) + ICMP_HEADER_BYTES;
  const available = Math.min(p.ipTotalLength, p.captureLength - p.l3Offset);
  const quoteBytes = Math.max(0, Math.min(available, maxBytes - headerBytes));
  const icmpBytes = ICMP_HEADER_BYTES + quoteBytes;

  const icmpAt = writeIpHeader(p, toSource, isIpv4 ? IpProto.ICMP : IpProto.ICMPV6, icmpBytes, out);
  out[icmpAt] = isIpv4 ? ICMP4_DEST_UNREACHABLE : ICMP6_DEST_UNREACHABLE;
  out[icmpAt + 1] = isIpv4 ? ICMP4_HOST_PROHIBITED : ICMP6_ADMIN_PROHIBITED;
  writeUint16(out, icmpAt + 2, 0);
  // The 4 bytes after the checksum are unused and must be zero (RFC 792, RFC 4443 section 3.1).
  writeUint32(out, icmpAt + 4, 0);
  copyBytes(p.bytes, p.l3Offset, out, icmpAt + ICMP_HEADER_BYTES, quoteBytes);

  // The ICMPv4 checksum covers the message alone; ICMPv6 adds the pseudo-header (RFC 4443 section 2.3).
  const checksum = isIpv4
    ? ~foldChecksum(addChecksumWords(out, icmpAt, icmpAt + icmpBytes, 0)) & 0xffff
    : transportChecksum(out, icmpAt, icmpBytes, IpProto.ICMPV6);
  writeUint16(out, icmpAt + 2, checksum);
  return icmpAt + icmpBytes;
}

/** Tells whether `p` is an ICMP or ICMPv6 error message, about which no ICMP error may be sent. */
function isIcmpError(p: Packet): boolean {
  if (p.ipProto === IpProto.ICMP) {
    // Errors: unreachable 3, source quench 4, redirect 5, time exceeded 11, parameter problem 12.
    const type = p.icmpType;
    return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
  }
  // ICMPv6 types below 128 are errors (RFC 4443 section 2.1).
  return p.ipProto === IpProto.ICMPV6 && p.icmpType < 128;
}

/**
 * Writes the IPv4 or IPv6 header of a response to `p` carrying
 * `payloadBytes` of protocol `proto`, addressed back to p's source when
 * `toSource` is true, else from p's source to p's destination. Returns the
 * offset where the payload starts.
 */
function writeIpHeader(p: Packet, toSource: boolean, proto: number, payloadBytes: number, out: Uint8Array): number {
  const from = toSource ? p.dstAddr : p.srcAddr;
  const to = toSource ? p.srcAddr : p.dstAddr;
  if (p.ipVersion === 4) {
    out[0] = 0x45;
    out[1] = 0;
    writeUint16(out, 2, IPV4_HEADER_BYTES + payloadBytes);
    // Identification 0 and no flags, as Suricata sends it.
    writeUint32(out, 4, 0);
    out[8] = RESPONSE_TTL;
    out[9] = proto;
    writeUint16(out, 10, 0);
    copyBytes(from, 0, out, 12, 4);
    copyBytes(to, 0, out, 16, 4);
    writeUint16(out, 10, ~foldChecksum(addChecksumWords(out, 0, IPV4_HEADER_BYTES, 0)) & 0xffff);
    return IPV4_HEADER_BYTES;
  }
  // Version 6, traffic class 0, flow label 0.
  writeUint32(out, 0, 0x60000000);
  writeUint16(out, 4, payloadBytes);
  out[6] = proto;
  out[7] = RESPONSE_TTL;
  copyBytes(from, 0, out, 8, 16);
  copyBytes(to, 0, out, 24, 16);
  return IPV6_HEADER_BYTES;
}

/**
 * Returns the checksum of the `length` bytes at `at` in `out` with the
 * pseudo-header of the IP header at offset 0 (RFC 9293 section 3.1,
 * RFC 8200 section 8.1). The checksum field must be zero.
 */
function transportChecksum(out: Uint8Array, at: number, length: number, proto: number): number {
  const isIpv4 = (out[0] as number) >> 4 === 4;
  let sum = proto + length;
  sum = isIpv4 ? addChecksumWords(out, 12, 20, sum) : addChecksumWords(out, 8, 40, sum);
  sum = addChecksumWords(out, at, at + length, sum);
  return ~foldChecksum(sum) & 0xffff;
}

/** Copies `length` bytes without making a subarray view, which would allocate. */
function copyBytes(source: Uint8Array, sourceAt: number, out: Uint8Array, at: number, length: number): void {
  for (let i = 0; i < length; i++) out[at + i] = source[sourceAt + i] as number;
}

function writeUint16(out: Uint8Array, at: number, value: number): void {
  out[at] = (value >>> 8) & 0xff;
  out[at + 1] = value & 0xff;
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = (value >>> 24) & 0xff;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
