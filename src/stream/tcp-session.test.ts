import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumState, Direction, TcpFlag } from '../core/packet.js';
import { FlowState, type Flow } from '../flow/flow.js';
import { defaultFlowConfig } from '../flow/flow-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { makePacket, type PacketSpec } from '../flow/test-packet.js';
import { STREAM_EVENT_NAMES, StreamEvent } from './stream-events.js';
import { TcpResult, TcpState, TCP_STATE_NAMES, wasEstablishedBefore, type TcpSession } from './tcp-session.js';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
const CLIENT = '198.51.100.7';
const SERVER = '203.0.113.9';
const T0 = 1_700_000_000_000_000;

type Extra = Partial<PacketSpec>;

/** Sends packets of one connection through a flow table and records the stream events of each. */
class Conversation {
  readonly table: FlowTable;
  flow: Flow | null;
  lastEvents: string[];
  private timeUs: number;

  constructor(midstream = false, asyncOneside = false) {
    const config = defaultFlowConfig();
    config.prealloc = 4;
    config.stream.midstream = midstream;
    config.stream.asyncOneside = asyncOneside;
    this.table = new FlowTable(config, () => {});
    this.flow = null;
    this.lastEvents = [];
    this.timeUs = T0;
  }

  get session(): TcpSession {
    assert.ok(this.flow !== null);
    assert.ok(this.flow.tcp !== null);
    return this.flow.tcp;
  }

  get stateName(): string {
    return TCP_STATE_NAMES[this.session.state] as string;
  }

  toServer(flags: number, seq: number, ack: number, extra: Extra = {}): string[] {
    return this.send({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 80, flags, seq, ack, ...extra });
  }

  toClient(flags: number, seq: number, ack: number, extra: Extra = {}): string[] {
    return this.send({ src: SERVER, dst: CLIENT, srcPort: 80, dstPort: 40000, flags, seq, ack, ...extra });
  }

  private send(spec: PacketSpec): string[] {
    this.timeUs += 1000;
    const p = makePacket({ timestampUs: this.timeUs, ...spec });
    this.flow = this.table.handlePacket(p);
    const session = this.session;
    this.lastEvents = [];
    for (let i = 0; i < session.eventCount; i++) this.lastEvents.push(STREAM_EVENT_NAMES[session.events[i] as number] as string);
    return this.lastEvents;
  }

  /** Client ISN 1000, server ISN 5000, windows 65535 without scaling. */
  handshake(extra: { client?: Extra; server?: Extra } = {}): void {
    this.toServer(SYN, 1000, 0, extra.client);
    this.toClient(SYN | ACK, 5000, 1001, extra.server);
    this.toServer(ACK, 1001, 5001, extra.client);
  }
}

test('tcp handshake reaches established', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  assert.equal(c.stateName, 'syn_sent');
  assert.equal(c.flow?.state, FlowState.NEW);
  c.toClient(SYN | ACK, 5000, 1001);
  assert.equal(c.stateName, 'syn_recv');
  assert.equal(c.flow?.state, FlowState.NEW);
  assert.deepEqual(c.toServer(ACK, 1001, 5001), []);
  assert.equal(c.stateName, 'established');
  assert.equal(c.flow?.state, FlowState.ESTABLISHED);
  assert.equal(c.session.client.isn, 1000);
  assert.equal(c.session.server.isn, 5000);
  assert.equal(c.session.client.nextSeq, 1001);
  assert.equal(c.session.server.nextSeq, 5001);
  assert.equal(c.table.counters.tcpSessions, 1);
  assert.equal(c.table.counters.tcpSyn, 1);
  assert.equal(c.table.counters.tcpSynAck, 1);
});

test('tcp data advances next seq and stream size', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 100 });
  c.toClient(ACK | PSH, 5001, 1101, { payloadLength: 1000 });
  assert.equal(c.session.client.nextSeq, 1101);
  assert.equal(c.session.server.nextSeq, 6001);
  assert.equal(c.session.server.lastAck, 5001);
  assert.equal(c.session.client.lastAck, 1101);
  // The SYN counts one in sequence space.
  assert.equal(c.session.streamSize(Direction.TO_SERVER), 101);
  assert.equal(c.session.streamSize(Direction.TO_CLIENT), 1001);
});

