/**
 * The EVE `dns` object, as Suricata 8 writes it. Version 3 (the default)
 * writes one record per message:
 *
 *   {"version":3,"type":"request","tx_id":0,"id":4660,"flags":"100","rd":true,
 *    "opcode":0,"rcode":"NOERROR","queries":[{"rrname":"a.example","rrtype":"A"}]}
 *
 * and for a response adds `answers` (detailed records), `grouped` (rdata
 * by type), `authorities` and `additionals`. Version 2 (Suricata 7) writes
 * one `query` record per question of a request and one `answer` record per
 * response. The fragment is built once per transaction, not per packet.
 */
import { Direction } from '../../core/packet.js';
import { jsonBytes, jsonQuote, toHex } from './json-text.js';
import { DNS_FLAG_QR, DnsType, dnsOpcode, dnsRcode, type DnsMessage, type DnsName, type DnsRdata, type DnsRecord } from './parser.js';
import type { DnsTransaction } from './state.js';

/** EVE dns format versions kapu writes. */
export const DNS_EVE_VERSION_DEFAULT = 3;

/** Which answer lists a response event carries (the eve-log dns `formats` option). */
export interface DnsAnswerFormats {
  /** `answers`: one item per record with rrname, rrtype, ttl and rdata. */
  detailed: boolean;
  /** `grouped`: rdata gathered by record type. */
  grouped: boolean;
}

/** Suricata's default: both answer lists. */
export const ALL_DNS_ANSWER_FORMATS: DnsAnswerFormats = { detailed: true, grouped: true };

/** Settings of the `dns` events, from the eve-log `dns` type and the environment. */
export interface DnsEveOptions {
  version: 2 | 3;
  /** Log requests (version 2: one `query` event per question). */
  requests: boolean;
  /** Log responses (version 2: one `answer` event). */
  responses: boolean;
  formats: DnsAnswerFormats;
}

/** Suricata 8's defaults: version 3, requests and responses, both answer lists. */
export const DEFAULT_DNS_EVE_OPTIONS: DnsEveOptions = { version: 3, requests: true, responses: true, formats: ALL_DNS_ANSWER_FORMATS };

/**
 * Record type names that Suricata 8 prints. Other types print as their
 * number, so AXFR, IXFR and SVCB print as 252, 251 and 64 because
 * Suricata's table lacks them.
 */
export const DNS_RRTYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL',
  11: 'WKS', 12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB',
  19: 'X25', 20: 'ISDN', 21: 'RT', 22: 'NSAP', 23: 'NSAPPTR', 24: 'SIG', 25: 'KEY', 26: 'PX',
  27: 'GPOS', 28: 'AAAA', 29: 'LOC', 30: 'NXT', 33: 'SRV', 34: 'ATMA', 35: 'NAPTR', 36: 'KX',
  37: 'CERT', 38: 'A6', 39: 'DNAME', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY',
  46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA',
  55: 'HIP', 59: 'CDS', 60: 'CDNSKEY', 65: 'HTTPS', 99: 'SPF', 249: 'TKEY', 250: 'TSIG',
  254: 'MAILA', 255: 'ANY', 256: 'URI',
};

/** Response code names by value (RFC 6895 section 2.3). */
export const DNS_RCODE_NAMES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET',
  'NXRRSET', 'NOTAUTH', 'NOTZONE',
];

/** Returns the EVE name of a record type; unknown types print as their number. */
export function dnsRrtypeName(rrtype: number): string {
  return DNS_RRTYPE_NAMES[rrtype] ?? String(rrtype);
}

/** Returns the EVE name of a response code; unknown codes print as their number. */
export function dnsRcodeName(rcode: number): string {
  return DNS_RCODE_NAMES[rcode] ?? String(rcode);
}

/**
 * Picks the dns EVE version: env SURICATA_EVE_DNS_VERSION wins over the
 * config key outputs.eve-log.types.dns.version, and 3 is the default.
 * Values other than 2 and 3 fall back to 3.
 */
export function resolveDnsEveVersion(configVersion: number | undefined, env: Readonly<Record<string, string | undefined>> = process.env): 2 | 3 {
  const fromEnv = env['SURICATA_EVE_DNS_VERSION'];
  const chosen = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : configVersion;
  return chosen === 2 ? 2 : 3;
}

/** Prints an address as Suricata's DNS log does: IPv6 in full, four hex digits a group. */
export function formatDnsAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(toHex(bytes.subarray(i, i + 2)));
  return groups.join(':');
}

function nameJson(name: DnsName): string {
  return jsonBytes(name.value);
}

/** Returns `"key":"name"`, plus `"<key>_truncated":true` for a cut name. */
function namedField(key: string, name: DnsName): string {
  const out = `"${key}":${nameJson(name)}`;
  return name.isTruncated ? `${out},"${key}_truncated":true` : out;
}

