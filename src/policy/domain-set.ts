/**
 * A set of domain names that matches a name by suffix on label boundaries.
 * The names sit in one byte array with an open-addressing hash table over
 * them. A lookup walks the queried name from its last byte to its first,
 * updating one hash, and probes the table at each label boundary, so
 * `www.ads.example` is checked as `example`, `ads.example` and then
 * `www.ads.example`. It allocates nothing per lookup.
 *
 * Names are stored and queried in lower-case ASCII without a trailing dot.
 * Internationalised names are stored in their punycode form (xn--),
 * as they appear in DNS queries, SNI and Host headers.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const DOT = 0x2e;

/** Returns the hash of `bytes[start, end)` read from the last byte to the first. */
function suffixHash(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = end - 1; i >= start; i--) h = Math.imul(h ^ (bytes[i] as number), FNV_PRIME) >>> 0;
  return h;
}

/**
 * Returns the table slot of hash `h`: MurmurHash3's 32-bit finaliser
 * first, because the low bits of FNV alone cluster similar names in a
 * linear-probing table.
 */
function slotOf(h: number, mask: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x & mask;
}

/** Smallest power of two that is at least `n`. */
function powerOfTwoAtLeast(n: number): number {
  let size = 16;
  while (size < n) size *= 2;
  return size;
}

/** Builds a DomainSet: add names, then `build`. */
export class DomainSetBuilder {
  private readonly names: string[] = [];
  private readonly subdomains: boolean[] = [];
  private readonly index = new Map<string, number>();

  /**
   * Adds `name` (lower-case ASCII, no trailing dot); with `subdomains`, it
   * also matches every name below it. Returns the entry number; a name
   * added twice keeps its first number, and matches subdomains when
   * either addition asked for it.
   */
  add(name: string, subdomains: boolean): number {
    const known = this.index.get(name);
    if (known !== undefined) {
      if (subdomains) this.subdomains[known] = true;
      return known;
    }
    const entry = this.names.length;
    this.names.push(name);
    this.subdomains.push(subdomains);
    this.index.set(name, entry);
    return entry;
  }

  get size(): number {
    return this.names.length;
  }

  build(): DomainSet {
    return new DomainSet(this.names, this.subdomains);
  }
}

/** Domain names matched exactly or by suffix; see the file comment. */
export class DomainSet {
  readonly size: number;
  /** All names, one after another. */
  private readonly bytes: Uint8Array;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  /** 1 when the entry matches its subdomains too. */
  private readonly subdomains: Uint8Array;
  /** Hash table slots: entry number + 1, or 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly slotHashes: Uint32Array;
  private readonly mask: number;
  // Cursor of the walk that `first` starts and `next` continues.
  private name: Uint8Array;
  private nameStart: number;
  private nameEnd: number;
  /** Start of the last suffix checked, where the walk goes on. */
  private position: number;
  private hash: number;

  constructor(names: readonly string[], subdomains: readonly boolean[]) {
    this.size = names.length;
    let total = 0;
    for (const name of names) total += name.length;
    this.bytes = new Uint8Array(total);
    this.starts = new Int32Array(names.length);
    this.lengths = new Int32Array(names.length);
    this.subdomains = new Uint8Array(names.length);
    let at = 0;
    for (let e = 0; e < names.length; e++) {
      const name = names[e] as string;
      this.starts[e] = at;
      this.lengths[e] = name.length;
      for (let i = 0; i < name.length; i++) this.bytes[at + i] = name.charCodeAt(i) & 0xff;
      at += name.length;
      this.subdomains[e] = subdomains[e] === true ? 1 : 0;
    }
    const capacity = powerOfTwoAtLeast(names.length * 2);
    this.slots = new Int32Array(capacity);
    this.slotHashes = new Uint32Array(capacity);
    this.mask = capacity - 1;
    for (let e = 0; e < names.length; e++) {
      const start = this.starts[e] as number;
      const h = suffixHash(this.bytes, start, start + (this.lengths[e] as number));
      let slot = slotOf(h, this.mask);
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = e + 1;
      this.slotHashes[slot] = h;
    }
    this.name = this.bytes;
    this.nameStart = 0;
    this.nameEnd = 0;
    this.position = 0;
    this.hash = FNV_OFFSET;
  }

  /**
   * Returns the entry that matches the broadest suffix of `name[start, end)`
   * (lower case, no trailing dot), or -1. `next` then returns the entries
   * of the longer suffixes, so a caller that needs more than the name (a
   * URL path) can go on.
   */
  first(name: Uint8Array, start: number, end: number): number {
    this.name = name;
    this.nameStart = start;
    this.nameEnd = end;
    this.position = end;
    this.hash = FNV_OFFSET;
    return this.next();
  }

  /** Returns the next matching entry of the walk `first` started, or -1. */
  next(): number {
    const name = this.name;
    const start = this.nameStart;
    const end = this.position;
    let h = this.hash;
    for (let i = end - 1; i >= start; i--) {
      const byte = name[i] as number;
      h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
      if (byte === DOT) continue;
      const isWhole = i === start;
      if (!isWhole && name[i - 1] !== DOT) continue;
      const entry = this.find(h, name, i, this.nameEnd - i);
      if (entry >= 0 && (isWhole || this.subdomains[entry] === 1)) {
        this.position = i;
        this.hash = h;
        return entry;
      }
    }
    this.position = start;
    return -1;
  }

  private find(h: number, name: Uint8Array, at: number, length: number): number {
    const mask = this.mask;
    let slot = slotOf(h, mask);
    for (;;) {
      const value = this.slots[slot] as number;
      if (value === 0) return -1;
      if (this.slotHashes[slot] === h) {
        const entry = value - 1;
        if (this.lengths[entry] === length && this.equalsAt(entry, name, at)) return entry;
      }
      slot = (slot + 1) & mask;
    }
  }

  private equalsAt(entry: number, name: Uint8Array, at: number): boolean {
    const bytes = this.bytes;
    const start = this.starts[entry] as number;
    const length = this.lengths[entry] as number;
    for (let k = 0; k < length; k++) if (bytes[start + k] !== name[at + k]) return false;
    return true;
  }

  /** Returns entry `entry`'s name. */
  nameOf(entry: number): string {
    const start = this.starts[entry] as number;
    let out = '';
    for (let k = 0; k < (this.lengths[entry] as number); k++) out += String.fromCharCode(this.bytes[start + k] as number);
    return out;
  }

  /** Tells whether entry `entry` matches subdomains. */
  matchesSubdomains(entry: number): boolean {
    return this.subdomains[entry] === 1;
  }
}