test('tcp client closes first', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(FIN | ACK, 1001, 5001);
  assert.equal(c.stateName, 'close_wait');
  assert.equal(c.flow?.state, FlowState.ESTABLISHED);
  c.toClient(ACK, 5001, 1002);
  assert.equal(c.stateName, 'close_wait');
  c.toClient(FIN | ACK, 5001, 1002);
  assert.equal(c.stateName, 'last_ack');
  assert.equal(c.flow?.state, FlowState.CLOSED);
  c.toServer(ACK, 1002, 5002);
  assert.equal(c.stateName, 'closed');
  assert.equal(c.flow?.state, FlowState.CLOSED);
  assert.equal(c.session.tcpFlags, SYN | ACK | FIN);
});

test('tcp server closes first', () => {
  const c = new Conversation();
  c.handshake();
  c.toClient(FIN | ACK, 5001, 1001);
  assert.equal(c.stateName, 'fin_wait1');
  c.toServer(ACK, 1001, 5002);
  assert.equal(c.stateName, 'fin_wait2');
  c.toServer(FIN | ACK, 1001, 5002);
  assert.equal(c.stateName, 'time_wait');
  assert.equal(c.flow?.state, FlowState.CLOSED);
  c.toClient(ACK, 5002, 1002);
  assert.equal(c.stateName, 'closed');
});

test('tcp simultaneous close', () => {
  const c = new Conversation();
  c.handshake();
  c.toClient(FIN | ACK, 5001, 1001);
  c.toServer(FIN | ACK, 1001, 5001);
  assert.equal(c.stateName, 'closing');
  c.toServer(ACK, 1002, 5002);
  assert.equal(c.stateName, 'time_wait');
});

test('tcp synack in wrong direction', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  assert.deepEqual(c.toServer(SYN | ACK, 7000, 1001), ['3whs_synack_in_wrong_direction']);
  assert.equal(c.stateName, 'syn_sent');
  assert.equal(c.table.counters.streamEvents[StreamEvent.THREEWHS_SYNACK_IN_WRONG_DIRECTION], 1);
});

test('tcp synack with wrong ack', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1234), ['3whs_synack_with_wrong_ack']);
  assert.equal(c.stateName, 'syn_sent');
});

test('tcp fast open data acknowledged', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0, { payloadLength: 100 });
  assert.equal(c.session.client.nextSeq, 1101);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1101), []);
  c.toServer(ACK, 1101, 5001);
  assert.equal(c.stateName, 'established');
  assert.equal(c.session.streamSize(Direction.TO_SERVER), 101);
});

test('tcp fast open data ignored', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0, { payloadLength: 100 });
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1001), []);
  assert.equal(c.session.client.nextSeq, 1001);
  c.toServer(ACK, 1001, 5001);
  assert.equal(c.stateName, 'established');
});

test('tcp four way handshake', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  assert.deepEqual(c.toClient(SYN, 3000, 0), []);
  assert.equal(c.stateName, 'syn_sent');
  assert.equal(c.session.isFourWay, true);
  assert.deepEqual(c.toServer(SYN | ACK, 1000, 3001), []);
  assert.equal(c.stateName, 'syn_recv');
  assert.deepEqual(c.toClient(ACK, 3001, 1001), []);
  assert.equal(c.stateName, 'established');
  assert.equal(c.flow?.state, FlowState.ESTABLISHED);
  c.toServer(ACK | PSH, 1001, 3001, { payloadLength: 4 });
  assert.equal(c.session.client.nextSeq, 1005);
});

test('tcp four way handshake anomalies', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  c.toClient(SYN, 3000, 0);
  assert.deepEqual(c.toServer(SYN | ACK, 1000, 3005), ['4whs_synack_with_wrong_ack']);
  assert.deepEqual(c.toServer(SYN | ACK, 1500, 3001), ['4whs_synack_with_wrong_syn']);
  c.toServer(SYN | ACK, 1000, 3001);
  assert.deepEqual(c.toClient(ACK, 3500, 1001), ['4whs_wrong_seq']);
  assert.deepEqual(c.toClient(ACK, 3001, 900000), ['4whs_invalid_ack']);
  assert.equal(c.stateName, 'syn_recv');
});

test('tcp third packet wrong ack', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  c.toClient(SYN | ACK, 5000, 1001);
  assert.deepEqual(c.toServer(ACK, 1001, 9999), ['3whs_right_seq_wrong_ack_evasion']);
  assert.deepEqual(c.toServer(ACK, 1500, 9999), ['3whs_wrong_seq_wrong_ack']);
  assert.equal(c.stateName, 'syn_recv');
  assert.equal(c.flow?.state, FlowState.NEW);
});

