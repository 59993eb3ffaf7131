/**
 * Packet and flow sampling for the anomaly stage.
 *
 * Two kinds, for two kinds of figure:
 * - PacketSampler keeps each packet with probability 1/N, drawn from a
 *   seeded xorshift32 generator. Volume figures (packets, bytes, SYNs)
 *   counted on the kept packets are estimates of the true volume after
 *   multiplying by N, so every such figure carries its rate.
 * - FlowHashSampler keeps every packet of a flow whose hash of the address
 *   pair, ports and protocol is 0 mod N, and the same flows in both
 *   directions. A figure counted over whole flows (flows per host, bytes per
 *   flow) stays unbiased for the kept flows.
 *
 * Neither suits distinct counts (peers, ports): a distinct count does not
 * scale with the sample rate, so those come from HyperLogLog over every new
 * flow (hyperloglog.ts).
 */
import type { Packet } from '../core/packet.js';

/**
 * Largest rate 1:N accepted (2^20). At this rate a link that carries a
 * million packets per second yields about one sampled packet per second,
 * too few to describe it.
 */
export const MAX_SAMPLE_RATE = 1 << 20;

const UINT32_RANGE = 4294967296;

/** Throws a RangeError unless `rate` is an integer in 1..MAX_SAMPLE_RATE. */
export function checkSampleRate(rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_SAMPLE_RATE) {
    throw new RangeError(`sample rate ${rate} is invalid (expected an integer 1..${MAX_SAMPLE_RATE}, 1 keeps every packet)`);
  }
}

/**
 * Marsaglia's xorshift32 generator (shifts 13, 17, 5): period 2^32 - 1,
 * three shifts and three XORs per number, no allocation. Not for secrets.
 * A zero seed would stay zero forever, so it is replaced by 1.
 */
export class XorShift32 {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) === 0 ? 1 : seed >>> 0;
  }

  /** Advances the generator and returns the next value in 1..2^32-1. */
  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}

/** A volume figure from a sample: the estimate (sampled count times the rate) and the rate 1:N it came from. */
export interface SampledVolume {
  estimate: number;
  sampleRate: number;
}

/**
 * Random 1:N packet sampling. `shouldSample` is the per-packet call: one
 * generator step and one compare. Counts of kept packets multiplied by
 * `rate` estimate the true counts; `estimate` does that and names the rate.
 */
export class PacketSampler {
  readonly rate: number;
  /** Packets offered to `shouldSample`. */
  seen: number;
  /** Packets that `shouldSample` kept. */
  kept: number;
  private readonly random: XorShift32;
  /** A packet is kept when the next value is below this: 2^32 / N, so the chance is 1/N up to 2^-32. */
  private readonly threshold: number;

  constructor(rate: number, seed: number) {
    checkSampleRate(rate);
    this.rate = rate;
    this.seen = 0;
    this.kept = 0;
    this.random = new XorShift32(seed);
    this.threshold = Math.floor(UINT32_RANGE / rate);
  }

  /** Decides whether to keep the current packet; rate 1 keeps every packet. */
  shouldSample(): boolean {
    this.seen++;
    if (this.rate === 1) {
      this.kept++;
      return true;
    }
    // The generator never returns 0, so shift down by one to cover 0..2^32-2.
    if (this.random.nextUint32() - 1 < this.threshold) {
      this.kept++;
      return true;
    }
    return false;
  }

  /** Scales a count taken on the kept packets to an estimate of the whole stream, with the rate. */
  estimate(sampledCount: number): SampledVolume {
    return { estimate: sampledCount * this.rate, sampleRate: this.rate };
  }
}

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes the packet's source address (4 or 16 bytes) into 32 bits. */
export function hashSourceAddress(p: Packet, seed: number): number {
  return hashAddress(p.ipVersion, p.src4, p.srcAddr, seed);
}

/** Hashes the packet's destination address (4 or 16 bytes) into 32 bits. */
export function hashDestinationAddress(p: Packet, seed: number): number {
  return hashAddress(p.ipVersion, p.dst4, p.dstAddr, seed);
}

/** Hashes an IPv4 address (as a number) or an IPv6 address (16 bytes) into 32 bits. */
export function hashAddress(ipVersion: number, addr4: number, addr: Uint8Array, seed: number): number {
  if (ipVersion !== 6) return mix32((addr4 ^ seed) >>> 0);
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < 16; i += 4) {
    const word = ((addr[i] << 24) | (addr[i + 1] << 16) | (addr[i + 2] << 8) | addr[i + 3]) >>> 0;
    h = mix32((h ^ word) >>> 0);
  }
  return h;
}

/**
 * Hashes a packet's flow so that both directions give the same value: the
 * two (address, port) endpoints are hashed apart and combined in sorted
 * order, then mixed with the IP protocol.
 */
export function hashFlowSymmetric(p: Packet, seed: number): number {
  const a = mix32((hashSourceAddress(p, seed) ^ Math.imul(p.srcPort + 1, 0x27d4eb2d)) >>> 0);
  const b = mix32((hashDestinationAddress(p, seed) ^ Math.imul(p.dstPort + 1, 0x27d4eb2d)) >>> 0);
  const low = a < b ? a : b;
  const high = a < b ? b : a;
  return mix32((Math.imul(low, 0x01000193) ^ high ^ (p.ipProto << 24)) >>> 0);
}

/**
 * Flow-hash 1:N sampling: keeps a packet when hashFlowSymmetric(p) mod N is
 * 0, so a flow is kept whole, in both directions, or not at all. The seed
 * varies which flows are kept between sensors that see the same traffic.
 */
export class FlowHashSampler {
  readonly rate: number;
  private readonly seed: number;

  constructor(rate: number, seed: number) {
    checkSampleRate(rate);
    this.rate = rate;
    this.seed = seed >>> 0;
  }

  /** Decides whether the packet's flow is in the sample. */
  isFlowSampled(p: Packet): boolean {
    if (this.rate === 1) return true;
    return hashFlowSymmetric(p, this.seed) % this.rate === 0;
  }
}
