/**
 * Suricata 9's header sticky buffers `ether.hdr`, `sctp.hdr`, `igmp.hdr`
 * and `sctp.chunk_data`.
 * Each makes the payload keywords that follow inspect the raw bytes of one
 * header, which ../header-buffers.ts provides. The IP, TCP, UDP and ICMP
 * header keywords are registered by header-buffers.ts in this folder.
 * Suricata: rules/header-keywords.html.
 *
 * As in Suricata, a transport header buffer needs a rule protocol that can
 * carry that transport: `sctp.hdr` in a `udp` rule is an error.
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
  {
    name: HeaderBuffer.SCTP_CHUNK_DATA,
    description: 'inspect the user data of the first SCTP DATA chunk (Suricata 9)',
    docsAnchor: 'sctp-keywords.html#sctp-chunk-data',
    protocols: ['sctp'],
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
