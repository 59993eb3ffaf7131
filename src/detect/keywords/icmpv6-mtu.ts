/**
 * `icmpv6.mtu`: compares the MTU field of an ICMPv6 Packet Too Big message
 * (type 2, code 0, MTU in bytes 4 to 7, RFC 4443 section 3.2). Other
 * messages do not match. Suricata: rules/header-keywords.html#icmpv6-mtu.
 */
import { IpProto, type Packet } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { PacketMatcher, SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';
import { parseUintValue, type UintValue } from './uint-value.js';

const ICMPV6_PACKET_TOO_BIG = 2;
const MTU_OFFSET = 4;

/** Returns the MTU of a Packet Too Big message, or -1 for any other packet. */
export function icmpv6Mtu(p: Packet): number {
  if (p.ipProto !== IpProto.ICMPV6 || p.l4Offset < 0) return -1;
  if (p.icmpType !== ICMPV6_PACKET_TOO_BIG || p.icmpCode !== 0) return -1;
  const at = p.l4Offset + MTU_OFFSET;
  const bytes = p.bytes;
  if (at + 4 > bytes.length) return -1;
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/** Compares the MTU field. */
export class Icmpv6MtuMatch implements PacketMatcher {
  readonly keyword = 'icmpv6.mtu';

  constructor(readonly value: UintValue) {}

  match(p: Packet): boolean {
    const mtu = icmpv6Mtu(p);
    return mtu >= 0 && this.value.matches(mtu);
  }
}

registerKeyword({
  name: 'icmpv6.mtu',
  description: 'compare the MTU of an ICMPv6 Packet Too Big message',
  docsAnchor: 'header-keywords.html#icmpv6-mtu',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const mtu = parseUintValue(value, 4294967295);
    if (typeof mtu === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, mtu);
      return;
    }
    b.addPacketMatch(new Icmpv6MtuMatch(mtu));
  },
});
