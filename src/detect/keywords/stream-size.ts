/**
 * `stream_size:<server|client|both|either>,<op>,<n>`: compares the bytes a
 * TCP session carried, counted in sequence space (next expected sequence
 * number minus the ISN, so the SYN counts one), as Suricata does.
 * `server` is what the server sent, `client` what the client sent, `both`
 * needs both sides to satisfy the comparison and `either` one of them.
 * Ops: <, >, =, !=, <=, >=. Packets without a TCP session do not match.
 */
import { ErrorCode } from '../../core/errors.js';
import { Direction, type Packet } from '../../core/packet.js';
import type { Flow } from '../../flow/flow.js';
import { TcpState } from '../../stream/tcp-session.js';
import type { KeywordDef, PacketMatcher, SignatureBuilder } from '../signature.js';

export const StreamSizeSide = {
  SERVER: 0,
  CLIENT: 1,
  BOTH: 2,
  EITHER: 3,
} as const;

export const StreamSizeOp = {
  LT: 0,
  GT: 1,
  EQ: 2,
  NE: 3,
  LE: 4,
  GE: 5,
} as const;

const SIDES: Record<string, number> = {
  server: StreamSizeSide.SERVER,
  client: StreamSizeSide.CLIENT,
  both: StreamSizeSide.BOTH,
  either: StreamSizeSide.EITHER,
};

const OPS: Record<string, number> = {
  '<': StreamSizeOp.LT,
  '>': StreamSizeOp.GT,
  '=': StreamSizeOp.EQ,
  '!=': StreamSizeOp.NE,
  '<=': StreamSizeOp.LE,
  '>=': StreamSizeOp.GE,
};

const MAX_STREAM_SIZE = 0xffffffff;

/** Compares `size` with `value` by a StreamSizeOp. */
export function compareStreamSize(size: number, op: number, value: number): boolean {
  switch (op) {
    case StreamSizeOp.LT:
      return size < value;
    case StreamSizeOp.GT:
      return size > value;
    case StreamSizeOp.EQ:
      return size === value;
    case StreamSizeOp.NE:
      return size !== value;
    case StreamSizeOp.LE:
      return size <= value;
    default:
      return size >= value;
  }
}

/** Matches the stream sizes of the packet's TCP session. */
export class StreamSizeMatcher implements PacketMatcher {
  readonly keyword = 'stream_size';
  readonly side: number;
  readonly op: number;
  readonly value: number;

  constructor(side: number, op: number, value: number) {
    this.side = side;
    this.op = op;
    this.value = value;
  }

  match(_p: Packet, flow: Flow | null): boolean {
    if (flow === null || flow.tcp === null || flow.tcp.state === TcpState.NONE) return false;
    const clientSize = flow.tcp.streamSize(Direction.TO_SERVER);
    const serverSize = flow.tcp.streamSize(Direction.TO_CLIENT);
    switch (this.side) {
      case StreamSizeSide.SERVER:
        return compareStreamSize(serverSize, this.op, this.value);
      case StreamSizeSide.CLIENT:
        return compareStreamSize(clientSize, this.op, this.value);
      case StreamSizeSide.BOTH:
        return compareStreamSize(serverSize, this.op, this.value) && compareStreamSize(clientSize, this.op, this.value);
      default:
        return compareStreamSize(serverSize, this.op, this.value) || compareStreamSize(clientSize, this.op, this.value);
    }
  }
}

/** Parses a stream_size value; returns the matcher or an error message. */
export function parseStreamSize(value: string): StreamSizeMatcher | string {
  const parts = value.split(',');
  if (parts.length !== 3) {
    return `stream_size: '${value}' is invalid (expected <server|client|both|either>,<op>,<bytes>)`;
  }
  const sideName = parts[0].trim();
  const opName = parts[1].trim();
  const number = parts[2].trim();
  const side = SIDES[sideName];
  if (side === undefined) return `stream_size: '${sideName}' is not a side (expected server, client, both or either)`;
  const op = OPS[opName];
  if (op === undefined) return `stream_size: '${opName}' is not an operator (expected <, >, =, !=, <= or >=)`;
  if (!/^[0-9]+$/.test(number) || Number(number) > MAX_STREAM_SIZE) {
    return `stream_size: '${number}' is not a byte count (expected an integer from 0 to ${MAX_STREAM_SIZE})`;
  }
  return new StreamSizeMatcher(side, op, Number(number));
}

export const streamSizeKeyword: KeywordDef = {
  name: 'stream_size',
  description: 'compare the bytes a TCP session carried, in sequence space',
  docsAnchor: 'flow-keywords.html#stream-size',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const result = parseStreamSize(value);
    if (typeof result === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, result);
      return;
    }
    b.addPacketMatch(result);
  },
};