function soaJson(s: Extract<DnsRdata, { kind: 'soa' }>): string {
  return `{${namedField('mname', s.mname)},${namedField('rname', s.rname)},"serial":${s.serial},"refresh":${s.refresh},"retry":${s.retry},"expire":${s.expire},"minimum":${s.minimum}}`;
}

function srvJson(s: Extract<DnsRdata, { kind: 'srv' }>): string {
  return `{"priority":${s.priority},"weight":${s.weight},"port":${s.port},"name":${nameJson(s.target)}}`;
}

function sshfpJson(s: Extract<DnsRdata, { kind: 'sshfp' }>): string {
  return `{"fingerprint":${jsonQuote(toHex(s.fingerprint, ':'))},"algo":${s.algorithm},"type":${s.fingerprintType}}`;
}

function optJson(s: Extract<DnsRdata, { kind: 'opt' }>): string {
  return `[${s.options.map((o) => `{"code":${o.code},"data":${jsonQuote(toHex(o.data))}}`).join(',')}]`;
}

/**
 * Returns the detailed form of a record: rrname, rrtype, ttl, then `rdata`
 * or the type's object. A TXT record gives one entry per character-string,
 * so this returns a list. Types without a decoder get no rdata, except
 * NULL, whose bytes are printed.
 */
function recordJson(r: DnsRecord): string[] {
  const head = `{${namedField('rrname', r.name)},"rrtype":${jsonQuote(dnsRrtypeName(r.rrtype))},"ttl":${r.ttl}`;
  const d = r.rdata;
  switch (d.kind) {
    case 'address':
      return [`${head},"rdata":${jsonQuote(formatDnsAddress(d.bytes))}}`];
    case 'name':
    case 'mx':
      return [`${head},${namedField('rdata', d.name)}}`];
    case 'txt':
      return d.strings.map((t) => `${head},"rdata":${jsonBytes(t)}}`);
    case 'soa':
      return [`${head},"soa":${soaJson(d)}}`];
    case 'srv':
      return [`${head},"srv":${srvJson(d)}}`];
    case 'sshfp':
      return [`${head},"sshfp":${sshfpJson(d)}}`];
    case 'opt':
      return [`${head},"opt":${optJson(d)}}`];
    case 'raw':
      return r.rrtype === DnsType.NULL ? [`${head},"rdata":${jsonBytes(d.bytes)}}`] : [`${head}}`];
    default:
      return [`${head}}`];
  }
}

/** Returns the values that `grouped` lists for a record (none for types without a decoder). */
function groupedValues(r: DnsRecord): string[] {
  const d = r.rdata;
  switch (d.kind) {
    case 'address':
      return [jsonQuote(formatDnsAddress(d.bytes))];
    case 'name':
    case 'mx':
      return [nameJson(d.name)];
    case 'txt':
      return d.strings.map(jsonBytes);
    case 'soa':
      return [soaJson(d)];
    case 'srv':
      return [srvJson(d)];
    case 'sshfp':
      return [sshfpJson(d)];
    case 'raw':
      return r.rrtype === DnsType.NULL ? [jsonBytes(d.bytes)] : [];
    default:
      return [];
  }
}

/**
 * Returns `"answers":[...],"grouped":{...}`: detailed records and rdata by
 * type in first-seen order, each list only when `formats` selects it.
 * Returns '' when neither is selected.
 */
function answersJson(answers: DnsRecord[], formats: DnsAnswerFormats): string {
  const groups = new Map<string, string[]>();
  const detailed: string[] = [];
  for (const a of answers) {
    detailed.push(...recordJson(a));
    const values = groupedValues(a);
    if (values.length === 0) continue;
    const key = dnsRrtypeName(a.rrtype);
    let list = groups.get(key);
    if (list === undefined) {
      list = [];
      groups.set(key, list);
    }
    list.push(...values);
  }
  const parts: string[] = [];
  for (const [key, list] of groups) parts.push(`${jsonQuote(key)}:[${list.join(',')}]`);
  const lists: string[] = [];
  if (formats.detailed) lists.push(`"answers":[${detailed.join(',')}]`);
  if (formats.grouped) lists.push(`"grouped":{${parts.join(',')}}`);
  return lists.join(',');
}

/** Returns `,` and the answer lists, or '' when there are none to write. */
function answersPart(m: DnsMessage, formats: DnsAnswerFormats): string {
  if (m.answers.length === 0) return '';
  const text = answersJson(m.answers, formats);
  return text === '' ? '' : ',' + text;
}

/** Returns `,"authorities":[...]` or ''. */
function authoritiesJson(m: DnsMessage): string {
  if (m.authorities.length === 0) return '';
  return `,"authorities":[${m.authorities.flatMap(recordJson).join(',')}]`;
}

