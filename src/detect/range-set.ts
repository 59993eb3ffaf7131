/**
 * Sets of unsigned integers kept as sorted, disjoint, inclusive ranges.
 * The rule header compiler uses them at load time to evaluate address and
 * port expressions with lists and negation; bigint covers IPv6's 128 bits.
 */

/** One inclusive range. */
export interface Range {
  start: bigint;
  end: bigint;
}

/** Sorts and merges ranges that overlap or touch. */
export function normalizeRanges(ranges: Range[]): Range[] {
  if (ranges.length === 0) return [];
  const sorted = ranges.slice().sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Range[] = [{ start: sorted[0].start, end: sorted[0].end }];
  for (let i = 1; i < sorted.length; i++) {
    const last = out[out.length - 1];
    const r = sorted[i];
    if (r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  return out;
}

/** Returns the ranges of [0, max] that `ranges` (normalized) does not cover. */
export function complementRanges(ranges: Range[], max: bigint): Range[] {
  const out: Range[] = [];
  let next = 0n;
  for (const r of ranges) {
    if (r.start > next) out.push({ start: next, end: r.start - 1n });
    next = r.end + 1n;
  }
  if (next <= max) out.push({ start: next, end: max });
  return out;
}

/** Returns `a` without the values in `b` (both normalized). */
export function subtractRanges(a: Range[], b: Range[], max: bigint): Range[] {
  if (b.length === 0) return a;
  return intersectRanges(a, complementRanges(b, max));
}

/** Returns the values in both `a` and `b` (both normalized). */
export function intersectRanges(a: Range[], b: Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = a[i].start > b[j].start ? a[i].start : b[j].start;
    const end = a[i].end < b[j].end ? a[i].end : b[j].end;
    if (start <= end) out.push({ start, end });
    if (a[i].end < b[j].end) i++;
    else j++;
  }
  return out;
}

/** Tells whether normalized `ranges` is exactly [0, max]. */
export function coversAll(ranges: Range[], max: bigint): boolean {
  return ranges.length === 1 && ranges[0].start === 0n && ranges[0].end === max;
}
