/**
 * Pieces shared by byte_test, byte_jump, byte_extract and byte_math:
 * reading numbers from the buffer (binary or as text), option values that
 * may name a byte_extract variable, and the bitmask shift.
 */
import { ErrorCode } from '../../core/errors.js';
import { MatchKind, MAX_BYTE_VARIABLES, type PayloadMatch } from '../inspect-context.js';
import type { InspectionMatch, SignatureBuilder } from '../signature.js';
import { PKT_DATA } from './pkt-data.js';

/** Number bases of the `string` option; 0 reads a C-style prefix (0x, 0). */
export const NumberBase = {
  AUTO: 0,
  OCT: 8,
  DEC: 10,
  HEX: 16,
} as const;

/** Most bytes read as binary, and as text with `string` (Suricata's limits). */
export const MAX_BINARY_BYTES = 8;
export const MAX_STRING_BYTES = 23;

/**
 * Most text digits whose value fits 64 bits, by base, as byte_extract and
 * byte_math check them: 23 octal, 20 decimal, 14 hex characters.
 */
/** Keywords whose match a relative payload keyword can follow. */
const POSITION_KEYWORDS: readonly string[] = ['content', 'pcre', 'isdataat', 'byte_test', 'byte_jump', 'byte_extract', 'byte_math'];

/**
 * Returns the chain that a payload keyword joins. Without a sticky buffer
 * (the current buffer is pkt_data), a relative keyword joins the buffer of
 * the payload keyword before it, as in Suricata: `uricontent:"a";
 * isdataat:!1,relative;` inspects the URI. Otherwise it joins the current buffer.
 */
export function chainForKeyword(b: SignatureBuilder, isRelative: boolean): InspectionMatch[] {
  if (!isRelative || b.currentBuffer !== PKT_DATA) return b.currentMatches();
  const previous = b.lastMatch(POSITION_KEYWORDS);
  if (previous === null) return b.currentMatches();
  for (const inspection of b.sig.buffers) {
    if (inspection.matches.includes(previous)) return inspection.matches;
  }
  return b.currentMatches();
}

export function maxStringBytes(base: number): number {
  if (base === NumberBase.HEX) return 14;
  if (base === NumberBase.DEC) return 20;
  return MAX_STRING_BYTES;
}

/** A byte_extract or byte_math result, found by name by later keywords. */
export interface ByteVariableMatch extends PayloadMatch {
  readonly variableName: string;
  readonly variableIndex: number;
}

/** Lists the byte variables defined so far in the signature, in rule order. */
function byteVariables(b: SignatureBuilder): ByteVariableMatch[] {
  const found: ByteVariableMatch[] = [];
  for (const buffer of b.sig.buffers) {
    for (const m of buffer.matches) {
      const kind = (m as PayloadMatch).kind;
      if (kind === MatchKind.BYTE_EXTRACT || kind === MatchKind.BYTE_MATH) found.push(m as ByteVariableMatch);
    }
  }
  return found;
}

/** Returns the index of the byte variable `name`, or -1 when none is defined. */
export function findByteVariable(b: SignatureBuilder, name: string): number {
  const vars = byteVariables(b);
  for (let i = vars.length - 1; i >= 0; i--) {
    if (vars[i].variableName === name) return vars[i].variableIndex;
  }
  return -1;
}

/** Allocates the index of a new byte variable, or -1 past MAX_BYTE_VARIABLES. */
export function allocateByteVariable(b: SignatureBuilder): number {
  let next = 0;
  for (const v of byteVariables(b)) next = Math.max(next, v.variableIndex + 1);
  return next < MAX_BYTE_VARIABLES ? next : -1;
}

/** A constant or a byte variable reference. */
export interface ValueOrVariable {
  value: number;
  /** Index into byteVars, or -1 for a constant. */
  variable: number;
}

const INTEGER = /^[+-]?(0x[0-9a-f]+|\d+)$/i;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses a decimal or 0x-hex integer, or returns null. */
export function parseInteger(text: string): number | null {
  const t = text.trim();
  if (!INTEGER.test(t)) return null;
  const negative = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  const n = body.toLowerCase().startsWith('0x') ? parseInt(body.slice(2), 16) : parseInt(body, 10);
  return negative ? -n : n;
}

/**
 * Parses an integer in [min, max] or the name of a byte variable defined
 * earlier in the rule. Reports the problem and returns null when invalid.
 */
