/**
 * Per-thread decoder state: the checksum mode, the counters that `stats`
 * events report, and the per-packet layer count.
 */
import type { Packet } from '../core/packet.js';
import { DECODER_EVENT_ID_LIMIT, DECODER_EVENT_NAMES } from './events.js';

/**
 * Checksum validation, as Suricata's `-k` option and
 * pcap-file.checksum-checks set it: validate every packet, none, or `auto`,
 * which validates until the sample below shows checksum offloading.
 */
export type ChecksumMode = 'all' | 'none' | 'auto';

/**
 * Packets sampled by the `auto` checksum mode before it decides. Suricata
 * samples the same number of packets.
 */
export const CHECKSUM_SAMPLE_PACKETS = 1000;

/**
 * In `auto` mode, validation stops when more than 1 in this many sampled
 * packets (10%) has an invalid checksum: the capture was most likely taken
 * on a host whose network card computes checksums (offloading).
 */
export const CHECKSUM_INVALID_RATIO = 10;

/**
 * Maximum decoder layers in one packet (link, VLAN, IP, tunnel, ...). Past
 * it the packet gets `too_many_layers`, counted in
 * decoder.event.too_many_layers, and decoding stops. Suricata's default for
 * its config key decoder.max-layers is the same 16; kapu does not read that
 * key yet.
 */
export const MAX_DECODE_LAYERS = 16;

/** Counter ids; DECODE_STAT_NAMES gives the stats names. */
export const DecodeStat = {
  PKTS: 0,
  BYTES: 1,
  INVALID: 2,
  IPV4: 3,
  IPV6: 4,
  ETHERNET: 5,
  ARP: 6,
  UNKNOWN_ETHERTYPE: 7,
  RAW: 8,
  NULL: 9,
  SLL: 10,
  TCP: 11,
  UDP: 12,
  SCTP: 13,
  ESP: 14,
  ICMPV4: 15,
  ICMPV6: 16,
  IGMP: 17,
  GRE: 18,
  VLAN: 19,
  VLAN_QINQ: 20,
  VLAN_QINQINQ: 21,
  VXLAN: 22,
  IPV4_IN_IPV6: 23,
  IPV6_IN_IPV6: 24,
  IPV4_IN_IPV4: 25,
  IPV6_IN_IPV4: 26,
  MAX_PKT_SIZE: 27,
  IEEE80211: 28,
  RADIOTAP: 29,
  UNKNOWN_LINKTYPE: 30,
  IPV4_INVALID_CHECKSUM: 31,
  TCP_INVALID_CHECKSUM: 32,
  UDP_INVALID_CHECKSUM: 33,
  ICMPV4_INVALID_CHECKSUM: 34,
  ICMPV6_INVALID_CHECKSUM: 35,
  SCTP_INVALID_CHECKSUM: 36,
  SLL2: 37,
  CHDLC: 38,
  NSH: 39,
  IGMP_INVALID_CHECKSUM: 40,
} as const;

/**
 * Stats names by DecodeStat id. The names up to decoder.max_pkt_size, and
 * decoder.sll2, decoder.chdlc and decoder.nsh, are Suricata's, except
 * decoder.ipv4_in_ipv4. The other names after decoder.max_pkt_size are
 * kapu's own.
 */
export const DECODE_STAT_NAMES: readonly string[] = [
  'decoder.pkts',
  'decoder.bytes',
  'decoder.invalid',
  'decoder.ipv4',
  'decoder.ipv6',
  'decoder.ethernet',
  'decoder.arp',
  'decoder.unknown_ethertype',
  'decoder.raw',
  'decoder.null',
  'decoder.sll',
  'decoder.tcp',
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
  'decoder.ipv4_in_ipv6',
  'decoder.ipv6_in_ipv6',
  'decoder.ipv4_in_ipv4',
  'decoder.ipv6_in_ipv4',
  'decoder.max_pkt_size',
  'decoder.ieee80211',
  'decoder.radiotap',
  'decoder.unknown_linktype',
  'decoder.ipv4_invalid_checksum',
  'decoder.tcp_invalid_checksum',
  'decoder.udp_invalid_checksum',
  'decoder.icmpv4_invalid_checksum',
  'decoder.icmpv6_invalid_checksum',
  'decoder.sctp_invalid_checksum',
  'decoder.sll2',
  'decoder.chdlc',
  'decoder.nsh',
  'decoder.igmp_invalid_checksum',
];