test('tcp syn_recv anomalies', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  c.toClient(SYN | ACK, 5000, 1001);
  assert.deepEqual(c.toClient(ACK, 5001, 1001), ['3whs_ack_in_wrong_dir']);
  assert.deepEqual(c.toClient(SYN, 5000, 0), ['3whs_syn_toclient_on_syn_recv']);
  assert.deepEqual(c.toServer(SYN | ACK, 1000, 5001), ['3whs_synack_toserver_on_syn_recv']);
  assert.deepEqual(c.toServer(SYN, 1500, 0), ['3whs_syn_resend_diff_seq_on_syn_recv']);
  assert.deepEqual(c.toServer(SYN, 1000, 0), []);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1001), []);
  assert.deepEqual(c.toClient(SYN | ACK, 6000, 1001), ['3whs_synack_resend_with_diff_seq']);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1002), ['3whs_synack_resend_with_different_ack']);
  assert.equal(c.stateName, 'syn_recv');
  // The handshake still completes.
  c.toServer(ACK, 1001, 5001);
  assert.equal(c.stateName, 'established');
});

test('tcp synack flood', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  c.toClient(SYN | ACK, 5000, 1001);
  for (let i = 1; i <= 5; i++) {
    assert.deepEqual(c.toClient(SYN | ACK, 5000 + i, 1001), ['3whs_synack_resend_with_diff_seq']);
  }
  assert.deepEqual(c.toClient(SYN | ACK, 5006, 1001), ['3whs_synack_resend_with_diff_seq', '3whs_synack_flood']);
});

test('tcp syn flood', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  for (let i = 1; i <= 10; i++) assert.deepEqual(c.toServer(SYN, 1000 + i, 0), []);
  assert.equal(c.session.client.isn, 1010);
  // The queue contains the ten replaced ISNs 1000 to 1009, so replacing 1010
  // overflows it. The newest SYN still replaces the session's SYN.
  assert.deepEqual(c.toServer(SYN, 2000, 0), ['3whs_syn_flood']);
  assert.equal(c.session.client.isn, 2000);
  // The SYN/ACK acknowledges the newest SYN, and the handshake completes.
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 2001), []);
  assert.deepEqual(c.toServer(ACK, 2001, 5001), []);
  assert.equal(c.stateName, 'established');
});

test('tcp syn resend queued once', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  // SYNs alternating between two ISNs queue 1000 and 1001 once each.
  for (let i = 0; i < 20; i++) assert.deepEqual(c.toServer(SYN, 1000 + ((i + 1) % 2), 0), []);
  assert.equal(c.session.synQueued, 2);
});

test('tcp rst closes established session', () => {
  const c = new Conversation();
  c.handshake();
  c.toClient(RST | ACK, 5001, 1001);
  assert.equal(c.stateName, 'closed');
  assert.equal(c.flow?.state, FlowState.CLOSED);
  assert.equal(c.session.isClosedByRst, true);
  assert.equal(c.table.counters.tcpRst, 1);
});

test('tcp rst with wrong seq ignored', () => {
  const c = new Conversation();
  c.handshake();
  assert.deepEqual(c.toClient(RST, 5500, 0), []);
  assert.equal(c.stateName, 'established');
});

test('tcp rst with invalid ack', () => {
  const c = new Conversation();
  c.handshake();
  // The server never sent past 5001, so acking 900000 from the client is invalid.
  assert.deepEqual(c.toServer(RST | ACK, 1001, 900000), ['pkt_invalid_ack', 'rst_invalid_ack']);
  assert.equal(c.stateName, 'established');
});

test('tcp syn_sent reply with wrong echo', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0, { tsVal: 777 });
  // A RST whose TSecr does not echo the SYN's TSval was not sent in reply to it.
  assert.deepEqual(c.toClient(RST | ACK, 0, 1001, { tsVal: 100, tsEcr: 100 }), ['pkt_invalid_timestamp']);
  assert.equal(c.stateName, 'syn_sent');
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1001, { tsVal: 100, tsEcr: 777 }), []);
  assert.equal(c.stateName, 'syn_recv');
});

