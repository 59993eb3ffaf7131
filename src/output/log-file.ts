/**
 * A line-oriented log file written through one large buffer: lines are
 * copied into the buffer and reach the file in one write per batch, not
 * one per event. reopen() supports log rotation (logrotate moves the file,
 * then kapu reopens the path and starts a new file).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { KapuError, ErrorCode } from '../core/errors.js';

/**
 * Buffer size of a log file. One write per 1 MiB keeps system calls to a
 * few per thousand events at typical EVE line sizes (300 to 1500 bytes).
 */
export const DEFAULT_LOG_BUFFER_BYTES = 1024 * 1024;

export interface LogFileOptions {
  /** Buffer size in bytes (default DEFAULT_LOG_BUFFER_BYTES). */
  bufferBytes?: number;
  /** Append to an existing file (default true); false truncates it at open. */
  append?: boolean;
  /**
   * Flush at least this often, in milliseconds, so a quiet live capture
   * still reaches the file; 0 (default) flushes only when the buffer fills
   * or on flush(), reopen() and close().
   */
  flushIntervalMs?: number;
}

/** A log file with a write buffer. */
export class BufferedLogFile {
  readonly path: string;
  private readonly buffer: Buffer;
  private offset: number;
  private fd: number;
  private readonly append: boolean;
  /** Lines accepted since open. */
  linesWritten: number;
  /** Bytes handed to the operating system since open. */
  bytesFlushed: number;
  /** Writes to the file (batches) since open. */
  flushes: number;
  private timer: NodeJS.Timeout | null;

  constructor(path: string, options: LogFileOptions = {}) {
    this.path = path;
    this.buffer = Buffer.allocUnsafe(options.bufferBytes ?? DEFAULT_LOG_BUFFER_BYTES);
    this.offset = 0;
    this.append = options.append ?? true;
    this.linesWritten = 0;
    this.bytesFlushed = 0;
    this.flushes = 0;
    this.fd = this.open(this.append);
    this.timer = null;
    const interval = options.flushIntervalMs ?? 0;
    if (interval > 0) {
      this.timer = setInterval(() => this.flush(), interval);
      // The timer must not keep the process alive once the run is over.
      this.timer.unref();
    }
  }

  /** Appends `line` and a newline. The line reaches the file at the next flush. */
  writeLine(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8, plus 1 for the newline.
    const worstCase = line.length * 3 + 1;
    if (worstCase > this.buffer.length - this.offset) {
      this.flush();
      if (worstCase > this.buffer.length) {
        this.writeAll(Buffer.from(line + '\n', 'utf8'));
        this.linesWritten++;
        return;
      }
    }
    this.offset += this.buffer.write(line, this.offset, 'utf8');
    this.buffer[this.offset++] = 0x0a;
    this.linesWritten++;
  }

  /** Writes the buffered lines to the file. */
  flush(): void {
    if (this.offset === 0) return;
    this.writeAll(this.buffer.subarray(0, this.offset));
    this.offset = 0;
  }

  /**
   * Flushes, closes and opens the path again in append mode, so after a
   * rotation moved the old file away, new lines go to a new file.
   */
  reopen(): void {
    this.flush();
    closeSync(this.fd);
    this.fd = this.open(true);
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  // NOTE: writes are synchronous, one per batch, in the calling thread. A
  // slow disk therefore delays the caller for the duration of one write.
  private writeAll(data: Buffer): void {
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done);
    this.bytesFlushed += data.length;
    this.flushes++;
  }

  private open(append: boolean): number {
    try {
      return openSync(this.path, append ? 'a' : 'w', 0o640);
    } catch (err) {
      throw new KapuError(ErrorCode.OUTPUT_OPEN_FAILED, `${this.path}: failed to open log file (${(err as Error).message})`, {
        cause: err,
      });
    }
  }
}
