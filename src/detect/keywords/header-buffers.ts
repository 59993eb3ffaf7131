/**
 * Sticky buffers over protocol headers: `ipv4.hdr`, `ipv6.hdr`, `tcp.hdr`,
 * `udp.hdr`, `icmpv4.hdr` and `icmpv6.hdr`. Each keyword selects the
 * header as the buffer of the payload keywords after it, and each provider
 * returns the header bytes of the current packet, or no buffer when the
 * packet lacks that header. Suricata: rules/header-keywords.html.
 */
import { IpProto, type Packet } from '../../core/packet.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';

/** A region of bytes; providers fill a reused one per packet. */
export interface BufferView {
  bytes: Uint8Array;
  start: number;
  length: number;
}

/** Fixed IPv6 header length (RFC 8200 section 3), without extension headers. */
const IPV6_HEADER_BYTES = 40;
/** UDP header length (RFC 768). */
const UDP_HEADER_BYTES = 8;
/** ICMP and ICMPv6 header length when the decoder did not set one. */
const ICMP_HEADER_BYTES = 8;

/** Fills `out` with bytes[start, start+length), cut at the captured length. */
function fillView(p: Packet, start: number, length: number, out: BufferView): boolean {
  if (start < 0 || length <= 0 || start >= p.captureLength) return false;
  out.bytes = p.bytes;
  out.start = start;
  out.length = Math.min(length, p.captureLength - start);
  return true;
}

/**
 * Returns the ICMPv4 header length of the message type (RFC 792, RFC 950,
 * RFC 1256): 20 bytes for timestamps, 12 for address masks, 8 plus the
 * address list for router advertisements, 8 otherwise.
 */
export function icmpv4HeaderLength(p: Packet): number {
  const at = p.l4Offset;
  switch (p.icmpType) {
    case 13:
    case 14:
      return 20;
    case 17:
    case 18:
      return 12;
    case 9: {
      if (at + 6 > p.captureLength) return ICMP_HEADER_BYTES;
      const addressCount = p.bytes[at + 4];
      const entryWords = p.bytes[at + 5];
      return ICMP_HEADER_BYTES + addressCount * entryWords * 4;
    }
    default:
      return ICMP_HEADER_BYTES;
  }
}

/** Returns the header bytes of one buffer name, as the engine's providers do. */
export function fillHeaderBuffer(name: string, p: Packet, out: BufferView): boolean {
  switch (name) {
    case 'ipv4.hdr':
      return p.ipVersion === 4 && fillView(p, p.l3Offset, p.ipHeaderLength, out);
    case 'ipv6.hdr':
      return p.ipVersion === 6 && fillView(p, p.l3Offset, IPV6_HEADER_BYTES, out);
    case 'tcp.hdr':
      return p.ipProto === IpProto.TCP && fillView(p, p.l4Offset, p.l4HeaderLength, out);
    case 'udp.hdr':
      return p.ipProto === IpProto.UDP && fillView(p, p.l4Offset, UDP_HEADER_BYTES, out);
    case 'icmpv4.hdr':
      return p.ipProto === IpProto.ICMP && fillView(p, p.l4Offset, icmpv4HeaderLength(p), out);
    case 'icmpv6.hdr':
      return p.ipProto === IpProto.ICMPV6 && fillView(p, p.l4Offset, p.l4HeaderLength || ICMP_HEADER_BYTES, out);
    default:
      return false;
  }
}

/** Names of the header buffers, in the order of this file. */
export const HEADER_BUFFER_NAMES = ['ipv4.hdr', 'ipv6.hdr', 'tcp.hdr', 'udp.hdr', 'icmpv4.hdr', 'icmpv6.hdr'] as const;

function headerBufferKeyword(name: string, header: string): KeywordDef {
  return {
    name,
    description: `inspect the ${header} header with the payload keywords that follow`,
    docsAnchor: `header-keywords.html#${name.replace('.', '-')}`,
    value: 'none',
    setup(b: SignatureBuilder): void {
      b.selectBuffer(name);
    },
  };
}

export const HEADER_BUFFER_KEYWORDS: readonly KeywordDef[] = [
  headerBufferKeyword('ipv4.hdr', 'IPv4'),
  headerBufferKeyword('ipv6.hdr', 'IPv6'),
  headerBufferKeyword('tcp.hdr', 'TCP'),
  headerBufferKeyword('udp.hdr', 'UDP'),
  headerBufferKeyword('icmpv4.hdr', 'ICMPv4'),
  headerBufferKeyword('icmpv6.hdr', 'ICMPv6'),
];
