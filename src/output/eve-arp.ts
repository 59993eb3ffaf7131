/**
 * The `arp` event of Suricata 8's ARP logger (eve-log type `arp`, off in
 * the stock config): one event per ARP packet, with the header fields of
 * RFC 826 for Ethernet hardware and IPv4 protocol addresses.
 *
 *   hardware type(2) protocol type(2) hlen(1) plen(1) opcode(2)
 *   sender MAC(hlen) sender IP(plen) target MAC(hlen) target IP(plen)
 */
import type { Packet } from '../core/packet.js';
import { closeEvent, macAt, openPacketEvent, type EveContext } from './eve-header.js';
import { formatIpv4, type PktSrcValue } from './eve-format.js';

/** Bytes of an ARP packet for Ethernet and IPv4: 8 fixed, 2 MACs of 6 and 2 addresses of 4. */
export const ARP_ETHERNET_IPV4_BYTES = 28;

const HW_TYPE_ETHERNET = 1;
const PROTO_TYPE_IPV4 = 0x0800;

/**
 * Opcode names: 1 and 2 from RFC 826, 3 and 4 from RARP (RFC 903), 8 and 9
 * from Inverse ARP (RFC 2390).
 */
// NOTE: the names follow the RFCs; Suricata's spelling of the rarely seen
// opcodes 3, 4, 8 and 9 was not checked against its output.
function opcodeName(opcode: number): string {
  switch (opcode) {
    case 1: return 'request';
    case 2: return 'reply';
    case 3: return 'rarp_request';
    case 4: return 'rarp_reply';
    case 8: return 'inarp_request';
    case 9: return 'inarp_reply';
    default: return 'unknown';
  }
}

/**
 * Returns the `arp` event of packet `p`, or null when its ARP header is
 * not Ethernet and IPv4 sized (hlen 6, plen 4) or is cut short.
 */
export function buildArpEvent(ctx: EveContext, p: Packet, pktSrc: PktSrcValue): string | null {
  const at = p.arpOffset;
  const b = p.bytes;
  if (at < 0 || at + ARP_ETHERNET_IPV4_BYTES > b.length) return null;
  if (b[at + 4] !== 6 || b[at + 5] !== 4) return null;
  const hwType = ((b[at] as number) << 8) | (b[at + 1] as number);
  const protoType = ((b[at + 2] as number) << 8) | (b[at + 3] as number);
  const opcode = ((b[at + 6] as number) << 8) | (b[at + 7] as number);
  let out = openPacketEvent(ctx, p, null, 'arp', pktSrc);
  out += ',"arp":{"hw_type":"' + (hwType === HW_TYPE_ETHERNET ? 'ethernet' : 'unknown') + '"';
  out += ',"proto_type":"' + (protoType === PROTO_TYPE_IPV4 ? 'ipv4' : 'unknown') + '"';
  out += ',"opcode":"' + opcodeName(opcode) + '"';
  out += ',"src_mac":"' + macAt(b, at + 8) + '"';
  out += ',"src_ip":"' + formatIpv4(b.subarray(at + 14, at + 18)) + '"';
  out += ',"dest_mac":"' + macAt(b, at + 18) + '"';
  out += ',"dest_ip":"' + formatIpv4(b.subarray(at + 24, at + 28)) + '"}';
  return closeEvent(ctx, out);
}
