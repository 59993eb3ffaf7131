/**
 * Dispatch from an IP layer to the protocol above it, and the IP-in-IP
 * tunnels (protocols 4 and 41).
 */
import { IpProto, type Packet } from '../core/packet.js';
import { DecodeStat, type DecodeContext } from './context.js';
import { decodeIcmpv4, decodeIcmpv6 } from './icmp.js';
import { decodeIgmp, decodeSctp } from './sctp-igmp.js';
import { decodeTcp } from './tcp.js';
import { decodeGre, enterTunnel } from './tunnel.js';
import { decodeUdp } from './udp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

/**
 * Decodes the payload of the innermost IP layer: `proto` at [at, end).
 * Version-specific checks (ICMPv6 in IPv4, IPv4 in IPv6) are done by the
 * IP decoders before they call this.
 */
export function decodeIpPayload(p: Packet, ctx: DecodeContext, proto: number, at: number, end: number): void {
  switch (proto) {
    case IpProto.TCP:
      decodeTcp(p, ctx, at, end);
      return;
    case IpProto.UDP:
      decodeUdp(p, ctx, at, end);
      return;
    case IpProto.ICMP:
      decodeIcmpv4(p, ctx, at, end);
      return;
    case IpProto.ICMPV6:
      decodeIcmpv6(p, ctx, at, end);
      return;
    case IpProto.SCTP:
      decodeSctp(p, ctx, at, end);
      return;
    case IpProto.IGMP:
      decodeIgmp(p, ctx, at, end);
      return;
    case IpProto.GRE:
      decodeGre(p, ctx, at, end);
      return;
    case IpProto.ESP:
      ctx.counters[DecodeStat.ESP]++;
      p.payloadOffset = at;
      p.payloadLength = end - at;
      return;
    case IpProto.IPIP:
      ctx.counters[p.ipVersion === 4 ? DecodeStat.IPV4_IN_IPV4 : DecodeStat.IPV4_IN_IPV6]++;
      enterTunnel(p);
      decodeIpv4(p, ctx, at, end);
      return;
    case IpProto.IPV6:
      ctx.counters[p.ipVersion === 4 ? DecodeStat.IPV6_IN_IPV4 : DecodeStat.IPV6_IN_IPV6]++;
      enterTunnel(p);
      decodeIpv6(p, ctx, at, end);
      return;
    default:
      // Other protocols (OSPF, PIM, VRRP, ...) have no layer-4 decoder;
      // rules see their bytes as the payload.
      p.payloadOffset = at;
      p.payloadLength = end - at;
  }
}
