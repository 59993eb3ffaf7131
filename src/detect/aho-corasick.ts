/**
 * Multi-pattern matcher: an Aho-Corasick automaton in typed arrays. Input
 * bytes are case-folded (ASCII) and mapped to byte classes: one class per
 * distinct folded byte of the patterns, and class 0 for every other byte.
 * A row of the transition table therefore has one entry per distinct
 * pattern byte, not 256.
 *
 * States are numbered breadth-first, so the children of a state have
 * consecutive ids and the shallow states that most input bytes visit come
 * first. The first `denseCount` states have a full DFA row each. Deeper
 * states keep only their trie children and a failure link. Most of them
 * have a single child, and a full row for each would cost classCount
 * entries, which for tens of thousands of patterns means hundreds of
 * megabytes. A byte read in a deep state costs a short search of its
 * children, and following failure links only ever leads to shallower
 * states, ending in a dense one.
 *
 * Table entries are 16-bit: the top bit marks a next state that ends a
 * pattern, and the low 15 bits hold its id, or FAR_TARGET when the id
 * does not fit. Such a transition is then resolved from the trie children
 * and failure links, which is rare because dense states are shallow and
 * so are most of their targets. Half-width entries keep twice as many
 * rows in the processor's caches as 32-bit ones. Case-sensitive patterns
 * are checked byte for byte at each hit.
 */
import { FOLD_TABLE } from './keywords/content.js';

/** Maximum number of states whose ids all fit a table entry (ids 0 to 0x7ffe). */
export const MAX_COMPACT_STATES = 0x7fff;
const OUTPUT_BIT = 0x8000;
/** Entry value (low 15 bits) of a target whose id does not fit. */
const FAR_TARGET = 0x7fff;

/**
 * Default budget of dense table entries per automaton (4 MiB). With 200
 * to 250 byte classes, as in Emerging Threats Open, this covers the root
 * and about 9,000 shallow states.
 */
export const DEFAULT_MAX_DENSE_ENTRIES = 1 << 21;

/** A pattern for the matcher: its bytes as written and its case rule. */
export interface MatcherPattern {
  bytes: Uint8Array;
  isNocase: boolean;
}

export interface AhoCorasickOptions {
  /** Maximum entries of the dense table; states beyond it are searched by their children. */
  maxDenseEntries?: number;
}

export class AhoCorasick {
  /** Byte to class, after case folding. */
  readonly classOf: Uint8Array;
  readonly classCount: number;
  readonly stateCount: number;
  /** States 0 .. denseCount-1 have a row in the dense table. */
  readonly denseCount: number;
  /** denseCount * classCount entries: the next state and its output bit (see the file comment). */
  readonly delta: Uint16Array;
  /** True when every state is dense and every id fits an entry: the scan needs no other path. */
  readonly isCompact: boolean;
  /** Trie children of state s: the states childStart[s] .. childStart[s+1]-1. */
  readonly childStart: Int32Array;
  /** Byte class of the trie edge that enters each state. */
  readonly label: Uint8Array;
  /** Failure link of each state: the state of its longest proper suffix in the trie. */
  readonly fail: Int32Array;
  /** 1 for states where at least one pattern ends (their own or a suffix's). */
  readonly hasOutput: Uint8Array;
  /** Pattern ids ending exactly at each state: outputs[outputStart[s] .. outputStart[s+1]). */
  readonly outputStart: Int32Array;
  readonly outputs: Int32Array;
  /** Nearest state on the failure chain with patterns of its own, or -1. */
  readonly outputLink: Int32Array;
  readonly patterns: readonly MatcherPattern[];
  readonly patternLengths: Int32Array;
  readonly isPatternNocase: Uint8Array;

