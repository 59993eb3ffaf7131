import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, IpProto, TcpFlag } from '../core/packet.js';
import { TcpState } from '../stream/tcp-session.js';
import { Flow, FlowEndReason, FlowState } from './flow.js';
import { defaultFlowConfig, ExceptionAction, type ExceptionPolicyName, type FlowConfig } from './flow-config.js';
import { FlowTable, FLOW_BYTES_ESTIMATE, HASH_BUCKET_BYTES_ESTIMATE } from './flow-table.js';
import { collectFlowStats } from './flow-stats.js';
import { makePacket, type PacketSpec } from './test-packet.js';

const T0 = 1_700_000_000_000_000;
const S = 1_000_000;

interface Ended {
  flowId: number;
  reason: number;
  proto: number;
  clientPort: number;
  pktsToServer: number;
  pktsToClient: number;
}

function newTable(change?: (c: FlowConfig) => void): { table: FlowTable; ended: Ended[] } {
  const config = defaultFlowConfig();
  config.prealloc = 16;
  if (change !== undefined) change(config);
  const ended: Ended[] = [];
  const table = new FlowTable(config, (flow: Flow) => {
    ended.push({
      flowId: flow.flowId,
      reason: flow.endReason,
      proto: flow.ipProto,
      clientPort: flow.clientPort,
      pktsToServer: flow.pktsToServer,
      pktsToClient: flow.pktsToClient,
    });
  });
  return { table, ended };
}

function udp(src: string, dst: string, srcPort: number, dstPort: number, timestampUs: number, extra?: Partial<PacketSpec>) {
  return makePacket({ src, dst, srcPort, dstPort, proto: IpProto.UDP, timestampUs, ...extra });
}

test('flow keying both directions', () => {
  const { table } = newTable();
  const request = udp('198.51.100.7', '203.0.113.9', 40000, 53, T0, { payloadLength: 30 });
  const reply = udp('203.0.113.9', '198.51.100.7', 53, 40000, T0 + 1000, { payloadLength: 80 });

  const first = table.handlePacket(request);
  const second = table.handlePacket(reply);
  assert.ok(first !== null);
  assert.equal(second, first);
  assert.equal(request.direction, Direction.TO_SERVER);
  assert.equal(reply.direction, Direction.TO_CLIENT);
  assert.equal(first.clientPort, 40000);
  assert.equal(first.serverPort, 53);
  assert.deepEqual([...first.clientAddr.subarray(0, 4)], [198, 51, 100, 7]);
  assert.equal(first.pktsToServer, 1);
  assert.equal(first.pktsToClient, 1);
  assert.equal(first.bytesToServer, 54 + 30);
  assert.equal(first.bytesToClient, 54 + 80);
  assert.equal(first.state, FlowState.ESTABLISHED);
  assert.equal(table.counters.created, 1);
  assert.equal(table.counters.udp, 1);
});

test('flow client is lower or higher side', () => {
  // The client's address sorts higher than the server's here.
  const { table } = newTable();
  const flow = table.handlePacket(udp('203.0.113.200', '198.51.100.1', 5000, 5001, T0));
  const back = udp('198.51.100.1', '203.0.113.200', 5001, 5000, T0 + 1);
  assert.equal(table.handlePacket(back), flow);
  assert.equal(back.direction, Direction.TO_CLIENT);
});

test('flow one-way traffic stays new', () => {
  const { table } = newTable();
  const flow = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0 + 1));
  assert.equal(flow?.state, FlowState.NEW);
  assert.equal(flow?.pktsToServer, 2);
});

test('flow different ports are different flows', () => {
  const { table } = newTable();
  const a = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1000, 53, T0));
  const b = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1001, 53, T0));
  assert.notEqual(a, b);
  assert.equal(table.counters.active, 2);
});

test('flow vlan ids separate flows', () => {
  const { table } = newTable();
  const a = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0, { vlanIds: [10] }));
  const b = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0, { vlanIds: [20] }));
  const c = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0, { vlanIds: [10, 5] }));
  const untagged = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  const replyA = table.handlePacket(udp('203.0.113.9', '198.51.100.7', 2, 1, T0, { vlanIds: [10] }));
  assert.equal(new Set([a, b, c, untagged]).size, 4);
  assert.equal(replyA, a);
  assert.equal(a?.vlanId, 10);
  assert.equal(table.counters.active, 4);
});

