import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpProto, TcpFlag } from '../../core/packet.js';
import { defaultFlowConfig } from '../../flow/flow-config.js';
import { FlowTable } from '../../flow/flow-table.js';
import { makePacket } from '../../flow/test-packet.js';
import { StreamEvent, STREAM_EVENT_NAMES, streamEventCounterName, streamEventEveName, streamEventId } from '../../stream/stream-events.js';
import type { PacketMatcher, SignatureBuilder } from '../signature.js';
import { StreamEventMatcher, streamEventKeyword } from './stream-event.js';


function setup(value: string): { matches: PacketMatcher[]; errors: string[] } {
  const matches: PacketMatcher[] = [];
  const errors: string[] = [];
  const builder = {
    addPacketMatch: (m: PacketMatcher) => matches.push(m),
    error: (_code: string, message: string) => errors.push(message),
  } as unknown as SignatureBuilder;
  streamEventKeyword.setup(builder, value);
  return { matches, errors };
}

test('stream-event names from the catalogue', () => {
  // stream-events.rules of Suricata 8 names 65 distinct events.
  assert.equal(STREAM_EVENT_NAMES.length, 66);
  assert.equal(streamEventId('3whs_synack_in_wrong_direction'), StreamEvent.THREEWHS_SYNACK_IN_WRONG_DIRECTION);
  assert.equal(streamEventId('reassembly_urgent_oob_limit_reached'), 65);
  assert.equal(streamEventId('no_such_event'), 0);
});

test('stream-event eve and counter names', () => {
  // suricata-verify stream-depth-reached-event expects anomaly.event stream.reassembly_depth_reached.
  const id = streamEventId('reassembly_depth_reached');
  assert.equal(streamEventEveName(id), 'stream.reassembly_depth_reached');
  assert.equal(streamEventCounterName(StreamEvent.PKT_INVALID_TIMESTAMP), 'stream.pkt_invalid_timestamp');
});

test('stream-event setup unknown name', () => {
  const { matches, errors } = setup('no_such_event');
  assert.equal(matches.length, 0);
  assert.deepEqual(errors, ["stream-event: 'no_such_event' is not a known stream event (see stream-events.rules for the names)"]);
});

test('stream-event matches current packet only', () => {
  const { matches } = setup(' 3whs_synack_in_wrong_direction ');
  const matcher = matches[0] as StreamEventMatcher;
  assert.ok(matcher instanceof StreamEventMatcher);

  const table = new FlowTable(defaultFlowConfig(), () => {});
  const c = { src: '198.51.100.7', dst: '203.0.113.9', srcPort: 40000, dstPort: 80 };
  const syn = makePacket({ ...c, flags: TcpFlag.SYN, seq: 1000 });
  const flow = table.handlePacket(syn);
  assert.equal(matcher.match(syn, flow), false);

  const wrong = makePacket({ ...c, flags: TcpFlag.SYN | TcpFlag.ACK, seq: 9, ack: 1001 });
  table.handlePacket(wrong);
  assert.equal(matcher.match(wrong, flow), true);

  const next = makePacket({ ...c, flags: TcpFlag.SYN, seq: 1000 });
  table.handlePacket(next);
  assert.equal(matcher.match(next, flow), false);
  assert.equal(matcher.match(next, null), false);

  // A non-TCP packet of the flow does not see the session's events.
  table.handlePacket(wrong);
  const icmp = makePacket({ src: '203.0.113.9', dst: '198.51.100.7', proto: IpProto.ICMP, icmpType: 3 });
  assert.equal(matcher.match(icmp, flow), false);
});
