/**
 * Reads the rule files of one source of `kapu rules update`: a URL (a
 * rule file, or a .tar.gz or .tar archive), a local rule file, a local
 * folder (every *.rules file below it) or a local archive. Archives and
 * folders leave out the files that an ignore glob matches.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { globToRegExp } from '../detect/rule-matchers.js';
import { downloadUrl } from './download.js';
import type { RuleSourceSpec } from './source-spec.js';

/** One rule file of a source. */
export interface RuleFileText {
  /** Path inside the archive or folder, or the file name. */
  path: string;
  content: string;
}

/** The way a source was read. */
export type SourceStatus = 'downloaded' | 'not-modified' | 'read';

/** The rule files of one source. */
export interface SourceRules {
  spec: RuleSourceSpec;
  status: SourceStatus;
  files: RuleFileText[];
}

/** Options of readSource. */
export interface ReadSourceOptions {
  cacheDir: string;
  timeoutMs: number;
  /** Globs of file names to leave out of folders and archives. */
  ignore: readonly string[];
  maxDownloadBytes?: number;
}

/** A source that could not be read. The message names the source and the reason. */
export class SourceError extends Error {
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`source '${location}' failed: ${reason}`);
    this.name = 'SourceError';
  }
}

/** Reads the rule files of `spec`. Throws SourceError. */
export async function readSource(spec: RuleSourceSpec, options: ReadSourceOptions): Promise<SourceRules> {
  const ignore = options.ignore.map(globToRegExp);
  try {
    if (spec.isUrl) {
      const download = await downloadUrl(spec.location, {
        cacheDir: options.cacheDir,
        timeoutMs: options.timeoutMs,
        checksumUrl: spec.checksumUrl,
        ...(options.maxDownloadBytes === undefined ? {} : { maxBytes: options.maxDownloadBytes }),
      });
      const name = decodeURIComponent(new URL(spec.location).pathname.split('/').pop() ?? '') || 'download.rules';
      const files = await rulesOfBody(download.body, name, ignore);
      download.store();
      return { spec, status: download.isNotModified ? 'not-modified' : 'downloaded', files };
    }
    return { spec, status: 'read', files: await readLocal(spec.location, ignore) };
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(spec.location, err instanceof Error ? err.message : String(err));
  }
}

async function readLocal(path: string, ignore: RegExp[]): Promise<RuleFileText[]> {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${code ?? String(err)})`);
  }
  if (!isFolder) return rulesOfBody(readFileSync(path), basename(path), ignore);

  const files: RuleFileText[] = [];
  for (const file of listRuleFiles(path)) {
    if (isIgnored(basename(file), ignore)) continue;
    files.push({ path: relative(path, file), content: readFileSync(file, 'utf8') });
  }
  if (files.length === 0) throw new Error('no .rules file found in the folder');
  return files;
}

/** Lists the *.rules files below `folder`, in path order. */
function listRuleFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listRuleFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.rules')) out.push(path);
  }
  return out.sort();
}

function isIgnored(name: string, ignore: RegExp[]): boolean {
  return ignore.some((pattern) => pattern.test(name));
}

/** Orders files by path in code unit order, as Array.prototype.sort orders the folder listing. */
function byPath(a: RuleFileText, b: RuleFileText): number {
  if (a.path === b.path) return 0;
  return a.path < b.path ? -1 : 1;
}

/** Tells whether `body` starts with the gzip magic bytes. */
export function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** Tells whether `body` is a POSIX tar archive (`ustar` at offset 257). */
function isTar(body: Buffer): boolean {
  return body.length >= 262 && body.toString('latin1', 257, 262) === 'ustar';
}

/** Reads a body as an archive when it is one (by content or name), else as one rule file called `name`. */
async function rulesOfBody(body: Buffer, name: string, ignore: RegExp[]): Promise<RuleFileText[]> {
  const isArchive = isGzip(body) || isTar(body) || /\.(tar\.gz|tgz|tar)$/i.test(name);
  if (!isArchive) return [{ path: name, content: body.toString('utf8') }];
  const files = (await readRuleArchive(body)).filter((file) => !isIgnored(basename(file.path), ignore));
  if (files.length === 0) throw new Error('no .rules file found in the archive');
  return files;
}

/**
 * Reads the *.rules files of a tar archive, gzip-compressed or not, in
 * path order. A truncated or corrupt archive rejects with the reason.
 */
export function readRuleArchive(body: Buffer): Promise<RuleFileText[]> {
  return new Promise((resolveFiles, rejectFiles) => {
    const files: RuleFileText[] = [];
    let isSettled = false;
    const fail = (reason: string): void => {
      if (isSettled) return;
      isSettled = true;
      rejectFiles(new Error(`broken archive: ${reason}`));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (entry.type !== 'File' || !entry.path.endsWith('.rules')) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => files.push({ path: entry.path, content: Buffer.concat(chunks).toString('utf8') }));
      },
    });
    parser.on('error', (err: Error) => fail(err.message));
    parser.on('warn', (code: string, message: string | Error) => fail(`${typeof message === 'string' ? message : message.message} (${code})`));
    parser.on('end', () => {
      if (isSettled) return;
      isSettled = true;
      files.sort(byPath);
      resolveFiles(files);
    });
    parser.end(body);
  });
}
