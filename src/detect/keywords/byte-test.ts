/**
 * `byte_test:<bytes>,[!]<op>,<value>,<offset>[,relative][,big|little]
 * [,string,<hex|dec|oct>][,dce][,bitmask <mask>]`: reads a number from the
 * buffer and compares it. Suricata: rules/payload-keywords.html#byte-test.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, type PayloadMatch, type InspectContext } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import {
  applyBitmask, bitmaskShift, chainForKeyword, MAX_BINARY_BYTES, MAX_STRING_BYTES, NumberBase, parseValueOrVariable,
  readBinary, readString, splitOptions, stringRead, parseCNumber,
} from './byte-common.js';

/**
 * Bounds of the byte_test offset: Suricata reads it as a signed 32-bit
 * number (StringParseInt32 in detect-bytetest.c, as of Suricata 7), wider
 * than the 65535 of byte_jump and byte_extract. An offset past the buffer
 * end never matches.
 */
export const MIN_BYTE_TEST_OFFSET = -0x80000000;
export const MAX_BYTE_TEST_OFFSET = 0x7fffffff;

export const ByteTestOperator = { LT: 0, GT: 1, EQ: 2, LE: 3, GE: 4, AND: 5, XOR: 6 } as const;

const OPERATORS: Record<string, number> = {
  '<': ByteTestOperator.LT,
  '>': ByteTestOperator.GT,
  '=': ByteTestOperator.EQ,
  '<=': ByteTestOperator.LE,
  '>=': ByteTestOperator.GE,
  '&': ByteTestOperator.AND,
  '^': ByteTestOperator.XOR,
};

/** Options shared by the byte keywords after their positional arguments. */
export interface ByteReadOptions {
  isRelative: boolean;
  isLittleEndian: boolean;
  /** True when `big` or `little` was written. */
  hasEndian: boolean;
  isString: boolean;
  base: number;
  bitmask: number;
  hasBitmask: boolean;
}

export class ByteTestMatch implements PayloadMatch {
  readonly keyword = 'byte_test';
  readonly kind = MatchKind.BYTE_TEST;
  readonly isRelative: boolean;
  readonly byteCount: number;
  readonly byteCountVar: number;
  readonly operator: number;
  readonly isNegated: boolean;
  readonly value: number;
  readonly valueVar: number;
  readonly offset: number;
  readonly offsetVar: number;
  readonly isLittleEndian: boolean;
  readonly isString: boolean;
  readonly base: number;
  readonly hasBitmask: boolean;
  readonly bitmask: number;
  readonly bitmaskShift: number;

  constructor(fields: Omit<ByteTestMatch, 'keyword' | 'kind' | 'bitmaskShift'>) {
    this.isRelative = fields.isRelative;
    this.byteCount = fields.byteCount;
    this.byteCountVar = fields.byteCountVar;
    this.operator = fields.operator;
    this.isNegated = fields.isNegated;
    this.value = fields.value;
    this.valueVar = fields.valueVar;
    this.offset = fields.offset;
    this.offsetVar = fields.offsetVar;
    this.isLittleEndian = fields.isLittleEndian;
    this.isString = fields.isString;
    this.base = fields.base;
    this.hasBitmask = fields.hasBitmask;
    this.bitmask = fields.bitmask;
    this.bitmaskShift = bitmaskShift(fields.bitmask);
  }
}

/** Tests `a & b` on values up to 2^53, half by half (bitwise operators take 32 bits). */
function hasCommonBits(a: number, b: number): boolean {
  const high = 0x100000000;
  return ((a % high) & (b % high)) !== 0 || ((Math.floor(a / high) & Math.floor(b / high)) !== 0);
}

/** Compares the number at the keyword's position and returns the test result. */
export function matchByteTest(m: ByteTestMatch, bytes: Uint8Array, start: number, length: number, ctx: InspectContext): boolean {
  const vars = ctx.byteVars;
  const offset = m.offsetVar >= 0 ? vars[m.offsetVar] : m.offset;
  const value = m.valueVar >= 0 ? vars[m.valueVar] : m.value;
  const count = m.byteCountVar >= 0 ? vars[m.byteCountVar] : m.byteCount;
  if (length === 0 || count < 0 || count > (m.isString ? MAX_STRING_BYTES : MAX_BINARY_BYTES)) return false;

  const at = m.isRelative ? ctx.bufferOffset + offset : offset;
  const remaining = length - at;
  if (m.isRelative && remaining <= 0) return false;
  if (at < 0 || count > remaining) return false;

  let found: number;
  if (m.isString) {
    readString(bytes, start + at, count === 0 ? remaining : count, m.base);
    if (stringRead.digits === 0) return false;
    found = stringRead.value;
  } else {
    found = readBinary(bytes, start + at, count, m.isLittleEndian);
  }
  if (m.hasBitmask) found = applyBitmask(found, m.bitmask, m.bitmaskShift);

  let isTrue: boolean;
  switch (m.operator) {
    case ByteTestOperator.LT: isTrue = found < value; break;
    case ByteTestOperator.GT: isTrue = found > value; break;
    case ByteTestOperator.EQ: isTrue = found === value; break;
    case ByteTestOperator.LE: isTrue = found <= value; break;
    case ByteTestOperator.GE: isTrue = found >= value; break;
    case ByteTestOperator.AND: isTrue = hasCommonBits(found, value); break;
    default: isTrue = found !== value; break;
  }
  return isTrue !== m.isNegated;
}

/**
 * Parses the flag options shared by the byte keywords, from `parts[from]`
 * on. `allowed` lists the flags the keyword takes beyond the common ones;
 * `extra` receives them. Returns null after reporting a problem.
 */
