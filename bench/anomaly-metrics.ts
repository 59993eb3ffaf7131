/**
 * What does the anomaly stage's measuring cost per packet? Runs 1M
 * synthetic packets (decoded fields only, no bytes) through PacketSampler
 * alone and through TrafficMetrics.recordPacket at sample rates 1 and 10,
 * with TrafficMetrics.recordNewFlow on one packet in 20. Packets come from a
 * pool of 4096 pre-filled Packet objects: 256 internal hosts
 * (198.51.100.0/24) and 512 external peers (203.0.113.0/24 and
 * 192.0.2.0/24), TCP to ports 443..447 and UDP to port 53, in both
 * directions, one TCP packet in 16 a SYN, 10 us of
 * capture time apart, so the 1M packets span 10 s and roll 10 buckets.
 * AnomalyDetectors.recordPacket (metrics, flood and scan detectors, and
 * the judgement of each closed interval) runs on the same stream.
 * Prints ns/packet of process CPU time (user plus system, which the other
 * processes on a shared machine disturb less than wall time) for the best
 * and the median of five passes after one warm-up pass. The loop's own
 * cost is printed apart: subtract it from the other lines.
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/anomaly-metrics.js
 */
import { IpProto, Packet, TcpFlag } from '../src/core/packet.js';
import { TrafficMetrics, defaultTrafficMetricsConfig } from '../src/anomaly/metrics.js';
import { PacketSampler } from '../src/anomaly/sampler.js';
import { AnomalyDetectors } from '../src/anomaly/detectors.js';
import { defaultAnomalyDetectorConfig } from '../src/anomaly/detectors-config.js';
import { fillIpv4Packet, parseIpv4 } from '../src/anomaly/synthetic-packet.js';

const PACKETS = 1_000_000;
const POOL = 4096;
const PASSES = 5;
const SPACING_US = 10;
const NEW_FLOW_EVERY = 20;

function buildPool(): Packet[] {
  const pool: Packet[] = [];
  const internalBase = parseIpv4('198.51.100.0');
  const externalBases = [parseIpv4('203.0.113.0'), parseIpv4('192.0.2.0')];
  for (let i = 0; i < POOL; i++) {
    const p = new Packet();
    const internal = internalBase + (i & 0xff);
    const external = externalBases[(i >>> 8) & 1] + ((i * 7) & 0xff);
    const isTcp = i % 4 !== 3;
    const fields = {
      ipProto: isTcp ? IpProto.TCP : IpProto.UDP,
      srcPort: 32768 + (i & 0x3fff),
      dstPort: isTcp ? 443 + (i % 5) : 53,
      tcpFlags: isTcp ? (i % 16 === 0 ? TcpFlag.SYN : TcpFlag.ACK) : 0,
      wireLength: 64 + (i % 1400),
      timestampUs: 0,
    };
    if (i % 2 === 0) fillIpv4Packet(p, internal, external, fields);
    else fillIpv4Packet(p, external, internal, fields);
    pool.push(p);
  }
  return pool;
}

type Step = (pool: Packet[], startUs: number) => number;

const loopOnly: Step = (pool, startUs) => {
  let sum = 0;
  for (let i = 0; i < PACKETS; i++) {
    const p = pool[i & (POOL - 1)];
    p.timestampUs = startUs + i * SPACING_US;
    sum += p.wireLength;
  }
  return sum;
};

function samplerStep(): Step {
  const sampler = new PacketSampler(10, 1);
  return (pool, startUs) => {
    let kept = 0;
    for (let i = 0; i < PACKETS; i++) {
      const p = pool[i & (POOL - 1)];
      p.timestampUs = startUs + i * SPACING_US;
      if (sampler.shouldSample()) kept++;
    }
    return kept;
  };
}

function metricsStep(sampleRate: number): Step {
  const config = { ...defaultTrafficMetricsConfig(['198.51.100.0/24']), sampleRate, hostGroups: { dmz: ['198.51.100.0/28'] } };
  const metrics = new TrafficMetrics(config);
  return (pool, startUs) => {
    for (let i = 0; i < PACKETS; i++) {
      const p = pool[i & (POOL - 1)];
      p.timestampUs = startUs + i * SPACING_US;
      metrics.recordPacket(p);
      if (i % NEW_FLOW_EVERY === 0) metrics.recordNewFlow(p);
    }
    return metrics.packetsSeen;
  };
}

function detectorsStep(sampleRate: number): Step {
  const detectors = new AnomalyDetectors({ ...defaultAnomalyDetectorConfig(), homeNetworks: ['198.51.100.0/24'], sampleRate });
  return (pool, startUs) => {
    for (let i = 0; i < PACKETS; i++) {
      const p = pool[i & (POOL - 1)];
      p.timestampUs = startUs + i * SPACING_US;
      detectors.recordPacket(p, i % NEW_FLOW_EVERY === 0);
    }
    detectors.drainReports();
    return detectors.packetsSeen;
  };
}

function measureSetup(): void {
  const started = process.cpuUsage();
  const wallStarted = performance.now();
  new AnomalyDetectors({ ...defaultAnomalyDetectorConfig(), homeNetworks: ['198.51.100.0/24'] });
  const used = process.cpuUsage(started);
  process.stdout.write(`${'AnomalyDetectors construction (defaults)'.padEnd(44)} ${((used.user + used.system) / 1e3).toFixed(1)} ms CPU, ${(performance.now() - wallStarted).toFixed(1)} ms wall\n`);
}

function measure(name: string, step: Step, pool: Packet[]): void {
  let startUs = 1_700_000_000_000_000;
  step(pool, startUs);
  const nsPerPacket: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    startUs += PACKETS * SPACING_US;
    const started = process.cpuUsage();
    step(pool, startUs);
    const used = process.cpuUsage(started);
    nsPerPacket.push(((used.user + used.system) * 1e3) / PACKETS);
  }
  nsPerPacket.sort((a, b) => a - b);
  const best = nsPerPacket[0].toFixed(1);
  const median = nsPerPacket[PASSES >> 1].toFixed(1);
  process.stdout.write(`${name.padEnd(44)} best ${best} ns/packet, median ${median} ns/packet\n`);
}

const pool = buildPool();
process.stdout.write(`anomaly metrics: ${PACKETS} packets, pool of ${POOL}, ${PASSES} passes after a warm-up\n`);
measure('loop only (timestamp write)', loopOnly, pool);
measure('PacketSampler 1:10', samplerStep(), pool);
measure('TrafficMetrics rate 1 (+ new flow 1/20)', metricsStep(1), pool);
measure('TrafficMetrics rate 10 (+ new flow 1/20)', metricsStep(10), pool);
measure('AnomalyDetectors rate 1 (+ new flow 1/20)', detectorsStep(1), pool);
measure('AnomalyDetectors rate 10 (+ new flow 1/20)', detectorsStep(10), pool);
measure('AnomalyDetectors rate 100 (+ new flow 1/20)', detectorsStep(100), pool);
measureSetup();
