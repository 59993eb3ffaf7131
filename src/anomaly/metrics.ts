/**
 * Traffic metrics per internal host, per host group and for the whole
 * network, in both directions, updated per packet without allocation.
 *
 * Entities. Internal hosts (addresses in HOME_NET) sit in a HostTable of
 * `maxHosts` slots with LRU eviction; entity i < maxHosts is host slot i.
 * Host groups follow (entity maxHosts + g), then the network (the last
 * entity). A packet counts for its internal source host in direction OUT
 * and for its internal destination host in direction IN, for the groups of
 * each, and for the network in OUT when the source is internal and IN when
 * the destination is. Packets with neither side in HOME_NET only raise
 * `packetsOutsideHomeNet`.
 *
 * Time. Counters fill a bucket of `bucketS` seconds of capture time. When a
 * packet's timestamp passes the bucket's end, the bucket joins a ring of
 * the last `windowBuckets` buckets, and rates are the ring's sum over the
 * time it covers. A gap in capture time rolls empty buckets. A packet
 * older than the current bucket counts in the current bucket.
 *
 * Sampling. With `sampleRate` N > 1, only the packets that a seeded 1:N
 * PacketSampler keeps update the per-packet (sampled) metrics, and every
 * read multiplies them by N. The hooks (new flows, DNS) and the distinct
 * counts are exact: they run for every flow and DNS message.
 *
 * Distinct peers and destination ports come from HyperLogLog sketches fed
 * by `recordNewFlow`, over windows of `distinctWindowS` seconds; reads give
 * the running window and the last completed one.
 */
import { IpProto, TcpFlag, type Packet } from '../core/packet.js';
import { parseNetwork } from '../flow/defrag-host-policy.js';
import { HostTable } from './host-table.js';
import { HyperLogLogBank, checkHllPrecision } from './hyperloglog.js';
import { NetworkSet } from './network-set.js';
import { PacketSampler, checkSampleRate, hashAddress, mix32 } from './sampler.js';

/** Counters kept per entity and direction. The first eight come from sampled packets. */
export const Metric = {
  PACKETS: 0,
  /** Frame bytes on the wire (Packet.wireLength). */
  BYTES: 1,
  /** TCP SYN without ACK: connection attempts. */
  TCP_SYN: 2,
  /** TCP SYN with ACK: accepted connections. */
  TCP_SYN_ACK: 3,
  PROTO_TCP: 4,
  PROTO_UDP: 5,
  /** ICMP and ICMPv6. */
  PROTO_ICMP: 6,
  PROTO_OTHER: 7,
  /** Flows started (recordNewFlow): OUT for the initiator, IN for the responder. */
  NEW_FLOWS: 8,
  /** DNS queries (recordDnsQuery): OUT for the client, IN for the server. */
  DNS_QUERIES: 9,
  /** DNS responses (recordDnsResponse): OUT for the server, IN for the client. */
  DNS_RESPONSES: 10,
  /** DNS responses with RCODE 3 (NXDOMAIN, RFC 1035 section 4.1.1). */
  DNS_NXDOMAIN: 11,
} as const;
export const METRIC_COUNT = 12;
/** Metrics below this index are counted on sampled packets and scaled by the sample rate. */
const SAMPLED_METRIC_COUNT = 8;

/** Direction of a count relative to its entity: OUT when the entity sent, IN when it received. */
export const MetricDirection = { OUT: 0, IN: 1 } as const;

/** Distinct counts kept per entity. */
export const DistinctMetric = {
  /** Distinct destination addresses of flows the entity started. */
  PEERS_OUT: 0,
  /** Distinct source addresses of flows towards the entity. */
  PEERS_IN: 1,
  /** Distinct destination ports (with protocol) of flows the entity started. */
  PORTS_OUT: 2,
  /** Distinct destination ports (with protocol) of flows towards the entity. */
  PORTS_IN: 3,
} as const;
export const DISTINCT_METRIC_COUNT = 4;

