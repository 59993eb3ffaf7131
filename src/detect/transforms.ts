/**
 * Transforms of sticky buffers, as Suricata 8 runs them: each one rewrites
 * the bytes of a buffer before the buffer's keywords and its prefilter see
 * them, and transforms chain in rule order. Suricata: rules/transforms.html.
 *
 * A transformed buffer is its own buffer instance, named after its source
 * and its transforms (`http.uri|to_lowercase`), so the same sticky buffer
 * can be inspected raw and transformed in one rule. The detection engine
 * wraps the source's provider in a TransformedBufferProvider for each such
 * name, which writes the result into scratch buffers that it owns.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type RE2 from 're2';
import type { Flow } from '../flow/flow.js';
import type { Packet } from '../core/packet.js';
import type { BufferView } from './keywords/header-buffers.js';
import type { BufferInspection, BufferTransform, BufferTransforms, InspectionMatch } from './signature.js';
import type { InspectContext } from './inspect-context.js';
import { inspectBuffer } from './inspect.js';
import { findNamePart, type NameRange, type PublicSuffixList } from './public-suffix.js';

/** Separator between the source buffer and each transform in a transformed buffer's name. */
export const TRANSFORM_NAME_SEPARATOR = '|';

/**
 * Maximum transforms of one buffer instance, Suricata's
 * DETECT_TRANSFORMS_MAX (16 in its detect.h). A rule that names more is
 * an error.
 */
export const MAX_TRANSFORMS = 16;

/** Tells whether `c` is white space as C's isspace() counts it: space, \t, \n, \v, \f, \r. */
export function isSpaceByte(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isUpperByte(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

function isLowerByte(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Base class for transforms whose output is never longer than the input and that accept any content. */
abstract class SameLengthTransform implements BufferTransform {
  abstract readonly keyword: string;

  maxOutputLength(inputLength: number): number {
    return inputLength;
  }

  abstract apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number;

  checkContent(_pattern: Uint8Array): string | null {
    return null;
  }
}

/** `to_lowercase` (Suricata 8): ASCII letters A-Z become a-z. */
export class ToLowercaseTransform extends SameLengthTransform {
  readonly keyword = 'to_lowercase';

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    for (let i = 0; i < length; i++) {
      const c = input[start + i];
      out[i] = isUpperByte(c) ? c + 0x20 : c;
    }
    return length;
  }

  override checkContent(pattern: Uint8Array): string | null {
    return pattern.some(isUpperByte) ? 'the pattern has upper-case letters, which to_lowercase removes' : null;
  }
}

/** `to_uppercase` (Suricata 8): ASCII letters a-z become A-Z. */
export class ToUppercaseTransform extends SameLengthTransform {
  readonly keyword = 'to_uppercase';

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    for (let i = 0; i < length; i++) {
      const c = input[start + i];
      out[i] = isLowerByte(c) ? c - 0x20 : c;
    }
    return length;
  }

  override checkContent(pattern: Uint8Array): string | null {
    return pattern.some(isLowerByte) ? 'the pattern has lower-case letters, which to_uppercase removes' : null;
  }
}

/** `strip_whitespace`: removes every white-space byte. */
export class StripWhitespaceTransform extends SameLengthTransform {
  readonly keyword = 'strip_whitespace';

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let n = 0;
    for (let i = 0; i < length; i++) {
      const c = input[start + i];
      if (!isSpaceByte(c)) out[n++] = c;
    }
    return n;
  }

  override checkContent(pattern: Uint8Array): string | null {
    return pattern.some(isSpaceByte) ? 'the pattern has white space, which strip_whitespace removes' : null;
  }
}

/**
 * `compress_whitespace`: each run of white-space bytes shrinks to its first
 * byte, as Suricata 8 does it (its documentation says "a single space",
 * but a tab that starts a run stays a tab).
 */
export class CompressWhitespaceTransform extends SameLengthTransform {
  readonly keyword = 'compress_whitespace';

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let n = 0;
    let isInRun = false;
    for (let i = 0; i < length; i++) {
      const c = input[start + i];
      const isSpace = isSpaceByte(c);
      if (!isSpace || !isInRun) out[n++] = c;
      isInRun = isSpace;
    }
    return n;
  }

  override checkContent(pattern: Uint8Array): string | null {
    for (let i = 1; i < pattern.length; i++) {
      if (isSpaceByte(pattern[i - 1]) && isSpaceByte(pattern[i])) {
        return 'the pattern has consecutive white space, which compress_whitespace turns into one space';
      }
    }
    return null;
  }
}

