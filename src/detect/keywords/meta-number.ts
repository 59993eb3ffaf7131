/** Parsing of the plain unsigned numbers that sid, rev, gid and priority take. */

/** Largest sid, rev or gid: they are unsigned 32-bit numbers. */
export const MAX_RULE_ID = 4294967295;

/** Parses a decimal number in [min, max], or returns the problem. */
export function parseMetaNumber(value: string, min: number, max: number): number | string {
  const text = value.trim();
  if (!/^\d+$/.test(text)) return `'${text}' is not a number (expected ${min} to ${max})`;
  const n = Number(text);
  if (n < min) return `'${text}' is below the minimum ${min}`;
  if (n > max) return `'${text}' is above the maximum ${max}`;
  return n;
}