/** Most host groups: a host's groups are a 32-bit mask. */
export const MAX_HOST_GROUPS = 32;
/** Largest window accepted, in buckets. */
export const MAX_WINDOW_BUCKETS = 3600;

const DNS_RCODE_NXDOMAIN = 3;
const PEER_HASH_SEED = 0x2545f491;
const PORT_HASH_SEED = 0x68e31da4;
const MICROS_PER_SECOND = 1e6;

/** Settings of TrafficMetrics. */
export interface TrafficMetricsConfig {
  /** Internal networks (vars.address-groups.HOME_NET), as CIDR text. */
  homeNet: readonly string[];
  /** Host groups by name, each a list of CIDR networks. */
  hostGroups: Readonly<Record<string, readonly string[]>>;
  /** Internal hosts tracked at once; the least recently seen is evicted beyond this. */
  maxHosts: number;
  /** Bucket length in seconds of capture time. */
  bucketS: number;
  /** Buckets in the rate window. */
  windowBuckets: number;
  /** Length of a distinct-count window in seconds of capture time. */
  distinctWindowS: number;
  /** HyperLogLog precision of the distinct counts (2^p one-byte registers each). */
  hllPrecision: number;
  /** Packet sampling 1:N for the per-packet metrics; 1 counts every packet. */
  sampleRate: number;
  /** Seed of the packet sampler. */
  sampleSeed: number;
}

/**
 * Defaults: 4096 hosts, 1 s buckets, a 10 s rate window, 60 s distinct
 * windows, p = 10 (1 KiB and about 3% standard error per sketch), no
 * sampling. Memory at these settings: at most about 25 MiB (memoryBytes), of
 * which 16 MiB are the sketches (4 per entity) and 8 MiB the rate window.
 */
export function defaultTrafficMetricsConfig(homeNet: readonly string[]): TrafficMetricsConfig {
  return {
    homeNet,
    hostGroups: {},
    maxHosts: 4096,
    bucketS: 1,
    windowBuckets: 10,
    distinctWindowS: 60,
    hllPrecision: 10,
    sampleRate: 1,
    sampleSeed: 1,
  };
}

/** Per-entity traffic counters; see the file comment for what counts where. */
export class TrafficMetrics {
  readonly config: TrafficMetricsConfig;
  readonly hosts: HostTable;
  readonly groupNames: readonly string[];
  /** Entity index of the whole network. */
  readonly networkEntity: number;
  readonly entityCount: number;
  readonly sampleRate: number;
  /** IP packets offered to recordPacket. */
  packetsSeen: number;
  /** IP packets with neither address in HOME_NET. */
  packetsOutsideHomeNet: number;
  /** Buckets completed since the first packet, including empty ones rolled over a gap. */
  bucketsCompleted: number;
  /** Distinct-count windows completed since the first packet. */
  distinctWindowsCompleted: number;
  /** Start of the current bucket in capture microseconds, or -1 before the first packet. */
  bucketStartUs: number;

  private readonly homeNet: NetworkSet;
  private readonly groups: NetworkSet[];
  /** Group bits of each host slot. */
  private readonly hostGroupMasks: Uint32Array;
  private readonly sampler: PacketSampler | null;
  private readonly bucketUs: number;
  private bucketEndUs: number;
  private distinctEndUs: number;
  private readonly distinctUs: number;
  /** Current bucket: METRIC_COUNT counters per (entity, direction). */
  private readonly current: Float64Array;
  /** Completed buckets, `windowBuckets` blocks shaped like `current`. */
  private readonly ring: Float64Array;
  private ringNext: number;
  private readonly distinct: HyperLogLogBank;
  /** Estimates of the last completed distinct window, per sketch. */
  private readonly lastDistinct: Float64Array;

