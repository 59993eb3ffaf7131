import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumState, Direction, TcpFlag, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { defaultFlowConfig } from '../flow/flow-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { makePacket, type PacketSpec } from '../flow/test-packet.js';
import { STREAM_EVENT_NAMES, StreamEvent } from './stream-events.js';
import { wasEstablishedBefore, type TcpSession } from './tcp-session.js';
import { FlowState } from '../flow/flow.js';
import {
  StreamException,
  StreamReassembler,
  defaultReassemblyConfig,
  reassemblyStats,
  resolveStreamExceptionPolicy,
  type ReassemblyConfig,
  type TcpReassembly,
} from './reassembly.js';

const { SYN, ACK, PSH, FIN } = TcpFlag;
const CLIENT = '198.51.100.7';
const SERVER = '203.0.113.9';
/** Client and server initial sequence numbers; data starts one after each. */
const CISN = 1000;
const SISN = 5000;
const HEADER_BYTES = 54;

/** Drives one TCP connection through a flow table and a reassembler. */
class Connection {
  readonly table: FlowTable;
  readonly reassembler: StreamReassembler;
  flow: Flow | null;
  last: Packet | null;
  private timeUs: number;

  constructor(config: Partial<ReassemblyConfig> = {}, isIps = false, asyncOneside = false) {
    const flowConfig = defaultFlowConfig();
    flowConfig.prealloc = 4;
    flowConfig.stream.asyncOneside = asyncOneside;
    this.table = new FlowTable(flowConfig, () => {});
    this.reassembler = new StreamReassembler({ ...defaultReassemblyConfig(isIps), ...config });
    this.flow = null;
    this.last = null;
    this.timeUs = 1_700_000_000_000_000;
  }

  handshake(): void {
    this.client(SYN, CISN, 0);
    this.server(SYN | ACK, SISN, CISN + 1);
    this.client(ACK, CISN + 1, SISN + 1);
  }

  /** Sends from the client; `data` goes at sequence number `seq`. */
  client(flags: number, seq: number, ack: number, data = '', extra: Partial<PacketSpec> = {}): Packet {
    return this.send({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 80, flags, seq, ack, ...extra }, data);
  }

  server(flags: number, seq: number, ack: number, data = '', extra: Partial<PacketSpec> = {}): Packet {
    return this.send({ src: SERVER, dst: CLIENT, srcPort: 80, dstPort: 40000, flags, seq, ack, ...extra }, data);
  }

  /** Client data at stream offset `offset`, acknowledging nothing new. */
  clientData(offset: number, data: string, extra: Partial<PacketSpec> = {}): Packet {
    return this.client(ACK | PSH, CISN + 1 + offset, SISN + 1, data, extra);
  }

  /** Sends the server's ACK of client data up to stream offset `offset`. */
  serverAck(offset: number): Packet {
    return this.server(ACK, SISN + 1, CISN + 1 + offset);
  }

  /** Stream events recorded on the last packet. */
  events(): string[] {
    const session = (this.flow as Flow).tcp;
    const out: string[] = [];
    if (session === null) return out;
    for (let i = 0; i < session.eventCount; i++) out.push(STREAM_EVENT_NAMES[session.events[i] as number] as string);
    return out;
  }

  /** Returns the blocks the last packet made ready, as text. */
  ready(): string[] {
    const inspection = this.reassembler.inspection;
    const out: string[] = [];
    for (let i = 0; i < inspection.blockCount; i++) {
      const block = inspection.block(i);
      out.push(String.fromCharCode(...block.bytes.subarray(block.start, block.start + block.length)));
    }
    return out;
  }

  /** Returns the blocks left for flow end in `direction`, as text. */
  flowEnd(direction: number = Direction.TO_SERVER): string[] {
    if (!this.reassembler.prepareFlowEnd(this.flow as Flow, direction)) return [];
    return this.ready();
  }

  private send(spec: PacketSpec, data: string): Packet {
    this.timeUs += 1000;
    const bytes = new Uint8Array(HEADER_BYTES + data.length);
    for (let i = 0; i < data.length; i++) bytes[HEADER_BYTES + i] = data.charCodeAt(i);
    const p = makePacket({ timestampUs: this.timeUs, bytes, payloadLength: data.length, ...spec });
    p.l4Offset = 34;
    p.l4HeaderLength = 20;
    this.flow = this.table.handlePacket(p);
    this.reassembler.handlePacket(p, this.flow);
    this.last = p;
    return p;
  }
}

