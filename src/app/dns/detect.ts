/**
 * DNS rule keywords: the sticky buffers (`dns.query` and the Suricata 8
 * section buffers) and the integer keywords `dns.opcode`, `dns.rcode` and
 * `dns.rrtype`. Each DNS message is one transaction (state.ts), so a
 * buffer gives one entry per name and the rule matches when any of them
 * matches, as Suricata's multi-buffers do. Suricata:
 * rules/dns-keywords.html.
 */
import { Direction } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { DetectThreadContext, KeywordDef, PacketMatcher, SignatureBuilder } from '../../detect/signature.js';
import { registerKeyword } from '../../detect/keywords/keyword-table.js';
import { parseUintValue, type UintValue } from '../../detect/keywords/uint-value.js';
import { dnsOpcode, dnsRcode } from './parser.js';
import { DNS_RCODE_NAMES, DNS_RRTYPE_NAMES } from './eve.js';
import type { DnsTransaction } from './state.js';

/** Canonical DNS buffer names. */
export const DnsBuffer = {
  QUERY: 'dns.query',
  QUERIES_RRNAME: 'dns.queries.rrname',
  ANSWERS_RRNAME: 'dns.answers.rrname',
  AUTHORITIES_RRNAME: 'dns.authorities.rrname',
  ADDITIONALS_RRNAME: 'dns.additionals.rrname',
  RESPONSE_RRNAME: 'dns.response.rrname',
} as const;

const EMPTY: Uint8Array[] = [];

/** Returns the query names of a request, one buffer per query (`dns.query`). */
export function getDnsQueries(tx: DnsTransaction): Uint8Array[] {
  return tx.direction === Direction.TO_SERVER ? tx.queryNames : EMPTY;
}

/**
 * Returns every buffer of `bufferName` for a transaction seen in
 * `direction`, or an empty list when the buffer does not apply.
 */
export function getDnsBuffers(tx: DnsTransaction, bufferName: string, direction: number): Uint8Array[] {
  if (tx.message === null || direction !== tx.direction) return EMPTY;
  switch (bufferName) {
    case DnsBuffer.QUERY:
      return getDnsQueries(tx);
    case DnsBuffer.QUERIES_RRNAME:
      return tx.queryNames;
    case DnsBuffer.ANSWERS_RRNAME:
      return tx.answerNames;
    case DnsBuffer.AUTHORITIES_RRNAME:
      return tx.authorityNames;
    case DnsBuffer.ADDITIONALS_RRNAME:
      return tx.additionalNames;
    case DnsBuffer.RESPONSE_RRNAME:
      return direction === Direction.TO_CLIENT ? tx.allNames : EMPTY;
    default:
      return EMPTY;
  }
}

/** Returns the first buffer of `bufferName`, or null when there is none. */
export function getDnsBuffer(tx: DnsTransaction, bufferName: string, direction: number): Uint8Array | null {
  const list = getDnsBuffers(tx, bufferName, direction);
  return list.length > 0 ? list[0] : null;
}

/** DNS message fields that the integer keywords compare. */
export const DnsField = {
  OPCODE: 0,
  RCODE: 1,
  RRTYPE: 2,
} as const;

/**
 * `dns.opcode`, `dns.rcode` and `dns.rrtype`. The detection engine calls
 * `matchTx` with each DNS transaction of the flow. `match` is the packet
 * form, and it never matches because these fields live in transactions.
 */
export class DnsFieldMatch implements PacketMatcher {
  readonly isTxMatcher = true;
  constructor(
    readonly keyword: string,
    readonly field: number,
    readonly value: UintValue,
  ) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Tells whether the transaction's field satisfies the comparison. */
  matchTx(tx: DnsTransaction, direction: number): boolean {
    const m = tx.message;
    if (m === null || direction !== tx.direction) return false;
    switch (this.field) {
      case DnsField.OPCODE:
        return this.value.matches(dnsOpcode(m.flags));
      case DnsField.RCODE:
        return this.value.matches(dnsRcode(m.flags));
      case DnsField.RRTYPE:
        // As in Suricata 8: the query types of a request, the answer types
        // of a response.
        if (direction === Direction.TO_SERVER) {
          for (const q of m.queries) if (this.value.matches(q.rrtype)) return true;
        } else {
          for (const a of m.answers) if (this.value.matches(a.rrtype)) return true;
        }
        return false;
      default:
        return false;
    }
  }
}