  constructor(config: TrafficMetricsConfig) {
    checkTrafficMetricsConfig(config);
    this.config = config;
    this.hosts = new HostTable(config.maxHosts);
    this.groupNames = Object.keys(config.hostGroups);
    this.networkEntity = config.maxHosts + this.groupNames.length;
    this.entityCount = this.networkEntity + 1;
    this.sampleRate = config.sampleRate;
    this.packetsSeen = 0;
    this.packetsOutsideHomeNet = 0;
    this.bucketsCompleted = 0;
    this.distinctWindowsCompleted = 0;
    this.bucketStartUs = -1;

    this.homeNet = new NetworkSet(config.homeNet);
    this.groups = this.groupNames.map((name) => new NetworkSet(config.hostGroups[name]));
    this.hostGroupMasks = new Uint32Array(config.maxHosts);
    this.sampler = config.sampleRate > 1 ? new PacketSampler(config.sampleRate, config.sampleSeed) : null;
    this.bucketUs = config.bucketS * MICROS_PER_SECOND;
    this.bucketEndUs = 0;
    this.distinctUs = config.distinctWindowS * MICROS_PER_SECOND;
    this.distinctEndUs = 0;
    const blockSize = this.entityCount * 2 * METRIC_COUNT;
    this.current = new Float64Array(blockSize);
    this.ring = new Float64Array(blockSize * config.windowBuckets);
    this.ringNext = 0;
    this.distinct = new HyperLogLogBank(config.hllPrecision, this.entityCount * DISTINCT_METRIC_COUNT);
    this.lastDistinct = new Float64Array(this.entityCount * DISTINCT_METRIC_COUNT);
  }

  /** Counts one decoded packet: the per-packet call. Non-IP packets are ignored. */
  recordPacket(p: Packet): void {
    if (p.ipVersion === 0) return;
    if (p.timestampUs >= this.bucketEndUs) this.advanceTo(p.timestampUs);
    this.packetsSeen++;
    if (this.sampler !== null && !this.sampler.shouldSample()) return;

    const source = this.internalSource(p);
    const destination = this.internalDestination(p);
    if (source < 0 && destination < 0) {
      this.packetsOutsideHomeNet++;
      return;
    }

    const protoMetric = protocolMetric(p.ipProto);
    let synMetric = -1;
    if (p.ipProto === IpProto.TCP && (p.tcpFlags & TcpFlag.SYN) !== 0) {
      synMetric = (p.tcpFlags & TcpFlag.ACK) !== 0 ? Metric.TCP_SYN_ACK : Metric.TCP_SYN;
    }
    const bytes = p.wireLength;
    if (source >= 0) this.countPacketAll(source, MetricDirection.OUT, bytes, protoMetric, synMetric);
    if (destination >= 0) this.countPacketAll(destination, MetricDirection.IN, bytes, protoMetric, synMetric);
  }

  /**
   * Counts a new flow, for the flow stage to call with the packet that
   * created it (its source is the initiator). Feeds NEW_FLOWS and the
   * distinct peer and port sketches.
   */
  recordNewFlow(p: Packet): void {
    if (p.ipVersion === 0) return;
    if (p.timestampUs >= this.bucketEndUs) this.advanceTo(p.timestampUs);
    const source = this.internalSource(p);
    const destination = this.internalDestination(p);
    if (source < 0 && destination < 0) return;

    const hasPorts = p.ipProto === IpProto.TCP || p.ipProto === IpProto.UDP || p.ipProto === IpProto.SCTP;
    const portHash = hasPorts ? mix32((((p.ipProto << 16) | p.dstPort) ^ PORT_HASH_SEED) >>> 0) : 0;
    if (source >= 0) {
      const peerHash = hashAddress(p.ipVersion, p.dst4, p.dstAddr, PEER_HASH_SEED);
      this.countFlowAll(source, MetricDirection.OUT, peerHash, hasPorts, portHash);
    }
    if (destination >= 0) {
      const peerHash = hashAddress(p.ipVersion, p.src4, p.srcAddr, PEER_HASH_SEED);
      this.countFlowAll(destination, MetricDirection.IN, peerHash, hasPorts, portHash);
    }
  }

