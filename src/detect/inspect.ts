/**
 * The inspection engine: runs a signature's chain of payload keywords over
 * one buffer, with Suricata's rules for relative positions and its
 * backtracking. When a keyword that depends on the previous match fails,
 * the previous content (or pcre) is tried again at its next occurrence.
 * The search restarts one byte after the start of its last match, and
 * stops when the buffer is exhausted or the recursion limit is reached.
 *
 * Every keyword returns MATCH, NO_MATCH (an earlier keyword may retry) or
 * DISCONTINUE (no retry can help). The walk is recursive over the chain,
 * so its depth is the chain length; it allocates nothing except in pcre.
 */
import { InspectResult, MatchKind, MAX_MATCH_KIND, type InspectContext, type PayloadMatch } from './inspect-context.js';
import type { InspectionMatch } from './signature.js';
import { ContentMatch, findContent } from './keywords/content.js';
import { IsDataAtMatch } from './keywords/isdataat.js';
import { PcreMatch, execPcre, pcreMatchRange } from './keywords/pcre.js';
import { ByteTestMatch, matchByteTest } from './keywords/byte-test.js';
import { ByteJumpMatch, matchByteJump } from './keywords/byte-jump.js';
import { ByteExtractMatch, matchByteExtract } from './keywords/byte-extract.js';
import { ByteMathMatch, matchByteMath } from './keywords/byte-math.js';
import { BsizeMatch, matchBsize } from './keywords/bsize.js';
import { EntropyMatch, matchEntropy } from './keywords/entropy.js';

/**
 * Checks that the inspection engine can run every keyword of the chain and
 * marks the content and pcre matches that a later relative keyword depends
 * on, so that they retry. Returns the keyword it cannot run, or null.
 *
 * As in Suricata, a relative content or pcre depends on the closest
 * content or pcre before it, and a relative isdataat or byte keyword on the
 * closest payload keyword before it (only a content or pcre retries). A
 * content followed by a content with `distance` and no `within` does not
 * retry, because a later occurrence only shortens that window. It does
 * when that content is negated, since a shorter window may then lack it.
 */
export function prepareInspection(matches: readonly InspectionMatch[]): string | null {
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i] as Partial<PayloadMatch>;
    if (typeof m.kind !== 'number' || m.kind < MatchKind.CONTENT || m.kind > MAX_MATCH_KIND) return matches[i].keyword;
    if (m instanceof ContentMatch || m instanceof PcreMatch) m.canRetry = false;
  }
  for (let j = 1; j < matches.length; j++) {
    const m = matches[j] as PayloadMatch;
    if (!m.isRelative) continue;
    const isPatternMatch = m instanceof ContentMatch || m instanceof PcreMatch;
    let k = j - 1;
    while (k >= 0 && !dependsOn(matches[k] as PayloadMatch, isPatternMatch)) k--;
    if (k < 0) continue;
    const prev = matches[k];
    if (prev instanceof ContentMatch) {
      if (!(m instanceof ContentMatch && m.hasDistance && !m.hasWithin && !m.isNegated)) prev.canRetry = true;
    } else if (prev instanceof PcreMatch) {
      prev.canRetry = true;
    }
  }
  return null;
}

/** Tells whether a relative keyword can take its position from `m`. */
function dependsOn(m: PayloadMatch, isPatternMatch: boolean): boolean {
  if (m.kind === MatchKind.CONTENT || m.kind === MatchKind.PCRE) return true;
  return !isPatternMatch && m.kind !== MatchKind.BSIZE && m.kind !== MatchKind.ENTROPY;
}

/**
 * Runs the chain over bytes[start, start+length). Returns true when every
 * keyword matched. The chain must have passed prepareInspection.
 */
export function inspectBuffer(
  matches: readonly InspectionMatch[],
  bytes: Uint8Array,
  start: number,
  length: number,
  ctx: InspectContext,
): boolean {
  if (matches.length === 0) return true;
  ctx.bufferOffset = 0;
  ctx.recursionCount = 0;
  return inspectFrom(matches, 0, bytes, start, length, ctx) === InspectResult.MATCH;
}

