/**
 * Builds the DNS answer that replaces a blocked query's real answer: NXDOMAIN, or
 * a sinkhole A or AAAA record. The answer is a whole IPv4 or IPv6 packet
 * from the queried server to the client, written into a caller's buffer
 * so the packet path allocates nothing; the raw socket sender sends it.
 *
 * Message layout (RFC 1035 section 4.1): a 12-byte header, the query's
 * question copied as it was, then at most one answer record whose name
 * is a pointer to the question name at offset 12 (section 4.1.4).
 */
import { IpProto, type Packet } from '../core/packet.js';
import { addChecksumWords, foldChecksum } from '../decode/checksum.js';

/** Response codes of the DNS header (RFC 1035 section 4.1.1). */
export const DnsRcode = { NOERROR: 0, NXDOMAIN: 3 } as const;

/** Record types answered with a sinkhole address (RFC 1035 section 3.2.2, RFC 3596 section 2.1). */
export const DnsType = { A: 1, AAAA: 28 } as const;

/** TTL of a sinkhole record, in seconds: short, so a client asks again soon after the list changes. */
export const SINKHOLE_TTL_S = 60;

const DNS_HEADER_BYTES = 12;
const UDP_HEADER_BYTES = 8;
const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;
/** Hop limit of the answer, as the reject responses use. */
const ANSWER_TTL = 64;
/** Bytes of an answer record before its data: name pointer, type, class, TTL, data length. */
const RECORD_FIXED_BYTES = 12;

/**
 * Largest answer in bytes: an IPv6 header, UDP, the DNS header, a question
 * of at most 255 name bytes plus type and class, and an AAAA record.
 */
export const MAX_DNS_ANSWER_BYTES = IPV6_HEADER_BYTES + UDP_HEADER_BYTES + DNS_HEADER_BYTES + 259 + RECORD_FIXED_BYTES + 16;

/**
 * Writes the answer to the DNS query in `p` into `out` and returns its
 * length. `questionEnd` is the payload offset just past the question's
 * class field. With `rcode` NXDOMAIN the answer has no records. With
 * NOERROR and a `sinkhole` address of the family the question asks for
 * (4 bytes for A, 16 for AAAA) it has that record; without one it has no
 * records, which tells the client the name has no data of that type.
 * Returns 0 when `out` is too small.
 */
export function buildDnsAnswer(p: Packet, questionEnd: number, rcode: number, qtype: number, sinkhole: Uint8Array | null, out: Uint8Array): number {
  const query = p.bytes;
  const dns = p.payloadOffset;
  const questionBytes = questionEnd - DNS_HEADER_BYTES;
  const hasRecord = rcode === DnsRcode.NOERROR && sinkhole !== null
    && ((qtype === DnsType.A && sinkhole.length === 4) || (qtype === DnsType.AAAA && sinkhole.length === 16));
  const recordBytes = hasRecord ? RECORD_FIXED_BYTES + (sinkhole as Uint8Array).length : 0;
  const dnsBytes = DNS_HEADER_BYTES + questionBytes + recordBytes;
  const udpBytes = UDP_HEADER_BYTES + dnsBytes;
  const ipBytes = p.ipVersion === 4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES;
  if (ipBytes + udpBytes > out.length) return 0;

  const udp = writeIpHeader(p, udpBytes, out);
  writeUint16(out, udp, p.dstPort);
  writeUint16(out, udp + 2, p.srcPort);
  writeUint16(out, udp + 4, udpBytes);
  writeUint16(out, udp + 6, 0);

  const at = udp + UDP_HEADER_BYTES;
  // Header: the query's ID; QR set, the query's opcode and RD; RA set, the query's CD, the rcode.
  out[at] = query[dns] as number;
  out[at + 1] = query[dns + 1] as number;
  out[at + 2] = 0x80 | ((query[dns + 2] as number) & 0x79);
  out[at + 3] = 0x80 | ((query[dns + 3] as number) & 0x10) | (rcode & 0x0f);
  writeUint16(out, at + 4, 1);
  writeUint16(out, at + 6, hasRecord ? 1 : 0);
  writeUint16(out, at + 8, 0);
  writeUint16(out, at + 10, 0);
  for (let i = 0; i < questionBytes; i++) out[at + DNS_HEADER_BYTES + i] = query[dns + DNS_HEADER_BYTES + i] as number;

  if (hasRecord) {
    const address = sinkhole as Uint8Array;
    const record = at + DNS_HEADER_BYTES + questionBytes;
    // A compression pointer (top two bits set) to the question name at offset 12.
    writeUint16(out, record, 0xc000 | DNS_HEADER_BYTES);
    writeUint16(out, record + 2, qtype);
    writeUint16(out, record + 4, 1);
    writeUint32(out, record + 6, SINKHOLE_TTL_S);
    writeUint16(out, record + 10, address.length);
    for (let i = 0; i < address.length; i++) out[record + RECORD_FIXED_BYTES + i] = address[i] as number;
  }

  // The UDP checksum over the pseudo-header (RFC 768; RFC 8200 section 8.1, where it is mandatory).
  let sum = IpProto.UDP + udpBytes;
  sum = p.ipVersion === 4 ? addChecksumWords(out, 12, 20, sum) : addChecksumWords(out, 8, 40, sum);
  sum = addChecksumWords(out, udp, udp + udpBytes, sum);
  let checksum = ~foldChecksum(sum) & 0xffff;
  // A computed 0 is sent as all ones, because 0 means "no checksum" (RFC 768).
  if (checksum === 0) checksum = 0xffff;
  writeUint16(out, udp + 6, checksum);
  return ipBytes + udpBytes;
}

/** Writes the IP header from p's destination back to p's source; returns the offset of the UDP header. */
function writeIpHeader(p: Packet, udpBytes: number, out: Uint8Array): number {
  if (p.ipVersion === 4) {
    out[0] = 0x45;
    out[1] = 0;
    writeUint16(out, 2, IPV4_HEADER_BYTES + udpBytes);
    writeUint32(out, 4, 0);
    out[8] = ANSWER_TTL;
    out[9] = IpProto.UDP;
    writeUint16(out, 10, 0);
    for (let i = 0; i < 4; i++) out[12 + i] = p.dstAddr[i] as number;
    for (let i = 0; i < 4; i++) out[16 + i] = p.srcAddr[i] as number;
    writeUint16(out, 10, ~foldChecksum(addChecksumWords(out, 0, IPV4_HEADER_BYTES, 0)) & 0xffff);
    return IPV4_HEADER_BYTES;
  }
  writeUint32(out, 0, 0x60000000);
  writeUint16(out, 4, udpBytes);
  out[6] = IpProto.UDP;
  out[7] = ANSWER_TTL;
  for (let i = 0; i < 16; i++) out[8 + i] = p.dstAddr[i] as number;
  for (let i = 0; i < 16; i++) out[24 + i] = p.srcAddr[i] as number;
  return IPV6_HEADER_BYTES;
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
