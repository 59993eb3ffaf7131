import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import type { PacketMatcher } from '../signature.js';
import { BitModifier, matchBits, modifierOf } from './bit-modifier.js';
import { registerKeyword } from './keyword-table.js';

/** IPv4 flag bits in the layout of Packet.ipFlags (RFC 791 section 3.1). */
const FRAG_LETTERS: Record<string, number> = { M: 0x1, D: 0x2, R: 0x4 };

/** Matches the three IPv4 flag bits (reserved, DF, MF). */
export class FragbitsMatch implements PacketMatcher {
  readonly keyword = 'fragbits';

  constructor(
    readonly wanted: number,
    readonly modifier: number,
  ) {}

  match(p: Packet): boolean {
    if (p.ipVersion !== 4) return false;
    const bits = p.ipFlags & 0x7;
    // For fragbits, Suricata reads `+` as "the listed bits and at least one other".
    if (this.modifier === BitModifier.ALL_PLUS_OTHERS) return (bits & this.wanted) === this.wanted && bits !== this.wanted;
    return matchBits(bits, this.wanted, this.modifier);
  }
}

/** Parses `[+*!]<MDR>`; returns the matcher or the problem. */
export function parseFragbits(value: string): FragbitsMatch | string {
  const allowed = 'expected letters M, D and R with one optional modifier +, * or !';
  let wanted = 0;
  let modifier: number = BitModifier.EXACT;
  for (const c of value.replace(/\s+/g, '')) {
    const m = modifierOf(c);
    if (m >= 0) {
      if (modifier !== BitModifier.EXACT) return `'${value}' has more than one modifier (${allowed})`;
      modifier = m;
      continue;
    }
    const bit = FRAG_LETTERS[c.toUpperCase()];
    if (bit === undefined) return `'${c}' in '${value}' is not a fragment bit (${allowed})`;
    wanted |= bit;
  }
  if (wanted === 0) return `'${value}' names no bit (${allowed})`;
  return new FragbitsMatch(wanted, modifier);
}

registerKeyword({
  name: 'fragbits',
  description: 'Matches the IPv4 flag bits M (more fragments), D (do not fragment) and R (reserved).',
  docsAnchor: 'header-keywords.html#fragbits-ip-fragmentation',
  value: 'required',
  setup(b, value) {
    const parsed = parseFragbits(value);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, parsed);
      return;
    }
    b.addPacketMatch(parsed);
  },
});
