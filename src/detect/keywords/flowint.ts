/**
 * `flowint:` keeps named unsigned 32-bit integers on a flow. Syntax:
 * `flowint:<name>,<op>,<value>` or `flowint:<name>,<isset|notset|isnotset>`.
 * `<value>` is a number or the name of another flowint. `=`, `+` and `-`
 * run after the rule matched; `==`, `!=`, `<`, `<=`, `>`, `>=` are
 * conditions.
 *
 * As in Suricata, `+` on an unset variable sets it to the value, and `-`
 * on an unset one does nothing. A comparison with an unset variable does
 * not match, and an unset operand variable counts as 0. Arithmetic wraps
 * modulo 2^32, and packets without a flow match no flowint condition.
 */
import { ErrorCode } from '../../core/errors.js';
import type { Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import type { PacketMatcher, PostMatcher, SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';

export const FlowintOp = {
  SET: 0,
  ADD: 1,
  SUB: 2,
  EQ: 3,
  NE: 4,
  LT: 5,
  LE: 6,
  GT: 7,
  GE: 8,
  ISSET: 9,
  NOTSET: 10,
} as const;

const OPERATORS: Record<string, number> = {
  '=': FlowintOp.SET,
  '+': FlowintOp.ADD,
  '-': FlowintOp.SUB,
  '==': FlowintOp.EQ,
  '!=': FlowintOp.NE,
  '<': FlowintOp.LT,
  '<=': FlowintOp.LE,
  '>': FlowintOp.GT,
  '>=': FlowintOp.GE,
  isset: FlowintOp.ISSET,
  notset: FlowintOp.NOTSET,
  isnotset: FlowintOp.NOTSET,
};

/** Flowint names start with a letter, as Suricata requires. */
const FLOWINT_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]*$/;

const MAX_U32 = 0xffffffff;

/** Returns the value of flowint `id` on the flow, or -1 when it is not set. */
export function flowintValue(flow: Flow, id: number): number {
  const ints = flow.flowints;
  if (ints === null) return -1;
  const value = ints.get(id);
  return value === undefined ? -1 : value;
}

/** Sets flowint `id` on the flow to `value` (taken modulo 2^32). */
export function setFlowint(flow: Flow, id: number, value: number): void {
  if (flow.flowints === null) flow.flowints = new Map();
  flow.flowints.set(id, value >>> 0);
}

/** Returns the operand: flowint `targetId` when it is 0 or more, else the constant `value`. */
function targetOf(flow: Flow, targetId: number, value: number): number {
  if (targetId < 0) return value;
  const target = flowintValue(flow, targetId);
  return target < 0 ? 0 : target;
}

/** A flowint condition: a comparison, `isset` or `notset`. */
export class FlowintCheck implements PacketMatcher {
  readonly keyword = 'flowint';

  constructor(
    readonly id: number,
    readonly op: number,
    /** Constant operand, used when `targetId` is -1. */
    readonly value: number,
    readonly targetId: number,
  ) {}

  match(_p: Packet, flow: Flow | null): boolean {
    if (flow === null) return false;
    const current = flowintValue(flow, this.id);
    if (this.op === FlowintOp.ISSET) return current >= 0;
    if (this.op === FlowintOp.NOTSET) return current < 0;
    if (current < 0) return false;
    const target = targetOf(flow, this.targetId, this.value);
    switch (this.op) {
      case FlowintOp.EQ: return current === target;
      case FlowintOp.NE: return current !== target;
      case FlowintOp.LT: return current < target;
      case FlowintOp.LE: return current <= target;
      case FlowintOp.GT: return current > target;
      default: return current >= target;
    }
  }
}

/** `=`, `+` or `-`, applied after the rule matched. */
export class FlowintUpdate implements PostMatcher {
  readonly keyword = 'flowint';

  constructor(
    readonly id: number,
    readonly op: number,
    readonly value: number,
    readonly targetId: number,
  ) {}

  apply(_p: Packet, flow: Flow | null): boolean {
    if (flow === null) return true;
    const target = targetOf(flow, this.targetId, this.value);
    const current = flowintValue(flow, this.id);
    if (this.op === FlowintOp.SET) setFlowint(flow, this.id, target);
    else if (this.op === FlowintOp.ADD) setFlowint(flow, this.id, current < 0 ? target : current + target);
    else if (current >= 0) setFlowint(flow, this.id, current - target);
    return true;
  }
}

function setupFlowint(b: SignatureBuilder, value: string): void {
  const fields = value.split(',').map((field) => field.trim());
  const allowed = 'expected <name>,<op>,<number or flowint name> with op one of = + - == != < <= > >=, or <name>,isset|notset';
  if (fields.length < 2 || fields.length > 3) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a valid flowint (${allowed})`);
    return;
  }
  const [name, operator] = fields;
  if (!FLOWINT_NAME.test(name)) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${name}' is not a valid flowint name (expected a letter, then letters, digits and _ . - /)`);
    return;
  }
  const op = OPERATORS[operator.toLowerCase()];
  if (op === undefined) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${operator}' is not a flowint operator (${allowed})`);
    return;
  }
  const id = b.variableId('flowint', name);

  if (op === FlowintOp.ISSET || op === FlowintOp.NOTSET) {
    if (fields.length === 3 && fields[2].length > 0) {
      b.warning(ErrorCode.RULE_BAD_VALUE, `flowint '${operator}' takes no value; '${fields[2]}' is ignored`);
    }
    b.addPacketMatch(new FlowintCheck(id, op, 0, -1));
    return;
  }
  const operand = fields.length === 3 ? fields[2] : '';
  let constant = 0;
  let targetId = -1;
  if (/^\d+$/.test(operand)) {
    constant = Number(operand);
    if (constant > MAX_U32) {
      b.error(ErrorCode.RULE_BAD_VALUE, `value '${operand}' is too large (expected 0 to ${MAX_U32})`);
      return;
    }
  } else if (FLOWINT_NAME.test(operand)) {
    targetId = b.variableId('flowint', operand);
  } else {
    b.error(ErrorCode.RULE_BAD_VALUE, `operand '${operand}' is invalid (expected a number from 0 to ${MAX_U32} or a flowint name)`);
    return;
  }

  if (op === FlowintOp.SET || op === FlowintOp.ADD || op === FlowintOp.SUB) {
    b.addPostMatch(new FlowintUpdate(id, op, constant, targetId));
  } else {
    b.addPacketMatch(new FlowintCheck(id, op, constant, targetId));
  }
}

registerKeyword({
  name: 'flowint',
  description: 'Sets, adds to, subtracts from and compares named integers on the flow.',
  docsAnchor: 'flow-keywords.html#flowint',
  value: 'required',
  setup: setupFlowint,
});
