/**
 * Geneve (RFC 8926), on UDP port 6081: the tunnel header, its options, and
 * the frame it carries.
 *
 *   Ver(2) OptLen(6) | O(1) C(1) Rsvd(6) | Protocol Type(16)
 *   VNI(24) | Reserved(8)
 *   Variable-length options, OptLen 4-byte words
 *
 * The protocol type is an EtherType (RFC 8926 section 3.4): 0x6558 carries
 * an Ethernet frame, 0x0800 and 0x86DD an IP packet.
 *
 * NOTE: decoder.geneve is not counted yet; the stats event reports 0.
 */
import type { Packet } from '../core/packet.js';
import type { DecodeContext } from './context.js';
import { decodeEtherType, decodeEthernet, enterLayer, isDecodedEtherType } from './link.js';
import { enterTunnel } from './tunnel.js';

export const GENEVE_HEADER_BYTES = 8;
/** UDP port of Geneve (IANA, RFC 8926 section 3.3). Suricata's default geneve ports are the same. */
export const GENEVE_PORT = 6081;
/** Protocol type of an Ethernet frame ("Transparent Ethernet Bridging"). */
export const GENEVE_PROTO_ETHERNET = 0x6558;

/**
 * Decodes a Geneve header at `at` and the frame it carries. Returns false,
 * and decodes nothing, when the bytes do not look like Geneve (a version
 * other than 0, options past the end, an unknown protocol type): the UDP
 * payload then stays as it is.
 */
export function decodeGeneve(p: Packet, ctx: DecodeContext, at: number, end: number): boolean {
  if (end - at < GENEVE_HEADER_BYTES) return false;
  const bytes = p.bytes;
  // RFC 8926 section 3.4: version 0 is the only one defined.
  if ((bytes[at] as number) >> 6 !== 0) return false;
  const headerBytes = GENEVE_HEADER_BYTES + ((bytes[at] as number) & 0x3f) * 4;
  if (at + headerBytes > end) return false;
  const protocol = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
  if (protocol !== GENEVE_PROTO_ETHERNET && !isDecodedEtherType(protocol)) return false;

  if (!enterLayer(p, ctx)) return true;
  enterTunnel(p);
  if (protocol === GENEVE_PROTO_ETHERNET) decodeEthernet(p, ctx, at + headerBytes, end);
  else decodeEtherType(p, ctx, protocol, at + headerBytes, end);
  return true;
}
