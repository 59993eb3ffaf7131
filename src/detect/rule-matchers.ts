/**
 * Rule matchers of the `policy` filters (disable, enable, drop, modify),
 * written as suricata-update's disable.conf and enable.conf lines:
 *
 *   2019401, 1:2019401, 1:3321408:2   gid:sid[:rev], lists joined by commas
 *   2000000-2000100, 1:2000000-2000100 an inclusive sid range
 *   group:emerging-icmp.rules          the rule file's name, with * ? [] globs,
 *                                      also matched without its extension
 *   re:heartbleed                      a regular expression over the rule text,
 *                                      case-insensitive
 *   classtype:trojan-activity          the rule's classtype
 *   metadata: signature_severity Major a metadata key and value, case-insensitive
 *   *                                  every rule
 *
 * A name ending in `.rules` without a prefix is a group, as suricata-update
 * reads it.
 */
import RE2 from 're2';
import { splitOptions } from './rule-lexer.js';

/** The fields of one rule that filters match on. */
export interface FilterableRule {
  /** The rule text, without the `#` of a disabled rule. */
  text: string;
  /** False for a rule that is commented out (`# alert ...`). */
  isEnabled: boolean;
  /** Name of the file the rule came from (`emerging-icmp.rules`). */
  group: string;
  /** Generator id; 1 when the rule sets none. */
  gid: number;
  /** Signature id; -1 when the rule has none. */
  sid: number;
  /** Revision; 0 when the rule sets none. */
  rev: number;
  classtype: string | null;
  /** Metadata entries as `key value`, lower case, one blank between key and value. */
  metadata: string[];
  /** True when the rule never alerts (`noalert` or `flowbits:noalert`); drop filters skip it. */
  isNoalert: boolean;
  /** Reason the option list cannot be read, or null when it can. */
  problem: string | null;
}

/** Reads the fields that filters match on from a rule's text. */
export function describeRule(text: string, isEnabled: boolean, group: string): FilterableRule {
  const rule: FilterableRule = { text, isEnabled, group, gid: 1, sid: -1, rev: 0, classtype: null, metadata: [], isNoalert: false, problem: null };
  const open = text.indexOf('(');
  if (open < 0) {
    rule.problem = "no option list: missing '('";
    return rule;
  }
  const split = splitOptions(text, open + 1);
  if (!split.ok) rule.problem = split.message;
  for (const option of split.options) {
    const value = option.value ?? '';
    switch (option.name) {
      case 'sid':
        rule.sid = wholeNumber(value);
        break;
      case 'gid':
        rule.gid = wholeNumber(value);
        break;
      case 'rev':
        rule.rev = Math.max(0, wholeNumber(value));
        break;
      case 'classtype':
        rule.classtype = value.toLowerCase();
        break;
      case 'metadata':
        for (const entry of value.split(',')) {
          const words = entry.trim().toLowerCase().split(/\s+/);
          if (words[0] !== '') rule.metadata.push(words.join(' '));
        }
        break;
      case 'noalert':
        rule.isNoalert = true;
        break;
      case 'flowbits':
        if (value.trim() === 'noalert') rule.isNoalert = true;
        break;
    }
  }
  if (rule.sid < 0 && rule.problem === null) rule.problem = 'no sid';
  return rule;
}

function wholeNumber(value: string): number {
  return /^\s*\d+\s*$/.test(value) ? Number(value) : -1;
}

/** Returns `gid:sid` of a rule, the key that duplicates and reports use. */
export function ruleKey(rule: FilterableRule): string {
  return `${rule.gid}:${rule.sid}`;
}

/** A regular expression over rule text: RE2 when it can run the pattern, else JavaScript's engine. */
export type TextRegex = RegExp;

/**
 * Compiles `pattern` (Python's `re` syntax, which suricata-update uses)
 * with `flags`. RE2 runs every pattern it can express, in linear time;
 * backreferences and lookaround fall back to JavaScript's RegExp. Returns
 * a string with the reason when neither engine accepts the pattern.
 */
export function compileTextRegex(pattern: string, flags: string): TextRegex | string {
  try {
    return new RE2(pattern, flags) as TextRegex;
  } catch {
    // Fall through to the backtracking engine.
  }
  // Python spells a named group (?P<name>...), JavaScript (?<name>...).
  const source = pattern.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(source, flags);
  } catch (err) {
    // V8 writes "Invalid regular expression: /SOURCE/FLAGS: reason".
    const message = err instanceof Error ? err.message : String(err);
    const at = message.lastIndexOf(': ');
    return at >= 0 ? message.slice(at + 2) : message;
  }
}

