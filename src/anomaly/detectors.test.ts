import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpProto, Packet, TcpFlag } from '../core/packet.js';
import { defaultAnomalyDetectorConfig, type AnomalyDetectorConfig } from './detectors-config.js';
import { AnomalyDetectors } from './detectors.js';
import { Metric, MetricDirection } from './metrics.js';
import { AnomalyType, type AnomalyFinding } from './finding.js';
import { fillIpv4Packet, parseIpv4 } from './synthetic-packet.js';

const VICTIM = parseIpv4('198.51.100.5');
const OTHER_HOME = parseIpv4('198.51.100.9');
const ATTACKER = parseIpv4('203.0.113.9');
const S = 1_000_000;

function detectors(overrides: Partial<AnomalyDetectorConfig> = {}): AnomalyDetectors {
  return new AnomalyDetectors({ ...defaultAnomalyDetectorConfig(), homeNetworks: ['198.51.100.0/24'], ...overrides });
}

/** Feeds one packet; returns nothing. `isNew` marks the first packet of a flow. */
function feed(d: AnomalyDetectors, p: Packet, src: number, dst: number, proto: number, flags: number, srcPort: number, dstPort: number, timeUs: number, isNew: boolean, wireLength = 60): void {
  fillIpv4Packet(p, src, dst, { ipProto: proto, srcPort, dstPort, tcpFlags: flags, wireLength, timestampUs: timeUs });
  d.recordPacket(p, isNew);
}

function startsOf(d: AnomalyDetectors, type: number): AnomalyFinding[] {
  return d.tracker.reports.filter((f) => f.type === type && f.phase === 'start');
}

/** A source in its own /16 network for each i: 10.i.0.1 spread over the high bytes. */
function spreadSource(i: number): number {
  return ((11 + (i >>> 8)) << 24 | (i & 0xff) << 16 | 1) >>> 0;
}

test('syn flood from spread sources', () => {
  const d = detectors();
  const p = new Packet();
  // 1200 SYNs within second 0, each a new flow from its own /16 network.
  for (let i = 0; i < 1200; i++) feed(d, p, spreadSource(i), VICTIM, IpProto.TCP, TcpFlag.SYN, 1024 + i, 80, i * 500, true);
  assert.equal(d.tracker.reports.length, 0, 'nothing before the interval closes');
  feed(d, p, ATTACKER, OTHER_HOME, IpProto.UDP, 0, 5000, 53, 1 * S, true);

  const starts = startsOf(d, AnomalyType.SYN_FLOOD);
  assert.equal(starts.length, 1);
  const f = starts[0];
  assert.equal(f.destIp, '198.51.100.5');
  assert.equal(f.observed, 1200);
  assert.equal(f.baseline, 1000);
  assert.equal(f.deviation, 1.2);
  assert.equal(f.windowStartUs, 0);
  assert.equal(f.windowEndUs, 1 * S);
  assert.equal(f.timestampUs, 1 * S);
  assert.equal(f.sourcesSpoofed, true);
  assert.ok(Math.abs(f.distinctSources - 1200) < 120, `distinct sources ${f.distinctSources} near 1200`);
  assert.equal(f.srcIp, null, 'many sources: no single source');
  assert.equal(startsOf(d, AnomalyType.PORT_SCAN).length, 0);

  d.finish();
  const ends = d.tracker.reports.filter((r) => r.type === AnomalyType.SYN_FLOOD && r.phase === 'end');
  assert.equal(ends.length, 1);
  assert.equal(ends[0].peak, 1200);
});

test('syn flood needs the rate', () => {
  const d = detectors();
  const p = new Packet();
  for (let i = 0; i < 999; i++) feed(d, p, spreadSource(i), VICTIM, IpProto.TCP, TcpFlag.SYN, 1024 + i, 80, i * 500, true);
  d.finish();
  assert.equal(startsOf(d, AnomalyType.SYN_FLOOD).length, 0);
});

test('syn flood not raised when handshakes complete', () => {
  const d = detectors();
  const p = new Packet();
  // Every SYN gets its SYN-ACK from the victim: a busy server, not a flood.
  for (let i = 0; i < 1200; i++) {
    feed(d, p, spreadSource(i), VICTIM, IpProto.TCP, TcpFlag.SYN, 1024 + i, 80, i * 800, true);
    feed(d, p, VICTIM, spreadSource(i), IpProto.TCP, TcpFlag.SYN | TcpFlag.ACK, 80, 1024 + i, i * 800 + 1, false);
  }
  d.finish();
  assert.equal(startsOf(d, AnomalyType.SYN_FLOOD).length, 0);
});