  /** Counts a DNS query, for the DNS parser to call with the query's packet (client to server). */
  recordDnsQuery(p: Packet): void {
    this.countExact(p, Metric.DNS_QUERIES, -1);
  }

  /** Counts a DNS response with its RCODE, for the DNS parser to call with the response's packet (server to client). */
  recordDnsResponse(p: Packet, rcode: number): void {
    this.countExact(p, Metric.DNS_RESPONSES, rcode === DNS_RCODE_NXDOMAIN ? Metric.DNS_NXDOMAIN : -1);
  }

  /**
   * Returns the total of a metric over the completed buckets of the rate
   * window, scaled by the sample rate for sampled metrics.
   */
  windowTotal(entity: number, direction: number, metric: number): number {
    const blockSize = this.current.length;
    const at = (entity * 2 + direction) * METRIC_COUNT + metric;
    let sum = 0;
    for (let b = 0; b < this.config.windowBuckets; b++) sum += this.ring[b * blockSize + at];
    return metric < SAMPLED_METRIC_COUNT ? sum * this.sampleRate : sum;
  }

  /** Returns the seconds of capture time that the rate window covers so far (0 before the first bucket completes). */
  windowSeconds(): number {
    return Math.min(this.bucketsCompleted, this.config.windowBuckets) * this.config.bucketS;
  }

  /** Returns a metric's rate per second over the rate window; 0 before the first bucket completes. */
  rate(entity: number, direction: number, metric: number): number {
    const seconds = this.windowSeconds();
    return seconds > 0 ? this.windowTotal(entity, direction, metric) / seconds : 0;
  }

  /** Returns bits per second over the rate window (8 times the BYTES rate). */
  bitsPerSecond(entity: number, direction: number): number {
    return this.rate(entity, direction, Metric.BYTES) * 8;
  }

  /** Returns the value of a metric in the last completed bucket, scaled like windowTotal. */
  lastBucket(entity: number, direction: number, metric: number): number {
    const blockSize = this.current.length;
    const last = (this.ringNext + this.config.windowBuckets - 1) % this.config.windowBuckets;
    const value = this.ring[last * blockSize + (entity * 2 + direction) * METRIC_COUNT + metric];
    return metric < SAMPLED_METRIC_COUNT ? value * this.sampleRate : value;
  }

  /** Returns the share of `metric` in `ofMetric` over the rate window (PROTO_UDP of PACKETS, DNS_NXDOMAIN of DNS_RESPONSES); 0 when `ofMetric` is 0. */
  share(entity: number, direction: number, metric: number, ofMetric: number): number {
    const whole = this.windowTotal(entity, direction, ofMetric);
    return whole > 0 ? this.windowTotal(entity, direction, metric) / whole : 0;
  }

  /** Estimates a distinct count in the running distinct window (DistinctMetric). */
  distinctCount(entity: number, distinctMetric: number): number {
    return this.distinct.estimate(entity * DISTINCT_METRIC_COUNT + distinctMetric);
  }

  /** Returns a distinct count of the last completed distinct window, 0 before one completes. */
  lastDistinctCount(entity: number, distinctMetric: number): number {
    return this.lastDistinct[entity * DISTINCT_METRIC_COUNT + distinctMetric];
  }

  /** Returns the entity of a host group by name, or -1. */
  groupEntity(name: string): number {
    const index = this.groupNames.indexOf(name);
    return index < 0 ? -1 : this.config.maxHosts + index;
  }

  /** Returns the entity of a tracked host (IPv4 as a number, IPv6 as 16 bytes), or -1. */
  hostEntity(ipVersion: number, addr4: number, addr: Uint8Array): number {
    return this.hosts.find(ipVersion, addr4, addr);
  }