/** One matcher of a filter entry. */
export type RuleMatcher =
  | { kind: 'all' }
  | { kind: 'ids'; ids: Array<{ gid: number; low: number; high: number; rev: number | null }> }
  | { kind: 'group'; pattern: RegExp }
  | { kind: 're'; regex: TextRegex }
  | { kind: 'classtype'; name: string }
  | { kind: 'metadata'; key: string; value: string };

/** The forms a matcher can take, for error messages. */
export const MATCHER_FORMS =
  'a sid (2019401 or 1:2019401), a sid range (2000000-2000100), group:FILE, re:REGEX, classtype:NAME, metadata: KEY VALUE or *';

/** Parses one matcher; returns the reason as a string when `text` is not one. */
export function parseRuleMatcher(text: string): RuleMatcher | string {
  const entry = text.trim();
  if (entry === '') return `empty matcher (expected ${MATCHER_FORMS})`;
  if (entry === '*') return { kind: 'all' };

  const prefix = /^(re|group|classtype|metadata):/.exec(entry);
  if (prefix !== null) {
    const rest = entry.slice(prefix[0].length).trim();
    if (rest === '') return `'${entry}' has nothing after '${prefix[0]}' (expected ${MATCHER_FORMS})`;
    switch (prefix[1]) {
      case 're': {
        const regex = compileTextRegex(rest, 'i');
        return typeof regex === 'string' ? `'${entry}': invalid regular expression (${regex})` : { kind: 're', regex };
      }
      case 'group':
        return { kind: 'group', pattern: globToRegExp(rest) };
      case 'classtype':
        return { kind: 'classtype', name: rest.toLowerCase() };
      default: {
        const words = rest.toLowerCase().split(/\s+/);
        if (words.length < 2) return `'${entry}' has a key but no value (expected metadata: KEY VALUE, such as metadata: signature_severity Major)`;
        return { kind: 'metadata', key: words[0], value: words.slice(1).join(' ') };
      }
    }
  }
  if (/^\S+\.rules$/.test(entry)) return { kind: 'group', pattern: globToRegExp(entry) };

  const ids: Array<{ gid: number; low: number; high: number; rev: number | null }> = [];
  for (const part of entry.split(',')) {
    const m = /^\s*(?:(\d+):)?(\d+)(?:-(\d+)|:(\d+))?\s*$/.exec(part);
    if (m === null || (m[4] !== undefined && m[1] === undefined)) return `'${entry}' is not a rule matcher (expected ${MATCHER_FORMS})`;
    const low = Number(m[2]);
    const high = m[3] === undefined ? low : Number(m[3]);
    if (high < low) return `'${entry}': sid range ${low}-${high} ends before it starts`;
    ids.push({ gid: m[1] === undefined ? 1 : Number(m[1]), low, high, rev: m[4] === undefined ? null : Number(m[4]) });
  }
  return { kind: 'ids', ids };
}

/** Tells whether `matcher` selects `rule`. */
export function matchesRule(matcher: RuleMatcher, rule: FilterableRule): boolean {
  switch (matcher.kind) {
    case 'all':
      return true;
    case 'ids':
      for (const id of matcher.ids) {
        if (id.gid === rule.gid && rule.sid >= id.low && rule.sid <= id.high && (id.rev === null || id.rev === rule.rev)) return true;
      }
      return false;
    case 'group': {
      if (matcher.pattern.test(rule.group)) return true;
      const dot = rule.group.lastIndexOf('.');
      return dot > 0 && matcher.pattern.test(rule.group.slice(0, dot));
    }
    case 're':
      return matcher.regex.test(rule.text);
    case 'classtype':
      return rule.classtype === matcher.name;
    case 'metadata':
      return rule.metadata.includes(`${matcher.key} ${matcher.value}`);
  }
}

/**
 * Converts a file name glob (`*`, `?`, `[abc]`, `[!abc]`) to an anchored
 * RegExp, as Python's fnmatch reads it on Linux (case-sensitive).
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let set = glob.slice(i + 1, close);
      if (set[0] === '!') set = '^' + set.slice(1);
      source += `[${set.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else source += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
