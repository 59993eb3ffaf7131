/**
 * Keywords on the flow's counters, checked on every packet of the flow
 * (the counters include the current packet). Packets without a flow do not
 * match. Suricata: rules/flow-keywords.html.
 *
 *   flow.pkts:<dir>,[op]n     dir: toserver, toclient or either
 *   flow.bytes:<dir>,[op]n    bytes are whole captured frames
 *   flow.pkts_toserver:[op]n  and flow.pkts_toclient, flow.bytes_toserver,
 *                             flow.bytes_toclient: the older one-direction forms
 *   flow.age:[op]seconds      whole seconds from the first to this packet
 */
import type { Packet } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { Flow } from '../../flow/flow.js';
import type { PacketMatcher, SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';
import { parseUintValue, type UintValue } from './uint-value.js';

/** Counters that a FlowCounterMatch reads. */
export const FlowCounter = {
  PKTS: 0,
  BYTES: 1,
  AGE: 2,
} as const;

/** Direction of the packet and byte counters. */
export const CounterDirection = {
  TO_SERVER: 0,
  TO_CLIENT: 1,
  EITHER: 2,
} as const;

const DIRECTION_NAMES: ReadonlyMap<string, number> = new Map([
  ['toserver', CounterDirection.TO_SERVER],
  ['toclient', CounterDirection.TO_CLIENT],
  ['either', CounterDirection.EITHER],
]);

const US_PER_S = 1_000_000;

/** Largest packet count and flow age: Suricata keeps both as 32-bit unsigned integers. */
const MAX_U32 = 4294967295;

/**
 * Largest byte count a rule may give. Suricata counts bytes in 64 bits;
 * kapu's numbers are exact up to 2^53 - 1, far above any flow's size.
 * NOTE: a mask comparison (`&mask=value`) reads only the low 32 bits of a
 * byte count.
 */
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

/** Compares one counter of the packet's flow. */
export class FlowCounterMatch implements PacketMatcher {
  constructor(
    readonly keyword: string,
    readonly counter: number,
    readonly direction: number,
    readonly value: UintValue,
  ) {}

  match(_p: Packet, flow: Flow | null): boolean {
    if (flow === null) return false;
    switch (this.counter) {
      case FlowCounter.PKTS:
        return this.matchDirection(flow.pktsToServer, flow.pktsToClient);
      case FlowCounter.BYTES:
        return this.matchDirection(flow.bytesToServer, flow.bytesToClient);
      case FlowCounter.AGE: {
        const age = Math.floor(flow.lastUs / US_PER_S) - Math.floor(flow.startUs / US_PER_S);
        return this.value.matches(Math.min(age, MAX_U32));
      }
      default:
        return false;
    }
  }

  private matchDirection(toServer: number, toClient: number): boolean {
    if (this.direction === CounterDirection.TO_SERVER) return this.value.matches(toServer);
    if (this.direction === CounterDirection.TO_CLIENT) return this.value.matches(toClient);
    return this.value.matches(toServer) || this.value.matches(toClient);
  }
}

/** Parses `<direction>,<comparison>` of flow.pkts and flow.bytes. */
function setupWithDirection(b: SignatureBuilder, keyword: string, counter: number, max: number, value: string): void {
  const comma = value.indexOf(',');
  if (comma < 0) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' has no direction (expected toserver, toclient or either, then a comma and the comparison)`);
    return;
  }
  const name = value.slice(0, comma).trim();
  const direction = DIRECTION_NAMES.get(name);
  if (direction === undefined) {
    b.error(ErrorCode.RULE_BAD_VALUE, `direction '${name}' is not valid (expected toserver, toclient or either)`, 0, comma);
    return;
  }
  const parsed = parseUintValue(value.slice(comma + 1), max);
  if (typeof parsed === 'string') {
    b.error(ErrorCode.RULE_BAD_VALUE, parsed, comma + 1, value.length - comma - 1);
    return;
  }
  b.addPacketMatch(new FlowCounterMatch(keyword, counter, direction, parsed));
}

/** Parses a comparison of a counter whose direction the keyword name fixes. */
function setupFixed(b: SignatureBuilder, keyword: string, counter: number, direction: number, max: number, value: string): void {
  const parsed = parseUintValue(value, max);
  if (typeof parsed === 'string') {
    b.error(ErrorCode.RULE_BAD_VALUE, parsed);
    return;
  }
  b.addPacketMatch(new FlowCounterMatch(keyword, counter, direction, parsed));
}

registerKeyword({
  name: 'flow.pkts',
  description: 'compare the number of packets of the flow in one direction or either',
  docsAnchor: 'flow-keywords.html#flow-pkts',
  value: 'required',
  setup: (b, value) => setupWithDirection(b, 'flow.pkts', FlowCounter.PKTS, MAX_U32, value),
});

registerKeyword({
  name: 'flow.bytes',
  description: 'compare the number of bytes of the flow in one direction or either',
  docsAnchor: 'flow-keywords.html#flow-bytes',
  value: 'required',
  setup: (b, value) => setupWithDirection(b, 'flow.bytes', FlowCounter.BYTES, MAX_BYTES, value),
});

const FIXED_DIRECTION: ReadonlyArray<[string, number, number, number]> = [
  ['flow.pkts_toserver', FlowCounter.PKTS, CounterDirection.TO_SERVER, MAX_U32],
  ['flow.pkts_toclient', FlowCounter.PKTS, CounterDirection.TO_CLIENT, MAX_U32],
  ['flow.bytes_toserver', FlowCounter.BYTES, CounterDirection.TO_SERVER, MAX_BYTES],
  ['flow.bytes_toclient', FlowCounter.BYTES, CounterDirection.TO_CLIENT, MAX_BYTES],
];

for (const [name, counter, direction, max] of FIXED_DIRECTION) {
  const what = counter === FlowCounter.PKTS ? 'packets' : 'bytes';
  const to = direction === CounterDirection.TO_SERVER ? 'server' : 'client';
  registerKeyword({
    name,
    description: `compare the number of ${what} of the flow sent to the ${to}`,
    docsAnchor: `flow-keywords.html#flow-${what === 'packets' ? 'pkts' : 'bytes'}`,
    value: 'required',
    setup: (b, value) => setupFixed(b, name, counter, direction, max, value),
  });
}

registerKeyword({
  name: 'flow.age',
  description: 'compare the age of the flow in whole seconds',
  docsAnchor: 'flow-keywords.html#flow-age',
  value: 'required',
  setup: (b, value) => setupFixed(b, 'flow.age', FlowCounter.AGE, CounterDirection.EITHER, MAX_U32, value),
});
