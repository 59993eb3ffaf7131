/**
 * Counters for the stats event, under the names Suricata 8 uses, so
 * dashboards and suricata-verify checks (`stats.decoder.invalid`,
 * `stats.detect.alert`) read kapu's stats unchanged. Stages register a
 * counter once at start and bump it by index on the packet path.
 */

/** Counter names of Suricata 8 that kapu registers at start, in stats-event order. */
export const SURICATA_COUNTERS = [
  'capture.kernel_packets',
  'capture.kernel_drops',
  'decoder.pkts',
  'decoder.bytes',
  'decoder.invalid',
  'decoder.ipv4',
  'decoder.ipv6',
  'decoder.ethernet',
  'decoder.arp',
  'decoder.unknown_ethertype',
  'decoder.chdlc',
  'decoder.raw',
  'decoder.null',
  'decoder.sll',
  'decoder.sll2',
  'decoder.tcp',
  'decoder.syn',
  'decoder.synack',
  'decoder.rst',
  'decoder.udp',
  'decoder.sctp',
  'decoder.esp',
  'decoder.icmpv4',
  'decoder.icmpv6',
  'decoder.igmp',
  'decoder.gre',
  'decoder.vlan',
  'decoder.vlan_qinq',
  'decoder.vlan_qinqinq',
  'decoder.vxlan',
  'decoder.geneve',
  'decoder.teredo',
  'decoder.ipv4_in_ipv6',
  'decoder.ipv6_in_ipv4',
  'decoder.ipv6_in_ipv6',
  'decoder.mpls',
  'decoder.avg_pkt_size',
  'decoder.max_pkt_size',
  'decoder.too_many_layers',
  'flow.total',
  'flow.active',
  'flow.tcp',
  'flow.udp',
  'flow.icmpv4',
  'flow.icmpv6',
  'flow.tcp_reuse',
  'flow.memcap',
  'flow.memuse',
  'defrag.ipv4.fragments',
  'defrag.ipv4.reassembled',
  'defrag.ipv6.fragments',
  'defrag.ipv6.reassembled',
  'defrag.max_trackers_reached',
  'defrag.max_frags_reached',
  'defrag.memuse',
  'tcp.sessions',
  'tcp.ssn_memcap_drop',
  'tcp.pseudo',
  'tcp.invalid_checksum',
  'tcp.syn',
  'tcp.synack',
  'tcp.rst',
  'tcp.midstream_pickups',
  'tcp.segment_memcap_drop',
  'tcp.stream_depth_reached',
  'tcp.reassembly_gap',
  'tcp.overlap',
  'tcp.overlap_diff_data',
  'tcp.urg',
  'tcp.memuse',
  'tcp.reassembly_memuse',
  'detect.alert',
  'detect.alert_queue_overflow',
  'detect.alerts_suppressed',
  'ips.accepted',
  'ips.blocked',
  'ips.rejected',
  'ips.replaced',
] as const;

const INITIAL_CAPACITY = 256;

/** A set of named counters kept in one typed array. */
export class StatsCounters {
  private values: Float64Array;
  private readonly names: string[];
  private readonly index: Map<string, number>;

  constructor(names: readonly string[] = SURICATA_COUNTERS) {
    this.values = new Float64Array(INITIAL_CAPACITY);
    this.names = [];
    this.index = new Map();
    for (const name of names) this.register(name);
  }

  /** Returns the index of counter `name`, adding it when new. Call at start, not per packet. */
  register(name: string): number {
    const existing = this.index.get(name);
    if (existing !== undefined) return existing;
    const id = this.names.length;
    if (id === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.names.push(name);
    this.index.set(name, id);
    return id;
  }

  /** Adds `n` to counter `id`. */
  add(id: number, n = 1): void {
    this.values[id] = (this.values[id] as number) + n;
  }

  /** Sets counter `id` (gauges such as flow.active and memuse). */
  set(id: number, value: number): void {
    this.values[id] = value;
  }

  /** Returns the value of counter `name`, or 0 when it is not registered. */
  get(name: string): number {
    const id = this.index.get(name);
    return id === undefined ? 0 : (this.values[id] as number);
  }

  /** Returns every counter by name, in registration order, for the stats event. */
  snapshot(): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < this.names.length; i++) out.set(this.names[i] as string, this.values[i] as number);
    return out;
  }
}

/**
 * Writes the app-layer transaction counters (`app_layer.tx.<proto>`) of
 * the stats event from the counts by protocol stats name (`http`, `tls`,
 * `dns_udp`, ...). A protocol seen on a flow is written even at 0.
 */
export function writeAppLayerTxCounters(out: Map<string, number>, txByProto: ReadonlyMap<string, number>): void {
  for (const [name, count] of txByProto) out.set('app_layer.tx.' + name, count);
}
