/**
 * Splits rule files into rules and rules into header fields and options,
 * keeping offsets so that every diagnostic can point at its physical line
 * and column.
 *
 * A rule may span several physical lines: a line that ends with a backslash
 * continues on the next one (the backslash itself is dropped). Lines whose
 * first non-blank character is `#` are comments. A comment that reads as a
 * rule (`#alert tcp ...`) is a disabled rule and is counted as one.
 */

/** Rule actions as the header spells them. */
export const RULE_ACTIONS: ReadonlySet<string> = new Set([
  'alert',
  'pass',
  'drop',
  'reject',
  'rejectsrc',
  'rejectdst',
  'rejectboth',
  'config',
]);

/** One rule after line continuations are joined. */
export interface LogicalRule {
  /** The joined text, without the continuation backslashes. */
  text: string;
  /** 1-based number of the first physical line. */
  firstLine: number;
  /** Offsets in `text` where each physical line starts. */
  segmentStarts: number[];
  /** The physical lines as written, for the caret display. */
  physicalLines: string[];
}

/** The rules of one file and the count of disabled (`#alert ...`) rules. */
export interface SplitRules {
  rules: LogicalRule[];
  commented: number;
}

/** A physical position: 1-based line and column, and the line's text. */
export interface PhysicalPosition {
  line: number;
  column: number;
  text: string;
  /** Characters from `column` to the end of the physical line. */
  remaining: number;
}

/** Tells whether a comment line contains a disabled rule (`# alert tcp ...`). */
export function isCommentedRule(line: string): boolean {
  let i = 0;
  while (i < line.length && (line[i] === '#' || line[i] === ' ' || line[i] === '\t')) i++;
  let end = i;
  while (end < line.length && line[end] !== ' ' && line[end] !== '\t') end++;
  if (end === line.length || end === i) return false;
  return RULE_ACTIONS.has(line.slice(i, end)) && line.includes('(') && /\bsid\s*:/.test(line);
}

/** Splits a rules file into logical rules; comments and blank lines are skipped. */
export function splitRuleLines(content: string): SplitRules {
  const lines = content.split('\n');
  const rules: LogicalRule[] = [];
  let commented = 0;

  for (let i = 0; i < lines.length; i++) {
    const first = stripCarriageReturn(lines[i]);
    const trimmed = first.trimStart();
    if (trimmed.length === 0) continue;
    if (trimmed[0] === '#') {
      if (isCommentedRule(trimmed)) commented++;
      continue;
    }

    const rule: LogicalRule = { text: '', firstLine: i + 1, segmentStarts: [], physicalLines: [] };
    let line = first;
    for (;;) {
      rule.physicalLines.push(line);
      rule.segmentStarts.push(rule.text.length);
      const continues = line.trimEnd().endsWith('\\') && i + 1 < lines.length;
      if (!continues) {
        rule.text += line;
        break;
      }
      const body = line.trimEnd();
      rule.text += body.slice(0, body.length - 1);
      i++;
      line = stripCarriageReturn(lines[i]);
    }
    rules.push(rule);
  }
  return { rules, commented };
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, line.length - 1) : line;
}

/** Maps an offset in a logical rule to its physical line and column. */
export function locateOffset(rule: LogicalRule, offset: number): PhysicalPosition {
  let k = rule.segmentStarts.length - 1;
  while (k > 0 && rule.segmentStarts[k] > offset) k--;
  const text = rule.physicalLines[k];
  const column = Math.min(offset - rule.segmentStarts[k], text.length) + 1;
  return { line: rule.firstLine + k, column, text, remaining: Math.max(1, text.length - column + 1) };
}

/** One whitespace-separated header field with its offset in the rule. */
export interface HeaderToken {
  text: string;
  offset: number;
}

/**
 * Splits the header (the text before `(`) into fields. A bracketed list may
 * contain blanks (`[80, 443]`), so blanks inside brackets do not split.
 */
export function splitHeader(text: string, end: number): HeaderToken[] {
  const tokens: HeaderToken[] = [];
  let i = 0;
  while (i < end) {
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    if (i >= end) break;
    const start = i;
    let depth = 0;
    while (i < end) {
      const c = text[i];
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (depth <= 0 && isBlank(text.charCodeAt(i))) break;
      i++;
    }
    tokens.push({ text: text.slice(start, i), offset: start });
  }
  return tokens;
}

