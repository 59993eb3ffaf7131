/**
 * Buffer providers for the header sticky buffers (`ipv4.hdr`, `tcp.hdr`,
 * ...): each one exposes the raw bytes of one decoded header, so content,
 * byte_test, isdataat and bsize can inspect it. A provider reports its
 * buffer as absent when the packet lacks that layer or when the capture
 * ends inside the header, as Suricata does.
 *
 * Header lengths follow Suricata 8:
 *
 *   ether.hdr   14 bytes: destination, source, EtherType (outer frame only)
 *   ipv4.hdr    IHL * 4 bytes, options included
 *   ipv6.hdr    40 bytes plus every extension header
 *   tcp.hdr     data offset * 4 bytes, options included
 *   udp.hdr     8 bytes
 *   icmpv4.hdr  8 bytes, or 20 for timestamp messages and 8 plus the address
 *               entries for router advertisements when the message contains them
 *   icmpv6.hdr  8 bytes
 *   sctp.hdr    the common header and every chunk (Suricata 9)
 *   igmp.hdr    8 bytes
 *
 * `sctp.chunk_data` (Suricata 9) is the user data of the packet's first
 * SCTP DATA chunk, which the decoder also makes the packet payload.
 */
import { IpProto, LinkType, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import type { BufferProvider, BufferView } from './detect-engine.js';

/** Canonical names of the header buffers, as rules write them. */
export const HeaderBuffer = {
  ETHER: 'ether.hdr',
  IPV4: 'ipv4.hdr',
  IPV6: 'ipv6.hdr',
  TCP: 'tcp.hdr',
  UDP: 'udp.hdr',
  ICMPV4: 'icmpv4.hdr',
  ICMPV6: 'icmpv6.hdr',
  SCTP: 'sctp.hdr',
  IGMP: 'igmp.hdr',
  SCTP_CHUNK_DATA: 'sctp.chunk_data',
} as const;

export const ETHERNET_HEADER_BYTES = 14;
export const UDP_HEADER_BYTES = 8;
export const ICMP_HEADER_BYTES = 8;
export const SCTP_HEADER_BYTES = 12;
export const IGMP_HEADER_BYTES = 8;
/** Originate, receive and transmit timestamps after the ICMP header (RFC 792). */
export const ICMP_TIMESTAMP_BYTES = 12;

const ICMP_TYPE_ROUTER_ADVERTISEMENT = 9;
const ICMP_TYPE_TIMESTAMP = 13;
const ICMP_TYPE_TIMESTAMP_REPLY = 14;

/** Points `out` at [start, start + length) of the packet; false when the capture ends first. */
function setView(p: Packet, start: number, length: number, out: BufferView): boolean {
  if (start < 0 || start + length > p.bytes.length) return false;
  out.bytes = p.bytes;
  out.start = start;
  out.length = length;
  return true;
}

/** Tells whether the packet has a decoded layer-4 header of protocol `proto`. */
function hasL4(p: Packet, proto: number): boolean {
  return p.ipProto === proto && p.l4Offset >= 0;
}

/** Header kinds, so the provider switches on a small integer. */
const Kind = { ETHER: 0, IPV4: 1, IPV6: 2, TCP: 3, UDP: 4, ICMPV4: 5, ICMPV6: 6, SCTP: 7, IGMP: 8, SCTP_CHUNK_DATA: 9 } as const;

const KIND_BY_NAME: ReadonlyMap<string, number> = new Map<string, number>([
  [HeaderBuffer.ETHER, Kind.ETHER],
  [HeaderBuffer.IPV4, Kind.IPV4],
  [HeaderBuffer.IPV6, Kind.IPV6],
  [HeaderBuffer.TCP, Kind.TCP],
  [HeaderBuffer.UDP, Kind.UDP],
  [HeaderBuffer.ICMPV4, Kind.ICMPV4],
  [HeaderBuffer.ICMPV6, Kind.ICMPV6],
  [HeaderBuffer.SCTP, Kind.SCTP],
  [HeaderBuffer.IGMP, Kind.IGMP],
  [HeaderBuffer.SCTP_CHUNK_DATA, Kind.SCTP_CHUNK_DATA],
]);

/**
 * Returns the ICMPv4 header length in bytes as Suricata's decoder counts it.
 * That is 8 bytes, plus the three timestamps of a timestamp message or the
 * address entries of a router advertisement (RFC 1256 section 3) when the
 * message is long enough to contain them.
 */
export function icmpv4HeaderLength(p: Packet): number {
  const at = p.l4Offset;
  const messageLength = p.l4HeaderLength + p.payloadLength;
  const type = p.icmpType;
  if (type === ICMP_TYPE_TIMESTAMP || type === ICMP_TYPE_TIMESTAMP_REPLY) {
    if (messageLength >= ICMP_HEADER_BYTES + ICMP_TIMESTAMP_BYTES) return ICMP_HEADER_BYTES + ICMP_TIMESTAMP_BYTES;
    return ICMP_HEADER_BYTES;
  }
  if (type === ICMP_TYPE_ROUTER_ADVERTISEMENT && at + 6 <= p.bytes.length) {
    // Number of addresses (byte 4) times the entry size in 32-bit words (byte 5).
    const entries = p.bytes[at + 4] * p.bytes[at + 5] * 4;
    if (messageLength >= ICMP_HEADER_BYTES + entries) return ICMP_HEADER_BYTES + entries;
  }
  return ICMP_HEADER_BYTES;
}

/** One provider per header; all share this class, so `fill` stays monomorphic. */
class HeaderBufferProvider implements BufferProvider {
  readonly name: string;
  private readonly kind: number;

  constructor(name: string) {
    this.name = name;
    this.kind = KIND_BY_NAME.get(name) ?? -1;
  }

  fill(p: Packet, _flow: Flow | null, out: BufferView): boolean {
    switch (this.kind) {
      case Kind.ETHER:
        // NOTE: only the frame's own Ethernet header is exposed. The inner
        // Ethernet header of a VXLAN or GRE tunnel is not, so ether.hdr rules
        // see the outer frame of tunnelled packets.
        if (p.linkType !== LinkType.ETHERNET || p.l2Offset < 0) return false;
        return setView(p, p.l2Offset, ETHERNET_HEADER_BYTES, out);
      case Kind.IPV4:
        if (p.ipVersion !== 4 || p.l3Offset < 0) return false;
        return setView(p, p.l3Offset, p.ipHeaderLength, out);
      case Kind.IPV6:
        if (p.ipVersion !== 6 || p.l3Offset < 0) return false;
        return setView(p, p.l3Offset, p.ipHeaderLength, out);
      case Kind.TCP:
        if (!hasL4(p, IpProto.TCP)) return false;
        return setView(p, p.l4Offset, p.l4HeaderLength, out);
      case Kind.UDP:
        if (!hasL4(p, IpProto.UDP)) return false;
        return setView(p, p.l4Offset, UDP_HEADER_BYTES, out);
      case Kind.ICMPV4:
        if (!hasL4(p, IpProto.ICMP)) return false;
        return setView(p, p.l4Offset, icmpv4HeaderLength(p), out);
      case Kind.ICMPV6:
        if (!hasL4(p, IpProto.ICMPV6)) return false;
        return setView(p, p.l4Offset, ICMP_HEADER_BYTES, out);
      case Kind.SCTP: {
        if (!hasL4(p, IpProto.SCTP)) return false;
        // The IP datagram's end bounds the chunks; Ethernet padding is not SCTP.
        const end = Math.min(p.bytes.length, p.l3Offset + p.ipTotalLength);
        return setView(p, p.l4Offset, Math.max(SCTP_HEADER_BYTES, end - p.l4Offset), out);
      }
      case Kind.SCTP_CHUNK_DATA:
        if (!hasL4(p, IpProto.SCTP) || p.payloadLength === 0) return false;
        return setView(p, p.payloadOffset, p.payloadLength, out);
      case Kind.IGMP:
        if (!hasL4(p, IpProto.IGMP)) return false;
        return setView(p, p.l4Offset, IGMP_HEADER_BYTES, out);
      default:
        return false;
    }
  }
}

/** Providers of every header buffer; the detection engine registers them by default. */
export const HEADER_BUFFER_PROVIDERS: readonly BufferProvider[] = Object.values(HeaderBuffer).map(
  (name) => new HeaderBufferProvider(name),
);