test('tcp syn_sent echo without syn timestamp', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1001, { tsVal: 100, tsEcr: 5 }), ['pkt_invalid_timestamp']);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1001, { tsVal: 100, tsEcr: 0 }), []);
});

test('tcp client rst in syn_sent', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  c.toServer(RST, 1001, 0);
  assert.equal(c.stateName, 'syn_sent');
  c.toServer(RST | ACK, 1000, 1001, { window: 0 });
  assert.equal(c.stateName, 'closed');
});

test('tcp rst in syn_sent', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  assert.deepEqual(c.toClient(RST | ACK, 0, 1234), ['pkt_invalid_ack', 'rst_invalid_ack']);
  assert.equal(c.stateName, 'syn_sent');
  c.toClient(RST | ACK, 0, 1001);
  assert.equal(c.stateName, 'closed');
});

test('tcp packets after rst', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(RST | ACK, 1001, 5001);
  assert.equal(c.stateName, 'closed');
  // The server received the RST, and a late packet from the server raises nothing.
  assert.deepEqual(c.toClient(ACK, 5001, 1001), []);
  // The client sending on means the RST may not have come from it.
  assert.deepEqual(c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 10 }), ['suspected_rst_inject']);
});

test('tcp data after injected rst', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(RST | ACK, 1001, 5001);
  assert.equal(c.stateName, 'closed');
  // The client goes on sending after "its" RST: the packet is handled as in
  // established, so its data is accepted, and the event fires once.
  assert.deepEqual(c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 10 }), ['suspected_rst_inject']);
  assert.equal(c.session.lastResult, TcpResult.ACCEPTED);
  assert.equal(c.session.client.nextSeq, 1011);
  assert.equal(c.session.isClosedByRst, false);
  assert.equal(c.stateName, 'closed');
  assert.deepEqual(c.toServer(ACK | PSH, 1011, 5001, { payloadLength: 10 }), []);
  assert.equal(c.session.client.nextSeq, 1011);
});

test('tcp fin after injected rst', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(RST | ACK, 1001, 5001);
  // A FIN handled in the state before the RST moves the session on from there.
  assert.deepEqual(c.toServer(FIN | ACK, 1001, 5001), ['suspected_rst_inject']);
  assert.equal(c.stateName, 'close_wait');
});

test('tcp midstream off never established', () => {
  const c = new Conversation(false);
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 10 });
  c.toClient(ACK | PSH, 5001, 1011, { payloadLength: 10 });
  c.toServer(ACK, 1011, 5011);
  assert.equal(c.stateName, 'none');
  assert.equal(c.flow?.state, FlowState.NEW);
  assert.equal(c.table.counters.tcpSessions, 0);
});

test('tcp midstream on picks up', () => {
  const c = new Conversation(true);
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 10 });
  assert.equal(c.stateName, 'established');
  assert.equal(c.flow?.state, FlowState.ESTABLISHED);
  assert.equal(c.session.isMidstream, true);
  assert.equal(c.table.counters.tcpMidstreamPickups, 1);
  assert.equal(c.session.streamSize(Direction.TO_SERVER), 11);
  c.toClient(ACK | PSH, 5001, 1011, { payloadLength: 10 });
  assert.equal(c.session.server.nextSeq, 5011);
});

test('tcp midstream synack swaps flow', () => {
  const c = new Conversation(true);
  // The first packet seen is the server's SYN/ACK.
  c.toClient(SYN | ACK, 5000, 1001);
  assert.equal(c.stateName, 'syn_recv');
  assert.equal(c.flow?.clientPort, 40000);
  assert.equal(c.flow?.serverPort, 80);
  assert.equal(c.flow?.pktsToClient, 1);
  assert.equal(c.flow?.pktsToServer, 0);
  c.toServer(ACK, 1001, 5001);
  assert.equal(c.stateName, 'established');
  assert.equal(c.flow?.pktsToServer, 1);
});

test('tcp midstream synack ignored when off', () => {
  const c = new Conversation(false);
  c.toClient(SYN | ACK, 5000, 1001);
  assert.equal(c.stateName, 'none');
  assert.equal(c.flow?.clientPort, 80);
});

test('tcp no session events', () => {
  const c = new Conversation();
  assert.deepEqual(c.toServer(RST, 1, 0), ['rst_but_no_session']);
  assert.deepEqual(c.toServer(FIN | ACK, 1, 1), ['fin_but_no_session']);
  assert.equal(c.stateName, 'none');
});

