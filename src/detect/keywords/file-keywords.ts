/**
 * File keywords, as Suricata 8 defines them (rules/file-keywords.html):
 *
 *   file.name                   sticky buffer, one instance per file
 *   filename:[!]"name"          file.name; content:"name"; nocase;
 *   fileext:[!]"ext"            file.name; content:".ext"; nocase; endswith;
 *   filemd5, filesha1, filesha256:[!]list   the file's digest is (not) in a hash list
 *   filesize:<comparison>       the file's size, with kb, mb or gb units
 *
 * The list and size keywords of one rule must all hold for one file of the
 * transaction direction (FileMatch). `filemagic` is rejected: it needs
 * libmagic. `filestore` is not registered, so the parser reports it as a
 * Suricata keyword that kapu does not run.
 */
import { ErrorCode } from '../../core/errors.js';
import type { Flow } from '../../flow/flow.js';
import type { Packet } from '../../core/packet.js';
import { AppProto } from '../../app/app-layer.js';
import { FileBuffer } from '../../app/http/files.js';
import { FileHash, FileState, type HttpFile, type HttpTransaction } from '../../app/http/state.js';
import type { DetectThreadContext, KeywordDef, PacketMatcher, Signature, SignatureBuilder } from '../signature.js';
import { ContentMatch, parseContentValue } from './content.js';
import { selectBufferInstance } from './multi-buffer.js';
import { parseUintValue, UintMode, type UintValue } from './uint-value.js';
import { HASH_LIST_KINDS, loadHashList, resolveHashListPath, type HashListKind } from './hash-list.js';

/** A test on one file; FileMatch requires all of a rule's tests to hold for the same file. */
export interface FileCondition {
  readonly keyword: string;
  /** FileHash bits the test needs computed. */
  readonly hashes: number;
  matchFile(file: HttpFile): boolean;
}

/**
 * The file tests of one signature (filemd5, filesize, ...). It matches a
 * transaction direction when one file of that direction passes every test.
 */
export class FileMatch implements PacketMatcher {
  readonly keyword: string;
  readonly isTxMatcher = true;
  readonly appProto = AppProto.HTTP;
  readonly conditions: FileCondition[];

  constructor(first: FileCondition) {
    this.keyword = first.keyword;
    this.conditions = [first];
  }

  /** Never matches a packet: files live in transactions. */
  match(_p: Packet, _flow: Flow | null, _ctx: DetectThreadContext): boolean {
    return false;
  }

  matchTx(tx: unknown, direction: number): boolean {
    const files = (tx as HttpTransaction).files;
    if (files === undefined) return false;
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      if (file.direction === direction && this.matchFile(file)) return true;
    }
    return false;
  }

  private matchFile(file: HttpFile): boolean {
    const conditions = this.conditions;
    for (let k = 0; k < conditions.length; k++) {
      if (!conditions[k].matchFile(file)) return false;
    }
    return true;
  }

  /** FileHash bits that the tests need. */
  get hashes(): number {
    let bits = 0;
    for (const c of this.conditions) bits |= c.hashes;
    return bits;
  }
}

/** Adds a test to the signature's FileMatch, creating it on first use. */
function addFileCondition(b: SignatureBuilder, condition: FileCondition): void {
  for (const m of b.sig.packetMatches) {
    if (m instanceof FileMatch) {
      m.conditions.push(condition);
      return;
    }
  }
  b.addPacketMatch(new FileMatch(condition));
}

/** Returns the FileHash bits that the loaded signatures' file tests need computed. */
export function fileHashesOf(signatures: readonly Signature[]): number {
  let bits = 0;
  for (const sig of signatures) {
    for (const m of sig.packetMatches) if (m instanceof FileMatch) bits |= m.hashes;
  }
  return bits;
}

// Hash lists.

const DIGEST_FIELD: Record<HashListKind, 'md5' | 'sha1' | 'sha256'> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256' };
const DIGEST_BIT: Record<HashListKind, number> = { md5: FileHash.MD5, sha1: FileHash.SHA1, sha256: FileHash.SHA256 };

/**
 * `filemd5`, `filesha1`, `filesha256`: the digest of a closed file is in
 * the list (or, negated, is not). A file still open or truncated has no
 * digest and matches neither form.
 */
export class FileHashCondition implements FileCondition {
  readonly keyword: string;
  readonly hashes: number;
  readonly kind: HashListKind;
  readonly list: ReadonlySet<string>;
  readonly isNegated: boolean;

  constructor(kind: HashListKind, list: ReadonlySet<string>, isNegated: boolean) {
    this.keyword = 'file' + kind;
    this.hashes = DIGEST_BIT[kind];
    this.kind = kind;
    this.list = list;
    this.isNegated = isNegated;
  }

  matchFile(file: HttpFile): boolean {
    const digest = file[DIGEST_FIELD[this.kind]];
    if (digest === null) return false;
    return this.list.has(digest) !== this.isNegated;
  }
}