  /** Returns the entity of a tracked host by its address text (`198.51.100.7`, `2001:db8::7`), or -1; not for the packet path. */
  hostEntityByText(text: string): number {
    const parsed = parseNetwork(text, 0);
    if (parsed === null) return -1;
    const a = parsed.address;
    const addr4 = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
    return this.hosts.find(parsed.version, addr4, a);
  }

  /** Tells whether host slot `entity` holds a host. */
  isHostActive(entity: number): boolean {
    return entity < this.hosts.size;
  }

  /** Returns the bytes its typed arrays take at most, for a memory budget; sketch registers are allocated as hosts appear. */
  memoryBytes(): number {
    return (
      this.current.byteLength +
      this.ring.byteLength +
      this.distinct.count * this.distinct.registerCount +
      this.lastDistinct.byteLength +
      this.hosts.maxHosts * 64
    );
  }

  /** Moves time forward to `timestampUs`: completes buckets and distinct windows that ended before it. */
  advanceTo(timestampUs: number): void {
    if (this.bucketStartUs < 0) {
      this.bucketStartUs = Math.floor(timestampUs / this.bucketUs) * this.bucketUs;
      this.bucketEndUs = this.bucketStartUs + this.bucketUs;
      const distinctStartUs = Math.floor(timestampUs / this.distinctUs) * this.distinctUs;
      this.distinctEndUs = distinctStartUs + this.distinctUs;
      return;
    }
    if (timestampUs >= this.bucketEndUs) this.completeBuckets(timestampUs);
    if (timestampUs >= this.distinctEndUs) this.completeDistinctWindows(timestampUs);
  }

  /**
   * Completes the current bucket and rolls empty ones over a gap. Only the
   * rows in use are copied and cleared: the host slots below `hosts.size`,
   * then the groups and the network. The host table fills its slots in
   * order and never gives one back, so the rows of a slot not yet used are
   * still zero in every block, and a slot reused by eviction is cleared by
   * startHost. This keeps the per-bucket cost in line with the hosts seen
   * instead of `maxHosts`.
   */
  private completeBuckets(timestampUs: number): void {
    const elapsed = Math.floor((timestampUs - this.bucketStartUs) / this.bucketUs);
    const blockSize = this.current.length;
    const hostsEnd = this.hosts.size * 2 * METRIC_COUNT;
    const tailStart = this.config.maxHosts * 2 * METRIC_COUNT;
    const current = this.current;
    const ringBase = this.ringNext * blockSize;
    this.ring.set(current.subarray(0, hostsEnd), ringBase);
    this.ring.set(current.subarray(tailStart), ringBase + tailStart);
    current.fill(0, 0, hostsEnd);
    current.fill(0, tailStart);
    this.ringNext = (this.ringNext + 1) % this.config.windowBuckets;
    const empty = Math.min(elapsed - 1, this.config.windowBuckets);
    for (let i = 0; i < empty; i++) {
      const base = this.ringNext * blockSize;
      this.ring.fill(0, base, base + hostsEnd);
      this.ring.fill(0, base + tailStart, base + blockSize);
      this.ringNext = (this.ringNext + 1) % this.config.windowBuckets;
    }
    this.bucketsCompleted += elapsed;
    this.bucketStartUs += elapsed * this.bucketUs;
    this.bucketEndUs = this.bucketStartUs + this.bucketUs;
  }

  /** Completes the distinct windows that ended; like completeBuckets, it reads and clears only the sketches of rows in use. */
  private completeDistinctWindows(timestampUs: number): void {
    const elapsed = Math.floor((timestampUs - (this.distinctEndUs - this.distinctUs)) / this.distinctUs);
    const hostsEnd = this.hosts.size * DISTINCT_METRIC_COUNT;
    const tailStart = this.config.maxHosts * DISTINCT_METRIC_COUNT;
    const sketches = this.entityCount * DISTINCT_METRIC_COUNT;
    for (let s = 0; s < sketches; s++) {
      if (s === hostsEnd) s = tailStart;
      this.lastDistinct[s] = elapsed === 1 ? this.distinct.estimate(s) : 0;
      this.distinct.clear(s);
    }
    this.distinctWindowsCompleted += elapsed;
    this.distinctEndUs += elapsed * this.distinctUs;
  }

