/**
 * threshold.config: suppress, threshold/event_filter and rate_filter lines,
 * as Suricata's global-thresholds documentation describes them.
 *
 *   suppress gen_id 1, sig_id 2002087, track by_src, ip 209.132.180.67
 *   threshold gen_id 1, sig_id 2002087, type both, track by_src, count 3, seconds 5
 *   rate_filter gen_id 1, sig_id 888, track by_src, count 10, seconds 60, new_action drop, timeout 300
 *
 * gen_id 0 with sig_id 0 names every rule, and sig_id 0 with another gen_id
 * every rule of that generator. A bad line is reported with the file, line
 * and value, and the rest of the file still loads.
 */
import { readFileSync } from 'node:fs';
import { Action } from './signature.js';
import type { ActionId, ThresholdSpec } from './signature.js';

/** A set of IPv4 and IPv6 networks with exclusions (`[10.0.0.0/8,!10.1.0.0/16]`). */
export class IpSet {
  /** Networks as (version, 16 address bytes, prefix length), included then excluded. */
  private readonly include: IpNet[];
  private readonly exclude: IpNet[];

  constructor(include: IpNet[], exclude: IpNet[]) {
    this.include = include;
    this.exclude = exclude;
  }

  /** Tells whether `addr` (4 bytes used for IPv4, 16 for IPv6) is in the set. */
  contains(addr: Uint8Array, ipVersion: number): boolean {
    let inside = false;
    for (const net of this.include) {
      if (netContains(net, addr, ipVersion)) {
        inside = true;
        break;
      }
    }
    if (!inside) return false;
    for (const net of this.exclude) if (netContains(net, addr, ipVersion)) return false;
    return true;
  }
}

interface IpNet {
  version: number;
  bytes: Uint8Array;
  prefix: number;
}

function netContains(net: IpNet, addr: Uint8Array, ipVersion: number): boolean {
  if (net.version !== ipVersion) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((addr[i] as number) & mask) !== ((net.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/** Deepest nesting of address variables and brackets. */
const MAX_ADDRESS_DEPTH = 16;

/**
 * Parses an address as rules and suricata.yaml write it: an address, a
 * CIDR network, `any`, `$VAR` from `addressGroups`, `[a,b,...]` lists, and
 * `!` before any of them. Returns an IpSet or a message saying what is wrong.
 */
export function parseIpSet(text: string, addressGroups: Record<string, string>): IpSet | string {
  const include: IpNet[] = [];
  const exclude: IpNet[] = [];
  const problem = collectNets(text.trim(), addressGroups, false, include, exclude, 0);
  if (problem !== null) return problem;
  if (include.length === 0) {
    // Only exclusions, as in `!$HOME_NET`: everything else is in the set.
    include.push(anyNet(4), anyNet(6));
  }
  return new IpSet(include, exclude);
}

function anyNet(version: number): IpNet {
  return { version, bytes: new Uint8Array(16), prefix: 0 };
}

function collectNets(
  text: string,
  vars: Record<string, string>,
  negated: boolean,
  include: IpNet[],
  exclude: IpNet[],
  depth: number,
): string | null {
  if (depth > MAX_ADDRESS_DEPTH) return `'${text}' nests too deep`;
  if (text.startsWith('!')) return collectNets(text.slice(1).trim(), vars, !negated, include, exclude, depth + 1);
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) return `'${text}' has no closing ]`;
    for (const item of splitTopLevel(text.slice(1, -1))) {
      const problem = collectNets(item.trim(), vars, negated, include, exclude, depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }
  if (text.startsWith('$')) {
    const value = vars[text.slice(1)];
    if (value === undefined) return `'${text}' is not a defined address variable`;
    return collectNets(value.trim(), vars, negated, include, exclude, depth + 1);
  }
  const target = negated ? exclude : include;
  if (text.toLowerCase() === 'any') {
    target.push(anyNet(4), anyNet(6));
    return null;
  }
  const net = parseNet(text);
  if (net === null) return `'${text}' is not an IP address or network`;
  target.push(net);
  return null;
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.filter((s) => s.trim() !== '');
}

function parseNet(text: string): IpNet | null {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const bytes = new Uint8Array(16);
  let version: number;
  if (parseIpv4(addrText, bytes)) version = 4;
  else if (parseIpv6(addrText, bytes)) version = 6;
  else return null;
  const maxPrefix = version === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (/^\d+$/.test(prefixText)) prefix = Number(prefixText);
    else if (version === 4 && parseIpv4(prefixText, new Uint8Array(16))) prefix = netmaskBits(prefixText);
    else return null;
    if (prefix < 0 || prefix > maxPrefix) return null;
  }
  return { version, bytes, prefix };
}

function netmaskBits(mask: string): number {
  const n = mask.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  let bits = 0;
  for (let bit = 31; bit >= 0 && (n & (2 ** bit)) !== 0; bit--) bits++;
  return bits;
}

function parseIpv4(text: string, out: Uint8Array): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return false;
    out[i] = Number(part);
  }
  return true;
}

