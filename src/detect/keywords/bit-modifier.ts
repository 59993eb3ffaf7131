/**
 * The modifiers of `flags` and `fragbits`. Without a modifier the bits must
 * be exactly those listed; `+` needs all listed bits and allows others; `*`
 * needs any of them; `!` matches unless all of them are set (for one bit:
 * the bit is clear). This is how Suricata's TCP flags and fragbits matches
 * behave, except the fragbits `+` noted in fragbits.ts.
 */
export const BitModifier = {
  EXACT: 0,
  ALL_PLUS_OTHERS: 1,
  ANY: 2,
  NOT: 3,
} as const;

/** Tells whether `bits` (already masked) satisfy `wanted` under `modifier`. */
export function matchBits(bits: number, wanted: number, modifier: number): boolean {
  switch (modifier) {
    case BitModifier.ALL_PLUS_OTHERS:
      return (bits & wanted) === wanted;
    case BitModifier.ANY:
      return (bits & wanted) !== 0;
    case BitModifier.NOT:
      return (bits & wanted) !== wanted;
    default:
      return bits === wanted;
  }
}

/** Maps a modifier character to its BitModifier, or -1. */
export function modifierOf(c: string): number {
  if (c === '+') return BitModifier.ALL_PLUS_OTHERS;
  if (c === '*') return BitModifier.ANY;
  if (c === '!') return BitModifier.NOT;
  return -1;
}
