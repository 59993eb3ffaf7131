/**
 * State kept per host address and per address pair, for hostbits, xbits
 * and later for per-host counters (thresholds, anomaly detectors). Two
 * bounded tables: `host` keyed by one IPv4 or IPv6 address, and `ippair`
 * keyed by the unordered pair of source and destination address, as
 * Suricata's host and ippair tables are.
 *
 * Layout: a bucket array of entry indexes chained through `chainNext`, the
 * key words of each entry in one Uint32Array, a least-recently-used list
 * through `lruPrev`/`lruNext`, and named bits as records (bit id, expiry)
 * in a pool, chained per entry. A lookup writes the key into the table's
 * scratch `key` array and allocates nothing.
 *
 * Key words: word 0 is the IP version (4 or 6), so an IPv4 address and an
 * IPv6 address whose first word is equal never share an entry. IPv4 uses
 * word 1 and leaves words 2 to 4 zero. A pair key contains the lower
 * address (compared word by word) in words 1 to 4 and the higher one in
 * words 5 to 8, so both directions find the same entry.
 *
 * Time is capture time in microseconds. A bit set at `t` with an expiry of
 * `n` seconds is set up to and including `t + n` seconds, as in Suricata
 * (a bit expires when its expiry time is below the packet time).
 */
import type { Packet } from '../core/packet.js';

/**
 * Default memory limit of the host table in bytes (config key
 * `host.memcap`, Suricata's default 32 MiB). At the limit the least
 * recently used host is evicted with its bits. When no entry can be
 * evicted, the set fails and the stats counter `host.memcap` rises.
 *
 * NOTE: the run does not read the `host.*` and `ippair.*` config keys
 * yet, so tables get these defaults unless the run attaches tables built
 * from its config (attachHostTables). The typed arrays grow by doubling,
 * so the memory they take can reach twice the bytes counted in use.
 */
export const HOST_MEMCAP_BYTES_DEFAULT = 32 * 1024 * 1024;

/** Default number of hash buckets of the host table (config key `host.hash-size`). */
export const HOST_HASH_SIZE_DEFAULT = 4096;

/** Default memory limit of the ippair table in bytes (config key `ippair.memcap`), as `host.memcap`. */
export const IPPAIR_MEMCAP_BYTES_DEFAULT = 32 * 1024 * 1024;

/** Default number of hash buckets of the ippair table (config key `ippair.hash-size`). */
export const IPPAIR_HASH_SIZE_DEFAULT = 4096;

/** Numeric counters kept per entry for later stages (`counter`, `addCounter`). */
export const ENTRY_COUNTER_SLOTS = 4;

/** Key words of a host entry: IP version and one address. */
export const HOST_KEY_WORDS = 5;

/** Key words of an ippair entry: IP version and two addresses. */
export const PAIR_KEY_WORDS = 9;

/**
 * Bytes counted against the memcap per bit record: id, expiry and chain
 * link in typed arrays (4 + 8 + 4).
 */
export const BIT_RECORD_BYTES = 16;

/** Bytes counted per hash bucket (one Int32Array slot). */
const BUCKET_BYTES = 4;

/** Entries and records allocated at first, doubled as the table fills. */
const INITIAL_CAPACITY = 64;

/** Fixed seed, so bucket placement is the same from run to run. */
const HASH_SEED = 0x686f7374;

/** Bytes counted per entry: key words, hash, four links, bit list head and counters. */
export function entryBytes(keyWords: number): number {
  return keyWords * 4 + 4 + 4 * 4 + 4 + ENTRY_COUNTER_SLOTS * 8;
}

/** Limits of one table. */
export interface AddressTableConfig {
  memcapBytes: number;
  hashSize: number;
}

/** Counters of one table, as the stats event names them with the table's prefix. */
export class AddressTableCounters {
  /** `<table>.active`: entries in the table now. */
  active: number;
  /** Entries created since start. */
  created: number;
  /** `<table>.evicted`: entries evicted to stay within the memcap. */
  evicted: number;
  /** `<table>.memcap`: sets that failed because the memcap left no room. */
  memcapHits: number;

  constructor() {
    this.active = 0;
    this.created = 0;
    this.evicted = 0;
    this.memcapHits = 0;
  }
}

