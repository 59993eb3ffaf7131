/**
 * Prefilter of transaction signatures for one app-layer protocol and one
 * direction. Each buffer gets a multi-pattern matcher over the fast
 * patterns of the signatures that can match in that direction. Signatures
 * without a usable fast pattern are always candidates. A signature whose
 * fast pattern is absent from every instance of its buffer cannot match
 * the transaction, so it is not evaluated.
 */
import { buildBufferPrefilter, type BufferPrefilter, type MatcherCache, type PrefilterEntry } from './prefilter.js';
import type { FastPattern } from './fast-pattern.js';

/** Input of the prefilter build: one transaction signature, by its position in the protocol's list. */
export interface TxPrefilterInput {
  /** Position in the protocol's signature list (evaluation order). */
  position: number;
  /** Directions the signature can match in: bit (1 << Direction). */
  directions: number;
  fastPattern: FastPattern | null;
}

/** The prefilter of one protocol and direction. */
export class TxPrefilter {
  /** One prefilter per buffer; its signature numbers are positions in the protocol's list. */
  readonly buffers: readonly BufferPrefilter[];
  /** Positions of the signatures without fast pattern, ascending. */
  readonly always: Int32Array;
  /** Number of signatures that can match in this direction. */
  readonly size: number;
  /** Per buffer: the longest pattern length minus one, the bytes a rescan of grown data must repeat. */
  readonly overlaps: Int32Array;
  /** Per buffer: a number unique among the owner's prefilters, which its callers assign to key saved scans. */
  readonly slots: Int32Array;

  constructor(buffers: readonly BufferPrefilter[], always: Int32Array, size: number) {
    this.buffers = buffers;
    this.always = always;
    this.size = size;
    this.overlaps = Int32Array.from(buffers, (b) => Math.max(0, ...b.matcher.patternLengths) - 1);
    this.slots = new Int32Array(buffers.length);
  }
}

/** Groups fast-pattern entries of the signatures that match in `direction` by buffer. */
function entriesByBuffer(inputs: readonly TxPrefilterInput[], direction: number): Map<string, PrefilterEntry[]> {
  const byBuffer = new Map<string, PrefilterEntry[]>();
  for (const input of inputs) {
    if ((input.directions & (1 << direction)) === 0 || input.fastPattern === null) continue;
    let list = byBuffer.get(input.fastPattern.buffer);
    if (list === undefined) {
      list = [];
      byBuffer.set(input.fastPattern.buffer, list);
    }
    list.push({ sigIndex: input.position, fastPattern: input.fastPattern });
  }
  return byBuffer;
}

/**
 * Builds the prefilters of one protocol for both directions (index
 * Direction.TO_SERVER and Direction.TO_CLIENT). Matchers come from
 * `cache`, so that directions with nearly the same patterns share one.
 */
export function buildTxPrefilters(inputs: readonly TxPrefilterInput[], cache: MatcherCache): TxPrefilter[] {
  const grouped = [entriesByBuffer(inputs, 0), entriesByBuffer(inputs, 1)];
  const result: TxPrefilter[] = [];
  for (let direction = 0; direction < 2; direction++) {
    const own = grouped[direction] as Map<string, PrefilterEntry[]>;
    const other = grouped[1 - direction] as Map<string, PrefilterEntry[]>;
    const buffers: BufferPrefilter[] = [];
    for (const buffer of [...own.keys()].sort()) {
      buffers.push(buildBufferPrefilter(buffer, own.get(buffer) as PrefilterEntry[], cache, other.get(buffer) ?? []));
    }
    const always: number[] = [];
    let size = 0;
    for (const input of inputs) {
      if ((input.directions & (1 << direction)) === 0) continue;
      size++;
      if (input.fastPattern === null) always.push(input.position);
    }
    always.sort((a, b) => a - b);
    result.push(new TxPrefilter(buffers, Int32Array.from(always), size));
  }
  return result;
}

/** Sorts list[0, count) ascending in place. */
export function sortPositions(list: Int32Array, count: number): void {
  if (count > 48) {
    list.subarray(0, count).sort();
    return;
  }
  for (let i = 1; i < count; i++) {
    const v = list[i] as number;
    let j = i - 1;
    while (j >= 0 && (list[j] as number) > v) {
      list[j + 1] = list[j] as number;
      j--;
    }
    list[j + 1] = v;
  }
}
