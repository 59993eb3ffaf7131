/**
 * The worker a packet goes to: a hash of its outermost IP address pair
 * that is the same in both directions. All packets of a flow, all
 * fragments of a datagram and every flow inside a tunnel share that pair,
 * so each of them is handled whole by one worker. Frames without IP (ARP,
 * other link types) go to worker 0.
 */

const LINK_NULL = 0;
const LINK_ETHERNET = 1;
const LINK_RAW_DLT12 = 12;
const LINK_RAW_DLT14 = 14;
const LINK_RAW = 101;
const LINK_LOOP = 108;
const LINK_SLL = 113;
const LINK_IPV4 = 228;
const LINK_IPV6 = 229;
const LINK_SLL2 = 276;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;

/** VLAN tags looked through before the IP header. */
const MAX_VLAN_TAGS = 4;

function readU16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function mix(h: number, word: number): number {
  h = Math.imul(h ^ word, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  return Math.imul(h, 0x1b873593);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes `words` 32-bit words from `at`; the seed keeps IPv4 and IPv6 apart. */
function hashAddress(b: Uint8Array, at: number, words: number, seed: number): number {
  let h = seed;
  for (let i = 0; i < words; i++) h = mix(h, readU32(b, at + i * 4));
  return finish(h);
}

/** Offset of the IP header in a frame of `linkType`, or -1 when it carries no IP. */
function ipOffset(b: Uint8Array, linkType: number): number {
  const length = b.length;
  switch (linkType) {
    case LINK_ETHERNET: {
      let at = 12;
      for (let tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
        if (at + 2 > length) return -1;
        const type = readU16(b, at);
        if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return at + 2;
        if (type !== ETHERTYPE_VLAN && type !== ETHERTYPE_QINQ && type !== ETHERTYPE_QINQ_OLD) return -1;
        at += 4;
      }
      return -1;
    }
    case LINK_RAW:
    case LINK_RAW_DLT12:
    case LINK_RAW_DLT14:
    case LINK_IPV4:
    case LINK_IPV6:
      return 0;
    case LINK_NULL:
    case LINK_LOOP:
      return 4;
    case LINK_SLL:
      return 16;
    case LINK_SLL2:
      return 20;
    default:
      return -1;
  }
}

/**
 * Returns the symmetric address-pair hash of a frame: equal for both
 * directions of a pair, 0 for a frame without a readable IP header.
 */
export function addressPairHash(b: Uint8Array, linkType: number): number {
  const at = ipOffset(b, linkType);
  if (at < 0 || at >= b.length) return 0;
  const version = b[at]! >>> 4;
  if (version === 4) {
    if (at + 20 > b.length) return 0;
    return finish(hashAddress(b, at + 12, 1, 4) ^ hashAddress(b, at + 16, 1, 4));
  }
  if (version === 6) {
    if (at + 40 > b.length) return 0;
    return finish(hashAddress(b, at + 8, 4, 6) ^ hashAddress(b, at + 24, 4, 6));
  }
  return 0;
}

/** Returns the worker (0 to `workers` - 1) of a frame. */
export function workerOf(b: Uint8Array, linkType: number, workers: number): number {
  return workers <= 1 ? 0 : addressPairHash(b, linkType) % workers;
}
