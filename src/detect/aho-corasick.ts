/**
 * Multi-pattern matcher: an Aho-Corasick automaton compiled to a DFA in
 * typed arrays. Input bytes are case-folded (ASCII) and mapped to byte
 * classes: one class per distinct folded byte of the patterns, and class 0
 * for every other byte. A row of the transition table therefore has one
 * entry per distinct pattern byte, not 256.
 *
 * A table entry contains the row offset (state * classCount) of the next
 * state, so the scan loop needs no multiplication. The entry is stored as
 * ~offset (negative) when the next state ends a pattern. Case-sensitive
 * patterns are checked byte for byte at each hit.
 */
import { FOLD_TABLE } from './keywords/content.js';

/** Most states of an automaton with the 16-bit table: the top bit is the output mark. */
export const MAX_COMPACT_STATES = 0x7fff;
const COMPACT_OUTPUT_BIT = 0x8000;

/** A pattern for the matcher: its bytes as written and its case rule. */
export interface MatcherPattern {
  bytes: Uint8Array;
  isNocase: boolean;
}

export class AhoCorasick {
  /** Byte to class, after case folding. */
  readonly classOf: Uint8Array;
  readonly classCount: number;
  readonly stateCount: number;
  /**
   * stateCount * classCount entries of row offsets (see the file comment),
   * or empty when the automaton uses `compactDelta`.
   */
  readonly delta: Int32Array;
  /**
   * The same table with 16-bit state ids, the top bit marking states that
   * end a pattern, for automata of at most MAX_COMPACT_STATES states. It
   * halves the memory of the common small and mid-sized matchers.
   */
  readonly compactDelta: Uint16Array | null;
  /** Pattern ids ending in each state: outputs[outputStart[s] .. outputStart[s+1]). */
  readonly outputStart: Int32Array;
  readonly outputs: Int32Array;
  readonly patterns: readonly MatcherPattern[];
  readonly patternLengths: Int32Array;
  readonly isPatternNocase: Uint8Array;

  constructor(patterns: readonly MatcherPattern[]) {
    this.patterns = patterns;
    this.patternLengths = Int32Array.from(patterns, (p) => p.bytes.length);
    this.isPatternNocase = Uint8Array.from(patterns, (p) => (p.isNocase ? 1 : 0));

    const classOf = new Uint8Array(256);
    let classCount = 1;
    for (const p of patterns) {
      for (const byte of p.bytes) {
        const folded = FOLD_TABLE[byte];
        if (classOf[folded] === 0) classOf[folded] = classCount++;
      }
    }
    for (let b = 0; b < 256; b++) classOf[b] = classOf[FOLD_TABLE[b]];
    this.classOf = classOf;
    this.classCount = classCount;

    // Trie over classes in the transition table itself: an entry is the
    // child state, or -1 until the breadth-first pass below fills it.
    let maxStates = 1;
    for (const p of patterns) maxStates += p.bytes.length;
    const next = new Int32Array(maxStates * classCount).fill(-1);
    const outputsOf: (number[] | null)[] = new Array<number[] | null>(maxStates).fill(null);
    let stateCount = 1;
    patterns.forEach((p, id) => {
      let state = 0;
      for (const byte of p.bytes) {
        const at = state * classCount + classOf[byte];
        if (next[at] < 0) next[at] = stateCount++;
        state = next[at];
      }
      (outputsOf[state] ??= []).push(id);
    });
    this.stateCount = stateCount;

    // Breadth-first: each missing transition takes the one of the failure
    // state, and each state inherits the outputs of its failure state.
    const fail = new Int32Array(stateCount);
    const queue = new Int32Array(stateCount);
    let head = 0;
    let tail = 0;
    for (let c = 0; c < classCount; c++) {
      if (next[c] < 0) next[c] = 0;
      else queue[tail++] = next[c];
    }
    while (head < tail) {
      const u = queue[head++];
      const row = u * classCount;
      const failRow = fail[u] * classCount;
      for (let c = 0; c < classCount; c++) {
        const v = next[row + c];
        if (v < 0) {
          next[row + c] = next[failRow + c];
          continue;
        }
        fail[v] = next[failRow + c];
        const inherited = outputsOf[fail[v]];
        if (inherited !== null) (outputsOf[v] ??= []).push(...inherited);
        queue[tail++] = v;
      }
    }

    // Renumber states in breadth-first order, so the shallow states that
    // most input bytes visit sit together at the top of the table.
    const order = new Int32Array(stateCount);
    order.set(queue.subarray(0, stateCount - 1), 1);
    const renamed = new Int32Array(stateCount);
    for (let i = 0; i < stateCount; i++) renamed[order[i]] = i;

    const outputStart = new Int32Array(stateCount + 1);
    let total = 0;
    for (let s = 0; s < stateCount; s++) {
      outputStart[s] = total;
      total += outputsOf[order[s]]?.length ?? 0;
    }
    outputStart[stateCount] = total;
    const outputs = new Int32Array(total);
    for (let s = 0; s < stateCount; s++) {
      const list = outputsOf[order[s]];
      if (list !== null) outputs.set(list, outputStart[s]);
    }
    this.outputStart = outputStart;
    this.outputs = outputs;

    const isCompact = stateCount <= MAX_COMPACT_STATES;
    const delta = new Int32Array(isCompact ? 0 : stateCount * classCount);
    const compact = isCompact ? new Uint16Array(stateCount * classCount) : null;
    for (let s = 0; s < stateCount; s++) {
      const from = order[s] * classCount;
      for (let c = 0; c < classCount; c++) {
        const target = renamed[next[from + c]];
        const hasOutput = outputStart[target + 1] > outputStart[target];
        if (compact !== null) {
          compact[s * classCount + c] = hasOutput ? target | COMPACT_OUTPUT_BIT : target;
        } else {
          const row = target * classCount;
          delta[s * classCount + c] = hasOutput ? ~row : row;
        }
      }
    }
    this.delta = delta;
    this.compactDelta = compact;
  }

