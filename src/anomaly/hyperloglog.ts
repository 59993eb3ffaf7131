/**
 * HyperLogLog distinct counting over 32-bit hashes, many sketches in a bank
 * of typed arrays.
 *
 * A sketch of precision p has m = 2^p one-byte registers. A hash picks its
 * register with its top p bits; the register keeps the largest rank seen,
 * where the rank is the position of the first 1 bit in the remaining
 * 32 - p bits (1 for a leading 1, 33 - p when they are all 0). The raw
 * estimate is alpha_m * m^2 / sum(2^-register). Its standard error is about
 * 1.04 / sqrt(m): 3.3% at p = 10 (1 KiB), 0.8% at p = 14 (16 KiB).
 *
 * Each sketch also keeps sum(2^-register) and its count of zero registers,
 * updated when a register rises, so an estimate costs O(1) and not O(m).
 * The sum stays exact in a double: its terms are powers of two from 2^0 to
 * 2^-33 and at most 2^16 of them add up, which needs 49 of the 53 bits.
 *
 * Registers are allocated lazily, in chunks of SKETCHES_PER_CHUNK sketches,
 * when a sketch of the chunk first gets a value. The detectors size their
 * banks for thousands of hosts (16 MiB for the traffic metrics), and a run
 * that sees a few hosts then neither allocates nor clears the rest.
 */

/** Smallest precision accepted: 16 registers, the smallest m with a fixed alpha constant. */
export const MIN_HLL_PRECISION = 4;
/** Largest precision accepted: 65536 registers (64 KiB a sketch); more buys nothing with 32-bit hashes. */
export const MAX_HLL_PRECISION = 16;

const TWO_POW_32 = 4294967296;
/** Sketches whose registers are allocated together (16 KiB at p = 8, 64 KiB at p = 10). */
const CHUNK_SHIFT = 6;
const SKETCHES_PER_CHUNK = 1 << CHUNK_SHIFT;
const SKETCH_IN_CHUNK_MASK = SKETCHES_PER_CHUNK - 1;

/** 2^-k for every register value k (0..33). */
const INVERSE_POWERS = Float64Array.from({ length: 34 }, (_, k) => Math.pow(2, -k));

/** Throws a RangeError unless `precision` is an integer in MIN_HLL_PRECISION..MAX_HLL_PRECISION. */
export function checkHllPrecision(precision: number): void {
  if (!Number.isInteger(precision) || precision < MIN_HLL_PRECISION || precision > MAX_HLL_PRECISION) {
    throw new RangeError(`HyperLogLog precision ${precision} is invalid (expected an integer ${MIN_HLL_PRECISION}..${MAX_HLL_PRECISION})`);
  }
}

/** Bias constant alpha_m of the raw estimate: fixed values for m = 16, 32, 64, then 0.7213 / (1 + 1.079 / m). */
function alphaFor(registerCount: number): number {
  if (registerCount === 16) return 0.673;
  if (registerCount === 32) return 0.697;
  if (registerCount === 64) return 0.709;
  return 0.7213 / (1 + 1.079 / registerCount);
}

/**
 * `count` HyperLogLog sketches of one precision. Sketches are numbered
 * 0..count-1; `add` is the per-packet call and allocates nothing once the
 * sketch's chunk exists (the first value of a chunk allocates it).
 */
export class HyperLogLogBank {
  readonly precision: number;
  readonly registerCount: number;
  readonly count: number;
  /** Registers by chunk: sketch i at [(i % SKETCHES_PER_CHUNK) * registerCount, ...) of chunk i / SKETCHES_PER_CHUNK; null until used. */
  private readonly chunks: (Uint8Array | null)[];
  /** Bytes of register chunks allocated so far. */
  private allocatedBytes: number;
  /** Per sketch: sum over its registers of 2^-register. */
  private readonly inverseSums: Float64Array;
  /** Per sketch: registers still 0. */
  private readonly zeroCounts: Uint32Array;
  private readonly maxRank: number;
  private readonly alphaMSquared: number;

