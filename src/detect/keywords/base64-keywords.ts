/**
 * `base64_decode:[bytes <n>][, offset <n>][, relative]` and `base64_data`
 * (Suricata: rules/base64-keywords.html). `base64_decode` decodes base64
 * from the current buffer, from `offset` bytes after its start or, with
 * `relative`, after the end of the previous match, reading at most `bytes`
 * bytes (all of the rest by default). Decoding follows RFC 4648 and stops
 * at the first byte outside the alphabet. `base64_data` makes the keywords
 * after it inspect the decoded bytes, from their start.
 *
 * The decoded bytes are a buffer instance of their own, whose source is
 * the current buffer and whose anchor is the current buffer's keywords so
 * far (see TransformedBufferProvider in ../transforms.ts). A rule alerts
 * only when the decoding yields at least one byte, as in Suricata.
 */
import { ErrorCode } from '../../core/errors.js';
import { Base64Mode, decodeBase64 } from '../transforms.js';
import type { BufferTransform, BufferTransforms, KeywordDef, Signature, SignatureBuilder } from '../signature.js';
import { findInspection, selectTransformedBuffer, transformLabelsOf } from './transform-keywords.js';

/** Largest `bytes` of base64_decode: Suricata's documentation limits the decoded input to 64 KiB. */
export const MAX_BASE64_DECODE_BYTES = 65535;

/** Largest `offset` of base64_decode: Suricata reads it as an unsigned 32-bit number. */
export const MAX_BASE64_DECODE_OFFSET = 0xffffffff;

/** Options of one `base64_decode`. */
export interface Base64DecodeOptions {
  /** Bytes of base64 text to decode; 0 decodes up to the end of the buffer. */
  bytes: number;
  offset: number;
  isRelative: boolean;
}

/** The decoding step of `base64_decode`: like from_base64 in RFC 4648 mode, but no output means no buffer. */
export class Base64DecodeTransform implements BufferTransform {
  readonly keyword = 'base64_decode';
  readonly bytes: number;
  readonly offset: number;

  constructor(bytes: number, offset: number) {
    this.bytes = bytes;
    this.offset = offset;
  }

  maxOutputLength(inputLength: number): number {
    return Math.ceil(inputLength / 4) * 3;
  }

  apply(input: Uint8Array, start: number, length: number, out: Uint8Array): number {
    if (this.offset >= length) return -1;
    let count = length - this.offset;
    if (this.bytes > 0 && this.bytes < count) count = this.bytes;
    const n = decodeBase64(input, start + this.offset, count, Base64Mode.RFC4648, out);
    return n > 0 ? n : -1;
  }

  checkContent(_pattern: Uint8Array): string | null {
    return null;
  }
}

/** Parses the value of base64_decode; returns the options or the problem. */
export function parseBase64Decode(value: string): Base64DecodeOptions | string {
  const options: Base64DecodeOptions = { bytes: 0, offset: 0, isRelative: false };
  if (value.trim() === '') return options;
  const seen = new Set<string>();
  for (const part of value.split(',')) {
    const words = part.trim().split(/\s+/);
    const name = words[0];
    if (seen.has(name)) return `option '${name}' is given more than once`;
    seen.add(name);
    if (name === 'relative' && words.length === 1) {
      options.isRelative = true;
      continue;
    }
    if ((name !== 'bytes' && name !== 'offset') || words.length !== 2) {
      return `'${part.trim()}' is not an option (expected bytes <n>, offset <n> or relative)`;
    }
    const arg = words[1];
    if (!/^\d+$/.test(arg)) return `${name} '${arg}' is not a number`;
    const n = Number(arg);
    const max = name === 'bytes' ? MAX_BASE64_DECODE_BYTES : MAX_BASE64_DECODE_OFFSET;
    if (n > max) return `${name} '${arg}' is above the maximum ${max}`;
    if (name === 'bytes') {
      if (n === 0) return `bytes '0' must be at least 1`;
      options.bytes = n;
    } else {
      options.offset = n;
    }
  }
  return options;
}

/** The decoded buffer instance that the last base64_decode of each rule created. */
const DECODED_BUFFERS = new WeakMap<Signature, string>();

/** Numbers relative decodings, so each gets its own instance: its anchor differs from rule to rule. */
let nextAnchorId = 0;

function setupBase64Decode(b: SignatureBuilder, value: string): void {
  const options = parseBase64Decode(value);
  if (typeof options === 'string') {
    b.error(ErrorCode.RULE_BAD_VALUE, options);
    return;
  }
  const parent = b.currentBuffer;
  const inspection = findInspection(b, parent);
  const parentTransforms = inspection?.transforms;
  if (parentTransforms?.anchor !== undefined) {
    b.error(ErrorCode.RULE_UNSUPPORTED, 'base64_decode on data that base64_decode decoded already is not supported yet; rule skipped');
    return;
  }
  const step = new Base64DecodeTransform(options.bytes, options.offset);
  let label = value.trim() === '' ? 'base64_decode' : `base64_decode:${value.trim()}`;
  // A transformed parent (`url_decode; base64_decode`) decodes its transformed
  // bytes, so the new instance runs the parent's steps first.
  const source = parentTransforms === undefined ? parent : parentTransforms.source;
  const parentSteps = parentTransforms === undefined ? [] : parentTransforms.steps;
  const labels = transformLabelsOf(inspection);
  let transforms: BufferTransforms = { source, steps: [...parentSteps, step] };
  if (options.isRelative && inspection !== undefined && inspection.matches.length > 0) {
    label += `#${nextAnchorId++}`;
    transforms = { source, steps: [...parentSteps, step], anchor: inspection.matches.slice(), anchorStep: parentSteps.length };
  }
  labels.push(label);
  selectTransformedBuffer(b, transforms, labels);
  DECODED_BUFFERS.set(b.sig, b.currentBuffer);
  // Keywords after base64_decode stay on the current buffer until base64_data.
  b.selectBuffer(parent);
}

function setupBase64Data(b: SignatureBuilder): void {
  const decoded = DECODED_BUFFERS.get(b.sig);
  if (decoded === undefined) {
    b.error(ErrorCode.RULE_MISSING_OPTION, 'missing a base64_decode before it (base64_data inspects its output)');
    return;
  }
  b.selectBuffer(decoded);
}

export const BASE64_KEYWORDS: readonly KeywordDef[] = [
  {
    name: 'base64_decode',
    description: 'decode base64 from the current buffer for base64_data',
    docsAnchor: 'base64-keywords.html#base64-decode',
    value: 'optional',
    setup: setupBase64Decode,
  },
  {
    name: 'base64_data',
    description: 'inspect the bytes that base64_decode decoded',
    docsAnchor: 'base64-keywords.html#base64-data',
    value: 'none',
    setup: setupBase64Data,
  },
];
