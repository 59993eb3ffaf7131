/**
 * `byte_extract:<bytes>,<offset>,<name>[,relative][,multiplier <n>]
 * [,big|little][,dce][,string[,<hex|dec|oct>]][,align <2|4>]
 * [,bitmask <mask>]`: reads a number into a variable that later keywords of
 * the rule use by name, and moves the inspection position past the bytes
 * read. Suricata: rules/payload-keywords.html#byte-extract.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, MAX_BYTE_VARIABLES, type InspectContext } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import {
  allocateByteVariable, applyBitmask, bitmaskShift, chainForKeyword, maxStringBytes, NumberBase, parseInteger, parseValueOrVariable,
  readBinary, readString, splitOptions, stringRead, type ByteVariableMatch,
} from './byte-common.js';
import { checkByteCount, parseByteFlags } from './byte-test.js';

export class ByteExtractMatch implements ByteVariableMatch {
  readonly keyword = 'byte_extract';
  readonly kind = MatchKind.BYTE_EXTRACT;
  readonly variableName: string;
  readonly variableIndex: number;
  readonly isRelative: boolean;
  readonly byteCount: number;
  readonly offset: number;
  readonly multiplier: number;
  readonly alignBytes: number;
  readonly isLittleEndian: boolean;
  readonly isString: boolean;
  readonly base: number;
  readonly hasBitmask: boolean;
  readonly bitmask: number;
  readonly bitmaskShift: number;

  constructor(fields: Omit<ByteExtractMatch, 'keyword' | 'kind' | 'bitmaskShift'>) {
    this.variableName = fields.variableName;
    this.variableIndex = fields.variableIndex;
    this.isRelative = fields.isRelative;
    this.byteCount = fields.byteCount;
    this.offset = fields.offset;
    this.multiplier = fields.multiplier;
    this.alignBytes = fields.alignBytes;
    this.isLittleEndian = fields.isLittleEndian;
    this.isString = fields.isString;
    this.base = fields.base;
    this.hasBitmask = fields.hasBitmask;
    this.bitmask = fields.bitmask;
    this.bitmaskShift = bitmaskShift(fields.bitmask);
  }
}

/** Reads the number into ctx.byteVars and moves past the bytes read. */
export function matchByteExtract(m: ByteExtractMatch, bytes: Uint8Array, start: number, length: number, ctx: InspectContext): boolean {
  if (length === 0) return false;
  const at = m.isRelative ? ctx.bufferOffset + m.offset : m.offset;
  const remaining = length - at;
  if (m.isRelative && remaining <= 0) return false;
  if (at < 0 || m.byteCount > remaining) return false;

  let value: number;
  let consumed: number;
  if (m.isString) {
    readString(bytes, start + at, m.byteCount, m.base);
    if (stringRead.digits === 0) return false;
    value = stringRead.value;
    consumed = stringRead.consumed;
  } else {
    value = readBinary(bytes, start + at, m.byteCount, m.isLittleEndian);
    consumed = m.byteCount;
  }
  if (m.hasBitmask) value = applyBitmask(value, m.bitmask, m.bitmaskShift);
  value *= m.multiplier;
  if (m.alignBytes > 0 && value % m.alignBytes !== 0) value += m.alignBytes - (value % m.alignBytes);

  ctx.byteVars[m.variableIndex] = value;
  ctx.bufferOffset = at + consumed;
  return true;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function setupByteExtract(b: SignatureBuilder, value: string): void {
  const parts = splitOptions(value);
  if (parts.length < 3) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: '${value.trim()}' has too few arguments (expected <bytes>,<offset>,<name>)`);
    return;
  }
  const extra = new Map<string, string>();
  const flags = parseByteFlags(b, 'byte_extract', parts, 3, ['multiplier', 'align'], extra);
  if (flags === null) return;
  if (flags.isString && flags.base === NumberBase.AUTO) flags.base = NumberBase.DEC;
  if (flags.isString && flags.hasEndian) {
    b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, "byte_extract: 'big' or 'little' cannot be combined with 'string'");
    return;
  }

  const count = parseInteger(parts[0]);
  if (count === null) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: byte count '${parts[0]}' is not a number`);
    return;
  }
  if (!checkByteCount(b, 'byte_extract', count, flags.isString)) return;
  if (flags.isString && count > maxStringBytes(flags.base)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: byte count '${count}' is too large for this number base (maximum ${maxStringBytes(flags.base)})`);
    return;
  }
  const offset = parseValueOrVariable(b, 'byte_extract', 'offset', parts[1], -65535, 65535);
  if (offset === null) return;
  if (offset.variable >= 0) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: offset '${parts[1]}' must be a number`);
    return;
  }
  const name = parts[2];
  if (!VARIABLE_NAME.test(name)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: variable name '${name}' is invalid (expected a letter or _, then letters, digits or _)`);
    return;
  }

  let multiplier = 1;
  if (extra.has('multiplier')) {
    const n = parseInteger(extra.get('multiplier') ?? '');
    if (n === null || n < 1 || n > 65535) {
      b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: multiplier '${extra.get('multiplier')}' is out of range (allowed 1 to 65535)`);
      return;
    }
    multiplier = n;
  }
  let alignBytes = 0;
  if (extra.has('align')) {
    const n = parseInteger(extra.get('align') ?? '');
    if (n !== 2 && n !== 4) {
      b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: align '${extra.get('align')}' is invalid (allowed 2 or 4)`);
      return;
    }
    alignBytes = n;
  }
  const index = allocateByteVariable(b);
  if (index < 0) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_extract: the rule has more than ${MAX_BYTE_VARIABLES} byte_extract and byte_math variables`);
    return;
  }

  chainForKeyword(b, flags.isRelative).push(
    new ByteExtractMatch({
      variableName: name,
      variableIndex: index,
      isRelative: flags.isRelative,
      byteCount: count,
      offset: offset.value,
      multiplier,
      alignBytes,
      isLittleEndian: flags.isLittleEndian,
      isString: flags.isString,
      base: flags.base,
      hasBitmask: flags.hasBitmask,
      bitmask: flags.bitmask,
    }),
  );
}

export const byteExtractKeyword: KeywordDef = {
  name: 'byte_extract',
  description: 'read a number from the buffer into a variable for later keywords',
  docsAnchor: 'payload-keywords.html#byte-extract',
  value: 'required',
  setup: setupByteExtract,
};