/**
 * `url_decode`: `%XX` with two hex digits becomes that byte and `+`
 * becomes a space. A `%` without two hex digits after it is kept, with
 * the byte that broke the escape copied as it is, as Suricata 8 does
 * (`%%41` stays `%%41`, `%4+` stays `%4+`).
 */
export class UrlDecodeTransform extends SameLengthTransform {
  readonly keyword = 'url_decode';

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let n = 0;
    // Hex digits seen after the last '%': -1 outside an escape, else 0 or 1.
    let digits = -1;
    let high = 0;
    for (let i = 0; i < length; i++) {
      const c = input[start + i];
      if (digits < 0) {
        if (c === 0x25) digits = 0;
        else out[n++] = c === 0x2b ? 0x20 : c;
        continue;
      }
      const value = hexValue(c);
      if (value >= 0 && digits === 0) {
        high = c;
        digits = 1;
      } else if (value >= 0) {
        out[n++] = (hexValue(high) << 4) | value;
        digits = -1;
      } else {
        out[n++] = 0x25;
        if (digits === 1) out[n++] = high;
        out[n++] = c;
        digits = -1;
      }
    }
    if (digits >= 0) {
      out[n++] = 0x25;
      if (digits === 1) out[n++] = high;
    }
    return n;
  }
}

/** `dotprefix`: puts a `.` before the buffer, so `.example.com` matches whole domain labels. */
export class DotPrefixTransform implements BufferTransform {
  readonly keyword = 'dotprefix';

  maxOutputLength(inputLength: number): number {
    return inputLength + 1;
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    // As in Suricata, an empty buffer stays empty.
    if (length === 0) return 0;
    out[0] = 0x2e;
    out.set(input.subarray(start, start + length), 1);
    return length + 1;
  }

  checkContent(_pattern: Uint8Array): string | null {
    return null;
  }
}

/** `to_md5`, `to_sha1`, `to_sha256`: the buffer becomes its raw digest. */
export class HashTransform implements BufferTransform {
  readonly keyword: string;
  private readonly algorithm: string;
  private readonly digestBytes: number;

  constructor(keyword: 'to_md5' | 'to_sha1' | 'to_sha256') {
    this.keyword = keyword;
    this.algorithm = keyword.slice(3);
    if (keyword === 'to_md5') this.digestBytes = 16;
    else if (keyword === 'to_sha1') this.digestBytes = 20;
    else this.digestBytes = 32;
  }

  maxOutputLength(_inputLength: number): number {
    return this.digestBytes;
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    // As in Suricata, an empty buffer stays empty rather than becoming the digest of nothing.
    if (length === 0) return 0;
    // NOTE: node:crypto allocates a Hash object and a digest Buffer per call.
    const digest = createHash(this.algorithm).update(input.subarray(start, start + length)).digest();
    out.set(digest, 0);
    return this.digestBytes;
  }

  checkContent(_pattern: Uint8Array): string | null {
    return null;
  }
}

/**
 * `header_lowercase` (Suricata 8): in a header list of `Name: value`
 * lines ended by CRLF (http.header, http.header_names), the header names
 * become lower case and the values stay as they are.
 */
export class HeaderLowercaseTransform extends SameLengthTransform {
  readonly keyword = 'header_lowercase';

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let isInName = true;
    for (let i = 0; i < length; i++) {
      const c = input[start + i];
      if (c === 0x0a) {
        isInName = true;
        out[i] = c;
        continue;
      }
      if (isInName && c === 0x3a) isInName = false;
      out[i] = isInName && isUpperByte(c) ? c + 0x20 : c;
    }
    return length;
  }
}

/**
 * `strip_pseudo_headers` (Suricata 8): removes the lines that start with
 * `:`, the HTTP/2 pseudo-headers (`:method`, `:path`, ...), with their
 * line end, from a header list.
 */
export class StripPseudoHeadersTransform extends SameLengthTransform {
  readonly keyword = 'strip_pseudo_headers';

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let n = 0;
    let lineStart = 0;
    while (lineStart < length) {
      let lineEnd = lineStart;
      while (lineEnd < length && input[start + lineEnd] !== 0x0a) lineEnd++;
      // The line with its LF, when it has one.
      const next = lineEnd < length ? lineEnd + 1 : lineEnd;
      if (input[start + lineStart] !== 0x3a) {
        for (let i = lineStart; i < next; i++) out[n++] = input[start + i];
      }
      lineStart = next;
    }
    return n;
  }
}

