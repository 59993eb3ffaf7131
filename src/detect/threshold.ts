/**
 * Thresholds: the rule keywords `threshold` (types limit, threshold, both,
 * backoff) and `detection_filter`, and the suppress, threshold and
 * rate_filter entries of threshold.config, with the semantics of
 * Suricata's thresholding documentation. Time windows run in capture time
 * (the packet's timestamp), so a capture gives the same alerts however fast
 * it is read.
 *
 * Per match, in this order:
 *   1. a suppress entry that covers the packet drops the alert (the rule
 *      action still applies);
 *   2. the signature's threshold or detection_filter (or the
 *      threshold.config entry that replaces it) decides the alert;
 *   3. a rate_filter may replace the rule's action (`actionOverride`).
 *
 * State lives in one bounded table keyed by rule, tracker and address (or
 * flow id): ThresholdTable below. Engines in several worker threads share
 * one table through `ThresholdEngineOptions.sharedBuffer`, so alerts do not
 * depend on the number of workers. The caller serialises their access.
 */
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import type { Signature, ThresholdSpec } from './signature.js';
import type { RateFilterEntry, SuppressEntry, ThresholdConfigEntry } from './threshold-config.js';

const MICROS = 1_000_000;

/** Words of a table key: flags, signature index, and two 128-bit addresses (or a flow id). */
const KEY_WORDS = 10;

/**
 * Bytes one table slot takes: the key, three float64 fields and a
 * uint32 count. Used to turn detect.thresholds.memcap into a slot count.
 */
const SLOT_BYTES = KEY_WORDS * 4 + 3 * 8 + 4;

/**
 * Slots searched for one key: its probe window. A new key that finds no
 * free or reusable slot in its window finds the table full. Linear probing
 * at a load of at most one half rarely fills 32 neighbouring slots.
 */
const MAX_PROBES = 32;

/** Default of detect.thresholds.memcap in Suricata 8 (16 MiB). */
export const DEFAULT_THRESHOLD_MEMCAP_BYTES = 16 * 1024 * 1024;

const TRACK_CODES: Record<ThresholdSpec['track'], number> = {
  by_src: 1,
  by_dst: 2,
  by_rule: 3,
  by_both: 4,
  by_flow: 5,
};

/** Purpose bits of a key, so a rule's threshold and its rate_filter keep apart entries. */
const PURPOSE_THRESHOLD = 1 << 8;
const PURPOSE_RATE = 2 << 8;

/**
 * Distinct ports kept per table slot for `detection_filter ... unique_on`.
 * A detection_filter with `count` up to this value counts distinct ports
 * exactly, as a list of every port seen would.
 *
 * NOTE: with a larger count, a port first seen after this many distinct
 * ports is counted but not kept, so a repeat of it counts again and the
 * alert can come early. Each such port raises `distinctPortsNotKept`. The
 * lists take DISTINCT_PORTS_PER_SLOT * 2 + 4 bytes per slot on top of
 * detect.thresholds.memcap (8 MiB at the default memcap).
 */
export const DISTINCT_PORTS_PER_SLOT = 32;

/** Float64 words of the table header: the scalars every instance over one buffer shares. */
const HEADER_ENTRIES = 0;
const HEADER_FULL_COUNT = 1;
const HEADER_FIRST_FULL_US = 2;
const HEADER_PORTS_NOT_KEPT = 3;
/** Slots of the table, written by the first instance over a buffer and checked by the others. */
const HEADER_CAPACITY = 4;
const HEADER_WORDS = 5;

/** Bytes a table of `capacity` slots takes: header, slot fields and distinct-port lists. */
function tableBytes(capacity: number): number {
  return HEADER_WORDS * 8 + capacity * (3 * 8 + KEY_WORDS * 4 + 4 + 4 + DISTINCT_PORTS_PER_SLOT * 2);
}

/** Slots of a table for `memcapBytes`: a power of two, at least 64. */
function capacityFor(memcapBytes: number): number {
  const slots = Math.max(64, Math.floor(memcapBytes / SLOT_BYTES));
  return 2 ** Math.floor(Math.log2(slots));
}