function hashKeyword(kind: HashListKind): KeywordDef {
  const name = 'file' + kind;
  return {
    name,
    description: `match the ${kind} digest of a file against a list of digests (! for not in the list)`,
    docsAnchor: `file-keywords.html#${name}`,
    value: 'required',
    setup(b: SignatureBuilder, value: string): void {
      let text = value.trim();
      const isNegated = text.startsWith('!');
      if (isNegated) text = text.slice(1).trim();
      if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) text = text.slice(1, -1);
      if (text.length === 0) {
        b.error(ErrorCode.RULE_BAD_VALUE, `${name}: the list file name is missing (expected ${name}:[!]<file>)`);
        return;
      }
      const path = resolveHashListPath(text, b.sig.file);
      const loaded = loadHashList(path, kind);
      if (typeof loaded === 'string') {
        b.error(ErrorCode.RULE_BAD_VALUE, `${name}: ${loaded}`);
        return;
      }
      addFileCondition(b, new FileHashCondition(kind, loaded, isNegated));
    },
  };
}

// File size.

/**
 * `filesize`: the file's size against a comparison. A closed file is
 * compared in full. The size of an open file only grows, so `>` and `>=`
 * can match it early, as can they a truncated file; the other comparisons
 * wait for the final size, and a truncated file never gets one.
 */
export class FileSizeCondition implements FileCondition {
  readonly keyword = 'filesize';
  readonly hashes = 0;
  readonly value: UintValue;

  constructor(value: UintValue) {
    this.value = value;
  }

  matchFile(file: HttpFile): boolean {
    if (file.state === FileState.CLOSED) return this.value.matches(file.size);
    const mode = this.value.mode;
    return (mode === UintMode.GT || mode === UintMode.GE) && this.value.matches(file.size);
  }
}

const filesizeKeyword: KeywordDef = {
  name: 'filesize',
  description: 'match the size of a file (units kb, mb, gb)',
  docsAnchor: 'file-keywords.html#filesize',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const parsed = parseUintValue(value.trim(), Number.MAX_SAFE_INTEGER);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, `filesize: ${parsed}`);
      return;
    }
    addFileCondition(b, new FileSizeCondition(parsed));
  },
};

// File name keywords.

const fileNameKeyword: KeywordDef = {
  name: FileBuffer.NAME,
  description: 'inspect the name of each file (one buffer per file)',
  docsAnchor: 'file-keywords.html#file-name',
  value: 'none',
  setup(b: SignatureBuilder): void {
    selectBufferInstance(b, FileBuffer.NAME);
  },
};

/**
 * Appends a content on the file name to a new file.name chain, without
 * changing the buffer that later keywords attach to. `prefix` goes before
 * the pattern (`.` for fileext).
 */
function addFileNameContent(b: SignatureBuilder, keyword: string, value: string, prefix: string, isEndsWith: boolean): void {
  const parsed = parseContentValue(value);
  if (!parsed.ok) {
    b.error(ErrorCode.RULE_BAD_VALUE, `${keyword}: ${parsed.message}`, parsed.at, parsed.length);
    return;
  }
  const pattern = new Uint8Array(prefix.length + parsed.bytes.length);
  for (let i = 0; i < prefix.length; i++) pattern[i] = prefix.charCodeAt(i);
  pattern.set(parsed.bytes, prefix.length);
  const content = new ContentMatch(pattern, parsed.isNegated);
  content.setNocase();
  content.isEndsWith = isEndsWith;
  const previous = b.currentBuffer;
  selectBufferInstance(b, FileBuffer.NAME);
  b.currentMatches().push(content);
  b.selectBuffer(previous);
}

const filenameKeyword: KeywordDef = {
  name: 'filename',
  description: 'match a pattern in the file name, without case (file.name; content; nocase)',
  docsAnchor: 'file-keywords.html#file-name',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    addFileNameContent(b, 'filename', value, '', false);
  },
};

const fileextKeyword: KeywordDef = {
  name: 'fileext',
  description: 'match the file name extension, without case (file.name; content:".ext"; nocase; endswith)',
  docsAnchor: 'file-keywords.html#fileext',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    addFileNameContent(b, 'fileext', value, '.', true);
  },
};

const filemagicKeyword: KeywordDef = {
  name: 'filemagic',
  aliases: ['file.magic'],
  description: 'match the libmagic description of a file (not supported: kapu has no libmagic)',
  docsAnchor: 'file-keywords.html#filemagic',
  value: 'optional',
  setup(b: SignatureBuilder): void {
    // NOTE: file type descriptions come from libmagic's database, and kapu
    // neither links libmagic nor ships that database, so no honest match is possible.
    b.error(ErrorCode.RULE_UNSUPPORTED, 'filemagic: not supported, because it needs libmagic, which kapu does not include; rule skipped');
  },
};

/** Every file keyword definition, for the registry. */
export const FILE_KEYWORDS: readonly KeywordDef[] = [
  fileNameKeyword,
  filenameKeyword,
  fileextKeyword,
  filemagicKeyword,
  ...HASH_LIST_KINDS.map(hashKeyword),
  filesizeKeyword,
];