/**
 * `xor`: XORs each byte from `dataOffset` on with the key byte at its
 * distance from `dataOffset` modulo the key length. The key is either
 * fixed in the rule (`xor:"0d0ac8ff"`) or, in Suricata 9, read from the
 * buffer itself (`xor:offset 1, extract 1 0` takes one key byte at
 * offset 0). Bytes before `dataOffset` are copied as they are.
 */
export class XorTransform extends SameLengthTransform {
  readonly keyword = 'xor';
  /** Fixed key, or null when the key is read from the buffer. */
  readonly key: Uint8Array | null;
  /** Key length in bytes, and the buffer offset of a key read from the buffer. */
  readonly keyLength: number;
  readonly keyOffset: number;
  readonly dataOffset: number;
  /** Scratch copy of a key read from the buffer. */
  private readonly extracted: Uint8Array;

  /** `key` null reads `keyLength` bytes at `keyOffset` of each buffer. */
  constructor(key: Uint8Array | null, keyLength = key === null ? 0 : key.length, keyOffset = 0, dataOffset = 0) {
    super();
    this.key = key;
    this.keyLength = keyLength;
    this.keyOffset = keyOffset;
    this.dataOffset = dataOffset;
    this.extracted = new Uint8Array(key === null ? keyLength : 0);
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let key = this.key;
    // NOTE: Suricata 9's option description leaves open what a buffer too
    // short for the key or the data offset becomes. Here it stays as it is.
    if (key === null) {
      if (this.keyOffset + this.keyLength > length) return copyBytes(input, start, length, out);
      key = this.extracted;
      for (let i = 0; i < key.length; i++) key[i] = input[start + this.keyOffset + i];
    }
    if (this.dataOffset > length) return copyBytes(input, start, length, out);

    for (let i = 0; i < this.dataOffset; i++) out[i] = input[start + i];
    let k = 0;
    for (let i = this.dataOffset; i < length; i++) {
      out[i] = input[start + i] ^ key[k];
      k++;
      if (k === key.length) k = 0;
    }
    return length;
  }
}

function copyBytes(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
  out.set(input.subarray(start, start + length), 0);
  return length;
}

/**
 * `pcrexform:"<regex>"`: the buffer becomes the capture group of the
 * regular expression's first match, and stays as it is when nothing
 * matches. The regex runs on RE2 over Latin-1 text, as `pcre` does.
 */
export class PcreXformTransform extends SameLengthTransform {
  readonly keyword = 'pcrexform';
  readonly regex: RE2;

  constructor(regex: RE2) {
    super();
    this.regex = regex;
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    // NOTE: the Latin-1 text and the match array are allocated per call.
    const text = Buffer.from(input.buffer, input.byteOffset + start, length).toString('latin1');
    this.regex.lastIndex = 0;
    const found = this.regex.exec(text);
    const capture = found === null ? undefined : found[1];
    if (capture === undefined) {
      out.set(input.subarray(start, start + length), 0);
      return length;
    }
    for (let i = 0; i < capture.length; i++) out[i] = capture.charCodeAt(i) & 0xff;
    return capture.length;
  }
}

/**
 * `subslice:<offset>[, <nbytes>][, truncate]` (Suricata 9): the buffer
 * becomes `nbytes` bytes from `offset`. A negative offset counts from the
 * end of the buffer. A negative `nbytes` ends the slice that many bytes
 * before the end, and without `nbytes` the slice runs to the end. A slice
 * that reaches outside the buffer becomes an empty buffer (on which
 * `bsize:0` matches), unless `truncate` clips it to the buffer.
 */
export class SubsliceTransform extends SameLengthTransform {
  readonly keyword = 'subslice';
  readonly offset: number;
  /** Null when the slice runs to the end of the buffer. */
  readonly nbytes: number | null;
  readonly isTruncate: boolean;

  constructor(offset: number, nbytes: number | null, isTruncate: boolean) {
    super();
    this.offset = offset;
    this.nbytes = nbytes;
    this.isTruncate = isTruncate;
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let first = this.offset >= 0 ? this.offset : length + this.offset;
    if (first > length) return 0;
    if (first < 0) {
      if (!this.isTruncate) return 0;
      first = 0;
    }

    let end = length;
    const nbytes = this.nbytes;
    if (nbytes !== null && nbytes >= 0) end = first + nbytes;
    else if (nbytes !== null) end = length + nbytes;
    if (end > length) {
      if (!this.isTruncate) return 0;
      end = length;
    }
    if (end <= first) return 0;

    out.set(input.subarray(start + first, start + end), 0);
    return end - first;
  }
}

/**
 * `domain` and `tld` (Suricata 8): a domain name becomes its registrable
 * domain (`www.bbc.co.uk` becomes `bbc.co.uk`) or its public suffix
 * (`co.uk`), by the Public Suffix List.
 */