const payloadText = (p: Packet): string => String.fromCharCode(...p.payload());

test('reassembly in order at flow end', () => {
  const c = new Connection();
  c.handshake();
  c.clientData(0, 'GET ');
  assert.equal(c.reassembler.isPacketAdded, true);
  c.clientData(4, '/x');
  c.serverAck(6);
  // Six acknowledged bytes are below the 2560-byte chunk: nothing is inspected yet.
  assert.deepEqual(c.ready(), []);
  assert.deepEqual(c.flowEnd(), ['GET /x']);
  assert.deepEqual(c.flowEnd(), []);
});

test('reassembly one-sided data acknowledged', () => {
  const c = new Connection({}, false, true);
  // Only the client is seen: SYN, ACK, then a write that ends with PSH.
  c.client(SYN, CISN, 0);
  c.client(ACK, CISN + 1, SISN + 1);
  c.clientData(0, 'GET / HTTP/1.1\r\n\r\n');
  // No server ACK will come, so the write is ready on arrival, as once acknowledged.
  assert.deepEqual(c.ready(), ['GET / HTTP/1.1\r\n\r\n']);
  assert.deepEqual(c.flowEnd(), []);
});

test('reassembly two-sided data waits for ack', () => {
  const c = new Connection({}, false, false);
  c.handshake();
  c.clientData(0, 'GET / HTTP/1.1\r\n\r\n');
  assert.deepEqual(c.ready(), []);
  c.serverAck(18);
  // The client's next packet finds its write acknowledged.
  c.client(ACK, CISN + 19, SISN + 1);
  assert.deepEqual(c.ready(), ['GET / HTTP/1.1\r\n\r\n']);
});

test('reassembly out of order segments', () => {
  const c = new Connection();
  c.handshake();
  c.clientData(4, 'EFG');
  c.clientData(7, 'H');
  c.clientData(0, 'ABCD');
  assert.deepEqual(c.flowEnd(), ['ABCDEFGH']);
});

test('reassembly ids inspects acked data', () => {
  const c = new Connection({ toServerChunkSize: 8 });
  c.handshake();
  c.clientData(0, 'Let Me ');
  c.clientData(7, 'In!');
  assert.deepEqual(c.ready(), [], 'nothing is acknowledged yet');
  c.serverAck(10);
  assert.deepEqual(c.ready(), [], 'the acknowledging packet inspects its own direction only');
  // The next packet from the client inspects the acknowledged 10 bytes, as
  // Suricata inspects acknowledged data in the packet's own direction.
  c.client(ACK, CISN + 11, SISN + 1);
  assert.deepEqual(c.ready(), ['Let Me In!']);
  c.client(ACK, CISN + 11, SISN + 1);
  assert.deepEqual(c.ready(), [], 'each byte is inspected once');
  assert.deepEqual(c.flowEnd(), []);
});

test('reassembly ids waits for chunk size', () => {
  // Writes without PSH wait until the acknowledged data reaches the chunk size (8 here).
  const c = new Connection({ toServerChunkSize: 8 });
  c.handshake();
  c.client(ACK, CISN + 1, SISN + 1, 'abcd');
  c.serverAck(4);
  c.client(ACK, CISN + 5, SISN + 1, 'efg');
  assert.deepEqual(c.ready(), [], '4 acknowledged bytes are below the chunk size');
  c.serverAck(7);
  c.client(ACK, CISN + 8, SISN + 1, 'hij');
  assert.deepEqual(c.ready(), [], '7 acknowledged bytes are below the chunk size');
  c.serverAck(10);
  c.client(ACK, CISN + 11, SISN + 1);
  assert.deepEqual(c.ready(), ['abcdefghij']);
});

test('reassembly ids acked push inspects', () => {
  const c = new Connection();
  c.handshake();
  c.client(ACK, CISN + 1, SISN + 1, 'GET ');
  c.client(ACK | PSH, CISN + 5, SISN + 1, '/x');
  c.serverAck(4);
  c.client(ACK, CISN + 7, SISN + 1);
  assert.deepEqual(c.ready(), [], 'the write is acknowledged only in part');
  c.serverAck(6);
  c.client(ACK, CISN + 7, SISN + 1);
  assert.deepEqual(c.ready(), ['GET /x']);
});

