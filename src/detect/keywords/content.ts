/**
 * `content`: a byte pattern searched in the current buffer, with its
 * modifiers (content-modifiers.ts) and its place in the fast-pattern
 * choice (fast-pattern.ts). Suricata: rules/payload-keywords.html#content.
 */
import { Buffer } from 'node:buffer';
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, type PayloadMatch } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';

/** ASCII lower-case of every byte; other bytes map to themselves. */
export const FOLD_TABLE: Uint8Array = buildFoldTable();

function buildFoldTable(): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) table[i] = i >= 0x41 && i <= 0x5a ? i + 0x20 : i;
  return table;
}

/**
 * Largest absolute value of offset, depth, distance or within: 1 MiB, the
 * limit Suricata's documentation gives for distance and within.
 */
export const MAX_CONTENT_MODIFIER_VALUE = 1048576;

/**
 * One `content` of a buffer chain. Values of -1 in the `*Var` fields mean
 * the modifier is a constant; otherwise they index InspectContext.byteVars.
 */
export class ContentMatch implements PayloadMatch {
  readonly keyword = 'content';
  readonly kind = MatchKind.CONTENT;
  /** Pattern as written; folded to lower case when `isNocase`. */
  pattern: Uint8Array;
  /** Pattern as written, never folded (for the prefilter and reports). */
  original: Uint8Array;
  isNegated: boolean;
  isNocase: boolean;
  hasOffset: boolean;
  hasDepth: boolean;
  hasDistance: boolean;
  hasWithin: boolean;
  isStartsWith: boolean;
  isEndsWith: boolean;
  offset: number;
  depth: number;
  distance: number;
  within: number;
  offsetVar: number;
  depthVar: number;
  distanceVar: number;
  withinVar: number;
  isFastPattern: boolean;
  isFastPatternOnly: boolean;
  /** `fast_pattern:offset,length` chop, or -1 and 0. */
  fastPatternChopOffset: number;
  fastPatternChopLength: number;
  /**
   * Set when the chain is prepared (inspect.ts): the next keyword depends
   * on this match, so a failure there retries this content further on.
   */
  canRetry: boolean;

  constructor(pattern: Uint8Array, isNegated: boolean) {
    this.pattern = pattern;
    this.original = pattern;
    this.isNegated = isNegated;
    this.isNocase = false;
    this.hasOffset = false;
    this.hasDepth = false;
    this.hasDistance = false;
    this.hasWithin = false;
    this.isStartsWith = false;
    this.isEndsWith = false;
    this.offset = 0;
    this.depth = 0;
    this.distance = 0;
    this.within = 0;
    this.offsetVar = -1;
    this.depthVar = -1;
    this.distanceVar = -1;
    this.withinVar = -1;
    this.isFastPattern = false;
    this.isFastPatternOnly = false;
    this.fastPatternChopOffset = -1;
    this.fastPatternChopLength = 0;
    this.canRetry = false;
  }

  get isRelative(): boolean {
    return this.hasDistance || this.hasWithin;
  }

  /** Folds the pattern for `nocase`. */
  setNocase(): void {
    this.isNocase = true;
    const folded = new Uint8Array(this.original.length);
    for (let i = 0; i < folded.length; i++) folded[i] = FOLD_TABLE[this.original[i]];
    this.pattern = folded;
  }
}

/**
 * Finds the pattern in bytes[start+from, start+to), returning the position
 * relative to `start`, or -1.
 */
export function findContent(m: ContentMatch, bytes: Uint8Array, start: number, from: number, to: number): number {
  const pattern = m.pattern;
  const n = pattern.length;
  const last = start + to - n;
  const first = pattern[0];
  if (m.isNocase) {
    for (let i = start + from; i <= last; i++) {
      if (FOLD_TABLE[bytes[i]] !== first) continue;
      let j = 1;
      while (j < n && FOLD_TABLE[bytes[i + j]] === pattern[j]) j++;
      if (j === n) return i - start;
    }
    return -1;
  }
  for (let i = start + from; i <= last; i++) {
    if (bytes[i] !== first) continue;
    let j = 1;
    while (j < n && bytes[i + j] === pattern[j]) j++;
    if (j === n) return i - start;
  }
  return -1;
}

