/**
 * A set of IPv4 and IPv6 addresses and prefixes. Each prefix length in use
 * has its own open-addressing hash table of masked addresses (one 32-bit
 * word for IPv4, four for IPv6), and a lookup masks the address once per
 * length, longest first, without allocating.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** One prefix length of one family: the hash table of its masked addresses. */
class LengthTable {
  readonly length: number;
  readonly words: number;
  /** Entry number + 1 per slot, 0 when empty. */
  slots: Int32Array;
  keys: Uint32Array;
  count: number;

  constructor(length: number, words: number) {
    this.length = length;
    this.words = words;
    this.slots = new Int32Array(16);
    this.keys = new Uint32Array(16 * words);
    this.count = 0;
  }
}

/**
 * Hashes the words of a key. FNV over whole words leaves the low bits of
 * neighbouring addresses in neighbouring slots, which makes long probe runs
 * in a linear-probing table, so the result goes through MurmurHash3's
 * 32-bit finaliser to spread them.
 */
function hashWords(key: Uint32Array, words: number): number {
  let h = FNV_OFFSET;
  for (let w = 0; w < words; w++) h = Math.imul(h ^ (key[w] as number), FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Writes `address` (4 or 16 bytes from `offset`) cut to `length` bits into `out` as big-endian words. */
function maskInto(address: Uint8Array, offset: number, words: number, length: number, out: Uint32Array): void {
  for (let w = 0; w < words; w++) {
    const at = offset + w * 4;
    const word = (((address[at] as number) << 24) | ((address[at + 1] as number) << 16) | ((address[at + 2] as number) << 8) | (address[at + 3] as number)) >>> 0;
    const bits = length - w * 32;
    if (bits >= 32) out[w] = word;
    else if (bits <= 0) out[w] = 0;
    else out[w] = (word & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
  }
}

/** Addresses and prefixes of both families, matched by longest prefix first. */
export class PrefixSet {
  /** Tables by family (index 0 IPv4, 1 IPv6), longest prefix first. */
  private readonly tables: [LengthTable[], LengthTable[]];
  private readonly scratch: Uint32Array;
  size: number;

  constructor() {
    this.tables = [[], []];
    this.scratch = new Uint32Array(4);
    this.size = 0;
  }

  /**
   * Adds `address` (4 or 16 bytes) cut to `length` bits with entry number
   * `entry`. Returns false when the prefix was already in the set.
   */
  add(address: Uint8Array, length: number, entry: number): boolean {
    const words = address.length === 4 ? 1 : 4;
    const tables = this.tables[words === 1 ? 0 : 1];
    let table = tables.find((t) => t.length === length);
    if (table === undefined) {
      table = new LengthTable(length, words);
      tables.push(table);
      tables.sort((a, b) => b.length - a.length);
    }
    const key = this.scratch;
    maskInto(address, 0, words, length, key);
    if (this.findIn(table, key) >= 0) return false;
    if ((table.count + 1) * 2 > table.slots.length) this.grow(table);
    this.insert(table, key, entry);
    table.count++;
    this.size++;
    return true;
  }

  /** Returns the entry of the longest prefix that contains the address at `address[offset]` of `family` (4 or 6), or -1. */
  lookup(family: number, address: Uint8Array, offset: number): number {
    const tables = this.tables[family === 4 ? 0 : 1];
    const words = family === 4 ? 1 : 4;
    const key = this.scratch;
    for (let t = 0; t < tables.length; t++) {
      const table = tables[t] as LengthTable;
      maskInto(address, offset, words, table.length, key);
      const entry = this.findIn(table, key);
      if (entry >= 0) return entry;
    }
    return -1;
  }

  private findIn(table: LengthTable, key: Uint32Array): number {
    const words = table.words;
    const mask = table.slots.length - 1;
    let slot = hashWords(key, words) & mask;
    for (;;) {
      const value = table.slots[slot] as number;
      if (value === 0) return -1;
      let same = true;
      for (let w = 0; w < words && same; w++) same = table.keys[slot * words + w] === key[w];
      if (same) return value - 1;
      slot = (slot + 1) & mask;
    }
  }

  private insert(table: LengthTable, key: Uint32Array, entry: number): void {
    const words = table.words;
    const mask = table.slots.length - 1;
    let slot = hashWords(key, words) & mask;
    while (table.slots[slot] !== 0) slot = (slot + 1) & mask;
    table.slots[slot] = entry + 1;
    for (let w = 0; w < words; w++) table.keys[slot * words + w] = key[w] as number;
  }

  private grow(table: LengthTable): void {
    const oldSlots = table.slots;
    const oldKeys = table.keys;
    const words = table.words;
    table.slots = new Int32Array(oldSlots.length * 2);
    table.keys = new Uint32Array(oldSlots.length * 2 * words);
    const key = new Uint32Array(words);
    for (let s = 0; s < oldSlots.length; s++) {
      if (oldSlots[s] === 0) continue;
      for (let w = 0; w < words; w++) key[w] = oldKeys[s * words + w] as number;
      this.insert(table, key, (oldSlots[s] as number) - 1);
    }
  }
}
