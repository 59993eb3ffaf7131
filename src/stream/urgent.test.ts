import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, TcpFlag, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { defaultFlowConfig } from '../flow/flow-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { makePacket } from '../flow/test-packet.js';
import { StreamReassembler, defaultReassemblyConfig, reassemblyStats } from './reassembly.js';
import { STREAM_EVENT_NAMES } from './stream-events.js';
import { MAX_URGENT_OOB_BYTES, UrgentPolicy, urgentByteIndex, urgentPolicyOf } from './urgent.js';

const { SYN, ACK, PSH, URG } = TcpFlag;
const CISN = 1000;
const SISN = 5000;
const HEADER_BYTES = 54;

/**
 * Sends `GET /malic`, then `XY` with URG and urgent pointer `pointer`,
 * then `ious` at the next sequence number, and the server's ACK of all
 * of it. Returns the reassembler, the flow and the URG packet.
 */
function sendUrgent(policy: number, pointer: number, isIps = false, oobBytesBefore = 0): { reassembler: StreamReassembler; flow: Flow; urgent: Packet; events: string[] } {
  const flowConfig = defaultFlowConfig();
  flowConfig.prealloc = 4;
  const table = new FlowTable(flowConfig, () => {});
  const reassembler = new StreamReassembler({ ...defaultReassemblyConfig(isIps), urgentPolicy: policy, urgentOobLimitPolicy: UrgentPolicy.GAP });
  let timeUs = 1_700_000_000_000_000;
  let flow: Flow | null = null;
  const send = (fromClient: boolean, flags: number, seq: number, ack: number, data = '', urgentPointer = 0): Packet => {
    timeUs += 1000;
    const bytes = new Uint8Array(HEADER_BYTES + data.length);
    for (let i = 0; i < data.length; i++) bytes[HEADER_BYTES + i] = data.charCodeAt(i);
    const ends = fromClient
      ? { src: '198.51.100.7', dst: '203.0.113.9', srcPort: 40000, dstPort: 80 }
      : { src: '203.0.113.9', dst: '198.51.100.7', srcPort: 80, dstPort: 40000 };
    const p = makePacket({ timestampUs: timeUs, bytes, payloadLength: data.length, flags, seq, ack, ...ends });
    p.l4Offset = 34;
    p.l4HeaderLength = 20;
    p.tcpUrgentPointer = urgentPointer;
    flow = table.handlePacket(p);
    reassembler.handlePacket(p, flow);
    return p;
  };
  send(true, SYN, CISN, 0);
  send(false, SYN | ACK, SISN, CISN + 1);
  send(true, ACK, CISN + 1, SISN + 1);
  send(true, ACK | PSH, CISN + 1, SISN + 1, 'GET /malic');
  const reassembly = (flow as unknown as Flow).tcp?.reassembly ?? null;
  if (reassembly !== null) reassembly.toServer.oobBytes = oobBytesBefore;
  const urgent = send(true, ACK | PSH | URG, CISN + 11, SISN + 1, 'XY', pointer);
  const session = (flow as unknown as Flow).tcp;
  const events: string[] = [];
  for (let i = 0; session !== null && i < session.eventCount; i++) events.push(STREAM_EVENT_NAMES[session.events[i] as number] as string);
  send(true, ACK | PSH, CISN + 13, SISN + 1, 'ious');
  send(false, ACK, SISN + 1, CISN + 17);
  return { reassembler, flow: flow as unknown as Flow, urgent, events };
}

/** Returns the stream data left for flow end in the client's direction, blocks joined by `|`. */
function clientStream(reassembler: StreamReassembler, flow: Flow): string {
  if (!reassembler.prepareFlowEnd(flow, Direction.TO_SERVER)) return '';
  const inspection = reassembler.inspection;
  const parts: string[] = [];
  for (let i = 0; i < inspection.blockCount; i++) {
    const block = inspection.block(i);
    parts.push(String.fromCharCode(...block.bytes.subarray(block.start, block.start + block.length)));
  }
  return parts.join('|');
}

test('urgent inline keeps byte', () => {
  const { reassembler, flow } = sendUrgent(UrgentPolicy.INLINE, 2);
  assert.equal(clientStream(reassembler, flow), 'GET /malicXYious');
  assert.equal(reassemblyStats(reassembler).get('tcp.urg'), 1);
});

