/**
 * The compiled blocklists (policy.blocklists) and the lookups the packet
 * path makes in them: a DNS query name, a TLS SNI, an HTTP host and path,
 * a server address. Each lookup allocates nothing. A hit fills `match`
 * with the list and the entry, which the pipeline turns into a block and
 * a gid 8100 alert.
 */
import { Action, type Signature } from '../detect/signature.js';
import type { BlocklistKind, DomainEntry, IpEntry, ListEntry, UrlEntry } from './blocklist-parse.js';
import { DomainSetBuilder, type DomainSet } from './domain-set.js';
import { PrefixSet } from './prefix-set.js';
import type { PrefixList } from './quarantine-address.js';

/** Generator id of kapu's policy alerts. */
export const POLICY_GID = 8100;

/** Action of a list on a blocked DNS query. TLS, HTTP and address matches are always dropped. */
export type BlockAction = 'drop' | 'nxdomain' | 'sinkhole';

/** Settings of one list, from its policy.blocklists entry. */
export interface ListSettings {
  /** sid of the gid 8100 alert. */
  id: number;
  /** Name shown as kapu.list. */
  name: string;
  kind: BlocklistKind;
  action: BlockAction;
  /** Domain and URL entries also match the names below them. */
  subdomains: boolean;
  /** Sinkhole addresses by family: 4 bytes, 16 bytes, or null. */
  sinkholeV4: Uint8Array | null;
  sinkholeV6: Uint8Array | null;
}

/** One list ready for lookups. */
export class CompiledList {
  readonly settings: ListSettings;
  /** The alert's signature: gid 8100, sid = the list id. */
  readonly sig: Signature;
  /** Domain entries, or the hosts of URL entries; null for an ip list. */
  readonly domains: DomainSet | null;
  /**
   * Entry text of the domains whose text differs from their stored name
   * (upper case, a trailing dot, `*.`, Unicode), by entry number. The
   * others are rebuilt from the set on a hit, which keeps one string per
   * entry out of memory.
   */
  readonly domainTexts: Map<number, string>;
  /** Per host of a URL list: its path prefixes as bytes, and each entry's text. */
  readonly urlPaths: Uint8Array[][];
  readonly urlTexts: string[][];
  /** Per host of a URL list: 1 when an entry covers the whole site (path `/`), so its SNI is blocked too. */
  readonly urlWholeSite: Uint8Array;
  readonly prefixes: PrefixSet | null;
  readonly prefixTexts: string[];
  readonly entryCount: number;

  constructor(settings: ListSettings, entries: readonly ListEntry[]) {
    this.settings = settings;
    this.sig = policySignature(settings);
    this.domainTexts = new Map();
    this.urlPaths = [];
    this.urlTexts = [];
    this.prefixTexts = [];
    this.entryCount = entries.length;
    let domains: DomainSet | null = null;
    let prefixes: PrefixSet | null = null;
    let wholeSite = new Uint8Array(0);
    if (settings.kind === 'domain') {
      const builder = new DomainSetBuilder();
      for (const entry of entries as DomainEntry[]) {
        const known = builder.size;
        const n = builder.add(entry.name, settings.subdomains || entry.wildcard);
        if (n === known && entry.text !== entry.name) this.domainTexts.set(n, entry.text);
      }
      domains = builder.build();
    } else if (settings.kind === 'url') {
      const builder = new DomainSetBuilder();
      for (const entry of entries as UrlEntry[]) {
        const n = builder.add(entry.host, settings.subdomains);
        if (n === this.urlPaths.length) {
          this.urlPaths.push([]);
          this.urlTexts.push([]);
        }
        (this.urlPaths[n] as Uint8Array[]).push(Buffer.from(entry.path, 'latin1'));
        (this.urlTexts[n] as string[]).push(entry.text);
      }
      domains = builder.build();
      wholeSite = new Uint8Array(this.urlPaths.length);
      for (let n = 0; n < this.urlPaths.length; n++) {
        if ((this.urlPaths[n] as Uint8Array[]).some((path) => path.length === 1)) wholeSite[n] = 1;
      }
    } else {
      prefixes = new PrefixSet();
      for (const entry of entries as IpEntry[]) {
        if (prefixes.add(entry.prefix.bytes, entry.prefix.prefixLength, this.prefixTexts.length)) this.prefixTexts.push(entry.text);
      }
    }
    this.domains = domains;
    this.prefixes = prefixes;
    this.urlWholeSite = wholeSite;
  }
}

const ANY_ADDRESS = { isAny: true, matchV4: (): boolean => true, matchV6: (): boolean => true };
const ANY_PORT = { isAny: true, match: (): boolean => true };

