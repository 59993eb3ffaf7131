/**
 * The header sticky buffers: `ipv4.hdr`, `ipv6.hdr`, `tcp.hdr`, `udp.hdr`,
 * `icmpv4.hdr`, `icmpv6.hdr`, and Suricata 9's `ether.hdr`, `sctp.hdr` and
 * `igmp.hdr`. Each makes the payload keywords that follow inspect the raw
 * bytes of one header (header-buffers.ts fills them). Suricata:
 * rules/header-keywords.html.
 *
 * As in Suricata, a transport header buffer needs a rule protocol that can
 * carry that transport: `tcp.hdr` in a `udp` rule is an error.
 */
import { ErrorCode } from '../../core/errors.js';
import { HeaderBuffer } from '../header-buffers.js';
import type { SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/** Rule protocols that cover every IP protocol. */
const IP_FAMILY_PROTOCOLS: ReadonlySet<string> = new Set(['ip', 'ipv4', 'ip4', 'ipv6', 'ip6', 'pkthdr']);

interface HeaderStickySpec {
  name: string;
  description: string;
  docsAnchor: string;
  /** Rule protocols besides the IP family that allow this buffer; null allows every protocol. */
  protocols: readonly string[] | null;
}

const SPECS: readonly HeaderStickySpec[] = [
  {
    name: HeaderBuffer.ETHER,
    description: 'inspect the Ethernet header (Suricata 9)',
    docsAnchor: 'header-keywords.html#ether-hdr',
    protocols: null,
  },
  {
    name: HeaderBuffer.IPV4,
    description: 'inspect the IPv4 header, options included',
    docsAnchor: 'header-keywords.html#ipv4-hdr',
    protocols: null,
  },
  {
    name: HeaderBuffer.IPV6,
    description: 'inspect the IPv6 header and its extension headers',
    docsAnchor: 'header-keywords.html#ipv6-hdr',
    protocols: null,
  },
  {
    name: HeaderBuffer.TCP,
    description: 'inspect the TCP header, options included',
    docsAnchor: 'header-keywords.html#tcp-hdr',
    protocols: ['tcp', 'tcp-pkt', 'tcp-stream'],
  },
  {
    name: HeaderBuffer.UDP,
    description: 'inspect the UDP header',
    docsAnchor: 'header-keywords.html#udp-hdr',
    protocols: ['udp'],
  },
  {
    name: HeaderBuffer.ICMPV4,
    description: 'inspect the ICMPv4 header',
    docsAnchor: 'header-keywords.html#icmpv4-hdr',
    protocols: ['icmp', 'icmpv4'],
  },
  {
    name: HeaderBuffer.ICMPV6,
    description: 'inspect the ICMPv6 header',
    docsAnchor: 'header-keywords.html#icmpv6-hdr',
    protocols: ['icmp', 'icmpv6'],
  },
  {
    name: HeaderBuffer.SCTP,
    description: 'inspect the SCTP common header (Suricata 9)',
    docsAnchor: 'sctp-keywords.html#sctp-hdr',
    protocols: ['sctp'],
  },
  {
    name: HeaderBuffer.IGMP,
    description: 'inspect the IGMP header (Suricata 9)',
    docsAnchor: 'header-keywords.html#igmp-hdr',
    protocols: ['igmp'],
  },
];

function registerHeaderSticky(spec: HeaderStickySpec): void {
  registerKeyword({
    name: spec.name,
    description: spec.description,
    docsAnchor: spec.docsAnchor,
    value: 'none',
    setup(b: SignatureBuilder): void {
      const proto = b.sig.proto;
      if (spec.protocols !== null && !IP_FAMILY_PROTOCOLS.has(proto) && !spec.protocols.includes(proto)) {
        const allowed = [...spec.protocols, 'ip'].join(', ');
        b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `rule protocol '${proto}' has no such header (expected a rule protocol of ${allowed})`);
        return;
      }
      b.selectBuffer(spec.name);
    },
  });
}

for (const spec of SPECS) registerHeaderSticky(spec);
