/**
 * Hash list files of `filemd5`, `filesha1` and `filesha256`: one hex
 * digest at the start of each line, anything after it ignored, so the
 * output of md5sum, sha1sum or sha256sum loads as it is. Blank lines and
 * lines starting with `#` are skipped.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

export type HashListKind = 'md5' | 'sha1' | 'sha256';

export const HASH_LIST_KINDS: readonly HashListKind[] = ['md5', 'sha1', 'sha256'];

/** Hex digits of each digest. */
const HEX_LENGTH: Record<HashListKind, number> = { md5: 32, sha1: 40, sha256: 64 };

/**
 * Returns where a list named in a rule is read from: an absolute path as
 * written, a relative one beside the rules file that names it.
 * NOTE: Suricata reads a relative list from default-rule-path. kapu reads
 * it beside the rules file instead, which is that same folder when the
 * config's rule-files name the rules. A `-S` rules file kept elsewhere
 * needs its lists beside it.
 */
export function resolveHashListPath(name: string, ruleFile: string): string {
  return isAbsolute(name) ? name : join(dirname(ruleFile), name);
}

interface CachedList {
  mtimeMs: number;
  size: number;
  digests: ReadonlySet<string>;
}

/** Lists already read, by kind and path; a file changed on disk is read again. */
const cache = new Map<string, CachedList>();

/**
 * Reads a hash list into a set of lower-case hex digests. Returns a
 * message naming the file and the problem when the file cannot be read
 * or a line does not start with a digest of the kind.
 */
export function loadHashList(path: string, kind: HashListKind): ReadonlySet<string> | string {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    return `hash list '${path}' cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  const key = kind + ':' + path;
  const cached = cache.get(key);
  if (cached !== undefined && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.digests;

  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    return `hash list '${path}' cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  const parsed = parseHashList(text, kind);
  if (typeof parsed === 'string') return `hash list '${path}': ${parsed}`;
  cache.set(key, { mtimeMs: stat.mtimeMs, size: stat.size, digests: parsed });
  return parsed;
}

/** Parses the text of a hash list. Returns the digests, or the first problem with its line number. */
export function parseHashList(text: string, kind: HashListKind): Set<string> | string {
  const length = HEX_LENGTH[kind];
  const digests = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim().length === 0 || line.startsWith('#')) continue;
    const digest = line.slice(0, length);
    if (!isHex(digest, length)) {
      return `line ${i + 1} does not start with a ${kind} digest (expected ${length} hex digits, found '${line.slice(0, length + 8)}')`;
    }
    digests.add(digest.toLowerCase());
  }
  return digests;
}

function isHex(text: string, length: number): boolean {
  return text.length === length && /^[0-9a-fA-F]+$/.test(text);
}