test('reassembly ids parser requests inspection', () => {
  // The request's first 4 bytes are acknowledged, but its PSH segment is
  // not: only the parser's request makes them ready before the chunk size.
  const c = new Connection({ toServerChunkSize: 8 });
  c.handshake();
  c.client(ACK, CISN + 1, SISN + 1, 'abcd');
  c.client(ACK | PSH, CISN + 5, SISN + 1, 'ef');
  c.serverAck(4);
  c.client(ACK, CISN + 7, SISN + 1);
  assert.deepEqual(c.ready(), [], '4 acknowledged bytes wait for the chunk size');
  const toServer = ((c.flow as Flow).tcp?.reassembly as TcpReassembly).toServer;
  toServer.isInspectionRequested = true;
  c.client(ACK, CISN + 7, SISN + 1);
  assert.deepEqual(c.ready(), ['abcd']);
  assert.equal(toServer.isInspectionRequested, false, 'the request is used once');
});

test('reassembly parser messages replace push', () => {
  // A direction whose parser requests inspection after each message (HTTP)
  // no longer treats an acknowledged PSH write as one.
  const c = new Connection({ toServerChunkSize: 8 });
  c.handshake();
  c.client(ACK | PSH, CISN + 1, SISN + 1, 'GET /x');
  const toServer = ((c.flow as Flow).tcp?.reassembly as TcpReassembly).toServer;
  toServer.hasMessageRequests = true;
  c.serverAck(6);
  c.client(ACK, CISN + 7, SISN + 1);
  assert.deepEqual(c.ready(), [], 'the acknowledged write waits for the parser');
  toServer.isInspectionRequested = true;
  c.client(ACK, CISN + 7, SISN + 1);
  assert.deepEqual(c.ready(), ['GET /x']);
});

test('reassembly ids closing session inspects', () => {
  const c = new Connection();
  c.handshake();
  c.clientData(0, 'EVIL');
  c.serverAck(4);
  c.client(FIN | ACK, CISN + 5, SISN + 1);
  // close_wait is past time_wait in Suricata's numbering: data is due whatever its size.
  assert.deepEqual(c.ready(), ['EVIL']);
});

test('reassembly ips window ends at packet', () => {
  const c = new Connection({}, true);
  c.handshake();
  c.clientData(0, 'Let ');
  assert.deepEqual(c.ready(), ['Let ']);
  c.clientData(4, 'Me ');
  assert.deepEqual(c.ready(), ['Let Me ']);
  assert.equal(c.reassembler.inspection.newDataStart, 4);
  c.clientData(7, 'In!');
  assert.deepEqual(c.ready(), ['Let Me In!']);
});

test('reassembly ips rewrites overlap', () => {
  const c = new Connection({}, true);
  c.handshake();
  c.clientData(0, 'GOOD');
  const evil = c.clientData(0, 'EVIL');
  assert.deepEqual(c.events(), ['pkt_retransmission', 'reassembly_overlap_different_data']);
  assert.equal(payloadText(evil), 'GOOD');
  assert.equal(c.reassembler.counters.overlapDiffData, 1);
  assert.deepEqual(c.ready(), ['GOOD']);
});

test('reassembly ids overlap by policy', () => {
  // The server is in a linux network: a longer retransmission at the same start wins.
  const c = new Connection({ checkOverlapDifferentData: true });
  c.reassembler.config.hostOsPolicy.add('203.0.113.0/24', 5);
  c.handshake();
  c.clientData(0, 'GOOD');
  const p = c.clientData(0, 'EVIL!');
  assert.equal(payloadText(p), 'EVIL!', 'IDS mode never rewrites packets');
  assert.ok(c.events().includes('reassembly_overlap_different_data'));
  assert.deepEqual(c.flowEnd(), ['EVIL!']);
});

