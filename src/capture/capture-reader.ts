/**
 * The base of the capture-file readers: the counters and the contract that
 * the pipeline reads packets through.
 */
import { CaptureError, ErrorCode } from '../core/errors.js';
import type { Packet } from '../core/packet.js';
import { ReadBuffer } from './read-buffer.js';

/** A packet source over one capture file. */
export abstract class CaptureReader {
  readonly path: string;
  abstract readonly format: 'pcap' | 'pcapng';
  /** Packets handed out so far. */
  packets: number;
  /** Captured bytes handed out so far. */
  bytes: number;
  /** Records cut short by the end of the file (0 or 1). */
  truncatedRecords: number;
  protected readonly input: ReadBuffer;

  protected constructor(path: string, input: ReadBuffer) {
    this.path = path;
    this.packets = 0;
    this.bytes = 0;
    this.truncatedRecords = 0;
    this.input = input;
  }

  /**
   * Fills `p` with the next packet (`p.reset(...)`) and returns true, or
   * returns false at the end of the file. The bytes are a view over the read
   * buffer and stay valid until the next call. Throws CaptureError when the
   * file is corrupt; a record cut short at the end of the file only ends the
   * capture and counts in `truncatedRecords`.
   */
  abstract next(p: Packet): boolean;

  /** Closes the file. Calling it twice is harmless. */
  close(): void {
    this.input.close();
  }

  /** Builds the CaptureError for a corrupt file, naming the file and the offset. */
  protected corrupt(offset: number, problem: string): CaptureError {
    return new CaptureError(ErrorCode.CAPTURE_BAD_FORMAT, `${this.path}: invalid ${this.format} file at byte ${offset}: ${problem}`);
  }
}