export class DomainPartTransform extends SameLengthTransform {
  readonly keyword: string;
  private readonly list: PublicSuffixList;
  private readonly isDomain: boolean;
  private readonly range: NameRange;

  constructor(keyword: 'domain' | 'tld', list: PublicSuffixList) {
    super();
    this.keyword = keyword;
    this.list = list;
    this.isDomain = keyword === 'domain';
    this.range = { start: -1, length: 0 };
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    const range = this.range;
    findNamePart(this.list, input, start, length, this.isDomain, range);
    // NOTE: a name without that part (the domain of `co.uk`) becomes an
    // empty buffer. Suricata's documentation does not say what it yields.
    if (range.start < 0) return 0;
    out.set(input.subarray(start + range.start, start + range.start + range.length), 0);
    return range.length;
  }
}

/** Decoding modes of `from_base64`. */
export const Base64Mode = {
  /** RFC 4648: decoding stops at the first byte outside the alphabet. */
  RFC4648: 0,
  /** RFC 2045: bytes outside the alphabet are skipped. */
  RFC2045: 1,
  /** Strict: any byte outside the alphabet, or a length not a multiple of 4, fails the decoding. */
  STRICT: 2,
} as const;

/** Value of each base64 alphabet byte (RFC 4648 section 4), -1 for other bytes. */
const BASE64_VALUES: Int8Array = buildBase64Values();

function buildBase64Values(): Int8Array {
  const values = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
}

/**
 * Decodes base64 from input[start, start + length) into `out` and returns
 * the decoded length, or -1 when strict decoding fails. Padding (`=`) ends
 * the data. A final group of two or three characters yields one or two
 * bytes; a single leftover character yields nothing.
 */
export function decodeBase64(input: Uint8Array, start: number, length: number, mode: number, out: Uint8Array): number {
  let n = 0;
  let quantum = 0;
  let count = 0;
  const end = start + length;
  if (mode === Base64Mode.STRICT && length % 4 !== 0) return -1;
  for (let i = start; i < end; i++) {
    const c = input[i];
    if (c === 0x3d) {
      if (mode === Base64Mode.STRICT) {
        // Only one or two `=` at the very end are padding.
        for (let j = i; j < end; j++) if (input[j] !== 0x3d) return -1;
        if (end - i > 2) return -1;
      }
      break;
    }
    const v = BASE64_VALUES[c];
    if (v < 0) {
      if (mode === Base64Mode.RFC2045) continue;
      if (mode === Base64Mode.STRICT) return -1;
      break;
    }
    quantum = (quantum << 6) | v;
    count++;
    if (count === 4) {
      out[n++] = (quantum >>> 16) & 0xff;
      out[n++] = (quantum >>> 8) & 0xff;
      out[n++] = quantum & 0xff;
      quantum = 0;
      count = 0;
    }
  }
  if (count === 2) {
    out[n++] = (quantum >>> 4) & 0xff;
  } else if (count === 3) {
    out[n++] = (quantum >>> 10) & 0xff;
    out[n++] = (quantum >>> 2) & 0xff;
  }
  return n;
}

/**
 * `from_base64:[bytes N][, offset N][, mode rfc4648|rfc2045|strict]`
 * (Suricata 8): the buffer becomes the base64 decoding of `bytes` bytes
 * from `offset` (all of the rest by default). As in Suricata, the buffer
 * stays as it is when the offset or the byte count reaches past its end,
 * or when the decoding fails or yields nothing.
 */
export class FromBase64Transform implements BufferTransform {
  readonly keyword = 'from_base64';
  readonly bytes: number;
  readonly offset: number;
  readonly mode: number;

  /** `bytes` 0 decodes up to the end of the buffer. */
  constructor(bytes: number, offset: number, mode: number) {
    this.bytes = bytes;
    this.offset = offset;
    this.mode = mode;
  }

  maxOutputLength(inputLength: number): number {
    return inputLength;
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    let count = length - this.offset;
    let decoded = -1;
    if (count >= 0 && this.bytes <= count) {
      if (this.bytes > 0) count = this.bytes;
      decoded = decodeBase64(input, start + this.offset, count, this.mode, out);
    }
    if (decoded > 0) return decoded;
    out.set(input.subarray(start, start + length), 0);
    return length;
  }

  checkContent(_pattern: Uint8Array): string | null {
    return null;
  }
}