  /** Sets up a host slot that findOrInsert just filled: its groups, and cleared state when it held an evicted host. */
  private startHost(slot: number, ipVersion: number, addr4: number, addr: Uint8Array): void {
    let mask = 0;
    for (let g = 0; g < this.groups.length; g++) {
      if (this.groups[g].contains(ipVersion, addr4, addr)) mask |= 1 << g;
    }
    this.hostGroupMasks[slot] = mask;
    if (!this.hosts.wasEvicted) return;

    const width = 2 * METRIC_COUNT;
    const blockSize = this.current.length;
    this.current.fill(0, slot * width, (slot + 1) * width);
    for (let b = 0; b < this.config.windowBuckets; b++) {
      this.ring.fill(0, b * blockSize + slot * width, b * blockSize + (slot + 1) * width);
    }
    for (let d = 0; d < DISTINCT_METRIC_COUNT; d++) {
      this.distinct.clear(slot * DISTINCT_METRIC_COUNT + d);
      this.lastDistinct[slot * DISTINCT_METRIC_COUNT + d] = 0;
    }
  }

  private internalSource(p: Packet): number {
    if (!this.homeNet.containsSource(p)) return -1;
    const slot = this.hosts.findOrInsert(p.ipVersion, p.src4, p.srcAddr);
    if (this.hosts.wasInserted) this.startHost(slot, p.ipVersion, p.src4, p.srcAddr);
    return slot;
  }

  private internalDestination(p: Packet): number {
    if (!this.homeNet.containsDestination(p)) return -1;
    const slot = this.hosts.findOrInsert(p.ipVersion, p.dst4, p.dstAddr);
    if (this.hosts.wasInserted) this.startHost(slot, p.ipVersion, p.dst4, p.dstAddr);
    return slot;
  }

  /** Counts one sampled packet for a host, its groups and the network. */
  private countPacketAll(host: number, direction: number, bytes: number, protoMetric: number, synMetric: number): void {
    this.countPacket(host, direction, bytes, protoMetric, synMetric);
    let mask = this.hostGroupMasks[host];
    while (mask !== 0) {
      const g = 31 - Math.clz32(mask & -mask);
      this.countPacket(this.config.maxHosts + g, direction, bytes, protoMetric, synMetric);
      mask &= mask - 1;
    }
    this.countPacket(this.networkEntity, direction, bytes, protoMetric, synMetric);
  }

  private countPacket(entity: number, direction: number, bytes: number, protoMetric: number, synMetric: number): void {
    const base = (entity * 2 + direction) * METRIC_COUNT;
    const current = this.current;
    current[base + Metric.PACKETS]++;
    current[base + Metric.BYTES] += bytes;
    current[base + protoMetric]++;
    if (synMetric >= 0) current[base + synMetric]++;
  }

  /** Counts one new flow for a host, its groups and the network. */
  private countFlowAll(host: number, direction: number, peerHash: number, hasPorts: boolean, portHash: number): void {
    this.countFlow(host, direction, peerHash, hasPorts, portHash);
    let mask = this.hostGroupMasks[host];
    while (mask !== 0) {
      const g = 31 - Math.clz32(mask & -mask);
      this.countFlow(this.config.maxHosts + g, direction, peerHash, hasPorts, portHash);
      mask &= mask - 1;
    }
    this.countFlow(this.networkEntity, direction, peerHash, hasPorts, portHash);
  }

