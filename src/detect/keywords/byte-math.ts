/**
 * `byte_math:bytes <n>,offset <n>,oper <+|-|*|/|<<|>>>,rvalue <n|var>,
 * result <name>[,relative][,endian <big|little|dce>][,string <hex|dec|oct>]
 * [,dce][,bitmask <mask>]`: reads a number, applies the operation and
 * stores the result in a variable. The bitmask applies to the result, and
 * the inspection position moves past the bytes read, as in Suricata.
 * Suricata: rules/payload-keywords.html#byte-math.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, MAX_BYTE_VARIABLES, type InspectContext } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import {
  allocateByteVariable, applyBitmask, bitmaskShift, chainForKeyword, MAX_BINARY_BYTES, maxStringBytes, NumberBase, parseCNumber, parseInteger, parseValueOrVariable,
  readBinary, readString, splitOptions, stringRead, type ByteVariableMatch,
} from './byte-common.js';
import { splitWord } from './byte-test.js';

export const ByteMathOperator = { ADD: 0, SUBTRACT: 1, MULTIPLY: 2, DIVIDE: 3, SHIFT_LEFT: 4, SHIFT_RIGHT: 5 } as const;

const OPERATORS: Record<string, number> = {
  '+': ByteMathOperator.ADD,
  '-': ByteMathOperator.SUBTRACT,
  '*': ByteMathOperator.MULTIPLY,
  '/': ByteMathOperator.DIVIDE,
  '<<': ByteMathOperator.SHIFT_LEFT,
  '>>': ByteMathOperator.SHIFT_RIGHT,
};

/** 2^64, for the unsigned wrap-around of Suricata's 64-bit arithmetic. */
const TWO_POW_64 = 18446744073709551616;

/** Most bytes byte_math reads, with `string` (Suricata: 1 to 10). */
export const MAX_BYTE_MATH_BYTES = 10;

export class ByteMathMatch implements ByteVariableMatch {
  readonly keyword = 'byte_math';
  readonly kind = MatchKind.BYTE_MATH;
  readonly variableName: string;
  readonly variableIndex: number;
  readonly isRelative: boolean;
  readonly byteCount: number;
  readonly byteCountVar: number;
  readonly offset: number;
  readonly operator: number;
  readonly rvalue: number;
  readonly rvalueVar: number;
  readonly isLittleEndian: boolean;
  readonly isString: boolean;
  readonly base: number;
  readonly hasBitmask: boolean;
  readonly bitmask: number;
  readonly bitmaskShift: number;

  constructor(fields: Omit<ByteMathMatch, 'keyword' | 'kind' | 'bitmaskShift'>) {
    this.variableName = fields.variableName;
    this.variableIndex = fields.variableIndex;
    this.isRelative = fields.isRelative;
    this.byteCount = fields.byteCount;
    this.byteCountVar = fields.byteCountVar;
    this.offset = fields.offset;
    this.operator = fields.operator;
    this.rvalue = fields.rvalue;
    this.rvalueVar = fields.rvalueVar;
    this.isLittleEndian = fields.isLittleEndian;
    this.isString = fields.isString;
    this.base = fields.base;
    this.hasBitmask = fields.hasBitmask;
    this.bitmask = fields.bitmask;
    this.bitmaskShift = bitmaskShift(fields.bitmask);
  }
}

/**
 * Computes the result into ctx.byteVars. Division by zero does not match.
 * NOTE: results are JavaScript numbers, exact up to 2^53. A subtraction
 * below zero wraps to 2^64 minus the difference, as Suricata's unsigned
 * arithmetic does, but that value is rounded.
 */
