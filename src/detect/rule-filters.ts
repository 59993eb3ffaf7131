/**
 * The rule filters of the config's `policy` section: `disable`, `enable`,
 * `drop` and `modify` lists, read and applied as suricata-update applies
 * disable.conf, enable.conf, drop.conf and modify.conf. For each rule the
 * disable matchers run first, then the enable matchers (so a rule that both
 * select ends enabled), then the drop matchers. The modify entries run
 * last, each over every rule, in the order listed. A rule whose text
 * changes is read again, so later matchers see the new text.
 */
import { createHash } from 'node:crypto';
import { compileTextRegex, describeRule, matchesRule, parseRuleMatcher, ruleKey, type FilterableRule, type RuleMatcher, type TextRegex } from './rule-matchers.js';

/** The four filter lists as the config stores them. */
export interface RuleFilterLists {
  disable: readonly string[];
  enable: readonly string[];
  drop: readonly string[];
  modify: readonly string[];
}

/** One modify entry: rules that `matcher` selects get `from` replaced by `to`. */
export interface ModifyFilter {
  /** Config key path of the entry, such as `policy.modify[2]`. */
  key: string;
  matcher: RuleMatcher;
  from: TextRegex;
  to: ReplacementPart[];
}

/** A literal piece of a replacement, or a capture group by number or name. */
export type ReplacementPart = string | number | { name: string };

/** Compiled filters, ready to apply. */
export interface RuleFilters {
  disable: RuleMatcher[];
  enable: RuleMatcher[];
  drop: RuleMatcher[];
  modify: ModifyFilter[];
  /** Digest of the entries, written into a merged ruleset so that a load does not apply them twice. */
  fingerprint: string;
  isEmpty: boolean;
}

/** Counts of one application, each with the keys (`gid:sid`) of the rules concerned. */
export interface FilterOutcome {
  disabled: string[];
  enabled: string[];
  dropped: string[];
  modified: string[];
  /** Modifications that were not applied, one line each, naming the entry and the rule. */
  problems: string[];
}

/**
 * Compiles the filter lists. `prefix` is the config path of the lists
 * (`policy`); each problem names the entry as `policy.modify[2]`.
 */
export function compileRuleFilters(lists: RuleFilterLists, prefix = 'policy'): { filters: RuleFilters; problems: string[] } {
  const problems: string[] = [];
  const matchers = (kind: 'disable' | 'enable' | 'drop'): RuleMatcher[] => {
    const out: RuleMatcher[] = [];
    lists[kind].forEach((entry, i) => {
      const matcher = parseRuleMatcher(entry);
      if (typeof matcher === 'string') problems.push(`${prefix}.${kind}[${i}]: ${matcher}`);
      else out.push(matcher);
    });
    return out;
  };
  const disable = matchers('disable');
  const enable = matchers('enable');
  const drop = matchers('drop');
  const modify: ModifyFilter[] = [];
  lists.modify.forEach((entry, i) => {
    const key = `${prefix}.modify[${i}]`;
    const filter = parseModifyEntry(entry, key);
    if (typeof filter === 'string') problems.push(`${key}: ${filter}`);
    else modify.push(filter);
  });

  const fingerprint = fingerprintOf(lists);
  const isEmpty = disable.length + enable.length + drop.length + modify.length === 0;
  return { filters: { disable, enable, drop, modify, fingerprint, isEmpty }, problems };
}

function fingerprintOf(lists: RuleFilterLists): string {
  return createHash('sha256').update(JSON.stringify([lists.disable, lists.enable, lists.drop, lists.modify])).digest('hex').slice(0, 16);
}

/** Fingerprint of four empty lists: a ruleset written with it was not filtered. */
const UNFILTERED_FINGERPRINT = fingerprintOf({ disable: [], enable: [], drop: [], modify: [] });