function stickyKeyword(name: string, aliases: readonly string[], description: string, anchor: string): KeywordDef {
  return {
    name,
    ...(aliases.length > 0 ? { aliases } : {}),
    description,
    docsAnchor: `dns-keywords.html#${anchor}`,
    value: 'none',
    setup(b: SignatureBuilder): void {
      b.selectBuffer(name);
    },
  };
}

/**
 * Replaces enumeration names in an integer value with their numbers, as
 * Suricata 8 accepts `dns.rcode:NXDOMAIN` and `dns.rrtype:!AAAA`. Names
 * match without regard to case; other text is left for the integer parser
 * to report.
 */
function replaceNames(value: string, names: readonly (readonly [string, number])[]): string {
  return value.replace(/[A-Za-z][A-Za-z0-9]*/g, (word) => {
    const upper = word.toUpperCase();
    for (const [name, number] of names) if (name === upper) return String(number);
    return word;
  });
}

const RCODE_VALUES: readonly (readonly [string, number])[] = DNS_RCODE_NAMES.map((name, i) => [name, i] as const);
const RRTYPE_VALUES: readonly (readonly [string, number])[] = Object.entries(DNS_RRTYPE_NAMES).map(([n, name]) => [name, Number(n)] as const);

/** Returns the enumeration names a field's value may use (none for the opcode). */
function fieldNames(field: number): readonly (readonly [string, number])[] {
  if (field === DnsField.RCODE) return RCODE_VALUES;
  if (field === DnsField.RRTYPE) return RRTYPE_VALUES;
  return [];
}

function fieldKeyword(name: string, field: number, max: number, description: string, anchor: string): KeywordDef {
  const names = fieldNames(field);
  return {
    name,
    description,
    docsAnchor: `dns-keywords.html#${anchor}`,
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      const parsed = parseUintValue(names.length > 0 ? replaceNames(value, names) : value, max);
      if (typeof parsed === 'string') {
        b.error(ErrorCode.RULE_BAD_VALUE, parsed);
        return;
      }
      b.addPacketMatch(new DnsFieldMatch(name, field, parsed));
    },
  };
}

/** The DNS keywords, registered by registerDnsKeywords. */
export const DNS_KEYWORDS: readonly KeywordDef[] = [
  stickyKeyword(DnsBuffer.QUERY, ['dns_query'], 'inspect each query name of a DNS request', 'dns-query'),
  stickyKeyword(DnsBuffer.QUERIES_RRNAME, ['dns.query.name'], 'inspect each query name of a DNS message', 'dns-queries-rrname'),
  stickyKeyword(DnsBuffer.ANSWERS_RRNAME, ['dns.answer.name'], 'inspect each answer name of a DNS message', 'dns-answers-rrname'),
  stickyKeyword(DnsBuffer.AUTHORITIES_RRNAME, [], 'inspect each authority name of a DNS message', 'dns-authorities-rrname'),
  stickyKeyword(DnsBuffer.ADDITIONALS_RRNAME, [], 'inspect each additional name of a DNS message', 'dns-additionals-rrname'),
  stickyKeyword(DnsBuffer.RESPONSE_RRNAME, [], 'inspect every name of a DNS response, rdata names included', 'dns-response-rrname'),
  // Suricata 8 parses the opcode as an 8-bit and the rcode as a 16-bit integer.
  fieldKeyword('dns.opcode', DnsField.OPCODE, 255, 'match the DNS header opcode', 'dns-opcode'),
  fieldKeyword('dns.rcode', DnsField.RCODE, 65535, 'match the DNS header response code, as a number or a name such as NXDOMAIN', 'dns-rcode'),
  fieldKeyword('dns.rrtype', DnsField.RRTYPE, 65535, 'match the query types of a DNS request or the answer types of a response, as a number or a name such as AAAA', 'dns-rrtype'),
];

/** Registers the DNS keywords in the keyword table. */
export function registerDnsKeywords(): void {
  for (const def of DNS_KEYWORDS) registerKeyword(def);
}