/** Returns `,"additionals":[...]` or ''. OPT records without options are left out, as Suricata does. */
function additionalsJson(m: DnsMessage): string {
  const logged = m.additionals.filter((r) => !(r.rdata.kind === 'opt' && r.rdata.options.length === 0));
  if (logged.length === 0) return '';
  return `,"additionals":[${logged.flatMap(recordJson).join(',')}]`;
}

/** Returns the header fields: id, flags as unpadded hex, flag booleans and opcode. */
function headerJson(m: DnsMessage): string {
  const f = m.flags;
  let out = `"id":${m.id},"flags":"${f.toString(16)}"`;
  if ((f & DNS_FLAG_QR) !== 0) out += ',"qr":true';
  if ((f & 0x0400) !== 0) out += ',"aa":true';
  if ((f & 0x0200) !== 0) out += ',"tc":true';
  if ((f & 0x0100) !== 0) out += ',"rd":true';
  if ((f & 0x0080) !== 0) out += ',"ra":true';
  if ((f & 0x0040) !== 0) out += ',"z":true';
  return out + `,"opcode":${dnsOpcode(f)}`;
}

function queriesJson(m: DnsMessage): string {
  const items = m.queries.map((q) => {
    let item = `{"rrname":${nameJson(q.name)},"rrtype":${jsonQuote(dnsRrtypeName(q.rrtype))}`;
    // Suricata writes the truncation flag after rrtype in queries.
    if (q.name.isTruncated) item += ',"rrname_truncated":true';
    return item + '}';
  });
  return `"queries":[${items.join(',')}]`;
}

/**
 * Builds the version 3 `dns` object of a transaction, or null for a
 * malformed message. The type follows the direction the message travelled.
 */
export function buildDnsEveV3(tx: DnsTransaction, formats: DnsAnswerFormats = ALL_DNS_ANSWER_FORMATS): string | null {
  const m = tx.message;
  if (m === null) return null;
  const type = tx.direction === Direction.TO_SERVER ? 'request' : 'response';
  let out = `{"version":3,"type":"${type}","tx_id":${tx.txId},${headerJson(m)},"rcode":${jsonQuote(dnsRcodeName(dnsRcode(m.flags)))}`;
  if (m.queries.length > 0) out += ',' + queriesJson(m);
  out += answersPart(m, formats);
  return out + authoritiesJson(m) + additionalsJson(m) + '}';
}

/**
 * Builds the version 2 `dns` objects of a transaction: one `query` object
 * per question of a request, or one `answer` object for a response. The
 * answer names the first question and carries the header flags as
 * booleans, as Suricata 7 wrote it.
 */
export function buildDnsEveV2(tx: DnsTransaction, formats: DnsAnswerFormats = ALL_DNS_ANSWER_FORMATS): string[] {
  const m = tx.message;
  if (m === null) return [];
  if (tx.direction === Direction.TO_SERVER) {
    const z = (m.flags & 0x0040) !== 0 ? ',"z":true' : '';
    return m.queries.map(
      (q) =>
        `{"type":"query","id":${m.id},${namedField('rrname', q.name)},"rrtype":${jsonQuote(dnsRrtypeName(q.rrtype))},"tx_id":${tx.txId}${z},"opcode":${dnsOpcode(m.flags)}}`,
    );
  }
  let out = `{"version":2,"type":"answer",${headerJson(m)}`;
  const first = m.queries[0];
  if (first !== undefined) out += `,${namedField('rrname', first.name)},"rrtype":${jsonQuote(dnsRrtypeName(first.rrtype))}`;
  out += `,"rcode":${jsonQuote(dnsRcodeName(dnsRcode(m.flags)))}`;
  out += answersPart(m, formats);
  return [out + authoritiesJson(m) + additionalsJson(m) + '}'];
}

/** Builds the `dns` objects of a transaction for the chosen version (one or more). */
export function buildDnsEve(tx: DnsTransaction, version: 2 | 3, formats: DnsAnswerFormats = ALL_DNS_ANSWER_FORMATS): string[] {
  if (version === 2) return buildDnsEveV2(tx, formats);
  const v3 = buildDnsEveV3(tx, formats);
  return v3 === null ? [] : [v3];
}

/**
 * Builds the dns event settings from the eve-log `dns` type's options
 * (absent: Suricata's defaults) and the environment, whose
 * SURICATA_EVE_DNS_VERSION wins over the configured version.
 */
export function resolveDnsEveOptions(
  config: { version: number; requests: boolean; responses: boolean; formats: readonly string[] } | undefined,
  env: Readonly<Record<string, string | undefined>>,
): DnsEveOptions {
  const version = resolveDnsEveVersion(config?.version, env);
  if (config === undefined) return { ...DEFAULT_DNS_EVE_OPTIONS, version };
  return {
    version,
    requests: config.requests,
    responses: config.responses,
    formats: { detailed: config.formats.includes('detailed'), grouped: config.formats.includes('grouped') },
  };
}