/** One `name:value;` or `name;` option with offsets into the rule text. */
export interface RuleOption {
  name: string;
  nameOffset: number;
  /** The value with surrounding blanks removed, escapes kept; null when the option has none. */
  value: string | null;
  valueOffset: number;
}

/** Options of a rule, or the offset and message of the first syntax problem. */
export type SplitOptionsResult =
  | { ok: true; options: RuleOption[] }
  | { ok: false; offset: number; length: number; message: string; options: RuleOption[] };

/**
 * Splits the option part of a rule, starting just after `(`. A value ends
 * at the first `;` not escaped by a backslash, even inside quotes, as
 * Suricata reads it. The rule must end with `)`.
 */
export function splitOptions(text: string, start: number): SplitOptionsResult {
  const options: RuleOption[] = [];
  let i = start;
  for (;;) {
    while (i < text.length && isBlank(text.charCodeAt(i))) i++;
    if (i >= text.length) {
      return { ok: false, offset: text.length - 1, length: 1, message: "missing ')' at the end of the rule", options };
    }
    if (text[i] === ')') {
      let j = i + 1;
      while (j < text.length && isBlank(text.charCodeAt(j))) j++;
      if (j < text.length) {
        return { ok: false, offset: j, length: text.length - j, message: "unexpected text after the closing ')'", options };
      }
      return { ok: true, options };
    }

    const nameOffset = i;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === COLON || c === SEMICOLON || c === CLOSE_PAREN || isBlank(c)) break;
      i++;
    }
    const name = text.slice(nameOffset, i);
    while (i < text.length && isBlank(text.charCodeAt(i))) i++;
    if (name.length === 0) {
      return { ok: false, offset: nameOffset, length: 1, message: `expected an option name, found '${text[nameOffset]}'`, options };
    }
    if (i >= text.length || text[i] === ')') {
      return { ok: false, offset: nameOffset, length: name.length, message: `option '${name}' is not terminated by ';'`, options };
    }
    if (text[i] === ';') {
      options.push({ name, nameOffset, value: null, valueOffset: i });
      i++;
      continue;
    }
    if (text[i] !== ':') {
      return { ok: false, offset: i, length: 1, message: `expected ':' or ';' after option '${name}'`, options };
    }

    i++;
    const valueStart = i;
    let valueEnd = -1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH && i + 1 < text.length) {
        i += 2;
        continue;
      }
      if (c === SEMICOLON) {
        valueEnd = i;
        break;
      }
      i++;
    }
    if (valueEnd < 0) {
      return { ok: false, offset: nameOffset, length: text.length - nameOffset, message: `value of option '${name}' is not terminated by ';'`, options };
    }
    let a = valueStart;
    let b = valueEnd;
    while (a < b && isBlank(text.charCodeAt(a))) a++;
    while (b > a && isBlank(text.charCodeAt(b - 1))) b--;
    options.push({ name, nameOffset, value: text.slice(a, b), valueOffset: a });
    i = valueEnd + 1;
  }
}

const COLON = 0x3a;
const SEMICOLON = 0x3b;
const CLOSE_PAREN = 0x29;
const BACKSLASH = 0x5c;

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * Removes the quotes around a string value and resolves the escapes `\"`,
 * `\;`, `\\` and `\:`. Returns null when the value is not one quoted
 * string. Values written without quotes are returned as they are.
 */
export function unquoteValue(value: string): string | null {
  if (value.length === 0 || value[0] !== '"') {
    return value.includes('"') ? null : value;
  }
  if (value.length < 2 || value[value.length - 1] !== '"' || value[value.length - 2] === '\\' && !endsWithEscapedBackslash(value)) {
    return null;
  }
  // Copies runs between escapes as slices: adding one character at a time
  // would leave each value as a rope of one node per character.
  const end = value.length - 1;
  let out = '';
  let runStart = 1;
  for (let i = 1; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5c && i + 1 < end) {
      out += value.slice(runStart, i);
      runStart = i + 1;
      i++;
      continue;
    }
    if (c === 0x22) return null;
  }
  return runStart === 1 ? value.slice(1, end) : out + value.slice(runStart, end);
}

function endsWithEscapedBackslash(value: string): boolean {
  let count = 0;
  for (let i = value.length - 2; i >= 1 && value[i] === '\\'; i--) count++;
  return count % 2 === 0;
}
