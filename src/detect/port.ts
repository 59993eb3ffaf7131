/**
 * Port part of a rule header: parses an expression (`any`, `80`,
 * `1024:`, `:1023`, `[80,443,8000:8100]`, `!$HTTP_PORTS`) and compiles it
 * into a 65536-bit bitmap (8 KiB). Equal expressions share one bitmap.
 */
import type { PortMatcher } from './signature.js';
import { evaluateExpression, isExpressionError, type ExpressionDialect, type ExpressionError, type FamilySets } from './header-expression.js';
import { coversAll, type Range } from './range-set.js';
import type { RuleVariables } from './variables.js';

const PORT_MAX = 65535n;
const PORT_MAXES: readonly bigint[] = [PORT_MAX];

/** A compiled port expression. */
export class CompiledPorts implements PortMatcher {
  readonly isAny: boolean;
  /** Bit `port` set when the port is in the set. */
  readonly bitmap: Uint8Array;
  /** The inclusive port ranges, for explain output and rule grouping. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly text: string;

  constructor(text: string, ranges: Range[]) {
    this.text = text;
    this.ranges = ranges.map((r) => [Number(r.start), Number(r.end)] as const);
    this.isAny = coversAll(ranges, PORT_MAX);
    this.bitmap = new Uint8Array(8192);
    for (const r of ranges) {
      const end = Number(r.end);
      for (let p = Number(r.start); p <= end; p++) this.bitmap[p >>> 3] |= 1 << (p & 7);
    }
  }

  /** Tells whether `port` (0 to 65535) is in the set. */
  match(port: number): boolean {
    return (this.bitmap[port >>> 3] & (1 << (port & 7))) !== 0;
  }
}

/** Parses one port atom (`80`, `1024:`, `:1023`, `80:90`) into a range set, or returns a message. */
export function parsePortAtom(text: string): FamilySets | string {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const port = parsePortNumber(text);
    if (port === null) return `'${text}' is not a valid port (expected 0 to 65535)`;
    return [[{ start: port, end: port }]];
  }
  const lowText = text.slice(0, colon);
  const highText = text.slice(colon + 1);
  const low = lowText.length === 0 ? 0n : parsePortNumber(lowText);
  const high = highText.length === 0 ? PORT_MAX : parsePortNumber(highText);
  if (low === null || high === null || (lowText.length === 0 && highText.length === 0)) {
    return `'${text}' is not a valid port range (expected low:high with ports 0 to 65535)`;
  }
  if (low > high) return `port range '${text}' ends before it starts`;
  return [[{ start: low, end: high }]];
}

function parsePortNumber(text: string): bigint | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = BigInt(text);
  return n > PORT_MAX ? null : n;
}

/** Compiles port expressions of one ruleset, sharing one bitmap per distinct expression. */
export class PortCompiler {
  private readonly cache = new Map<string, CompiledPorts | ExpressionError>();
  private readonly dialect: ExpressionDialect;

  constructor(variables: RuleVariables) {
    this.dialect = {
      maxes: PORT_MAXES,
      noun: 'port',
      parseAtom: parsePortAtom,
      lookupVariable: (name) => variables.port(name),
    };
  }

  /** Compiles `text`, or returns the problem with its place in `text`. */
  compile(text: string): CompiledPorts | ExpressionError {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const result = this.compileUncached(text);
    this.cache.set(text, result);
    return result;
  }

  private compileUncached(text: string): CompiledPorts | ExpressionError {
    const sets = evaluateExpression(text, this.dialect);
    if (isExpressionError(sets)) return sets;
    if (sets[0].length === 0) return { message: `port '${text}' matches no port`, offset: 0, length: text.length };
    return new CompiledPorts(text, sets[0]);
  }
}

/** Tells compiled ports from a compile error. */
export function isCompiledPorts(value: CompiledPorts | ExpressionError): value is CompiledPorts {
  return value instanceof CompiledPorts;
}