test('port scan is no syn flood', () => {
  const d = detectors();
  const p = new Packet();
  // One source, 1200 ports of one host within a second.
  for (let i = 0; i < 1200; i++) feed(d, p, ATTACKER, VICTIM, IpProto.TCP, TcpFlag.SYN, 40000, i + 1, i * 500, true);
  d.finish();
  assert.equal(startsOf(d, AnomalyType.SYN_FLOOD).length, 0);
  const scans = startsOf(d, AnomalyType.PORT_SCAN);
  assert.equal(scans.length, 1);
  assert.equal(scans[0].srcIp, '203.0.113.9');
  assert.equal(scans[0].destIp, '198.51.100.5');
  // 256 registers give about 6.5% standard error: allow three times that.
  assert.ok(Math.abs(scans[0].observed - 1200) < 240, `ports ${scans[0].observed} near 1200`);
  assert.equal(startsOf(d, AnomalyType.SLOW_SCAN).length, 0, 'a fast scan is no slow scan');
});

test('port scan needs 20 ports', () => {
  const d = detectors();
  const p = new Packet();
  // 19 ports, below the default portScanMinPorts of 20; 20 ports reach it.
  for (let i = 0; i < 19; i++) feed(d, p, ATTACKER, VICTIM, IpProto.TCP, TcpFlag.FIN, 40000, 100 + i, i * 1000, true);
  feed(d, p, ATTACKER, OTHER_HOME, IpProto.UDP, 0, 5000, 53, 2 * S, false);
  assert.equal(startsOf(d, AnomalyType.PORT_SCAN).length, 0);
  feed(d, p, ATTACKER, VICTIM, IpProto.TCP, TcpFlag.FIN, 40000, 119, 2 * S + 1, true);
  feed(d, p, ATTACKER, OTHER_HOME, IpProto.UDP, 0, 5000, 53, 3 * S, false);
  assert.equal(startsOf(d, AnomalyType.PORT_SCAN).length, 1);
});

test('udp flood from one source to one port', () => {
  const d = detectors();
  const p = new Packet();
  feed(d, p, ATTACKER, VICTIM, IpProto.UDP, 0, 6000, 9999, 0, true, 512);
  for (let i = 1; i < 1500; i++) feed(d, p, ATTACKER, VICTIM, IpProto.UDP, 0, 6000, 9999, i * 600, false, 512);
  d.finish();
  const floods = startsOf(d, AnomalyType.UDP_FLOOD);
  assert.equal(floods.length, 1);
  assert.equal(floods[0].observed, 1500);
  assert.equal(floods[0].srcIp, '203.0.113.9', 'one source is named');
  assert.equal(floods[0].sourcesSpoofed, null, 'too few sources to judge');
});

test('icmp flood at the limit', () => {
  const d = detectors();
  const p = new Packet();
  for (let i = 0; i < 1000; i++) feed(d, p, ATTACKER, VICTIM, IpProto.ICMP, 0, 0, 0, i * 900, i === 0);
  d.finish();
  const floods = startsOf(d, AnomalyType.ICMP_FLOOD);
  assert.equal(floods.length, 1);
  assert.equal(floods[0].observed, 1000);
});

test('amplification from ntp reflectors', () => {
  const d = detectors();
  const p = new Packet();
  // 50 reflectors each send 22 NTP responses (source port 123): 1100 in second 0.
  for (let r = 0; r < 50; r++) {
    for (let k = 0; k < 22; k++) feed(d, p, parseIpv4('203.0.113.0') + r, VICTIM, IpProto.UDP, 0, 123, 40000, r * 19000 + k * 10, k === 0, 468);
  }
  d.finish();
  const amp = startsOf(d, AnomalyType.AMPLIFICATION);
  assert.equal(amp.length, 1);
  assert.equal(amp[0].observed, 1100);
  assert.deepEqual(amp[0].topPorts, [123]);
  assert.equal(amp[0].destPort, 123);
  assert.equal(amp[0].sourcesSpoofed, false);
  assert.equal(startsOf(d, AnomalyType.UDP_FLOOD).length, 1, 'reflection is also a udp flood');
});

test('amplification needs 10 reflectors', () => {
  const d = detectors();
  const p = new Packet();
  for (let r = 0; r < 9; r++) {
    for (let k = 0; k < 200; k++) feed(d, p, parseIpv4('203.0.113.0') + r, VICTIM, IpProto.UDP, 0, 53, 40000, r * 100000 + k * 10, k === 0, 468);
  }
  d.finish();
  assert.equal(startsOf(d, AnomalyType.AMPLIFICATION).length, 0);
});

