/**
 * The prefilter of one protocol slot and direction (rule-group.ts): for
 * each buffer, one multi-pattern matcher over the fast patterns of its
 * signatures, and the map from each pattern to the signatures that chose
 * it. Matchers are shared between slots with the same pattern set
 * (MatcherCache), such as the protocols that only `ip` rules cover, and
 * between directions with nearly the same set.
 */
import { Buffer } from 'node:buffer';
import { AhoCorasick, type MatcherPattern } from './aho-corasick.js';
import type { FastPattern } from './fast-pattern.js';

/** Keys of fast patterns already seen: one signature's pattern is keyed once for all its rule groups. */
const keyCache = new WeakMap<FastPattern, string>();

/** Returns the key of a pattern: its case rule and its bytes as Latin-1 text. */
function patternKey(fastPattern: FastPattern): string {
  let key = keyCache.get(fastPattern);
  if (key === undefined) {
    const bytes = fastPattern.bytes;
    key = (fastPattern.isNocase ? 'i:' : 'c:') + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    keyCache.set(fastPattern, key);
  }
  return key;
}

/**
 * Maximum share of extra patterns a matcher built for another pattern set
 * may carry and still be reused: hits on them find no signatures. Rules
 * without a flow direction put nearly the same patterns in both
 * directions, which then share one matcher.
 */
const MAX_EXTRA_PATTERN_SHARE = 0.02;

/** A built matcher and the id of each of its pattern keys. */
interface CachedMatcher {
  matcher: AhoCorasick;
  idOf: Map<string, number>;
}

/** A matcher for a set of pattern keys, and the matcher's id of each key in that set's order. */
export interface MatcherLease {
  matcher: AhoCorasick;
  ids: Int32Array;
}

/**
 * Builds each distinct pattern set's matcher once and hands it out again,
 * also for sets it contains with at most MAX_EXTRA_PATTERN_SHARE more
 * patterns.
 */
export class MatcherCache {
  private readonly matchers: Map<string, CachedMatcher>;

  constructor() {
    this.matchers = new Map();
  }

  /** Returns a matcher that finds every pattern of the sorted, distinct `keys`, building it when none fits. */
  get(keys: readonly string[], patterns: ReadonlyMap<string, MatcherPattern>): MatcherLease {
    // Keys may contain any byte, so each is prefixed by its length to keep the set key unambiguous.
    let setKey = '';
    for (const key of keys) setKey += `${key.length}:${key}`;
    let cached = this.matchers.get(setKey) ?? this.findSuperset(keys);
    if (cached === undefined) {
      const matcher = new AhoCorasick(keys.map((k) => patterns.get(k) as MatcherPattern));
      cached = { matcher, idOf: new Map(keys.map((k, id) => [k, id])) };
      this.matchers.set(setKey, cached);
    }
    const idOf = cached.idOf;
    return { matcher: cached.matcher, ids: Int32Array.from(keys, (k) => idOf.get(k) as number) };
  }

  /** Returns a built matcher with every key and few others, if there is one. */
  private findSuperset(keys: readonly string[]): CachedMatcher | undefined {
    const maxSize = keys.length * (1 + MAX_EXTRA_PATTERN_SHARE);
    for (const cached of this.matchers.values()) {
      if (cached.idOf.size < keys.length || cached.idOf.size > maxSize) continue;
      if (keys.every((k) => cached.idOf.has(k))) return cached;
    }
    return undefined;
  }

  /** Number of distinct matchers built. */
  get size(): number {
    return this.matchers.size;
  }

  /** Returns the bytes held by all matchers' tables. */
  memoryBytes(): number {
    let total = 0;
    for (const m of this.matchers.values()) total += m.matcher.memoryBytes();
    return total;
  }

  /** Returns the largest pattern count of any matcher (to size scratch arrays). */
  maxPatterns(): number {
    let max = 0;
    for (const m of this.matchers.values()) max = Math.max(max, m.matcher.patterns.length);
    return max;
  }
}

/** The prefilter of one buffer in one protocol slot and direction. */
export class BufferPrefilter {
  readonly buffer: string;
  readonly matcher: AhoCorasick;
  /** Signatures of pattern id p: sigs[sigStart[p] .. sigStart[p+1]), as engine indices. */
  readonly sigStart: Int32Array;
  readonly sigs: Int32Array;

  constructor(buffer: string, matcher: AhoCorasick, sigStart: Int32Array, sigs: Int32Array) {
    this.buffer = buffer;
    this.matcher = matcher;
    this.sigStart = sigStart;
    this.sigs = sigs;
  }
}

/** A signature's fast pattern in one buffer, by engine index. */
export interface PrefilterEntry {
  sigIndex: number;
  fastPattern: FastPattern;
}

/**
 * Builds the prefilter of one buffer for the given signatures. When the
 * patterns of `reverse` (the other direction's signatures) nearly equal
 * those of `entries`, the matcher is built over both sets, so that the
 * other direction's prefilter reuses it.
 */
export function buildBufferPrefilter(
  buffer: string,
  entries: readonly PrefilterEntry[],
  cache: MatcherCache,
  reverse: readonly PrefilterEntry[] = [],
): BufferPrefilter {
  const patterns = new Map<string, MatcherPattern>();
  const sigsByKey = new Map<string, number[]>();
  for (const e of entries) {
    const key = patternKey(e.fastPattern);
    const sigs = sigsByKey.get(key);
    if (sigs !== undefined) {
      sigs.push(e.sigIndex);
      continue;
    }
    patterns.set(key, { bytes: e.fastPattern.bytes, isNocase: e.fastPattern.isNocase });
    sigsByKey.set(key, [e.sigIndex]);
  }
  const ownCount = patterns.size;
  const union = new Map(patterns);
  for (const e of reverse) {
    const key = patternKey(e.fastPattern);
    if (!union.has(key)) union.set(key, { bytes: e.fastPattern.bytes, isNocase: e.fastPattern.isNocase });
  }
  const reverseCount = new Set(reverse.map((e) => patternKey(e.fastPattern))).size;
  const limit = Math.min(ownCount, reverseCount) * (1 + MAX_EXTRA_PATTERN_SHARE);
  if (union.size > ownCount && union.size <= limit) cache.get([...union.keys()].sort(), union);

  const keys = [...patterns.keys()].sort();
  const { matcher, ids } = cache.get(keys, patterns);

  // Signature lists in the matcher's pattern order; its patterns outside `keys` get none.
  const patternCount = matcher.patterns.length;
  const sigsOfId: (number[] | undefined)[] = new Array<number[] | undefined>(patternCount);
  keys.forEach((key, i) => {
    sigsOfId[ids[i]] = sigsByKey.get(key);
  });
  const sigStart = new Int32Array(patternCount + 1);
  const flat: number[] = [];
  for (let id = 0; id < patternCount; id++) {
    sigStart[id] = flat.length;
    for (const s of sigsOfId[id] ?? []) flat.push(s);
  }
  sigStart[patternCount] = flat.length;
  return new BufferPrefilter(buffer, matcher, sigStart, Int32Array.from(flat));
}
