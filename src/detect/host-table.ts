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
 * Worker threads share both tables when each builds its HostTables over
 * the same SharedArrayBuffers (HostTables.createBuffers). The tables take
 * no locks: the caller lets one thread at a time use them.
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
 * so the memory they take can reach twice the bytes counted in use. A
 * shared table (HostTables.createBuffers) takes about twice the memcap
 * from the start, because its arrays have room for the most entries and
 * the most bit records the memcap allows, and both share that memcap.
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

/** Float64 words of the counters, in AddressTableCounters' order. */
const COUNTER_ACTIVE = 0;
const COUNTER_CREATED = 1;
const COUNTER_EVICTED = 2;
const COUNTER_MEMCAP_HITS = 3;
const COUNTER_WORDS = 4;

/** Counters of one table, as the stats event names them with the table's prefix. */
export class AddressTableCounters {
  private readonly values: Float64Array;

  /** Creates counters over `values` (COUNTER_WORDS float64, all of one table). */
  constructor(values: Float64Array = new Float64Array(COUNTER_WORDS)) {
    this.values = values;
  }

  /** `<table>.active`: entries in the table now. */
  get active(): number {
    return this.values[COUNTER_ACTIVE];
  }

  /** Entries created since start. */
  get created(): number {
    return this.values[COUNTER_CREATED];
  }

  /** `<table>.evicted`: entries evicted to stay within the memcap. */
  get evicted(): number {
    return this.values[COUNTER_EVICTED];
  }

  /** `<table>.memcap`: sets that failed because the memcap left no room. */
  get memcapHits(): number {
    return this.values[COUNTER_MEMCAP_HITS];
  }
}

/**
 * Int32 words of a table's header: the scalars every instance over one
 * buffer shares. HEADER_STATE is STATE_READY once the buffer is initialised,
 * and the four words after it record the layout, so an instance with other
 * limits cannot attach to the buffer.
 */
const HEADER_STATE = 0;
const HEADER_KEY_WORDS = 1;
const HEADER_HASH_SIZE = 2;
const HEADER_MAX_ENTRIES = 3;
const HEADER_MAX_RECORDS = 4;
const HEADER_FREE_ENTRY = 5;
/** Most and least recently used entries, or -1. */
const HEADER_LRU_HEAD = 6;
const HEADER_LRU_TAIL = 7;
const HEADER_FREE_RECORD = 8;
const HEADER_LIVE_RECORDS = 9;
/** Entries and records the arrays have room for. */
const HEADER_CAPACITY = 10;
const HEADER_RECORD_CAPACITY = 11;
const HEADER_WORDS = 12;

/** HEADER_STATE values of a shared buffer. A new SharedArrayBuffer is zeroed, so it starts as STATE_NEW. */
const STATE_NEW = 0;
const STATE_INITIALISING = 1;
const STATE_READY = 2;

/** Maximum wait, in milliseconds, for another thread to initialise a shared buffer. */
const INIT_WAIT_MS = 10_000;

/** Bytes before the arrays of a shared buffer: the header and the counters. */
const PREFIX_BYTES = HEADER_WORDS * 4 + COUNTER_WORDS * 8;

/** Entries and bit records a memcap allows, after the buckets. */
interface TableLimits {
  hashSize: number;
  maxEntries: number;
  maxRecords: number;
}

function limitsFor(keyWords: number, config: AddressTableConfig): TableLimits {
  const hashSize = Math.max(1, Math.floor(config.hashSize));
  const spare = Math.max(0, config.memcapBytes - hashSize * BUCKET_BYTES);
  return { hashSize, maxEntries: Math.floor(spare / entryBytes(keyWords)), maxRecords: Math.floor(spare / BIT_RECORD_BYTES) };
}

/**
 * Bytes of a shared buffer: the header, the buckets, and room for
 * `maxEntries` entries and `maxRecords` records. The entry arrays take
 * entryBytes(keyWords) per entry and the record arrays BIT_RECORD_BYTES
 * per record, as the memcap counts them.
 */
