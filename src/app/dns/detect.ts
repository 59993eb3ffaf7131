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
import { parseMultiUintValue, type MultiUintValue } from '../../detect/keywords/multi-uint.js';
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
    /** Comparison of the opcode or rcode. */
    readonly value: UintValue | null,
    /** For dns.rrtype: the multi-integer over the record types. */
    readonly types: MultiUintValue | null,
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
        return this.value !== null && this.value.matches(dnsOpcode(m.flags));
      case DnsField.RCODE:
        return this.value !== null && this.value.matches(dnsRcode(m.flags));
      case DnsField.RRTYPE:
        // As in Suricata 8: the query types of a request, the answer types
        // of a response.
        if (this.types === null) return false;
        return this.types.matches(direction === Direction.TO_SERVER ? tx.queryTypes : tx.answerTypes);
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

/**
 * Replaces record type names in the comparison of a multi-integer, the
 * part before the first comma, so that the index words `any` and `all`
 * stay words (ANY is also a record type).
 */
function replaceTypeNames(value: string): string {
  if (/^\s*count\b/.test(value)) return value;
  const comma = value.indexOf(',');
  if (comma < 0) return replaceNames(value, RRTYPE_VALUES);
  return replaceNames(value.slice(0, comma), RRTYPE_VALUES) + value.slice(comma);
}

function fieldKeyword(name: string, field: number, max: number, description: string, anchor: string): KeywordDef {
  const names = fieldNames(field);
  return {
    name,
    description,
    docsAnchor: `dns-keywords.html#${anchor}`,
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      if (field === DnsField.RRTYPE) {
        const types = parseMultiUintValue(replaceTypeNames(value), max);
        if (typeof types === 'string') b.error(ErrorCode.RULE_BAD_VALUE, types);
        else b.addPacketMatch(new DnsFieldMatch(name, field, null, types));
        return;
      }
      const parsed = parseUintValue(names.length > 0 ? replaceNames(value, names) : value, max);
      if (typeof parsed === 'string') {
        b.error(ErrorCode.RULE_BAD_VALUE, parsed);
        return;
      }
      b.addPacketMatch(new DnsFieldMatch(name, field, parsed, null));
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
  fieldKeyword(
    'dns.rrtype',
    DnsField.RRTYPE,
    65535,
    'match the query types of a DNS request or the answer types of a response, as a number or a name such as AAAA, with an optional index (any, all, N)',
    'dns-rrtype',
  ),
];

/** Registers the DNS keywords in the keyword table. */
export function registerDnsKeywords(): void {
  for (const def of DNS_KEYWORDS) registerKeyword(def);
}
