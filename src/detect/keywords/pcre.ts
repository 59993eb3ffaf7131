/**
 * `pcre:[!]"/<regex>/<flags>"` on RE2, a linear-time engine, so a payload
 * cannot make a pattern run for long. RE2 cannot express backreferences,
 * lookaround, possessive quantifiers or atomic groups: such a pattern is
 * reported when the rule loads, with RE2's reason, and the rule is skipped.
 *
 * Bytes reach RE2 as Latin-1 text (one character per byte) in patterns and
 * payloads alike, so `\xff` and `[\x80-\xff]` match single bytes and match
 * offsets are byte offsets. Suricata: rules/pcre.html.
 */
import { Buffer } from 'node:buffer';
import RE2 from 're2';
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, type PayloadMatch } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import { HttpBuffer } from '../../app/http/detect.js';
import { copyCaptures, namedCaptures, parseCaptureList, PcreCaptureStore, type PcreCapture } from './pcre-capture.js';

/** HTTP buffers that Suricata's pcre modifiers select (/U is http.uri, /H http.header, ...). */
const HTTP_BUFFER_FLAGS: ReadonlyMap<string, string> = new Map([
  ['U', HttpBuffer.URI],
  ['I', HttpBuffer.URI_RAW],
  ['P', HttpBuffer.REQUEST_BODY],
  ['Q', HttpBuffer.RESPONSE_BODY],
  ['H', HttpBuffer.HEADER],
  ['D', HttpBuffer.HEADER_RAW],
  ['M', HttpBuffer.METHOD],
  ['C', HttpBuffer.COOKIE],
  ['S', HttpBuffer.STAT_CODE],
  ['Y', HttpBuffer.STAT_MSG],
  ['V', HttpBuffer.USER_AGENT],
  ['W', HttpBuffer.HOST],
  ['Z', HttpBuffer.HOST_RAW],
]);

export class PcreMatch implements PayloadMatch {
  readonly keyword = 'pcre';
  readonly kind = MatchKind.PCRE;
  readonly regex: RE2;
  readonly isNegated: boolean;
  readonly isRelative: boolean;
  /** Pattern and flags as written, for reports. */
  readonly source: string;
  /** Set when the chain is prepared: a later relative keyword depends on this match. */
  canRetry: boolean;
  /** Groups stored in variables (see pcre-capture.ts), or null. */
  captures: readonly PcreCapture[] | null;
  /** Values of `captures` from the last successful match. */
  readonly captureValues: (string | null)[];

  constructor(regex: RE2, isNegated: boolean, isRelative: boolean, source: string) {
    this.regex = regex;
    this.isNegated = isNegated;
    this.isRelative = isRelative;
    this.source = source;
    this.canRetry = false;
    this.captures = null;
    this.captureValues = [];
  }
}

/** Scratch result of execPcre: match start and end, relative to the buffer. */
export const pcreMatchRange = { start: 0, end: 0 };

/**
 * Runs the regex on `text` (the buffer as Latin-1) with the subject starting
 * at `subjectStart` (so `^` anchors there, as for a relative pcre) and the
 * search starting at `searchFrom`. Fills pcreMatchRange on a match.
 */
export function execPcre(m: PcreMatch, text: string, subjectStart: number, searchFrom: number): boolean {
  const subject = subjectStart === 0 ? text : text.substring(subjectStart);
  const re = m.regex;
  re.lastIndex = searchFrom - subjectStart;
  const found = re.exec(subject);
  if (found === null) return false;
  pcreMatchRange.start = subjectStart + found.index;
  pcreMatchRange.end = pcreMatchRange.start + found[0].length;
  if (m.captures !== null) copyCaptures(m.captures, found, m.captureValues);
  return true;
}

/** The parts of a pcre value, or a problem with its position. */
type PcreParse =
  | { ok: true; isNegated: boolean; pattern: string; flags: string }
  | { ok: false; message: string };

/** Splits `[!]"/regex/flags"` (quotes optional) into its parts. */
export function parsePcreValue(value: string): PcreParse {
  let text = value.trim();
  let isNegated = false;
  if (text.startsWith('!')) {
    isNegated = true;
    text = text.slice(1).trimStart();
  }
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) return { ok: false, message: `'${value}' is missing its closing quote` };
    text = text.slice(1, -1);
  }
  const close = text.lastIndexOf('/');
  if (!text.startsWith('/') || close <= 0) {
    return { ok: false, message: `'${value}' is not of the form "/<regex>/<flags>"` };
  }
  return { ok: true, isNegated, pattern: text.slice(1, close), flags: text.slice(close + 1) };
}

/** Removes the white space and #-comments that PCRE's x flag ignores. */
export function stripExtended(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === ']') {
        out += ']';
        i++;
      }
    } else if (c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r' && c !== '\f' && c !== '\v') {
      out += c;
    }
  }
  return out;
}