export function parseByteFlags(
  b: SignatureBuilder,
  keyword: string,
  parts: string[],
  from: number,
  allowed: readonly string[],
  extra: Map<string, string>,
): ByteReadOptions | null {
  const o: ByteReadOptions = { isRelative: false, isLittleEndian: false, hasEndian: false, isString: false, base: NumberBase.AUTO, bitmask: 0, hasBitmask: false };
  let baseSet = false;
  for (let i = from; i < parts.length; i++) {
    const part = parts[i];
    const [word, arg] = splitWord(part);
    const lower = word.toLowerCase();
    if (lower === 'relative') o.isRelative = true;
    else if (lower === 'big' || lower === 'little') {
      o.isLittleEndian = lower === 'little';
      o.hasEndian = true;
    }
    else if (lower === 'string') {
      o.isString = true;
      if (arg !== '') {
        if (!setBase(o, arg)) return badOption(b, keyword, part);
        baseSet = true;
      }
    } else if (lower === 'hex' || lower === 'dec' || lower === 'oct') {
      setBase(o, lower);
      baseSet = true;
    } else if (lower === 'dce') {
      b.error(ErrorCode.RULE_UNSUPPORTED, `${keyword}: 'dce' needs the DCE/RPC parser, which is not supported yet (rule skipped)`);
      return null;
    } else if (lower === 'bitmask') {
      const mask = parseCNumber(arg);
      if (mask === null || mask < 0 || mask > 0xffffffff) {
        b.error(ErrorCode.RULE_BAD_VALUE, `${keyword}: bitmask '${arg}' is invalid (expected a number from 0 to 0xffffffff)`);
        return null;
      }
      o.hasBitmask = true;
      o.bitmask = mask;
    } else if (allowed.includes(lower)) {
      extra.set(lower, arg);
    } else {
      return badOption(b, keyword, part);
    }
  }
  if (baseSet && !o.isString) {
    b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `${keyword}: a number base (hex, dec, oct) needs the 'string' option`);
    return null;
  }
  return o;
}

function badOption(b: SignatureBuilder, keyword: string, part: string): null {
  b.error(ErrorCode.RULE_BAD_VALUE, `${keyword}: unknown option '${part}'`);
  return null;
}

function setBase(o: ByteReadOptions, word: string): boolean {
  const w = word.toLowerCase();
  if (w === 'hex') o.base = NumberBase.HEX;
  else if (w === 'dec') o.base = NumberBase.DEC;
  else if (w === 'oct') o.base = NumberBase.OCT;
  else return false;
  return true;
}

/** Splits `word arg` at the first white space. */
export function splitWord(part: string): [string, string] {
  const m = /^(\S+)\s*(.*)$/.exec(part.trim());
  return m === null ? ['', ''] : [m[1], m[2].trim()];
}

/**
 * Checks the byte count against Suricata's limits: at most 8, or 23 with
 * `string`. A count of 0 is accepted as Suricata accepts it: with
 * `string` it reads every digit from the position on.
 */
export function checkByteCount(b: SignatureBuilder, keyword: string, count: number, isString: boolean): boolean {
  const max = isString ? MAX_STRING_BYTES : MAX_BINARY_BYTES;
  if (count < 0 || count > max) {
    b.error(ErrorCode.RULE_BAD_VALUE, `${keyword}: byte count '${count}' is out of range (allowed 0 to ${max}${isString ? ' with string' : ' without string'})`);
    return false;
  }
  return true;
}

function setupByteTest(b: SignatureBuilder, value: string): void {
  const parts = splitOptions(value);
  if (parts.length < 4) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_test: '${value.trim()}' has too few arguments (expected <bytes>,<operator>,<value>,<offset>)`);
    return;
  }
  const flags = parseByteFlags(b, 'byte_test', parts, 4, [], new Map());
  if (flags === null) return;

  const count = parseValueOrVariable(b, 'byte_test', 'byte count', parts[0], 0, Number.MAX_SAFE_INTEGER);
  if (count === null) return;
  if (count.variable < 0 && !checkByteCount(b, 'byte_test', count.value, flags.isString)) return;

  let op = parts[1].replace(/\s+/g, '');
  let isNegated = false;
  if (op.startsWith('!')) {
    isNegated = true;
    op = op.slice(1);
    if (op === '') op = '=';
  }
  const operator = OPERATORS[op];
  if (operator === undefined) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_test: operator '${parts[1]}' is invalid (allowed: < > = <= >= & ^, each with an optional !)`);
    return;
  }

  let testValue = parseCNumber(parts[2]);
  let testValueVar = -1;
  if (testValue === null) {
    const v = parseValueOrVariable(b, 'byte_test', 'value', parts[2], 0, Number.MAX_SAFE_INTEGER);
    if (v === null) return;
    testValue = 0;
    testValueVar = v.variable;
  }
  const offset = parseValueOrVariable(b, 'byte_test', 'offset', parts[3], MIN_BYTE_TEST_OFFSET, MAX_BYTE_TEST_OFFSET);
  if (offset === null) return;

  chainForKeyword(b, flags.isRelative).push(
    new ByteTestMatch({
      isRelative: flags.isRelative,
      byteCount: count.value,
      byteCountVar: count.variable,
      operator,
      isNegated,
      value: testValue,
      valueVar: testValueVar,
      offset: offset.value,
      offsetVar: offset.variable,
      isLittleEndian: flags.isLittleEndian,
      isString: flags.isString,
      base: flags.base,
      hasBitmask: flags.hasBitmask,
      bitmask: flags.bitmask,
    }),
  );
}

export const byteTestKeyword: KeywordDef = {
  name: 'byte_test',
  description: 'compare a number read from the buffer',
  docsAnchor: 'payload-keywords.html#byte-test',
  value: 'required',
  setup: setupByteTest,
};
