/**
 * The `gunzip` and `zlib_deflate` transforms (Suricata 8.0.4) and the
 * bounded decompression behind them. The other transforms are in
 * transforms.ts.
 */
import { constants as zlibConstants, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
import type { BufferTransform } from './signature.js';

/**
 * Output bytes that one more input byte can add to a deflate stream, with
 * room to spare. A length and distance pair takes up to 48 bits with its
 * extra bits, so up to 47 bits can wait unfinished in the decoder. With 8
 * more bits at most 27 matches of 258 bytes complete, about 7 KB, since
 * each match takes at least 2 bits (RFC 1951 section 3.2.5).
 */
const MAX_INFLATE_BYTES_PER_INPUT_BYTE = 8192;

/**
 * Largest ratio of deflate output to input: a match of 258 bytes takes
 * at least 2 bits (RFC 1951 section 3.2.5), so one byte yields at most
 * 1032 (zeros compressed by node:zlib measured 1027:1). It keeps the
 * output buffer of a short input short whatever max-size allows.
 */
const MAX_DEFLATE_RATIO = 1032;

/** Format of the compressed data a DecompressTransform reads. */
export const CompressedFormat = {
  /** gzip (RFC 1952), for `gunzip`. */
  GZIP: 0,
  /** zlib (RFC 1950), for `zlib_deflate`. */
  ZLIB: 1,
} as const;

/**
 * Decompresses `input`, keeping at most `maxBytes` of the output.
 * Returns null when the data is invalid. A stream cut short yields what
 * its bytes decode to. The output stays bounded: each attempt stops once
 * it passes its own limit, and a stream whose output is too long is cut
 * at the longest input prefix whose output fits, plus one byte.
 */
export function decompressBounded(input: Uint8Array, format: number, maxBytes: number): Uint8Array | null {
  const full = tryInflate(input, input.length, format, maxBytes);
  if (full !== TOO_LARGE) return full;

  // Binary search for the longest input prefix whose output fits.
  let fits = 0;
  let tooLarge = input.length;
  while (tooLarge - fits > 1) {
    const middle = (fits + tooLarge) >>> 1;
    if (tryInflate(input, middle, format, maxBytes) === TOO_LARGE) tooLarge = middle;
    else fits = middle;
  }
  const longer = tryInflate(input, tooLarge, format, maxBytes + MAX_INFLATE_BYTES_PER_INPUT_BYTE);
  if (longer instanceof Uint8Array) return longer.subarray(0, maxBytes);
  const shorter = tryInflate(input, fits, format, maxBytes);
  return shorter instanceof Uint8Array ? shorter : null;
}

const TOO_LARGE = 1;

/**
 * Decompresses input[0, length) with sync flush, so a cut stream decodes
 * as far as it goes. Returns the output, null for invalid data, or
 * TOO_LARGE past `maxBytes`.
 */
function tryInflate(input: Uint8Array, length: number, format: number, maxBytes: number): Uint8Array | null | typeof TOO_LARGE {
  const options: ZlibOptions = { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, maxBytes) };
  const data = input.subarray(0, length);
  try {
    return format === CompressedFormat.GZIP ? gunzipSync(data, options) : inflateSync(data, options);
  } catch (err) {
    return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? TOO_LARGE : null;
  }
}

/**
 * `gunzip` and `zlib_deflate` (Suricata 8.0.4): the buffer becomes its
 * decompression, cut at `maxSize` bytes. Invalid data gives an empty
 * buffer, and an empty buffer stays empty, as in Suricata.
 */
export class DecompressTransform implements BufferTransform {
  readonly keyword: string;
  readonly format: number;
  readonly maxSize: number;

  constructor(keyword: 'gunzip' | 'zlib_deflate', maxSize: number) {
    this.keyword = keyword;
    this.format = keyword === 'gunzip' ? CompressedFormat.GZIP : CompressedFormat.ZLIB;
    this.maxSize = maxSize;
  }

  maxOutputLength(inputLength: number): number {
    return Math.min(this.maxSize, inputLength * MAX_DEFLATE_RATIO + 64);
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    if (length === 0) return 0;
    // NOTE: node:zlib allocates its output, and a `try` runs per call.
    const output = decompressBounded(input.subarray(start, start + length), this.format, this.maxSize);
    if (output === null) return 0;
    const count = Math.min(output.length, out.length);
    out.set(output.subarray(0, count), 0);
    return count;
  }

  checkContent(_pattern: Uint8Array): string | null {
    return null;
  }
}
