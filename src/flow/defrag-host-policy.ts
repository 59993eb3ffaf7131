/**
 * The overlap policy of each destination host, from suricata.yaml's
 * `host-os-policy` section: policy names mapped to lists of addresses and
 * networks. The most specific network that contains an address decides,
 * as in Suricata's host OS table.
 */
import { DEFAULT_DEFRAG_POLICY, defragPolicyOfHostOs } from './overlap-policy.js';

interface NetworkEntry {
  /** 4 or 6. */
  version: number;
  /** Network address, 4 or 16 bytes used. */
  address: Uint8Array;
  prefixBits: number;
  policy: number;
}

/** Looks up the overlap policy of a destination address. */
export class HostPolicyTable {
  /** Entries sorted by prefix length, longest first, so the first match is the most specific. */
  private readonly entries: NetworkEntry[];
  /** Entries of the config that are not an address or network; they are skipped. */
  readonly invalidEntries: string[];

  /** Builds the table from host-os-policy (`{ windows: ['0.0.0.0/0'], linux: [...] }`). */
  constructor(hostOsPolicy: Readonly<Record<string, readonly string[]>>) {
    this.entries = [];
    this.invalidEntries = [];
    for (const [name, networks] of Object.entries(hostOsPolicy)) {
      const policy = defragPolicyOfHostOs(name);
      for (const text of networks) {
        const entry = parseNetwork(text, policy);
        if (entry === null) this.invalidEntries.push(`${name}: ${text}`);
        else this.entries.push(entry);
      }
    }
    this.entries.sort((a, b) => b.prefixBits - a.prefixBits);
  }

  /** Returns the policy for destination `address` (4 or 16 bytes used, by `version`). */
  policyOf(version: number, address: Uint8Array): number {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.version === version && isInNetwork(address, entry.address, entry.prefixBits)) return entry.policy;
    }
    return DEFAULT_DEFRAG_POLICY;
  }
}

/**
 * Returns one problem line per host-os-policy entry that is not an address
 * or network, with its key path and value.
 */
export function findInvalidHostOsEntries(hostOsPolicy: Readonly<Record<string, readonly string[]>>): string[] {
  const problems: string[] = [];
  for (const [name, networks] of Object.entries(hostOsPolicy)) {
    for (const text of networks) {
      if (parseNetwork(text, 0) !== null) continue;
      problems.push(`host-os-policy.${name}: '${text}' is not an IP address or network (expected a.b.c.d, a.b.c.d/n, an IPv6 address or ipv6/n)`);
    }
  }
  return problems;
}

function isInNetwork(address: Uint8Array, network: Uint8Array, prefixBits: number): boolean {
  let bits = prefixBits;
  for (let i = 0; bits > 0; i++) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i]! & mask) !== (network[i]! & mask)) return false;
    bits -= 8;
  }
  return true;
}

/** Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `ipv6/n`; null when invalid. */
export function parseNetwork(text: string, policy: number): NetworkEntry | null {
  const slash = text.indexOf('/');
  const addressText = (slash < 0 ? text : text.slice(0, slash)).trim();
  const isV6 = addressText.includes(':');
  const address = isV6 ? parseIpv6(addressText) : parseIpv4(addressText);
  if (address === null) return null;
  const maxBits = isV6 ? 128 : 32;
  let prefixBits = maxBits;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(prefixText)) return null;
    prefixBits = Number(prefixText);
    if (prefixBits > maxBits) return null;
  }
  return { version: isV6 ? 6 : 4, address, prefixBits, policy };
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    out[i] = Number(part);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  let tail: string[] = [];
  if (halves.length === 2 && halves[1] !== '') tail = halves[1]!.split(':');
  const groups = head.length + tail.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return null;
  const out = new Uint8Array(16);
  const put = (group: string, index: number): boolean => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
    const value = parseInt(group, 16);
    out[index * 2] = value >> 8;
    out[index * 2 + 1] = value & 0xff;
    return true;
  };
  for (let i = 0; i < head.length; i++) if (!put(head[i]!, i)) return null;
  for (let i = 0; i < tail.length; i++) if (!put(tail[i]!, 8 - tail.length + i)) return null;
  return out;
}