test('flow ipv6 both directions', () => {
  const { table } = newTable();
  const out = makePacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 443, dstPort: 50000, flags: TcpFlag.SYN, seq: 1, timestampUs: T0 });
  const back = makePacket({ src: '2001:db8::2', dst: '2001:db8::1', srcPort: 50000, dstPort: 443, timestampUs: T0 + 1 });
  const flow = table.handlePacket(out);
  assert.equal(table.handlePacket(back), flow);
  assert.equal(back.direction, Direction.TO_CLIENT);
  assert.equal(flow?.ipVersion, 6);
  assert.equal(flow?.clientAddr[15], 1);
  // Same low 32 bits, other prefix: a different flow.
  const other = table.handlePacket(makePacket({ src: '2001:db9::1', dst: '2001:db8::2', srcPort: 443, dstPort: 50000, timestampUs: T0 }));
  assert.notEqual(other, flow);
});

test('flow ipv4 and ipv6 do not collide', () => {
  const { table } = newTable();
  const v4 = table.handlePacket(udp('0.0.0.1', '0.0.0.2', 1, 2, T0));
  const v6 = table.handlePacket(udp('::1', '::2', 1, 2, T0));
  assert.notEqual(v4, v6);
});

test('flow icmp keyed by addresses', () => {
  const { table } = newTable();
  const echo = makePacket({ src: '198.51.100.7', dst: '203.0.113.9', proto: IpProto.ICMP, icmpType: 8, timestampUs: T0 });
  const echo2 = makePacket({ src: '198.51.100.7', dst: '203.0.113.9', proto: IpProto.ICMP, icmpType: 8, timestampUs: T0 + 1 });
  const reply = makePacket({ src: '203.0.113.9', dst: '198.51.100.7', proto: IpProto.ICMP, icmpType: 0, timestampUs: T0 + 2 });
  const flow = table.handlePacket(echo);
  assert.equal(table.handlePacket(echo2), flow);
  assert.equal(table.handlePacket(reply), flow);
  assert.equal(reply.direction, Direction.TO_CLIENT);
  assert.equal(flow?.state, FlowState.ESTABLISHED);
  assert.equal(flow?.icmpType, 8);
  assert.equal(flow?.responseIcmpType, 0);
  assert.equal(table.counters.icmpv4, 1);
});

test('flow icmp unreachable joins quoted flow', () => {
  const { table } = newTable();
  const udpFlow = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 40000, 53, T0));
  // ICMP port unreachable from 203.0.113.9 quoting the UDP datagram:
  // 0x00  45 00 00 1c 00 00 00 00 40 11 00 00 c6 33 64 07   E.......@....3d.
  // 0x10  cb 00 71 09 9c 40 00 35                           ..q..@.5
  const bytes = new Uint8Array(80);
  const at = 34 + 8;
  bytes.set([0x45, 0, 0, 0x1c, 0, 0, 0, 0, 0x40, 0x11, 0, 0, 198, 51, 100, 7, 203, 0, 113, 9, 0x9c, 0x40, 0x00, 0x35], at);
  const error = makePacket({
    src: '203.0.113.9',
    dst: '198.51.100.7',
    proto: IpProto.ICMP,
    icmpType: 3,
    icmpCode: 3,
    bytes,
    icmpInnerL3Offset: at,
    timestampUs: T0 + 5,
  });
  assert.equal(table.handlePacket(error), udpFlow);
  assert.equal(error.direction, Direction.TO_CLIENT);
  assert.equal(udpFlow?.pktsToClient, 1);
  assert.equal(table.counters.active, 1);
});

test('flow icmp unreachable without flow', () => {
  const { table } = newTable();
  const bytes = new Uint8Array(80);
  bytes.set([0x45, 0, 0, 0x1c, 0, 0, 0, 0, 0x40, 0x11, 0, 0, 198, 51, 100, 7, 203, 0, 113, 9, 0x9c, 0x40, 0x00, 0x35], 42);
  const error = makePacket({ src: '203.0.113.9', dst: '198.51.100.7', proto: IpProto.ICMP, icmpType: 3, bytes, icmpInnerL3Offset: 42, timestampUs: T0 });
  const flow = table.handlePacket(error);
  assert.equal(flow?.ipProto, IpProto.ICMP);
  assert.equal(error.direction, Direction.TO_SERVER);
});

