/**
 * Decoder for the LZMA "alone" format (a 13-byte header, then one LZMA
 * stream), the format HTTP servers send as Content-Encoding: lzma.
 * node:zlib has no LZMA, so this is a small decoder written from the
 * format description: a range decoder with adaptive bit probabilities,
 * literals, matches and the four repeated distances.
 *
 * The decoder works on the whole input at once and returns what it could
 * decode. A stream cut short returns the bytes of every symbol that was
 * whole; bytes past the end are never guessed. Runs per body step, not
 * per packet.
 */

/** Length of the header: properties byte, dictionary size, uncompressed size. */
export const LZMA_HEADER_BYTES = 13;

const PROB_INIT = 1024;
const STATES = 12;
const POS_STATES_MAX = 16;
const LEN_LOW_SYMBOLS = 8;
const LEN_MID_SYMBOLS = 8;
const LEN_HIGH_SYMBOLS = 256;
const MATCH_LEN_MIN = 2;
const END_POS_MODEL_INDEX = 14;
const FULL_DISTANCES = 128;
const ALIGN_BITS = 4;

/** Returns the state after a literal: 0 from states 0 to 3, else 3 or 6 lower. */
function stateAfterLiteral(state: number): number {
  if (state < 4) return 0;
  if (state < 10) return state - 3;
  return state - 6;
}

/** Raised when the data is not a valid LZMA stream. */
export class LzmaError extends Error {}

/**
 * Decodes an LZMA "alone" body. Returns the decoded bytes, or throws
 * LzmaError on invalid data and RangeError when the output would pass
 * `maxOutputBytes`.
 */
export function lzmaDecode(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (data.length < LZMA_HEADER_BYTES) return new Uint8Array(0);
  const decoder = new LzmaStream(data, maxOutputBytes);
  return decoder.run();
}

/** Adaptive length decoder: choice bits, then a low, mid or high bit tree. */
class LengthModel {
  readonly choice = new Uint16Array(2).fill(PROB_INIT);
  readonly low = new Uint16Array(POS_STATES_MAX * LEN_LOW_SYMBOLS).fill(PROB_INIT);
  readonly mid = new Uint16Array(POS_STATES_MAX * LEN_MID_SYMBOLS).fill(PROB_INIT);
  readonly high = new Uint16Array(LEN_HIGH_SYMBOLS).fill(PROB_INIT);
}

class LzmaStream {
  private readonly input: Uint8Array;
  private readonly maxOutput: number;
  private inputAt: number;
  /** True once the range decoder read past the end of the input. */
  private isPastEnd: boolean;
  private range: number;
  private code: number;
  private out: Uint8Array;
  private outLength: number;

  private readonly lc: number;
  private readonly lp: number;
  private readonly pb: number;
  private readonly literal: Uint16Array;
  private readonly isMatch = new Uint16Array(STATES * POS_STATES_MAX).fill(PROB_INIT);
  private readonly isRep = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRepG0 = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRepG1 = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRepG2 = new Uint16Array(STATES).fill(PROB_INIT);
  private readonly isRep0Long = new Uint16Array(STATES * POS_STATES_MAX).fill(PROB_INIT);
  private readonly posSlot = new Uint16Array(4 << 6).fill(PROB_INIT);
  private readonly posSpecial = new Uint16Array(1 + FULL_DISTANCES - END_POS_MODEL_INDEX).fill(PROB_INIT);
  private readonly align = new Uint16Array(1 << ALIGN_BITS).fill(PROB_INIT);
  private readonly matchLength = new LengthModel();
  private readonly repLength = new LengthModel();

  constructor(data: Uint8Array, maxOutput: number) {
    let props = data[0];
    if (props >= 9 * 5 * 5) throw new LzmaError(`invalid LZMA properties byte ${props}`);
    this.lc = props % 9;
    props = Math.floor(props / 9);
    this.lp = props % 5;
    this.pb = Math.floor(props / 5);
    this.literal = new Uint16Array(0x300 << (this.lc + this.lp)).fill(PROB_INIT);
    this.input = data;
    this.maxOutput = maxOutput;
    this.inputAt = LZMA_HEADER_BYTES;
    this.isPastEnd = false;
    this.range = 0xffffffff;
    this.code = 0;
    this.out = new Uint8Array(Math.min(Math.max(1024, data.length * 4), maxOutput + 1));
    this.outLength = 0;
  }

  run(): Uint8Array {
    if (this.nextByte() !== 0) throw new LzmaError('invalid LZMA range coder start');
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.nextByte()) >>> 0;
    if (this.isPastEnd) return new Uint8Array(0);

