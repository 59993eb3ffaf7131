/**
 * The order gate of a worker thread. Every record a worker reads carries
 * an order key, increasing over the whole input, and each worker reads its
 * records in key order. A worker about to touch shared state for the record
 * with key K waits until every other worker's head record (the one it works
 * on or reads next) has a key above K: then every earlier record is
 * finished, and no later one can have touched the state. The worker with
 * the lowest key never waits, so the workers cannot wait on each other in
 * a circle. The dispatcher publishes records in groups, so the gate first
 * waits until the publication that carried record K is complete.
 */
import type { OrderGate } from '../../core/order-gate.js';
import type { PacketRing } from './packet-ring.js';

/** Milliseconds of one sleep on another worker's ring head. */
const WAIT_SLICE_MS = 10;

export class RingOrderGate implements OrderGate {
  /** Order key of the record being processed; the worker loop sets it. */
  currentKey: number;
  /** Times `enter` had to wait for another worker. */
  waits: number;

  private enteredKey: number;

  private readonly published: BigInt64Array;

  /** `publishedKey` is the dispatcher's (Dispatcher, createPublishedKeyBuffer). */
  constructor(
    private readonly self: number,
    private readonly rings: readonly PacketRing[],
    publishedKey: SharedArrayBuffer,
  ) {
    this.published = new BigInt64Array(publishedKey);
    this.currentKey = -1;
    this.enteredKey = -1;
    this.waits = 0;
  }

  enter(): void {
    const key = this.currentKey;
    if (key === this.enteredKey) return;
    // Every record below the key is visible once the dispatcher's publication that carried this one is complete.
    const wanted = BigInt(key);
    for (;;) {
      const published = Atomics.load(this.published, 0);
      if (published >= wanted) break;
      Atomics.wait(this.published, 0, published, WAIT_SLICE_MS);
    }
    const rings = this.rings;
    for (let i = 0; i < rings.length; i++) {
      if (i === this.self) continue;
      const ring = rings[i] as PacketRing;
      if (ring.headKey() > key) continue;
      this.waits++;
      while (ring.headKey() < key) ring.waitForHeadMove(WAIT_SLICE_MS);
    }
    this.enteredKey = key;
  }
}