function inspectFrom(
  matches: readonly InspectionMatch[],
  index: number,
  bytes: Uint8Array,
  start: number,
  length: number,
  ctx: InspectContext,
): number {
  ctx.recursionCount++;
  if (ctx.recursionCount === ctx.recursionLimit) {
    ctx.recursionLimitHits++;
    return InspectResult.DISCONTINUE;
  }
  if (ctx.recursionCount > ctx.recursionLimit) return InspectResult.DISCONTINUE;

  const m = matches[index] as PayloadMatch;
  switch (m.kind) {
    case MatchKind.CONTENT:
      return inspectContent(m as ContentMatch, matches, index, bytes, start, length, ctx);
    case MatchKind.PCRE:
      return inspectPcre(m as PcreMatch, matches, index, bytes, start, length, ctx);
    case MatchKind.ISDATAAT:
      return inspectIsDataAt(m as IsDataAtMatch, matches, index, bytes, start, length, ctx);
    case MatchKind.BYTE_TEST:
      if (!matchByteTest(m as ByteTestMatch, bytes, start, length, ctx)) return InspectResult.NO_MATCH;
      return inspectNext(matches, index, bytes, start, length, ctx);
    case MatchKind.BYTE_JUMP:
      if (!matchByteJump(m as ByteJumpMatch, bytes, start, length, ctx)) return InspectResult.NO_MATCH;
      return inspectNext(matches, index, bytes, start, length, ctx);
    case MatchKind.BYTE_EXTRACT:
      if (!matchByteExtract(m as ByteExtractMatch, bytes, start, length, ctx)) return InspectResult.NO_MATCH;
      return inspectNext(matches, index, bytes, start, length, ctx);
    case MatchKind.BYTE_MATH:
      if (!matchByteMath(m as ByteMathMatch, bytes, start, length, ctx)) return InspectResult.NO_MATCH;
      return inspectNext(matches, index, bytes, start, length, ctx);
    case MatchKind.BSIZE:
      // The buffer length does not change, so no retry can help.
      if (!matchBsize(m as BsizeMatch, length)) return InspectResult.DISCONTINUE;
      return inspectNext(matches, index, bytes, start, length, ctx);
    case MatchKind.ENTROPY:
      // The measured bytes do not depend on earlier matches, so no retry can help.
      if (!matchEntropy(m as EntropyMatch, bytes, start, length, ctx)) return InspectResult.DISCONTINUE;
      return inspectNext(matches, index, bytes, start, length, ctx);
    default:
      return InspectResult.DISCONTINUE;
  }
}

/** Continues with the keyword after `index`, or reports the chain matched. */
function inspectNext(
  matches: readonly InspectionMatch[],
  index: number,
  bytes: Uint8Array,
  start: number,
  length: number,
  ctx: InspectContext,
): number {
  if (index + 1 === matches.length) return InspectResult.MATCH;
  return inspectFrom(matches, index + 1, bytes, start, length, ctx);
}

/**
 * Searches one content. The window is [offset, offset+depth) for an
 * absolute content and [prev+distance, prev+distance+within) for a
 * relative one, where prev is the end of the previous match. When a
 * negative distance reaches before the buffer start, the window starts at 0.
 */