/** Returns the problem of one entry of `policy.<kind>`, or null when it is valid. */
export function ruleFilterProblem(kind: 'disable' | 'enable' | 'drop' | 'modify', entry: string): string | null {
  const parsed = kind === 'modify' ? parseModifyEntry(entry, '') : parseRuleMatcher(entry);
  return typeof parsed === 'string' ? parsed : null;
}

const MODIFY_FORM = 'expected MATCHER "FROM-REGEX" "TO", such as 2019401 "seconds \\d+" "seconds 3600"';

/**
 * Parses a modify entry `<matcher> "<from>" "<to>"`. The matcher is the
 * text before the last two quoted strings. Inside double quotes `\"` and
 * `\\` are escapes and any other backslash stays, as suricata-update reads
 * them with shell rules. Single quotes take the text as it is.
 */
export function parseModifyEntry(entry: string, key: string): ModifyFilter | string {
  const tokens = splitQuotedTokens(entry);
  if (typeof tokens === 'string') return `'${entry}': ${tokens} (${MODIFY_FORM})`;
  const n = tokens.length;
  if (n < 3 || !tokens[n - 1].isQuoted || !tokens[n - 2].isQuoted) return `'${entry}' is not a modify entry (${MODIFY_FORM})`;

  const matcher = parseRuleMatcher(entry.slice(0, tokens[n - 2].start));
  if (typeof matcher === 'string') return matcher;
  const from = compileTextRegex(tokens[n - 2].text, 'g');
  if (typeof from === 'string') return `'${tokens[n - 2].text}': invalid regular expression (${from})`;
  const to = parseReplacement(tokens[n - 1].text, groupCount(from));
  if (typeof to === 'string') return `'${tokens[n - 1].text}': ${to}`;
  return { key, matcher, from, to };
}

interface Token {
  text: string;
  start: number;
  isQuoted: boolean;
}

function splitQuotedTokens(entry: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < entry.length) {
    if (/\s/.test(entry[i])) {
      i++;
      continue;
    }
    const start = i;
    const quote = entry[i];
    if (quote !== '"' && quote !== "'") {
      while (i < entry.length && !/\s/.test(entry[i])) i++;
      tokens.push({ text: entry.slice(start, i), start, isQuoted: false });
      continue;
    }
    let text = '';
    i++;
    while (i < entry.length && entry[i] !== quote) {
      if (quote === '"' && entry[i] === '\\' && (entry[i + 1] === '"' || entry[i + 1] === '\\')) i++;
      text += entry[i];
      i++;
    }
    if (i >= entry.length) return `unterminated ${quote} quote at column ${start + 1}`;
    i++;
    tokens.push({ text, start, isQuoted: true });
  }
  return tokens;
}