/** Largest repetition count RE2 accepts in `{n}`, `{n,}` and `{n,m}`. */
const RE2_MAX_REPEAT = 1000;

/** Returns the end (exclusive) of the atom starting at `i`: a class, an escape or one character. */
function atomEnd(pattern: string, i: number): number {
  const c = pattern[i];
  if (c === '\\') {
    if (pattern[i + 1] === 'x' && pattern[i + 2] === '{') return pattern.indexOf('}', i) + 1;
    if (pattern[i + 1] === 'x') return i + 4;
    return i + 2;
  }
  if (c === '[') {
    let j = i + 1;
    if (pattern[j] === '^') j++;
    if (pattern[j] === ']') j++;
    while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  return i + 1;
}

/**
 * Splits counted repetitions above RE2's limit of 1000 into chunks:
 * `[^']{1075,}` becomes `[^']{1000}[^']{75,}`, which matches the same
 * text. Only a repeated class, escape or single character is split; a
 * repeated group is left for RE2 to reject.
 */
export function splitLargeRepeats(pattern: string): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    if (pattern[i] === '(' || pattern[i] === ')' || pattern[i] === '|' || pattern[i] === '{') {
      out += pattern[i];
      i++;
      continue;
    }
    const end = atomEnd(pattern, i);
    const atom = pattern.slice(i, end);
    const repeat = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(end));
    if (repeat === null) {
      out += atom;
      i = end;
      continue;
    }
    let min = Number(repeat[1]);
    // max is -1 for an open range `{n,}`.
    let max = min;
    if (repeat[2] !== undefined) max = repeat[3] === '' ? -1 : Number(repeat[3]);
    if ((min <= RE2_MAX_REPEAT && max <= RE2_MAX_REPEAT) || (max >= 0 && max - min > RE2_MAX_REPEAT)) {
      out += atom + repeat[0];
    } else {
      while (min > RE2_MAX_REPEAT) {
        out += `${atom}{${RE2_MAX_REPEAT}}`;
        min -= RE2_MAX_REPEAT;
        if (max >= 0) max -= RE2_MAX_REPEAT;
      }
      if (max < 0) out += `${atom}{${min},}`;
      else if (max <= RE2_MAX_REPEAT) out += `${atom}{${min},${max}}`;
      else out += `${atom}{${min}}${atom}{0,${max - min}}`;
    }
    i = end + repeat[0].length;
  }
  return out;
}

/**
 * Writes PCRE's one-digit hex escapes (`\x2` before a non-hex character)
 * with two digits, the only form RE2 accepts.
 */
export function widenHexEscapes(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = pattern[i + 1] ?? '';
    if (next === 'x' && isHexDigit(pattern[i + 2]) && !isHexDigit(pattern[i + 3])) {
      out += `\\x0${pattern[i + 2]}`;
      i += 2;
    } else {
      out += c + next;
      i++;
    }
  }
  return out;
}

/**
 * Keeps bytes 0x80 to 0xff out of case folding under the i flag. RE2 folds
 * Latin-1 letters (0xe9 matches 0xc9), while PCRE without UTF mode folds
 * ASCII only, so each such byte outside a class is wrapped in `(?-i:...)`.
 * NOTE: inside a class (`[\xe0-\xfe]`) the bytes still fold, so such a
 * class under the i flag also matches the other case of Latin-1 letters.
 */
export function protectHighBytes(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const hex = /^x([0-9a-fA-F]{2})/.exec(pattern.slice(i + 1, i + 4));
      const escape = hex !== null ? pattern.slice(i, i + 4) : pattern.slice(i, i + 2);
      const isHigh = hex !== null && parseInt(hex[1], 16) >= 0x80;
      out += isHigh && !inClass ? `(?-i:${escape})` : escape;
      i += escape.length - 1;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else {
      out += c.charCodeAt(0) >= 0x80 ? `(?-i:${c})` : c;
    }
  }
  return out;
}