function inspectContent(
  m: ContentMatch,
  matches: readonly InspectionMatch[],
  index: number,
  bytes: Uint8Array,
  start: number,
  length: number,
  ctx: InspectContext,
): number {
  const vars = ctx.byteVars;
  const prev = ctx.bufferOffset;
  const n = m.pattern.length;
  let retryFrom = 0;

  for (;;) {
    let from: number;
    let to = length;
    if (m.hasDistance || m.hasWithin) {
      from = prev;
      let distance = 0;
      if (m.hasDistance) {
        distance = m.distanceVar >= 0 ? vars[m.distanceVar] : m.distance;
        from = distance < 0 && -distance > from ? 0 : from + distance;
      }
      if (m.hasWithin) {
        const end = prev + (m.withinVar >= 0 ? vars[m.withinVar] : m.within) + distance;
        if (end < to) to = end;
      }
    } else {
      from = 0;
      if (m.hasOffset) from = m.offsetVar >= 0 ? vars[m.offsetVar] : m.offset;
      if (m.hasDepth) to = from + (m.depthVar >= 0 ? vars[m.depthVar] : m.depth);
    }
    if (retryFrom !== 0) from = retryFrom;
    if (to > length) to = length;

    if (from > to || to <= 0) {
      return m.isNegated ? inspectNext(matches, index, bytes, start, length, ctx) : InspectResult.NO_MATCH;
    }

    let pos = -1;
    if (!(m.isEndsWith && to < length) && n <= to - from) pos = findContent(m, bytes, start, from, to);

    if (pos < 0) {
      if (m.isNegated) return inspectNext(matches, index, bytes, start, length, ctx);
      return m.isRelative ? InspectResult.NO_MATCH : InspectResult.DISCONTINUE;
    }

    const end = pos + n;
    if (m.isNegated) {
      // A negated endswith fails only when the window ends with the pattern.
      if (m.isEndsWith && findContent(m, bytes, start, to - n, to) < 0) {
        return inspectNext(matches, index, bytes, start, length, ctx);
      }
      const isSingle = !m.hasDistance && !m.hasWithin && !m.hasDepth;
      return isSingle ? InspectResult.DISCONTINUE : InspectResult.NO_MATCH;
    }

    ctx.bufferOffset = end;
    if (!m.isEndsWith || end === length) {
      if (index + 1 === matches.length) return InspectResult.MATCH;
      const r = inspectFrom(matches, index + 1, bytes, start, length, ctx);
      if (r !== InspectResult.NO_MATCH) return r;
      if (!m.canRetry) return InspectResult.DISCONTINUE;
    }
    retryFrom = pos + 1;
  }
}

/**
 * Runs one pcre. A relative pcre runs on the buffer from the end of the
 * previous match, so `^` anchors there. A retry searches again from one
 * byte after the start of the last match.
 */
function inspectPcre(
  m: PcreMatch,
  matches: readonly InspectionMatch[],
  index: number,
  bytes: Uint8Array,
  start: number,
  length: number,
  ctx: InspectContext,
): number {
  const prev = ctx.bufferOffset;
  const text = ctx.latin1(bytes, start, length);
  const subjectStart = m.isRelative ? prev : 0;
  let searchFrom = subjectStart;

  for (;;) {
    const isFound = execPcre(m, text, subjectStart, searchFrom);
    if (m.isNegated) {
      return isFound ? InspectResult.NO_MATCH : inspectNext(matches, index, bytes, start, length, ctx);
    }
    if (!isFound) return InspectResult.NO_MATCH;

    const matchStart = pcreMatchRange.start;
    ctx.bufferOffset = pcreMatchRange.end;
    if (!m.canRetry) return inspectNext(matches, index, bytes, start, length, ctx);
    const r = inspectFrom(matches, index + 1, bytes, start, length, ctx);
    if (r !== InspectResult.NO_MATCH) return r;

    ctx.bufferOffset = prev;
    searchFrom = matchStart + 1;
    if (searchFrom > length) return InspectResult.NO_MATCH;
  }
}

/**
 * isdataat: absolute `n` holds when the buffer is longer than n; relative
 * `n` holds when the previous match end plus n is within the buffer.
 */
function inspectIsDataAt(
  m: IsDataAtMatch,
  matches: readonly InspectionMatch[],
  index: number,
  bytes: Uint8Array,
  start: number,
  length: number,
  ctx: InspectContext,
): number {
  const position = m.positionVar >= 0 ? ctx.byteVars[m.positionVar] : m.position;
  const miss = m.positionVar >= 0 ? InspectResult.NO_MATCH : InspectResult.DISCONTINUE;
  const hasData = m.isRelative ? ctx.bufferOffset + position <= length : position < length;
  if (hasData === m.isNegated) {
    // A relative negated isdataat may hold after an earlier keyword retries.
    return m.isNegated && m.isRelative ? InspectResult.NO_MATCH : miss;
  }
  return inspectNext(matches, index, bytes, start, length, ctx);
}