/** Returns the number of capture groups of `regex`. */
function groupCount(regex: TextRegex): number {
  const probe = compileTextRegex(`${regex.source}|`, '');
  if (typeof probe === 'string') return 0;
  return (probe.exec('')?.length ?? 1) - 1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\' };

/**
 * Parses a replacement as Python's re.sub reads it: `\1` to `\99` and
 * `\g<1>` or `\g<name>` insert a group, `\n` and the other letter escapes
 * insert their character, and Oinkmaster's `${1}` is read as `\1`.
 */
export function parseReplacement(to: string, groups: number): ReplacementPart[] | string {
  const parts: ReplacementPart[] = [];
  let literal = '';
  const pushGroup = (group: number | { name: string }): string | null => {
    if (typeof group === 'number' && group > groups) return `group ${group} does not exist: the pattern has ${groups} group${groups === 1 ? '' : 's'}`;
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(group);
    return null;
  };

  for (let i = 0; i < to.length; i++) {
    const oink = /^\$\{(\d+)\}/.exec(to.slice(i));
    if (oink !== null) {
      const problem = pushGroup(Number(oink[1]));
      if (problem !== null) return problem;
      i += oink[0].length - 1;
      continue;
    }
    if (to[i] !== '\\' || i + 1 >= to.length) {
      literal += to[i];
      continue;
    }
    const rest = to.slice(i + 1);
    const number = /^\d{1,2}/.exec(rest);
    const named = /^g<([^>]*)>/.exec(rest);
    let problem: string | null = null;
    if (number !== null) {
      problem = pushGroup(Number(number[0]));
      i += number[0].length;
    } else if (named !== null) {
      problem = pushGroup(/^\d+$/.test(named[1]) ? Number(named[1]) : { name: named[1] });
      i += named[0].length;
    } else if (ESCAPES[rest[0]] !== undefined) {
      literal += ESCAPES[rest[0]];
      i++;
    } else if (/[A-Za-z]/.test(rest[0])) {
      return `bad escape '\\${rest[0]}' in the replacement (allowed: \\1 to \\99, \\g<name>, \${1}, \\n, \\t, \\\\)`;
    } else {
      literal += '\\';
    }
    if (problem !== null) return problem;
  }
  if (literal !== '' || parts.length === 0) parts.push(literal);
  return parts;
}

/** Replaces every match of `filter.from` in `text`. */
export function applyModify(filter: ModifyFilter, text: string): string {
  filter.from.lastIndex = 0;
  return text.replace(filter.from, (...args: unknown[]) => {
    let end = args.length;
    const last = args[end - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : null;
    if (named !== null) end--;
    // The arguments are the match, the groups, the offset and the whole text.
    const groups = args.slice(0, end - 2) as Array<string | undefined>;
    let out = '';
    for (const part of filter.to) {
      if (typeof part === 'string') out += part;
      else if (typeof part === 'number') out += groups[part] ?? '';
      else out += named?.[part.name] ?? '';
    }
    return out;
  });
}

/**
 * Applies `filters` to `rules` in suricata-update's order and replaces the
 * entries that change. A modification whose result has no option list or
 * no sid is not applied and is reported in `problems`.
 */
export function applyRuleFilters(rules: FilterableRule[], filters: RuleFilters): FilterOutcome {
  const outcome: FilterOutcome = { disabled: [], enabled: [], dropped: [], modified: [], problems: [] };
  if (filters.isEmpty) return outcome;

  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    for (const matcher of filters.disable) {
      if (rule.isEnabled && matchesRule(matcher, rule)) {
        rule.isEnabled = false;
        outcome.disabled.push(ruleKey(rule));
      }
    }
    for (const matcher of filters.enable) {
      if (!rule.isEnabled && matchesRule(matcher, rule)) {
        rule.isEnabled = true;
        outcome.enabled.push(ruleKey(rule));
      }
    }
    for (const matcher of filters.drop) {
      if (rule.isNoalert || !matchesRule(matcher, rule)) continue;
      const text = rules[i].text.replace(/^\w+/, 'drop');
      if (text === rules[i].text) continue;
      rules[i] = describeRule(text, rule.isEnabled, rule.group);
      outcome.dropped.push(ruleKey(rule));
      break;
    }
  }

  const modified = new Set<string>();
  for (const filter of filters.modify) {
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!matchesRule(filter.matcher, rule)) continue;
      const text = applyModify(filter, rule.text);
      if (text === rule.text) continue;
      const changed = describeRule(text, rule.isEnabled, rule.group);
      if (changed.sid < 0) {
        outcome.problems.push(`${filter.key}: rule ${ruleKey(rule)} would become invalid (${changed.problem ?? 'no sid'}); the rule is kept unchanged`);
        continue;
      }
      rules[i] = changed;
      modified.add(ruleKey(changed));
    }
  }
  outcome.modified = [...modified];
  return outcome;
}

/** Physical lines of a rule file, with the rules found in them. */
export interface RuleFileScan {
  lines: string[];
  /** The rules, in file order, with the 0-based index of their first line and their count of lines. */
  entries: Array<{ rule: FilterableRule; firstLine: number; lineCount: number }>;
  /** The filter fingerprint that a merged ruleset was written with, or null. */
  fingerprint: string | null;
}