function isHexDigit(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

/** Tells whether the pattern ends in an unescaped `$`. */
function endsWithDollar(pattern: string): boolean {
  if (!pattern.endsWith('$')) return false;
  let slashes = 0;
  for (let i = pattern.length - 2; i >= 0 && pattern[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

/**
 * Translates a PCRE pattern and its flags into an RE2 pattern and RE2
 * flags, or returns the reason it cannot be run.
 */
export function translatePcre(pattern: string, flags: string): { ok: true; source: string; re2Flags: string; isRelative: boolean; buffer: string | null } | { ok: false; code: string; message: string } {
  let re2Flags = 'u';
  let prefix = '';
  let isRelative = false;
  let isAnchored = false;
  let isExtended = false;
  let isDollarEndOnly = false;
  let isMultiline = false;
  let buffer: string | null = null;
  for (const f of flags) {
    if (f === 'i' || f === 's' || f === 'm') {
      if (!re2Flags.includes(f)) re2Flags += f;
      if (f === 'm') isMultiline = true;
    } else if (f === 'x') isExtended = true;
    else if (f === 'A') isAnchored = true;
    else if (f === 'E') isDollarEndOnly = true;
    else if (f === 'G') prefix = '(?U)';
    else if (f === 'R') isRelative = true;
    else if (f === 'B' || f === 'O') {
      // B (raw bytes) has no effect on the packet payload; O lifts PCRE's
      // match limits, which RE2 does not have.
    } else if (HTTP_BUFFER_FLAGS.has(f)) {
      if (buffer !== null) return { ok: false, code: ErrorCode.RULE_CONFLICTING_OPTIONS, message: `flags select two HTTP buffers ('${f}' after another)` };
      buffer = HTTP_BUFFER_FLAGS.get(f) as string;
    } else {
      return { ok: false, code: ErrorCode.RULE_BAD_VALUE, message: `unknown flag '${f}' (allowed: i s m x A E G R B O)` };
    }
  }

  // Literal non-ASCII characters stand for their UTF-8 bytes, as PCRE
  // reads the rule file's bytes; as Latin-1 each byte is one character.
  let source = Buffer.from(pattern, 'utf8').toString('latin1');
  if (isExtended) source = stripExtended(source);
  source = splitLargeRepeats(widenHexEscapes(source));
  if (re2Flags.includes('i')) source = protectHighBytes(source);
  if (!isDollarEndOnly && !isMultiline && endsWithDollar(source)) {
    // PCRE's `$` also matches before a final newline; RE2's only at the end.
    // NOTE: only a `$` at the very end of the pattern gets this treatment,
    // and the match then includes that newline.
    source = source.slice(0, -1) + '(?:\\n?\\z)';
  }
  re2Flags += isAnchored ? 'y' : 'g';
  return { ok: true, source: prefix + source, re2Flags, isRelative, buffer };
}

function setupPcre(b: SignatureBuilder, value: string): void {
  const parsed = parsePcreValue(value);
  if (!parsed.ok) {
    b.error(ErrorCode.RULE_BAD_VALUE, `pcre: ${parsed.message}`);
    return;
  }
  // A capture list may follow the flags: "/(a)(b)/i, flow:first,flow:second".
  const comma = parsed.flags.indexOf(',');
  const captureList = comma >= 0 ? parsed.flags.slice(comma + 1) : null;
  if (comma >= 0) parsed.flags = parsed.flags.slice(0, comma).trim();
  const translated = translatePcre(parsed.pattern, parsed.flags);
  if (!translated.ok) {
    b.error(translated.code, `pcre: ${translated.message}`);
    return;
  }
  let regex: RE2;
  try {
    regex = new RE2(translated.source, translated.re2Flags);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    b.error(ErrorCode.RULE_REGEX_NOT_SUPPORTED, `pcre: '/${parsed.pattern}/' cannot run on RE2: ${reason} (rule skipped)`);
    return;
  }
  const match = new PcreMatch(regex, parsed.isNegated, translated.isRelative, `/${parsed.pattern}/${parsed.flags}`);
  if (!addCaptures(b, match, parsed.pattern, captureList)) return;
  if (translated.buffer === null) {
    b.currentMatches().push(match);
    return;
  }
  // Inside the sticky buffer that the flag names, the flag changes nothing
  // (`http.uri; pcre:"/x/U"` is common in ET rules).
  const current = b.currentBuffer;
  if (current === translated.buffer || (current === 'file.data' && translated.buffer === HttpBuffer.RESPONSE_BODY)) {
    b.currentMatches().push(match);
    return;
  }
  // Otherwise it acts as the legacy content modifiers do: the pcre goes to
  // that HTTP buffer, and later options continue on the packet payload.
  if (current !== 'pkt_data') {
    b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `pcre: flag for ${translated.buffer} cannot follow the sticky buffer '${current}'`);
    return;
  }
  b.selectBuffer(translated.buffer);
  b.currentMatches().push(match);
  b.selectBuffer('pkt_data');
}

/** Attaches the variable captures of the pattern and of `captureList` to `match`; returns false after an error. */
function addCaptures(b: SignatureBuilder, match: PcreMatch, pattern: string, captureList: string | null): boolean {
  const captures = namedCaptures(pattern, b);
  if (captureList !== null) {
    const listed = parseCaptureList(captureList, b);
    if (!Array.isArray(listed)) {
      b.error(ErrorCode.RULE_BAD_VALUE, `pcre: ${listed.message}`);
      return false;
    }
    captures.push(...listed);
  }
  if (captures.length === 0) return true;
  match.captures = captures;
  b.addPostMatch(new PcreCaptureStore(captures, match.captureValues));
  return true;
}

export const pcreKeyword: KeywordDef = {
  name: 'pcre',
  description: 'match a regular expression (run on RE2) in the current buffer',
  docsAnchor: 'pcre.html',
  value: 'required',
  setup: setupPcre,
};