test('tcp broken ack and fin syn', () => {
  const c = new Conversation();
  assert.deepEqual(c.toServer(SYN, 1000, 77), ['pkt_broken_ack']);
  assert.equal(c.stateName, 'syn_sent');
  assert.deepEqual(c.toServer(SYN | FIN, 1000, 0), ['fin_syn']);
});

test('tcp established syn and synack resends', () => {
  const c = new Conversation();
  c.handshake();
  assert.deepEqual(c.toServer(SYN, 1000, 0), ['est_syn_resend']);
  assert.deepEqual(c.toServer(SYN, 3000, 0), ['est_syn_resend_diff_seq']);
  assert.deepEqual(c.toClient(SYN, 5000, 0), ['est_syn_toclient']);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1001), ['est_synack_resend']);
  assert.deepEqual(c.toClient(SYN | ACK, 5000, 1002), ['est_synack_resend_with_different_ack']);
  assert.deepEqual(c.toClient(SYN | ACK, 5999, 1001), ['est_synack_resend_with_diff_seq']);
  assert.deepEqual(c.toServer(SYN | ACK, 1000, 5001), ['est_synack_toserver']);
  assert.equal(c.stateName, 'established');
});

test('tcp syn during shutdown', () => {
  const c = new Conversation();
  c.handshake();
  c.toClient(FIN | ACK, 5001, 1001);
  assert.equal(c.stateName, 'fin_wait1');
  assert.deepEqual(c.toServer(SYN, 1000, 0), ['shutdown_syn_resend']);
});

test('tcp packet out of window', () => {
  const c = new Conversation();
  c.handshake();
  // The server advertised 65535 bytes from 1001, so data may end at 66536.
  assert.deepEqual(c.toServer(ACK, 66536 - 100, 5001, { payloadLength: 100 }), []);
  assert.deepEqual(c.toServer(ACK, 66536, 5001, { payloadLength: 1 }), ['est_packet_out_of_window']);
  assert.equal(c.session.client.nextSeq, 66536);
});

test('tcp keep-alive is no retransmission', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 100 });
  c.toClient(ACK, 5001, 1101);
  assert.deepEqual(c.toServer(ACK, 1100, 5001, { payloadLength: 1 }), []);
  assert.deepEqual(c.toServer(ACK, 1100, 5001), []);
  assert.equal(c.session.client.nextSeq, 1101);
});

test('tcp zero window probe', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 100 });
  // The server acknowledges the data and closes its window.
  c.toClient(ACK, 5001, 1101, { window: 0 });
  assert.deepEqual(c.toServer(ACK, 1101, 5001, { payloadLength: 1 }), []);
  assert.equal(c.session.client.nextSeq, 1101);
  // The tracked right edge of the window never moves back, because a
  // receiver should not shrink it (RFC 9293 section 3.8.6). A longer
  // segment still fits the window seen before.
  assert.deepEqual(c.toServer(ACK, 1101, 5001, { payloadLength: 2 }), []);
  assert.equal(c.session.client.nextSeq, 1103);
});

test('tcp bad window update', () => {
  const c = new Conversation();
  c.handshake();
  // The window drops from 65535 to 100 while the ACK moves 99 bytes, past
  // anything the server sent, and the sequence number skips ahead.
  assert.deepEqual(c.toServer(ACK, 2000, 5100, { window: 100, payloadLength: 10 }), ['pkt_bad_window_update']);
  assert.equal(c.session.server.window, 65535);
  // The same shrink with in-sequence numbers is an ordinary update.
  assert.deepEqual(c.toServer(ACK, 1001, 5001, { window: 100 }), []);
  assert.equal(c.session.server.window, 100);
});

test('tcp fin out of window', () => {
  const c = new Conversation();
  c.handshake();
  assert.deepEqual(c.toServer(FIN | ACK, 70000, 5001, { payloadLength: 10 }), ['fin_out_of_window']);
  assert.equal(c.stateName, 'established');
});

test('tcp invalid ack in established', () => {
  const c = new Conversation();
  c.handshake();
  assert.deepEqual(c.toServer(ACK, 1001, 5001 + 70000), ['pkt_invalid_ack', 'est_invalid_ack']);
  assert.deepEqual(c.toServer(FIN | ACK, 1001, 5001 + 70000), ['pkt_invalid_ack', 'fin_invalid_ack']);
  c.toServer(FIN | ACK, 1001, 5001);
  assert.deepEqual(c.toClient(ACK, 5001, 1002 + 70000), ['pkt_invalid_ack', 'closewait_invalid_ack']);
});