function parseIpv6(text: string, out: Uint8Array): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  let tail: string[] = [];
  if (halves.length === 2 && halves[1] !== '') tail = (halves[1] as string).split(':');
  const groups: number[] = [];
  const toGroups = (parts: string[]): boolean => {
    for (const part of parts) {
      if (part.includes('.')) {
        const v4 = new Uint8Array(16);
        if (!parseIpv4(part, v4)) return false;
        groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
        groups.push(parseInt(part, 16));
      }
    }
    return true;
  };
  if (!toGroups(head)) return false;
  const headCount = groups.length;
  if (!toGroups(tail)) return false;
  const tailGroups = groups.splice(headCount);
  if (halves.length === 1 && groups.length !== 8) return false;
  if (halves.length === 2 && headCount + tailGroups.length > 7) return false;
  const all = [...groups, ...new Array<number>(8 - groups.length - tailGroups.length).fill(0), ...tailGroups];
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (all[i] as number) >> 8;
    out[i * 2 + 1] = (all[i] as number) & 0xff;
  }
  return true;
}

/** `suppress`: no alert for the rule, or only for the listed addresses. */
export interface SuppressEntry {
  type: 'suppress';
  gid: number;
  sid: number;
  /** null: suppress every alert of the rule. */
  track: 'by_src' | 'by_dst' | 'by_either' | null;
  ips: IpSet | null;
  file: string;
  line: number;
}

/** `threshold` or `event_filter`: replaces the rule's own threshold or detection_filter. */
export interface ThresholdEntry {
  type: 'threshold';
  gid: number;
  sid: number;
  spec: ThresholdSpec;
  file: string;
  line: number;
}

/** `rate_filter`: changes the rule's action while matches come faster than count per seconds. */
export interface RateFilterEntry {
  type: 'rate_filter';
  gid: number;
  sid: number;
  track: ThresholdSpec['track'];
  count: number;
  seconds: number;
  newAction: ActionId;
  /** Seconds the new action stays in force once set. */
  timeout: number;
  file: string;
  line: number;
}

export type ThresholdConfigEntry = SuppressEntry | ThresholdEntry | RateFilterEntry;

export interface ThresholdConfig {
  entries: ThresholdConfigEntry[];
  /** One message per skipped line: `file:line: problem (line skipped)`. */
  errors: string[];
}

const THRESHOLD_TYPES = ['limit', 'threshold', 'both'] as const;
const TRACKS = ['by_src', 'by_dst', 'by_rule', 'by_both', 'by_flow'] as const;
const SUPPRESS_TRACKS = ['by_src', 'by_dst', 'by_either'] as const;
const NEW_ACTIONS: Record<string, ActionId> = {
  alert: Action.ALERT,
  drop: Action.DROP,
  pass: Action.PASS,
  reject: Action.REJECT,
};

/** Largest count and seconds accepted, as Suricata reads them into 32-bit fields. */
const MAX_FIELD = 0xffffffff;

/** Reads the threshold.config file at `path`. */
export function loadThresholdConfig(path: string, addressGroups: Record<string, string>, label = path): ThresholdConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { entries: [], errors: [`${label}: failed to read threshold file (${(err as Error).message})`] };
  }
  return parseThresholdConfig(text, label, addressGroups);
}

/** Parses threshold.config text; `file` names it in messages. */
export function parseThresholdConfig(text: string, file: string, addressGroups: Record<string, string>): ThresholdConfig {
  const entries: ThresholdConfigEntry[] = [];
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let logical = lines[i] as string;
    // A trailing backslash continues the entry on the next line.
    while (logical.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      logical = logical.trimEnd().slice(0, -1) + ' ' + (lines[++i] as string);
    }
    const content = logical.trim();
    if (content === '' || content.startsWith('#')) continue;
    const result = parseEntry(content, file, lineNo, addressGroups);
    if (typeof result === 'string') errors.push(`${file}:${lineNo}: ${result} (line skipped)`);
    else entries.push(result);
  }
  return { entries, errors };
}

function parseEntry(text: string, file: string, line: number, vars: Record<string, string>): ThresholdConfigEntry | string {
  const space = text.search(/\s/);
  const keyword = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : text.slice(space + 1);
  if (keyword !== 'suppress' && keyword !== 'threshold' && keyword !== 'event_filter' && keyword !== 'rate_filter') {
    return `'${keyword}' is not a threshold.config entry (expected suppress, threshold, event_filter or rate_filter)`;
  }
  const options = new Map<string, string>();
  // Commas inside brackets belong to an ip list (`ip [10.0.0.0/8,192.168.0.0/16]`).
  for (const part of splitTopLevel(rest)) {
    const option = part.trim();
    if (option === '') continue;
    const sep = option.search(/\s/);
    if (sep < 0) return `option '${option}' has no value`;
    const name = option.slice(0, sep).toLowerCase();
    if (options.has(name)) return `option '${name}' is given twice`;
    options.set(name, option.slice(sep + 1).trim());
  }

  const gid = wholeNumber(options, 'gen_id');
  if (typeof gid === 'string') return gid;
  const sid = wholeNumber(options, 'sig_id');
  if (typeof sid === 'string') return sid;

  if (keyword === 'suppress') return parseSuppress(options, gid, sid, file, line, vars);
  if (keyword === 'rate_filter') return parseRateFilter(options, gid, sid, file, line);
  return parseThreshold(options, gid, sid, file, line);
}

