/**
 * Overlap policies of TCP reassembly. When a segment overlaps data that an
 * earlier segment already supplied, operating systems disagree on which
 * bytes the application receives. An IDS must pick the bytes the target
 * host will see, so Suricata applies the policy of the destination host,
 * chosen per network in `host-os-policy` (default bsd).
 *
 * The decision is made per pair of overlapping segments from how the new
 * segment lies against the old one, as Suricata 8 decides it:
 *
 * | new segment vs old        | new data wins for                        |
 * |---------------------------|------------------------------------------|
 * | same start, ends earlier  | last                                     |
 * | same start, same end      | last, old-linux, solaris, hpux11         |
 * | same start, ends later    | last, old-linux, solaris, hpux11, linux  |
 * | starts earlier, ends earlier | last and the bsd family (below)       |
 * | starts earlier, ends at or after old end | last, bsd family, solaris, hpux11 |
 * | starts later, ends at or before old end | last                       |
 * | starts later, ends later  | last, solaris, hpux11                    |
 *
 * The bsd family is bsd, bsd-right, hpux10, irix, windows, windows2k3,
 * old-linux, linux and macos. `first`, `vista` and old-solaris keep the old
 * data in every case.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Overlap policy ids. */
export const OsPolicy = {
  FIRST: 0,
  LAST: 1,
  BSD: 2,
  BSD_RIGHT: 3,
  OLD_LINUX: 4,
  LINUX: 5,
  OLD_SOLARIS: 6,
  SOLARIS: 7,
  HPUX10: 8,
  HPUX11: 9,
  IRIX: 10,
  MACOS: 11,
  WINDOWS: 12,
  VISTA: 13,
  WINDOWS2K3: 14,
} as const;

/** Policy names as host-os-policy writes them, by OsPolicy id. */
export const OS_POLICY_NAMES: readonly string[] = [
  'first',
  'last',
  'bsd',
  'bsd-right',
  'old-linux',
  'linux',
  'old-solaris',
  'solaris',
  'hpux10',
  'hpux11',
  'irix',
  'macos',
  'windows',
  'vista',
  'windows2k3',
];

/** Policy of hosts that no host-os-policy network covers, as in Suricata. */
export const DEFAULT_OS_POLICY = OsPolicy.BSD;

/** Returns the OsPolicy id of `name`, or -1 when unknown. */
export function osPolicyId(name: string): number {
  return OS_POLICY_NAMES.indexOf(name.toLowerCase());
}

/** True for policies that take new data when the new segment starts before the old one. */
function isBsdFamily(policy: number): boolean {
  switch (policy) {
    case OsPolicy.BSD:
    case OsPolicy.BSD_RIGHT:
    case OsPolicy.HPUX10:
    case OsPolicy.IRIX:
    case OsPolicy.WINDOWS:
    case OsPolicy.WINDOWS2K3:
    case OsPolicy.OLD_LINUX:
    case OsPolicy.LINUX:
    case OsPolicy.MACOS:
      return true;
    default:
      return false;
  }
}

/**
 * Decides whether the new segment [newStart, newEnd) replaces the bytes of
 * the old segment [oldStart, oldEnd) where the two overlap, under `policy`.
 * Offsets are stream offsets (no wrap-around).
 */
export function isNewDataPreferred(policy: number, newStart: number, newEnd: number, oldStart: number, oldEnd: number): boolean {
  if (policy === OsPolicy.LAST) return true;
  const isSolarisLike = policy === OsPolicy.SOLARIS || policy === OsPolicy.HPUX11;
  if (newStart === oldStart) {
    if (newEnd < oldEnd) return false;
    if (isSolarisLike || policy === OsPolicy.OLD_LINUX) return true;
    return newEnd > oldEnd && policy === OsPolicy.LINUX;
  }
  if (newStart < oldStart) {
    if (isBsdFamily(policy)) return true;
    return isSolarisLike && newEnd >= oldEnd;
  }
  return isSolarisLike && newEnd > oldEnd;
}

/** One network of host-os-policy: address bits and prefix length. */
interface PolicyNetwork {
  ipVersion: number;
  /** Address as a bigint (32 or 128 bits). */
  address: bigint;
  prefix: number;
  policy: number;
}

/**
 * The overlap policy of each destination, from host-os-policy: the policy
 * of the longest prefix that contains the address, else DEFAULT_OS_POLICY.
 * Looked up once per TCP session, not per packet.
 */
export class HostOsPolicyTable {
  private readonly networks: PolicyNetwork[];

  constructor() {
    this.networks = [];
  }

  /**
   * Builds the table from host-os-policy (policy name to networks). Returns
   * the table and one message for each name or network it cannot read.
   */
  static fromConfig(config: Readonly<Record<string, readonly string[]>>): { table: HostOsPolicyTable; errors: string[] } {
    const table = new HostOsPolicyTable();
    const errors: string[] = [];
    for (const [name, networks] of Object.entries(config)) {
      const policy = osPolicyId(name);
      if (policy < 0) {
        errors.push(`host-os-policy: unknown policy '${name}' (expected one of ${OS_POLICY_NAMES.join(', ')})`);
        continue;
      }
      for (const network of networks) {
        const problem = table.add(network, policy);
        if (problem !== null) errors.push(`host-os-policy.${name}: ${problem}`);
      }
    }
    return { table, errors };
  }

  /** Adds a network (`a.b.c.d/n`, an IPv6 prefix, or one address); returns the problem or null. */
  add(network: string, policy: number): string | null {
    const slash = network.indexOf('/');
    const addressText = (slash < 0 ? network : network.slice(0, slash)).trim();
    const isV6 = addressText.includes(':');
    const address = parseAddress(addressText);
    const bits = isV6 ? 128 : 32;
    if (address === null) return `'${network}' is not an IP address or network`;
    const prefix = slash < 0 ? bits : Number(network.slice(slash + 1));
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
      return `'${network}' has an invalid prefix length (expected 0 to ${bits})`;
    }
    this.networks.push({ ipVersion: isV6 ? 6 : 4, address: maskBits(address, prefix, bits), prefix, policy });
    // Longest prefix first, so the first containing network wins.
    this.networks.sort((a, b) => b.prefix - a.prefix);
    return null;
  }

  /** Returns the policy for destination `addr` (4 or 16 bytes used by `ipVersion`). */
  lookup(ipVersion: number, addr: Uint8Array): number {
    if (this.networks.length === 0) return DEFAULT_OS_POLICY;
    const bits = ipVersion === 6 ? 128 : 32;
    let value = 0n;
    for (let i = 0; i < bits / 8; i++) value = (value << 8n) | BigInt(addr[i] as number);
    for (const n of this.networks) {
      if (n.ipVersion !== ipVersion) continue;
      if (maskBits(value, n.prefix, bits) === n.address) return n.policy;
    }
    return DEFAULT_OS_POLICY;
  }
}

/** Parses an IPv4 or IPv6 address into a bigint, or returns null. */
function parseAddress(text: string): bigint | null {
  if (isIPv4(text)) {
    let value = 0n;
    for (const part of text.split('.')) value = (value << 8n) | BigInt(Number(part));
    return value;
  }
  if (!isIPv6(text) || text.includes('.')) return null;
  const halves = text.split('::');
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length > 1 && halves[1] !== '' ? halves[1].split(':') : [];
  const groups = halves.length > 1 ? [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(parseInt(group, 16));
  return value;
}

function maskBits(value: bigint, prefix: number, bits: number): bigint {
  if (prefix === 0) return 0n;
  const shift = BigInt(bits - prefix);
  return (value >> shift) << shift;
}