test('tcp close state out of window events', () => {
  const c = new Conversation();
  c.handshake();
  c.toClient(FIN | ACK, 5001, 1001);
  assert.deepEqual(c.toServer(ACK, 1001 + 70000, 5002), ['fin1_ack_wrong_seq']);
  assert.deepEqual(c.toServer(FIN | ACK, 1001 + 70000, 5002), ['fin1_fin_wrong_seq']);
  c.toServer(ACK, 1001, 5002);
  assert.equal(c.stateName, 'fin_wait2');
  assert.deepEqual(c.toServer(FIN | ACK, 1001 + 70000, 5002), ['fin2_fin_wrong_seq']);
  assert.deepEqual(c.toServer(ACK, 1001, 5002 + 70000), ['pkt_invalid_ack', 'fin2_invalid_ack']);
});

test('tcp retransmission events', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 100 });
  // Not yet acknowledged: a plain retransmission.
  assert.deepEqual(c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 100 }), ['pkt_retransmission']);
  c.toClient(ACK, 5001, 1101);
  // Acknowledged already: before the last ACK.
  assert.deepEqual(c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 100 }), ['pkt_retransmission', 'pkt_spurious_retransmission', 'est_pkt_before_last_ack']);
});

test('tcp fin retransmission', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(FIN | ACK, 1001, 5001);
  assert.deepEqual(c.toServer(FIN | ACK, 1001, 5001), ['pkt_retransmission']);
  assert.equal(c.stateName, 'close_wait');
});

test('tcp invalid timestamp', () => {
  const c = new Conversation();
  c.handshake({ client: { tsVal: 100 }, server: { tsVal: 9000 } });
  assert.equal(c.session.hasTimestamps, true);
  assert.deepEqual(c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 10, tsVal: 150 }), []);
  assert.deepEqual(c.toServer(ACK | PSH, 1011, 5001, { payloadLength: 10, tsVal: 120 }), ['pkt_invalid_timestamp']);
  assert.equal(c.session.client.nextSeq, 1011);
  assert.equal(c.table.counters.streamEvents[StreamEvent.PKT_INVALID_TIMESTAMP], 1);
});

test('tcp timestamps need both sides', () => {
  const c = new Conversation();
  c.handshake({ client: { tsVal: 100 } });
  assert.equal(c.session.hasTimestamps, false);
  assert.deepEqual(c.toServer(ACK, 1001, 5001, { tsVal: 1 }), []);
});

test('tcp window scale negotiated', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0, { windowScale: 7 });
  c.toClient(SYN | ACK, 5000, 1001, { windowScale: 8 });
  c.toServer(ACK, 1001, 5001, { window: 100 });
  assert.equal(c.session.server.window, 100 << 7);
  c.toClient(ACK, 5001, 1001, { window: 100 });
  assert.equal(c.session.client.window, 100 << 8);
});

test('tcp window scale needs both sides', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0, { windowScale: 7 });
  c.toClient(SYN | ACK, 5000, 1001);
  c.toServer(ACK, 1001, 5001, { window: 100 });
  assert.equal(c.session.server.window, 100);
});

test('tcp bad checksum changes nothing', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  c.toClient(SYN | ACK, 5000, 1001, { checksum: ChecksumState.INVALID });
  assert.equal(c.stateName, 'syn_sent');
  assert.equal(c.table.counters.tcpInvalidChecksum, 1);
  assert.equal(c.session.tcpFlags, SYN);
  // The flow still counts the packet.
  assert.equal(c.flow?.pktsToClient, 1);
  c.toClient(SYN | ACK, 5000, 1001);
  assert.equal(c.stateName, 'syn_recv');
});

test('tcp flags per direction', () => {
  const c = new Conversation();
  c.handshake();
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 5 });
  c.toClient(RST | ACK, 5001, 1006);
  assert.equal(c.session.client.tcpFlags, SYN | ACK | PSH);
  assert.equal(c.session.server.tcpFlags, SYN | ACK | RST);
  assert.equal(c.session.tcpFlags, SYN | ACK | PSH | RST);
});

