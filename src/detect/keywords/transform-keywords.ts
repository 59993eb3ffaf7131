/**
 * The transform keywords of Suricata 8 (rules/transforms.html). Each one
 * follows a sticky buffer (or `pkt_data`) and makes the keywords after it
 * inspect the transformed bytes. The first transform after keywords of the
 * raw buffer starts a new buffer instance, so earlier keywords keep
 * inspecting the raw bytes. Contents after a transform are checked when
 * they are added, as Suricata checks them: a pattern the transformed bytes
 * can never contain (upper case after `to_lowercase`) is an error.
 */
import RE2 from 're2';
import { ErrorCode } from '../../core/errors.js';
import {
  Base64Mode,
  CompressWhitespaceTransform,
  DomainPartTransform,
  DotPrefixTransform,
  FromBase64Transform,
  HashTransform,
  HeaderLowercaseTransform,
  MAX_TRANSFORMS,
  PcreXformTransform,
  StripPseudoHeadersTransform,
  StripWhitespaceTransform,
  SubsliceTransform,
  ToLowercaseTransform,
  ToUppercaseTransform,
  transformedBufferName,
  UrlDecodeTransform,
  XorTransform,
} from '../transforms.js';
import type { BufferInspection, BufferTransform, BufferTransforms, InspectionMatch, KeywordDef, SignatureBuilder } from '../signature.js';
import { ContentMatch } from './content.js';
import { PKT_DATA } from './pkt-data.js';
import { translatePcre } from './pcre.js';
import { unquoteValue } from '../rule-lexer.js';
import { parseUintNumber } from './uint-value.js';
import { loadPublicSuffixList } from '../public-suffix.js';
import { DecompressTransform } from '../decompress-transform.js';

/** Largest `from_base64` bytes or offset value: Suricata 8 reads both as unsigned 32-bit numbers. */
export const MAX_FROM_BASE64_VALUE = 0xffffffff;

/** Largest xor key in bytes, as Suricata 8 bounds it. */
export const MAX_XOR_KEY_BYTES = 255;

/** Transform labels of each transformed buffer instance, keyed by its inspection; used to name the next instance. */
const LABELS = new WeakMap<BufferInspection, string[]>();

/** Returns the label of each transform step of `inspection`, or none when it is not transformed. */
export function transformLabelsOf(inspection: BufferInspection | undefined): string[] {
  return inspection === undefined ? [] : [...(LABELS.get(inspection) ?? [])];
}

/** Returns the inspection of `buffer` in the rule being built, if it has one. */
export function findInspection(b: SignatureBuilder, buffer: string): BufferInspection | undefined {
  for (const inspection of b.sig.buffers) if (inspection.buffer === buffer) return inspection;
  return undefined;
}

/** Tells whether the rule names `pkt_data` as an option. */
function namesPktData(text: string): boolean {
  return /(^|[;(])\s*pkt_data\s*;/.test(text);
}

/**
 * Appends `transform` to the current buffer: selects (or creates) the
 * buffer instance with the current transforms plus this one, records the
 * transforms on it and checks each content added to it afterwards.
 */
export function addTransform(b: SignatureBuilder, transform: BufferTransform, label: string): void {
  const current = b.currentBuffer;
  // NOTE: a transformed pkt_data reads the packet payload only, never the
  // reassembled stream, so its contents miss patterns split across segments.
  if (current === PKT_DATA && !namesPktData(b.sig.text)) {
    b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, 'a transform must follow a sticky buffer or pkt_data');
    return;
  }
  const inspection = findInspection(b, current);
  const transforms = inspection?.transforms;
  const source = transforms === undefined ? current : transforms.source;
  const steps: BufferTransform[] = transforms === undefined ? [] : [...transforms.steps];
  const labels = inspection === undefined ? [] : [...(LABELS.get(inspection) ?? [])];
  if (steps.length === MAX_TRANSFORMS) {
    b.error(ErrorCode.RULE_BAD_VALUE, `the buffer has ${MAX_TRANSFORMS} transforms already (the maximum)`);
    return;
  }
  steps.push(transform);
  labels.push(label);

  // An instance that no keyword used yet is replaced by the longer chain.
  if (inspection !== undefined && transforms !== undefined && inspection.matches.length === 0) {
    b.sig.buffers.splice(b.sig.buffers.indexOf(inspection), 1);
  }
  const anchor = transforms?.anchor;
  selectTransformedBuffer(b, anchor === undefined ? { source, steps } : { source, steps, anchor }, labels);
}

