/**
 * The exceptions and rate filters of the config's `policy` section:
 * `policy.suppress` and `policy.rate-filter`, the kapu.yaml form of
 * threshold.config's `suppress` and `rate_filter` lines. They compile into
 * the same entries as threshold.config, so one ThresholdEngine applies
 * both. Each entry keeps its key path (`policy.suppress[1]`) as its file
 * name, so alerts and `kapu explain` can name it.
 *
 *   policy:
 *     suppress:
 *       - { sid: 2019401 }
 *       - { gid: 1, sid: 2013028, track: by_src, ip: [198.51.100.7, 203.0.113.0/24] }
 *     rate-filter:
 *       - { sid: 2019401, track: by_src, count: 10, seconds: 60, new-action: drop, timeout: 5m }
 */
import { parseDurationSeconds } from '../config/values.js';
import { Action, type ActionId } from '../detect/signature.js';
import { parseIpSet, type RateFilterEntry, type SuppressEntry, type ThresholdConfigEntry } from '../detect/threshold-config.js';

/** One problem of an entry, at its full key path (`policy.suppress[1].ip`). */
export interface PolicyExceptionProblem {
  list: 'suppress' | 'rate-filter';
  index: number;
  /** Key of the entry that is wrong, or null when the entry as a whole is. */
  key: string | null;
  path: string;
  message: string;
}

/** The compiled entries, in list order: suppress entries first, then rate filters. */
export interface PolicyExceptions {
  entries: ThresholdConfigEntry[];
  problems: PolicyExceptionProblem[];
}

const SUPPRESS_KEYS = ['sid', 'gid', 'track', 'ip'];
const RATE_FILTER_KEYS = ['sid', 'gid', 'track', 'count', 'seconds', 'new-action', 'timeout'];
const SUPPRESS_TRACKS = ['by_src', 'by_dst', 'by_either'] as const;
const RATE_TRACKS = ['by_src', 'by_dst', 'by_rule', 'by_both', 'by_flow'] as const;
const NEW_ACTIONS: Record<string, ActionId> = { alert: Action.ALERT, drop: Action.DROP, reject: Action.REJECT, pass: Action.PASS };

/** Largest sid, gid and count: threshold.config reads them into 32-bit fields. */
const MAX_FIELD = 0xffffffff;

/** Returns the key path of entry `index` of `list`, with `key` when given. */
export function policyEntryPath(list: 'suppress' | 'rate-filter', index: number, key: string | null = null): string {
  return `policy.${list}[${index}]` + (key === null ? '' : `.${key}`);
}

/**
 * Compiles `policy.suppress` and `policy.rate-filter` (the raw maps that
 * the config reader keeps). `addressGroups` resolves `$VAR` in `ip`.
 * Entries with a problem are left out.
 */
export function compilePolicyExceptions(
  suppress: readonly unknown[],
  rateFilter: readonly unknown[],
  addressGroups: Record<string, string>,
): PolicyExceptions {
  const out: PolicyExceptions = { entries: [], problems: [] };
  suppress.forEach((item, i) => {
    const entry = new EntryReader(out.problems, 'suppress', i, item, SUPPRESS_KEYS).readSuppress(addressGroups);
    if (entry !== null) out.entries.push(entry);
  });
  rateFilter.forEach((item, i) => {
    const entry = new EntryReader(out.problems, 'rate-filter', i, item, RATE_FILTER_KEYS).readRateFilter();
    if (entry !== null) out.entries.push(entry);
  });
  return out;
}

/** Reads the keys of one entry and records each problem with its key path. */
class EntryReader {
  private readonly fields: Record<string, unknown>;
  private isValid: boolean;

