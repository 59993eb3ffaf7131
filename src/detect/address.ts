/**
 * Address part of a rule header: parses an expression (`any`,
 * `$HOME_NET`, `[10.0.0.0/8,!10.1.0.0/16]`, `2001:db8::/32`,
 * `1.1.1.1-1.1.1.9`) and compiles it into sorted ranges. IPv4 ranges are
 * unsigned 32-bit numbers searched by bisection; IPv6 ranges are 16-byte
 * big-endian bounds compared bytewise. Equal expressions share one matcher.
 */
import type { AddressMatcher } from './signature.js';
import { evaluateExpression, isExpressionError, type ExpressionDialect, type ExpressionError, type FamilySets } from './header-expression.js';
import { coversAll, type Range } from './range-set.js';
import type { RuleVariables } from './variables.js';

const IPV4_MAX = 0xffffffffn;
const IPV6_MAX = (1n << 128n) - 1n;
const ADDRESS_MAXES: readonly bigint[] = [IPV4_MAX, IPV6_MAX];

/** A compiled address expression. */
export class CompiledAddress implements AddressMatcher {
  readonly isAny: boolean;
  /** Inclusive IPv4 range bounds, sorted and disjoint. */
  readonly v4Starts: Uint32Array;
  readonly v4Ends: Uint32Array;
  /** IPv6 ranges: 32 bytes each, the 16-byte start then the 16-byte end. */
  readonly v6Bounds: Uint8Array;
  readonly v6Count: number;
  /** The expression as written, for explain output. */
  readonly text: string;

  constructor(text: string, v4: Range[], v6: Range[]) {
    this.text = text;
    this.isAny = coversAll(v4, IPV4_MAX) && coversAll(v6, IPV6_MAX);
    this.v4Starts = new Uint32Array(v4.length);
    this.v4Ends = new Uint32Array(v4.length);
    for (let i = 0; i < v4.length; i++) {
      this.v4Starts[i] = Number(v4[i].start);
      this.v4Ends[i] = Number(v4[i].end);
    }
    this.v6Count = v6.length;
    this.v6Bounds = new Uint8Array(v6.length * 32);
    for (let i = 0; i < v6.length; i++) {
      writeBigint128(this.v6Bounds, i * 32, v6[i].start);
      writeBigint128(this.v6Bounds, i * 32 + 16, v6[i].end);
    }
  }

  /** Tells whether the IPv4 address `addr` (unsigned 32-bit) is in the set. */
  matchV4(addr: number): boolean {
    const starts = this.v4Starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (addr < starts[mid]) hi = mid - 1;
      else if (addr > this.v4Ends[mid]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Tells whether the IPv6 address in the first 16 bytes of `addr` is in the set. */
  matchV6(addr: Uint8Array): boolean {
    const bounds = this.v6Bounds;
    for (let i = 0; i < this.v6Count; i++) {
      const base = i * 32;
      if (compare16(addr, bounds, base) >= 0 && compare16(addr, bounds, base + 16) <= 0) return true;
    }
    return false;
  }
}

function compare16(addr: Uint8Array, bounds: Uint8Array, at: number): number {
  for (let k = 0; k < 16; k++) {
    const d = addr[k] - bounds[at + k];
    if (d !== 0) return d;
  }
  return 0;
}

function writeBigint128(out: Uint8Array, at: number, value: bigint): void {
  let v = value;
  for (let k = 15; k >= 0; k--) {
    out[at + k] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Parses dotted IPv4 text into a number, or returns null. */
export function parseIpv4(text: string): bigint | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    if (c < 0x30 || c > 0x39 || digits === 3) return null;
    octet = octet * 10 + (c - 0x30);
    if (octet > 255) return null;
    digits++;
  }
  if (dots !== 3 || digits === 0) return null;
  return BigInt(value * 256 + octet);
}

/** Parses IPv6 text (with `::` and an optional dotted IPv4 tail) into a number, or returns null. */
export function parseIpv6(text: string): bigint | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;

  const readGroups = (part: string): number[] | null => {
    if (part.length === 0) return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return null;
      groups.push(parseInt(piece, 16));
    }
    return groups;
  };

