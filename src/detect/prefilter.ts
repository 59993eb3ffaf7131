/**
 * The prefilter of one protocol slot and direction (rule-group.ts): for
 * each buffer, one multi-pattern matcher over the fast patterns of its
 * signatures, and the map from each pattern to the signatures that chose
 * it. Matchers are shared between slots with the same pattern set
 * (MatcherCache), such as the protocols that only `ip` rules cover.
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

/** Builds each distinct pattern set's matcher once and hands it out again. */
export class MatcherCache {
  private readonly matchers: Map<string, AhoCorasick>;

  constructor() {
    this.matchers = new Map();
  }

  /**
   * Returns the matcher for the sorted, distinct pattern keys, building it
   * on first use. Pattern id i of the matcher is keys[i].
   */
  get(keys: readonly string[], patterns: ReadonlyMap<string, MatcherPattern>): AhoCorasick {
    // Keys may contain any byte, so each is prefixed by its length to keep the set key unambiguous.
    let setKey = '';
    for (const key of keys) setKey += `${key.length}:${key}`;
    let matcher = this.matchers.get(setKey);
    if (matcher === undefined) {
      matcher = new AhoCorasick(keys.map((k) => patterns.get(k) as MatcherPattern));
      this.matchers.set(setKey, matcher);
    }
    return matcher;
  }

  /** Number of distinct matchers built. */
  get size(): number {
    return this.matchers.size;
  }

  /** Returns the bytes held by all matchers' tables. */
  memoryBytes(): number {
    let total = 0;
    for (const m of this.matchers.values()) total += m.memoryBytes();
    return total;
  }

  /** Returns the largest pattern count of any matcher (to size scratch arrays). */
  maxPatterns(): number {
    let max = 0;
    for (const m of this.matchers.values()) max = Math.max(max, m.patterns.length);
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

/**
 * Builds the prefilter of one buffer for the given signatures (engine
 * index and fast pattern of each).
 */
export function buildBufferPrefilter(
  buffer: string,
  entries: readonly { sigIndex: number; fastPattern: FastPattern }[],
  cache: MatcherCache,
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
  const keys = [...patterns.keys()].sort();
  const matcher = cache.get(keys, patterns);

  const sigStart = new Int32Array(keys.length + 1);
  const flat: number[] = [];
  keys.forEach((key, id) => {
    sigStart[id] = flat.length;
    for (const s of sigsByKey.get(key) as number[]) flat.push(s);
  });
  sigStart[keys.length] = flat.length;
  return new BufferPrefilter(buffer, matcher, sigStart, Int32Array.from(flat));
}
