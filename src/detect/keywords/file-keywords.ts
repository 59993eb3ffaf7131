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
  /**
   * Direction of the files tested (0 request, 1 response), set by a
   * `to_server` or `to_client` argument, or -1 for the direction being
   * inspected. A `=>` rule tests that direction's files from either side
   * of the transaction, and other rules match only while inspecting it.
   */
  direction: number;
  /** The rule has a `=>` header and reads both messages of a transaction. */
  readonly isTransactional: boolean;

  constructor(first: FileCondition, isTransactional: boolean) {
    this.keyword = first.keyword;
    this.conditions = [first];
    this.direction = -1;
    this.isTransactional = isTransactional;
  }

  /** Never matches a packet: files live in transactions. */
  match(_p: Packet, _flow: Flow | null, _ctx: DetectThreadContext): boolean {
    return false;
  }

  matchTx(tx: unknown, direction: number): boolean {
    const files = (tx as HttpTransaction).files;
    if (files === undefined) return false;
    let fileDirection = direction;
    if (this.direction >= 0) {
      if (!this.isTransactional && this.direction !== direction) return false;
      fileDirection = this.direction;
    }
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      if (file.direction === fileDirection && this.matchFile(file)) return true;
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

/** Adds a test to the signature's FileMatch, creating it on first use, and returns that FileMatch. */
function addFileCondition(b: SignatureBuilder, condition: FileCondition): FileMatch {
  for (const m of b.sig.packetMatches) {
    if (m instanceof FileMatch) {
      m.conditions.push(condition);
      return m;
    }
  }
  const created = new FileMatch(condition, b.sig.isTransactional === true);
  b.addPacketMatch(created);
  return created;
}

/** Direction arguments that may open a file keyword's value (Suricata 8 `filesize: to_client, >100`). */
const DIRECTION_PREFIX = /^\s*(to_server|to_client)\s*,\s*/;

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
 * compared in full. The size of an open or truncated file can only be
 * larger in truth, so `>` and `>=` may match it. The other comparisons
 * need the final size, which a truncated file never gets.
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
    const prefix = DIRECTION_PREFIX.exec(value);
    let direction = -1;
    let text = value;
    if (prefix !== null) {
      direction = prefix[1] === 'to_server' ? 0 : 1;
      text = value.slice(prefix[0].length);
    }
    const parsed = parseUintValue(text.trim(), Number.MAX_SAFE_INTEGER);
    if (typeof parsed === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, `filesize: ${parsed}`);
      return;
    }
    const match = addFileCondition(b, new FileSizeCondition(parsed));
    if (direction < 0) return;
    if (match.direction >= 0 && match.direction !== direction) {
      b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `filesize: '${prefix?.[1] ?? ''}' conflicts with the other direction named by an earlier file keyword (all file tests apply to one file)`);
      return;
    }
    match.direction = direction;
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
