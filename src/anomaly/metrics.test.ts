import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpProto, Packet, TcpFlag } from '../core/packet.js';
import { DistinctMetric, Metric, MetricDirection, TrafficMetrics, defaultTrafficMetricsConfig, type TrafficMetricsConfig } from './metrics.js';
import { PacketSampler } from './sampler.js';
import { fillIpv4Packet, fillIpv6Packet, parseIpv4, type SyntheticFields } from './synthetic-packet.js';

const { OUT, IN } = MetricDirection;
const HOST_A = parseIpv4('198.51.100.5'); // in HOME_NET and in group "servers"
const HOST_B = parseIpv4('198.51.100.200'); // in HOME_NET only
const EXTERNAL = parseIpv4('203.0.113.9');
const EXTERNAL_2 = parseIpv4('203.0.113.10');
const SECOND_US = 1_000_000;

function config(overrides: Partial<TrafficMetricsConfig>): TrafficMetricsConfig {
  return {
    ...defaultTrafficMetricsConfig(['198.51.100.0/24', '2001:db8:1::/48']),
    hostGroups: { servers: ['198.51.100.0/28'] },
    ...overrides,
  };
}

function fields(ipProto: number, tcpFlags: number, wireLength: number, timestampUs: number, dstPort = 80): SyntheticFields {
  return { ipProto, srcPort: 40000, dstPort, tcpFlags, wireLength, timestampUs };
}

/**
 * Second 0 of the capture:
 *   A -> external: 10 TCP SYN of 60 bytes, 2 ICMP of 98 bytes
 *   external -> A: 4 TCP SYN-ACK of 60 bytes
 *   external -> B: 3 UDP of 100 bytes
 *   external -> external: 5 TCP of 60 bytes (outside HOME_NET)
 * then one TCP ACK A -> external at t = 1.0 s, which completes bucket 0.
 */
function feedSecondZero(metrics: TrafficMetrics, p: Packet): void {
  for (let i = 0; i < 10; i++) metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.TCP, TcpFlag.SYN, 60, i * 1000)));
  for (let i = 0; i < 2; i++) metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.ICMP, 0, 98, 20_000 + i)));
  for (let i = 0; i < 4; i++) {
    metrics.recordPacket(fillIpv4Packet(p, EXTERNAL, HOST_A, fields(IpProto.TCP, TcpFlag.SYN | TcpFlag.ACK, 60, 30_000 + i)));
  }
  for (let i = 0; i < 3; i++) metrics.recordPacket(fillIpv4Packet(p, EXTERNAL, HOST_B, fields(IpProto.UDP, 0, 100, 40_000 + i)));
  for (let i = 0; i < 5; i++) metrics.recordPacket(fillIpv4Packet(p, EXTERNAL, EXTERNAL_2, fields(IpProto.TCP, 0, 60, 50_000 + i)));
  metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.TCP, TcpFlag.ACK, 54, SECOND_US)));
}

test('metrics per host counts by hand', () => {
  const metrics = new TrafficMetrics(config({}));
  feedSecondZero(metrics, new Packet());
  const a = metrics.hostEntityByText('198.51.100.5');
  const b = metrics.hostEntityByText('198.51.100.200');
  assert.ok(a >= 0 && b >= 0);
  assert.equal(metrics.hostEntityByText('203.0.113.9'), -1, 'external hosts are not tracked');
  assert.equal(metrics.windowSeconds(), 1);

  // A out: 12 packets, 10 * 60 + 2 * 98 = 796 bytes, 6368 bits/s.
  assert.equal(metrics.rate(a, OUT, Metric.PACKETS), 12);
  assert.equal(metrics.rate(a, OUT, Metric.BYTES), 796);
  assert.equal(metrics.bitsPerSecond(a, OUT), 6368);
  assert.equal(metrics.rate(a, OUT, Metric.TCP_SYN), 10);
  assert.equal(metrics.rate(a, OUT, Metric.TCP_SYN_ACK), 0);
  assert.equal(metrics.rate(a, OUT, Metric.PROTO_ICMP), 2);
  assert.equal(metrics.share(a, OUT, Metric.PROTO_TCP, Metric.PACKETS), 10 / 12);
  // A in: 4 SYN-ACK of 60 bytes.
  assert.equal(metrics.rate(a, IN, Metric.PACKETS), 4);
  assert.equal(metrics.rate(a, IN, Metric.TCP_SYN_ACK), 4);
  assert.equal(metrics.rate(a, IN, Metric.TCP_SYN), 0);
  // B in: 3 UDP of 100 bytes, nothing out.
  assert.equal(metrics.rate(b, IN, Metric.PROTO_UDP), 3);
  assert.equal(metrics.rate(b, IN, Metric.BYTES), 300);
  assert.equal(metrics.rate(b, OUT, Metric.PACKETS), 0);
});

