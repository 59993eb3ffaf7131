/**
 * Scalar value types of kapu.yaml, read the way Suricata reads its own
 * suricata.yaml: every scalar arrives as text and the key decides how it is
 * interpreted. Each parser is a zod schema from string to the typed value, so
 * a failed parse carries a message that names the value and what is allowed.
 */
import { z } from 'zod';

const KIB = 1024;
const MIB = 1024 * 1024;
const GIB = 1024 * 1024 * 1024;

/**
 * Multipliers of the byte-size units. Suricata 8 accepts kb/mb/gb and the
 * IEC spellings KiB/MiB/GiB (its stock suricata.yaml writes `64 MiB`), all
 * case-insensitive and all powers of 1024.
 */
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KIB,
  kb: KIB,
  kib: KIB,
  m: MIB,
  mb: MIB,
  mib: MIB,
  g: GIB,
  gb: GIB,
  gib: GIB,
};

const BYTE_SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

/** Parses `1mb`, `64 MiB`, `4096` into bytes; returns null when the text is not a byte size. */
export function parseByteSize(text: string): number | null {
  const m = BYTE_SIZE_PATTERN.exec(text);
  if (m === null) return null;
  const unit = BYTE_UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

const TRUE_WORDS = new Set(['yes', 'true', 'on', '1']);
const FALSE_WORDS = new Set(['no', 'false', 'off', '0']);

/** Parses a boolean as Suricata accepts it (yes/no, true/false, on/off, 1/0, any case). */
export function parseBoolean(text: string): boolean | null {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return null;
}

const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION_PATTERN = /^\s*(\d+)\s*([smhd]?)\s*$/i;

/** Parses a duration in whole seconds (`30`, `30s`, `5m`, `1h`, `1d`); returns null otherwise. */
export function parseDurationSeconds(text: string): number | null {
  const m = DURATION_PATTERN.exec(text);
  if (m === null) return null;
  const unit = DURATION_UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return null;
  return Number(m[1]) * unit;
}

/** Quotes a value for a message the way the config errors show it. */
export function quote(text: string): string {
  return `'${text}'`;
}

/** Parses a byte size such as `64mb` or `1 MiB` into bytes. */
export const byteSizeSchema = z.string().transform((text, ctx) => {
  const bytes = parseByteSize(text);
  if (bytes === null) {
    ctx.addIssue({
      code: 'custom',
      message: `${quote(text)} is not a byte size (expected a number with an optional unit kb, mb or gb)`,
    });
    return z.NEVER;
  }
  return bytes;
});

/** Parses a boolean word. */
export const booleanSchema = z.string().transform((text, ctx) => {
  const value = parseBoolean(text);
  if (value === null) {
    ctx.addIssue({ code: 'custom', message: `${quote(text)} is not a boolean (expected yes, no, true, false, on or off)` });
    return z.NEVER;
  }
  return value;
});

/** Parses a duration into seconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  const seconds = parseDurationSeconds(text);
  if (seconds === null) {
    ctx.addIssue({
      code: 'custom',
      message: `${quote(text)} is not a duration (expected whole seconds with an optional unit s, m, h or d)`,
    });
    return z.NEVER;
  }
  return seconds;
});

/** Returns a schema that parses a whole number between `min` and `max`. */
export function integerSchema(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const trimmed = text.trim();
    if (!/^-?\d+$/.test(trimmed)) {
      ctx.addIssue({ code: 'custom', message: `${quote(text)} is not a whole number` });
      return z.NEVER;
    }
    const n = Number(trimmed);
    if (n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${quote(text)} is out of range (expected ${min} to ${max})` });
      return z.NEVER;
    }
    return n;
  });
}

/** Returns a schema that parses a decimal number between `min` and `max`. */
export function decimalSchema(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const trimmed = text.trim();
    if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) {
      ctx.addIssue({ code: 'custom', message: `${quote(text)} is not a number` });
      return z.NEVER;
    }
    const n = Number(trimmed);
    if (n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${quote(text)} is out of range (expected ${min} to ${max})` });
      return z.NEVER;
    }
    return n;
  });
}

/** Returns a schema that accepts one of `values`, in any case, and returns it in lower case. */
export function enumSchema(values: readonly string[]) {
  return z.string().transform((text, ctx) => {
    const word = text.trim().toLowerCase();
    if (!values.includes(word)) {
      ctx.addIssue({ code: 'custom', message: `${quote(text)} is not allowed (expected ${values.join(', ')})` });
      return z.NEVER;
    }
    return word;
  });
}

/** `auto` or a boolean word, returned as 'auto', 'yes' or 'no'. */
export const autoOrBooleanSchema = z.string().transform((text, ctx) => {
  if (text.trim().toLowerCase() === 'auto') return 'auto';
  const value = parseBoolean(text);
  if (value === null) {
    ctx.addIssue({ code: 'custom', message: `${quote(text)} is not allowed (expected auto, yes or no)` });
    return z.NEVER;
  }
  return value ? 'yes' : 'no';
});

/** Any text. */
export const stringSchema = z.string();