  private countFlow(entity: number, direction: number, peerHash: number, hasPorts: boolean, portHash: number): void {
    this.current[(entity * 2 + direction) * METRIC_COUNT + Metric.NEW_FLOWS]++;
    const sketch = entity * DISTINCT_METRIC_COUNT;
    const isOut = direction === MetricDirection.OUT;
    this.distinct.add(sketch + (isOut ? DistinctMetric.PEERS_OUT : DistinctMetric.PEERS_IN), peerHash);
    if (hasPorts) this.distinct.add(sketch + (isOut ? DistinctMetric.PORTS_OUT : DistinctMetric.PORTS_IN), portHash);
  }

  /** Counts an exact (hook) metric, plus `extraMetric` when not -1, for the packet's internal sides. */
  private countExact(p: Packet, metric: number, extraMetric: number): void {
    if (p.ipVersion === 0) return;
    if (p.timestampUs >= this.bucketEndUs) this.advanceTo(p.timestampUs);
    const source = this.internalSource(p);
    const destination = this.internalDestination(p);
    if (source >= 0) this.countExactAll(source, MetricDirection.OUT, metric, extraMetric);
    if (destination >= 0) this.countExactAll(destination, MetricDirection.IN, metric, extraMetric);
  }

  private countExactAll(host: number, direction: number, metric: number, extraMetric: number): void {
    this.addExact(host, direction, metric, extraMetric);
    let mask = this.hostGroupMasks[host];
    while (mask !== 0) {
      const g = 31 - Math.clz32(mask & -mask);
      this.addExact(this.config.maxHosts + g, direction, metric, extraMetric);
      mask &= mask - 1;
    }
    this.addExact(this.networkEntity, direction, metric, extraMetric);
  }

  private addExact(entity: number, direction: number, metric: number, extraMetric: number): void {
    const base = (entity * 2 + direction) * METRIC_COUNT;
    this.current[base + metric]++;
    if (extraMetric >= 0) this.current[base + extraMetric]++;
  }
}

function protocolMetric(ipProto: number): number {
  if (ipProto === IpProto.TCP) return Metric.PROTO_TCP;
  if (ipProto === IpProto.UDP) return Metric.PROTO_UDP;
  if (ipProto === IpProto.ICMP || ipProto === IpProto.ICMPV6) return Metric.PROTO_ICMP;
  return Metric.PROTO_OTHER;
}

/** Throws a RangeError naming the first invalid setting of `config`. */
export function checkTrafficMetricsConfig(config: TrafficMetricsConfig): void {
  checkSampleRate(config.sampleRate);
  checkHllPrecision(config.hllPrecision);
  if (!(config.bucketS > 0) || !Number.isFinite(config.bucketS)) {
    throw new RangeError(`metrics bucketS ${config.bucketS} is invalid (expected a positive number of seconds)`);
  }
  if (!Number.isInteger(config.windowBuckets) || config.windowBuckets < 1 || config.windowBuckets > MAX_WINDOW_BUCKETS) {
    throw new RangeError(`metrics windowBuckets ${config.windowBuckets} is invalid (expected an integer 1..${MAX_WINDOW_BUCKETS})`);
  }
  if (!(config.distinctWindowS > 0) || !Number.isFinite(config.distinctWindowS)) {
    throw new RangeError(`metrics distinctWindowS ${config.distinctWindowS} is invalid (expected a positive number of seconds)`);
  }
  // A packet between two internal hosts needs both in the table at once.
  if (!Number.isInteger(config.maxHosts) || config.maxHosts < 2) {
    throw new RangeError(`metrics maxHosts ${config.maxHosts} is invalid (expected an integer of at least 2)`);
  }
  const groupCount = Object.keys(config.hostGroups).length;
  if (groupCount > MAX_HOST_GROUPS) {
    throw new RangeError(`metrics hostGroups has ${groupCount} groups, above the maximum ${MAX_HOST_GROUPS}`);
  }
}
