/**
 * The multi-integer syntax of Suricata 9's integer keywords whose field
 * contains a list of values (`dns.rrtype` over the query or answer records):
 *
 *   keyword:VALUE[,INDEX[,START:END]];   VALUE is a uint-value.ts comparison
 *   keyword:count VALUE;                 compares the number of values
 *
 * INDEX selects which values must satisfy VALUE:
 *
 *   any (default)   at least one value
 *   all             every value, and there is at least one
 *   all_or_absent   every value, or there are none
 *   or_absent       at least one value, or there are none
 *   nbCMP           the number of values that match satisfies CMP (`nb>3`)
 *   N               the value at index N (negative N counts from the end)
 *   oob_or N        the value at index N, or true when N is out of bounds
 *
 * START:END first cuts the list to a subslice, Python style, with negative
 * indexes counting from the end. An index out of bounds gives an empty
 * subslice. Suricata: rules/integer-keywords.html#multi-integers.
 */
import { parseUintValue, type UintValue } from './uint-value.js';

/** Selection modes of a multi-integer index. */
export const MultiIndex = {
  ANY: 0,
  ALL: 1,
  ALL_OR_ABSENT: 2,
  OR_ABSENT: 3,
  /** `nb`: compare the number of matching values. */
  MATCH_COUNT: 4,
  /** One index; negative counts from the end. */
  AT: 5,
  /** `oob_or`: one index, or true when it is out of bounds. */
  AT_OR_OUT_OF_BOUNDS: 6,
  /** `count`: compare the number of values, whatever they are. */
  COUNT: 7,
} as const;

/** A parsed multi-integer: the comparison, how it applies to the list, and the subslice. */
export class MultiUintValue {
  constructor(
    /** Comparison of each value; for COUNT, of the number of values. */
    readonly value: UintValue,
    readonly mode: number,
    /** Index for AT and AT_OR_OUT_OF_BOUNDS. */
    readonly index: number,
    /** For MATCH_COUNT: comparison of the number of matching values. */
    readonly matchCount: UintValue | null,
    readonly hasSubslice: boolean,
    readonly subsliceStart: number,
    readonly subsliceEnd: number,
  ) {}

  /** Tells whether the values `list[0, length)` satisfy the keyword. */
  matches(list: ArrayLike<number>, length: number = list.length): boolean {
    let from = 0;
    let to = length;
    if (this.hasSubslice) {
      from = resolveIndex(this.subsliceStart, length);
      to = resolveIndex(this.subsliceEnd, length);
      // An index out of bounds, or an end before the start, leaves no values.
      if (from < 0 || to < 0 || from > length || to > length || to < from) {
        from = 0;
        to = 0;
      }
    }
    const n = to - from;

    switch (this.mode) {
      case MultiIndex.COUNT:
        return this.value.matches(n);
      case MultiIndex.ANY:
      case MultiIndex.OR_ABSENT:
        if (n === 0) return this.mode === MultiIndex.OR_ABSENT;
        for (let i = from; i < to; i++) if (this.value.matches(list[i])) return true;
        return false;
      case MultiIndex.ALL:
      case MultiIndex.ALL_OR_ABSENT:
        if (n === 0) return this.mode === MultiIndex.ALL_OR_ABSENT;
        for (let i = from; i < to; i++) if (!this.value.matches(list[i])) return false;
        return true;
      case MultiIndex.MATCH_COUNT: {
        let matched = 0;
        for (let i = from; i < to; i++) if (this.value.matches(list[i])) matched++;
        return this.matchCount !== null && this.matchCount.matches(matched);
      }
      case MultiIndex.AT:
      case MultiIndex.AT_OR_OUT_OF_BOUNDS: {
        const at = this.index < 0 ? n + this.index : this.index;
        if (at < 0 || at >= n) return this.mode === MultiIndex.AT_OR_OUT_OF_BOUNDS;
        return this.value.matches(list[from + at]);
      }
      default:
        return false;
    }
  }
}

/** Turns a Python-style index into a position in a list of `length`, or -1 when it is before the start. */
function resolveIndex(index: number, length: number): number {
  if (index >= 0) return index;
  const at = length + index;
  return at < 0 ? -1 : at;
}

/** Largest index magnitude accepted; Suricata reads indexes as 32-bit signed integers. */
const MAX_INDEX = 2147483647;

function parseIndexNumber(text: string): number | null {
  if (!/^-?\d+$/.test(text)) return null;
  const n = Number(text);
  return Math.abs(n) <= MAX_INDEX ? n : null;
}

/**
 * Parses a multi-integer whose values lie in [0, max]. Returns the value,
 * or an error message that names the bad part and what is allowed.
 */
export function parseMultiUintValue(text: string, max: number): MultiUintValue | string {
  const t = text.trim();
  const countForm = /^count\s*(.*)$/.exec(t);
  if (countForm !== null) {
    const count = parseUintValue(countForm[1], MAX_INDEX);
    if (typeof count === 'string') return count;
    return new MultiUintValue(count, MultiIndex.COUNT, 0, null, false, 0, 0);
  }

  const parts = t.split(',').map((part) => part.trim());
  if (parts.length > 3) return `'${t}' has more than three parts (expected value[,index[,start:end]])`;
  const value = parseUintValue(parts[0], max);
  if (typeof value === 'string') return value;

  let mode: number = MultiIndex.ANY;
  let index = 0;
  let matchCount: UintValue | null = null;
  const indexText = parts[1];
  if (indexText !== undefined) {
    const oob = /^oob_or\s*(-?\d+)$/.exec(indexText);
    if (indexText === 'any') mode = MultiIndex.ANY;
    else if (indexText === 'all') mode = MultiIndex.ALL;
    else if (indexText === 'all_or_absent') mode = MultiIndex.ALL_OR_ABSENT;
    else if (indexText === 'or_absent') mode = MultiIndex.OR_ABSENT;
    else if (indexText.startsWith('nb')) {
      const parsed = parseUintValue(indexText.slice(2), MAX_INDEX);
      if (typeof parsed === 'string') return `index '${indexText}': ${parsed}`;
      mode = MultiIndex.MATCH_COUNT;
      matchCount = parsed;
    } else if (oob !== null) {
      const n = parseIndexNumber(oob[1]);
      if (n === null) return `index '${indexText}' is out of range`;
      mode = MultiIndex.AT_OR_OUT_OF_BOUNDS;
      index = n;
    } else {
      const n = parseIndexNumber(indexText);
      if (n === null) {
        return `'${indexText}' is not a valid index (expected any, all, all_or_absent, or_absent, nb with a comparison, oob_or N, or an integer)`;
      }
      mode = MultiIndex.AT;
      index = n;
    }
  }

  let hasSubslice = false;
  let start = 0;
  let end = 0;
  const subsliceText = parts[2];
  if (subsliceText !== undefined) {
    const m = /^(-?\d+)\s*:\s*(-?\d+)$/.exec(subsliceText);
    const a = m === null ? null : parseIndexNumber(m[1]);
    const b = m === null ? null : parseIndexNumber(m[2]);
    if (a === null || b === null) return `'${subsliceText}' is not a valid subslice (expected start:end, such as 2:4 or -4:-1)`;
    hasSubslice = true;
    start = a;
    end = b;
  }
  return new MultiUintValue(value, mode, index, matchCount, hasSubslice, start, end);
}
