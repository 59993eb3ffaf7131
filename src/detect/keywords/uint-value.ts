/**
 * The integer comparison syntax shared by header keywords (`ttl`, `dsize`,
 * `window`, `itype`, ...), as Suricata's integer keywords define it:
 *
 *   19 or =19      equal            !19 or !=19   not equal
 *   >19  >=19      greater          <19  <=19     less
 *   19-22 or 19<>22  strictly between (exclusive), !19-22 outside that
 *   &0xc0=0x80     masked value equal, &0xc0!=0 masked value not equal
 *
 * Numbers are decimal or 0x hexadecimal, with an optional kb/kib, mb/mib or
 * gb/gib multiplier.
 */

export const UintMode = {
  EQ: 0,
  NE: 1,
  LT: 2,
  LE: 3,
  GT: 4,
  GE: 5,
  RANGE: 6,
  NOT_RANGE: 7,
  MASK_EQ: 8,
  MASK_NE: 9,
} as const;

/** A parsed comparison; `a` and `b` are the operands (`b` is the range end or the mask value). */
export class UintValue {
  constructor(
    readonly mode: number,
    readonly a: number,
    readonly b: number,
  ) {}

  /** Tells whether `v` satisfies the comparison. */
  matches(v: number): boolean {
    switch (this.mode) {
      case UintMode.EQ:
        return v === this.a;
      case UintMode.NE:
        return v !== this.a;
      case UintMode.LT:
        return v < this.a;
      case UintMode.LE:
        return v <= this.a;
      case UintMode.GT:
        return v > this.a;
      case UintMode.GE:
        return v >= this.a;
      case UintMode.RANGE:
        return v > this.a && v < this.b;
      case UintMode.NOT_RANGE:
        return v <= this.a || v >= this.b;
      case UintMode.MASK_EQ:
        return maskBits(v, this.a) === this.b;
      case UintMode.MASK_NE:
        return maskBits(v, this.a) !== this.b;
      default:
        return false;
    }
  }
}

/** Masks a value of at most 32 bits; `>>> 0` keeps results above 2^31 unsigned. */
function maskBits(v: number, mask: number): number {
  return (v & mask) >>> 0;
}

const MULTIPLIERS: Record<string, number> = {
  kb: 1024,
  kib: 1024,
  mb: 1048576,
  mib: 1048576,
  gb: 1073741824,
  gib: 1073741824,
};

/** Parses one number with an optional multiplier, or returns null. */
export function parseUintNumber(text: string): number | null {
  const m = /^\s*(0[xX][0-9A-Fa-f]+|\d+)\s*([kKmMgG][iI]?[bB])?\s*$/.exec(text);
  if (m === null) return null;
  const n = m[1].startsWith('0x') || m[1].startsWith('0X') ? parseInt(m[1].slice(2), 16) : Number(m[1]);
  const factor = m[2] === undefined ? 1 : MULTIPLIERS[m[2].toLowerCase()];
  const value = n * factor;
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * Parses a comparison whose values must lie in [0, max]. Returns the value
 * or an error message that names the text and what is allowed.
 */
export function parseUintValue(text: string, max: number): UintValue | string {
  const t = text.trim();
  const allowed = `expected a number 0 to ${max}, optionally with =, !, <, <=, >, >=, a range a-b or a<>b, or &mask=value`;
  const bad = `'${t}' is not a valid integer comparison (${allowed})`;
  const num = (s: string): number | string => {
    const n = parseUintNumber(s);
    if (n === null) return bad;
    if (n > max) return `'${t}' is above the maximum ${max}`;
    return n;
  };

  if (t.startsWith('&')) {
    const m = /^&\s*([^!=]+?)\s*(!=|=)\s*(.+)$/.exec(t);
    if (m === null) return bad;
    const mask = num(m[1]);
    const value = num(m[3]);
    if (typeof mask === 'string') return mask;
    if (typeof value === 'string') return value;
    return new UintValue(m[2] === '=' ? UintMode.MASK_EQ : UintMode.MASK_NE, mask, value);
  }

  const range = /^(!?)\s*([0-9A-Za-z]+)\s*(?:-|<>)\s*([0-9A-Za-z]+)$/.exec(t);
  if (range !== null) {
    const a = num(range[2]);
    const b = num(range[3]);
    if (typeof a === 'string') return a;
    if (typeof b === 'string') return b;
    if (a >= b) return `range '${t}' is empty (the first value must be below the second)`;
    return new UintValue(range[1] === '!' ? UintMode.NOT_RANGE : UintMode.RANGE, a, b);
  }

  const op = /^(<=|>=|!=|<|>|=|!)?\s*(.*)$/.exec(t);
  if (op === null || op[2].length === 0) return bad;
  const value = num(op[2]);
  if (typeof value === 'string') return value;
  switch (op[1]) {
    case '<':
      if (value === 0) return `'${t}' can never match (no value is below 0)`;
      return new UintValue(UintMode.LT, value, 0);
    case '<=':
      return new UintValue(UintMode.LE, value, 0);
    case '>':
      if (value === max) return `'${t}' can never match (no value is above ${max})`;
      return new UintValue(UintMode.GT, value, 0);
    case '>=':
      return new UintValue(UintMode.GE, value, 0);
    case '!':
    case '!=':
      return new UintValue(UintMode.NE, value, 0);
    default:
      return new UintValue(UintMode.EQ, value, 0);
  }
}
