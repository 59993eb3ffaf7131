/**
 * `flow:` restricts a rule to packets of a flow in a given direction and
 * state. The options set Signature.flowFlags; the matcher added here
 * checks direction, state and fragment reassembly. `only_stream` and
 * `no_stream` depend on whether the engine inspects a packet or a
 * reassembled stream chunk, so the engine checks those two bits itself
 * (matchStreamFlowFlags).
 */
import { ErrorCode } from '../../core/errors.js';
import { Direction, type Packet } from '../../core/packet.js';
import { FlowState, type Flow } from '../../flow/flow.js';
import { FlowFlag, type PacketMatcher } from '../signature.js';
import { TcpState, wasEstablishedBefore } from '../../stream/tcp-session.js';
import { registerKeyword } from './keyword-table.js';

/** Option names and their bits; from_client and from_server are aliases. */
const FLOW_OPTIONS: Record<string, number> = {
  to_server: FlowFlag.TO_SERVER,
  from_client: FlowFlag.TO_SERVER,
  to_client: FlowFlag.TO_CLIENT,
  from_server: FlowFlag.TO_CLIENT,
  established: FlowFlag.ESTABLISHED,
  not_established: FlowFlag.NOT_ESTABLISHED,
  stateless: FlowFlag.STATELESS,
  only_stream: FlowFlag.ONLY_STREAM,
  no_stream: FlowFlag.NO_STREAM,
  only_frag: FlowFlag.ONLY_FRAG,
  no_frag: FlowFlag.NO_FRAG,
};

/** Pairs of options that contradict each other. */
const CONFLICTS: ReadonlyArray<[number, number, string]> = [
  [FlowFlag.TO_SERVER, FlowFlag.TO_CLIENT, 'to_server and to_client'],
  [FlowFlag.ESTABLISHED, FlowFlag.NOT_ESTABLISHED, 'established and not_established'],
  [FlowFlag.ESTABLISHED, FlowFlag.STATELESS, 'established and stateless'],
  [FlowFlag.ONLY_STREAM, FlowFlag.NO_STREAM, 'only_stream and no_stream'],
  [FlowFlag.ONLY_FRAG, FlowFlag.NO_FRAG, 'only_frag and no_frag'],
];

const FLOW_NEEDED = FlowFlag.TO_SERVER | FlowFlag.TO_CLIENT | FlowFlag.ESTABLISHED | FlowFlag.NOT_ESTABLISHED;

/**
 * Tells whether a packet satisfies the direction, state and fragment bits
 * of `flags`. Direction and state bits need a flow, and `stateless` alone
 * sets no condition.
 */
export function matchFlowFlags(flags: number, p: Packet, flow: Flow | null): boolean {
  if ((flags & FLOW_NEEDED) !== 0) {
    if (flow === null) return false;
    if ((flags & FlowFlag.TO_SERVER) !== 0 && p.direction !== Direction.TO_SERVER) return false;
    if ((flags & FlowFlag.TO_CLIENT) !== 0 && p.direction !== Direction.TO_CLIENT) return false;
    // TCP reads the session state before the packet, as Suricata does: the
    // handshake's final ACK is not established yet, and a packet that closed
    // the session still is.
    const isEstablished = flow.tcp !== null && flow.tcp.state !== TcpState.NONE ? wasEstablishedBefore(flow.tcp) : flow.state === FlowState.ESTABLISHED;
    if ((flags & FlowFlag.ESTABLISHED) !== 0 && !isEstablished) return false;
    if ((flags & FlowFlag.NOT_ESTABLISHED) !== 0 && isEstablished) return false;
  }
  if ((flags & FlowFlag.ONLY_FRAG) !== 0 && !p.isDefragmented) return false;
  if ((flags & FlowFlag.NO_FRAG) !== 0 && p.isDefragmented) return false;
  return true;
}

/** Tells whether `only_stream`/`no_stream` in `flags` allow inspecting a stream chunk (true) or a packet (false). */
export function matchStreamFlowFlags(flags: number, isStreamChunk: boolean): boolean {
  if ((flags & FlowFlag.ONLY_STREAM) !== 0 && !isStreamChunk) return false;
  if ((flags & FlowFlag.NO_STREAM) !== 0 && isStreamChunk) return false;
  return true;
}

/** Checks the signature's flow bits on each packet. */
export class FlowMatch implements PacketMatcher {
  readonly keyword = 'flow';

  constructor(public flags: number) {}

  match(p: Packet, flow: Flow | null): boolean {
    return matchFlowFlags(this.flags, p, flow);
  }
}

/** Parses the comma-separated options into FlowFlag bits, or returns the problem. */
export function parseFlowOptions(value: string, previous: number): number | string {
  let flags = previous;
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    const bit = FLOW_OPTIONS[name];
    if (bit === undefined) {
      return `'${part.trim()}' is not a flow option (expected ${Object.keys(FLOW_OPTIONS).join(', ')})`;
    }
    if ((flags & bit) !== 0) return `'${part.trim()}' is given twice`;
    flags |= bit;
  }
  for (const [a, b, names] of CONFLICTS) {
    if ((flags & a) !== 0 && (flags & b) !== 0) return `'${value}' combines ${names}, which exclude each other`;
  }
  return flags;
}

registerKeyword({
  name: 'flow',
  description: 'Restricts the rule to a flow direction and state (to_server, established, ...).',
  docsAnchor: 'flow-keywords.html#flow',
  value: 'required',
  setup(b, value) {
    const flags = parseFlowOptions(value, b.sig.flowFlags);
    if (typeof flags === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, flags);
      return;
    }
    const isFirst = b.sig.flowFlags === 0;
    b.sig.flowFlags = flags;
    if (isFirst) b.addPacketMatch(new FlowMatch(0));
    for (const m of b.sig.packetMatches) {
      if (m instanceof FlowMatch) m.flags = flags;
    }
  },
});
