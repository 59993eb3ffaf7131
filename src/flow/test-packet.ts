/**
 * Builds decoded Packet objects for the flow and stream tests, filling the
 * fields the decoders would set, so these stages are tested without them.
 */
import { ChecksumState, IpProto, Packet } from '../core/packet.js';

/** Fields of a test packet; addresses are dotted IPv4 or IPv6 text. */
export interface PacketSpec {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  /** IpProto; TCP when absent. */
  proto?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  window?: number;
  /** Window-scale option value, or absent. */
  windowScale?: number;
  /** TSval of a timestamp option, or absent. */
  tsVal?: number;
  /** TSecr of the timestamp option (0 when absent). */
  tsEcr?: number;
  payloadLength?: number;
  timestampUs?: number;
  vlanIds?: number[];
  checksum?: number;
  icmpType?: number;
  icmpCode?: number;
  isFragment?: boolean;
  /** Frame bytes, for packets whose payload a test reads. */
  bytes?: Uint8Array;
  icmpInnerL3Offset?: number;
}

/** Parses IPv4 or IPv6 text into 4 or 16 bytes. */
export function parseAddress(text: string): Uint8Array {
  if (!text.includes(':')) {
    return Uint8Array.from(text.split('.').map((part) => Number(part)));
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...new Array<string>(zeros).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** Returns a Packet with the fields of `spec` set as the decoders would set them. */
export function makePacket(spec: PacketSpec): Packet {
  const p = new Packet();
  const payloadLength = spec.payloadLength ?? 0;
  const bytes = spec.bytes ?? new Uint8Array(54 + payloadLength);
  p.reset(bytes, spec.timestampUs ?? 1_000_000_000_000_000, bytes.length, 1, 1);

  const src = parseAddress(spec.src);
  const dst = parseAddress(spec.dst);
  p.ipVersion = src.length === 4 ? 4 : 6;
  p.srcAddr.fill(0);
  p.dstAddr.fill(0);
  p.srcAddr.set(src);
  p.dstAddr.set(dst);
  if (p.ipVersion === 4) {
    p.src4 = ((src[0] << 24) | (src[1] << 16) | (src[2] << 8) | src[3]) >>> 0;
    p.dst4 = ((dst[0] << 24) | (dst[1] << 16) | (dst[2] << 8) | dst[3]) >>> 0;
  }
  p.ipProto = spec.proto ?? IpProto.TCP;
  p.isFragment = spec.isFragment ?? false;
  const vlans = spec.vlanIds ?? [];
  for (let i = 0; i < vlans.length; i++) p.vlanIds[i] = vlans[i] as number;
  p.vlanCount = vlans.length;

  p.srcPort = spec.srcPort ?? 0;
  p.dstPort = spec.dstPort ?? 0;
  p.l4Checksum = spec.checksum ?? ChecksumState.VALID;
  p.tcpFlags = spec.flags ?? 0;
  p.tcpSeq = (spec.seq ?? 0) >>> 0;
  p.tcpAck = (spec.ack ?? 0) >>> 0;
  p.tcpWindow = spec.window ?? 65535;
  p.tcpWindowScale = spec.windowScale ?? -1;
  p.hasTcpTimestamp = spec.tsVal !== undefined;
  p.tcpTsVal = spec.tsVal ?? 0;
  p.tcpTsEcr = spec.tsEcr ?? 0;
  p.icmpType = spec.icmpType ?? 0;
  p.icmpCode = spec.icmpCode ?? 0;
  p.icmpInnerL3Offset = spec.icmpInnerL3Offset ?? -1;
  p.payloadLength = payloadLength;
  p.payloadOffset = payloadLength > 0 ? bytes.length - payloadLength : -1;
  return p;
}