test('host sweep on one port', () => {
  const d = detectors();
  const p = new Packet();
  for (let i = 0; i < 25; i++) feed(d, p, ATTACKER, parseIpv4('198.51.100.100') + i, IpProto.TCP, TcpFlag.SYN, 40000 + i, 445, i * 10000, true);
  d.finish();
  const sweeps = startsOf(d, AnomalyType.HOST_SWEEP);
  assert.equal(sweeps.length, 1);
  assert.equal(sweeps[0].srcIp, '203.0.113.9');
  assert.equal(sweeps[0].destPort, 445);
  assert.equal(sweeps[0].observed, 25);
  assert.equal(startsOf(d, AnomalyType.PORT_SCAN).length, 0);
});

test('slow scan over the long window', () => {
  const d = detectors();
  const p = new Packet();
  // One new port every 10 s: at most 12 ports in the union of two 60 s
  // windows, never a port scan; the 100th port (t = 990 s) makes a slow scan.
  for (let i = 0; i < 150; i++) feed(d, p, ATTACKER, VICTIM, IpProto.TCP, TcpFlag.SYN, 40000, 1000 + i, 3600 * S + i * 10 * S, true);
  d.finish();
  assert.equal(startsOf(d, AnomalyType.PORT_SCAN).length, 0);
  const slow = startsOf(d, AnomalyType.SLOW_SCAN);
  assert.equal(slow.length, 1);
  assert.equal(slow[0].srcIp, '203.0.113.9');
  // HyperLogLog counts within a few percent: the report comes near the 100th port.
  const portsAtReport = (slow[0].timestampUs - 3600 * S) / (10 * S) + 1;
  assert.ok(portsAtReport >= 90 && portsAtReport <= 112, `reported after ${portsAtReport} ports`);
});

test('threshold per host group', () => {
  const d = detectors({
    hostGroups: { servers: ['198.51.100.0/29'] },
    thresholds: [{ group: 'servers', pps: 500, bps: 0, flowsPerS: 0, synPps: 0 }],
  });
  const p = new Packet();
  // 600 packets to a server (198.51.100.5) and 600 to a host outside the group (198.51.100.9).
  for (let i = 0; i < 600; i++) {
    feed(d, p, ATTACKER, VICTIM, IpProto.UDP, 0, 5000, 5001, i * 1000, i === 0);
    feed(d, p, ATTACKER, OTHER_HOME, IpProto.UDP, 0, 5000, 5001, i * 1000 + 1, i === 0);
  }
  feed(d, p, ATTACKER, VICTIM, IpProto.UDP, 0, 5000, 5001, 1 * S, false);
  const found = startsOf(d, AnomalyType.THRESHOLD);
  assert.equal(found.length, 1);
  assert.equal(found[0].destIp, '198.51.100.5');
  assert.equal(found[0].metric, 'pps_in');
  assert.equal(found[0].observed, 600);
  assert.equal(found[0].baseline, 500);
  assert.equal(found[0].entity, 'group:servers');
});

test('heavy hitter share of bytes', () => {
  const d = detectors();
  const p = new Packet();
  // Second 0: the victim receives 25 packets of 1,000,000 bytes (200 Mbit/s),
  // another home host 1 packet of 1,000,000 bytes: a share of 25/26.
  for (let i = 0; i < 25; i++) feed(d, p, ATTACKER, VICTIM, IpProto.TCP, TcpFlag.ACK, 443, 50000, i * 1000, i === 0, 1_000_000);
  feed(d, p, ATTACKER, OTHER_HOME, IpProto.TCP, TcpFlag.ACK, 443, 50001, 30_000, true, 1_000_000);
  feed(d, p, ATTACKER, OTHER_HOME, IpProto.TCP, TcpFlag.ACK, 443, 50001, 1 * S, false, 60);
  const hitters = startsOf(d, AnomalyType.HEAVY_HITTER);
  assert.equal(hitters.length, 1);
  assert.equal(hitters[0].destIp, '198.51.100.5');
  assert.equal(hitters[0].observed, Math.round((25 / 26) * 1000) / 1000);
});