test('flow protocol without ports', () => {
  const { table } = newTable();
  const gre = makePacket({ src: '198.51.100.7', dst: '203.0.113.9', proto: IpProto.GRE, timestampUs: T0 });
  const flow = table.handlePacket(gre);
  assert.equal(flow?.ipProto, IpProto.GRE);
  assert.equal(flow?.clientPort, 0);
  const esp = table.handlePacket(makePacket({ src: '198.51.100.7', dst: '203.0.113.9', proto: IpProto.ESP, timestampUs: T0 }));
  assert.notEqual(esp, flow);
});

test('flow skips fragments, invalid, non-ip', () => {
  const { table } = newTable();
  const fragment = udp('198.51.100.7', '203.0.113.9', 0, 0, T0, { isFragment: true });
  assert.equal(table.handlePacket(fragment), null);
  const arp = udp('198.51.100.7', '203.0.113.9', 0, 0, T0);
  arp.ipVersion = 0;
  assert.equal(table.handlePacket(arp), null);
  const broken = udp('198.51.100.7', '203.0.113.9', 1, 2, T0);
  broken.isInvalid = true;
  assert.equal(table.handlePacket(broken), null);
  assert.equal(table.counters.created, 0);
  assert.equal(table.exceptionAction, ExceptionAction.NONE);
});

test('flow timeout exact boundary on lookup', () => {
  const { table, ended } = newTable();
  const first = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  const firstId = first?.flowId;
  // udp new timeout is 30 s: one microsecond before, the flow lives on.
  assert.equal(table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0 + 30 * S - 1)), first);
  assert.equal(ended.length, 0);
  // The last packet was at T0 + 30 s - 1 us, so it times out at T0 + 60 s - 1 us.
  const next = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0 + 60 * S - 1));
  assert.equal(ended.length, 1);
  assert.equal(ended[0]?.reason, FlowEndReason.TIMEOUT);
  assert.equal(ended[0]?.flowId, firstId);
  assert.equal(ended[0]?.pktsToServer, 2);
  assert.equal(next?.pktsToServer, 1);
  assert.equal(table.counters.timedOut, 1);
});

test('flow timeout exact boundary on expire', () => {
  const { table, ended } = newTable();
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  table.expire(T0 + 30 * S - 1);
  assert.equal(ended.length, 0);
  table.expire(T0 + 30 * S);
  assert.equal(ended.length, 1);
  assert.equal(table.counters.active, 0);
});

test('flow timeouts by protocol and state', () => {
  const cases: [string, number, number][] = [
    ['udp new', IpProto.UDP, 30],
    ['tcp new', IpProto.TCP, 60],
    ['icmp new', IpProto.ICMP, 30],
    ['gre default new', IpProto.GRE, 30],
  ];
  for (const [name, proto, seconds] of cases) {
    const { table, ended } = newTable();
    table.handlePacket(makePacket({ src: '198.51.100.7', dst: '203.0.113.9', srcPort: 1, dstPort: 2, proto, timestampUs: T0 }));
    table.expire(T0 + seconds * S - 1);
    assert.equal(ended.length, 0, name);
    table.expire(T0 + seconds * S);
    assert.equal(ended.length, 1, name);
  }

  const { table, ended } = newTable();
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  table.handlePacket(udp('203.0.113.9', '198.51.100.7', 2, 1, T0));
  table.expire(T0 + 300 * S - 1);
  assert.equal(ended.length, 0, 'udp established');
  table.expire(T0 + 300 * S);
  assert.equal(ended.length, 1, 'udp established');
});

test('flow expiry runs as capture time advances', () => {
  const { table, ended } = newTable();
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  table.handlePacket(udp('198.51.100.8', '203.0.113.9', 1, 2, T0 + 29 * S));
  assert.equal(ended.length, 0);
  // A packet of another flow in a later second runs the expiry pass.
  table.handlePacket(udp('198.51.100.8', '203.0.113.9', 1, 2, T0 + 31 * S));
  assert.equal(ended.length, 1);
  assert.equal(ended[0]?.reason, FlowEndReason.TIMEOUT);
});