test('reassembly gap raises event', () => {
  const c = new Connection();
  c.handshake();
  c.clientData(0, 'VERY');
  c.clientData(8, 'DATA');
  c.serverAck(4);
  assert.deepEqual(c.events(), []);
  c.serverAck(12);
  assert.deepEqual(c.events(), ['reassembly_seq_gap']);
  assert.equal(c.reassembler.counters.reassemblyGap, 1);
  assert.equal(c.reassembler.counters.streamEvents[StreamEvent.REASSEMBLY_SEQ_GAP], 1);
  c.serverAck(12);
  assert.deepEqual(c.events(), [], 'a gap is reported once');
  assert.deepEqual(c.flowEnd(), ['VERY', 'DATA']);
  const payload = c.reassembler.payloadOf(c.reassembler.inspection, 4096);
  assert.equal(String.fromCharCode(...payload), 'VERY[4 bytes missing]DATA');
});

test('reassembly unacked gap is no gap', () => {
  const c = new Connection();
  c.handshake();
  c.clientData(0, 'Let Me ');
  c.clientData(11, 'In!');
  c.serverAck(7);
  assert.deepEqual(c.events(), []);
  assert.equal(c.reassembler.counters.reassemblyGap, 0);
  assert.deepEqual(c.flowEnd(), ['Let Me ', 'In!']);
});

test('reassembly depth reached', () => {
  const c = new Connection({ depth: 10 });
  c.handshake();
  c.clientData(0, 'ABCDEFGH');
  assert.deepEqual(c.events(), []);
  c.clientData(8, 'IJKLMNOP');
  assert.deepEqual(c.events(), ['reassembly_depth_reached']);
  assert.equal(c.reassembler.isPacketAdded, true, 'the bytes up to the depth are stored');
  c.clientData(16, 'QRST');
  assert.deepEqual(c.events(), []);
  assert.equal(c.reassembler.isPacketAdded, false);
  assert.equal(c.reassembler.counters.streamDepthReached, 1);
  assert.equal(reassemblyStats(c.reassembler).get('tcp.stream_depth_reached'), 1);
  assert.deepEqual(c.flowEnd(), ['ABCDEFGHIJ']);
});

test('reassembly memcap ignored in ids', () => {
  // The first buffer step (4096 bytes) fits the memcap, the next growth does not.
  const c = new Connection({ reassemblyMemcap: 4096 });
  c.handshake();
  c.clientData(0, 'A'.repeat(4000));
  c.clientData(4000, 'B'.repeat(200));
  assert.equal(c.reassembler.exceptionAction, StreamException.NONE);
  assert.equal(c.reassembler.isPacketAdded, false);
  assert.equal(c.reassembler.counters.segmentMemcapDrop, 1);
  assert.equal(reassemblyStats(c.reassembler).get('tcp.reassembly_exception_policy.ignore'), 1);
  assert.ok(c.reassembler.reassemblyMemory.used <= 4096);
});

test('reassembly memcap drops flow in ips', () => {
  const c = new Connection({ reassemblyMemcap: 4096, reassemblyMemcapAction: resolveStreamExceptionPolicy('auto', true) }, true);
  c.handshake();
  c.clientData(0, 'A'.repeat(4000));
  assert.equal(c.reassembler.exceptionAction, StreamException.NONE);
  c.clientData(4000, 'B'.repeat(200));
  assert.equal(c.reassembler.exceptionAction, StreamException.DROP_FLOW);
  assert.equal(reassemblyStats(c.reassembler).get('tcp.reassembly_exception_policy.drop_flow'), 1);
});

test('reassembly memcap policy names', () => {
  assert.equal(resolveStreamExceptionPolicy('auto', false), StreamException.IGNORE);
  assert.equal(resolveStreamExceptionPolicy('auto', true), StreamException.DROP_FLOW);
  assert.equal(resolveStreamExceptionPolicy('drop-packet', false), StreamException.IGNORE);
  assert.equal(resolveStreamExceptionPolicy('drop-packet', true), StreamException.DROP_PACKET);
  assert.equal(resolveStreamExceptionPolicy('pass-flow', false), StreamException.PASS_FLOW);
  assert.equal(resolveStreamExceptionPolicy('bypass', true), StreamException.BYPASS);
});

test('reassembly bad checksum ignored', () => {
  const c = new Connection();
  c.handshake();
  c.clientData(0, 'EVIL', { checksum: ChecksumState.INVALID });
  assert.equal(c.reassembler.isPacketAdded, false);
  c.clientData(0, 'GOOD');
  assert.equal(c.reassembler.counters.overlap, 0);
  assert.deepEqual(c.flowEnd(), ['GOOD']);
});