test('baseline deviation after sustain', () => {
  const config = defaultAnomalyDetectorConfig();
  const d = detectors({
    ewma: { ...config.ewma, minSamples: 10, minLearningS: 0 },
    baselineSustainIntervals: 3,
    enabled: config.enabled.map((_, i) => i === AnomalyType.BASELINE_DEVIATION),
  });
  const p = new Packet();
  // Seconds 0..19: 10 packets a second to the victim; seconds 20..24: 500 a second.
  for (let second = 0; second < 25; second++) {
    const count = second < 20 ? 10 : 500;
    for (let i = 0; i < count; i++) feed(d, p, ATTACKER, VICTIM, IpProto.UDP, 0, 5000, 5001, second * S + i * 1000, second === 0 && i === 0);
  }
  feed(d, p, ATTACKER, VICTIM, IpProto.UDP, 0, 5000, 5001, 25 * S, false);
  const found = startsOf(d, AnomalyType.BASELINE_DEVIATION);
  // The series were flat at 10, so the robust score is +Infinity; seconds
  // 20, 21 and 22 deviate, and the third one (closed at 23 s) reports.
  const network = found.find((f) => f.entity === 'network');
  const host = found.find((f) => f.entity === 'host');
  assert.ok(network !== undefined && host !== undefined, 'network and host findings');
  assert.equal(network.timestampUs, 23 * S);
  assert.equal(network.metric, 'pps_in');
  assert.equal(network.observed, 500);
  assert.equal(network.baseline, 10);
  assert.equal(host.destIp, '198.51.100.5');
  assert.equal(host.timestampUs, 23 * S);
});

test('sampled flood keeps its rate', () => {
  const d = detectors({ sampleRate: 10 });
  const p = new Packet();
  for (let i = 0; i < 20000; i++) feed(d, p, spreadSource(i % 3000), VICTIM, IpProto.TCP, TcpFlag.SYN, 1024 + (i % 60000), 80, i * 40, i < 3000);
  d.finish();
  const floods = startsOf(d, AnomalyType.SYN_FLOOD);
  assert.equal(floods.length, 1);
  assert.equal(floods[0].sampleRate, 10);
  // 1:10 sampling of 20000 SYNs keeps about 2000 (binomial, sd 42): the estimate is within 10%.
  assert.ok(Math.abs(floods[0].observed - 20000) < 2000, `estimate ${floods[0].observed}`);
});

test('learn-only raises nothing', () => {
  const d = detectors({ learnOnly: true });
  const p = new Packet();
  for (let i = 0; i < 1200; i++) feed(d, p, spreadSource(i), VICTIM, IpProto.TCP, TcpFlag.SYN, 1024 + i, 80, i * 500, true);
  d.finish();
  assert.equal(d.tracker.reports.length, 0);
});

test('DNS queries and NXDOMAIN answers counted from UDP headers', () => {
  const d = detectors();
  const p = new Packet();
  const client = OTHER_HOME;
  const server = VICTIM;
  // DNS header flags (RFC 1035 4.1.1): 0x0100 a query with RD, 0x8183 a response with RCODE 3 (NXDOMAIN), 0x8180 a response with RCODE 0.
  const send = (src: number, dst: number, srcPort: number, dstPort: number, flags: number, timeUs: number): void => {
    const frame = new Uint8Array(60);
    frame[42 + 2] = flags >> 8;
    frame[42 + 3] = flags & 0xff;
    p.reset(frame, timeUs, 60, 1, 0);
    fillIpv4Packet(p, src, dst, { ipProto: IpProto.UDP, srcPort, dstPort, tcpFlags: 0, wireLength: 60, timestampUs: timeUs });
    p.payloadOffset = 42;
    p.payloadLength = 18;
    d.recordPacket(p, false);
  };
  for (let i = 0; i < 4; i++) send(client, server, 40000 + i, 53, 0x0100, S + i * 1000);
  send(server, client, 53, 40000, 0x8183, S + 5000);
  send(server, client, 53, 40001, 0x8183, S + 6000);
  send(server, client, 53, 40002, 0x8180, S + 7000);
  // A later packet closes the first interval's bucket.
  send(client, server, 40009, 80, 0, 4 * S);
  const m = d.metrics;
  const serverEntity = m.hostEntityByText('198.51.100.5');
  const clientEntity = m.hostEntityByText('198.51.100.9');
  assert.equal(m.windowTotal(serverEntity, MetricDirection.IN, Metric.DNS_QUERIES), 4);
  assert.equal(m.windowTotal(serverEntity, MetricDirection.OUT, Metric.DNS_RESPONSES), 3);
  assert.equal(m.windowTotal(clientEntity, MetricDirection.IN, Metric.DNS_NXDOMAIN), 2);
});