export function matchByteMath(m: ByteMathMatch, bytes: Uint8Array, start: number, length: number, ctx: InspectContext): boolean {
  const count = m.byteCountVar >= 0 ? ctx.byteVars[m.byteCountVar] : m.byteCount;
  if (length === 0 || count < 1 || count > (m.isString ? MAX_BYTE_MATH_BYTES : MAX_BINARY_BYTES)) return false;
  const at = m.isRelative ? ctx.bufferOffset + m.offset : m.offset;
  const remaining = length - at;
  if (m.isRelative && remaining <= 0) return false;
  if (at < 0 || count > remaining) return false;

  let value: number;
  let consumed: number;
  if (m.isString) {
    readString(bytes, start + at, count, m.base);
    if (stringRead.digits === 0) return false;
    value = stringRead.value;
    consumed = stringRead.consumed;
  } else {
    value = readBinary(bytes, start + at, count, m.isLittleEndian);
    consumed = count;
  }
  ctx.bufferOffset = at + consumed;

  const rvalue = m.rvalueVar >= 0 ? ctx.byteVars[m.rvalueVar] : m.rvalue;
  switch (m.operator) {
    case ByteMathOperator.ADD: value = (value + rvalue) % TWO_POW_64; break;
    case ByteMathOperator.SUBTRACT: value = value >= rvalue ? value - rvalue : TWO_POW_64 - (rvalue - value); break;
    case ByteMathOperator.MULTIPLY: value = (value * rvalue) % TWO_POW_64; break;
    case ByteMathOperator.DIVIDE:
      if (rvalue === 0) return false;
      value = Math.floor(value / rvalue);
      break;
    case ByteMathOperator.SHIFT_LEFT: value = rvalue >= 64 ? 0 : (value * 2 ** rvalue) % TWO_POW_64; break;
    default: value = rvalue >= 64 ? 0 : Math.floor(value / 2 ** rvalue); break;
  }
  if (m.hasBitmask) value = applyBitmask(value, m.bitmask, m.bitmaskShift);
  ctx.byteVars[m.variableIndex] = value;
  return true;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function setupByteMath(b: SignatureBuilder, value: string): void {
  const options = new Map<string, string>();
  for (const part of splitOptions(value)) {
    const [word, arg] = splitWord(part);
    const key = word.toLowerCase();
    if (options.has(key)) {
      b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: option '${key}' is given twice`);
      return;
    }
    options.set(key, arg);
  }
  for (const required of ['bytes', 'offset', 'oper', 'rvalue', 'result']) {
    if (!options.has(required)) {
      b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: the required option '${required}' is missing (required: bytes, offset, oper, rvalue, result)`);
      return;
    }
  }
  let isLittleEndian = false;
  let isString = false;
  let base = NumberBase.DEC as number;
  let hasBitmask = false;
  let bitmask = 0;
  for (const [key, arg] of options) {
    if (key === 'bytes' || key === 'offset' || key === 'oper' || key === 'rvalue' || key === 'result' || key === 'relative') continue;
    if (key === 'endian') {
      if (arg === 'dce') return dceUnsupported(b);
      if (arg !== 'big' && arg !== 'little') {
        b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: endian '${arg}' is invalid (allowed: big, little, dce)`);
        return;
      }
      isLittleEndian = arg === 'little';
    } else if (key === 'dce') {
      return dceUnsupported(b);
    } else if (key === 'string') {
      isString = true;
      if (arg === 'hex') base = NumberBase.HEX;
      else if (arg === 'oct') base = NumberBase.OCT;
      else if (arg === 'dec' || arg === '') base = NumberBase.DEC;
      else {
        b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: string '${arg}' is invalid (allowed: hex, dec, oct)`);
        return;
      }
    } else if (key === 'bitmask') {
      const mask = parseCNumber(arg);
      if (mask === null || mask > 0xffffffff) {
        b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: bitmask '${arg}' is invalid (expected a number from 0 to 0xffffffff)`);
        return;
      }
      hasBitmask = true;
      bitmask = mask;
    } else {
      b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: unknown option '${key}'`);
      return;
    }
  }

  const count = parseValueOrVariable(b, 'byte_math', 'bytes', options.get('bytes') ?? '', 0, Number.MAX_SAFE_INTEGER);
  if (count === null) return;
  const maxBytes = isString ? Math.min(MAX_BYTE_MATH_BYTES, maxStringBytes(base)) : MAX_BINARY_BYTES;
  if (count.variable < 0 && (count.value < 1 || count.value > maxBytes)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: bytes '${options.get('bytes')}' is out of range (allowed 1 to ${maxBytes})`);
    return;
  }
  const offset = parseInteger(options.get('offset') ?? '');
  if (offset === null || offset < -65535 || offset > 65535) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: offset '${options.get('offset')}' is out of range (allowed -65535 to 65535)`);
    return;
  }
  const operator = OPERATORS[options.get('oper') ?? ''];
  if (operator === undefined) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: oper '${options.get('oper')}' is invalid (allowed: + - * / << >>)`);
    return;
  }
  const rvalue = parseValueOrVariable(b, 'byte_math', 'rvalue', options.get('rvalue') ?? '', 0, 0xffffffff);
  if (rvalue === null) return;
  const name = options.get('result') ?? '';
  if (!VARIABLE_NAME.test(name)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: result name '${name}' is invalid (expected a letter or _, then letters, digits or _)`);
    return;
  }
  const index = allocateByteVariable(b);
  if (index < 0) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_math: the rule has more than ${MAX_BYTE_VARIABLES} byte_extract and byte_math variables`);
    return;
  }

  chainForKeyword(b, options.has('relative')).push(
    new ByteMathMatch({
      variableName: name,
      variableIndex: index,
      isRelative: options.has('relative'),
      byteCount: count.value,
      byteCountVar: count.variable,
      offset,
      operator,
      rvalue: rvalue.value,
      rvalueVar: rvalue.variable,
      isLittleEndian,
      isString,
      base,
      hasBitmask,
      bitmask,
    }),
  );
}

function dceUnsupported(b: SignatureBuilder): void {
  b.error(ErrorCode.RULE_UNSUPPORTED, "byte_math: 'dce' needs the DCE/RPC parser, which is not supported yet (rule skipped)");
}

export const byteMathKeyword: KeywordDef = {
  name: 'byte_math',
  description: 'compute with a number read from the buffer and store the result in a variable',
  docsAnchor: 'payload-keywords.html#byte-math',
  value: 'required',
  setup: setupByteMath,
};
