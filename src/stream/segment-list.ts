/**
 * The data of one TCP stream direction: segment records placed by stream
 * offset (sequence number minus the first data sequence number, so no
 * wrap-around), and one byte buffer that contains the bytes of every
 * offset from `dataBase` on.
 *
 * Records are kept sorted by start in typed arrays that grow in steps, so
 * inserting a segment allocates nothing once the arrays are large enough.
 * Overlapping records are kept apart, because the overlap policy decides
 * per pair of segments. The byte buffer contains the bytes that won.
 */
import { isNewDataPreferred } from './overlap-policy.js';

/** Records allocated for a stream at its first segment; the arrays double from there. */
export const INITIAL_SEGMENT_RECORDS = 16;
/** Bytes a segment record costs against `stream.memcap` (two float64 offsets). */
export const SEGMENT_RECORD_BYTES = 16;
/**
 * Most segment records of one stream direction. Past it, records that touch
 * are merged, so a stream of tiny segments cannot make every insert scan
 * millions of records.
 */
export const MAX_SEGMENT_RECORDS = 4096;
/** The byte buffer grows in multiples of this many bytes. */
export const STREAM_BUFFER_STEP_BYTES = 4096;

/** Memory counted against one memcap; shared by every stream of a reassembler. */
export class MemoryBudget {
  /** Bytes in use. */
  used: number;
  /** Most bytes in use at any time since the start. */
  peak: number;
  /** Maximum bytes, or 0 for no limit. */
  readonly limit: number;

  constructor(limit: number) {
    this.used = 0;
    this.peak = 0;
    this.limit = limit;
  }

  /** Reserves `bytes`; returns false, reserving nothing, when that would pass the limit. */
  reserve(bytes: number): boolean {
    if (this.limit > 0 && this.used + bytes > this.limit) return false;
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
  }
}

/** Results of `SegmentList.insert`. */
export const InsertStatus = {
  /** Stored; `lastOverlap` and `lastDifferentData` describe overlaps. */
  OK: 0,
  /** Nothing stored: the whole segment lies before the released data. */
  BEFORE_BASE: 1,
  /** Nothing stored: the stream buffer could not grow within `stream.reassembly.memcap`. */
  REASSEMBLY_MEMCAP: 2,
  /** Nothing stored: the segment records could not grow within `stream.memcap` or MAX_SEGMENT_RECORDS. */
  STREAM_MEMCAP: 3,
} as const;

/** Segment records and bytes of one stream direction. */
export class SegmentList {
  /** Stream offsets of each record, [starts[i], ends[i]), sorted by start; `count` are valid. */
  starts: Float64Array;
  ends: Float64Array;
  count: number;
  /** data[i] is the byte at stream offset dataBase + i. */
  data: Uint8Array;
  dataBase: number;
  /** Offsets below this were released; segments are trimmed to start here. */
  releasedBase: number;
  /** Largest record end. */
  maxEnd: number;
  /** The last insert overlapped stored data. */
  lastOverlap: boolean;
  /** The last insert overlapped stored data with different bytes. */
  lastDifferentData: boolean;

  private readonly recordBudget: MemoryBudget;
  private readonly dataBudget: MemoryBudget;

  constructor(recordBudget: MemoryBudget, dataBudget: MemoryBudget) {
    this.starts = new Float64Array(0);
    this.ends = new Float64Array(0);
    this.count = 0;
    this.data = new Uint8Array(0);
    this.dataBase = 0;
    this.releasedBase = 0;
    this.maxEnd = 0;
    this.lastOverlap = false;
    this.lastDifferentData = false;
    this.recordBudget = recordBudget;
    this.dataBudget = dataBudget;
  }

  /** Bytes this list uses against the two memcaps. */
  memoryBytes(): number {
    return this.starts.length * SEGMENT_RECORD_BYTES + this.data.length;
  }

  /**
   * Returns the buffers to the budgets when every stored byte was
   * released, keeping the offsets, so a stream that is over holds no
   * memory while its flow waits for the timeout.
   */
  freeIfReleased(): void {
    if (this.count > 0 || this.maxEnd > this.releasedBase) return;
    this.recordBudget.release(this.starts.length * SEGMENT_RECORD_BYTES);
    this.dataBudget.release(this.data.length);
    this.starts = new Float64Array(0);
    this.ends = new Float64Array(0);
    this.data = new Uint8Array(0);
    this.dataBase = this.releasedBase;
  }

