/**
 * Fills a Packet's decoded fields directly, without bytes, for the anomaly
 * stage's tests and benchmark. Only the fields that the anomaly stage reads
 * are set: addresses, protocol, ports, TCP flags, lengths and time.
 */
import { Packet } from '../core/packet.js';

/** Header fields of one synthetic packet. */
export interface SyntheticFields {
  ipProto: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  wireLength: number;
  timestampUs: number;
}

/** Resets `p` to an IPv4 packet from `src4` to `dst4` (addresses as unsigned 32-bit numbers). */
export function fillIpv4Packet(p: Packet, src4: number, dst4: number, fields: SyntheticFields): Packet {
  p.reset(p.bytes, fields.timestampUs, fields.wireLength, 1, p.pcapCount + 1);
  p.ipVersion = 4;
  p.src4 = src4 >>> 0;
  p.dst4 = dst4 >>> 0;
  writeIpv4(p.srcAddr, p.src4);
  writeIpv4(p.dstAddr, p.dst4);
  setTransport(p, fields);
  return p;
}

/** Resets `p` to an IPv6 packet between two 16-byte addresses. */
export function fillIpv6Packet(p: Packet, src: Uint8Array, dst: Uint8Array, fields: SyntheticFields): Packet {
  p.reset(p.bytes, fields.timestampUs, fields.wireLength, 1, p.pcapCount + 1);
  p.ipVersion = 6;
  p.srcAddr.set(src);
  p.dstAddr.set(dst);
  setTransport(p, fields);
  return p;
}

/** Parses a dotted IPv4 address into an unsigned 32-bit number (test input only). */
export function parseIpv4(text: string): number {
  const parts = text.split('.').map(Number);
  return (((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0);
}

function writeIpv4(out: Uint8Array, addr: number): void {
  out.fill(0);
  out[0] = addr >>> 24;
  out[1] = (addr >>> 16) & 0xff;
  out[2] = (addr >>> 8) & 0xff;
  out[3] = addr & 0xff;
}

function setTransport(p: Packet, fields: SyntheticFields): void {
  p.ipProto = fields.ipProto;
  p.srcPort = fields.srcPort;
  p.dstPort = fields.dstPort;
  p.tcpFlags = fields.tcpFlags;
  p.ipTotalLength = fields.wireLength > 14 ? fields.wireLength - 14 : 0;
}