/**
 * The threshold table: open addressing in typed arrays, sized once from
 * the memory limit. A key lives within MAX_PROBES slots of its hash.
 * Slots are never emptied; a slot whose time window and rate-filter
 * timeout have passed is reused by the next new key whose probe window
 * covers it. When no free or reusable slot is found, `lookup` returns -1,
 * `fullCount` rises and the caller decides without state.
 *
 * All state sits in one buffer (layout below), so tables in several
 * worker threads can share it: give each the same SharedArrayBuffer of
 * `ThresholdTable.bytesFor(memcapBytes)` bytes. A zeroed buffer is an empty
 * table. The table takes no locks, so the caller lets one thread at a time
 * call `lookup` and change slots. The hand-over between threads goes
 * through Atomics (wait and notify, or a store and a load), which also
 * makes the plain writes of one thread visible to the next.
 *
 * Buffer layout, in this order: the header (HEADER_WORDS float64), then
 * one array per field over all slots: windowStart, reusableAfter, aux
 * (float64), keys (KEY_WORDS uint32 a slot), count and distinctCount
 * (uint32), and the distinct-port lists (DISTINCT_PORTS_PER_SLOT uint16 a
 * slot).
 */
export class ThresholdTable {
  readonly capacity: number;
  /** Most entries in use at once: half the slots, to keep probe paths short. */
  readonly maxEntries: number;
  /** True when the state sits in a SharedArrayBuffer. */
  readonly isShared: boolean;
  private readonly mask: number;
  private readonly header: Float64Array;
  private readonly keys: Uint32Array;
  /** Start of the entry's current window (tv1), in microseconds. */
  readonly windowStart: Float64Array;
  /** Capture time after which the slot may be reused, in microseconds. */
  readonly reusableAfter: Float64Array;
  /** rate_filter: end of the new action's timeout; backoff: match count of the next alert. */
  readonly aux: Float64Array;
  readonly count: Uint32Array;
  /** unique_on: distinct ports seen in the current window, counted up to the rule's count + 1. */
  private readonly distinctCount: Uint32Array;
  /** unique_on: the first DISTINCT_PORTS_PER_SLOT distinct ports of the window, per slot. */
  private readonly ports: Uint16Array;
  /** True when the last `lookup` of this instance created the entry. */
  isNew: boolean;

  /**
   * Creates a table for `memcapBytes`, over `sharedBuffer` when given (at
   * least `bytesFor(memcapBytes)` bytes, shared with every table over it).
   */
  constructor(memcapBytes: number, sharedBuffer: SharedArrayBuffer | null = null) {
    this.capacity = capacityFor(memcapBytes);
    this.maxEntries = this.capacity >>> 1;
    this.mask = this.capacity - 1;
    const bytes = tableBytes(this.capacity);
    if (sharedBuffer !== null && sharedBuffer.byteLength < bytes) {
      throw new RangeError(`threshold table: shared buffer of ${sharedBuffer.byteLength} bytes is too small (memcap ${memcapBytes} needs ${bytes} bytes)`);
    }
    const buffer = sharedBuffer ?? new ArrayBuffer(bytes);
    const capacity = this.capacity;
    let at = 0;
    this.header = new Float64Array(buffer, at, HEADER_WORDS);
    at += HEADER_WORDS * 8;
    this.windowStart = new Float64Array(buffer, at, capacity);
    at += capacity * 8;
    this.reusableAfter = new Float64Array(buffer, at, capacity);
    at += capacity * 8;
    this.aux = new Float64Array(buffer, at, capacity);
    at += capacity * 8;
    this.keys = new Uint32Array(buffer, at, capacity * KEY_WORDS);
    at += capacity * KEY_WORDS * 4;
    this.count = new Uint32Array(buffer, at, capacity);
    at += capacity * 4;
    this.distinctCount = new Uint32Array(buffer, at, capacity);
    at += capacity * 4;
    this.ports = new Uint16Array(buffer, at, capacity * DISTINCT_PORTS_PER_SLOT);
    this.isShared = sharedBuffer !== null;
    this.isNew = false;

    // Tables over one buffer must agree on its layout. This check misses a
    // mismatch only when both tables attach at the same moment.
    const recorded = this.header[HEADER_CAPACITY] as number;
    if (recorded === 0) this.header[HEADER_CAPACITY] = capacity;
    else if (recorded !== capacity) {
      throw new RangeError(`threshold table: shared buffer was set up for ${recorded} slots, not ${capacity} (give every table over one buffer the same memcap)`);
    }
  }

  /** Returns the size in bytes of a `sharedBuffer` for a table of `memcapBytes`. */
  static bytesFor(memcapBytes: number): number {
    return tableBytes(capacityFor(memcapBytes));
  }

  /** Entries in use. */
  get entries(): number {
    return this.header[HEADER_ENTRIES] as number;
  }