  /**
   * Scans bytes[start, start+length) and appends to `hits` the id of every
   * pattern found, once each. A pattern is skipped when seen[id] already
   * equals `mark`, and seen[id] is set when it is appended. Returns the
   * new hit count, starting from `hitCount`.
   */
  scan(bytes: Uint8Array, start: number, length: number, hits: Int32Array, hitCount: number, seen: Uint32Array, mark: number): number {
    if (this.compactDelta !== null) return this.scanCompact(this.compactDelta, bytes, start, length, hits, hitCount, seen, mark);
    const delta = this.delta;
    const classOf = this.classOf;
    const end = start + length;
    let row = 0;
    let count = hitCount;
    for (let i = start; i < end; i++) {
      let target = delta[row + classOf[bytes[i]]];
      if (target < 0) {
        target = ~target;
        count = this.collect(target / this.classCount, bytes, i, hits, count, seen, mark);
      }
      row = target;
    }
    return count;
  }

  /** The scan loop over the 16-bit table: entries are state ids, plus the output bit. */
  private scanCompact(
    delta: Uint16Array,
    bytes: Uint8Array,
    start: number,
    length: number,
    hits: Int32Array,
    hitCount: number,
    seen: Uint32Array,
    mark: number,
  ): number {
    const classOf = this.classOf;
    const classCount = this.classCount;
    const end = start + length;
    let state = 0;
    let count = hitCount;
    for (let i = start; i < end; i++) {
      state = delta[state * classCount + classOf[bytes[i]]];
      if (state >= COMPACT_OUTPUT_BIT) {
        state -= COMPACT_OUTPUT_BIT;
        count = this.collect(state, bytes, i, hits, count, seen, mark);
      }
    }
    return count;
  }

  private collect(state: number, bytes: Uint8Array, last: number, hits: Int32Array, hitCount: number, seen: Uint32Array, mark: number): number {
    let count = hitCount;
    for (let k = this.outputStart[state]; k < this.outputStart[state + 1]; k++) {
      const id = this.outputs[k];
      if (seen[id] === mark) continue;
      if (this.isPatternNocase[id] === 0 && !this.isExactAt(id, bytes, last)) continue;
      seen[id] = mark;
      hits[count++] = id;
    }
    return count;
  }

  /** Tells whether the case-sensitive pattern `id` ends exactly at bytes[last]. */
  private isExactAt(id: number, bytes: Uint8Array, last: number): boolean {
    const pattern = this.patterns[id].bytes;
    const first = last - pattern.length + 1;
    for (let j = 0; j < pattern.length; j++) {
      if (bytes[first + j] !== pattern[j]) return false;
    }
    return true;
  }

  /** Returns the bytes held by the typed arrays of the automaton. */
  memoryBytes(): number {
    let patternBytes = 0;
    for (const p of this.patterns) patternBytes += p.bytes.length;
    return (
      this.delta.byteLength +
      (this.compactDelta?.byteLength ?? 0) +
      this.outputStart.byteLength +
      this.outputs.byteLength +
      this.classOf.byteLength +
      this.patternLengths.byteLength +
      this.isPatternNocase.byteLength +
      patternBytes
    );
  }
}