test('flow flushAll ends every flow', () => {
  const { table, ended } = newTable();
  for (let i = 0; i < 5; i++) table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1000 + i, 53, T0));
  table.flushAll(FlowEndReason.SHUTDOWN);
  assert.equal(ended.length, 5);
  assert.ok(ended.every((e) => e.reason === FlowEndReason.SHUTDOWN));
  assert.equal(table.counters.active, 0);
  // Slots and flows are reused afterwards.
  assert.ok(table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 53, T0 + 1)) !== null);
});

test('flow id below 2^51 and unique', () => {
  const { table } = newTable((c) => {
    c.hashSize = 64;
  });
  const ids = new Set<number>();
  for (let i = 0; i < 5000; i++) {
    const flow = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1024 + i, 53, T0 + 123456));
    assert.ok(flow !== null);
    assert.ok(Number.isSafeInteger(flow.flowId));
    assert.ok(flow.flowId > 0);
    assert.ok(flow.flowId < 2 ** 51);
    ids.add(flow.flowId);
  }
  assert.equal(ids.size, 5000);
});

test('flow id layout', () => {
  const { table } = newTable();
  // Start 1700000005.123456: seconds & 7 = 5, microseconds & 0xffff = 0xe240.
  const start = 1_700_000_005 * S + 123456;
  const flow = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, start));
  assert.ok(flow !== null);
  assert.equal(Math.floor(flow.flowId / 2 ** 48), 1_700_000_005 & 7);
  assert.equal(Math.floor(flow.flowId / 2 ** 32) % 0x10000, 123456 & 0xffff);
});

test('flow same tuple same id in both directions', () => {
  const { table } = newTable();
  const a = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0))?.flowId;
  table.flushAll(FlowEndReason.SHUTDOWN);
  const { table: other } = newTable();
  const b = other.handlePacket(udp('203.0.113.9', '198.51.100.7', 2, 1, T0))?.flowId;
  assert.equal(a, b);
});

function smallMemcap(flows: number, policy: ExceptionPolicyName, isIps: boolean, hashSize = 16) {
  return newTable((c) => {
    c.hashSize = hashSize;
    c.prealloc = 0;
    c.memcapBytes = hashSize * HASH_BUCKET_BYTES_ESTIMATE + flows * FLOW_BYTES_ESTIMATE;
    c.memcapPolicy = policy;
    c.isIps = isIps;
  });
}

test('flow memcap policy outcomes', () => {
  const cases: [ExceptionPolicyName, boolean, number][] = [
    ['auto', true, ExceptionAction.DROP_PACKET],
    ['auto', false, ExceptionAction.IGNORE],
    ['ignore', true, ExceptionAction.IGNORE],
    ['drop-packet', true, ExceptionAction.DROP_PACKET],
    ['drop-packet', false, ExceptionAction.IGNORE],
    ['drop-flow', true, ExceptionAction.DROP_PACKET],
    ['pass-packet', true, ExceptionAction.PASS_PACKET],
    ['pass-flow', false, ExceptionAction.PASS_PACKET],
    ['bypass', true, ExceptionAction.BYPASS],
    ['reject', true, ExceptionAction.REJECT],
  ];
  for (const [policy, isIps, expected] of cases) {
    const name = `${policy} ${isIps ? 'ips' : 'ids'}`;
    const { table } = smallMemcap(2, policy, isIps);
    assert.ok(table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0)) !== null, name);
    assert.ok(table.handlePacket(udp('198.51.100.7', '203.0.113.9', 3, 4, T0)) !== null, name);
    assert.equal(table.exceptionAction, ExceptionAction.NONE, name);

    assert.equal(table.handlePacket(udp('198.51.100.7', '203.0.113.9', 5, 6, T0)), null, name);
    assert.equal(table.exceptionAction, expected, name);
    assert.equal(table.counters.memcapHits, 1, name);
    assert.equal(table.counters.memcapPolicy[expected], 1, name);
    assert.equal(table.counters.getUsedFailed, 1, name);
    assert.equal(table.counters.emergencyEntered, 1, name);
    assert.equal(table.isEmergency, true, name);

    // Existing flows still get their packets.
    assert.ok(table.handlePacket(udp('203.0.113.9', '198.51.100.7', 2, 1, T0)) !== null, name);
    assert.equal(table.exceptionAction, ExceptionAction.NONE, name);
  }
});