  /** Empties the list and returns its memory to the budgets, so a pooled list can serve a new stream. */
  reset(): void {
    this.recordBudget.release(this.starts.length * SEGMENT_RECORD_BYTES);
    this.dataBudget.release(this.data.length);
    this.starts = new Float64Array(0);
    this.ends = new Float64Array(0);
    this.data = new Uint8Array(0);
    this.count = 0;
    this.dataBase = 0;
    this.releasedBase = 0;
    this.maxEnd = 0;
    this.lastOverlap = false;
    this.lastDifferentData = false;
  }

  /** Offset just past the last stored byte, or `releasedBase` when empty. */
  endOffset(): number {
    return Math.max(this.maxEnd, this.releasedBase);
  }

  /** Returns the end of the data contiguous from `from`: `from` itself when no record covers it. */
  contiguousEnd(from: number): number {
    let reach = from;
    for (let i = 0; i < this.count; i++) {
      if (this.starts[i] > reach) break;
      if (this.ends[i] > reach) reach = this.ends[i];
    }
    return reach;
  }

  /** Returns the start of the contiguous data that reaches offset `at` (`at` itself when none does). */
  blockStart(at: number): number {
    let start = at;
    let end = -1;
    for (let i = 0; i < this.count; i++) {
      const recordStart = this.starts[i] as number;
      if (recordStart > at) break;
      if (recordStart > end) start = recordStart;
      if ((this.ends[i] as number) > end) end = this.ends[i] as number;
    }
    return end >= at ? start : at;
  }

  /**
   * Counts the regions of the stored data: blocks of records where each
   * record starts at most `gapBytes` past the data before it. Returns 1
   * for an empty list, as a stream always has its first region.
   */
  regionCount(gapBytes: number): number {
    let regions = 1;
    let reach = -1;
    for (let i = 0; i < this.count; i++) {
      const start = this.starts[i] as number;
      if (reach >= 0 && start > reach + gapBytes) regions++;
      if ((this.ends[i] as number) > reach) reach = this.ends[i] as number;
    }
    return regions;
  }

  /** Returns the start of the first record that begins at or after `from`, or -1. */
  nextStart(from: number): number {
    for (let i = 0; i < this.count; i++) {
      if (this.starts[i] >= from) return this.starts[i];
    }
    return -1;
  }

  /**
   * Stores `length` bytes of `src` from `srcStart` at stream offset
   * `offset`. Where they overlap stored data, `keepFirst` keeps the stored
   * bytes (in-line mode); otherwise `policy` (OsPolicy) decides per
   * overlapped record. `scratch` must hold `length` bytes. Returns an
   * InsertStatus.
   */
  insert(src: Uint8Array, srcStart: number, length: number, offset: number, policy: number, keepFirst: boolean, scratch: Uint8Array): number {
    this.lastOverlap = false;
    this.lastDifferentData = false;
    let start = offset;
    let end = offset + length;
    if (end <= this.releasedBase) return InsertStatus.BEFORE_BASE;
    if (start < this.releasedBase) {
      srcStart += this.releasedBase - start;
      start = this.releasedBase;
    }
    const span = end - start;
    if (!this.ensureRecordRoom()) return InsertStatus.STREAM_MEMCAP;
    if (!this.ensureDataRoom(end)) return InsertStatus.REASSEMBLY_MEMCAP;

    // Start from the new bytes, then put back the stored bytes wherever the old segment wins.
    scratch.set(src.subarray(srcStart, srcStart + span), 0);
    const data = this.data;
    const base = this.dataBase;
    let isDuplicate = false;
    for (let i = 0; i < this.count; i++) {
      const oldStart = this.starts[i];
      const oldEnd = this.ends[i];
      if (oldStart >= end) break;
      if (oldEnd <= start) continue;
      if (oldStart === start && oldEnd === end) isDuplicate = true;
      this.lastOverlap = true;
      const from = Math.max(start, oldStart);
      const to = Math.min(end, oldEnd);
      let isDifferent = false;
      for (let at = from; at < to; at++) {
        if (data[at - base] !== scratch[at - start]) {
          isDifferent = true;
          break;
        }
      }
      if (!isDifferent) continue;
      this.lastDifferentData = true;
      if (!keepFirst && isNewDataPreferred(policy, start, end, oldStart, oldEnd)) continue;
      scratch.set(data.subarray(from - base, to - base), from - start);
    }
    data.set(scratch.subarray(0, span), start - base);
    if (!isDuplicate) this.addRecord(start, end);
    return InsertStatus.OK;
  }

