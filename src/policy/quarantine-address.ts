/**
 * Addresses and prefixes that the quarantine works on: parsed strictly,
 * stored in one canonical text form (the form nft prints back), and
 * compared as bytes. Text that reaches the nft command always comes from
 * `formatPrefix`, never from the user's input as given.
 */

/** An IPv4 or IPv6 address with a prefix length (32 or 128 for one host). */
export interface AddressPrefix {
  /** 4 or 6. */
  family: 4 | 6;
  /** 4 or 16 bytes, host bits zero. */
  bytes: Uint8Array;
  prefixLength: number;
}

/** The result of parsePrefix: the prefix, or a message that names the value and what is expected. */
export type ParsedPrefix = { ok: true; prefix: AddressPrefix } | { ok: false; message: string };

const EXPECTED = 'expected ADDR or ADDR/LEN, such as 198.51.100.7, 198.51.100.0/24 or 2001:db8:1::/64';
const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const IPV6_TEXT = /^[0-9a-fA-F:.]+$/;
const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;

/** Parses dotted-quad IPv4 text into 4 bytes, or returns null. Leading zeros are refused, as octal readers would misread them. */
function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!IPV4_PART.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

/** Parses IPv6 text (RFC 4291 section 2.2, including `::` and a trailing dotted IPv4) into 16 bytes, or returns null. */
function parseIpv6(text: string): Uint8Array | null {
  if (!IPV6_TEXT.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): string[] | null => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === null || tail === null) return null;

  const words: number[] = [];
  const all = [...head, ...(halves.length === 2 ? ['::'] : []), ...tail];
  for (let i = 0; i < all.length; i++) {
    const group = all[i] as string;
    if (group === '::') {
      words.push(-1);
      continue;
    }
    // A dotted IPv4 address may only end the text.
    if (group.includes('.')) {
      if (i !== all.length - 1) return null;
      const v4 = parseIpv4(group);
      if (v4 === null) return null;
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    words.push(parseInt(group, 16));
  }

  const gap = words.indexOf(-1);
  const explicit = gap >= 0 ? words.length - 1 : words.length;
  // `::` stands for at least one zero group.
  if (gap >= 0 ? explicit > 7 : explicit !== 8) return null;
  const full = gap >= 0 ? [...words.slice(0, gap), ...new Array<number>(8 - explicit).fill(0), ...words.slice(gap + 1)] : words;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (full[i] as number) >> 8;
    out[i * 2 + 1] = (full[i] as number) & 0xff;
  }
  return out;
}

/** Returns true when the bits of `bytes` past `prefixLength` are all zero. */
function hasZeroHostBits(bytes: Uint8Array, prefixLength: number): boolean {
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

/** Returns a copy of `bytes` with the bits past `prefixLength` cleared. */
function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let bit = prefixLength; bit < out.length * 8; bit++) out[bit >> 3] = (out[bit >> 3] as number) & ~(0x80 >> (bit & 7));
  return out;
}

/**
 * Parses `ADDR` or `ADDR/LEN` (IPv4 or IPv6). A prefix with host bits set
 * (198.51.100.7/24), a length of 0 (every address) and the unspecified
 * address are refused, each with the value and the fix.
 */
export function parsePrefix(input: string): ParsedPrefix {
  const text = input.trim();
  const slash = text.indexOf('/');
  const addressText = slash >= 0 ? text.slice(0, slash) : text;
  const lengthText = slash >= 0 ? text.slice(slash + 1) : null;

  const v4 = parseIpv4(addressText);
  const bytes = v4 ?? parseIpv6(addressText);
  if (bytes === null) return { ok: false, message: `'${input}' is not an IPv4 or IPv6 address (${EXPECTED})` };
  const family: 4 | 6 = v4 !== null ? 4 : 6;
  const maxLength = family === 4 ? 32 : 128;

  let prefixLength = maxLength;
  if (lengthText !== null) {
    if (!PREFIX_LENGTH.test(lengthText) || Number(lengthText) > maxLength) {
      return { ok: false, message: `'${input}': prefix length '${lengthText}' is invalid (expected 1 to ${maxLength} for IPv${family})` };
    }
    prefixLength = Number(lengthText);
  }
  if (prefixLength === 0) {
    return { ok: false, message: `'${input}' covers every IPv${family} address; give a host or a longer prefix` };
  }
  if (!hasZeroHostBits(bytes, prefixLength)) {
    const network = formatPrefix({ family, bytes: maskBytes(bytes, prefixLength), prefixLength });
    return { ok: false, message: `'${input}' has host bits set after /${prefixLength}; give the network ${network}, or the host without /${prefixLength}` };
  }
  if (bytes.every((b) => b === 0)) {
    return { ok: false, message: `'${input}' is the unspecified address, which no host uses; give a host address` };
  }
  return { ok: true, prefix: { family, bytes, prefixLength } };
}

/** Formats IPv6 bytes in RFC 5952 form: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
function formatIpv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((bytes[i * 2] as number) << 8) | (bytes[i * 2 + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => words.slice(from, to).map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return hex(0, bestStart) + '::' + hex(bestStart + bestLength, 8);
}

/** Formats an address without its prefix length. */
export function formatAddress(family: 4 | 6, bytes: Uint8Array): string {
  return family === 4 ? Array.from(bytes.subarray(0, 4)).join('.') : formatIpv6(bytes);
}

/** Formats a prefix canonically: the address alone for one host, else `ADDR/LEN`. */
export function formatPrefix(prefix: AddressPrefix): string {
  const address = formatAddress(prefix.family, prefix.bytes);
  const hostLength = prefix.family === 4 ? 32 : 128;
  return prefix.prefixLength === hostLength ? address : `${address}/${prefix.prefixLength}`;
}

/** Returns true when `address` (4 or 16 bytes of `family`) lies inside `prefix`. */
export function prefixContains(prefix: AddressPrefix, family: number, address: Uint8Array): boolean {
  if (prefix.family !== family) return false;
  const full = prefix.prefixLength >> 3;
  for (let i = 0; i < full; i++) if (prefix.bytes[i] !== address[i]) return false;
  const rest = prefix.prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((prefix.bytes[full] as number) & mask) === ((address[full] as number) & mask);
}

/** Returns true when the two prefixes share at least one address, so one contains the other. */
export function prefixesOverlap(a: AddressPrefix, b: AddressPrefix): boolean {
  if (a.family !== b.family) return false;
  const shorter = a.prefixLength <= b.prefixLength ? a : b;
  const longer = shorter === a ? b : a;
  return prefixContains(shorter, longer.family, longer.bytes);
}

/** A set of prefixes, such as the never-block list, with lookups of the entry that an address or prefix overlaps. */
export class PrefixList {
  readonly prefixes: readonly AddressPrefix[];

  constructor(prefixes: readonly AddressPrefix[]) {
    this.prefixes = prefixes;
  }

  /** Returns the first listed prefix that overlaps `prefix`, or null. */
  findOverlap(prefix: AddressPrefix): AddressPrefix | null {
    for (const entry of this.prefixes) if (prefixesOverlap(entry, prefix)) return entry;
    return null;
  }

  /** Returns true when `address` (4 or 16 bytes) is in a listed prefix. */
  contains(family: number, address: Uint8Array): boolean {
    for (const entry of this.prefixes) if (prefixContains(entry, family, address)) return true;
    return false;
  }
}
