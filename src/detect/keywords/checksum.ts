/**
 * The checksum keywords: `ipv4-csum`, `tcpv4-csum`, `tcpv6-csum`,
 * `udpv4-csum`, `udpv6-csum`, `icmpv4-csum`, `icmpv6-csum` and `igmp-csum`, each with the
 * value `valid` or `invalid`. A packet of another protocol does not match.
 * The decoder's verdict (Packet.ipChecksum, Packet.l4Checksum) is used when
 * it checked; otherwise the checksum is computed here (RFC 1071), so the
 * keywords work when checksum validation is off. A packet captured shorter
 * than its headers say matches neither value.
 */
import { ErrorCode } from '../../core/errors.js';
import { ChecksumState, IpProto, type Packet } from '../../core/packet.js';
import type { PacketMatcher } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/** The checksum that a keyword checks. */
export const ChecksumKind = {
  IPV4: 0,
  TCPV4: 1,
  TCPV6: 2,
  UDPV4: 3,
  UDPV6: 4,
  ICMPV4: 5,
  ICMPV6: 6,
  /** IGMP over IPv4: the checksum covers the IGMP message alone (RFC 2236 section 2.3). */
  IGMP: 7,
} as const;

/** Adds big-endian 16-bit words of bytes[from, to) to `sum`. */
function addWords(bytes: Uint8Array, from: number, to: number, sum: number): number {
  let s = sum;
  let i = from;
  for (; i + 1 < to; i += 2) s += (bytes[i] << 8) | bytes[i + 1];
  if (i < to) s += bytes[i] << 8;
  return s;
}

function foldSum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Computes the IPv4 header checksum state. */
function checkIpv4Header(p: Packet): number {
  const end = p.l3Offset + p.ipHeaderLength;
  if (p.l3Offset < 0 || end > p.captureLength) return ChecksumState.UNCHECKED;
  return foldSum(addWords(p.bytes, p.l3Offset, end, 0)) === 0xffff ? ChecksumState.VALID : ChecksumState.INVALID;
}

/** Computes the layer-4 checksum state, with the pseudo-header unless the protocol is ICMPv4 or IGMP. */
function checkLayer4(p: Packet): number {
  const l4Length = p.ipTotalLength - p.ipHeaderLength;
  const end = p.l4Offset + l4Length;
  if (p.l4Offset < 0 || l4Length <= 0 || end > p.captureLength) return ChecksumState.UNCHECKED;

  // RFC 768: a zero UDP checksum over IPv4 means the sender computed none.
  if (p.ipProto === IpProto.UDP && p.ipVersion === 4 && p.bytes[p.l4Offset + 6] === 0 && p.bytes[p.l4Offset + 7] === 0) {
    return ChecksumState.VALID;
  }

  let sum = 0;
  if (p.ipProto !== IpProto.ICMP && p.ipProto !== IpProto.IGMP) {
    const addrBytes = p.ipVersion === 4 ? 4 : 16;
    sum = addWords(p.srcAddr, 0, addrBytes, sum);
    sum = addWords(p.dstAddr, 0, addrBytes, sum);
    sum += p.ipProto + (l4Length & 0xffff) + Math.floor(l4Length / 0x10000);
  }
  sum = addWords(p.bytes, p.l4Offset, end, sum);
  return foldSum(sum) === 0xffff ? ChecksumState.VALID : ChecksumState.INVALID;
}

/** Matches a valid or an invalid checksum of one kind. */
export class ChecksumMatch implements PacketMatcher {
  constructor(
    readonly keyword: string,
    readonly kind: number,
    readonly wantsValid: boolean,
  ) {}

  match(p: Packet): boolean {
    let state: number;
    if (this.kind === ChecksumKind.IPV4) {
      if (p.ipVersion !== 4) return false;
      state = p.ipChecksum === ChecksumState.UNCHECKED ? checkIpv4Header(p) : p.ipChecksum;
    } else {
      if (!this.appliesTo(p)) return false;
      state = p.l4Checksum === ChecksumState.UNCHECKED ? checkLayer4(p) : p.l4Checksum;
    }
    if (state === ChecksumState.UNCHECKED) return false;
    return (state === ChecksumState.VALID) === this.wantsValid;
  }

  private appliesTo(p: Packet): boolean {
    if (p.l4Offset < 0) return false;
    switch (this.kind) {
      case ChecksumKind.TCPV4:
        return p.ipVersion === 4 && p.ipProto === IpProto.TCP;
      case ChecksumKind.TCPV6:
        return p.ipVersion === 6 && p.ipProto === IpProto.TCP;
      case ChecksumKind.UDPV4:
        return p.ipVersion === 4 && p.ipProto === IpProto.UDP;
      case ChecksumKind.UDPV6:
        return p.ipVersion === 6 && p.ipProto === IpProto.UDP;
      case ChecksumKind.ICMPV4:
        return p.ipVersion === 4 && p.ipProto === IpProto.ICMP;
      case ChecksumKind.ICMPV6:
        return p.ipVersion === 6 && p.ipProto === IpProto.ICMPV6;
      case ChecksumKind.IGMP:
        return p.ipVersion === 4 && p.ipProto === IpProto.IGMP;
      default:
        return false;
    }
  }
}

const CHECKSUM_KEYWORDS: ReadonlyArray<[string, number, string]> = [
  ['ipv4-csum', ChecksumKind.IPV4, 'the IPv4 header checksum'],
  ['tcpv4-csum', ChecksumKind.TCPV4, 'the TCP checksum over IPv4'],
  ['tcpv6-csum', ChecksumKind.TCPV6, 'the TCP checksum over IPv6'],
  ['udpv4-csum', ChecksumKind.UDPV4, 'the UDP checksum over IPv4'],
  ['udpv6-csum', ChecksumKind.UDPV6, 'the UDP checksum over IPv6'],
  ['icmpv4-csum', ChecksumKind.ICMPV4, 'the ICMPv4 checksum'],
  ['icmpv6-csum', ChecksumKind.ICMPV6, 'the ICMPv6 checksum'],
  ['igmp-csum', ChecksumKind.IGMP, 'the IGMP checksum (Suricata 9)'],
];

for (const [name, kind, what] of CHECKSUM_KEYWORDS) {
  registerKeyword({
    name,
    description: `Matches when ${what} is valid or invalid.`,
    docsAnchor: `header-keywords.html#${name}`,
    value: 'required',
    setup(b, value) {
      if (value !== 'valid' && value !== 'invalid') {
        b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a checksum state (expected valid or invalid)`);
        return;
      }
      b.addPacketMatch(new ChecksumMatch(name, kind, value === 'valid'));
    },
  });
}