test('reassembly release returns to pool', () => {
  const c = new Connection();
  c.handshake();
  c.clientData(0, 'data');
  assert.ok(c.reassembler.streamMemory.used > 0);
  assert.ok(c.reassembler.reassemblyMemory.used > 0);
  c.reassembler.release(c.flow as Flow);
  assert.equal(c.reassembler.streamMemory.used, 0);
  assert.equal(c.reassembler.reassemblyMemory.used, 0);
  assert.equal((c.flow as Flow).tcp?.reassembly, null);
});

test('closing packet counts as established', () => {
  const c = new Connection();
  c.handshake();
  c.client(FIN | ACK, CISN + 1, SISN + 1);
  c.server(FIN | ACK, SISN + 1, CISN + 2);
  // The server's FIN moves the session from close_wait to last_ack: the flow is
  // closed now, but the packet was sent on an established session.
  const flow = c.flow as Flow;
  assert.equal(flow.state, FlowState.CLOSED);
  assert.equal(wasEstablishedBefore(flow.tcp as TcpSession), true);
  // The last ACK, sent in last_ack, counts too, as any packet of a session
  // that reached established (ips/firewall-01-tcp-pkt-state-flowbits).
  c.client(ACK, CISN + 2, SISN + 2);
  assert.equal(wasEstablishedBefore(flow.tcp as TcpSession), true);
  c.client(ACK, CISN + 2, SISN + 2, '', { checksum: ChecksumState.INVALID });
  assert.equal(wasEstablishedBefore(flow.tcp as TcpSession), true);
});

test('reassembly async side counts as acked', () => {
  // stream.async-oneside: the server is never seen. The client's data
  // counts as acknowledged on arrival, so it reaches inspection without a
  // server ACK (here at the chunk size, 8 bytes).
  const c = new Connection({ toServerChunkSize: 8 }, false, true);
  c.client(SYN, CISN, 0);
  c.client(ACK, CISN + 1, SISN + 1);
  c.client(ACK, CISN + 1, SISN + 1, 'abcd');
  assert.deepEqual(c.ready(), []);
  c.client(ACK, CISN + 5, SISN + 1, 'efghij');
  assert.deepEqual(c.ready(), ['abcdefghij']);
});

test('direction payload with gap', () => {
  // Stored client data "VERY", four missing bytes, then "DATA", as the
  // payload of a transaction alert shows it; the server sent nothing.
  const c = new Connection();
  c.handshake();
  c.clientData(0, 'VERY');
  c.clientData(8, 'DATA');
  const flow = c.flow as Flow;
  const payload = c.reassembler.directionPayloadOf(flow, Direction.TO_SERVER, 4096);
  assert.equal(String.fromCharCode(...payload), 'VERY[4 bytes missing]DATA');
  const cut = c.reassembler.directionPayloadOf(flow, Direction.TO_SERVER, 6);
  assert.equal(String.fromCharCode(...cut), 'VERY[4');
  assert.equal(c.reassembler.directionPayloadOf(flow, Direction.TO_CLIENT, 4096).length, 0);
});

test('minimal inspect depth keeps data', () => {
  // Inspected and acknowledged client data is released, except the last
  // minInspectDepth bytes before the raw progress while the session is open.
  const run = (depth: number): number => {
    const c = new Connection({ toServerChunkSize: 8 });
    c.handshake();
    c.clientData(0, 'VERY');
    const reassembly = (c.flow as Flow).tcp?.reassembly;
    assert.notEqual(reassembly, null);
    assert.notEqual(reassembly, undefined);
    if (reassembly === null || reassembly === undefined) throw new Error('no reassembly state');
    reassembly.toServer.minInspectDepth = depth;
    c.clientData(4, 'DATA');
    c.serverAck(8);
    // The next client packet inspects the 8 acknowledged bytes (the chunk size).
    c.client(ACK, CISN + 9, SISN + 1);
    assert.equal(reassembly.toServer.rawProgress, 8);
    // Inspected data is released on a later packet, once detection is done with it.
    c.serverAck(8);
    return reassembly.toServer.segments.releasedBase;
  };
  assert.equal(run(0), 8);
  assert.equal(run(6), 2);
  assert.equal(run(100), 0);
});