/** Result of parsing a content string: the bytes, or the problem and where. */
export type ContentParse =
  | { ok: true; bytes: Uint8Array; isNegated: boolean }
  | { ok: false; message: string; at: number; length: number };

const HEX_DIGITS = '0123456789abcdefABCDEF';

/**
 * Parses a content value: optional `!`, then the quoted text with `|41 42|`
 * hex runs and the escapes \" \; \\ \:. Text outside hex runs is taken as
 * UTF-8, as the rule file's bytes. An unquoted value is accepted too, for a
 * parser that strips the quotes itself.
 */
export function parseContentValue(value: string): ContentParse {
  let text = value.trim();
  let base = value.indexOf(text);
  let isNegated = false;
  if (text.startsWith('!')) {
    isNegated = true;
    const rest = text.slice(1).trimStart();
    base += text.length - rest.length;
    text = rest;
  }
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"') || text.endsWith('\\"') && !text.endsWith('\\\\"')) {
      return { ok: false, message: `'${value}' is missing its closing quote`, at: base, length: text.length };
    }
    text = text.slice(1, -1);
    base += 1;
  }
  if (text.length === 0) return { ok: false, message: 'the pattern is empty', at: base, length: 0 };

  const out: number[] = [];
  let inHex = false;
  let hexHigh = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inHex) {
      if (c === '|') {
        if (hexHigh >= 0) return { ok: false, message: 'a hex byte has one digit only', at: base + i - 1, length: 1 };
        inHex = false;
      } else if (c === ' ' || c === '\t') {
        if (hexHigh >= 0) return { ok: false, message: 'a hex byte has one digit only', at: base + i - 1, length: 1 };
      } else if (HEX_DIGITS.includes(c)) {
        const digit = parseInt(c, 16);
        if (hexHigh < 0) hexHigh = digit;
        else {
          out.push(hexHigh * 16 + digit);
          hexHigh = -1;
        }
      } else {
        return { ok: false, message: `'${c}' is not a hex digit (expected 0-9, a-f or a space between | |)`, at: base + i, length: 1 };
      }
      continue;
    }
    if (c === '|') {
      inHex = true;
    } else if (c === '\\') {
      const next = text[i + 1];
      if (next !== '"' && next !== ';' && next !== '\\' && next !== ':') {
        return { ok: false, message: `'\\${next ?? ''}' is not a valid escape (allowed: \\" \\; \\\\ \\:)`, at: base + i, length: 2 };
      }
      out.push(next.charCodeAt(0));
      i++;
    } else if (c === '"' || c === ';') {
      return { ok: false, message: `'${c}' must be escaped as '\\${c}'`, at: base + i, length: 1 };
    } else {
      const code = c.charCodeAt(0);
      if (code < 0x80) out.push(code);
      else {
        const end = code >= 0xd800 && code <= 0xdbff ? i + 2 : i + 1;
        for (const byte of Buffer.from(text.slice(i, end), 'utf8')) out.push(byte);
        i = end - 1;
      }
    }
  }
  if (inHex) return { ok: false, message: 'a hex run is missing its closing |', at: base, length: text.length };
  if (out.length === 0) return { ok: false, message: 'the pattern is empty', at: base, length: 0 };
  return { ok: true, bytes: Uint8Array.from(out), isNegated };
}

function setupContent(b: SignatureBuilder, value: string): void {
  const parsed = parseContentValue(value);
  if (!parsed.ok) {
    b.error(ErrorCode.RULE_BAD_VALUE, `content: ${parsed.message}`, parsed.at, parsed.length);
    return;
  }
  b.currentMatches().push(new ContentMatch(parsed.bytes, parsed.isNegated));
}

export const contentKeyword: KeywordDef = {
  name: 'content',
  description: 'match a byte pattern in the current buffer',
  docsAnchor: 'payload-keywords.html#content',
  value: 'required',
  setup: setupContent,
};