export function parseValueOrVariable(
  b: SignatureBuilder,
  keyword: string,
  option: string,
  text: string,
  min: number,
  max: number,
): ValueOrVariable | null {
  const t = text.trim();
  const n = parseInteger(t);
  if (n !== null) {
    if (n < min || n > max) {
      b.error(ErrorCode.RULE_BAD_VALUE, `${keyword}: ${option} '${t}' is out of range (allowed ${min} to ${max})`);
      return null;
    }
    return { value: n, variable: -1 };
  }
  if (!VARIABLE_NAME.test(t)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `${keyword}: ${option} '${t}' is not a number or a byte_extract variable name`);
    return null;
  }
  const index = findByteVariable(b, t);
  if (index < 0) {
    b.error(ErrorCode.RULE_UNKNOWN_VARIABLE, `${keyword}: ${option} '${t}' names no byte_extract or byte_math variable defined earlier in the rule`);
    return null;
  }
  return { value: 0, variable: index };
}

/** Number of trailing zero bits of a non-zero mask (the shift after masking). */
export function bitmaskShift(mask: number): number {
  if (mask === 0) return 0;
  let shift = 0;
  while (Math.floor(mask / 2 ** shift) % 2 === 0) shift++;
  return shift;
}

/** Applies a bitmask of up to 32 bits and the shift, on values up to 2^53. */
export function applyBitmask(value: number, mask: number, shift: number): number {
  const masked = ((value % 0x100000000) & mask) >>> 0;
  return shift > 0 ? Math.floor(masked / 2 ** shift) : masked;
}

/**
 * Reads `count` bytes at bytes[at] as an unsigned integer.
 * NOTE: values above 2^53 (7- and 8-byte fields with the top bits set)
 * lose their lowest bits, because they are held in a JavaScript number.
 */
export function readBinary(bytes: Uint8Array, at: number, count: number, isLittleEndian: boolean): number {
  let value = 0;
  if (isLittleEndian) {
    for (let i = count - 1; i >= 0; i--) value = value * 256 + bytes[at + i];
  } else {
    for (let i = 0; i < count; i++) value = value * 256 + bytes[at + i];
  }
  return value;
}

/** Value of an ASCII digit in `base`, or -1. */
function digitValue(byte: number, base: number): number {
  let d = -1;
  if (byte >= 0x30 && byte <= 0x39) d = byte - 0x30;
  else if (byte >= 0x61 && byte <= 0x66) d = byte - 0x61 + 10;
  else if (byte >= 0x41 && byte <= 0x46) d = byte - 0x41 + 10;
  return d >= 0 && d < base ? d : -1;
}

/** Scratch result of readString: the value, its digit count (0 when none) and the bytes consumed. */
export const stringRead = { value: 0, digits: 0, consumed: 0 };

/**
 * Reads up to `count` bytes at bytes[at] as a number written in text, as
 * strtoull reads them: leading white space, then digits of `base` (AUTO
 * takes a 0x prefix as hex and a leading 0 as octal). Sets
 * stringRead.digits to 0 when no digit was read.
 */
export function readString(bytes: Uint8Array, at: number, count: number, base: number): void {
  const end = at + count;
  let i = at;
  while (i < end && (bytes[i] === 0x20 || (bytes[i] >= 0x09 && bytes[i] <= 0x0d))) i++;
  let b = base;
  if ((b === NumberBase.AUTO || b === NumberBase.HEX) && i + 1 < end && bytes[i] === 0x30 && (bytes[i + 1] | 0x20) === 0x78 && digitValue(bytes[i + 2] ?? 0, 16) >= 0 && i + 2 < end) {
    b = NumberBase.HEX;
    i += 2;
  } else if (b === NumberBase.AUTO) {
    b = i < end && bytes[i] === 0x30 ? NumberBase.OCT : NumberBase.DEC;
  }
  let value = 0;
  let digits = 0;
  while (i < end) {
    const d = digitValue(bytes[i], b);
    if (d < 0) break;
    value = value * b + d;
    digits++;
    i++;
  }
  stringRead.value = value;
  stringRead.digits = digits;
  stringRead.consumed = i - at;
}

/** Splits a keyword value at commas, trimming each part. */
export function splitOptions(value: string): string[] {
  return value.split(',').map((part) => part.trim());
}

/**
 * Parses a number as strtoull with base 0 does: 0x for hex, a leading 0
 * for octal, decimal otherwise. Returns null when the text is not a number.
 */
export function parseCNumber(text: string): number | null {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[0-7]+$/.test(t)) return parseInt(t.slice(1), 8);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  return null;
}
