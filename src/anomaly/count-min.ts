/**
 * Count-Min sketch over 32-bit keys: d rows of w counters, one hash per
 * row. Adding a weight adds it to one
 * counter per row; the estimate is the smallest of those d counters.
 * With N the total weight, the estimate is never below the true weight and,
 * with probability at least 1 - e^-d, at most true + (e / w) * N.
 *
 * Use it to ask "how much did this key send?" for any key, including keys
 * that Space-Saving dropped; it cannot list the heavy keys by itself.
 */
import { mix32 } from './sampler.js';

/** Largest width times depth accepted (counters of 8 bytes each: 128 MiB). */
export const MAX_COUNT_MIN_COUNTERS = 1 << 24;

/** A Count-Min sketch; `add` is the per-packet call and allocates nothing. */
export class CountMinSketch {
  readonly width: number;
  readonly depth: number;
  /** Total weight added. */
  total: number;
  private readonly counters: Float64Array;
  private readonly seeds: Uint32Array;

  /** Creates a sketch with `width` counters in each of `depth` rows; `seed` picks the row hashes. */
  constructor(width: number, depth: number, seed: number) {
    if (!Number.isInteger(width) || !Number.isInteger(depth) || width < 1 || depth < 1 || width * depth > MAX_COUNT_MIN_COUNTERS) {
      throw new RangeError(`Count-Min size ${width} x ${depth} is invalid (expected positive integers with a product up to ${MAX_COUNT_MIN_COUNTERS})`);
    }
    this.width = width;
    this.depth = depth;
    this.total = 0;
    this.counters = new Float64Array(width * depth);
    this.seeds = new Uint32Array(depth);
    for (let row = 0; row < depth; row++) this.seeds[row] = mix32((seed + Math.imul(row + 1, 0x9e3779b9)) >>> 0);
  }

  /** Sizes a sketch for an overcount of at most `epsilon * N` with probability 1 - `delta`: w = ceil(e / epsilon), d = ceil(ln(1 / delta)). */
  static forError(epsilon: number, delta: number, seed: number): CountMinSketch {
    return new CountMinSketch(Math.ceil(Math.E / epsilon), Math.ceil(Math.log(1 / delta)), seed);
  }

  /** Adds `weight` to `key`. */
  add(key: number, weight: number): void {
    this.total += weight;
    for (let row = 0; row < this.depth; row++) {
      this.counters[row * this.width + this.columnOf(key, row)] += weight;
    }
  }

  /** Estimates the weight of `key`: never less than the truth. */
  estimate(key: number): number {
    let smallest = Infinity;
    for (let row = 0; row < this.depth; row++) {
      const value = this.counters[row * this.width + this.columnOf(key, row)];
      if (value < smallest) smallest = value;
    }
    return smallest;
  }

  /** Sets every counter to 0. */
  clear(): void {
    this.counters.fill(0);
    this.total = 0;
  }

  private columnOf(key: number, row: number): number {
    return mix32((key ^ this.seeds[row]) >>> 0) % this.width;
  }
}