test('metrics groups and network by hand', () => {
  const metrics = new TrafficMetrics(config({}));
  feedSecondZero(metrics, new Packet());
  const servers = metrics.groupEntity('servers');
  const network = metrics.networkEntity;
  assert.equal(metrics.groupEntity('printers'), -1);

  // The group holds only A (198.51.100.0/28).
  assert.equal(metrics.rate(servers, OUT, Metric.PACKETS), 12);
  assert.equal(metrics.rate(servers, IN, Metric.PACKETS), 4);
  // Network in: 4 SYN-ACK to A and 3 UDP to B: 7 packets, 540 bytes,
  // TCP share 4/7, UDP share 3/7.
  assert.equal(metrics.rate(network, OUT, Metric.PACKETS), 12);
  assert.equal(metrics.rate(network, IN, Metric.PACKETS), 7);
  assert.equal(metrics.rate(network, IN, Metric.BYTES), 540);
  assert.equal(metrics.share(network, IN, Metric.PROTO_TCP, Metric.PACKETS), 4 / 7);
  assert.equal(metrics.share(network, IN, Metric.PROTO_UDP, Metric.PACKETS), 3 / 7);
  // 25 IP packets in all; the 5 between external hosts count apart.
  assert.equal(metrics.packetsSeen, 25);
  assert.equal(metrics.packetsOutsideHomeNet, 5);
});

test('metrics window rolls and gaps', () => {
  const metrics = new TrafficMetrics(config({ windowBuckets: 3 }));
  const p = new Packet();
  // One packet from A in each of seconds 0..4; the read after second 4
  // completes covers seconds 2, 3 and 4 with 3 packets over 3 s.
  for (let s = 0; s <= 5; s++) metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.UDP, 0, 100, s * SECOND_US)));
  const a = metrics.hostEntityByText('198.51.100.5');
  assert.equal(metrics.bucketsCompleted, 5);
  assert.equal(metrics.windowSeconds(), 3);
  assert.equal(metrics.rate(a, OUT, Metric.PACKETS), 1);
  assert.equal(metrics.lastBucket(a, OUT, Metric.BYTES), 100);

  // A packet at 105 s completes bucket 5 and 99 empty ones, so the
  // window (buckets 102..104) is empty.
  metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.UDP, 0, 100, 105 * SECOND_US)));
  assert.equal(metrics.bucketsCompleted, 105);
  assert.equal(metrics.windowTotal(a, OUT, Metric.PACKETS), 0);
  assert.equal(metrics.lastBucket(a, OUT, Metric.PACKETS), 0);
});

test('metrics sampled counts scaled by rate', () => {
  // 1:4 sampling of 4000 packets: the count read back is the kept count
  // (known from a second sampler with the same seed) times 4. The kept
  // count is binomial with deviation sqrt(4000 * 0.25 * 0.75) = 27.4, so
  // 110 after scaling; four deviations is 438.
  const metrics = new TrafficMetrics(config({ sampleRate: 4, sampleSeed: 77 }));
  const twin = new PacketSampler(4, 77);
  const p = new Packet();
  let kept = 0;
  for (let i = 0; i < 4000; i++) {
    metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.TCP, TcpFlag.SYN, 60, i * 100)));
    if (twin.shouldSample()) kept++;
  }
  metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.TCP, 0, 60, SECOND_US)));
  const a = metrics.hostEntityByText('198.51.100.5');
  assert.equal(metrics.sampleRate, 4);
  assert.equal(metrics.windowTotal(a, OUT, Metric.PACKETS), kept * 4);
  assert.equal(metrics.windowTotal(a, OUT, Metric.BYTES), kept * 4 * 60);
  assert.equal(metrics.windowTotal(a, OUT, Metric.TCP_SYN), kept * 4);
  assert.ok(Math.abs(kept * 4 - 4000) < 438, `estimate ${kept * 4}`);
  assert.equal(metrics.packetsSeen, 4001);
});

test('metrics new flows and distinct counts', () => {
  // A starts 300 flows to 300 external peers (203.0.113.0 + i) on 50
  // ports (1000 + i % 50), and 7 external peers start flows to B port 22.
  // p = 10: linear counting is within a few percent at these sizes.
  const metrics = new TrafficMetrics(config({ distinctWindowS: 60 }));
  const p = new Packet();
  for (let i = 0; i < 300; i++) {
    metrics.recordNewFlow(fillIpv4Packet(p, HOST_A, parseIpv4('203.0.112.0') + i, fields(IpProto.TCP, TcpFlag.SYN, 60, i * 1000, 1000 + (i % 50))));
  }
  for (let i = 0; i < 7; i++) {
    metrics.recordNewFlow(fillIpv4Packet(p, EXTERNAL + i, HOST_B, fields(IpProto.TCP, TcpFlag.SYN, 60, 400_000 + i, 22)));
  }
  metrics.advanceTo(SECOND_US);
  const a = metrics.hostEntityByText('198.51.100.5');
  const b = metrics.hostEntityByText('198.51.100.200');
  assert.equal(metrics.rate(a, OUT, Metric.NEW_FLOWS), 300);
  assert.equal(metrics.rate(b, IN, Metric.NEW_FLOWS), 7);
  assert.ok(Math.abs(metrics.distinctCount(a, DistinctMetric.PEERS_OUT) - 300) < 15);
  assert.ok(Math.abs(metrics.distinctCount(a, DistinctMetric.PORTS_OUT) - 50) < 3);
  assert.ok(Math.abs(metrics.distinctCount(b, DistinctMetric.PEERS_IN) - 7) < 0.5);
  assert.ok(Math.abs(metrics.distinctCount(b, DistinctMetric.PORTS_IN) - 1) < 0.5);
  assert.equal(metrics.distinctCount(a, DistinctMetric.PEERS_IN), 0);
  const network = metrics.networkEntity;
  assert.ok(Math.abs(metrics.distinctCount(network, DistinctMetric.PEERS_IN) - 7) < 0.5);

  // At 60 s the window completes: the last window keeps the estimate.
  metrics.advanceTo(60 * SECOND_US);
  assert.equal(metrics.distinctWindowsCompleted, 1);
  assert.equal(metrics.distinctCount(a, DistinctMetric.PEERS_OUT), 0);
  assert.ok(Math.abs(metrics.lastDistinctCount(a, DistinctMetric.PEERS_OUT) - 300) < 15);
});

