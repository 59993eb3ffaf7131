/**
 * Decompression of gzip and deflate bodies (RFC 9110 section 8.4.1) with
 * node:zlib, synchronously, and of LZMA bodies with the decoder in lzma.ts. node:zlib has no public synchronous streaming
 * call. So the decoder keeps the compressed bytes of one body and
 * inflates them again from the start each time REINFLATE_STEP_BYTES more
 * have arrived, and once more at the end. Each step returns only the new
 * output. The work is bounded because both the kept input
 * (maxInputBytes) and the output (maxOutputBytes) are bounded.
 * When the output passes maxOutputBytes, the output of that last step is
 * dropped (node:zlib returns none), so up to one step of output short of
 * the limit can be missing.
 *
 * Runs per body step, not per packet.
 */
import { constants, inflateRawSync, inflateSync } from 'node:zlib';
import { lzmaDecode } from './lzma.js';

/** Compression of a body. */
export const Coding = {
  GZIP: 1,
  DEFLATE: 2,
  /** LZMA "alone" format (Content-Encoding: lzma). */
  LZMA: 3,
} as const;

/** Result flags of a decode step. */
export const DecodeFlag = {
  /**
   * The data is invalid. When nothing was decoded before, the decoder
   * passes the body through as sent from then on, as libhtp does for a
   * body labelled compressed that is not. Otherwise it stops.
   */
  FAILED: 0x01,
  /** The output reached maxOutputBytes; later output is dropped. */
  OUTPUT_LIMIT: 0x02,
  /** The kept input reached maxInputBytes; later input is not decoded. */
  INPUT_LIMIT: 0x04,
} as const;

/** Compressed bytes that must arrive before the body is inflated again. */
export const REINFLATE_STEP_BYTES = 16 * 1024;

/** Incremental decoder for one compressed body. */
export class BodyDecoder {
  readonly coding: number;
  readonly maxOutputBytes: number;
  readonly maxInputBytes: number;
  /** DecodeFlag bits raised so far. */
  flags: number;
  /** Decoded bytes returned so far. */
  outputLength: number;
  private input: Uint8Array;
  private inputLength: number;
  private inflatedAt: number;
  private isRawDeflate: boolean;
  private isPassthrough: boolean;
  /** Format of the body once its first bytes are known. */
  private format: number;

  constructor(coding: number, maxOutputBytes: number, maxInputBytes: number) {
    this.coding = coding;
    this.maxOutputBytes = maxOutputBytes;
    this.maxInputBytes = maxInputBytes;
    this.flags = 0;
    this.outputLength = 0;
    this.input = new Uint8Array(4096);
    this.inputLength = 0;
    this.inflatedAt = 0;
    this.isRawDeflate = false;
    this.isPassthrough = false;
    this.format = Format.UNKNOWN;
  }

  /** Adds compressed bytes; returns newly decoded bytes (possibly empty). */
  push(bytes: Uint8Array, start: number, length: number): Uint8Array {
    if (this.isPassthrough) return bytes.slice(start, start + length);
    if ((this.flags & (DecodeFlag.FAILED | DecodeFlag.OUTPUT_LIMIT)) !== 0) return EMPTY;
    let take = length;
    if (this.inputLength + take > this.maxInputBytes) {
      take = this.maxInputBytes - this.inputLength;
      this.flags |= DecodeFlag.INPUT_LIMIT;
    }
    if (take > 0) this.append(bytes, start, take);
    if (this.inputLength - this.inflatedAt < REINFLATE_STEP_BYTES) return EMPTY;
    return this.inflate();
  }

  /** Decodes what is left at the end of the body. */
  finish(): Uint8Array {
    if ((this.flags & (DecodeFlag.FAILED | DecodeFlag.OUTPUT_LIMIT)) !== 0) return EMPTY;
    if (this.inflatedAt === this.inputLength) return EMPTY;
    return this.inflate();
  }

  private append(bytes: Uint8Array, start: number, n: number): void {
    if (this.inputLength + n > this.input.length) {
      const grown = new Uint8Array(Math.max(this.input.length * 2, this.inputLength + n));
      grown.set(this.input.subarray(0, this.inputLength));
      this.input = grown;
    }
    this.input.set(bytes.subarray(start, start + n), this.inputLength);
    this.inputLength += n;
  }

