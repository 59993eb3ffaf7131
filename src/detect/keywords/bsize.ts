/**
 * `bsize:[=|<|>|<=|>=]<n>` or `bsize:<lo><><hi>`: matches the length of
 * the current buffer. A range includes both ends, as Suricata's
 * documentation states. Suricata: rules/payload-keywords.html#bsize.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, type PayloadMatch } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import { parseInteger } from './byte-common.js';
import { ContentMatch } from './content.js';

export class BsizeMatch implements PayloadMatch {
  readonly keyword = 'bsize';
  readonly kind = MatchKind.BSIZE;
  readonly isRelative = false;
  /** Smallest and largest length that match, inclusive. */
  readonly min: number;
  readonly max: number;

  constructor(min: number, max: number) {
    this.min = min;
    this.max = max;
  }
}

/** Tells whether a buffer of `length` bytes satisfies the bsize test. */
export function matchBsize(m: BsizeMatch, length: number): boolean {
  return length >= m.min && length <= m.max;
}

const RANGE = /^(\d+)\s*<>\s*(\d+)$/;
const COMPARISON = /^(<=|>=|<|>|=)?\s*(\d+)$/;

/** Parses the bsize value into inclusive bounds, or returns null. */
export function parseBsize(value: string): { min: number; max: number } | null {
  const text = value.trim();
  const range = RANGE.exec(text);
  if (range !== null) {
    const low = Number(range[1]);
    const high = Number(range[2]);
    return low < high ? { min: low, max: high } : null;
  }
  const comparison = COMPARISON.exec(text);
  if (comparison === null) return null;
  const n = parseInteger(comparison[2]);
  if (n === null) return null;
  switch (comparison[1]) {
    case '<': return n === 0 ? null : { min: 0, max: n - 1 };
    case '>': return { min: n + 1, max: Number.MAX_SAFE_INTEGER };
    case '<=': return { min: 0, max: n };
    case '>=': return { min: n, max: Number.MAX_SAFE_INTEGER };
    default: return { min: n, max: n };
  }
}

function setupBsize(b: SignatureBuilder, value: string): void {
  const bounds = parseBsize(value);
  if (bounds === null) {
    b.error(ErrorCode.RULE_BAD_VALUE, `bsize: '${value.trim()}' is invalid (expected <n>, =<n>, <<n>, ><n>, <=<n>, >=<n> or <lo><><hi> with lo below hi)`);
    return;
  }
  const chain = b.currentMatches();
  for (const m of chain) {
    if (m instanceof ContentMatch && !m.isNegated && m.pattern.length > bounds.max) {
      b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `bsize: '${value.trim()}' allows at most ${bounds.max} bytes, but a content of the buffer is ${m.pattern.length} bytes long`);
      return;
    }
  }
  chain.push(new BsizeMatch(bounds.min, bounds.max));
}

export const bsizeKeyword: KeywordDef = {
  name: 'bsize',
  description: 'match the length of the current buffer',
  docsAnchor: 'payload-keywords.html#bsize',
  value: 'required',
  setup: setupBsize,
};