test('urgent oob takes last byte out', () => {
  // Pointer 2: the urgent data is "XY", and its last byte "Y" is out of band (RFC 6093 section 3.1).
  const { reassembler, flow } = sendUrgent(UrgentPolicy.OOB, 2);
  assert.equal(clientStream(reassembler, flow), 'GET /malicXious');
});

test('urgent oob pointer one', () => {
  const { reassembler, flow } = sendUrgent(UrgentPolicy.OOB, 1);
  assert.equal(clientStream(reassembler, flow), 'GET /malicYious');
});

test('urgent gap leaves hole', () => {
  const { reassembler, flow } = sendUrgent(UrgentPolicy.GAP, 2);
  assert.equal(clientStream(reassembler, flow), 'GET /malicX|ious');
});

test('urgent drop in-line only', () => {
  const ips = sendUrgent(UrgentPolicy.DROP, 2, true);
  assert.equal(ips.reassembler.isUrgentDrop, false, 'flag is per packet');
  const ids = sendUrgent(UrgentPolicy.DROP, 2, false);
  assert.equal(clientStream(ids.reassembler, ids.flow), 'GET /malicXYious');
});

test('urgent drop flags the packet', () => {
  const flowConfig = defaultFlowConfig();
  flowConfig.prealloc = 4;
  const table = new FlowTable(flowConfig, () => {});
  const reassembler = new StreamReassembler({ ...defaultReassemblyConfig(true), urgentPolicy: UrgentPolicy.DROP });
  const packets = [
    makePacket({ timestampUs: 1, bytes: new Uint8Array(HEADER_BYTES), payloadLength: 0, flags: SYN, seq: CISN, ack: 0, src: '198.51.100.7', dst: '203.0.113.9', srcPort: 40000, dstPort: 80 }),
    makePacket({ timestampUs: 2, bytes: new Uint8Array(HEADER_BYTES), payloadLength: 0, flags: SYN | ACK, seq: SISN, ack: CISN + 1, src: '203.0.113.9', dst: '198.51.100.7', srcPort: 80, dstPort: 40000 }),
    makePacket({ timestampUs: 3, bytes: new Uint8Array(HEADER_BYTES + 1), payloadLength: 1, flags: ACK | URG, seq: CISN + 1, ack: SISN + 1, src: '198.51.100.7', dst: '203.0.113.9', srcPort: 40000, dstPort: 80 }),
  ];
  const urgent = packets[2] as Packet;
  urgent.tcpUrgentPointer = 1;
  let dropped = false;
  for (const p of packets) {
    p.l4Offset = 34;
    p.l4HeaderLength = 20;
    reassembler.handlePacket(p, table.handlePacket(p));
    dropped = reassembler.isUrgentDrop;
  }
  assert.equal(dropped, true);
});

test('urgent byte index from pointer', () => {
  const { urgent } = sendUrgent(UrgentPolicy.INLINE, 2);
  assert.equal(urgentByteIndex(urgent), 1);
  urgent.tcpUrgentPointer = 3;
  // Past the 2-byte payload: the urgent byte comes in a later segment.
  assert.equal(urgentByteIndex(urgent), -1);
  urgent.tcpFlags &= ~URG;
  urgent.tcpUrgentPointer = 1;
  assert.equal(urgentByteIndex(urgent), -1);
});

test('urgent policy names', () => {
  assert.equal(urgentPolicyOf('oob'), UrgentPolicy.OOB);
  assert.equal(urgentPolicyOf('gap'), UrgentPolicy.GAP);
  assert.equal(urgentPolicyOf('drop'), UrgentPolicy.DROP);
  assert.equal(urgentPolicyOf('inline'), UrgentPolicy.INLINE);
  assert.equal(MAX_URGENT_OOB_BYTES, 65535);
  assert.equal(STREAM_EVENT_NAMES.includes('reassembly_urgent_oob_limit_reached'), true);
});

test('urgent oob limit applies limit policy', () => {
  // One byte short of the limit: still out of band.
  const below = sendUrgent(UrgentPolicy.OOB, 2, false, MAX_URGENT_OOB_BYTES - 1);
  assert.equal(clientStream(below.reassembler, below.flow), 'GET /malicXious');
  assert.deepEqual(below.events, []);
  // At the limit: oob-limit-policy (gap here) applies and the event is raised once.
  const at = sendUrgent(UrgentPolicy.OOB, 2, false, MAX_URGENT_OOB_BYTES);
  assert.deepEqual(at.events, ['reassembly_urgent_oob_limit_reached']);
  assert.equal(clientStream(at.reassembler, at.flow), 'GET /malicX|ious');
});
