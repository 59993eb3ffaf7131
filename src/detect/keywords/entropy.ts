/**
 * `entropy:[bytes <n>,][offset <n>,]value <op><x>` (Suricata 8): computes
 * the Shannon entropy, in bits per byte (0.0 to 8.0), of `bytes` bytes
 * from `offset` of the current buffer (all the rest when `bytes` is 0 or
 * absent) and compares it with x. The operators are =, !=, <, <=, >, >=,
 * the exclusive range x-y and its negation !x-y.
 * Suricata: rules/payload-keywords.html#entropy.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, type InspectContext, type PayloadMatch } from '../inspect-context.js';
import { TRANSFORM_NAME_SEPARATOR } from '../transforms.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';

/** Comparisons of the entropy value. */
export const EntropyOperator = { EQ: 0, NE: 1, LT: 2, LE: 3, GT: 4, GE: 5, RANGE: 6, NOT_RANGE: 7 } as const;

/** Largest `bytes` or `offset`: Suricata reads both as unsigned 32-bit numbers. */
export const MAX_ENTROPY_BYTES = 0xffffffff;

/** Largest Shannon entropy of bytes, log2(256). */
export const MAX_ENTROPY_BITS = 8;

export class EntropyMatch implements PayloadMatch {
  readonly keyword = 'entropy';
  readonly kind = MatchKind.ENTROPY;
  readonly isRelative = false;
  /** Bytes to measure, 0 for the rest of the buffer. */
  readonly bytes: number;
  readonly offset: number;
  readonly operator: number;
  /** The value compared with, or the low end of a range. */
  readonly value: number;
  /** The high end of a range, or `value` for a comparison. */
  readonly high: number;
  /** Key of the measured value in Flow.entropyByBuffer: the buffer name with dots as underscores. */
  readonly bufferKey: string;

  constructor(bytes: number, offset: number, operator: number, value: number, high: number, bufferKey: string) {
    this.bufferKey = bufferKey;
    this.bytes = bytes;
    this.offset = offset;
    this.operator = operator;
    this.value = value;
    this.high = high;
  }
}

/** Byte counts of the buffer being measured, reused between calls. */
const COUNTS = new Uint32Array(256);