  constructor(patterns: readonly MatcherPattern[], options: AhoCorasickOptions = {}) {
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

    const trie = buildTrie(patterns, classOf, classCount);
    const stateCount = trie.stateCount;
    this.stateCount = stateCount;

    // Breadth-first numbering: the children of each state get consecutive ids.
    const order = new Int32Array(stateCount);
    const childStart = new Int32Array(stateCount + 1);
    let tail = 1;
    for (let head = 0; head < stateCount; head++) {
      childStart[head] = tail;
      for (let child = trie.firstChild[order[head]]; child >= 0; child = trie.sibling[child]) order[tail++] = child;
    }
    childStart[stateCount] = stateCount;
    const label = new Uint8Array(stateCount);
    const outputStart = new Int32Array(stateCount + 1);
    const outputList: number[] = [];
    for (let s = 0; s < stateCount; s++) {
      label[s] = trie.label[order[s]];
      outputStart[s] = outputList.length;
      for (let id = trie.firstOutput[order[s]]; id >= 0; id = trie.nextOutput[id]) outputList.push(id);
    }
    outputStart[stateCount] = outputList.length;
    this.childStart = childStart;
    this.label = label;
    this.outputStart = outputStart;
    this.outputs = Int32Array.from(outputList);

    const maxDense = options.maxDenseEntries ?? DEFAULT_MAX_DENSE_ENTRIES;
    const denseCount = Math.min(stateCount, Math.max(1, Math.floor(maxDense / classCount)));
    this.denseCount = denseCount;
    this.fail = new Int32Array(stateCount);
    this.outputLink = new Int32Array(stateCount).fill(-1);
    this.hasOutput = new Uint8Array(stateCount);
    this.delta = new Uint16Array(denseCount * classCount);
    this.linkStates();
    this.isCompact = denseCount === stateCount && stateCount <= MAX_COMPACT_STATES;
  }

  /**
   * Computes failure and output links breadth-first, and the dense rows:
   * a row starts as a copy of its failure state's row (built earlier,
   * because that state is shallower) with the state's own children on top.
   */
  private linkStates(): void {
    const { classCount, denseCount, childStart, label, fail, outputLink, hasOutput, outputStart } = this;
    // Rows are built with full ids and then narrowed into `delta`.
    const wide = new Int32Array(denseCount * classCount);
    for (let u = 0; u < this.stateCount; u++) {
      for (let v = childStart[u]; v < childStart[u + 1]; v++) {
        const f = u === 0 ? 0 : this.step(wide, fail[u], label[v]);
        fail[v] = f;
        outputLink[v] = outputStart[f + 1] > outputStart[f] ? f : outputLink[f];
        hasOutput[v] = outputStart[v + 1] > outputStart[v] || outputLink[v] >= 0 ? 1 : 0;
      }
      if (u >= denseCount) continue;
      const row = u * classCount;
      if (u !== 0) wide.copyWithin(row, fail[u] * classCount, fail[u] * classCount + classCount);
      for (let v = childStart[u]; v < childStart[u + 1]; v++) wide[row + label[v]] = v;
    }
    for (let i = 0; i < wide.length; i++) {
      const target = wide[i];
      this.delta[i] = (target < FAR_TARGET ? target : FAR_TARGET) | (hasOutput[target] === 0 ? 0 : OUTPUT_BIT);
    }
  }

  /** Returns the state after reading class c in state s, using the full-id rows built so far. */
  private step(wide: Int32Array, state: number, c: number): number {
    let s = state;
    for (;;) {
      if (s < this.denseCount) return wide[s * this.classCount + c];
      for (let k = this.childStart[s]; k < this.childStart[s + 1]; k++) {
        if (this.label[k] === c) return k;
      }
      s = this.fail[s];
    }
  }

  /**
   * Returns the target of a FAR_TARGET entry of dense state s: the first
   * child labelled c along the failure chain from s. The root's entries
   * are its children, whose ids always fit, so the search ends there.
   */
  private farTarget(state: number, c: number): number {
    let s = state;
    for (;;) {
      for (let k = this.childStart[s]; k < this.childStart[s + 1]; k++) {
        if (this.label[k] === c) return k;
      }
      s = this.fail[s];
      const entry = this.delta[s * this.classCount + c] & FAR_TARGET;
      if (entry !== FAR_TARGET) return entry;
    }
  }

