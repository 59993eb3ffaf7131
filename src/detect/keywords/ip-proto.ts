import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import type { PacketMatcher } from '../signature.js';
import { registerKeyword } from './keyword-table.js';
import { UintMode, UintValue } from './uint-value.js';

/** Protocol names accepted by ip_proto, with their IANA numbers. */
const PROTOCOL_NUMBERS: Record<string, number> = {
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ggp: 3,
  ipip: 4,
  'ip-in-ip': 4,
  st: 5,
  tcp: 6,
  egp: 8,
  igp: 9,
  pup: 12,
  udp: 17,
  idp: 22,
  rdp: 27,
  dccp: 33,
  ipv6: 41,
  'ipv6-route': 43,
  'ipv6-frag': 44,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  eigrp: 88,
  ospf: 89,
  ospfigp: 89,
  etherip: 97,
  encap: 98,
  pim: 103,
  ipcomp: 108,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  'mobility-header': 135,
  udplite: 136,
  mpls: 137,
};

/** Compares the IP protocol of the layer after the IP headers. */
export class IpProtoMatch implements PacketMatcher {
  readonly keyword = 'ip_proto';

  constructor(readonly value: UintValue) {}

  match(p: Packet): boolean {
    return p.ipVersion !== 0 && this.value.matches(p.ipProto);
  }
}

/** Parses `[!|<|>]number-or-name`; returns the matcher or the problem. */
export function parseIpProto(value: string): IpProtoMatch | string {
  const m = /^\s*([!<>]?)\s*([A-Za-z0-9_-]+)\s*$/.exec(value);
  if (m === null) return `'${value}' is not a protocol (expected a number 0 to 255 or a name such as tcp, with optional !, < or >)`;
  const token = m[2].toLowerCase();
  const n = /^\d+$/.test(token) ? Number(token) : PROTOCOL_NUMBERS[token];
  if (n === undefined) return `'${m[2]}' is not a known protocol name (expected a number 0 to 255 or a name such as tcp, udp, gre, pim)`;
  if (n > 255) return `'${m[2]}' is above the maximum 255`;
  const mode = m[1] === '!' ? UintMode.NE : m[1] === '<' ? UintMode.LT : m[1] === '>' ? UintMode.GT : UintMode.EQ;
  return new IpProtoMatch(new UintValue(mode, n, 0));
}

registerKeyword({
  name: 'ip_proto',
  description: 'Compares the IP protocol number or name, with optional !, < or >.',
  docsAnchor: 'header-keywords.html#ip-proto',
  value: 'required',
  setup(b, value) {
    const parsed = parseIpProto(value);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, parsed);
      return;
    }
    b.addPacketMatch(parsed);
  },
});
