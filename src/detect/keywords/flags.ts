import { ErrorCode } from '../../core/errors.js';
import { TcpFlag, type Packet } from '../../core/packet.js';
import type { PacketMatcher } from '../signature.js';
import { BitModifier, matchBits, modifierOf } from './bit-modifier.js';
import { isTcp } from './header-uint.js';
import { registerKeyword } from './keyword-table.js';

/**
 * Letters of TCP flags (RFC 9293 section 3.1; C and E from RFC 3168). The
 * digits 1 and 2 are the old names of CWR and ECE.
 */
const FLAG_LETTERS: Record<string, number> = {
  F: TcpFlag.FIN,
  S: TcpFlag.SYN,
  R: TcpFlag.RST,
  P: TcpFlag.PSH,
  A: TcpFlag.ACK,
  U: TcpFlag.URG,
  C: TcpFlag.CWR,
  E: TcpFlag.ECE,
  '1': TcpFlag.CWR,
  '2': TcpFlag.ECE,
};

/** Matches the TCP flags byte. `keepMask` has the bits named after the comma cleared. */
export class TcpFlagsMatch implements PacketMatcher {
  readonly keyword = 'flags';

  constructor(
    readonly wanted: number,
    readonly modifier: number,
    readonly keepMask: number,
  ) {}

  match(p: Packet): boolean {
    if (!isTcp(p)) return false;
    const bits = p.tcpFlags & this.keepMask;
    // `flags:0` requires no flag at all; with `!` it requires at least one flag.
    if (this.wanted === 0) return this.modifier === BitModifier.NOT ? bits !== 0 : bits === 0;
    return matchBits(bits, this.wanted, this.modifier);
  }
}

/** Parses `[+*!]flags[+*!][,ignored]`; returns the matcher or the problem. */
export function parseTcpFlags(value: string): TcpFlagsMatch | string {
  const allowed = "expected letters of F S R P A U C E (or 0 for none) with one optional modifier +, * or !, then optionally ',' and flags to ignore";
  const comma = value.indexOf(',');
  const main = (comma < 0 ? value : value.slice(0, comma)).replace(/\s+/g, '');
  const ignored = comma < 0 ? null : value.slice(comma + 1).replace(/\s+/g, '');

  let wanted = 0;
  let modifier: number = BitModifier.EXACT;
  let letters = 0;
  for (const c of main) {
    const m = modifierOf(c);
    if (m >= 0) {
      if (modifier !== BitModifier.EXACT) return `'${value}' has more than one modifier (${allowed})`;
      modifier = m;
      continue;
    }
    if (c === '0') {
      letters++;
      continue;
    }
    const bit = FLAG_LETTERS[c.toUpperCase()];
    if (bit === undefined) return `'${c}' in '${value}' is not a TCP flag (${allowed})`;
    wanted |= bit;
    letters++;
  }
  if (letters === 0) return `'${value}' names no flag (${allowed})`;

  let keepMask = 0xff;
  if (ignored !== null) {
    if (ignored.length === 0) return `'${value}' has an empty list of flags to ignore (${allowed})`;
    for (const c of ignored) {
      const bit = FLAG_LETTERS[c.toUpperCase()];
      if (bit === undefined) return `'${c}' in the ignored flags of '${value}' is not a TCP flag (${allowed})`;
      keepMask &= ~bit;
    }
  }
  return new TcpFlagsMatch(wanted, modifier, keepMask);
}

registerKeyword({
  name: 'flags',
  aliases: ['tcp.flags'],
  description: 'Matches the TCP flags, with +, * and ! modifiers and a list of flags to ignore.',
  docsAnchor: 'header-keywords.html#flags',
  value: 'required',
  setup(b, value) {
    const parsed = parseTcpFlags(value);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, parsed);
      return;
    }
    b.addPacketMatch(parsed);
  },
});