/** Decoder state of one worker. Reused for every packet the worker decodes. */
export class DecodeContext {
  readonly checksumMode: ChecksumMode;
  /** False when the mode is `none`, or after `auto` found offloading. */
  isChecksumValidationOn: boolean;
  /** Counters by DecodeStat id. */
  readonly counters: Float64Array;
  /** Event counts by decoder event id (index 0 unused). */
  readonly eventCounts: Float64Array;
  /** True in `auto` mode until the sample is complete. */
  isChecksumSampling: boolean;
  /** Packets sampled and packets with an invalid checksum, in `auto` mode. */
  checksumSamplePackets: number;
  checksumSampleInvalid: number;
  /** Layers decoded in the current packet, checked against MAX_DECODE_LAYERS. */
  layerCount: number;
  /** Set by a checksum check that failed in the current packet. */
  hasInvalidChecksum: boolean;
  /**
   * Offsets in the packet of the IPv6 addresses that replace the header's
   * in the upper-layer pseudo-header (home address option, final routing
   * header destination), or -1. Set by the innermost IPv6 layer.
   */
  pseudoSourceOffset: number;
  pseudoDestinationOffset: number;

  /**
   * The `auto` sample shared by the worker threads that decode one input:
   * word 0 counts the sampled frames, word 1 those with an invalid
   * checksum. The sample is the input's first CHECKSUM_SAMPLE_PACKETS
   * frames, whichever worker decodes them. Null in a single thread.
   */
  sharedChecksumSample: Int32Array | null;
  /** Position of the current frame in the whole input (1-based); a worker thread sets it. */
  frameSeq: number;

  constructor(checksumMode: ChecksumMode = 'auto') {
    this.checksumMode = checksumMode;
    this.isChecksumValidationOn = checksumMode !== 'none';
    this.counters = new Float64Array(DECODE_STAT_NAMES.length);
    this.eventCounts = new Float64Array(DECODER_EVENT_ID_LIMIT);
    this.isChecksumSampling = checksumMode === 'auto';
    this.checksumSamplePackets = 0;
    this.checksumSampleInvalid = 0;
    this.layerCount = 0;
    this.hasInvalidChecksum = false;
    this.pseudoSourceOffset = -1;
    this.pseudoDestinationOffset = -1;
    this.sharedChecksumSample = null;
    this.frameSeq = 0;
  }

  /** Returns a counter's value by its stats name (`decoder.ipv4`, `decoder.event.ipv4.trunc_pkt`), or 0. */
  stat(name: string): number {
    const index = DECODE_STAT_NAMES.indexOf(name);
    if (index >= 0) return this.counters[index];
    if (name.startsWith('decoder.event.')) {
      const id = DECODER_EVENT_NAMES.indexOf(name.slice('decoder.event.'.length));
      if (id > 0) return this.eventCounts[id];
    }
    return 0;
  }

  /**
   * Returns the counters as Suricata's `stats` event nests them under
   * `decoder`: flat names (`pkts`, `ipv4`) plus `event.<proto>.<name>` for
   * every decoder event, 0 for those never seen, as Suricata registers
   * them all at start. `avg_pkt_size` is bytes over packets.
   */
  toStats(): Record<string, number> {
    const stats: Record<string, number> = {};
    for (let i = 0; i < DECODE_STAT_NAMES.length; i++) {
      stats[DECODE_STAT_NAMES[i] as string] = this.counters[i];
    }
    const packets = this.counters[DecodeStat.PKTS];
    stats['decoder.avg_pkt_size'] = packets > 0 ? Math.floor(this.counters[DecodeStat.BYTES] / packets) : 0;
    for (let id = 1; id < DECODER_EVENT_ID_LIMIT; id++) {
      stats['decoder.event.' + DECODER_EVENT_NAMES[id]] = this.eventCounts[id];
    }
    return stats;
  }
}

/**
 * Records decoder event `id` on the packet and counts it. An event raised
 * twice is recorded twice, as Suricata records it, so EVE shows one anomaly
 * per occurrence; past MAX_PACKET_EVENTS it is counted only.
 */
export function raiseEvent(p: Packet, ctx: DecodeContext, id: number): void {
  p.addEvent(id);
  ctx.eventCounts[id]++;
}

/** Records event `id` and marks the packet invalid: decoding stops at this layer. */
export function raiseInvalid(p: Packet, ctx: DecodeContext, id: number): void {
  raiseEvent(p, ctx, id);
  p.isInvalid = true;
}
