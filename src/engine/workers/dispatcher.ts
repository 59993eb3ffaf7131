/**
 * The writing side of the worker rings. Records are published in groups,
 * so a worker wakes once per group rather than once per record. A
 * publication makes every ring's records visible and then raises the
 * published key (the highest key written), which the order gate waits
 * for: once the published key reaches K, every record with a smaller key is
 * visible in every ring, so a worker holding record K can check the
 * others.
 */
import type { PacketRing } from './packet-ring.js';

/** Records written between two publications. */
const PUBLISH_EVERY_RECORDS = 64;

/** Allocates the shared word of the published key (a BigInt64Array over 8 bytes). */
export function createPublishedKeyBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

export class Dispatcher {
  private readonly published: BigInt64Array;
  private lastKey: number;
  private sincePublish: number;

  constructor(
    readonly rings: readonly PacketRing[],
    publishedKey: SharedArrayBuffer,
  ) {
    this.published = new BigInt64Array(publishedKey);
    this.lastKey = 0;
    this.sincePublish = 0;
  }

  /**
   * Writes one record to worker `worker`'s ring; keys must rise from call
   * to call. Waits while the ring is full, after publishing what was
   * written. Throws RingAbortedError when a worker failed.
   */
  write(worker: number, kind: number, key: number, timestampUs: number, payload: Uint8Array, wireLength: number, linkType: number, pcapCount: number, flags = 0, token = 0, source = 0): void {
    const ring = this.rings[worker] as PacketRing;
    while (!ring.write(kind, key, timestampUs, payload, wireLength, linkType, pcapCount, flags, token, source)) {
      this.publish();
      ring.waitForRoom();
    }
    this.lastKey = key;
    if (++this.sincePublish >= PUBLISH_EVERY_RECORDS) this.publish();
  }

  /** Makes every record written so far visible to the workers. */
  publish(): void {
    this.sincePublish = 0;
    for (const ring of this.rings) ring.publish();
    Atomics.store(this.published, 0, BigInt(this.lastKey));
    Atomics.notify(this.published, 0);
  }
}
