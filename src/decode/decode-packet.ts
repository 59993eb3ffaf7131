/**
 * The decode stage's entry: fills a Packet's layer fields from its bytes
 * and link type, and runs the `auto` checksum sampling.
 */
import { enterOrderGate } from '../core/order-gate.js';
import { ChecksumState, LinkType, type Packet } from '../core/packet.js';
import { CHECKSUM_INVALID_RATIO, CHECKSUM_SAMPLE_PACKETS, DecodeStat, type DecodeContext } from './context.js';
import { decodeChdlc, decodeEthernet, decodeIeee80211, decodeNull, decodeRadiotap, decodeRaw, decodeSll, decodeSll2 } from './link.js';

/** DLT_RAW as some systems write it in pcap headers instead of LINKTYPE_RAW (101). */
const DLT_RAW_BSD = 12;
const DLT_RAW_OPENBSD = 14;
/** LINKTYPE_C_HDLC: Cisco HDLC. */
const LINKTYPE_C_HDLC = 104;

/**
 * Decodes `p` (after `p.reset`) by its link type and counts it in `ctx`.
 * Malformed input becomes decoder events on the packet and `p.isInvalid`
 * instead of an exception; the random-frame and malformed-corpus tests
 * check this.
 */
export function decodePacket(p: Packet, ctx: DecodeContext): void {
  const counters = ctx.counters;
  const length = p.captureLength;
  counters[DecodeStat.PKTS]++;
  counters[DecodeStat.BYTES] += length;
  if (length > counters[DecodeStat.MAX_PKT_SIZE]) counters[DecodeStat.MAX_PKT_SIZE] = length;
  ctx.layerCount = 0;
  ctx.hasInvalidChecksum = false;
  if (p.isChecksumOffloaded) {
    decodeOffloadedPacket(p, ctx);
    return;
  }

  if (ctx.isChecksumSampling && ctx.sharedChecksumSample !== null) {
    decodeWithSharedSample(p, ctx, ctx.sharedChecksumSample);
    return;
  }
  decodeLink(p, ctx);
  if (ctx.isChecksumSampling) sampleChecksums(ctx);
}

/**
 * `auto` mode in a worker thread: a frame among the input's first
 * CHECKSUM_SAMPLE_PACKETS adds to the shared sample. The first later frame
 * waits (order gate) until every sampled frame is decoded, then takes the
 * decision from the whole sample, as one thread would.
 */
function decodeWithSharedSample(p: Packet, ctx: DecodeContext, shared: Int32Array): void {
  if (ctx.frameSeq > CHECKSUM_SAMPLE_PACKETS) {
    enterOrderGate();
    ctx.checksumSamplePackets = Atomics.load(shared, 0);
    ctx.checksumSampleInvalid = Atomics.load(shared, 1);
    ctx.isChecksumSampling = false;
    if (ctx.checksumSampleInvalid * CHECKSUM_INVALID_RATIO > ctx.checksumSamplePackets) ctx.isChecksumValidationOn = false;
    decodeLink(p, ctx);
    return;
  }
  decodeLink(p, ctx);
  Atomics.add(shared, 0, 1);
  if (ctx.hasInvalidChecksum) Atomics.add(shared, 1, 1);
}

/**
 * Decodes a packet whose checksums the kernel has not computed yet, as
 * NFQUEUE reports for offloaded and GSO packets: its checksum fields hold
 * partial sums, so they count as valid and stay out of the `auto` sample.
 */
function decodeOffloadedPacket(p: Packet, ctx: DecodeContext): void {
  const isValidationOn = ctx.isChecksumValidationOn;
  ctx.isChecksumValidationOn = false;
  decodeLink(p, ctx);
  ctx.isChecksumValidationOn = isValidationOn;
  if (p.ipVersion === 4) p.ipChecksum = ChecksumState.VALID;
  if (p.l4Offset >= 0) p.l4Checksum = ChecksumState.VALID;
}

/** Dispatches on the link type and counts invalid packets. */
function decodeLink(p: Packet, ctx: DecodeContext): void {
  const counters = ctx.counters;
  const length = p.captureLength;
  switch (p.linkType) {
    case LinkType.ETHERNET:
      decodeEthernet(p, ctx, 0, length);
      break;
    case LinkType.RAW:
    case DLT_RAW_BSD:
    case DLT_RAW_OPENBSD:
      decodeRaw(p, ctx, 0, length, 0);
      break;
    case LinkType.IPV4:
      decodeRaw(p, ctx, 0, length, 4);
      break;
    case LinkType.IPV6:
      decodeRaw(p, ctx, 0, length, 6);
      break;
    case LinkType.LINUX_SLL:
      decodeSll(p, ctx, 0, length);
      break;
    case LinkType.LINUX_SLL2:
      decodeSll2(p, ctx, 0, length);
      break;
    case LinkType.NULL:
      decodeNull(p, ctx, 0, length, false);
      break;
    case LinkType.LOOP:
      decodeNull(p, ctx, 0, length, true);
      break;
    case LINKTYPE_C_HDLC:
      decodeChdlc(p, ctx, 0, length);
      break;
    case LinkType.IEEE802_11:
      decodeIeee80211(p, ctx, 0);
      break;
    case LinkType.IEEE802_11_RADIOTAP:
      decodeRadiotap(p, ctx, 0, length);
      break;
    default:
      counters[DecodeStat.UNKNOWN_LINKTYPE]++;
      p.isInvalid = true;
  }

  if (p.isInvalid) counters[DecodeStat.INVALID]++;
}

/**
 * `auto` mode: after CHECKSUM_SAMPLE_PACKETS packets, stops validation when
 * more than 1 in CHECKSUM_INVALID_RATIO had an invalid checksum. Packets
 * decoded before the decision keep their checksum states.
 */
function sampleChecksums(ctx: DecodeContext): void {
  ctx.checksumSamplePackets++;
  if (ctx.hasInvalidChecksum) ctx.checksumSampleInvalid++;
  if (ctx.checksumSamplePackets < CHECKSUM_SAMPLE_PACKETS) return;
  ctx.isChecksumSampling = false;
  if (ctx.checksumSampleInvalid * CHECKSUM_INVALID_RATIO > ctx.checksumSamplePackets) {
    ctx.isChecksumValidationOn = false;
  }
}