  private inflate(): Uint8Array {
    this.inflatedAt = this.inputLength;
    const data = this.input.subarray(0, this.inputLength);
    // One byte past the limit distinguishes a body that ends exactly at the
    // limit from one that goes on.
    const options = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: this.maxOutputBytes + 1 };

    let out: Uint8Array;
    try {
      out = this.inflateOnce(data, options);
    } catch (err) {
      if (err instanceof RangeError) {
        // The output passed maxOutputLength. node:zlib returns no partial
        // output then, so the output of this last step is dropped.
        this.flags |= DecodeFlag.OUTPUT_LIMIT;
        return EMPTY;
      }
      if (this.format === Format.DEFLATE && !this.isRawDeflate && this.outputLength === 0) {
        // RFC 9110 names zlib-wrapped data "deflate", but some servers send
        // raw deflate (under either label): retry raw, as libhtp does.
        this.isRawDeflate = true;
        return this.inflate();
      }
      this.flags |= DecodeFlag.FAILED;
      if (this.outputLength > 0) return EMPTY;
      this.isPassthrough = true;
      return this.input.slice(0, this.inputLength);
    }

    if (out.length > this.maxOutputBytes) {
      out = out.subarray(0, this.maxOutputBytes);
      this.flags |= DecodeFlag.OUTPUT_LIMIT;
    }
    if (out.length <= this.outputLength) return EMPTY;
    const fresh = out.subarray(this.outputLength);
    this.outputLength = out.length;
    return fresh;
  }

  private inflateOnce(data: Uint8Array, options: { finishFlush: number; maxOutputLength: number }): Uint8Array {
    if (this.coding === Coding.LZMA) return lzmaDecode(data, options.maxOutputLength - 1);
    if (this.format === Format.UNKNOWN) this.format = detectFormat(data, this.coding);
    if (this.format === Format.GZIP) {
      // The gzip header is read here and the trailer is not checked, as
      // libhtp: reserved flag bits, a wrong CRC-32 or size, or a missing
      // trailer still give the inflated data.
      const header = gzipHeaderLength(data);
      if (header < 0) return EMPTY;
      return inflateRawSync(data.subarray(header), options);
    }
    if (this.isRawDeflate) return inflateRawSync(data, options);
    return inflateSync(data, options);
  }
}

/** Framing found at the start of a compressed body. */
const Format = {
  UNKNOWN: 0,
  GZIP: 1,
  /** zlib-wrapped deflate, or raw deflate after a retry. */
  DEFLATE: 2,
} as const;

const GZIP_FLAG_HCRC = 0x02;
const GZIP_FLAG_EXTRA = 0x04;
const GZIP_FLAG_NAME = 0x08;
const GZIP_FLAG_COMMENT = 0x10;

/**
 * Picks the framing from the first bytes: the gzip magic (RFC 1952
 * section 2.3.1) means a gzip member whatever the label says, as libhtp
 * decodes either label with either framing.
 */
function detectFormat(data: Uint8Array, coding: number): number {
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return Format.GZIP;
  if (data.length < 2 && coding === Coding.GZIP) return Format.UNKNOWN;
  return Format.DEFLATE;
}

/**
 * Returns the length of the gzip member header at the start of `data`
 * (RFC 1952 section 2.3), or -1 while it is incomplete. Flag bits
 * outside FHCRC, FEXTRA, FNAME and FCOMMENT are ignored.
 */
function gzipHeaderLength(data: Uint8Array): number {
  if (data.length < 10) return -1;
  const flags = data[3];
  let at = 10;
  if ((flags & GZIP_FLAG_EXTRA) !== 0) {
    if (data.length < at + 2) return -1;
    at += 2 + (data[at] | (data[at + 1] << 8));
  }
  if ((flags & GZIP_FLAG_NAME) !== 0) {
    while (at < data.length && data[at] !== 0) at++;
    at++;
  }
  if ((flags & GZIP_FLAG_COMMENT) !== 0) {
    while (at < data.length && data[at] !== 0) at++;
    at++;
  }
  if ((flags & GZIP_FLAG_HCRC) !== 0) at += 2;
  return at > data.length ? -1 : at;
}

const EMPTY = new Uint8Array(0);