/** Builds the signature that a list's alerts name; no rule engine ever runs it. */
function policySignature(settings: ListSettings): Signature {
  return {
    id: -1,
    action: Action.DROP,
    gid: POLICY_GID,
    sid: settings.id,
    rev: 1,
    msg: `KAPU POLICY blocked ${settings.kind} (${settings.name})`,
    classtype: 'policy-violation',
    priority: 1,
    category: 'Potential Corporate Privacy Violation',
    references: [],
    metadata: [],
    target: null,
    proto: 'ip',
    src: ANY_ADDRESS,
    srcPorts: ANY_PORT,
    dst: ANY_ADDRESS,
    dstPorts: ANY_PORT,
    direction: 0,
    flowFlags: 0,
    packetMatches: [],
    buffers: [],
    postMatches: [],
    threshold: null,
    detectionFilter: null,
    isNoAlert: false,
    file: settings.name,
    line: 0,
    text: '',
  };
}

/** Protocol or field in which a lookup matched. */
export const MatchedIn = { DNS: 'dns', TLS: 'tls', HTTP: 'http', ADDRESS: 'address' } as const;
export type MatchedInValue = (typeof MatchedIn)[keyof typeof MatchedIn];

/** The last hit: its list and entry. The fields are overwritten by the next hit. */
export class BlockMatch {
  list: CompiledList | null = null;
  entryText = '';
  matchedIn: MatchedInValue = MatchedIn.ADDRESS;
}

/** Bytes of the name scratch buffer: a DNS name is at most 255 bytes on the wire, 253 as text. */
const NAME_SCRATCH_BYTES = 256;
const DOT = 0x2e;

/** Counters of the site blocker, under `policy.blocklist.` in stats events. */
export class SiteBlockCounters {
  dnsBlocked = 0;
  tlsBlocked = 0;
  httpBlocked = 0;
  addressBlocked = 0;
  dnsAnswersSent = 0;
  dnsAnswersFailed = 0;
  /** Matches of an address on the never-block list, let through. */
  neverBlockSkipped = 0;
}

/**
 * The lookups of the packet path over the current lists. `replace` swaps
 * in the lists of a reload between packets; `generation` then rises, so
 * flows check their server address again.
 */
export class SiteBlocker {
  lists: readonly CompiledList[];
  generation: number;
  readonly match: BlockMatch;
  readonly counters: SiteBlockCounters;
  /** Addresses that an ip list never blocks (policy.never-block, gateways, dns-servers, management). */
  readonly neverBlock: PrefixList | null;
  /** The name being looked up, lower case without trailing dot. */
  readonly name: Uint8Array;
  nameLength: number;
  /** Payload offset past the question of the last DNS query parsed, and its type. */
  questionEnd: number;
  qtype: number;
  private hasDomains: boolean;
  private hasUrls: boolean;
  private hasPrefixes: boolean;

  constructor(lists: readonly CompiledList[], neverBlock: PrefixList | null = null) {
    this.lists = [];
    this.generation = 0;
    this.match = new BlockMatch();
    this.counters = new SiteBlockCounters();
    this.neverBlock = neverBlock;
    this.name = new Uint8Array(NAME_SCRATCH_BYTES);
    this.nameLength = 0;
    this.questionEnd = 0;
    this.qtype = 0;
    this.hasDomains = false;
    this.hasUrls = false;
    this.hasPrefixes = false;
    this.replace(lists);
  }

  /** Puts `lists` in force. */
  replace(lists: readonly CompiledList[]): void {
    this.lists = lists;
    this.generation++;
    this.hasDomains = lists.some((l) => l.settings.kind === 'domain');
    this.hasUrls = lists.some((l) => l.settings.kind === 'url');
    this.hasPrefixes = lists.some((l) => l.settings.kind === 'ip');
  }

  get hasNameLists(): boolean {
    return this.hasDomains || this.hasUrls;
  }

  get hasAddressLists(): boolean {
    return this.hasPrefixes;
  }

  /**
   * Copies `bytes[start, end)` into the name buffer in lower case without
   * a trailing dot. Returns false when the name does not fit.
   */
  loadName(bytes: Uint8Array, start: number, end: number): boolean {
    let length = end - start;
    if (length > 0 && bytes[end - 1] === DOT) length--;
    if (length <= 0 || length > NAME_SCRATCH_BYTES) return false;
    const name = this.name;
    for (let i = 0; i < length; i++) {
      const b = bytes[start + i] as number;
      name[i] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
    }
    this.nameLength = length;
    return true;
  }

