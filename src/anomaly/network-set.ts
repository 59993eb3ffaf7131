/**
 * A set of IPv4 and IPv6 networks (HOME_NET, a host group) that answers
 * "does this packet's source or destination belong here?" with word
 * compares over typed arrays, without allocation.
 */
import type { Packet } from '../core/packet.js';
import { parseNetwork } from '../flow/defrag-host-policy.js';

/** A set of networks, as CIDR text (`198.51.100.0/24`, `2001:db8::/32`, or a single address). */
export class NetworkSet {
  /** IPv4 networks: the network and mask of entry i at 2i and 2i + 1. */
  private readonly ipv4: Uint32Array;
  private readonly ipv4Count: number;
  /** IPv6 networks: four network words then four mask words per entry. */
  private readonly ipv6: Uint32Array;
  private readonly ipv6Count: number;
  /** The networks as given, for messages. */
  readonly networks: readonly string[];

  /** Parses the networks; throws a RangeError that lists every entry that is not an address or network. */
  constructor(networks: readonly string[]) {
    const v4: number[] = [];
    const v6: number[] = [];
    const invalid: string[] = [];
    for (const text of networks) {
      const entry = parseNetwork(text, 0);
      if (entry === null) {
        invalid.push(`'${text}'`);
        continue;
      }
      const usedWords = entry.version === 4 ? 1 : 4;
      const target = entry.version === 4 ? v4 : v6;
      const networkWords: number[] = [];
      const maskWords: number[] = [];
      for (let w = 0; w < usedWords; w++) {
        const bitsLeft = entry.prefixBits - w * 32;
        const mask = bitsLeft >= 32 ? 0xffffffff : bitsLeft <= 0 ? 0 : (0xffffffff << (32 - bitsLeft)) >>> 0;
        const a = entry.address;
        const word = ((a[w * 4] << 24) | (a[w * 4 + 1] << 16) | (a[w * 4 + 2] << 8) | a[w * 4 + 3]) >>> 0;
        networkWords.push((word & mask) >>> 0);
        maskWords.push(mask);
      }
      if (entry.version === 4) target.push(networkWords[0], maskWords[0]);
      else target.push(...networkWords, ...maskWords);
    }
    if (invalid.length > 0) {
      throw new RangeError(`invalid networks ${invalid.join(', ')} (expected a.b.c.d, a.b.c.d/n, an IPv6 address or ipv6/n)`);
    }
    this.ipv4 = Uint32Array.from(v4);
    this.ipv4Count = v4.length / 2;
    this.ipv6 = Uint32Array.from(v6);
    this.ipv6Count = v6.length / 8;
    this.networks = networks.slice();
  }

  /** Tells whether the set holds no network at all. */
  isEmpty(): boolean {
    return this.ipv4Count === 0 && this.ipv6Count === 0;
  }

  /** Tells whether an address (IPv4 as a number, IPv6 as 16 bytes) is in one of the networks. */
  contains(ipVersion: number, addr4: number, addr: Uint8Array): boolean {
    if (ipVersion === 4) {
      for (let i = 0; i < this.ipv4Count; i++) {
        if (((addr4 & this.ipv4[2 * i + 1]) >>> 0) === this.ipv4[2 * i]) return true;
      }
      return false;
    }
    if (ipVersion !== 6) return false;
    for (let i = 0; i < this.ipv6Count; i++) {
      if (matchesIpv6(this.ipv6, i * 8, addr)) return true;
    }
    return false;
  }

  /** Tells whether the packet's source address is in the set. */
  containsSource(p: Packet): boolean {
    return this.contains(p.ipVersion, p.src4, p.srcAddr);
  }

  /** Tells whether the packet's destination address is in the set. */
  containsDestination(p: Packet): boolean {
    return this.contains(p.ipVersion, p.dst4, p.dstAddr);
  }
}

function matchesIpv6(table: Uint32Array, at: number, addr: Uint8Array): boolean {
  for (let w = 0; w < 4; w++) {
    const word = ((addr[w * 4] << 24) | (addr[w * 4 + 1] << 16) | (addr[w * 4 + 2] << 8) | addr[w * 4 + 3]) >>> 0;
    if (((word & table[at + 4 + w]) >>> 0) !== table[at + w]) return false;
  }
  return true;
}