function sharedBytes(keyWords: number, limits: TableLimits): number {
  return PREFIX_BYTES + limits.hashSize * BUCKET_BYTES + limits.maxEntries * entryBytes(keyWords) + limits.maxRecords * BIT_RECORD_BYTES;
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
 *
 * Shared mode: given a SharedArrayBuffer of `bytesFor(keyWords, config)`
 * bytes, the table keeps all its state there, the header scalars and the
 * counters included. The arrays then have room for every entry and record
 * the memcap allows from the start and never grow. Every instance over the
 * buffer, in any worker thread, works on the same table. The first instance
 * initialises the buffer, and instances that attach meanwhile wait up to
 * INIT_WAIT_MS for it. The table takes no locks, so the caller lets one thread at a time use it and hands
 * over through Atomics, which also makes one thread's plain writes visible
 * to the next.
 *
 * Buffer layout: the header (HEADER_WORDS int32), the counters
 * (COUNTER_WORDS float64), the float64 arrays (entry counters, record
 * expiry), then the 32-bit arrays (buckets, keys, hashes, chainNext,
 * lruPrev, lruNext, bitHead, recordBit, recordNext).
 */
export class AddressStateTable {
  /** Stats prefix: `host` or `ippair`. */
  readonly name: string;
  readonly keyWords: number;
  readonly memcapBytes: number;
  readonly counters: AddressTableCounters;
  /** Scratch key: fill it (writeHostKey, writePairKey) before `find` or `findOrCreate`. */
  readonly key: Uint32Array;
  /** True when the state sits in a SharedArrayBuffer. */
  readonly isShared: boolean;

  private readonly hashSize: number;
  private readonly buckets: Int32Array;
  private readonly entrySize: number;
  private readonly maxEntries: number;
  private readonly maxRecords: number;
  private readonly header: Int32Array;
  private readonly counterValues: Float64Array;

  private keys: Uint32Array;
  private hashes: Uint32Array;
  private chainNext: Int32Array;
  private lruPrev: Int32Array;
  private lruNext: Int32Array;
  private bitHead: Int32Array;
  private entryCounters: Float64Array;

  private recordBit: Int32Array;
  private recordExpireUs: Float64Array;
  private recordNext: Int32Array;

  /**
   * Creates a table with the limits of `config`, over `sharedBuffer` when
   * given (`bytesFor(keyWords, config)` bytes, and the same `config` for
   * every instance over it).
   */
  constructor(name: string, keyWords: number, config: AddressTableConfig, sharedBuffer: SharedArrayBuffer | null = null) {
    this.name = name;
    this.keyWords = keyWords;
    this.memcapBytes = config.memcapBytes;
    this.key = new Uint32Array(keyWords);
    this.isShared = sharedBuffer !== null;

    const limits = limitsFor(keyWords, config);
    this.hashSize = limits.hashSize;
    this.entrySize = entryBytes(keyWords);
    this.maxEntries = limits.maxEntries;
    this.maxRecords = limits.maxRecords;

    if (sharedBuffer === null) {
      this.header = new Int32Array(HEADER_WORDS);
      this.counterValues = new Float64Array(COUNTER_WORDS);
      this.buckets = new Int32Array(this.hashSize);
      this.keys = new Uint32Array(0);
      this.hashes = new Uint32Array(0);
      this.chainNext = new Int32Array(0);
      this.lruPrev = new Int32Array(0);
      this.lruNext = new Int32Array(0);
      this.bitHead = new Int32Array(0);
      this.entryCounters = new Float64Array(0);
      this.recordBit = new Int32Array(0);
      this.recordExpireUs = new Float64Array(0);
      this.recordNext = new Int32Array(0);
      this.initialise(0, 0);
    } else {
      const bytes = sharedBytes(keyWords, limits);
      if (sharedBuffer.byteLength < bytes) {
        throw new RangeError(`${name} table: shared buffer of ${sharedBuffer.byteLength} bytes is too small (memcap ${config.memcapBytes} needs ${bytes} bytes)`);
      }
      const entries = limits.maxEntries;
      const records = limits.maxRecords;
      let at = 0;
      this.header = new Int32Array(sharedBuffer, at, HEADER_WORDS);
      at += HEADER_WORDS * 4;
      this.counterValues = new Float64Array(sharedBuffer, at, COUNTER_WORDS);
      at += COUNTER_WORDS * 8;
      this.entryCounters = new Float64Array(sharedBuffer, at, entries * ENTRY_COUNTER_SLOTS);
      at += entries * ENTRY_COUNTER_SLOTS * 8;
      this.recordExpireUs = new Float64Array(sharedBuffer, at, records);
      at += records * 8;
      this.buckets = new Int32Array(sharedBuffer, at, this.hashSize);
      at += this.hashSize * 4;
      this.keys = new Uint32Array(sharedBuffer, at, entries * keyWords);
      at += entries * keyWords * 4;
      this.hashes = new Uint32Array(sharedBuffer, at, entries);
      at += entries * 4;
      this.chainNext = new Int32Array(sharedBuffer, at, entries);
      at += entries * 4;
      this.lruPrev = new Int32Array(sharedBuffer, at, entries);
      at += entries * 4;
      this.lruNext = new Int32Array(sharedBuffer, at, entries);
      at += entries * 4;
      this.bitHead = new Int32Array(sharedBuffer, at, entries);
      at += entries * 4;
      this.recordBit = new Int32Array(sharedBuffer, at, records);
      at += records * 4;
      this.recordNext = new Int32Array(sharedBuffer, at, records);
      this.attachShared();
    }
    this.counters = new AddressTableCounters(this.counterValues);
  }

  /** Returns the size in bytes of a `sharedBuffer` for a table with these key words and limits. */
  static bytesFor(keyWords: number, config: AddressTableConfig): number {
    return sharedBytes(keyWords, limitsFor(keyWords, config));
  }

  /** Bytes counted against the memcap now (`<table>.memuse`). */
  get memuseBytes(): number {
    return this.hashSize * BUCKET_BYTES + this.counterValues[COUNTER_ACTIVE] * this.entrySize + this.header[HEADER_LIVE_RECORDS] * BIT_RECORD_BYTES;
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
    this.counterValues[COUNTER_ACTIVE]++;
    this.counterValues[COUNTER_CREATED]++;
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
    const header = this.header;
    if (header[HEADER_FREE_RECORD] < 0) this.growRecords();
    const record = header[HEADER_FREE_RECORD];
    header[HEADER_FREE_RECORD] = this.recordNext[record];
    this.recordBit[record] = id;
    this.recordExpireUs[record] = expireUs;
    this.recordNext[record] = this.bitHead[entry];
    this.bitHead[entry] = record;
    header[HEADER_LIVE_RECORDS]++;
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
      const header = this.header;
      this.recordNext[record] = header[HEADER_FREE_RECORD];
      header[HEADER_FREE_RECORD] = record;
      header[HEADER_LIVE_RECORDS]--;
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
      let victim = this.header[HEADER_LRU_TAIL];
      if (victim >= 0 && victim === keep) victim = this.lruPrev[victim];
      if (victim < 0) {
        this.counterValues[COUNTER_MEMCAP_HITS]++;
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
    this.chainNext[entry] = this.header[HEADER_FREE_ENTRY];
    this.header[HEADER_FREE_ENTRY] = entry;
    this.counterValues[COUNTER_ACTIVE]--;
    this.counterValues[COUNTER_EVICTED]++;
  }

  private allocateEntry(): number {
    const header = this.header;
    // In shared mode the free list is never empty here: makeRoom keeps the
    // entries within maxEntries, the size of the arrays.
    if (header[HEADER_FREE_ENTRY] < 0) this.growEntries();
    const entry = header[HEADER_FREE_ENTRY];
    header[HEADER_FREE_ENTRY] = this.chainNext[entry];
    return entry;
  }

  private touch(entry: number): void {
    if (this.header[HEADER_LRU_HEAD] === entry) return;
    this.unlink(entry);
    this.pushFront(entry);
  }

  private pushFront(entry: number): void {
    const header = this.header;
    const head = header[HEADER_LRU_HEAD];
    this.lruPrev[entry] = -1;
    this.lruNext[entry] = head;
    if (head >= 0) this.lruPrev[head] = entry;
    header[HEADER_LRU_HEAD] = entry;
    if (header[HEADER_LRU_TAIL] < 0) header[HEADER_LRU_TAIL] = entry;
  }

  private unlink(entry: number): void {
    const prev = this.lruPrev[entry];
    const next = this.lruNext[entry];
    if (prev >= 0) this.lruNext[prev] = next;
    else this.header[HEADER_LRU_HEAD] = next;
    if (next >= 0) this.lruPrev[next] = prev;
    else this.header[HEADER_LRU_TAIL] = prev;
  }

  /**
   * Sets the header of an empty table whose arrays have room for `entries`
   * entries and `records` records, and chains those into the free lists in
   * ascending order, as growEntries and growRecords do.
   */
  private initialise(entries: number, records: number): void {
    const header = this.header;
    header[HEADER_KEY_WORDS] = this.keyWords;
    header[HEADER_HASH_SIZE] = this.hashSize;
    header[HEADER_MAX_ENTRIES] = this.maxEntries;
    header[HEADER_MAX_RECORDS] = this.maxRecords;
    this.buckets.fill(-1);
    for (let i = 0; i < entries; i++) this.chainNext[i] = i + 1 < entries ? i + 1 : -1;
    header[HEADER_FREE_ENTRY] = entries > 0 ? 0 : -1;
    header[HEADER_LRU_HEAD] = -1;
    header[HEADER_LRU_TAIL] = -1;
    for (let i = 0; i < records; i++) this.recordNext[i] = i + 1 < records ? i + 1 : -1;
    header[HEADER_FREE_RECORD] = records > 0 ? 0 : -1;
    header[HEADER_LIVE_RECORDS] = 0;
    header[HEADER_CAPACITY] = entries;
    header[HEADER_RECORD_CAPACITY] = records;
  }

  /**
   * Initialises a new shared buffer, or waits until the thread that
   * initialises it is done, then checks that the buffer has this table's
   * layout.
   */
  private attachShared(): void {
    const header = this.header;
    if (Atomics.compareExchange(header, HEADER_STATE, STATE_NEW, STATE_INITIALISING) === STATE_NEW) {
      this.initialise(this.maxEntries, this.maxRecords);
      Atomics.store(header, HEADER_STATE, STATE_READY);
      Atomics.notify(header, HEADER_STATE);
      return;
    }
    const deadline = Date.now() + INIT_WAIT_MS;
    while (Atomics.load(header, HEADER_STATE) !== STATE_READY) {
      if (Date.now() > deadline) throw new Error(`${this.name} table: shared buffer not initialised after ${INIT_WAIT_MS} ms`);
      Atomics.wait(header, HEADER_STATE, STATE_INITIALISING, 100);
    }
    if (
      header[HEADER_KEY_WORDS] !== this.keyWords ||
      header[HEADER_HASH_SIZE] !== this.hashSize ||
      header[HEADER_MAX_ENTRIES] !== this.maxEntries ||
      header[HEADER_MAX_RECORDS] !== this.maxRecords
    ) {
      throw new RangeError(
        `${this.name} table: shared buffer was set up for ${header[HEADER_KEY_WORDS]} key words, ${header[HEADER_HASH_SIZE]} buckets, ` +
          `${header[HEADER_MAX_ENTRIES]} entries and ${header[HEADER_MAX_RECORDS]} records, not ${this.keyWords}, ${this.hashSize}, ` +
          `${this.maxEntries} and ${this.maxRecords} (give every table over one buffer the same config)`,
      );
    }
  }

  /** Doubles the entry arrays, up to the number of entries the memcap allows (own buffer only). */
  private growEntries(): void {
    const header = this.header;
    const old = header[HEADER_CAPACITY];
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
      this.chainNext[i] = header[HEADER_FREE_ENTRY];
      header[HEADER_FREE_ENTRY] = i;
    }
    header[HEADER_CAPACITY] = capacity;
  }

  /** Doubles the record pool, up to the number of records the memcap allows (own buffer only). */
  private growRecords(): void {
    const header = this.header;
    const old = header[HEADER_RECORD_CAPACITY];
    const capacity = Math.max(1, Math.min(this.maxRecords, Math.max(INITIAL_CAPACITY, old * 2)));
    this.recordBit = grownI32(this.recordBit, capacity);
    this.recordNext = grownI32(this.recordNext, capacity);
    const expire = new Float64Array(capacity);
    expire.set(this.recordExpireUs);
    this.recordExpireUs = expire;
    for (let i = capacity - 1; i >= old; i--) {
      this.recordNext[i] = header[HEADER_FREE_RECORD];
      header[HEADER_FREE_RECORD] = i;
    }
    header[HEADER_RECORD_CAPACITY] = capacity;
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

/** Shared buffers of the host table and the ippair table (HostTables.createBuffers). */
export interface HostTablesBuffers {
  host: SharedArrayBuffer;
  ippair: SharedArrayBuffer;
}

/**
 * The host table and the ippair table of one detection engine. Engines in
 * several worker threads share both tables when each builds its HostTables
 * over the same buffers, with the same config.
 */
export class HostTables {
  readonly hosts: AddressStateTable;
  readonly pairs: AddressStateTable;

  /** Creates both tables, in their own memory or over `buffers`. */
  constructor(config: HostTablesConfig = defaultHostTablesConfig(), buffers: HostTablesBuffers | null = null) {
    this.hosts = new AddressStateTable('host', HOST_KEY_WORDS, config.host, buffers === null ? null : buffers.host);
    this.pairs = new AddressStateTable('ippair', PAIR_KEY_WORDS, config.ippair, buffers === null ? null : buffers.ippair);
  }

  /** Returns the sizes in bytes of the two buffers for `config`. */
  static bufferBytes(config: HostTablesConfig = defaultHostTablesConfig()): { host: number; ippair: number } {
    return {
      host: AddressStateTable.bytesFor(HOST_KEY_WORDS, config.host),
      ippair: AddressStateTable.bytesFor(PAIR_KEY_WORDS, config.ippair),
    };
  }

  /**
   * Allocates zeroed buffers for two shared tables with the limits of
   * `config`. The first HostTables built over them, in any thread,
   * initialises them.
   */
  static createBuffers(config: HostTablesConfig = defaultHostTablesConfig()): HostTablesBuffers {
    const bytes = HostTables.bufferBytes(config);
    return { host: new SharedArrayBuffer(bytes.host), ippair: new SharedArrayBuffer(bytes.ippair) };
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
/** Tables every context of this thread uses, when set: see useThreadHostTables. */
let threadTables: HostTables | null = null;

/**
 * Makes every detection context of this thread that has no tables yet use
 * `tables`; a worker thread passes tables over the buffers all workers
 * share. Null goes back to one pair of tables per context.
 */
export function useThreadHostTables(tables: HostTables | null): void {
  threadTables = tables;
}

export function hostTablesOf(ctx: object): HostTables {
  if (ctx === lastContext && lastTables !== null) return lastTables;
  let tables = TABLES_BY_CONTEXT.get(ctx);
  if (tables === undefined) {
    tables = threadTables ?? new HostTables();
    TABLES_BY_CONTEXT.set(ctx, tables);
  }
  lastContext = ctx;
  lastTables = tables;
  return tables;
}