/**
 * Selects the buffer instance that applies `transforms`, named after its
 * source and `labels` (one per step), and creates it on first use.
 */
export function selectTransformedBuffer(b: SignatureBuilder, transforms: BufferTransforms, labels: string[]): void {
  const name = transformedBufferName(transforms.source, transforms.steps, labels);
  b.selectBuffer(name);
  b.currentMatches();
  const created = findInspection(b, name) as BufferInspection;
  if (created.transforms !== undefined) return;
  created.transforms = transforms;
  LABELS.set(created, labels);
  guardContents(b, created);
}

/**
 * Checks every content added to `inspection` against its transforms,
 * when the content keyword appends it, so the error points at that content.
 * As in Suricata, a negated content is not checked.
 */
function guardContents(b: SignatureBuilder, inspection: BufferInspection): void {
  const matches = inspection.matches;
  const steps = inspection.transforms?.steps ?? [];
  const push = matches.push;
  Object.defineProperty(matches, 'push', {
    configurable: true,
    writable: true,
    value(...items: InspectionMatch[]): number {
      for (const m of items) {
        if (!(m instanceof ContentMatch) || m.isNegated) continue;
        for (const step of steps) {
          const problem = step.checkContent(m.original);
          if (problem !== null) b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `content: the pattern can never match after ${step.keyword}: ${problem}`);
        }
      }
      return push.apply(matches, items);
    },
  });
}

/** Defines a transform keyword that takes no value. */
function simpleTransform(name: string, description: string, create: () => BufferTransform): KeywordDef {
  return {
    name,
    description,
    docsAnchor: `transforms.html#${name.replace(/_/g, '-')}`,
    value: 'none',
    setup(b: SignatureBuilder): void {
      addTransform(b, create(), name);
    },
  };
}

/** Largest xor `offset` or key offset: Suricata reads both as unsigned 32-bit numbers. */
export const MAX_XOR_OFFSET = 0xffffffff;

