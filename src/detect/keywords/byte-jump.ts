/**
 * `byte_jump:<bytes>,<offset>[,relative][,multiplier <n>][,big|little]
 * [,string,<hex|dec|oct>][,align][,from_beginning|from_end]
 * [,post_offset <n>][,dce][,bitmask <mask>]`: reads a number and moves the
 * inspection position by it. Suricata: rules/payload-keywords.html#byte-jump.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, type PayloadMatch, type InspectContext } from '../inspect-context.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import {
  applyBitmask, bitmaskShift, chainForKeyword, MAX_BINARY_BYTES, MAX_STRING_BYTES, parseInteger, parseValueOrVariable,
  readBinary, readString, splitOptions, stringRead,
} from './byte-common.js';
import { checkByteCount, parseByteFlags } from './byte-test.js';

export class ByteJumpMatch implements PayloadMatch {
  readonly keyword = 'byte_jump';
  readonly kind = MatchKind.BYTE_JUMP;
  readonly isRelative: boolean;
  readonly byteCount: number;
  readonly byteCountVar: number;
  readonly offset: number;
  readonly offsetVar: number;
  readonly multiplier: number;
  readonly postOffset: number;
  readonly isLittleEndian: boolean;
  readonly isString: boolean;
  readonly base: number;
  readonly isAligned: boolean;
  readonly isFromBeginning: boolean;
  readonly isFromEnd: boolean;
  readonly hasBitmask: boolean;
  readonly bitmask: number;
  readonly bitmaskShift: number;

  constructor(fields: Omit<ByteJumpMatch, 'keyword' | 'kind' | 'bitmaskShift'>) {
    this.isRelative = fields.isRelative;
    this.byteCount = fields.byteCount;
    this.byteCountVar = fields.byteCountVar;
    this.offset = fields.offset;
    this.offsetVar = fields.offsetVar;
    this.multiplier = fields.multiplier;
    this.postOffset = fields.postOffset;
    this.isLittleEndian = fields.isLittleEndian;
    this.isString = fields.isString;
    this.base = fields.base;
    this.isAligned = fields.isAligned;
    this.isFromBeginning = fields.isFromBeginning;
    this.isFromEnd = fields.isFromEnd;
    this.hasBitmask = fields.hasBitmask;
    this.bitmask = fields.bitmask;
    this.bitmaskShift = bitmaskShift(fields.bitmask);
  }
}

/**
 * Reads the number and moves ctx.bufferOffset to the jump target. A
 * target before the buffer start is clamped to 0, as Suricata does; one
 * past the end fails.
 */
export function matchByteJump(m: ByteJumpMatch, bytes: Uint8Array, start: number, length: number, ctx: InspectContext): boolean {
  const vars = ctx.byteVars;
  const offset = m.offsetVar >= 0 ? vars[m.offsetVar] : m.offset;
  const count = m.byteCountVar >= 0 ? vars[m.byteCountVar] : m.byteCount;
  if (length === 0 || count < 0 || count > (m.isString ? MAX_STRING_BYTES : MAX_BINARY_BYTES)) return false;

  const at = m.isRelative ? ctx.bufferOffset + offset : offset;
  const remaining = length - at;
  // With a count of 0 nothing is read, so a relative jump may start at the
  // buffer end (Suricata: `byte_jump:0,0,relative,post_offset -7`).
  if (m.isRelative && count !== 0 && remaining <= 0) return false;
  if (at < 0 || count > remaining) return false;

  let value: number;
  let consumed: number;
  if (count === 0 && !m.isString) {
    value = 0;
    consumed = 0;
  } else if (m.isString) {
    readString(bytes, start + at, count === 0 ? remaining : count, m.base);
    if (stringRead.digits === 0) return false;
    value = stringRead.value;
    consumed = stringRead.consumed;
  } else {
    value = readBinary(bytes, start + at, count, m.isLittleEndian);
    consumed = count;
  }
  if (m.hasBitmask) value = applyBitmask(value, m.bitmask, m.bitmaskShift);

  value *= m.multiplier;
  if (m.isAligned && value % 4 !== 0) value += 4 - (value % 4);
  value += m.postOffset;

  let target: number;
  if (m.isFromBeginning) target = value;
  else if (m.isFromEnd) target = length + value;
  else target = at + consumed + value;

  if (target < 0) target = 0;
  else if (target > length) return false;
  ctx.bufferOffset = target;
  return true;
}

function setupByteJump(b: SignatureBuilder, value: string): void {
  const parts = splitOptions(value);
  if (parts.length < 2) {
    b.error(ErrorCode.RULE_BAD_VALUE, `byte_jump: '${value.trim()}' has too few arguments (expected <bytes>,<offset>)`);
    return;
  }
  const extra = new Map<string, string>();
  const flags = parseByteFlags(b, 'byte_jump', parts, 2, ['multiplier', 'post_offset', 'align', 'from_beginning', 'from_end'], extra);
  if (flags === null) return;

  const count = parseValueOrVariable(b, 'byte_jump', 'byte count', parts[0], 0, Number.MAX_SAFE_INTEGER);
  if (count === null) return;
  if (count.variable < 0 && !checkByteCount(b, 'byte_jump', count.value, flags.isString)) return;
  const offset = parseValueOrVariable(b, 'byte_jump', 'offset', parts[1], -65535, 65535);
  if (offset === null) return;

  let multiplier = 1;
  if (extra.has('multiplier')) {
    const n = parseInteger(extra.get('multiplier') ?? '');
    if (n === null || n < 1 || n > 65535) {
      b.error(ErrorCode.RULE_BAD_VALUE, `byte_jump: multiplier '${extra.get('multiplier')}' is out of range (allowed 1 to 65535)`);
      return;
    }
    multiplier = n;
  }
  let postOffset = 0;
  if (extra.has('post_offset')) {
    const n = parseInteger(extra.get('post_offset') ?? '');
    if (n === null || n < -65535 || n > 65535) {
      b.error(ErrorCode.RULE_BAD_VALUE, `byte_jump: post_offset '${extra.get('post_offset')}' is out of range (allowed -65535 to 65535)`);
      return;
    }
    postOffset = n;
  }
  if (extra.has('from_beginning') && extra.has('from_end')) {
    b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, "byte_jump: 'from_beginning' and 'from_end' cannot be used together");
    return;
  }

  chainForKeyword(b, flags.isRelative).push(
    new ByteJumpMatch({
      isRelative: flags.isRelative,
      byteCount: count.value,
      byteCountVar: count.variable,
      offset: offset.value,
      offsetVar: offset.variable,
      multiplier,
      postOffset,
      isLittleEndian: flags.isLittleEndian,
      isString: flags.isString,
      base: flags.base,
      isAligned: extra.has('align'),
      isFromBeginning: extra.has('from_beginning'),
      isFromEnd: extra.has('from_end'),
      hasBitmask: flags.hasBitmask,
      bitmask: flags.bitmask,
    }),
  );
}

export const byteJumpKeyword: KeywordDef = {
  name: 'byte_jump',
  description: 'read a number from the buffer and move the inspection position by it',
  docsAnchor: 'payload-keywords.html#byte-jump',
  value: 'required',
  setup: setupByteJump,
};