  /** Lookups that found the table full. */
  get fullCount(): number {
    return this.header[HEADER_FULL_COUNT] as number;
  }

  /** Capture time of the first full lookup, or -1. */
  get firstFullUs(): number {
    return this.fullCount > 0 ? (this.header[HEADER_FIRST_FULL_US] as number) : -1;
  }

  /** unique_on: ports counted as distinct without room in their slot's list (see DISTINCT_PORTS_PER_SLOT). */
  get distinctPortsNotKept(): number {
    return this.header[HEADER_PORTS_NOT_KEPT] as number;
  }

  /** Finds or creates the slot of `key` (KEY_WORDS words, word 0 non-zero); -1 when full. */
  lookup(key: Uint32Array, nowUs: number): number {
    const start = hashKey(key) & this.mask;
    let reusable = -1;
    let empty = -1;
    // The whole probe window is searched, empty slots included: an entry may
    // sit past an empty slot when it took an expired slot there.
    for (let i = 0; i < MAX_PROBES; i++) {
      const slot = (start + i) & this.mask;
      const base = slot * KEY_WORDS;
      if (this.keys[base] === 0) {
        if (empty < 0) empty = slot;
        continue;
      }
      if (this.keyEquals(base, key)) {
        this.isNew = false;
        return slot;
      }
      if (reusable < 0 && (this.reusableAfter[slot] as number) < nowUs) reusable = slot;
    }
    const header = this.header;
    let slot = reusable;
    if (slot < 0 && empty >= 0 && (header[HEADER_ENTRIES] as number) < this.maxEntries) {
      slot = empty;
      header[HEADER_ENTRIES]++;
    }
    if (slot < 0) {
      // The first full lookup keeps its time: firstFullUs reads it while fullCount > 0.
      if (header[HEADER_FULL_COUNT] === 0) header[HEADER_FIRST_FULL_US] = nowUs;
      header[HEADER_FULL_COUNT]++;
      return -1;
    }
    this.keys.set(key, slot * KEY_WORDS);
    this.windowStart[slot] = nowUs;
    this.reusableAfter[slot] = nowUs;
    this.aux[slot] = 0;
    this.count[slot] = 0;
    this.distinctCount[slot] = 0;
    this.isNew = true;
    return slot;
  }

  /** Starts a new window in `slot` at `nowUs`: count and distinct ports restart. */
  restartWindow(slot: number, nowUs: number): void {
    this.windowStart[slot] = nowUs;
    this.count[slot] = 0;
    this.distinctCount[slot] = 0;
  }

  /**
   * Adds `port` to the distinct ports of `slot`'s window and returns how
   * many distinct ports the window has seen, counting no further than
   * `maxCount + 1`.
   */
  addDistinctPort(slot: number, port: number, maxCount: number): number {
    const seen = this.distinctCount[slot] as number;
    if (seen > maxCount) return seen;
    const base = slot * DISTINCT_PORTS_PER_SLOT;
    const kept = seen < DISTINCT_PORTS_PER_SLOT ? seen : DISTINCT_PORTS_PER_SLOT;
    for (let i = 0; i < kept; i++) if (this.ports[base + i] === port) return seen;
    if (seen < DISTINCT_PORTS_PER_SLOT) this.ports[base + seen] = port;
    else if (seen < maxCount) this.header[HEADER_PORTS_NOT_KEPT]++;
    this.distinctCount[slot] = seen + 1;
    return seen + 1;
  }

  private keyEquals(base: number, key: Uint32Array): boolean {
    for (let w = 0; w < KEY_WORDS; w++) if (this.keys[base + w] !== key[w]) return false;
    return true;
  }
}