test('flow memcap evicts idle flow', () => {
  // One bucket, so the eviction scan finds the flows on its first try.
  const { table, ended } = smallMemcap(2, 'auto', true, 1);
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 3, 4, T0));
  // Two seconds later both new flows are idle past the 1 s kept under pressure,
  // but within the 10 s emergency-new timeout: one is evicted (forced).
  const third = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 5, 6, T0 + 2 * S));
  assert.ok(third !== null);
  assert.equal(ended.length, 1);
  assert.equal(ended[0]?.reason, FlowEndReason.FORCED);
  assert.equal(table.counters.getUsed, 1);
  assert.equal(table.counters.active, 2);
});

test('flow memcap emergency timeouts apply', () => {
  const { table, ended } = smallMemcap(2, 'auto', true);
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0));
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 3, 4, T0 + 1));
  assert.equal(table.handlePacket(udp('198.51.100.7', '203.0.113.9', 5, 6, T0 + 1)), null);
  // udp emergency-new is 10 s: at T0 + 10 s the first flow has timed out.
  const fresh = table.handlePacket(udp('198.51.100.7', '203.0.113.9', 5, 6, T0 + 10 * S));
  assert.ok(fresh !== null);
  assert.equal(ended[0]?.reason, FlowEndReason.TIMEOUT);
  assert.equal(ended[0]?.clientPort, 1);
});

test('flow emergency ends below recovery level', () => {
  const { table } = smallMemcap(10, 'auto', true);
  for (let i = 0; i < 10; i++) table.handlePacket(udp('198.51.100.7', '203.0.113.9', 100 + i, 2, T0));
  assert.equal(table.handlePacket(udp('198.51.100.7', '203.0.113.9', 1, 2, T0)), null);
  assert.equal(table.isEmergency, true);
  table.expire(T0 + 10 * S);
  assert.equal(table.isEmergency, false);
  assert.equal(table.counters.emergencyOver, 1);
});

test('flow memuse counts buckets and flows', () => {
  const { table } = newTable((c) => {
    c.hashSize = 100;
    c.prealloc = 3;
  });
  assert.equal(table.memuseBytes, 100 * HASH_BUCKET_BYTES_ESTIMATE + 3 * FLOW_BYTES_ESTIMATE);
  for (let i = 0; i < 5; i++) table.handlePacket(udp('198.51.100.7', '203.0.113.9', i, 2, T0));
  assert.equal(table.memuseBytes, 100 * HASH_BUCKET_BYTES_ESTIMATE + 5 * FLOW_BYTES_ESTIMATE);
});

test('flow tcp reuse after close', () => {
  const { table, ended } = newTable();
  const c = '198.51.100.7';
  const s = '203.0.113.9';
  const first = table.handlePacket(makePacket({ src: c, dst: s, srcPort: 40000, dstPort: 80, flags: TcpFlag.SYN, seq: 100, timestampUs: T0 }));
  table.handlePacket(makePacket({ src: s, dst: c, srcPort: 80, dstPort: 40000, flags: TcpFlag.RST | TcpFlag.ACK, seq: 0, ack: 101, timestampUs: T0 + 1 }));
  assert.equal(first?.state, FlowState.CLOSED);
  // A retransmitted SYN (same ISN) is not a new connection; a new ISN is.
  const again = table.handlePacket(makePacket({ src: c, dst: s, srcPort: 40000, dstPort: 80, flags: TcpFlag.SYN, seq: 100, timestampUs: T0 + 2 }));
  assert.equal(ended.length, 0);
  assert.equal(again, first);
  const reused = table.handlePacket(makePacket({ src: c, dst: s, srcPort: 40000, dstPort: 80, flags: TcpFlag.SYN, seq: 5000, timestampUs: T0 + 3 }));
  assert.equal(ended.length, 1);
  assert.equal(ended[0]?.reason, FlowEndReason.TCP_REUSE);
  assert.equal(table.counters.tcpReuse, 1);
  assert.equal(reused?.tcp?.client.isn, 5000);
});