  /**
   * Scans bytes[start, start+length) and appends to `hits` the id of every
   * pattern found, once each. A pattern is skipped when seen[id] already
   * equals `mark`, and seen[id] is set when it is appended. Returns the
   * new hit count, starting from `hitCount`.
   */
  scan(bytes: Uint8Array, start: number, length: number, hits: Int32Array, hitCount: number, seen: Uint32Array, mark: number): number {
    if (this.isCompact) return this.scanCompact(bytes, start, length, hits, hitCount, seen, mark);
    const delta = this.delta;
    const classOf = this.classOf;
    const classCount = this.classCount;
    const denseCount = this.denseCount;
    const childStart = this.childStart;
    const label = this.label;
    const fail = this.fail;
    const hasOutput = this.hasOutput;
    const end = start + length;

    let state = 0;
    let count = hitCount;
    for (let i = start; i < end; i++) {
      const c = classOf[bytes[i]];
      let s = state;
      // The next state, or ~state when a pattern ends there.
      let target = 0;
      for (;;) {
        if (s < denseCount) {
          const entry = delta[s * classCount + c];
          if (entry < FAR_TARGET) {
            target = entry;
            break;
          }
          target = entry & FAR_TARGET;
          if (target === FAR_TARGET) target = this.farTarget(s, c);
          if (entry >= OUTPUT_BIT) target = ~target;
          break;
        }
        let k = childStart[s];
        const last = childStart[s + 1];
        while (k < last && label[k] !== c) k++;
        if (k < last) {
          target = hasOutput[k] === 0 ? k : ~k;
          break;
        }
        s = fail[s];
      }
      if (target < 0) {
        target = ~target;
        count = this.collect(target, bytes, i, hits, count, seen, mark);
      }
      state = target;
    }
    return count;
  }

  /** Scans as `scan` does, for automata whose states are all dense and whose entries are never FAR_TARGET. */
  private scanCompact(bytes: Uint8Array, start: number, length: number, hits: Int32Array, hitCount: number, seen: Uint32Array, mark: number): number {
    const delta = this.delta;
    const classOf = this.classOf;
    const classCount = this.classCount;
    const end = start + length;
    let state = 0;
    let count = hitCount;
    for (let i = start; i < end; i++) {
      state = delta[state * classCount + classOf[bytes[i]]];
      if (state >= OUTPUT_BIT) {
        state -= OUTPUT_BIT;
        count = this.collect(state, bytes, i, hits, count, seen, mark);
      }
    }
    return count;
  }

  /** Appends the patterns ending at bytes[last] in `state`: its own, then those along its output links. */
  private collect(state: number, bytes: Uint8Array, last: number, hits: Int32Array, hitCount: number, seen: Uint32Array, mark: number): number {
    let count = hitCount;
    for (let s = state; s >= 0; s = this.outputLink[s]) {
      for (let k = this.outputStart[s]; k < this.outputStart[s + 1]; k++) {
        const id = this.outputs[k];
        if (seen[id] === mark) continue;
        if (this.isPatternNocase[id] === 0 && !this.isExactAt(id, bytes, last)) continue;
        seen[id] = mark;
        hits[count++] = id;
      }
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
      this.childStart.byteLength +
      this.label.byteLength +
      this.fail.byteLength +
      this.hasOutput.byteLength +
      this.outputStart.byteLength +
      this.outputs.byteLength +
      this.outputLink.byteLength +
      this.classOf.byteLength +
      this.patternLengths.byteLength +
      this.isPatternNocase.byteLength +
      patternBytes
    );
  }
}

/** A trie with child and output lists, before breadth-first numbering. */
interface Trie {
  stateCount: number;
  label: Uint8Array;
  firstChild: Int32Array;
  sibling: Int32Array;
  /** First pattern id ending at each state, -1 for none; further ones via nextOutput. */
  firstOutput: Int32Array;
  nextOutput: Int32Array;
}

function buildTrie(patterns: readonly MatcherPattern[], classOf: Uint8Array, classCount: number): Trie {
  let maxStates = 1;
  for (const p of patterns) maxStates += p.bytes.length;
  const label = new Uint8Array(maxStates);
  const firstChild = new Int32Array(maxStates).fill(-1);
  const sibling = new Int32Array(maxStates).fill(-1);
  const firstOutput = new Int32Array(maxStates).fill(-1);
  const nextOutput = new Int32Array(patterns.length).fill(-1);
  // The root's children are looked up directly, because the root has up to classCount of them.
  const rootChild = new Int32Array(classCount).fill(-1);
  let stateCount = 1;
  for (let id = 0; id < patterns.length; id++) {
    const bytes = patterns[id].bytes;
    let state = 0;
    for (let j = 0; j < bytes.length; j++) {
      const c = classOf[bytes[j]];
      let child = state === 0 ? rootChild[c] : firstChild[state];
      if (state !== 0) while (child >= 0 && label[child] !== c) child = sibling[child];
      if (child < 0) {
        child = stateCount++;
        label[child] = c;
        sibling[child] = firstChild[state];
        firstChild[state] = child;
        if (state === 0) rootChild[c] = child;
      }
      state = child;
    }
    nextOutput[id] = firstOutput[state];
    firstOutput[state] = id;
  }
  return { stateCount, label, firstChild, sibling, firstOutput, nextOutput };
}
