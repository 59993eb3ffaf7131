/**
 * Flood and reflection detectors: SYN flood, UDP flood, ICMP flood and
 * amplification, per victim (a destination in the home networks).
 *
 * Per packet (sampled 1:N), the victim's row counts packets, bytes, TCP
 * SYNs, SYN-ACKs arriving at it, UDP, ICMP, and UDP datagrams from a
 * reflection service port, and its most frequent sources and service
 * ports. Per new flow (every flow, not sampled), HyperLogLog sketches count
 * the victim's distinct sources, their networks (/16 for IPv4, /32 for
 * IPv6) and its distinct destination ports. At the end of each measuring
 * interval the rows that changed are judged and cleared:
 *
 * - SYN flood: SYNs per second at or above `synFloodPps`, fewer SYN-ACKs
 *   from the victim than `synFloodMaxSynAckShare` of them (read from the
 *   traffic metrics when the victim is tracked there), and a flood shape.
 * - UDP flood, ICMP flood: the protocol's packets per second at or above
 *   the limit, and a flood shape.
 * - Amplification: datagrams per second from reflection service ports at
 *   or above `amplificationPps`, or TCP SYN-ACKs per second arriving at the
 *   victim at or above it (SYN-ACK reflection), from at least
 *   `amplificationMinReflectors` sources.
 *
 * A flood shape is many sources (`floodMinSources`) or few destination
 * ports (`floodMaxPorts`); one source probing hundreds of ports is a port
 * scan. The sources look spoofed when at least `spoofMinSources` were seen
 * and their networks number at least `spoofMinNetShare` of them: forged
 * addresses spread over the whole address space, reflectors and botnets
 * cluster in fewer networks.
 */
import { IpProto, TcpFlag, type Packet } from '../core/packet.js';
import type { AnomalyDetectorConfig } from './detectors-config.js';
import { AnomalyType, type AnomalyFinding } from './finding.js';
import { FindingTracker, Observed } from './finding-tracker.js';
import { HostTable } from './host-table.js';
import { HyperLogLogBank } from './hyperloglog.js';
import { MetricDirection, Metric, type TrafficMetrics } from './metrics.js';
import { NetworkSet } from './network-set.js';
import { PacketSampler, mix32 } from './sampler.js';
import { TopAddressBank, formatAddressWords } from './top-addresses.js';

/** Counters per victim row, from sampled packets except NEW_FLOWS. */
const C_PACKETS = 0;
const C_BYTES = 1;
const C_SYN = 2;
const C_SYN_ACK_IN = 3;
const C_UDP = 4;
const C_ICMP = 5;
const C_AMP = 6;
const C_AMP_BYTES = 7;
const C_NEW_FLOWS = 8;
const COUNTER_COUNT = 9;

/** Sketches per victim row. */
const S_SOURCES = 0;
const S_SOURCE_NETS = 1;
const S_PORTS = 2;
const SKETCH_COUNT = 3;

/** Precision of the per-victim sketches: 256 one-byte registers, about 6.5% standard error, exact-ish below 100 by linear counting. */
const VICTIM_HLL_PRECISION = 8;
/** Top sources kept per victim. */
const TOP_SOURCES = 4;
const SOURCE_SEED = 0x3c6ef372;
const NET_SEED = 0x1b873593;
const PORT_SEED = 0x7f4a7c15;

/** Flood and reflection detection per victim; see the file comment. */
export class FloodDetectors {
  readonly config: AnomalyDetectorConfig;
  readonly victims: HostTable;
  /** Packets whose destination lies outside the home networks, not counted. */
  packetsOutsideHome: number;
  private readonly homeNet: NetworkSet | null;
  private readonly sampler: PacketSampler | null;
  private readonly counters: Float64Array;
  private readonly sketches: HyperLogLogBank;
  private readonly topSources: TopAddressBank;
  /** Misra-Gries with one counter over each victim's reflection service ports. */
  private readonly ampPort: Int32Array;
  private readonly ampPortCount: Float64Array;
  private readonly isAmpPort: Uint8Array;
  private readonly dirty: Int32Array;
  private dirtyCount: number;
  private readonly isDirty: Uint8Array;
  private readonly scratchAddr: Uint8Array;