/** Parses the xor key: an even number of hex digits, quoted. */
export function parseXorKey(value: string): Uint8Array | string {
  const text = unquoteValue(value.trim());
  if (text === null || !/^"/.test(value.trim())) return `'${value}' is not a quoted hex key (expected xor:"0d0ac8ff")`;
  if (text.length === 0 || text.length % 2 !== 0) return `key '${text}' must have an even, non-zero number of hex digits`;
  if (!/^[0-9a-fA-F]+$/.test(text)) return `key '${text}' is not hex`;
  if (text.length / 2 > MAX_XOR_KEY_BYTES) return `key '${text}' is longer than ${MAX_XOR_KEY_BYTES} bytes`;
  const key = new Uint8Array(text.length / 2);
  for (let i = 0; i < key.length; i++) key[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return key;
}

/** Options of `xor`: a fixed key, or the length and offset of a key read from the buffer, and the data offset. */
export interface XorOptions {
  key: Uint8Array | null;
  keyLength: number;
  keyOffset: number;
  dataOffset: number;
}

function parseXorNumber(name: string, text: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(text)) return `${name} '${text}' is not a number`;
  const n = Number(text);
  if (n < min || n > max) return `${name} '${text}' is out of range (expected ${min} to ${max})`;
  return n;
}

/**
 * Parses the value of `xor`: a quoted hex key, or (Suricata 9)
 * comma-separated options `offset <n>` (where XOR starts) and
 * `extract <key bytes> <key offset>` (the key is read from the buffer),
 * with exactly one key.
 */
export function parseXorOptions(value: string): XorOptions | string {
  const options: XorOptions = { key: null, keyLength: 0, keyOffset: 0, dataOffset: 0 };
  let hasKey = false;
  let hasOffset = false;
  for (const rawPart of value.split(',')) {
    const part = rawPart.trim();
    const words = part.split(/\s+/);
    if (part.startsWith('"')) {
      if (hasKey) return 'xor has more than one key (expected a quoted key or extract)';
      const key = parseXorKey(part);
      if (typeof key === 'string') return key;
      options.key = key;
      options.keyLength = key.length;
      hasKey = true;
    } else if (words[0] === 'offset' && words.length === 2) {
      if (hasOffset) return `option 'offset' is given more than once`;
      const n = parseXorNumber('offset', words[1] as string, 0, MAX_XOR_OFFSET);
      if (typeof n === 'string') return n;
      options.dataOffset = n;
      hasOffset = true;
    } else if (words[0] === 'extract' && words.length === 3) {
      if (hasKey) return 'xor has more than one key (expected a quoted key or extract)';
      const length = parseXorNumber('extract key length', words[1] as string, 1, MAX_XOR_KEY_BYTES);
      if (typeof length === 'string') return length;
      const offset = parseXorNumber('extract key offset', words[2] as string, 0, MAX_XOR_OFFSET);
      if (typeof offset === 'string') return offset;
      options.keyLength = length;
      options.keyOffset = offset;
      hasKey = true;
    } else {
      return `'${part}' is not an xor option (expected "<hex key>", offset <n> or extract <key bytes> <key offset>)`;
    }
  }
  if (!hasKey) return `'${value.trim()}' has no key (expected xor:"0d0ac8ff" or xor:extract <key bytes> <key offset>)`;
  return options;
}

function setupXor(b: SignatureBuilder, value: string): void {
  const options = parseXorOptions(value);
  if (typeof options === 'string') {
    b.error(ErrorCode.RULE_BAD_VALUE, options);
    return;
  }
  const transform = new XorTransform(options.key, options.keyLength, options.keyOffset, options.dataOffset);
  addTransform(b, transform, `xor:${value.trim()}`);
}

/** Counts the capture groups of an RE2 source by compiling it as a JavaScript RegExp; -1 when it cannot. */
function captureGroupCount(source: string): number {
  try {
    const found = new RegExp(`${source}|`, 'u').exec('');
    return found === null ? -1 : found.length - 1;
  } catch {
    return -1;
  }
}

function setupPcreXform(b: SignatureBuilder, value: string): void {
  // Backslashes stay, as in pcre: `\?` reaches the regex as written.
  const text = value.trim();
  const pattern = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : null;
  if (pattern === null || pattern.length === 0) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not a quoted regular expression (expected pcrexform:"<regex with a capture>")`);
    return;
  }
  const translated = translatePcre(pattern, '');
  if (!translated.ok) {
    b.error(translated.code, translated.message);
    return;
  }
  let regex: RE2;
  try {
    regex = new RE2(translated.source, translated.re2Flags);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    b.error(ErrorCode.RULE_REGEX_NOT_SUPPORTED, `'${pattern}' cannot run on RE2: ${reason} (rule skipped)`);
    return;
  }
  // As in Suricata 8, the regex must have exactly one capture group, whose text becomes the buffer.
  // NOTE: a source that JavaScript's RegExp cannot compile is not counted and loads unchecked.
  const captures = captureGroupCount(translated.source);
  if (captures >= 0 && captures !== 1) {
    b.error(ErrorCode.RULE_BAD_VALUE, `'${pattern}' has ${captures} capture groups (expected exactly one)`);
    return;
  }
  addTransform(b, new PcreXformTransform(regex), `pcrexform:${value.trim()}`);
}

const BASE64_MODES: Readonly<Record<string, number>> = {
  rfc4648: Base64Mode.RFC4648,
  rfc2045: Base64Mode.RFC2045,
  strict: Base64Mode.STRICT,
};

/** Options of `from_base64`, or the problem with them. */
export function parseFromBase64(value: string): { bytes: number; offset: number; mode: number } | string {
  const options = { bytes: 0, offset: 0, mode: Base64Mode.RFC4648 as number };
  if (value.trim() === '') return options;
  const seen = new Set<string>();
  for (const part of value.split(',')) {
    const words = part.trim().split(/\s+/);
    const [name, arg] = words;
    if (words.length !== 2) return `'${part.trim()}' is not an option (expected bytes <n>, offset <n> or mode <rfc4648|rfc2045|strict>)`;
    if (seen.has(name)) return `option '${name}' is given more than once`;
    seen.add(name);
    if (name === 'mode') {
      const mode = BASE64_MODES[arg.toLowerCase()];
      if (mode === undefined) return `mode '${arg}' is unknown (expected rfc4648, rfc2045 or strict)`;
      options.mode = mode;
    } else if (name === 'bytes' || name === 'offset') {
      if (!/^\d+$/.test(arg)) return `${name} '${arg}' is not a number (byte variables are not supported yet)`;
      const n = Number(arg);
      if (n > MAX_FROM_BASE64_VALUE) return `${name} '${arg}' is above the maximum ${MAX_FROM_BASE64_VALUE}`;
      if (name === 'bytes' && n === 0) return `bytes '0' must be at least 1`;
      options[name] = n;
    } else {
      return `'${name}' is not an option (expected bytes, offset or mode)`;
    }
  }
  return options;
}

function setupFromBase64(b: SignatureBuilder, value: string): void {
  const options = parseFromBase64(value);
  if (typeof options === 'string') {
    b.error(ErrorCode.RULE_BAD_VALUE, options);
    return;
  }
  addTransform(b, new FromBase64Transform(options.bytes, options.offset, options.mode), `from_base64:${value.trim()}`);
}

/** Bounds of the subslice offset and byte count: Suricata 9 reads them as signed 32-bit numbers. */
export const MIN_SUBSLICE_VALUE = -0x80000000;
export const MAX_SUBSLICE_VALUE = 0x7fffffff;

/** Options of `subslice`, or the problem with them. */
export function parseSubslice(value: string): { offset: number; nbytes: number | null; isTruncate: boolean } | string {
  const parts = value.split(',').map((part) => part.trim());
  let isTruncate = false;
  if (parts.length > 1 && parts[parts.length - 1] === 'truncate') {
    isTruncate = true;
    parts.pop();
  }
  if (parts.length < 1 || parts.length > 2 || parts[0] === '') {
    return `'${value.trim()}' is invalid (expected subslice:<offset>[, <nbytes>][, truncate])`;
  }
  const numbers: number[] = [];
  for (const [i, part] of parts.entries()) {
    const name = i === 0 ? 'offset' : 'nbytes';
    if (!/^[-+]?\d+$/.test(part)) return `${name} '${part}' is not a number`;
    const n = Number(part);
    if (n < MIN_SUBSLICE_VALUE || n > MAX_SUBSLICE_VALUE) {
      return `${name} '${part}' is out of range (expected ${MIN_SUBSLICE_VALUE} to ${MAX_SUBSLICE_VALUE})`;
    }
    numbers.push(n);
  }
  return { offset: numbers[0] as number, nbytes: numbers.length > 1 ? (numbers[1] as number) : null, isTruncate };
}

function setupSubslice(b: SignatureBuilder, value: string): void {
  const options = parseSubslice(value);
  if (typeof options === 'string') {
    b.error(ErrorCode.RULE_BAD_VALUE, options);
    return;
  }
  addTransform(b, new SubsliceTransform(options.offset, options.nbytes, options.isTruncate), `subslice:${value.trim()}`);
}

/** Output limit of `gunzip` and `zlib_deflate` without `max-size`, Suricata 8's default (1 KiB). */
export const DEFAULT_DECOMPRESS_MAX_BYTES = 1024;

/**
 * Largest `max-size` of `gunzip` and `zlib_deflate` (16 MiB), so one
 * rule cannot make each buffer decompress to gigabytes.
 * NOTE: this bound is kapu's own. Suricata reads the value as an unsigned
 * 32-bit number.
 */
export const MAX_DECOMPRESS_MAX_BYTES = 16 * 1024 * 1024;

/** Parses the options of `gunzip` or `zlib_deflate` (`max-size <n>` with an optional kb/mb unit) into the output limit. */
export function parseDecompressOptions(value: string): number | string {
  const text = value.trim();
  if (text === '') return DEFAULT_DECOMPRESS_MAX_BYTES;
  const words = text.split(/\s+/);
  if (words.length !== 2 || words[0] !== 'max-size') return `'${text}' is not an option (expected max-size <n>)`;
  const n = parseUintNumber(words[1] as string);
  if (n === null) return `max-size '${words[1]}' is not a number`;
  if (n === 0) return `max-size '0' must be at least 1 (0 always gives an empty buffer)`;
  if (n > MAX_DECOMPRESS_MAX_BYTES) return `max-size '${words[1]}' is above the maximum ${MAX_DECOMPRESS_MAX_BYTES}`;
  return n;
}

function decompressKeyword(name: 'gunzip' | 'zlib_deflate', description: string): KeywordDef {
  return {
    name,
    description,
    docsAnchor: `transforms.html#${name.replace(/_/g, '-')}`,
    value: 'optional',
    setup(b: SignatureBuilder, value: string): void {
      const maxSize = parseDecompressOptions(value);
      if (typeof maxSize === 'string') {
        b.error(ErrorCode.RULE_BAD_VALUE, maxSize);
        return;
      }
      addTransform(b, new DecompressTransform(name, maxSize), `${name}:${maxSize}`);
    },
  };
}