  /** Copies the stored bytes of [start, start + length) into `out` from `outStart`. */
  copyOut(start: number, length: number, out: Uint8Array, outStart: number): void {
    const from = start - this.dataBase;
    out.set(this.data.subarray(from, from + length), outStart);
  }

  /**
   * Releases everything before offset `upTo`: records that end there are
   * removed, and the buffer may drop those bytes when it next grows.
   */
  release(upTo: number): void {
    if (upTo <= this.releasedBase) return;
    this.releasedBase = upTo;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.ends[i] <= upTo) continue;
      this.starts[kept] = this.starts[i] < upTo ? upTo : this.starts[i];
      this.ends[kept] = this.ends[i];
      kept++;
    }
    this.count = kept;
  }

  private addRecord(start: number, end: number): void {
    let at = this.count;
    while (at > 0 && this.starts[at - 1] > start) {
      this.starts[at] = this.starts[at - 1];
      this.ends[at] = this.ends[at - 1];
      at--;
    }
    this.starts[at] = start;
    this.ends[at] = end;
    this.count++;
    if (end > this.maxEnd) this.maxEnd = end;
  }

  /**
   * Merges records that touch or overlap into one.
   * NOTE: a merged record counts as one old segment in later overlap
   * decisions, so past MAX_SEGMENT_RECORDS the policies see coarser
   * segments than the host did.
   */
  private mergeRecords(): void {
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      if (kept > 0 && (this.starts[i] as number) <= (this.ends[kept - 1] as number)) {
        if ((this.ends[i] as number) > (this.ends[kept - 1] as number)) this.ends[kept - 1] = this.ends[i] as number;
        continue;
      }
      this.starts[kept] = this.starts[i] as number;
      this.ends[kept] = this.ends[i] as number;
      kept++;
    }
    this.count = kept;
  }

  private ensureRecordRoom(): boolean {
    if (this.count >= MAX_SEGMENT_RECORDS) this.mergeRecords();
    if (this.count < this.starts.length) return true;
    if (this.count >= MAX_SEGMENT_RECORDS) return false;
    const capacity = this.starts.length === 0 ? INITIAL_SEGMENT_RECORDS : this.starts.length * 2;
    if (!this.recordBudget.reserve((capacity - this.starts.length) * SEGMENT_RECORD_BYTES)) return false;
    const starts = new Float64Array(capacity);
    starts.set(this.starts.subarray(0, this.count));
    const ends = new Float64Array(capacity);
    ends.set(this.ends.subarray(0, this.count));
    this.starts = starts;
    this.ends = ends;
    return true;
  }

  /**
   * Makes the buffer cover offsets up to `end`. Released bytes at its front
   * are dropped first; it grows only when that is not enough.
   */
  private ensureDataRoom(end: number): boolean {
    if (this.data.length === 0) this.dataBase = this.releasedBase;
    if (end - this.dataBase <= this.data.length) return true;
    const dropped = this.releasedBase - this.dataBase;
    if (dropped > 0) {
      this.data.copyWithin(0, dropped);
      this.dataBase = this.releasedBase;
      if (end - this.dataBase <= this.data.length) return true;
    }
    const needed = end - this.dataBase;
    let capacity = Math.max(STREAM_BUFFER_STEP_BYTES, this.data.length * 2);
    while (capacity < needed) capacity *= 2;
    if (!this.dataBudget.reserve(capacity - this.data.length)) return false;
    const data = new Uint8Array(capacity);
    data.set(this.data);
    this.data = data;
    return true;
  }
}
