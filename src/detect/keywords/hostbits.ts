/**
 * `hostbits:` keeps named bits on a host address, so that a rule can depend
 * on what another rule saw from or to that host in any flow. Syntax, as
 * Suricata 8 reads it: `hostbits:<set|unset|toggle|isset|isnotset>,<name>[,<src|dst>]`
 * (the source address when no direction is given) or `hostbits:noalert`.
 * `set`, `unset` and `toggle` run after the rule matched; `isset` and
 * `isnotset` are conditions. A bit set by hostbits expires after
 * HOSTBIT_EXPIRE_S seconds of capture time.
 *
 * The matchers here also serve `xbits` (xbits.ts): xbits with `track
 * ip_src` or `ip_dst` are hostbits with another syntax and share their
 * names, and `track ip_pair` uses the ippair table.
 */
import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import { enterOrderGate } from '../../core/order-gate.js';
import { hostTablesOf, writeHostKey, writePairKey, type AddressStateTable } from '../host-table.js';
import type { DetectThreadContext, PacketMatcher, PostMatcher, SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/**
 * Seconds a bit set by `hostbits` stays set. Suricata's hostbits syntax
 * has no expire option and uses this fixed value.
 */
export const HOSTBIT_EXPIRE_S = 300;

const US_PER_S = 1_000_000;

/** Address a bit is kept on: the packet's source, its destination, or both as a pair. */
export const BitTrack = {
  IP_SRC: 0,
  IP_DST: 1,
  IP_PAIR: 2,
} as const;

export const BitAction = {
  SET: 0,
  UNSET: 1,
  TOGGLE: 2,
} as const;

/** Writes the key of the tracked address into the right table's scratch key and returns the table. */
function tableFor(track: number, p: Packet, ctx: DetectThreadContext): AddressStateTable {
  const tables = hostTablesOf(ctx);
  if (track === BitTrack.IP_PAIR) {
    writePairKey(tables.pairs.key, p);
    return tables.pairs;
  }
  writeHostKey(tables.hosts.key, p, track === BitTrack.IP_SRC);
  return tables.hosts;
}

/**
 * `isset` or `isnotset` of one bit on a host or address pair. A packet
 * without IP addresses has no bits set.
 */
export class AddressBitCheck implements PacketMatcher {
  constructor(
    readonly keyword: string,
    readonly id: number,
    readonly track: number,
    readonly wantsSet: boolean,
  ) {}

  match(p: Packet, _flow: Flow | null, ctx: DetectThreadContext): boolean {
    if (p.ipVersion !== 4 && p.ipVersion !== 6) return !this.wantsSet;
    enterOrderGate();
    const table = tableFor(this.track, p, ctx);
    const entry = table.find();
    const isSet = entry >= 0 && table.isBitSet(entry, this.id, p.timestampUs);
    return isSet === this.wantsSet;
  }
}

/** `set`, `unset` or `toggle` of one bit, applied after the rule matched. */
export class AddressBitUpdate implements PostMatcher {
  constructor(
    readonly keyword: string,
    readonly id: number,
    readonly track: number,
    readonly action: number,
    readonly expireS: number,
  ) {}

  apply(p: Packet, _flow: Flow | null, ctx: DetectThreadContext): boolean {
    if (p.ipVersion !== 4 && p.ipVersion !== 6) return true;
    enterOrderGate();
    const table = tableFor(this.track, p, ctx);
    const nowUs = p.timestampUs;
    if (this.action === BitAction.UNSET) {
      const entry = table.find();
      if (entry >= 0) table.unsetBit(entry, this.id);
      return true;
    }

    // A full table (memcap reached) drops the update; the alert still fires, as in Suricata.
    const entry = table.findOrCreate();
    if (entry < 0) return true;
    const expireUs = nowUs + this.expireS * US_PER_S;
    if (this.action === BitAction.SET) table.setBit(entry, this.id, nowUs, expireUs);
    else table.toggleBit(entry, this.id, nowUs, expireUs);
    return true;
  }
}

/** Bit names: letters, digits and `_ . - / :`, as for flowbits. */
export const BIT_NAME = /^[A-Za-z0-9_.\-/:]+$/;

export const BIT_ACTIONS: Record<string, number> = {
  set: BitAction.SET,
  unset: BitAction.UNSET,
  toggle: BitAction.TOGGLE,
};

const DIRECTIONS: Record<string, number> = {
  src: BitTrack.IP_SRC,
  dst: BitTrack.IP_DST,
};

function setupHostbits(b: SignatureBuilder, value: string): void {
  const parts = value.split(',').map((part) => part.trim());
  const action = parts[0].toLowerCase();
  const allowed = 'expected set, unset, toggle, isset or isnotset, a name and optionally src or dst, or noalert';

  if (action === 'noalert') {
    if (parts.length > 1) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'noalert' takes no name, found '${parts.slice(1).join(',')}'`);
      return;
    }
    b.sig.isNoAlert = true;
    return;
  }
  const isCheck = action === 'isset' || action === 'isnotset';
  if (!isCheck && BIT_ACTIONS[action] === undefined) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${parts[0]}' is not a hostbits action (${allowed})`);
    return;
  }
  if (parts.length < 2 || parts[1].length === 0) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' names no hostbit (${allowed})`);
    return;
  }
  if (parts.length > 3) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' has too many fields (${allowed}); hostbits take no expire, xbits do`);
    return;
  }
  const name = parts[1];
  if (!BIT_NAME.test(name)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${name}' is not a valid hostbit name (expected letters, digits and _ . - / :)`);
    return;
  }

  let track: number = BitTrack.IP_SRC;
  if (parts.length === 3) {
    const direction = parts[2].toLowerCase();
    if (direction === 'both') {
      b.error(ErrorCode.RULE_UNSUPPORTED, `direction 'both' is not supported, as in Suricata 8 (expected src or dst)`);
      return;
    }
    const found = DIRECTIONS[direction];
    if (found === undefined) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${parts[2]}' is not a hostbits direction (expected src or dst)`);
      return;
    }
    track = found;
  }

  const id = b.variableId('hostbit', name);
  if (isCheck) {
    b.addPacketMatch(new AddressBitCheck('hostbits', id, track, action === 'isset'));
    return;
  }
  b.addPostMatch(new AddressBitUpdate('hostbits', id, track, BIT_ACTIONS[action], HOSTBIT_EXPIRE_S));
}

registerKeyword({
  name: 'hostbits',
  description: 'Sets, clears and tests named bits on the source or destination host (set, unset, toggle, isset, isnotset, noalert).',
  docsAnchor: 'xbits.html',
  value: 'required',
  setup: setupHostbits,
});