    let state = 0;
    let rep0 = 0;
    let rep1 = 0;
    let rep2 = 0;
    let rep3 = 0;
    const pbMask = (1 << this.pb) - 1;
    let validLength = 0;
    while (!this.isPastEnd) {
      validLength = this.outLength;
      const posState = this.outLength & pbMask;
      if (this.bit(this.isMatch, (state << 4) + posState) === 0) {
        this.decodeLiteral(state, rep0);
        state = stateAfterLiteral(state);
        continue;
      }
      let length: number;
      if (this.bit(this.isRep, state) === 0) {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        length = this.decodeLength(this.matchLength, posState);
        state = state < 7 ? 7 : 10;
        rep0 = this.decodeDistance(length);
        // The end marker: the largest distance.
        if (rep0 === 0xffffffff) break;
      } else {
        if (this.bit(this.isRepG0, state) === 0) {
          if (this.bit(this.isRep0Long, (state << 4) + posState) === 0) {
            state = state < 7 ? 9 : 11;
            this.copyMatch(rep0, 1);
            continue;
          }
        } else {
          let distance: number;
          if (this.bit(this.isRepG1, state) === 0) {
            distance = rep1;
          } else {
            if (this.bit(this.isRepG2, state) === 0) {
              distance = rep2;
            } else {
              distance = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = distance;
        }
        length = this.decodeLength(this.repLength, posState);
        state = state < 7 ? 8 : 11;
      }
      this.copyMatch(rep0, length + MATCH_LEN_MIN);
    }
    if (!this.isPastEnd) validLength = this.outLength;
    return this.out.slice(0, validLength);
  }

  private nextByte(): number {
    if (this.inputAt < this.input.length) return this.input[this.inputAt++];
    this.isPastEnd = true;
    return 0;
  }

  private normalize(): void {
    if (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.nextByte()) >>> 0;
    }
  }

  /** Decodes one bit with the adaptive probability probs[index]. */
  private bit(probs: Uint16Array, index: number): number {
    const p = probs[index];
    const bound = (this.range >>> 11) * p;
    let result: number;
    if (this.code < bound) {
      this.range = bound;
      probs[index] = p + ((2048 - p) >>> 5);
      result = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[index] = p - (p >>> 5);
      result = 1;
    }
    this.normalize();
    return result;
  }

  /** Decodes `count` bits of fixed probability one half, high bit first. */
  private directBits(count: number): number {
    let result = 0;
    for (let i = 0; i < count; i++) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      result = ((result << 1) | b) >>> 0;
      this.normalize();
    }
    return result;
  }

  private bitTree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, base + m);
    return m - (1 << bits);
  }

  private reverseBitTree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) + b;
      symbol |= b << i;
    }
    return symbol;
  }

  private decodeLiteral(state: number, rep0: number): void {
    const previous = this.outLength > 0 ? this.out[this.outLength - 1] : 0;
    const litState = ((this.outLength & ((1 << this.lp) - 1)) << this.lc) + (previous >>> (8 - this.lc));
    const base = litState * 0x300;
    let symbol = 1;
    if (state >= 7) {
      // After a match, the byte at the last distance guides the first bits.
      let matchByte = this.byteBack(rep0);
      while (symbol < 0x100) {
        const matchBit = (matchByte >>> 7) & 1;
        matchByte = (matchByte << 1) & 0xff;
        const b = this.bit(this.literal, base + ((1 + matchBit) << 8) + symbol);
        symbol = (symbol << 1) | b;
        if (matchBit !== b) break;
      }
    }
    while (symbol < 0x100) symbol = (symbol << 1) | this.bit(this.literal, base + symbol);
    this.put(symbol - 0x100);
  }

  private decodeLength(model: LengthModel, posState: number): number {
    if (this.bit(model.choice, 0) === 0) return this.bitTree(model.low, posState * LEN_LOW_SYMBOLS, 3);
    if (this.bit(model.choice, 1) === 0) return LEN_LOW_SYMBOLS + this.bitTree(model.mid, posState * LEN_MID_SYMBOLS, 3);
    return LEN_LOW_SYMBOLS + LEN_MID_SYMBOLS + this.bitTree(model.high, 0, 8);
  }

  private decodeDistance(length: number): number {
    const lenState = length < 3 ? length : 3;
    const slot = this.bitTree(this.posSlot, lenState << 6, 6);
    if (slot < 4) return slot;
    const directCount = (slot >>> 1) - 1;
    let distance = ((2 | (slot & 1)) << directCount) >>> 0;
    if (slot < END_POS_MODEL_INDEX) {
      return (distance + this.reverseBitTree(this.posSpecial, distance - slot, directCount)) >>> 0;
    }
    distance = (distance + ((this.directBits(directCount - ALIGN_BITS) << ALIGN_BITS) >>> 0)) >>> 0;
    return (distance + this.reverseBitTree(this.align, 0, ALIGN_BITS)) >>> 0;
  }

  private byteBack(distance: number): number {
    const at = this.outLength - distance - 1;
    if (at < 0) throw new LzmaError(`invalid LZMA distance ${distance}: before the start of the data`);
    return this.out[at];
  }

  private copyMatch(distance: number, length: number): void {
    if (this.isPastEnd) return;
    if (distance >= this.outLength) throw new LzmaError(`invalid LZMA distance ${distance}: before the start of the data`);
    for (let i = 0; i < length; i++) this.put(this.out[this.outLength - distance - 1]);
  }

  private put(byte: number): void {
    if (this.outLength >= this.maxOutput + 1) throw new RangeError(`LZMA output passed the limit of ${this.maxOutput} bytes`);
    if (this.outLength === this.out.length) {
      const grown = new Uint8Array(Math.min(this.out.length * 2, this.maxOutput + 1));
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.outLength++] = byte;
  }
}
