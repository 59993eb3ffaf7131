/**
 * A read-ahead window over a file, filled with fs.readSync into one reused
 * buffer. Capture readers ask for `ensure(n)` bytes at `start` and read them
 * from `data`; memory stays at the window size whatever the file size.
 */
import { closeSync, readSync } from 'node:fs';

/** Initial window size. It grows (in powers of two) only for larger records. */
export const READ_WINDOW_BYTES = 1 << 20;

export class ReadBuffer {
  /** The window. Bytes [start, end) are valid file data. */
  data: Uint8Array;
  start: number;
  end: number;
  /** File offset of data[0]. */
  fileOffset: number;
  private fd: number;
  private isEof: boolean;

  constructor(fd: number) {
    this.data = new Uint8Array(READ_WINDOW_BYTES);
    this.start = 0;
    this.end = 0;
    this.fileOffset = 0;
    this.fd = fd;
    this.isEof = false;
  }

  /** Number of unread bytes in the window. */
  get available(): number {
    return this.end - this.start;
  }

  /** File offset of the next unread byte. */
  get position(): number {
    return this.fileOffset + this.start;
  }

  /**
   * Makes `n` unread bytes available from `start`, reading more of the file
   * when needed. Returns false when the file ends first. Moving or growing
   * the window invalidates views taken from `data` earlier.
   */
  ensure(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (this.isEof) return false;

    if (n > this.data.length) {
      let size = this.data.length;
      while (size < n) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.data.subarray(this.start, this.end));
      this.fileOffset += this.start;
      this.end -= this.start;
      this.start = 0;
      this.data = grown;
    } else if (this.start > 0) {
      this.data.copyWithin(0, this.start, this.end);
      this.fileOffset += this.start;
      this.end -= this.start;
      this.start = 0;
    }

    while (this.end - this.start < n) {
      const read = readSync(this.fd, this.data, this.end, this.data.length - this.end, null);
      if (read === 0) {
        this.isEof = true;
        return false;
      }
      this.end += read;
    }
    return true;
  }

  /** Skips `n` bytes, reading past the window when it is shorter. Returns false at end of file. */
  skip(n: number): boolean {
    let left = n;
    while (left > 0) {
      if (this.start === this.end && !this.ensure(1)) return false;
      const step = Math.min(left, this.end - this.start);
      this.start += step;
      left -= step;
    }
    return true;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