  /**
   * Parses the question of the DNS query at `payload[offset, offset+length)`
   * into the name buffer (labels joined by dots), `qtype` and
   * `questionEnd`. Returns false unless it is a standard query (QR 0,
   * opcode 0) with one question whose name has no compression pointer.
   */
  loadDnsQuestion(payload: Uint8Array, offset: number, length: number): boolean {
    if (length < 17) return false;
    const flags = payload[offset + 2] as number;
    if ((flags & 0xf8) !== 0) return false;
    if (payload[offset + 4] !== 0 || payload[offset + 5] !== 1) return false;
    const end = offset + length;
    const name = this.name;
    let at = offset + 12;
    let out = 0;
    for (;;) {
      if (at >= end) return false;
      const labelLength = payload[at] as number;
      at++;
      if (labelLength === 0) break;
      // Label lengths of 64 and more are pointers or reserved (RFC 1035 section 4.1.4).
      if (labelLength > 63 || at + labelLength > end) return false;
      if (out > 0) {
        if (out >= NAME_SCRATCH_BYTES) return false;
        name[out++] = DOT;
      }
      if (out + labelLength > NAME_SCRATCH_BYTES) return false;
      for (let i = 0; i < labelLength; i++) {
        const b = payload[at + i] as number;
        name[out++] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
      }
      at += labelLength;
    }
    if (out === 0 || at + 4 > end) return false;
    this.nameLength = out;
    this.qtype = ((payload[at] as number) << 8) | (payload[at + 1] as number);
    this.questionEnd = at + 4 - offset;
    return true;
  }

  /**
   * Looks up the loaded name in the domain lists and, for TLS, in the
   * whole-site entries of the URL lists. Returns the list that matched,
   * or null.
   */
  matchName(matchedIn: MatchedInValue): CompiledList | null {
    const lists = this.lists;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l] as CompiledList;
      const domains = list.domains;
      if (domains === null) continue;
      if (list.settings.kind === 'domain') {
        const entry = domains.first(this.name, 0, this.nameLength);
        if (entry >= 0) return this.hit(list, list.domainTexts.get(entry) ?? domains.nameOf(entry), matchedIn);
      } else if (matchedIn === MatchedIn.TLS) {
        for (let entry = domains.first(this.name, 0, this.nameLength); entry >= 0; entry = domains.next()) {
          if (list.urlWholeSite[entry] === 1) return this.hit(list, (list.urlTexts[entry] as string[])[0] as string, matchedIn);
        }
      }
    }
    return null;
  }

  /** Looks up the loaded host name with request path `path` (null when unknown) in the domain and URL lists. */
  matchHttp(path: Uint8Array | null): CompiledList | null {
    const byName = this.hasDomains ? this.matchName(MatchedIn.HTTP) : null;
    if (byName !== null || !this.hasUrls) return byName;
    const lists = this.lists;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l] as CompiledList;
      const domains = list.domains;
      if (domains === null || list.settings.kind !== 'url') continue;
      for (let entry = domains.first(this.name, 0, this.nameLength); entry >= 0; entry = domains.next()) {
        const paths = list.urlPaths[entry] as Uint8Array[];
        for (let k = 0; k < paths.length; k++) {
          if (isPrefixOf(paths[k] as Uint8Array, path)) return this.hit(list, (list.urlTexts[entry] as string[])[k] as string, MatchedIn.HTTP);
        }
      }
    }
    return null;
  }

  /** Looks up the address at `address[offset]` of `family` (4 or 6) in the ip lists. */
  matchAddress(family: number, address: Uint8Array, offset: number): CompiledList | null {
    const lists = this.lists;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l] as CompiledList;
      const prefixes = list.prefixes;
      if (prefixes === null) continue;
      const entry = prefixes.lookup(family, address, offset);
      if (entry < 0) continue;
      if (this.neverBlock !== null && this.neverBlock.contains(family, address)) {
        this.counters.neverBlockSkipped++;
        return null;
      }
      return this.hit(list, list.prefixTexts[entry] as string, MatchedIn.ADDRESS);
    }
    return null;
  }

  /** Returns the loaded name as text; for the alert, so only after a hit. */
  nameText(): string {
    let out = '';
    for (let i = 0; i < this.nameLength; i++) out += String.fromCharCode(this.name[i] as number);
    return out;
  }

  private hit(list: CompiledList, entryText: string, matchedIn: MatchedInValue): CompiledList {
    const match = this.match;
    match.list = list;
    match.entryText = entryText;
    match.matchedIn = matchedIn;
    return list;
  }

  /** Adds the counters to `out` under their stats names. */
  collectCounters(out: Map<string, number>): void {
    const c = this.counters;
    out.set('policy.blocklist.dns_blocked', c.dnsBlocked);
    out.set('policy.blocklist.tls_blocked', c.tlsBlocked);
    out.set('policy.blocklist.http_blocked', c.httpBlocked);
    out.set('policy.blocklist.address_blocked', c.addressBlocked);
    out.set('policy.blocklist.dns_answers_sent', c.dnsAnswersSent);
    out.set('policy.blocklist.dns_answers_failed', c.dnsAnswersFailed);
    out.set('policy.blocklist.never_block_skipped', c.neverBlockSkipped);
  }
}

/** Tells whether `prefix` starts `path`; a null path (unknown) matches only the whole-site prefix `/`. */
function isPrefixOf(prefix: Uint8Array, path: Uint8Array | null): boolean {
  if (path === null) return prefix.length === 1;
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}