test('metrics dns queries and nxdomain share', () => {
  // A sends 10 queries to an external resolver and gets 10 responses,
  // 3 with RCODE 3: NXDOMAIN share 0.3.
  const metrics = new TrafficMetrics(config({}));
  const p = new Packet();
  for (let i = 0; i < 10; i++) {
    metrics.recordDnsQuery(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.UDP, 0, 80, i * 1000, 53)));
    metrics.recordDnsResponse(fillIpv4Packet(p, EXTERNAL, HOST_A, fields(IpProto.UDP, 0, 120, i * 1000 + 500)), i < 3 ? 3 : 0);
  }
  metrics.advanceTo(SECOND_US);
  const a = metrics.hostEntityByText('198.51.100.5');
  assert.equal(metrics.rate(a, OUT, Metric.DNS_QUERIES), 10);
  assert.equal(metrics.rate(a, IN, Metric.DNS_RESPONSES), 10);
  assert.equal(metrics.share(a, IN, Metric.DNS_NXDOMAIN, Metric.DNS_RESPONSES), 0.3);
  assert.equal(metrics.rate(a, OUT, Metric.PACKETS), 0, 'hooks do not count packets');
});

test('metrics ipv6 host counted', () => {
  const metrics = new TrafficMetrics(config({}));
  const p = new Packet();
  const inside = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
  const outside = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
  for (let i = 0; i < 3; i++) metrics.recordPacket(fillIpv6Packet(p, outside, inside, fields(IpProto.ICMPV6, 0, 118, i)));
  metrics.advanceTo(SECOND_US);
  const host = metrics.hostEntityByText('2001:db8:1::7');
  assert.ok(host >= 0);
  assert.equal(metrics.hosts.addressText(host), '2001:db8:1::7');
  assert.equal(metrics.hostEntityByText('2001:db8:2::9'), -1);
  assert.equal(metrics.rate(host, IN, Metric.PROTO_ICMP), 3);
  assert.equal(metrics.rate(host, IN, Metric.BYTES), 354);
});

test('metrics host table full evicts least recent', () => {
  // Two slots: A, then B, then A again, then C. B is least recently seen
  // and makes room for C; C starts from zero.
  const metrics = new TrafficMetrics(config({ maxHosts: 2 }));
  const p = new Packet();
  const hostC = parseIpv4('198.51.100.77');
  metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.UDP, 0, 100, 0)));
  metrics.recordPacket(fillIpv4Packet(p, HOST_B, EXTERNAL, fields(IpProto.UDP, 0, 100, 1)));
  metrics.recordPacket(fillIpv4Packet(p, HOST_A, EXTERNAL, fields(IpProto.UDP, 0, 100, 2)));
  const slotB = metrics.hostEntityByText('198.51.100.200');
  metrics.recordPacket(fillIpv4Packet(p, hostC, EXTERNAL, fields(IpProto.UDP, 0, 100, 3)));
  metrics.advanceTo(SECOND_US);
  assert.equal(metrics.hosts.evictions, 1);
  assert.equal(metrics.hostEntityByText('198.51.100.200'), -1);
  const c = metrics.hostEntityByText('198.51.100.77');
  assert.equal(c, slotB, 'C took B slot');
  assert.equal(metrics.rate(c, OUT, Metric.PACKETS), 1);
  assert.equal(metrics.rate(metrics.hostEntityByText('198.51.100.5'), OUT, Metric.PACKETS), 2);
  // The network still counts all four packets.
  assert.equal(metrics.rate(metrics.networkEntity, OUT, Metric.PACKETS), 4);
});

test('metrics rejects invalid config', () => {
  assert.throws(() => new TrafficMetrics(config({ homeNet: ['198.51.100.0/33'] })), /invalid networks '198.51.100.0\/33'/);
  assert.throws(() => new TrafficMetrics(config({ windowBuckets: 0 })), /windowBuckets 0 is invalid/);
  assert.throws(() => new TrafficMetrics(config({ sampleRate: 0 })), /sample rate 0 is invalid/);
  assert.throws(() => new TrafficMetrics(config({ maxHosts: 1 })), /maxHosts 1 is invalid/);
});