function domainPartKeyword(name: 'domain' | 'tld', description: string): KeywordDef {
  return {
    name,
    description,
    docsAnchor: `transforms.html#${name}`,
    value: 'none',
    setup(b: SignatureBuilder): void {
      const list = loadPublicSuffixList();
      if (typeof list === 'string') {
        b.error(ErrorCode.RULE_UNSUPPORTED, `${list} (rule skipped)`);
        return;
      }
      addTransform(b, new DomainPartTransform(name, list), name);
    },
  };
}

/** Every transform keyword, registered by registry.ts. */
export const TRANSFORM_KEYWORDS: readonly KeywordDef[] = [
  simpleTransform('to_lowercase', 'make ASCII letters of the buffer lower case (Suricata 8)', () => new ToLowercaseTransform()),
  simpleTransform('to_uppercase', 'make ASCII letters of the buffer upper case (Suricata 8)', () => new ToUppercaseTransform()),
  simpleTransform('strip_whitespace', 'remove white space from the buffer', () => new StripWhitespaceTransform()),
  simpleTransform('compress_whitespace', 'turn each run of white space into one space', () => new CompressWhitespaceTransform()),
  simpleTransform('url_decode', 'decode %XX escapes and + in the buffer', () => new UrlDecodeTransform()),
  simpleTransform('dotprefix', 'put a dot before the buffer, for domain matches', () => new DotPrefixTransform()),
  simpleTransform('to_md5', 'replace the buffer with its MD5 digest', () => new HashTransform('to_md5')),
  simpleTransform('to_sha1', 'replace the buffer with its SHA-1 digest', () => new HashTransform('to_sha1')),
  simpleTransform('to_sha256', 'replace the buffer with its SHA-256 digest', () => new HashTransform('to_sha256')),
  simpleTransform('header_lowercase', 'make header names lower case (Suricata 8)', () => new HeaderLowercaseTransform()),
  simpleTransform('strip_pseudo_headers', 'remove HTTP/2 pseudo-header lines (Suricata 8)', () => new StripPseudoHeadersTransform()),
  {
    name: 'xor',
    description: 'XOR the buffer with a hex key',
    docsAnchor: 'transforms.html#xor',
    value: 'required',
    setup: setupXor,
  },
  {
    name: 'pcrexform',
    description: 'replace the buffer with the capture group of a regular expression (run on RE2)',
    docsAnchor: 'transforms.html#pcrexform',
    value: 'required',
    setup: setupPcreXform,
  },
  {
    name: 'from_base64',
    description: 'decode base64 in the buffer (Suricata 8)',
    docsAnchor: 'transforms.html#from-base64',
    value: 'optional',
    setup: setupFromBase64,
  },
  {
    name: 'subslice',
    description: 'cut a slice out of the buffer (Suricata 9)',
    docsAnchor: 'transforms.html#subslice',
    value: 'required',
    setup: setupSubslice,
  },
  decompressKeyword('gunzip', 'decompress gzip data in the buffer (Suricata 8)'),
  decompressKeyword('zlib_deflate', 'decompress zlib data in the buffer (Suricata 8)'),
  domainPartKeyword('domain', 'replace a domain name with its registrable domain (Suricata 8)'),
  domainPartKeyword('tld', 'replace a domain name with its public suffix (Suricata 8)'),
];
