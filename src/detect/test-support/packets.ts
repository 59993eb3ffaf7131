/**
 * Builds decoded packets for detection tests without the decoder: the
 * fields the engine reads are set directly.
 */
import { Direction, IpProto, Packet } from '../../core/packet.js';
import { Flow, FlowState } from '../../flow/flow.js';

export interface TestPacketFields {
  ipVersion?: number;
  ipProto?: number;
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  direction?: number;
  isInvalid?: boolean;
  payload?: Uint8Array | string;
}

function ipv4ToNumber(text: string): number {
  const parts = text.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/**
 * Creates a packet: by default TCP over IPv4 from 198.51.100.1:40000 to
 * 203.0.113.1:80 with a 40-byte header area before the payload.
 */
export function createTestPacket(fields: TestPacketFields = {}): Packet {
  const payload = typeof fields.payload === 'string' ? Uint8Array.from(fields.payload, (c) => c.charCodeAt(0) & 0xff) : fields.payload ?? new Uint8Array(0);
  const headerBytes = 40;
  const bytes = new Uint8Array(headerBytes + payload.length);
  bytes.set(payload, headerBytes);
  const p = new Packet();
  p.reset(bytes, 0, bytes.length, 1, 1);
  p.ipVersion = fields.ipVersion ?? 4;
  p.ipProto = fields.ipProto ?? IpProto.TCP;
  p.isInvalid = fields.isInvalid ?? false;
  if (p.ipVersion === 4) {
    p.l3Offset = 0;
    p.src4 = ipv4ToNumber(fields.src ?? '198.51.100.1');
    p.dst4 = ipv4ToNumber(fields.dst ?? '203.0.113.1');
  } else if (p.ipVersion === 6) {
    p.l3Offset = 0;
  }
  if (p.ipVersion !== 0) {
    p.l4Offset = 20;
    p.srcPort = fields.srcPort ?? 40000;
    p.dstPort = fields.dstPort ?? 80;
  }
  if (payload.length > 0) {
    p.payloadOffset = headerBytes;
    p.payloadLength = payload.length;
  }
  p.direction = fields.direction ?? Direction.TO_SERVER;
  return p;
}

/** Creates a flow in the given state. */
export function createTestFlow(state: number = FlowState.ESTABLISHED): Flow {
  const flow = new Flow();
  flow.state = state;
  return flow;
}