  constructor(config: AnomalyDetectorConfig) {
    this.config = config;
    this.victims = new HostTable(config.maxVictims);
    this.packetsOutsideHome = 0;
    this.homeNet = config.homeNetworks.length > 0 ? new NetworkSet(config.homeNetworks) : null;
    this.sampler = config.sampleRate > 1 ? new PacketSampler(config.sampleRate, 0x2f6b) : null;
    this.counters = new Float64Array(config.maxVictims * COUNTER_COUNT);
    this.sketches = new HyperLogLogBank(VICTIM_HLL_PRECISION, config.maxVictims * SKETCH_COUNT);
    this.topSources = new TopAddressBank(config.maxVictims, TOP_SOURCES);
    this.ampPort = new Int32Array(config.maxVictims);
    this.ampPortCount = new Float64Array(config.maxVictims);
    this.isAmpPort = new Uint8Array(65536);
    for (const port of config.amplificationPorts) this.isAmpPort[port] = 1;
    this.dirty = new Int32Array(config.maxVictims);
    this.dirtyCount = 0;
    this.isDirty = new Uint8Array(config.maxVictims);
    this.scratchAddr = new Uint8Array(16);
  }

  /** Counts one IP packet for its destination, when the sampler keeps it. */
  recordPacket(p: Packet): void {
    if (this.sampler !== null && !this.sampler.shouldSample()) return;
    const row = this.victimRow(p);
    if (row < 0) return;

    const c = this.counters;
    const base = row * COUNTER_COUNT;
    c[base + C_PACKETS]++;
    c[base + C_BYTES] += p.wireLength;
    const proto = p.ipProto;
    if (proto === IpProto.TCP) {
      const flags = p.tcpFlags;
      if ((flags & TcpFlag.SYN) !== 0) c[base + ((flags & TcpFlag.ACK) !== 0 ? C_SYN_ACK_IN : C_SYN)]++;
    } else if (proto === IpProto.UDP) {
      c[base + C_UDP]++;
      if (this.isAmpPort[p.srcPort] === 1) {
        c[base + C_AMP]++;
        c[base + C_AMP_BYTES] += p.wireLength;
        this.countAmpPort(row, p.srcPort);
      }
    } else if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) {
      c[base + C_ICMP]++;
    }
    this.topSources.add(row, p.ipVersion, p.src4, p.srcAddr, 1);
  }

  /** Counts a new flow (its first packet) for its destination: distinct sources, their networks and ports. */
  recordNewFlow(p: Packet): void {
    const row = this.victimRow(p);
    if (row < 0) return;
    this.counters[row * COUNTER_COUNT + C_NEW_FLOWS]++;
    const sketch = row * SKETCH_COUNT;
    const isV4 = p.ipVersion === 4;
    const sourceHash = isV4 ? mix32((p.src4 ^ SOURCE_SEED) >>> 0) : hashBytes(p.srcAddr, 16, SOURCE_SEED);
    this.sketches.add(sketch + S_SOURCES, sourceHash);
    const netHash = isV4 ? mix32(((p.src4 >>> 16) ^ NET_SEED) >>> 0) : hashBytes(p.srcAddr, 4, NET_SEED);
    this.sketches.add(sketch + S_SOURCE_NETS, netHash);
    if (p.ipProto === IpProto.TCP || p.ipProto === IpProto.UDP || p.ipProto === IpProto.SCTP) {
      this.sketches.add(sketch + S_PORTS, mix32((((p.ipProto << 16) | p.dstPort) ^ PORT_SEED) >>> 0));
    }
  }

  /**
   * Judges the victims counted in the interval from `fromUs` to `nowUs`
   * (`intervalS` seconds), reports to `tracker`, and clears their rows.
   */
  evaluate(fromUs: number, nowUs: number, intervalS: number, tracker: FindingTracker, metrics: TrafficMetrics | null): void {
    for (let i = 0; i < this.dirtyCount; i++) {
      const row = this.dirty[i];
      this.judgeVictim(row, fromUs, nowUs, intervalS, tracker, metrics);
      this.clearRow(row);
      this.isDirty[row] = 0;
    }
    this.dirtyCount = 0;
  }

  private judgeVictim(row: number, fromUs: number, nowUs: number, intervalS: number, tracker: FindingTracker, metrics: TrafficMetrics | null): void {
    const config = this.config;
    const c = this.counters;
    const base = row * COUNTER_COUNT;
    const scale = config.sampleRate / intervalS;
    const sketch = row * SKETCH_COUNT;
    const sources = this.sketches.estimate(sketch + S_SOURCES);
    const ports = this.sketches.estimate(sketch + S_PORTS);
    const isFloodShape = sources >= config.floodMinSources || ports <= config.floodMaxPorts;
    const enabled = config.enabled;

    const synPps = c[base + C_SYN] * scale;
    if (enabled[AnomalyType.SYN_FLOOD] && synPps >= config.synFloodPps && isFloodShape) {
      const synAckPps = this.synAcksFromVictim(row, metrics) / intervalS;
      if (synAckPps < config.synFloodMaxSynAckShare * synPps) {
        this.report(tracker, AnomalyType.SYN_FLOOD, row, 0, fromUs, nowUs, intervalS, 'TCP', 'syn_pps', synPps, config.synFloodPps);
      }
    }
    const udpPps = c[base + C_UDP] * scale;
    if (enabled[AnomalyType.UDP_FLOOD] && udpPps >= config.udpFloodPps && isFloodShape) {
      this.report(tracker, AnomalyType.UDP_FLOOD, row, 0, fromUs, nowUs, intervalS, 'UDP', 'udp_pps', udpPps, config.udpFloodPps);
    }
    const icmpPps = c[base + C_ICMP] * scale;
    if (enabled[AnomalyType.ICMP_FLOOD] && icmpPps >= config.icmpFloodPps) {
      this.report(tracker, AnomalyType.ICMP_FLOOD, row, 0, fromUs, nowUs, intervalS, 'ICMP', 'icmp_pps', icmpPps, config.icmpFloodPps);
    }
    if (!enabled[AnomalyType.AMPLIFICATION] || sources < config.amplificationMinReflectors) return;
    const ampPps = c[base + C_AMP] * scale;
    if (ampPps >= config.amplificationPps) {
      const port = this.ampPortCount[row] > 0 ? this.ampPort[row] : 0;
      this.report(tracker, AnomalyType.AMPLIFICATION, row, port, fromUs, nowUs, intervalS, 'UDP', 'reflected_pps', ampPps, config.amplificationPps);
    }
    const synAckInPps = c[base + C_SYN_ACK_IN] * scale;
    if (synAckInPps >= config.amplificationPps) {
      this.report(tracker, AnomalyType.AMPLIFICATION, row, -1, fromUs, nowUs, intervalS, 'TCP', 'syn_ack_pps', synAckInPps, config.amplificationPps);
    }
  }

  /** Returns the SYN-ACKs the victim sent in the last metrics bucket (estimated under sampling), 0 when the metrics do not track it. */
  private synAcksFromVictim(row: number, metrics: TrafficMetrics | null): number {
    if (metrics === null) return 0;
    const words = this.victims.words;
    const addr = this.scratchAddr;
    for (let j = 0; j < 4; j++) {
      const w = words[row * 4 + j];
      addr[j * 4] = w >>> 24;
      addr[j * 4 + 1] = (w >>> 16) & 0xff;
      addr[j * 4 + 2] = (w >>> 8) & 0xff;
      addr[j * 4 + 3] = w & 0xff;
    }
    const entity = metrics.hostEntity(this.victims.versions[row], words[row * 4], addr);
    return entity < 0 ? 0 : metrics.lastBucket(entity, MetricDirection.OUT, Metric.TCP_SYN_ACK);
  }

  private report(tracker: FindingTracker, type: number, row: number, port: number, fromUs: number, nowUs: number, intervalS: number, proto: string, metric: string, observed: number, limit: number): void {
    const version = this.victims.versions[row];
    const state = tracker.observe(type, version, this.victims.words, row * 4, port, fromUs, nowUs, observed);
    if (state !== Observed.START && state !== Observed.UPDATE) return;

    const config = this.config;
    const sketch = row * SKETCH_COUNT;
    const sources = this.sketches.estimate(sketch + S_SOURCES);
    const nets = this.sketches.estimate(sketch + S_SOURCE_NETS);
    let spoofed: boolean | null = null;
    if (type === AnomalyType.AMPLIFICATION) spoofed = false;
    else if (sources >= config.spoofMinSources) spoofed = nets >= config.spoofMinNetShare * sources;
    const topSources = this.topSources.list(row).map((s) => ({ ip: s.ip, count: s.count * config.sampleRate }));
    const victim = formatAddressWords(version, this.victims.words, row * 4);
    const finding: AnomalyFinding = {
      type,
      phase: state === Observed.START ? 'start' : 'update',
      timestampUs: nowUs,
      srcIp: sources < config.floodMinSources && topSources.length > 0 ? topSources[0].ip : null,
      destIp: victim,
      destPort: port > 0 ? port : 0,
      proto,
      entity: 'host',
      metric,
      observed: roundTo(observed, 2),
      baseline: limit,
      deviation: roundTo(observed / limit, 2),
      windowStartUs: tracker.currentStartUs(),
      windowEndUs: nowUs,
      intervalS,
      sampleRate: config.sampleRate,
      peak: roundTo(tracker.currentPeak(), 2),
      distinctSources: Math.round(sources),
      sourcesSpoofed: spoofed,
      topSources,
      topTargets: [{ ip: victim, count: this.counters[row * COUNTER_COUNT + C_PACKETS] * config.sampleRate }],
      topPorts: port > 0 ? [port] : [],
    };
    tracker.report(finding);
  }

  private victimRow(p: Packet): number {
    if (this.homeNet !== null && !this.homeNet.containsDestination(p)) {
      this.packetsOutsideHome++;
      return -1;
    }
    const row = this.victims.findOrInsert(p.ipVersion, p.dst4, p.dstAddr);
    if (this.victims.wasEvicted) this.clearRow(row);
    if (this.isDirty[row] === 0) {
      this.isDirty[row] = 1;
      this.dirty[this.dirtyCount++] = row;
    }
    return row;
  }

  private countAmpPort(row: number, port: number): void {
    if (this.ampPort[row] === port) this.ampPortCount[row]++;
    else if (this.ampPortCount[row] === 0) {
      this.ampPort[row] = port;
      this.ampPortCount[row] = 1;
    } else {
      this.ampPortCount[row]--;
    }
  }

  private clearRow(row: number): void {
    this.counters.fill(0, row * COUNTER_COUNT, (row + 1) * COUNTER_COUNT);
    for (let s = 0; s < SKETCH_COUNT; s++) this.sketches.clear(row * SKETCH_COUNT + s);
    this.topSources.clear(row);
    this.ampPortCount[row] = 0;
  }
}

/** Hashes the first `length` bytes of `bytes` (4-byte words) into 32 bits. */
function hashBytes(bytes: Uint8Array, length: number, seed: number): number {
  let h = seed;
  for (let i = 0; i < length; i += 4) {
    const word = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
    h = mix32((h ^ word) >>> 0);
  }
  return h;
}

/** Rounds to `digits` decimals, for report values. */
export function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