  constructor(
    private readonly problems: PolicyExceptionProblem[],
    private readonly list: 'suppress' | 'rate-filter',
    private readonly index: number,
    item: unknown,
    allowed: readonly string[],
  ) {
    this.isValid = true;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      this.fields = {};
      this.fail(null, `expected a map with ${allowed.join(', ')}`);
      return;
    }
    this.fields = item as Record<string, unknown>;
    for (const key of Object.keys(this.fields)) {
      if (!allowed.includes(key)) this.fail(key, `unknown key (expected ${allowed.join(', ')})`);
    }
  }

  readSuppress(addressGroups: Record<string, string>): SuppressEntry | null {
    const sid = this.wholeNumber('sid', 0, true);
    const gid = this.wholeNumber('gid', 0, false) ?? 1;
    const track = this.oneOf('track', SUPPRESS_TRACKS);
    const ipValue = this.fields['ip'];
    let ips = null;
    if (ipValue !== undefined && ipValue !== null) {
      const text = Array.isArray(ipValue) ? `[${ipValue.map(String).join(',')}]` : String(ipValue);
      const parsed = parseIpSet(text, addressGroups);
      if (typeof parsed === 'string') this.fail('ip', parsed);
      else ips = parsed;
      if (track === null && this.fields['track'] === undefined) this.fail('track', 'missing (an entry with ip needs track by_src, by_dst or by_either)');
    } else if (track !== null) {
      this.fail('ip', `missing (track ${track} needs the addresses to suppress)`);
    }
    if (!this.isValid || sid === null) return null;
    return { type: 'suppress', gid, sid, track, ips, file: policyEntryPath(this.list, this.index), line: 0 };
  }

  readRateFilter(): RateFilterEntry | null {
    const sid = this.wholeNumber('sid', 0, true);
    const gid = this.wholeNumber('gid', 0, false) ?? 1;
    const track = this.oneOf('track', RATE_TRACKS) ?? 'by_rule';
    const count = this.wholeNumber('count', 1, true);
    const seconds = this.duration('seconds', true);
    const timeout = this.duration('timeout', true);
    const actionText = this.fields['new-action'];
    let newAction: ActionId | null = null;
    if (actionText === undefined || actionText === null) {
      this.fail('new-action', 'missing (expected drop, reject, pass or alert)');
    } else {
      newAction = NEW_ACTIONS[String(actionText).toLowerCase()] ?? null;
      if (newAction === null) this.fail('new-action', `'${String(actionText)}' is not an action (expected drop, reject, pass or alert)`);
    }
    if (!this.isValid || sid === null || count === null || seconds === null || timeout === null || newAction === null) return null;
    return { type: 'rate_filter', gid, sid, track, count, seconds, newAction, timeout, file: policyEntryPath(this.list, this.index), line: 0 };
  }

  private wholeNumber(key: string, min: number, isRequired: boolean): number | null {
    const value = this.fields[key];
    if (value === undefined || value === null) {
      if (isRequired) this.fail(key, 'missing (this key is required)');
      return null;
    }
    const text = String(value).trim();
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > MAX_FIELD) {
      this.fail(key, `'${text}' is not a whole number from ${min} to ${MAX_FIELD}`);
      return null;
    }
    return Number(text);
  }

  /** Reads seconds: a whole number, or a duration such as `5m` or `1h`, at least 1. */
  private duration(key: string, isRequired: boolean): number | null {
    const value = this.fields[key];
    if (value === undefined || value === null) {
      if (isRequired) this.fail(key, 'missing (this key is required)');
      return null;
    }
    const seconds = parseDurationSeconds(String(value));
    if (seconds === null || seconds < 1 || !Number.isInteger(seconds)) {
      this.fail(key, `'${String(value)}' is not a duration of at least 1 second (expected seconds, or a number with s, m, h or d)`);
      return null;
    }
    return seconds;
  }

  private oneOf<T extends string>(key: string, allowed: readonly T[]): T | null {
    const value = this.fields[key];
    if (value === undefined || value === null) return null;
    const text = String(value).toLowerCase();
    if ((allowed as readonly string[]).includes(text)) return text as T;
    this.fail(key, `'${String(value)}' is not allowed (expected ${allowed.join(', ')})`);
    return null;
  }

  private fail(key: string | null, message: string): void {
    this.isValid = false;
    this.problems.push({ list: this.list, index: this.index, key, path: policyEntryPath(this.list, this.index, key), message });
  }
}