test('tcp state names', () => {
  assert.equal(TCP_STATE_NAMES[TcpState.CLOSE_WAIT], 'close_wait');
  assert.equal(TCP_STATE_NAMES[TcpState.TIME_WAIT], 'time_wait');
  assert.equal(TCP_STATE_NAMES.length, 11);
});

test('tcp dropped flow stops tracking', () => {
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  assert.ok(c.flow !== null);
  c.flow.isDropped = true;
  c.toClient(SYN | ACK, 5000, 1001);
  c.toServer(ACK, 1001, 5001);
  assert.equal(c.stateName, 'syn_sent');
  assert.equal(c.flow.pktsToServer, 2);
});

test('tcp async server side established', () => {
  const c = new Conversation(false, true);
  // Only the server's packets are seen: SYN/ACK, then data acknowledging client bytes never seen.
  c.toClient(SYN | ACK, 5000, 1001);
  assert.equal(c.stateName, 'syn_recv');
  assert.deepEqual(c.toClient(ACK | PSH, 5001, 1397, { payloadLength: 100 }), []);
  assert.equal(c.stateName, 'established');
  assert.equal(c.session.isAsync, true);
  // The unseen client's ACK is taken as given: the data counts as received.
  assert.equal(c.session.server.lastAck, 5101);
  c.toClient(ACK | PSH | FIN, 5101, 1398, { payloadLength: 50 });
  assert.equal(c.stateName, 'fin_wait1');
  assert.equal(c.session.server.lastAck, 5152);
});

test('tcp async wrong seq rejected', () => {
  const c = new Conversation(false, true);
  c.toClient(SYN | ACK, 5000, 1001);
  assert.deepEqual(c.toClient(ACK | PSH, 5100, 1001, { payloadLength: 10 }), ['3whs_async_wrong_seq']);
  assert.equal(c.stateName, 'syn_recv');
});

test('tcp async client side established', () => {
  const c = new Conversation(false, true);
  c.toServer(SYN, 1000, 0);
  // The SYN/ACK took another path; the client's ACK carries the server's next sequence number.
  assert.deepEqual(c.toServer(ACK, 1001, 5001), []);
  assert.equal(c.stateName, 'established');
  assert.equal(c.session.isAsync, true);
  assert.equal(c.session.server.nextSeq, 5001);
  c.toServer(ACK | PSH, 1001, 5001, { payloadLength: 20 });
  assert.equal(c.session.client.nextSeq, 1021);
  assert.equal(c.session.client.lastAck, 1021);
});

test('tcp midstream synack then server data', () => {
  const c = new Conversation(true, false);
  c.toClient(SYN | ACK, 5000, 1001);
  // With midstream on, the server's next packet establishes the session, which stays two-sided.
  assert.deepEqual(c.toClient(ACK | PSH, 5001, 1397, { payloadLength: 100 }), []);
  assert.equal(c.stateName, 'established');
  assert.equal(c.session.isAsync, false);
  assert.equal(c.session.server.nextSeq, 5101);
  assert.equal(c.session.server.lastAck, 5001);
});

test('tcp async off keeps synack pickup off', () => {
  const c = new Conversation(false, false);
  c.toServer(SYN, 1000, 0);
  c.toServer(ACK, 1001, 5001);
  assert.equal(c.stateName, 'syn_sent');
});

test('tcp close packets count as established', () => {
  // ips/firewall-01-tcp-pkt-state-flowbits: the client's last ACK, after
  // both FINs (state last_ack), still matches flow:established. The
  // handshake's ACK, sent in syn_recv, does not (issue-5466-alert-then-pass-02).
  const c = new Conversation();
  c.toServer(SYN, 1000, 0);
  c.toClient(SYN | ACK, 5000, 1001);
  c.toServer(ACK, 1001, 5001);
  assert.equal(wasEstablishedBefore(c.session), false);
  c.toServer(FIN | ACK, 1001, 5001);
  assert.equal(wasEstablishedBefore(c.session), true);
  c.toClient(FIN | ACK, 5001, 1002);
  assert.equal(c.stateName, 'last_ack');
  c.toServer(ACK, 1002, 5002);
  assert.equal(c.stateName, 'closed');
  assert.equal(wasEstablishedBefore(c.session), true);
  // A packet after the close, in state closed, counts too.
  c.toClient(ACK, 5002, 1002);
  assert.equal(wasEstablishedBefore(c.session), true);
});