/** Mixes the key words (MurmurHash3's 32-bit finaliser on a running sum). */
function hashKey(key: Uint32Array): number {
  let h = 0x9747b28c;
  for (let w = 0; w < KEY_WORDS; w++) {
    h = Math.imul(h ^ (key[w] as number), 0xcc9e2d51);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Suppressions, threshold and rate_filter of one signature, with threshold.config applied. */
interface SignaturePlan {
  /** A suppress entry without track, so the rule never alerts; null when there is none. */
  suppressAll: SuppressEntry | null;
  suppressions: SuppressEntry[];
  /** The threshold or detection_filter in force, or null. */
  spec: ThresholdSpec | null;
  rate: RateFilterEntry | null;
}

/** The event raised the first time the threshold table is full. */
export interface ThresholdTableFull {
  /** Name of the event, for logs and EVE consumers. */
  event: 'detect.thresholds.table_full';
  entries: number;
  maxEntries: number;
  timestampUs: number;
}

/** Options of a ThresholdEngine. */
export interface ThresholdEngineOptions {
  /** Memory for threshold state (detect.thresholds.memcap). */
  memcapBytes?: number;
  /**
   * Buffer of the table, shared with the engines of other worker threads:
   * at least `ThresholdTable.bytesFor(memcapBytes)` bytes, and every engine
   * over it gets the same memcap. Without it the engine keeps its own table.
   */
  sharedBuffer?: SharedArrayBuffer;
  /**
   * Called once, the first time a new key finds the table full. Later full
   * lookups only raise `table.fullCount`.
   */
  onTableFull?: (info: ThresholdTableFull) => void;
}

/**
 * Decides whether a matched signature raises an alert, given its
 * threshold, detection_filter and the threshold.config entries.
 */
export class ThresholdEngine {
  readonly table: ThresholdTable;
  /** Set by shouldAlert: the rate_filter's new action, or -1 when the rule's own action applies. */
  actionOverride: number;
  /**
   * Set by shouldAlert: whether the rule's action (drop, reject) applies to
   * this packet. Suppressed, limited and backoff matches still drop; matches
   * before a threshold or detection_filter count do not.
   */
  applyAction: boolean;
  /** Set by shouldAlert: the rate_filter entry whose new action applies (actionOverride), or null. */
  rateFilterApplied: RateFilterEntry | null;
  /** Set by shouldAlert: the suppress entry that withheld the alert, or null. */
  suppressApplied: SuppressEntry | null;
  /** Alerts withheld by suppress, threshold or detection_filter (Suricata's detect.alerts_suppressed). */
  alertsSuppressed: number;
  /** rate_filter activations. */
  rateFilterActivations: number;

  private readonly entries: ThresholdConfigEntry[];
  private readonly plans: (SignaturePlan | undefined)[];
  private readonly key: Uint32Array;
  private readonly onTableFull: ((info: ThresholdTableFull) => void) | null;

  constructor(entries: ThresholdConfigEntry[] = [], options: ThresholdEngineOptions = {}) {
    this.table = new ThresholdTable(options.memcapBytes ?? DEFAULT_THRESHOLD_MEMCAP_BYTES, options.sharedBuffer ?? null);
    this.actionOverride = -1;
    this.applyAction = true;
    this.rateFilterApplied = null;
    this.suppressApplied = null;
    this.alertsSuppressed = 0;
    this.rateFilterActivations = 0;
    this.entries = entries;
    this.plans = [];
    this.key = new Uint32Array(KEY_WORDS);
    this.onTableFull = options.onTableFull ?? null;
  }

  /** Resolves the threshold.config entries of every signature once, at load. */
  prepare(sigs: readonly Signature[]): void {
    for (const sig of sigs) this.plans[sig.id] = this.planFor(sig);
  }

  /**
   * Returns true when `sig`, which matched `p`, raises an alert. Also sets
   * `applyAction` and `actionOverride` for this match. A PASS override
   * means the rate_filter turned the match into a pass: the caller logs no
   * alert for it. A DROP or REJECT override drops the packet with the
   * reason `threshold detection_filter`.
   */
  shouldAlert(sig: Signature, p: Packet, flow: Flow | null): boolean {
    this.actionOverride = -1;
    this.applyAction = true;
    this.rateFilterApplied = null;
    this.suppressApplied = null;
    let plan = this.plans[sig.id];
    if (plan === undefined) {
      plan = this.planFor(sig);
      this.plans[sig.id] = plan;
    }

    if (plan.suppressAll !== null || (plan.suppressions.length > 0 && this.isSuppressed(plan.suppressions, p))) {
      this.suppressApplied ??= plan.suppressAll;
      this.alertsSuppressed++;
      return false;
    }

    if (plan.spec !== null && !this.passesSpec(sig, plan.spec, p, flow)) {
      this.alertsSuppressed++;
      return false;
    }

    if (plan.rate !== null) this.applyRateFilter(sig, plan.rate, p, flow);
    return true;
  }

  /** Tells whether an entry of `suppressions` covers `p`; sets `suppressApplied` to it. */
  private isSuppressed(suppressions: SuppressEntry[], p: Packet): boolean {
    for (let i = 0; i < suppressions.length; i++) {
      const s = suppressions[i] as SuppressEntry;
      const ips = s.ips;
      if (ips === null || (s.track !== 'by_dst' && ips.contains(p.srcAddr, p.ipVersion)) || (s.track !== 'by_src' && ips.contains(p.dstAddr, p.ipVersion))) {
        this.suppressApplied = s;
        return true;
      }
    }
    return false;
  }

  /** Applies a threshold or detection_filter; returns whether the alert is raised. */
  private passesSpec(sig: Signature, spec: ThresholdSpec, p: Packet, flow: Flow | null): boolean {
    if (!this.fillKey(sig, spec.track, PURPOSE_THRESHOLD, p, flow)) return true;
    const now = p.timestampUs;
    const t = this.table;
    const slot = t.lookup(this.key, now);
    if (slot < 0) {
      this.reportFull(now);
      return this.decideWithoutState(spec);
    }

    const windowUs = spec.seconds * MICROS;
    if (!t.isNew && spec.kind !== 'backoff' && now - (t.windowStart[slot] as number) > windowUs) {
      // The window has passed: this match starts a new one.
      t.restartWindow(slot, now);
    }
    const count = (t.count[slot] as number) + 1;
    t.count[slot] = count;
    t.reusableAfter[slot] = spec.kind === 'backoff' ? Infinity : (t.windowStart[slot] as number) + windowUs;

    switch (spec.kind) {
      case 'limit':
        // At most `count` alerts per window; the action applies to every match.
        return count <= spec.count;
      case 'threshold':
        // An alert on every count-th match of the window.
        if (count >= spec.count) {
          t.count[slot] = 0;
          return true;
        }
        this.applyAction = false;
        return false;
      case 'both':
        // One alert per window, at the count-th match; the action applies from then on.
        this.applyAction = count >= spec.count;
        return count === spec.count;
      case 'backoff':
        return this.passesBackoff(spec, slot, count);
      case 'detection_filter': {
        const seen = spec.uniqueOn === undefined ? count : t.addDistinctPort(slot, spec.uniqueOn === 'src_port' ? p.srcPort : p.dstPort, spec.count);
        this.applyAction = seen > spec.count;
        return seen > spec.count;
      }
    }
  }

  /** backoff: alerts at matches count, count*m, count*m*m, ... per flow, without a window. */
  private passesBackoff(spec: ThresholdSpec, slot: number, count: number): boolean {
    const t = this.table;
    if (t.aux[slot] === 0) t.aux[slot] = spec.count;
    // The rule's action skips the first match when count > 1, per Suricata's documentation.
    this.applyAction = !(count === 1 && spec.count > 1);
    if (count !== t.aux[slot]) return false;
    t.aux[slot] = count * Math.max(2, spec.multiplier ?? 2);
    return true;
  }

  private reportFull(nowUs: number): void {
    if (this.onTableFull === null || this.table.fullCount !== 1) return;
    this.onTableFull({ event: 'detect.thresholds.table_full', entries: this.table.entries, maxEntries: this.table.maxEntries, timestampUs: nowUs });
  }

  /**
   * Decides a match when the table is full, as if it were the first match of
   * a new window: limit and both-with-count-1 alert, detection_filter does not.
   */
  private decideWithoutState(spec: ThresholdSpec): boolean {
    switch (spec.kind) {
      case 'limit':
        return true;
      case 'threshold':
      case 'both':
      case 'backoff':
        this.applyAction = spec.count <= 1;
        return spec.count <= 1;
      case 'detection_filter':
        this.applyAction = false;
        return false;
    }
  }

  /**
   * rate_filter: once more than `count` matches arrive within `seconds`,
   * the new action applies for `timeout` seconds. When the timeout ends,
   * counting starts again with the match at hand.
   */
  private applyRateFilter(sig: Signature, rf: RateFilterEntry, p: Packet, flow: Flow | null): void {
    if (!this.fillKey(sig, rf.track, PURPOSE_RATE, p, flow)) return;
    const now = p.timestampUs;
    const t = this.table;
    const slot = t.lookup(this.key, now);
    if (slot < 0) {
      this.reportFull(now);
      return;
    }
    const windowUs = rf.seconds * MICROS;
    const timeoutEnd = t.aux[slot] as number;
    if (timeoutEnd > 0) {
      if (now < timeoutEnd) {
        this.actionOverride = rf.newAction;
        this.rateFilterApplied = rf;
        return;
      }
      t.aux[slot] = 0;
      t.windowStart[slot] = now;
      t.count[slot] = 0;
    } else if (!t.isNew && now - (t.windowStart[slot] as number) > windowUs) {
      t.windowStart[slot] = now;
      t.count[slot] = 0;
    }
    const count = (t.count[slot] as number) + 1;
    t.count[slot] = count;
    t.reusableAfter[slot] = (t.windowStart[slot] as number) + windowUs;
    if (count > rf.count) {
      const end = now + rf.timeout * MICROS;
      t.aux[slot] = end;
      t.reusableAfter[slot] = end;
      this.rateFilterActivations++;
      this.actionOverride = rf.newAction;
      this.rateFilterApplied = rf;
    }
  }

  /**
   * Writes the table key of (sig, track) for `p` into `this.key`. Returns
   * false when the tracker cannot apply (by_flow without a flow), so the
   * match is not limited.
   */
  private fillKey(sig: Signature, track: ThresholdSpec['track'], purpose: number, p: Packet, flow: Flow | null): boolean {
    const key = this.key;
    key.fill(0);
    const code = TRACK_CODES[track];
    key[0] = purpose | code | (p.ipVersion << 12);
    key[1] = sig.id;
    switch (code) {
      case 1:
        writeAddress(key, 2, p.srcAddr, p.ipVersion);
        break;
      case 2:
        writeAddress(key, 2, p.dstAddr, p.ipVersion);
        break;
      case 3:
        key[0] = purpose | code;
        break;
      case 4: {
        // Both directions between two hosts share one entry: order the pair.
        const srcFirst = compareAddresses(p.srcAddr, p.dstAddr, p.ipVersion) <= 0;
        writeAddress(key, 2, srcFirst ? p.srcAddr : p.dstAddr, p.ipVersion);
        writeAddress(key, 6, srcFirst ? p.dstAddr : p.srcAddr, p.ipVersion);
        break;
      }
      case 5:
        if (flow === null) return false;
        key[0] = purpose | code;
        key[2] = flow.flowId % 0x1_0000_0000;
        key[3] = Math.floor(flow.flowId / 0x1_0000_0000);
        key[4] = flow.slot >>> 0;
        break;
    }
    return true;
  }

  private planFor(sig: Signature): SignaturePlan {
    const plan: SignaturePlan = { suppressAll: null, suppressions: [], spec: sig.threshold ?? sig.detectionFilter, rate: null };
    const hasOwn = sig.threshold !== null || sig.detectionFilter !== null;
    let exactSpec: ThresholdSpec | null = null;
    let wildcardSpec: ThresholdSpec | null = null;
    let exactRate: RateFilterEntry | null = null;
    let wildcardRate: RateFilterEntry | null = null;
    for (const entry of this.entries) {
      const exact = entry.sid !== 0;
      if (exact ? entry.sid !== sig.sid || (entry.gid !== 0 && entry.gid !== sig.gid) : entry.gid !== 0 && entry.gid !== sig.gid) {
        continue;
      }
      if (entry.type === 'suppress') {
        if (entry.track === null) plan.suppressAll ??= entry;
        else plan.suppressions.push(entry);
      } else if (entry.type === 'threshold') {
        // A later line for the same rule replaces an earlier one.
        if (exact) exactSpec = entry.spec;
        else wildcardSpec ??= entry.spec;
      } else if (exact) {
        exactRate ??= entry;
      } else {
        wildcardRate ??= entry;
      }
    }
    // An entry for the rule replaces its own threshold or detection_filter;
    // a gen_id/sig_id 0 entry only applies to rules that have neither.
    if (exactSpec !== null) plan.spec = exactSpec;
    else if (!hasOwn && wildcardSpec !== null) plan.spec = wildcardSpec;
    plan.rate = exactRate ?? wildcardRate;
    return plan;
  }
}

/** Writes 4 address words at `at` (IPv4 uses the first word only). */
function writeAddress(key: Uint32Array, at: number, addr: Uint8Array, ipVersion: number): void {
  const words = ipVersion === 6 ? 4 : 1;
  for (let w = 0; w < words; w++) {
    const i = w * 4;
    key[at + w] = (((addr[i] as number) << 24) | ((addr[i + 1] as number) << 16) | ((addr[i + 2] as number) << 8) | (addr[i + 3] as number)) >>> 0;
  }
}

function compareAddresses(a: Uint8Array, b: Uint8Array, ipVersion: number): number {
  const n = ipVersion === 6 ? 16 : 4;
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
