/**
 * The prefilter of a rule group: for each buffer, one multi-pattern
 * matcher over the fast patterns of the group's signatures, and the map
 * from each pattern to the signatures that chose it. Matchers are shared
 * between groups with the same pattern set (MatcherCache), because many
 * port groups hold the same rules.
 */
import { Buffer } from 'node:buffer';
import { AhoCorasick, type MatcherPattern } from './aho-corasick.js';
import type { FastPattern } from './fast-pattern.js';

/** Key of a pattern: its case rule and its bytes in hex. */
function patternKey(p: MatcherPattern): string {
  return (p.isNocase ? 'i:' : 'c:') + Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.length).toString('hex');
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
    const setKey = keys.join(',');
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

/** The prefilter of one buffer in one rule group. */
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
    const p: MatcherPattern = { bytes: e.fastPattern.bytes, isNocase: e.fastPattern.isNocase };
    const key = patternKey(p);
    if (!patterns.has(key)) {
      patterns.set(key, p);
      sigsByKey.set(key, []);
    }
    (sigsByKey.get(key) as number[]).push(e.sigIndex);
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