  const head = readGroups(halves[0]);
  const tail = halves.length === 2 ? readGroups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;

  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses one address atom into IPv4 and IPv6 range sets, or returns a message. */
export function parseAddressAtom(text: string): FamilySets | string {
  const slash = text.indexOf('/');
  if (slash >= 0) return parseCidr(text.slice(0, slash), text.slice(slash + 1), text);

  const dash = text.indexOf('-');
  if (dash >= 0) {
    const a = text.slice(0, dash);
    const b = text.slice(dash + 1);
    const a4 = parseIpv4(a);
    const b4 = parseIpv4(b);
    if (a4 !== null && b4 !== null) {
      if (a4 > b4) return `address range '${text}' ends before it starts`;
      return [[{ start: a4, end: b4 }], []];
    }
    const a6 = parseIpv6(a);
    const b6 = parseIpv6(b);
    if (a6 !== null && b6 !== null) {
      if (a6 > b6) return `address range '${text}' ends before it starts`;
      return [[], [{ start: a6, end: b6 }]];
    }
    return `'${text}' is not a valid address range (expected two IPv4 or two IPv6 addresses joined by '-')`;
  }

  const v4 = parseIpv4(text);
  if (v4 !== null) return [[{ start: v4, end: v4 }], []];
  const v6 = parseIpv6(text);
  if (v6 !== null) return [[], [{ start: v6, end: v6 }]];
  return `'${text}' is not a valid IPv4 or IPv6 address`;
}

function parseCidr(addr: string, prefix: string, text: string): FamilySets | string {
  const v4 = parseIpv4(addr);
  if (v4 !== null) {
    let bits: number;
    if (prefix.includes('.')) {
      const mask = parseIpv4(prefix);
      if (mask === null) return `'${prefix}' in '${text}' is not a valid netmask`;
      bits = netmaskBits(mask);
      if (bits < 0) return `netmask '${prefix}' in '${text}' is not contiguous`;
    } else {
      if (!/^\d{1,2}$/.test(prefix) || Number(prefix) > 32) return `prefix length '/${prefix}' in '${text}' is invalid (expected 0 to 32)`;
      bits = Number(prefix);
    }
    return [[prefixRange(v4, bits, 32)], []];
  }
  const v6 = parseIpv6(addr);
  if (v6 !== null) {
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > 128) return `prefix length '/${prefix}' in '${text}' is invalid (expected 0 to 128)`;
    return [[], [prefixRange(v6, Number(prefix), 128)]];
  }
  return `'${addr}' in '${text}' is not a valid IPv4 or IPv6 address`;
}

function netmaskBits(mask: bigint): number {
  let bits = 0;
  let seenZero = false;
  for (let i = 31; i >= 0; i--) {
    const isSet = ((mask >> BigInt(i)) & 1n) === 1n;
    if (isSet && seenZero) return -1;
    if (isSet) bits++;
    else seenZero = true;
  }
  return bits;
}

/** Returns the range of a network, ignoring host bits of `addr` as Suricata does. */
function prefixRange(addr: bigint, bits: number, width: number): Range {
  const hostBits = BigInt(width - bits);
  const hostMask = (1n << hostBits) - 1n;
  const start = addr & ~hostMask & ((1n << BigInt(width)) - 1n);
  return { start, end: start | hostMask };
}

/**
 * Compiles address expressions of one ruleset, resolving variables and
 * sharing one matcher per distinct expression.
 */
export class AddressCompiler {
  private readonly cache = new Map<string, CompiledAddress | ExpressionError>();
  private readonly dialect: ExpressionDialect;

  constructor(variables: RuleVariables) {
    this.dialect = {
      maxes: ADDRESS_MAXES,
      noun: 'address',
      parseAtom: parseAddressAtom,
      lookupVariable: (name) => variables.address(name),
    };
  }

  /** Compiles `text`, or returns the problem with its place in `text`. */
  compile(text: string): CompiledAddress | ExpressionError {
    const cached = this.cache.get(text);
    if (cached !== undefined) return cached;
    const result = this.compileUncached(text);
    this.cache.set(text, result);
    return result;
  }

  private compileUncached(text: string): CompiledAddress | ExpressionError {
    const sets = evaluateExpression(text, this.dialect);
    if (isExpressionError(sets)) return sets;
    if (sets[0].length === 0 && sets[1].length === 0) {
      return { message: `address '${text}' matches no address`, offset: 0, length: text.length };
    }
    return new CompiledAddress(text, sets[0], sets[1]);
  }
}

/** Tells a compiled address from a compile error. */
export function isCompiledAddress(value: CompiledAddress | ExpressionError): value is CompiledAddress {
  return value instanceof CompiledAddress;
}