  constructor(precision: number, count: number) {
    checkHllPrecision(precision);
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`HyperLogLog sketch count ${count} is invalid (expected a positive integer)`);
    }
    this.precision = precision;
    this.registerCount = 1 << precision;
    this.count = count;
    this.chunks = new Array<Uint8Array | null>(Math.ceil(count / SKETCHES_PER_CHUNK)).fill(null);
    this.allocatedBytes = 0;
    this.inverseSums = new Float64Array(count).fill(this.registerCount);
    this.zeroCounts = new Uint32Array(count).fill(this.registerCount);
    this.maxRank = 32 - precision + 1;
    this.alphaMSquared = alphaFor(this.registerCount) * this.registerCount * this.registerCount;
  }

  /** Adds a 32-bit hash to sketch `sketch`. The hash must be well mixed (sampler.ts mix32). */
  add(sketch: number, hash: number): void {
    const index = hash >>> (32 - this.precision);
    const rest = (hash << this.precision) >>> 0;
    let rank = Math.clz32(rest) + 1;
    if (rank > this.maxRank) rank = this.maxRank;

    const registers = this.chunks[sketch >>> CHUNK_SHIFT] ?? this.allocateChunk(sketch);
    const at = (sketch & SKETCH_IN_CHUNK_MASK) * this.registerCount + index;
    const old = registers[at];
    if (rank <= old) return;
    registers[at] = rank;
    this.inverseSums[sketch] += INVERSE_POWERS[rank] - INVERSE_POWERS[old];
    if (old === 0) this.zeroCounts[sketch]--;
  }

  /**
   * Estimates the distinct hashes added to sketch `sketch`. Below 2.5 m with
   * empty registers left, linear counting m * ln(m / zeros) replaces the raw
   * estimate (small-range correction). Above 2^32 / 30 the raw estimate is
   * corrected for collisions of 32-bit hashes: -2^32 * ln(1 - E / 2^32).
   */
  estimate(sketch: number): number {
    const m = this.registerCount;
    const raw = this.alphaMSquared / this.inverseSums[sketch];
    const zeros = this.zeroCounts[sketch];
    if (raw <= 2.5 * m) {
      return zeros > 0 ? m * Math.log(m / zeros) : raw;
    }
    if (raw > TWO_POW_32 / 30) return -TWO_POW_32 * Math.log(1 - raw / TWO_POW_32);
    return raw;
  }

  /**
   * Empties sketch `sketch`. A sketch with every register still 0 is
   * already empty and is left alone: registers only grow between clears,
   * so its sums are the cleared values. The detectors clear many such
   * sketches (new rows, idle windows), and skipping them saves a fill.
   */
  clear(sketch: number): void {
    if (this.zeroCounts[sketch] === this.registerCount) return;
    const registers = this.chunks[sketch >>> CHUNK_SHIFT] as Uint8Array;
    const start = (sketch & SKETCH_IN_CHUNK_MASK) * this.registerCount;
    registers.fill(0, start, start + this.registerCount);
    this.inverseSums[sketch] = this.registerCount;
    this.zeroCounts[sketch] = this.registerCount;
  }

  /**
   * Merges sketch `sourceSketch` of `source` into sketch `sketch` (register
   * by register maximum): the result counts the union of both inputs.
   * Throws a RangeError when the precisions differ.
   */
  merge(sketch: number, source: HyperLogLogBank, sourceSketch: number): void {
    if (source.precision !== this.precision) {
      throw new RangeError(`cannot merge HyperLogLog sketches of precision ${source.precision} into ${this.precision} (they must be equal)`);
    }
    const m = this.registerCount;
    if (source.zeroCounts[sourceSketch] === m) return;
    const sourceRegisters = source.chunks[sourceSketch >>> CHUNK_SHIFT] as Uint8Array;
    const registers = this.chunks[sketch >>> CHUNK_SHIFT] ?? this.allocateChunk(sketch);
    const base = (sketch & SKETCH_IN_CHUNK_MASK) * m;
    const sourceBase = (sourceSketch & SKETCH_IN_CHUNK_MASK) * m;
    for (let i = 0; i < m; i++) {
      const incoming = sourceRegisters[sourceBase + i];
      const old = registers[base + i];
      if (incoming <= old) continue;
      registers[base + i] = incoming;
      this.inverseSums[sketch] += INVERSE_POWERS[incoming] - INVERSE_POWERS[old];
      if (old === 0) this.zeroCounts[sketch]--;
    }
  }

  /** Returns a view of sketch `sketch`'s registers (for storage and tests); allocates its chunk when needed. */
  registersOf(sketch: number): Uint8Array {
    const registers = this.chunks[sketch >>> CHUNK_SHIFT] ?? this.allocateChunk(sketch);
    const start = (sketch & SKETCH_IN_CHUNK_MASK) * this.registerCount;
    return registers.subarray(start, start + this.registerCount);
  }

  /** Returns the bytes of registers allocated so far; the bank's most is count * registerCount. */
  registerBytes(): number {
    return this.allocatedBytes;
  }

  /** Allocates the chunk of sketch `sketch`, zeroed, and returns it. */
  private allocateChunk(sketch: number): Uint8Array {
    const chunk = sketch >>> CHUNK_SHIFT;
    const sketches = Math.min(SKETCHES_PER_CHUNK, this.count - chunk * SKETCHES_PER_CHUNK);
    const registers = new Uint8Array(sketches * this.registerCount);
    this.chunks[chunk] = registers;
    this.allocatedBytes += registers.byteLength;
    return registers;
  }
}

/** One HyperLogLog sketch: a bank of one, for callers that count a single set. */
export class HyperLogLog {
  readonly bank: HyperLogLogBank;

  constructor(precision: number) {
    this.bank = new HyperLogLogBank(precision, 1);
  }

  /** Adds a well-mixed 32-bit hash. */
  add(hash: number): void {
    this.bank.add(0, hash);
  }

  /** Estimates the distinct hashes added so far. */
  estimate(): number {
    return this.bank.estimate(0);
  }

  /** Merges `other` into this sketch; the precisions must be equal. */
  merge(other: HyperLogLog): void {
    this.bank.merge(0, other.bank, 0);
  }

  /** Empties the sketch. */
  clear(): void {
    this.bank.clear(0);
  }
}