function mixHash(key: Uint32Array, words: number): number {
  let h = HASH_SEED;
  for (let i = 0; i < words; i++) {
    h = Math.imul(h ^ key[i], 0x9e3779b1);
    h = (h << 15) | (h >>> 17);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A bounded hash table of entries keyed by `keyWords` 32-bit words, each
 * with named bits that expire and ENTRY_COUNTER_SLOTS counters.
 */
export class AddressStateTable {
  /** Stats prefix: `host` or `ippair`. */
  readonly name: string;
  readonly keyWords: number;
  readonly memcapBytes: number;
  readonly counters: AddressTableCounters;
  /** Scratch key: fill it (writeHostKey, writePairKey) before `find` or `findOrCreate`. */
  readonly key: Uint32Array;

  private readonly hashSize: number;
  private readonly buckets: Int32Array;
  private readonly entrySize: number;
  private readonly maxEntries: number;
  private readonly maxRecords: number;

  private capacity: number;
  private keys: Uint32Array;
  private hashes: Uint32Array;
  private chainNext: Int32Array;
  private lruPrev: Int32Array;
  private lruNext: Int32Array;
  private bitHead: Int32Array;
  private entryCounters: Float64Array;
  private freeEntry: number;
  /** Most and least recently used entries, or -1. */
  private lruHead: number;
  private lruTail: number;

  private recordCapacity: number;
  private recordBit: Int32Array;
  private recordExpireUs: Float64Array;
  private recordNext: Int32Array;
  private freeRecord: number;
  private liveRecords: number;

  constructor(name: string, keyWords: number, config: AddressTableConfig) {
    this.name = name;
    this.keyWords = keyWords;
    this.memcapBytes = config.memcapBytes;
    this.counters = new AddressTableCounters();
    this.key = new Uint32Array(keyWords);

    this.hashSize = Math.max(1, Math.floor(config.hashSize));
    this.buckets = new Int32Array(this.hashSize).fill(-1);
    this.entrySize = entryBytes(keyWords);
    const spare = Math.max(0, config.memcapBytes - this.hashSize * BUCKET_BYTES);
    this.maxEntries = Math.floor(spare / this.entrySize);
    this.maxRecords = Math.floor(spare / BIT_RECORD_BYTES);

    this.capacity = 0;
    this.keys = new Uint32Array(0);
    this.hashes = new Uint32Array(0);
    this.chainNext = new Int32Array(0);
    this.lruPrev = new Int32Array(0);
    this.lruNext = new Int32Array(0);
    this.bitHead = new Int32Array(0);
    this.entryCounters = new Float64Array(0);
    this.freeEntry = -1;
    this.lruHead = -1;
    this.lruTail = -1;

    this.recordCapacity = 0;
    this.recordBit = new Int32Array(0);
    this.recordExpireUs = new Float64Array(0);
    this.recordNext = new Int32Array(0);
    this.freeRecord = -1;
    this.liveRecords = 0;
  }

  /** Bytes counted against the memcap now (`<table>.memuse`). */
  get memuseBytes(): number {
    return this.hashSize * BUCKET_BYTES + this.counters.active * this.entrySize + this.liveRecords * BIT_RECORD_BYTES;
  }

  /** Returns the counters under their stats names. */
  stats(): Array<[string, number]> {
    return [
      [`${this.name}.memuse`, this.memuseBytes],
      [`${this.name}.memcap`, this.counters.memcapHits],
      [`${this.name}.active`, this.counters.active],
      [`${this.name}.evicted`, this.counters.evicted],
    ];
  }

  /** Returns the entry of the scratch key, marking it most recently used, or -1. */
  find(): number {
    const hash = mixHash(this.key, this.keyWords);
    const entry = this.lookup(hash);
    if (entry >= 0) this.touch(entry);
    return entry;
  }

  /**
   * Returns the entry of the scratch key, creating it when absent. Returns
   * -1 when the memcap is reached and no other entry can be evicted.
   */
  findOrCreate(): number {
    const hash = mixHash(this.key, this.keyWords);
    let entry = this.lookup(hash);
    if (entry >= 0) {
      this.touch(entry);
      return entry;
    }
    if (!this.makeRoom(this.entrySize, -1)) return -1;
    entry = this.allocateEntry();
    const base = entry * this.keyWords;
    for (let i = 0; i < this.keyWords; i++) this.keys[base + i] = this.key[i];
    this.hashes[entry] = hash;
    const bucket = hash % this.hashSize;
    this.chainNext[entry] = this.buckets[bucket];
    this.buckets[bucket] = entry;
    this.bitHead[entry] = -1;
    const counterBase = entry * ENTRY_COUNTER_SLOTS;
    for (let i = 0; i < ENTRY_COUNTER_SLOTS; i++) this.entryCounters[counterBase + i] = 0;
    this.pushFront(entry);
    this.counters.active++;
    this.counters.created++;
    return entry;
  }

  /** Tells whether bit `id` of `entry` is set at `nowUs`; an expired bit is removed. */
  isBitSet(entry: number, id: number, nowUs: number): boolean {
    const record = this.findRecord(entry, id);
    if (record < 0) return false;
    if (this.recordExpireUs[record] >= nowUs) return true;
    this.removeRecord(entry, id);
    return false;
  }

  /**
   * Sets bit `id` of `entry` until `expireUs`. A bit that is still set
   * keeps its expiry, as Suricata's set does; an expired one gets the new
   * expiry. Returns false when the memcap leaves no room for the bit.
   */
  setBit(entry: number, id: number, nowUs: number, expireUs: number): boolean {
    const record = this.findRecord(entry, id);
    if (record >= 0) {
      if (this.recordExpireUs[record] < nowUs) this.recordExpireUs[record] = expireUs;
      return true;
    }
    return this.addRecord(entry, id, expireUs);
  }

  /** Clears bit `id` of `entry`. */
  unsetBit(entry: number, id: number): void {
    this.removeRecord(entry, id);
  }

  /** Clears bit `id` when it is set at `nowUs`, else sets it until `expireUs`. */
  toggleBit(entry: number, id: number, nowUs: number, expireUs: number): boolean {
    const record = this.findRecord(entry, id);
    if (record >= 0 && this.recordExpireUs[record] >= nowUs) {
      this.removeRecord(entry, id);
      return true;
    }
    if (record >= 0) {
      this.recordExpireUs[record] = expireUs;
      return true;
    }
    return this.addRecord(entry, id, expireUs);
  }

  /** Returns counter `slot` (0 to ENTRY_COUNTER_SLOTS - 1) of `entry`. */
  counter(entry: number, slot: number): number {
    return this.entryCounters[entry * ENTRY_COUNTER_SLOTS + slot];
  }

  /** Adds `delta` to counter `slot` of `entry` and returns the new value. */
  addCounter(entry: number, slot: number, delta: number): number {
    const at = entry * ENTRY_COUNTER_SLOTS + slot;
    this.entryCounters[at] += delta;
    return this.entryCounters[at];
  }

  private lookup(hash: number): number {
    const words = this.keyWords;
    const key = this.key;
    for (let entry = this.buckets[hash % this.hashSize]; entry >= 0; entry = this.chainNext[entry]) {
      if (this.hashes[entry] !== hash) continue;
      const base = entry * words;
      let same = true;
      for (let i = 0; i < words; i++) {
        if (this.keys[base + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) return entry;
    }
    return -1;
  }

  private findRecord(entry: number, id: number): number {
    for (let record = this.bitHead[entry]; record >= 0; record = this.recordNext[record]) {
      if (this.recordBit[record] === id) return record;
    }
    return -1;
  }

  private addRecord(entry: number, id: number, expireUs: number): boolean {
    if (!this.makeRoom(BIT_RECORD_BYTES, entry)) return false;
    if (this.freeRecord < 0) this.growRecords();
    const record = this.freeRecord;
    this.freeRecord = this.recordNext[record];
    this.recordBit[record] = id;
    this.recordExpireUs[record] = expireUs;
    this.recordNext[record] = this.bitHead[entry];
    this.bitHead[entry] = record;
    this.liveRecords++;
    return true;
  }

  private removeRecord(entry: number, id: number): void {
    let previous = -1;
    for (let record = this.bitHead[entry]; record >= 0; record = this.recordNext[record]) {
      if (this.recordBit[record] !== id) {
        previous = record;
        continue;
      }
      if (previous < 0) this.bitHead[entry] = this.recordNext[record];
      else this.recordNext[previous] = this.recordNext[record];
      this.recordNext[record] = this.freeRecord;
      this.freeRecord = record;
      this.liveRecords--;
      return;
    }
  }

  /**
   * Evicts least recently used entries, never `keep`, until `bytes` more
   * fit in the memcap. Counts a memcap hit and returns false when they
   * cannot.
   */
  private makeRoom(bytes: number, keep: number): boolean {
    while (this.memuseBytes + bytes > this.memcapBytes) {
      let victim = this.lruTail;
      if (victim >= 0 && victim === keep) victim = this.lruPrev[victim];
      if (victim < 0) {
        this.counters.memcapHits++;
        return false;
      }
      this.evict(victim);
    }
    return true;
  }

  private evict(entry: number): void {
    while (this.bitHead[entry] >= 0) this.removeRecord(entry, this.recordBit[this.bitHead[entry]]);

    const bucket = this.hashes[entry] % this.hashSize;
    if (this.buckets[bucket] === entry) {
      this.buckets[bucket] = this.chainNext[entry];
    } else {
      let at = this.buckets[bucket];
      while (this.chainNext[at] !== entry) at = this.chainNext[at];
      this.chainNext[at] = this.chainNext[entry];
    }
    this.unlink(entry);
    this.chainNext[entry] = this.freeEntry;
    this.freeEntry = entry;
    this.counters.active--;
    this.counters.evicted++;
  }

  private allocateEntry(): number {
    if (this.freeEntry < 0) this.growEntries();
    const entry = this.freeEntry;
    this.freeEntry = this.chainNext[entry];
    return entry;
  }

  private touch(entry: number): void {
    if (this.lruHead === entry) return;
    this.unlink(entry);
    this.pushFront(entry);
  }

  private pushFront(entry: number): void {
    this.lruPrev[entry] = -1;
    this.lruNext[entry] = this.lruHead;
    if (this.lruHead >= 0) this.lruPrev[this.lruHead] = entry;
    this.lruHead = entry;
    if (this.lruTail < 0) this.lruTail = entry;
  }

  private unlink(entry: number): void {
    const prev = this.lruPrev[entry];
    const next = this.lruNext[entry];
    if (prev >= 0) this.lruNext[prev] = next;
    else this.lruHead = next;
    if (next >= 0) this.lruPrev[next] = prev;
    else this.lruTail = prev;
  }

  /** Doubles the entry arrays, up to the number of entries the memcap allows. */
  private growEntries(): void {
    const old = this.capacity;
    const capacity = Math.max(1, Math.min(this.maxEntries, Math.max(INITIAL_CAPACITY, old * 2)));
    this.keys = grownU32(this.keys, capacity * this.keyWords);
    this.hashes = grownU32(this.hashes, capacity);
    this.chainNext = grownI32(this.chainNext, capacity);
    this.lruPrev = grownI32(this.lruPrev, capacity);
    this.lruNext = grownI32(this.lruNext, capacity);
    this.bitHead = grownI32(this.bitHead, capacity);
    const counters = new Float64Array(capacity * ENTRY_COUNTER_SLOTS);
    counters.set(this.entryCounters);
    this.entryCounters = counters;
    for (let i = capacity - 1; i >= old; i--) {
      this.chainNext[i] = this.freeEntry;
      this.freeEntry = i;
    }
    this.capacity = capacity;
  }

  /** Doubles the record pool, up to the number of records the memcap allows. */
  private growRecords(): void {
    const old = this.recordCapacity;
    const capacity = Math.max(1, Math.min(this.maxRecords, Math.max(INITIAL_CAPACITY, old * 2)));
    this.recordBit = grownI32(this.recordBit, capacity);
    this.recordNext = grownI32(this.recordNext, capacity);
    const expire = new Float64Array(capacity);
    expire.set(this.recordExpireUs);
    this.recordExpireUs = expire;
    for (let i = capacity - 1; i >= old; i--) {
      this.recordNext[i] = this.freeRecord;
      this.freeRecord = i;
    }
    this.recordCapacity = capacity;
  }
}

function grownU32(array: Uint32Array, length: number): Uint32Array {
  const grown = new Uint32Array(length);
  grown.set(array);
  return grown;
}

function grownI32(array: Int32Array, length: number): Int32Array {
  const grown = new Int32Array(length);
  grown.set(array);
  return grown;
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/**
 * Writes the key words of one address at `at` in `key`: IPv4 uses the
 * packet's `src4`/`dst4`, IPv6 reads the 16 bytes.
 */
function writeAddress(key: Uint32Array, at: number, p: Packet, isSource: boolean): void {
  if (p.ipVersion === 4) {
    key[at] = (isSource ? p.src4 : p.dst4) >>> 0;
    key[at + 1] = 0;
    key[at + 2] = 0;
    key[at + 3] = 0;
    return;
  }
  const bytes = isSource ? p.srcAddr : p.dstAddr;
  for (let i = 0; i < 4; i++) key[at + i] = readU32(bytes, i * 4);
}

/** Writes the host key of the packet's source (`isSource`) or destination into `key`. */
export function writeHostKey(key: Uint32Array, p: Packet, isSource: boolean): void {
  key[0] = p.ipVersion;
  writeAddress(key, 1, p, isSource);
}

/** Writes the ippair key of the packet into `key`; both directions give the same words. */
export function writePairKey(key: Uint32Array, p: Packet): void {
  key[0] = p.ipVersion;
  writeAddress(key, 1, p, true);
  writeAddress(key, 5, p, false);
  for (let i = 1; i <= 4; i++) {
    if (key[i] === key[i + 4]) continue;
    if (key[i] > key[i + 4]) {
      for (let k = 1; k <= 4; k++) {
        const lower = key[k + 4];
        key[k + 4] = key[k];
        key[k] = lower;
      }
    }
    return;
  }
}

/** Limits of both tables; every field has a default (see defaultHostTablesConfig). */
export interface HostTablesConfig {
  host: AddressTableConfig;
  ippair: AddressTableConfig;
}

/** Returns Suricata's default limits for the host and ippair tables. */
export function defaultHostTablesConfig(): HostTablesConfig {
  return {
    host: { memcapBytes: HOST_MEMCAP_BYTES_DEFAULT, hashSize: HOST_HASH_SIZE_DEFAULT },
    ippair: { memcapBytes: IPPAIR_MEMCAP_BYTES_DEFAULT, hashSize: IPPAIR_HASH_SIZE_DEFAULT },
  };
}

/** The host table and the ippair table of one detection engine. */
export class HostTables {
  readonly hosts: AddressStateTable;
  readonly pairs: AddressStateTable;

  constructor(config: HostTablesConfig = defaultHostTablesConfig()) {
    this.hosts = new AddressStateTable('host', HOST_KEY_WORDS, config.host);
    this.pairs = new AddressStateTable('ippair', PAIR_KEY_WORDS, config.ippair);
  }

  /** Returns the counters of both tables under their stats names. */
  stats(): Array<[string, number]> {
    return [...this.hosts.stats(), ...this.pairs.stats()];
  }
}

/**
 * Tables by detection thread context. The engine owns one context per
 * run, so each run (and each `kapu verify` case in one process) gets its
 * own tables without the engine knowing about them.
 */
const TABLES_BY_CONTEXT = new WeakMap<object, HostTables>();
let lastContext: object | null = null;
let lastTables: HostTables | null = null;

/**
 * Makes `ctx` use `tables`, for a run that configures the limits or
 * shares one set of tables between engines. Call it before the first
 * packet.
 */
export function attachHostTables(ctx: object, tables: HostTables): void {
  TABLES_BY_CONTEXT.set(ctx, tables);
  if (lastContext === ctx) lastTables = tables;
}

/**
 * Returns the tables of the detection context `ctx`, creating them with
 * the default limits on first use. The last context is cached, so the
 * per-packet cost is one comparison.
 */
export function hostTablesOf(ctx: object): HostTables {
  if (ctx === lastContext && lastTables !== null) return lastTables;
  let tables = TABLES_BY_CONTEXT.get(ctx);
  if (tables === undefined) {
    tables = new HostTables();
    TABLES_BY_CONTEXT.set(ctx, tables);
  }
  lastContext = ctx;
  lastTables = tables;
  return tables;
}
