/**
 * `flowbits:` keeps named booleans on a flow so that one rule can depend on
 * another. `set`, `unset` and `toggle` run after the rule matched; `isset`
 * and `isnotset` are conditions, and take `a|b` to mean either bit;
 * `noalert` suppresses the alert. Bits live in Flow.flowbits, one bit per
 * name, indexed by the id the loader gives each name.
 */
import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import type { PacketMatcher, PostMatcher, SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

/**
 * 32-bit words allocated for a flow's flowbits on its first set (256
 * bits). The array grows when a rule sets a bit with a higher id.
 */
export const FLOWBIT_INITIAL_WORDS = 8;

/** Tells whether flowbit `id` is set on the flow. */
export function isFlowbitSet(flow: Flow, id: number): boolean {
  const bits = flow.flowbits;
  if (bits === null || id >>> 5 >= bits.length) return false;
  return (bits[id >>> 5] & (1 << (id & 31))) !== 0;
}

function flowbitWords(flow: Flow, id: number): Uint32Array {
  const word = id >>> 5;
  let bits = flow.flowbits;
  if (bits === null || word >= bits.length) {
    const grown = new Uint32Array(Math.max(FLOWBIT_INITIAL_WORDS, word + 1, bits === null ? 0 : bits.length * 2));
    if (bits !== null) grown.set(bits);
    flow.flowbits = grown;
    bits = grown;
  }
  return bits;
}

/** Sets flowbit `id` on the flow. */
export function setFlowbit(flow: Flow, id: number): void {
  const bits = flowbitWords(flow, id);
  bits[id >>> 5] |= 1 << (id & 31);
}

/** Clears flowbit `id` on the flow. */
export function unsetFlowbit(flow: Flow, id: number): void {
  const bits = flow.flowbits;
  if (bits === null || id >>> 5 >= bits.length) return;
  bits[id >>> 5] &= ~(1 << (id & 31));
}

/** `isset` (any of `ids` set) or `isnotset` (any of `ids` clear); a packet without a flow has no bits set. */
export class FlowbitCheck implements PacketMatcher {
  readonly keyword = 'flowbits';

  constructor(
    readonly ids: Int32Array,
    readonly wantsSet: boolean,
  ) {}

  match(_p: Packet, flow: Flow | null): boolean {
    for (let i = 0; i < this.ids.length; i++) {
      const isSet = flow !== null && isFlowbitSet(flow, this.ids[i]);
      if (isSet === this.wantsSet) return true;
    }
    return false;
  }
}

export const FlowbitAction = {
  SET: 0,
  UNSET: 1,
  TOGGLE: 2,
} as const;

/** `set`, `unset` or `toggle`, applied after the rule matched. */
export class FlowbitUpdate implements PostMatcher {
  readonly keyword = 'flowbits';

  constructor(
    readonly id: number,
    readonly action: number,
  ) {}

  apply(_p: Packet, flow: Flow | null): boolean {
    if (flow === null) return true;
    if (this.action === FlowbitAction.SET) setFlowbit(flow, this.id);
    else if (this.action === FlowbitAction.UNSET) unsetFlowbit(flow, this.id);
    else if (isFlowbitSet(flow, this.id)) unsetFlowbit(flow, this.id);
    else setFlowbit(flow, this.id);
    return true;
  }
}

const UPDATE_ACTIONS: Record<string, number> = {
  set: FlowbitAction.SET,
  unset: FlowbitAction.UNSET,
  toggle: FlowbitAction.TOGGLE,
};

/** Flowbit names: letters, digits and `_ . - /`, as rulesets write them. */
const FLOWBIT_NAME = /^[A-Za-z0-9_.\-/:]+$/;

function setupFlowbits(b: SignatureBuilder, value: string): void {
  const comma = value.indexOf(',');
  const action = (comma < 0 ? value : value.slice(0, comma)).trim().toLowerCase();
  const names = comma < 0 ? '' : value.slice(comma + 1).trim();
  const allowed = 'expected set, unset, toggle, isset or isnotset followed by a name, or noalert';

  if (action === 'noalert') {
    if (names.length > 0) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'noalert' takes no name, found '${names}'`);
      return;
    }
    b.sig.isNoAlert = true;
    return;
  }
  if (names.length === 0) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' names no flowbit (${allowed})`);
    return;
  }

  const list = names.split('|').map((n) => n.trim());
  for (const name of list) {
    if (!FLOWBIT_NAME.test(name)) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${name}' is not a valid flowbit name (expected letters, digits and _ . - / :)`);
      return;
    }
  }

  if (action === 'isset' || action === 'isnotset') {
    const ids = new Int32Array(list.map((n) => b.variableId('flowbit', n)));
    b.addPacketMatch(new FlowbitCheck(ids, action === 'isset'));
    return;
  }
  const update = UPDATE_ACTIONS[action];
  if (update === undefined) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${action}' is not a flowbits action (${allowed})`);
    return;
  }
  if (list.length > 1) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${names}': '|' lists are allowed only with isset and isnotset`);
    return;
  }
  b.addPostMatch(new FlowbitUpdate(b.variableId('flowbit', list[0]), update));
}

registerKeyword({
  name: 'flowbits',
  description: 'Sets, clears and tests named bits on the flow (set, unset, toggle, isset, isnotset, noalert).',
  docsAnchor: 'flow-keywords.html#flowbits',
  value: 'required',
  setup: setupFlowbits,
});
