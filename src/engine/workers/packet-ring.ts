/**
 * A one-writer, one-reader ring of records in shared memory: the
 * dispatcher writes packets and control records, one worker reads them.
 * Other workers may look at the record at the head (`headKey`) to learn
 * how far this worker has come, which the order gate needs.
 *
 * Layout: a control block of Int32 words (head and tail as free-running
 * byte counters, and counts of threads sleeping on either) and a data
 * area whose size is a power of two. Each record starts on an 8-byte
 * boundary with a 48-byte header:
 *
 *   0  u32 record bytes (header, payload and padding)
 *   4  u32 kind (RecordKind)
 *   8  f64 order key
 *  16  f64 timestamp in microseconds
 *  24  u32 captured length     28  u32 wire length
 *  32  u32 link type           36  u32 flags (RecordFlag)
 *  40  f64 pcap count
 *  48  u32 token: the packet's place in its live batch, or a verdict's
 *  52  u32 source: the live source the packet came from
 *
 * A record that does not fit before the end of the area is preceded by a
 * PAD record that fills the rest, and starts again at offset 0.
 *
 * The reader advances the head only when it has finished with a record,
 * so the head record is always the one in progress (or the next one).
 */

/** Kinds of record. */
export const RecordKind = {
  /** A captured frame; the payload is its bytes. */
  PACKET: 1,
  /** Capture time advanced to a new second: flows may time out. */
  TICK: 2,
  /** The next packets come from another capture file; the payload is its path in UTF-8. */
  FILE: 3,
  /** The end of the input: finish every flow and report. */
  END: 4,
  /** Filler up to the end of the data area. */
  PAD: 5,
  /** Worker to main thread: the verdict of the live packet `token` of `source`; wire length 1 means dropped. */
  VERDICT: 6,
  /** Live run without traffic: end the flows that timed out at the record's timestamp (wall time). */
  EXPIRE: 7,
  /** Post the counters to the main thread for a stats event. */
  STATS: 8,
  /** Reload the rules (SIGUSR2 or the control socket). */
  RELOAD: 9,
  /** Reopen the log files (SIGHUP). */
  REOPEN: 10,
} as const;

/** Bits of a record's flags. */
export const RecordFlag = {
  /** The kernel has not filled in the checksums yet (NFQUEUE offload or GSO). */
  CHECKSUM_OFFLOADED: 1,
} as const;

const HEAD = 0;
const TAIL = 1;
/** Threads of other workers sleeping on the head (order gate); woken at every move. */
const HEAD_WAITERS = 2;
const TAIL_WAITERS = 3;
/** 1 while the writer sleeps for room; woken once a quarter of the ring is free. */
const WRITER_WAITING = 4;
const CONTROL_WORDS = 5;

export const RECORD_HEADER_BYTES = 56;

/** Milliseconds of one sleep while waiting; a missed wake-up costs at most this. */
const WAIT_SLICE_MS = 20;

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Thrown to a writer waiting on a ring whose reader has failed. */
export class RingAbortedError extends Error {
  constructor() {
    super('a worker thread failed');
    this.name = 'RingAbortedError';
  }
}

/** The shared memory of one ring, passed to the worker that reads it. */
export interface RingBuffers {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

/** Allocates a ring of `dataBytes` (rounded up to a power of two, at least 64 KiB). */
export function createRingBuffers(dataBytes: number): RingBuffers {
  const size = 2 ** Math.ceil(Math.log2(Math.max(65536, dataBytes)));
  return { control: new SharedArrayBuffer(CONTROL_WORDS * 4), data: new SharedArrayBuffer(size) };
}

/** One side of a ring; the writer and the reader each build their own over the same buffers. */
export class PacketRing {
  readonly capacity: number;
  /** The payload of the record `read` returned last. */
  payload: Uint8Array;
  /** Header fields of the record `read` returned last. */
  kind: number;
  key: number;
  timestampUs: number;
  captureLength: number;
  wireLength: number;
  linkType: number;
  pcapCount: number;
  flags: number;
  token: number;
  source: number;

  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly mask: number;
  private readonly abort: Int32Array | null;
  /** Writer side: where the next record goes, and records not yet published. */
  private writeTail: number;
  private unpublished: number;
  /** Bytes of the record `read` returned last, released by `release`. */
  private pendingBytes: number;

