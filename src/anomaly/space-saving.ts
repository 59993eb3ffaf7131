/**
 * Space-Saving heavy hitters over 32-bit keys, in typed arrays.
 *
 * The summary keeps at most k keys with a count and an error each. A key
 * already kept adds its weight. A new key takes a free slot, or else
 * replaces the key with the smallest count c_min, inheriting c_min as its
 * error and starting at c_min + weight. With N the total weight seen:
 * - every kept key's true weight lies in [count - error, count];
 * - every error is at most N / k;
 * - every key whose true weight exceeds N / k is kept.
 *
 * Keys are unsigned 32-bit numbers: an IPv4 address as it is, an IPv6
 * address or any other item through a 32-bit hash (sampler.ts), where two
 * items with the same hash share a counter.
 *
 * The slots form a binary min-heap on count, so finding and replacing the
 * minimum costs O(log k). A chained hash index maps keys to slots without
 * allocation.
 */

/** Largest k accepted. A top-K table beyond this is a flow table, not a summary. */
export const MAX_SPACE_SAVING_CAPACITY = 1 << 20;

/** One entry of a top-K list: the key, its counted weight and the overcount bound. */
export interface HeavyHitter {
  key: number;
  count: number;
  error: number;
}

/** A Space-Saving summary of capacity k; `add` is the per-packet call and allocates nothing. */
export class SpaceSaving {
  readonly capacity: number;
  /** Total weight added. */
  total: number;
  /** Keys kept, at most `capacity`. */
  size: number;
  private readonly keys: Uint32Array;
  private readonly counts: Float64Array;
  private readonly errors: Float64Array;
  /** heap[i] is a slot; heap[0] has the smallest count. */
  private readonly heap: Int32Array;
  /** heapIndex[slot] is the slot's position in `heap`. */
  private readonly heapIndex: Int32Array;
  /** Hash index: first slot of each bucket, -1 when empty; `chainNext` links slots of one bucket. */
  private readonly bucketHeads: Int32Array;
  private readonly chainNext: Int32Array;
  private readonly bucketMask: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_SPACE_SAVING_CAPACITY) {
      throw new RangeError(`Space-Saving capacity ${capacity} is invalid (expected an integer 1..${MAX_SPACE_SAVING_CAPACITY})`);
    }
    this.capacity = capacity;
    this.total = 0;
    this.size = 0;
    this.keys = new Uint32Array(capacity);
    this.counts = new Float64Array(capacity);
    this.errors = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.heapIndex = new Int32Array(capacity);
    let buckets = 1;
    while (buckets < capacity * 2) buckets <<= 1;
    this.bucketHeads = new Int32Array(buckets).fill(-1);
    this.chainNext = new Int32Array(capacity).fill(-1);
    this.bucketMask = buckets - 1;
  }

  /** Adds `weight` (packets, bytes) to `key`. */
  add(key: number, weight: number): void {
    key >>>= 0;
    this.total += weight;
    const found = this.findSlot(key);
    if (found >= 0) {
      this.counts[found] += weight;
      this.siftDown(this.heapIndex[found]);
      return;
    }

    if (this.size < this.capacity) {
      const slot = this.size++;
      this.keys[slot] = key;
      this.counts[slot] = weight;
      this.errors[slot] = 0;
      this.linkSlot(slot);
      this.heap[slot] = slot;
      this.heapIndex[slot] = slot;
      this.siftUp(slot);
      return;
    }

    const slot = this.heap[0];
    const minimum = this.counts[slot];
    this.unlinkSlot(slot);
    this.keys[slot] = key;
    this.linkSlot(slot);
    this.errors[slot] = minimum;
    this.counts[slot] = minimum + weight;
    this.siftDown(0);
  }

  /** Returns the counted weight of `key`, or 0 when it is not kept (its true weight is then at most the minimum count). */
  countOf(key: number): number {
    const slot = this.findSlot(key >>> 0);
    return slot >= 0 ? this.counts[slot] : 0;
  }

  /** Returns the kept keys with the largest counts, largest first, at most `limit`. */
  top(limit: number): HeavyHitter[] {
    const entries: HeavyHitter[] = [];
    for (let slot = 0; slot < this.size; slot++) {
      entries.push({ key: this.keys[slot], count: this.counts[slot], error: this.errors[slot] });
    }
    entries.sort((a, b) => b.count - a.count || a.key - b.key);
    return entries.slice(0, limit);
  }

  /** Empties the summary, for example at the start of a new window. */
  clear(): void {
    this.total = 0;
    this.size = 0;
    this.bucketHeads.fill(-1);
    this.chainNext.fill(-1);
  }

  private bucketOf(key: number): number {
    return (Math.imul(key, 0x9e3779b1) >>> 8) & this.bucketMask;
  }

  private findSlot(key: number): number {
    let slot = this.bucketHeads[this.bucketOf(key)];
    while (slot >= 0) {
      if (this.keys[slot] === key) return slot;
      slot = this.chainNext[slot];
    }
    return -1;
  }

  private linkSlot(slot: number): void {
    const bucket = this.bucketOf(this.keys[slot]);
    this.chainNext[slot] = this.bucketHeads[bucket];
    this.bucketHeads[bucket] = slot;
  }

  private unlinkSlot(slot: number): void {
    const bucket = this.bucketOf(this.keys[slot]);
    let current = this.bucketHeads[bucket];
    if (current === slot) {
      this.bucketHeads[bucket] = this.chainNext[slot];
      return;
    }
    while (current >= 0) {
      const next = this.chainNext[current];
      if (next === slot) {
        this.chainNext[current] = this.chainNext[slot];
        return;
      }
      current = next;
    }
  }

  private siftUp(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.counts[this.heap[parent]] <= this.counts[this.heap[at]]) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private siftDown(at: number): void {
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.size) return;
      const right = left + 1;
      let smallest = left;
      if (right < this.size && this.counts[this.heap[right]] < this.counts[this.heap[left]]) smallest = right;
      if (this.counts[this.heap[at]] <= this.counts[this.heap[smallest]]) return;
      this.swap(at, smallest);
      at = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const slotA = this.heap[a];
    const slotB = this.heap[b];
    this.heap[a] = slotB;
    this.heap[b] = slotA;
    this.heapIndex[slotB] = a;
    this.heapIndex[slotA] = b;
  }
}
