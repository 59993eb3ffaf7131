/**
 * Reads the text of a blocklist: one entry a line, `#` starts a comment,
 * blank lines are skipped. The plain format has one domain, URL or
 * address a line; the hosts format has hosts-file lines
 * (`0.0.0.0 ads.example tracker.example`), whose address is ignored.
 * Every invalid line becomes a problem with its source and line number.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parsePrefix, type AddressPrefix } from './quarantine-address.js';

export type BlocklistKind = 'domain' | 'url' | 'ip';
export type BlocklistFormat = 'plain' | 'hosts';

/** One invalid line of a list. */
export interface ListProblem {
  /** File path or URL of the list. */
  source: string;
  /** 1-based line number. */
  line: number;
  message: string;
}

/** Renders a problem as `source:line: message`. */
export function renderListProblem(problem: ListProblem): string {
  return `${problem.source}:${problem.line}: ${problem.message}`;
}

/** One domain entry: the name in lower-case ASCII, and whether a `*.` prefix asked for its subdomains. */
export interface DomainEntry {
  text: string;
  name: string;
  wildcard: boolean;
}

/** One URL entry: host and path prefix (starting with `/`). */
export interface UrlEntry {
  text: string;
  host: string;
  path: string;
}

export interface IpEntry {
  text: string;
  prefix: AddressPrefix;
}

export type ListEntry = DomainEntry | UrlEntry | IpEntry;

/** Entries of one list and the problems of its invalid lines. */
export interface ParsedList {
  entries: ListEntry[];
  problems: ListProblem[];
}

/** Maximum length of a domain name in text form (RFC 1035 section 2.3.4: 255 bytes on the wire). */
const MAX_NAME_LENGTH = 253;
/** Maximum length of a label (RFC 1035 section 2.3.4). */
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** Names that hosts files map to the local machine; they are not sites to block. */
const LOCAL_HOST_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

const DOMAIN_ALLOWED = "expected labels of 1 to 63 letters, digits, '-' or '_' separated by dots, at most 253 characters";

/**
 * Normalises a domain name: lower case, no trailing dot, Unicode labels in
 * punycode. Returns the name, or a message saying why it is invalid.
 */
export function normalizeDomain(input: string): { name: string } | { problem: string } {
  let text = input.endsWith('.') ? input.slice(0, -1) : input;
  if (text.length === 0) return { problem: `'${input}' is not a domain name (${DOMAIN_ALLOWED})` };
  // domainToASCII lower-cases, maps Unicode labels to xn-- form, and returns '' for a name it rejects.
  if (/[^\x00-\x7f]/.test(text)) {
    const ascii = domainToASCII(text);
    if (ascii === '') return { problem: `'${input}' is not a valid internationalised domain name` };
    text = ascii;
  }
  text = text.toLowerCase();
  if (text.length > MAX_NAME_LENGTH) return { problem: `'${input}' is longer than ${MAX_NAME_LENGTH} characters` };
  for (const label of text.split('.')) {
    if (label.length === 0 || label.length > MAX_LABEL_LENGTH || !LABEL.test(label)) {
      return { problem: `'${input}' is not a domain name (${DOMAIN_ALLOWED})` };
    }
  }
  return { name: text };
}

function parseDomain(text: string): DomainEntry | string {
  const wildcard = text.startsWith('*.');
  const normalized = normalizeDomain(wildcard ? text.slice(2) : text);
  if ('problem' in normalized) return normalized.problem;
  return { text, name: normalized.name, wildcard };
}

/** Parses `http://host/path`, `https://host/path` or `host/path`; the port and fragment are dropped. */
function parseUrl(text: string): UrlEntry | string {
  const schemeEnd = text.indexOf('://');
  let rest = text;
  if (schemeEnd >= 0) {
    const scheme = text.slice(0, schemeEnd).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return `'${text}' has scheme '${scheme}' (expected http, https or none)`;
    rest = text.slice(schemeEnd + 3);
  }
  const slash = rest.indexOf('/');
  let authority = slash >= 0 ? rest.slice(0, slash) : rest;
  let path = slash >= 0 ? rest.slice(slash) : '/';
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (authority.includes('@')) return `'${text}' contains user information (expected host and path only)`;
  const port = /:(\d{1,5})$/.exec(authority);
  if (port !== null) authority = authority.slice(0, port.index);
  const host = normalizeDomain(authority);
  if ('problem' in host) return `'${text}' has an invalid host: ${host.problem}`;
  return { text, host: host.name, path };
}

function parseIp(text: string): IpEntry | string {
  const parsed = parsePrefix(text);
  if (!parsed.ok) return parsed.message;
  return { text, prefix: parsed.prefix };
}

/** Parses one entry of `kind`; returns the entry or a problem message. */
export function parseEntry(kind: BlocklistKind, text: string): ListEntry | string {
  if (kind === 'domain') return parseDomain(text);
  if (kind === 'url') return parseUrl(text);
  return parseIp(text);
}

/** Removes a `#` comment that starts the line or follows a space or tab. */
function stripComment(line: string): string {
  if (line.startsWith('#')) return '';
  const match = /[ \t]#/.exec(line);
  return match === null ? line : line.slice(0, match.index);
}

/**
 * Parses the text of a list of `kind` in `format`; `source` names it in
 * problems. Each invalid line is a problem, and the valid lines are
 * still returned.
 */
export function parseBlocklist(text: string, source: string, kind: BlocklistKind, format: BlocklistFormat): ParsedList {
  const entries: ListEntry[] = [];
  const problems: ListProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = stripComment(lines[n] as string).trim();
    if (line === '') continue;
    const fields = line.split(/[ \t]+/);
    let values: string[];
    if (format === 'hosts') {
      if (kind === 'ip') {
        problems.push({ source, line: n + 1, message: 'an ip list cannot be in hosts format (expected format: plain)' });
        continue;
      }
      if (isIP(fields[0] as string) === 0 || fields.length < 2) {
        problems.push({ source, line: n + 1, message: `'${line}' is not a hosts line (expected an address, then one or more names)` });
        continue;
      }
      values = fields.slice(1).filter((name) => !LOCAL_HOST_NAMES.has(name.toLowerCase()));
    } else {
      if (fields.length !== 1) {
        problems.push({ source, line: n + 1, message: `'${line}' has ${fields.length} fields (expected one ${kind} entry a line; a hosts file needs format: hosts)` });
        continue;
      }
      values = fields;
    }
    for (const value of values) {
      const entry = parseEntry(kind, value);
      if (typeof entry === 'string') problems.push({ source, line: n + 1, message: entry });
      else entries.push(entry);
    }
  }
  return { entries, problems };
}