function wholeNumber(options: Map<string, string>, name: string, min = 0): number | string {
  const text = options.get(name);
  if (text === undefined) return `${name} is missing`;
  if (!/^\d+$/.test(text)) return `${name}: '${text}' is not a whole number`;
  const n = Number(text);
  if (n < min || n > MAX_FIELD) return `${name}: '${text}' is out of range (expected ${min} to ${MAX_FIELD})`;
  return n;
}

function oneOfOption<T extends string>(options: Map<string, string>, name: string, allowed: readonly T[]): T | string {
  const text = options.get(name);
  if (text === undefined) return `${name} is missing`;
  const value = text.toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) return `${name}: '${text}' is not allowed (expected ${allowed.join(', ')})`;
  return value as T;
}

function unknownOption(options: Map<string, string>, allowed: string[]): string | null {
  for (const name of options.keys()) if (!allowed.includes(name)) return `'${name}' is not an option of this entry (expected ${allowed.join(', ')})`;
  return null;
}

function parseSuppress(
  options: Map<string, string>,
  gid: number,
  sid: number,
  file: string,
  line: number,
  vars: Record<string, string>,
): SuppressEntry | string {
  const unknown = unknownOption(options, ['gen_id', 'sig_id', 'track', 'ip']);
  if (unknown !== null) return unknown;
  if (!options.has('track') && !options.has('ip')) return { type: 'suppress', gid, sid, track: null, ips: null, file, line };
  const track = oneOfOption(options, 'track', SUPPRESS_TRACKS);
  if (!SUPPRESS_TRACKS.includes(track as never)) return track;
  const ipText = options.get('ip');
  if (ipText === undefined) return 'ip is missing (a suppress with track needs an ip)';
  const ips = parseIpSet(ipText, vars);
  if (typeof ips === 'string') return `ip: ${ips}`;
  return { type: 'suppress', gid, sid, track: track as SuppressEntry['track'], ips, file, line };
}

function parseThreshold(options: Map<string, string>, gid: number, sid: number, file: string, line: number): ThresholdEntry | string {
  const unknown = unknownOption(options, ['gen_id', 'sig_id', 'type', 'track', 'count', 'seconds']);
  if (unknown !== null) return unknown;
  const kind = oneOfOption(options, 'type', THRESHOLD_TYPES);
  if (!THRESHOLD_TYPES.includes(kind as never)) return kind;
  const track = oneOfOption(options, 'track', TRACKS);
  if (!TRACKS.includes(track as never)) return track;
  const count = wholeNumber(options, 'count', 1);
  if (typeof count === 'string') return count;
  const seconds = wholeNumber(options, 'seconds', 1);
  if (typeof seconds === 'string') return seconds;
  const spec: ThresholdSpec = { kind: kind as ThresholdSpec['kind'], track: track as ThresholdSpec['track'], count, seconds };
  return { type: 'threshold', gid, sid, spec, file, line };
}

function parseRateFilter(options: Map<string, string>, gid: number, sid: number, file: string, line: number): RateFilterEntry | string {
  const unknown = unknownOption(options, ['gen_id', 'sig_id', 'track', 'count', 'seconds', 'new_action', 'timeout']);
  if (unknown !== null) return unknown;
  const track = oneOfOption(options, 'track', TRACKS);
  if (!TRACKS.includes(track as never)) return track;
  const count = wholeNumber(options, 'count', 1);
  if (typeof count === 'string') return count;
  const seconds = wholeNumber(options, 'seconds', 1);
  if (typeof seconds === 'string') return seconds;
  const actionText = options.get('new_action');
  if (actionText === undefined) return 'new_action is missing';
  const newAction = NEW_ACTIONS[actionText.toLowerCase()];
  if (newAction === undefined) {
    if (['sdrop', 'log'].includes(actionText.toLowerCase())) return `new_action: '${actionText}' is not supported (expected alert, drop, pass or reject)`;
    return `new_action: '${actionText}' is not allowed (expected alert, drop, pass or reject)`;
  }
  const timeout = wholeNumber(options, 'timeout', 1);
  if (typeof timeout === 'string') return timeout;
  return { type: 'rate_filter', gid, sid, track: track as ThresholdSpec['track'], count, seconds, newAction, timeout, file, line };
}