/** Header line of a merged ruleset that records the filters already applied. */
export const FINGERPRINT_PREFIX = '# kapu-filters: ';

/** Line of a merged ruleset that names the rule file the rules below it came from. */
export const GROUP_PREFIX = '# kapu-group: ';

/**
 * Finds the rules in a rule file's text: enabled rules (joined across
 * backslash continuations) and disabled ones (`# alert ...`). `group` is
 * the file name; a `# kapu-group: NAME` line sets it for the rules below.
 */
export function scanRuleFile(content: string, group: string): RuleFileScan {
  const lines = content.split('\n');
  const scan: RuleFileScan = { lines, entries: [], fingerprint: null };
  let current = group;
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed === '') continue;
    if (trimmed[0] === '#') {
      if (trimmed.startsWith(GROUP_PREFIX.trim())) current = trimmed.slice(GROUP_PREFIX.trim().length).trim();
      else if (trimmed.startsWith(FINGERPRINT_PREFIX.trim())) scan.fingerprint = trimmed.slice(FINGERPRINT_PREFIX.trim().length).trim();
      else if (isDisabledRule(trimmed)) scan.entries.push({ rule: describeRule(trimmed.replace(/^[#\s]+/, ''), false, current), firstLine: i, lineCount: 1 });
      continue;
    }
    const firstLine = i;
    let text = '';
    let line = lines[i].replace(/\r$/, '');
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      const body = line.trimEnd();
      text += body.slice(0, -1);
      i++;
      line = lines[i].replace(/\r$/, '');
    }
    text += line;
    scan.entries.push({ rule: describeRule(text.trim(), true, current), firstLine, lineCount: i - firstLine + 1 });
  }
  return scan;
}

const ACTION_WORDS = /^#[#\s]*(alert|pass|drop|reject|rejectsrc|rejectdst|rejectboth|config)\s.*\(.*\bsid\s*:/;

function isDisabledRule(line: string): boolean {
  return ACTION_WORDS.test(line);
}

/** Writes a rule as its line: the text, or `# ` and the text when disabled. */
export function renderRule(rule: FilterableRule): string {
  return rule.isEnabled ? rule.text : `# ${rule.text}`;
}

/**
 * Applies `filters` to the text of one rule file as kapu loads it. Every
 * rule keeps its line: a changed rule is written on its first line and the
 * rest of its continuation lines become empty, so diagnostics keep their
 * line numbers. A merged ruleset that records these same filters is
 * returned as it is. One that records other filters is filtered again, and
 * `warnings` gets a line.
 */
export function filterRuleFileText(content: string, file: string, filters: RuleFilters, warnings: string[]): string {
  const scan = scanRuleFile(content, basenameOf(file));
  if (scan.fingerprint === filters.fingerprint) return content;
  if (scan.fingerprint !== null && scan.fingerprint !== UNFILTERED_FINGERPRINT) {
    warnings.push(`${file} was written by kapu rules update with other policy filters; they are applied again on load, so a modify entry can apply twice: run kapu rules update`);
  }

  const rules = scan.entries.map((entry) => entry.rule);
  const before = rules.map(renderRule);
  const outcome = applyRuleFilters(rules, filters);
  for (const problem of outcome.problems) warnings.push(`${file}: ${problem}`);
  let isChanged = false;
  rules.forEach((rule, i) => {
    const line = renderRule(rule);
    if (line === before[i]) return;
    const entry = scan.entries[i];
    scan.lines[entry.firstLine] = line;
    for (let j = 1; j < entry.lineCount; j++) scan.lines[entry.firstLine + j] = '';
    isChanged = true;
  });
  return isChanged ? scan.lines.join('\n') : content;
}

function basenameOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