test('flow tcp syn to client without session', () => {
  const { table, ended } = newTable();
  // An ACK picks nothing up (midstream off); the SYN from the other side starts the connection.
  table.handlePacket(makePacket({ src: '203.0.113.9', dst: '198.51.100.7', srcPort: 80, dstPort: 40000, flags: TcpFlag.ACK, seq: 1, ack: 1, timestampUs: T0 }));
  const flow = table.handlePacket(makePacket({ src: '198.51.100.7', dst: '203.0.113.9', srcPort: 40000, dstPort: 80, flags: TcpFlag.SYN, seq: 9, timestampUs: T0 + 1 }));
  assert.equal(ended[0]?.reason, FlowEndReason.TCP_REUSE);
  assert.equal(flow?.clientPort, 40000);
});

test('flow stats names', () => {
  const { table } = smallMemcap(1, 'auto', true);
  table.handlePacket(makePacket({ src: '198.51.100.7', dst: '203.0.113.9', srcPort: 1, dstPort: 2, flags: TcpFlag.SYN, ack: 5, timestampUs: T0 }));
  table.handlePacket(udp('198.51.100.7', '203.0.113.9', 3, 4, T0));
  const stats = collectFlowStats(table);
  assert.equal(stats['flow.total'], 1);
  assert.equal(stats['flow.tcp'], 1);
  assert.equal(stats['flow.memcap'], 1);
  assert.equal(stats['flow.memcap_exception_policy.drop_packet'], 1);
  assert.equal(stats['flow.memcap_exception_policy.drop_flow'], 0);
  assert.equal(stats['flow.memcap_exception_policy.ignore'], undefined);
  assert.equal(stats['flow.spare'], 0);
  assert.equal(stats['tcp.syn'], 1);
  assert.equal(stats['tcp.sessions'], 1);
  assert.equal(stats['stream.pkt_broken_ack'], 1);
  assert.equal(stats['stream.3whs_ack_in_wrong_dir'], 0);

  table.flushAll(FlowEndReason.SHUTDOWN);
  const ended = collectFlowStats(table);
  assert.equal(ended['flow.end.state.new'], 1);
  assert.equal(ended['flow.end.tcp_state.syn_sent'], 1);
  assert.equal(ended['flow.end.tcp_state.closed'], 0);
});

test('flow icmp error keeps tcp state', () => {
  const { table } = newTable();
  // The SYN's non-zero ACK field raises pkt_broken_ack; the ICMP error must not repeat it.
  const tcpFlow = table.handlePacket(makePacket({ src: '198.51.100.7', dst: '203.0.113.9', srcPort: 40000, dstPort: 80, flags: TcpFlag.SYN, seq: 1, ack: 9, timestampUs: T0 }));
  assert.equal(tcpFlow?.tcp?.eventCount, 1);
  // Host unreachable from a router quoting the SYN:
  // 0x00  45 00 00 28 00 00 00 00 40 06 00 00 c6 33 64 07   E..(....@....3d.
  // 0x10  cb 00 71 09 9c 40 00 50                           ..q..@.P
  const bytes = new Uint8Array(80);
  bytes.set([0x45, 0, 0, 0x28, 0, 0, 0, 0, 0x40, 0x06, 0, 0, 198, 51, 100, 7, 203, 0, 113, 9, 0x9c, 0x40, 0x00, 0x50], 42);
  const error = makePacket({ src: '198.51.100.1', dst: '198.51.100.7', proto: IpProto.ICMP, icmpType: 3, icmpCode: 1, bytes, icmpInnerL3Offset: 42, timestampUs: T0 + 5 });
  assert.equal(table.handlePacket(error), tcpFlow);
  assert.equal(error.direction, Direction.TO_CLIENT);
  assert.equal(tcpFlow?.pktsToClient, 1);
  assert.equal(tcpFlow?.state, FlowState.NEW);
  assert.equal(tcpFlow?.tcp?.state, TcpState.SYN_SENT);
  assert.equal(tcpFlow?.tcp?.eventCount, 0);
});