/** Computes the Shannon entropy of bytes[start, start + length) in bits per byte, or 0 for no bytes. */
export function shannonEntropy(bytes: Uint8Array, start: number, length: number): number {
  if (length <= 0) return 0;
  COUNTS.fill(0);
  const end = start + length;
  for (let i = start; i < end; i++) COUNTS[bytes[i] as number]++;
  let entropy = 0;
  for (let c = 0; c < 256; c++) {
    const count = COUNTS[c] as number;
    if (count === 0) continue;
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * Measures the keyword's part of the buffer, records the value on the
 * flow being inspected and returns whether it passes the comparison.
 */
export function matchEntropy(m: EntropyMatch, bytes: Uint8Array, start: number, length: number, ctx: InspectContext): boolean {
  // NOTE: an offset or byte count past the buffer end fails the match here.
  // Suricata's documentation does not say what it does then.
  if (m.offset >= length) return false;
  let count = length - m.offset;
  if (m.bytes > 0) {
    if (m.bytes > count) return false;
    count = m.bytes;
  }
  const entropy = shannonEntropy(bytes, start + m.offset, count);
  const flow = ctx.flow;
  if (flow !== null) {
    if (flow.entropyByBuffer === null) flow.entropyByBuffer = new Map();
    flow.entropyByBuffer.set(m.bufferKey, entropy);
  }
  switch (m.operator) {
    case EntropyOperator.EQ: return entropy === m.value;
    case EntropyOperator.NE: return entropy !== m.value;
    case EntropyOperator.LT: return entropy < m.value;
    case EntropyOperator.LE: return entropy <= m.value;
    case EntropyOperator.GT: return entropy > m.value;
    case EntropyOperator.GE: return entropy >= m.value;
    case EntropyOperator.RANGE: return entropy > m.value && entropy < m.high;
    default: return entropy <= m.value || entropy >= m.high;
  }
}

const OPERATORS: Readonly<Record<string, number>> = {
  '': EntropyOperator.EQ,
  '=': EntropyOperator.EQ,
  '!=': EntropyOperator.NE,
  '<': EntropyOperator.LT,
  '<=': EntropyOperator.LE,
  '>': EntropyOperator.GT,
  '>=': EntropyOperator.GE,
};

const NUMBER = '(\\d+(?:\\.\\d+)?|\\.\\d+)';
const COMPARISON = new RegExp(`^(!=|<=|>=|<|>|=)?\\s*${NUMBER}$`);
const RANGE = new RegExp(`^(!)?\\s*${NUMBER}\\s*-\\s*${NUMBER}$`);

/** Options of `entropy`, or the problem with them. */
export function parseEntropy(value: string): { bytes: number; offset: number; operator: number; value: number; high: number } | string {
  const options = { bytes: 0, offset: 0, operator: -1, value: 0, high: 0 };
  const seen = new Set<string>();
  for (const rawPart of value.split(',')) {
    const part = rawPart.trim();
    const space = part.search(/\s/);
    const name = space < 0 ? part : part.slice(0, space);
    const arg = space < 0 ? '' : part.slice(space).trim();
    if (seen.has(name)) return `option '${name}' is given more than once`;
    seen.add(name);
    if (name === 'bytes' || name === 'offset') {
      if (!/^\d+$/.test(arg)) return `${name} '${arg}' is not a number`;
      const n = Number(arg);
      if (n > MAX_ENTROPY_BYTES) return `${name} '${arg}' is above the maximum ${MAX_ENTROPY_BYTES}`;
      options[name] = n;
    } else if (name === 'value') {
      const range = RANGE.exec(arg);
      const comparison = range === null ? COMPARISON.exec(arg) : null;
      if (range !== null) {
        options.operator = range[1] === '!' ? EntropyOperator.NOT_RANGE : EntropyOperator.RANGE;
        options.value = Number(range[2]);
        options.high = Number(range[3]);
        if (options.value >= options.high) return `range '${arg}' must have its low end below its high end`;
      } else if (comparison !== null) {
        options.operator = OPERATORS[comparison[1] ?? ''] as number;
        options.value = Number(comparison[2]);
        options.high = options.value;
      } else {
        return `value '${arg}' is invalid (expected [op]<x> with op one of = != < <= > >=, or [!]<x>-<y>)`;
      }
      if (options.high > MAX_ENTROPY_BITS) return `value '${arg}' is above the maximum entropy ${MAX_ENTROPY_BITS}`;
    } else {
      return `'${part}' is not an option (expected bytes <n>, offset <n> or value <op><x>)`;
    }
  }
  if (options.operator < 0) return `'value' is missing (expected value <op><x>)`;
  return options;
}

function setupEntropy(b: SignatureBuilder, value: string): void {
  const options = parseEntropy(value);
  if (typeof options === 'string') {
    b.error(ErrorCode.RULE_BAD_VALUE, options);
    return;
  }
  // NOTE: a transformed buffer records under the name of its source buffer.
  // Suricata's documentation does not say which name it uses there.
  const source = b.currentBuffer.split(TRANSFORM_NAME_SEPARATOR)[0] as string;
  const key = source.replace(/\./g, '_');
  b.currentMatches().push(new EntropyMatch(options.bytes, options.offset, options.operator, options.value, options.high, key));
}

export const entropyKeyword: KeywordDef = {
  name: 'entropy',
  description: 'compare the Shannon entropy of the buffer with a value (Suricata 8)',
  docsAnchor: 'payload-keywords.html#entropy',
  value: 'required',
  setup: setupEntropy,
};