  /**
   * `abort` is a shared flag: when its word 0 is not 0, a writer waiting
   * for room throws instead of waiting on (a reader thread has failed).
   */
  constructor(buffers: RingBuffers, abort: Int32Array | null = null) {
    this.abort = abort;
    this.control = new Int32Array(buffers.control);
    this.bytes = new Uint8Array(buffers.data);
    this.view = new DataView(buffers.data);
    this.capacity = buffers.data.byteLength;
    this.mask = this.capacity - 1;
    this.payload = this.bytes.subarray(0, 0);
    this.kind = 0;
    this.key = 0;
    this.timestampUs = 0;
    this.captureLength = 0;
    this.wireLength = 0;
    this.linkType = 0;
    this.pcapCount = 0;
    this.flags = 0;
    this.token = 0;
    this.source = 0;
    this.pendingBytes = 0;
    this.writeTail = Atomics.load(this.control, TAIL) >>> 0;
    this.unpublished = 0;
  }

  /** Largest payload one record can carry. */
  get maxPayload(): number {
    return (this.capacity >>> 1) - RECORD_HEADER_BYTES;
  }

  // ---- writer side ----

  /**
   * Writes one record after the last one written, without publishing it
   * (see `publish`). Returns false, writing nothing, when the ring has no
   * room for it; RangeError when `payload` is larger than maxPayload.
   */
  write(kind: number, key: number, timestampUs: number, payload: Uint8Array, wireLength: number, linkType: number, pcapCount: number, flags = 0, token = 0, source = 0): boolean {
    if (payload.length > this.maxPayload) throw new RangeError(`a record of ${payload.length} bytes does not fit a ring of ${this.capacity} bytes`);
    const recordBytes = align8(RECORD_HEADER_BYTES + payload.length);
    const tail = this.writeTail;
    let at = tail & this.mask;
    const toEnd = this.capacity - at;
    const needed = toEnd < recordBytes ? toEnd + recordBytes : recordBytes;
    const head = Atomics.load(this.control, HEAD) >>> 0;
    if (this.capacity - ((tail - head) >>> 0) < needed) return false;

    let newTail = tail;
    const v = this.view;
    if (toEnd < recordBytes) {
      v.setUint32(at, toEnd, true);
      v.setUint32(at + 4, RecordKind.PAD, true);
      newTail = (newTail + toEnd) >>> 0;
      at = 0;
    }

    v.setUint32(at, recordBytes, true);
    v.setUint32(at + 4, kind, true);
    v.setFloat64(at + 8, key, true);
    v.setFloat64(at + 16, timestampUs, true);
    v.setUint32(at + 24, payload.length, true);
    v.setUint32(at + 28, wireLength, true);
    v.setUint32(at + 32, linkType, true);
    v.setUint32(at + 36, flags, true);
    v.setFloat64(at + 40, pcapCount, true);
    v.setUint32(at + 48, token, true);
    v.setUint32(at + 52, source, true);
    this.bytes.set(payload, at + RECORD_HEADER_BYTES);
    this.writeTail = (newTail + recordBytes) >>> 0;
    this.unpublished++;
    return true;
  }

  /** Makes the records written so far visible to the reader, and wakes it when it sleeps. */
  publish(): void {
    if (this.unpublished === 0) return;
    this.unpublished = 0;
    const control = this.control;
    Atomics.store(control, TAIL, this.writeTail | 0);
    if (Atomics.load(control, TAIL_WAITERS) > 0) Atomics.notify(control, TAIL);
  }