/** Returns the name of the buffer instance that applies `steps` to `source`. */
export function transformedBufferName(source: string, steps: readonly BufferTransform[], labels: readonly string[]): string {
  let name = source;
  for (let i = 0; i < steps.length; i++) name += TRANSFORM_NAME_SEPARATOR + labels[i];
  return name;
}

/** Initial size of each scratch buffer of a BufferTransformer, which grows to twice the size needed. */
const INITIAL_SCRATCH_BYTES = 4096;

/**
 * Runs the transforms of one buffer instance over bytes that a view points
 * at, in order, into two scratch buffers that it reuses between packets
 * and grows when a buffer needs more room. The packet engine reaches it
 * through TransformedBufferProvider and transaction detection directly.
 */
export class BufferTransformer {
  private readonly steps: readonly BufferTransform[];
  private scratchA: Uint8Array;
  private scratchB: Uint8Array;
  private readonly anchor: readonly InspectionMatch[] | null;
  private readonly anchorStep: number;
  private readonly ctx: InspectContext | null;

  /** `ctx` runs the anchor keywords of `transforms`; it is needed only when they have some. */
  constructor(transforms: BufferTransforms, ctx: InspectContext | null = null) {
    this.steps = transforms.steps;
    this.anchor = transforms.anchor ?? null;
    this.anchorStep = transforms.anchorStep ?? 0;
    this.ctx = ctx;
    this.scratchA = new Uint8Array(INITIAL_SCRATCH_BYTES);
    this.scratchB = new Uint8Array(INITIAL_SCRATCH_BYTES);
  }

  /**
   * Points `view`, which shows the source buffer, at the transformed
   * bytes. Returns false when the anchor keywords do not match or a step
   * reports no buffer.
   */
  apply(view: BufferView): boolean {
    if (this.anchor === null) return this.transformView(view);

    if (!this.runSteps(view, 0, this.anchorStep)) return false;
    const ctx = this.ctx;
    if (ctx === null || !inspectBuffer(this.anchor, view.bytes, view.start, view.length, ctx)) return false;
    // The next step reads from the end of the anchor's match.
    view.start += ctx.bufferOffset;
    view.length -= ctx.bufferOffset;
    return this.runSteps(view, this.anchorStep, this.steps.length);
  }

  /**
   * Runs the transforms over the bytes `view` points at and points it at the
   * result. Returns false when a step reports no buffer.
   */
  transformView(view: BufferView): boolean {
    return this.runSteps(view, 0, this.steps.length);
  }

  /** Runs steps [first, end) over the bytes `view` points at, as transformView does. */
  private runSteps(view: BufferView, first: number, end: number): boolean {
    let input = view.bytes;
    let start = view.start;
    let length = view.length;
    for (let i = first; i < end; i++) {
      const step = this.steps[i];
      const needed = step.maxOutputLength(length);
      // Alternate between the two scratch buffers, so input and output never overlap.
      let target = input === this.scratchA ? this.scratchB : this.scratchA;
      if (target.length < needed) {
        target = new Uint8Array(needed * 2);
        if (input === this.scratchA) this.scratchB = target;
        else this.scratchA = target;
      }
      length = step.apply(input, start, length, target);
      if (length < 0) return false;
      input = target;
      start = 0;
    }
    view.bytes = input;
    view.start = start;
    view.length = length;
    return true;
  }
}

/**
 * Provides a transformed buffer to the packet engine: fills the source
 * buffer through its own provider, then runs a BufferTransformer over it.
 */
export class TransformedBufferProvider {
  readonly name: string;
  private readonly source: { fill(p: Packet, flow: Flow | null, out: BufferView): boolean };
  private readonly transformer: BufferTransformer;

  /** `ctx` runs the anchor keywords of `transforms`; it is needed only when they have some. */
  constructor(
    name: string,
    source: { fill(p: Packet, flow: Flow | null, out: BufferView): boolean },
    transforms: BufferTransforms,
    ctx: InspectContext | null = null,
  ) {
    this.name = name;
    this.source = source;
    this.transformer = new BufferTransformer(transforms, ctx);
  }

  fill(p: Packet, flow: Flow | null, out: BufferView): boolean {
    if (!this.source.fill(p, flow, out)) return false;
    return this.transformer.apply(out);
  }

  /** Runs the transforms alone (no anchor) over the bytes `view` points at. */
  transformView(view: BufferView): boolean {
    return this.transformer.transformView(view);
  }
}

/** Returns the name of the buffer whose bytes `inspection` reads: the source of its transforms, or its own name. */
export function sourceBufferOf(inspection: BufferInspection): string {
  return inspection.transforms === undefined ? inspection.buffer : inspection.transforms.source;
}