  /**
   * Sleeps until the reader has freed a quarter of the ring, or
   * WAIT_SLICE_MS pass. The caller publishes first, or the reader has
   * nothing to free. Throws RingAbortedError when a worker failed.
   */
  waitForRoom(): void {
    const control = this.control;
    if (this.abort !== null && Atomics.load(this.abort, 0) !== 0) throw new RingAbortedError();
    const head = Atomics.load(control, HEAD);
    if (this.capacity - ((this.writeTail - (head >>> 0)) >>> 0) >= this.capacity >>> 2) return;
    Atomics.store(control, WRITER_WAITING, 1);
    Atomics.wait(control, HEAD, head, WAIT_SLICE_MS);
    Atomics.store(control, WRITER_WAITING, 0);
  }

  // ---- reader side ----

  /**
   * Reads the next record into the header fields and `payload`, waiting
   * up to `timeoutMs` for one. Returns false when none came. The record
   * stays the head until `release`.
   */
  read(timeoutMs: number): boolean {
    const control = this.control;
    const head = Atomics.load(control, HEAD) >>> 0;
    let tail = Atomics.load(control, TAIL) >>> 0;
    if (head === tail) {
      if (timeoutMs <= 0) return false;
      Atomics.add(control, TAIL_WAITERS, 1);
      Atomics.wait(control, TAIL, tail | 0, timeoutMs);
      Atomics.sub(control, TAIL_WAITERS, 1);
      tail = Atomics.load(control, TAIL) >>> 0;
      if (head === tail) return false;
    }
    let at = head & this.mask;
    const v = this.view;
    let skipped = 0;
    if (v.getUint32(at + 4, true) === RecordKind.PAD) {
      skipped = v.getUint32(at, true);
      at = 0;
    }
    const recordBytes = v.getUint32(at, true);
    this.kind = v.getUint32(at + 4, true);
    this.key = v.getFloat64(at + 8, true);
    this.timestampUs = v.getFloat64(at + 16, true);
    this.captureLength = v.getUint32(at + 24, true);
    this.wireLength = v.getUint32(at + 28, true);
    this.linkType = v.getUint32(at + 32, true);
    this.pcapCount = v.getFloat64(at + 40, true);
    this.flags = v.getUint32(at + 36, true);
    this.token = v.getUint32(at + 48, true);
    this.source = v.getUint32(at + 52, true);
    const start = at + RECORD_HEADER_BYTES;
    this.payload = this.bytes.subarray(start, start + this.captureLength);
    this.pendingBytes = skipped + recordBytes;
    return true;
  }

  /** Frees the record `read` returned, making the next one the head. */
  release(): void {
    const control = this.control;
    const head = Atomics.load(control, HEAD) >>> 0;
    const newHead = (head + this.pendingBytes) >>> 0;
    Atomics.store(control, HEAD, newHead | 0);
    this.pendingBytes = 0;
    if (Atomics.load(control, HEAD_WAITERS) > 0) {
      Atomics.notify(control, HEAD);
    } else if (Atomics.load(control, WRITER_WAITING) !== 0) {
      const used = ((Atomics.load(control, TAIL) >>> 0) - newHead) >>> 0;
      if (used <= this.capacity - (this.capacity >>> 2)) Atomics.notify(control, HEAD);
    }
  }

  // ---- any thread ----

  /**
   * Returns the order key of the head record (the one the reader works
   * on or reads next), or Infinity when the ring is empty.
   */
  headKey(): number {
    const control = this.control;
    for (;;) {
      const head = Atomics.load(control, HEAD);
      const tail = Atomics.load(control, TAIL);
      if (head === tail) return Infinity;
      let at = (head >>> 0) & this.mask;
      if (this.view.getUint32(at + 4, true) === RecordKind.PAD) at = 0;
      const key = this.view.getFloat64(at + 8, true);
      // The record read is valid only if the head did not move meanwhile.
      if (Atomics.load(control, HEAD) === head) return key;
    }
  }

  /** Sleeps until the head moves from where it is now, or `timeoutMs` pass. */
  waitForHeadMove(timeoutMs: number): void {
    const control = this.control;
    const head = Atomics.load(control, HEAD);
    Atomics.add(control, HEAD_WAITERS, 1);
    if (Atomics.load(control, HEAD) === head) Atomics.wait(control, HEAD, head, timeoutMs);
    Atomics.sub(control, HEAD_WAITERS, 1);
  }

}
