/**
 * Downloads of `kapu rules update`. Each URL's body is kept in the cache
 * folder with its ETag and Last-Modified, and the next download sends them
 * back (If-None-Match, If-Modified-Since), so an unchanged source costs
 * one 304 response. A download can be checked against a checksum file that
 * contains the MD5 or SHA-256 digest in hex. The cache keeps a body only
 * once it passed that check and its reader accepted it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Largest body accepted from one URL, in bytes, unless the caller sets
 * another (config rules-update.max-download-size). A larger body stops
 * the download and fails the source.
 */
export const MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

/** Largest checksum file read, in bytes. */
const MAX_CHECKSUM_BYTES = 4096;

/** Options of one download. */
export interface DownloadOptions {
  cacheDir: string;
  /** Milliseconds that one request may take, body included. */
  timeoutMs: number;
  /** URL of a checksum file that the body must match, or null. */
  checksumUrl: string | null;
  /** Body size limit in bytes; MAX_DOWNLOAD_BYTES when absent. */
  maxBytes?: number;
}

/** A downloaded (or cached) body. */
export interface Download {
  body: Buffer;
  /** True when the server returned 304 Not Modified and the cached body is used. */
  isNotModified: boolean;
  /**
   * Stores a new body and its validators in the cache. The caller runs it
   * once the body proved usable, so a broken archive is not kept and
   * downloaded again next time.
   */
  store: () => void;
}

/** Validators of a cached body, as the server sent them. */
interface CacheMeta {
  url: string;
  etag: string | null;
  lastModified: string | null;
}

/**
 * Downloads `url` with a conditional request. Throws Error with the reason
 * (HTTP status, connection error, timeout, size, checksum mismatch).
 */
export async function downloadUrl(url: string, options: DownloadOptions): Promise<Download> {
  const paths = cachePaths(options.cacheDir, url);
  const cached = readCache(paths.body, paths.meta, url);

  const headers: Record<string, string> = {};
  if (cached !== null) {
    if (cached.meta.etag !== null) headers['if-none-match'] = cached.meta.etag;
    if (cached.meta.lastModified !== null) headers['if-modified-since'] = cached.meta.lastModified;
  }
  const response = await request(url, headers, options.timeoutMs);
  if (response.status === 304 && cached !== null) {
    await response.body?.cancel();
    return { body: cached.body, isNotModified: true, store: () => undefined };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  }

  const body = await readBody(response, options.maxBytes ?? MAX_DOWNLOAD_BYTES, options.timeoutMs);
  if (options.checksumUrl !== null) await checkChecksum(body, options.checksumUrl, options.timeoutMs);

  const meta: CacheMeta = { url, etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') };
  const store = (): void => {
    mkdirSync(options.cacheDir, { recursive: true });
    writeAtomically(paths.body, body);
    writeAtomically(paths.meta, `${JSON.stringify(meta)}\n`);
  };
  return { body, isNotModified: false, store };
}

/** Paths of a URL's cached body and validators: a digest of the URL, then its file name. */
function cachePaths(cacheDir: string, url: string): { body: string; meta: string } {
  const digest = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const name = (new URL(url).pathname.split('/').pop() ?? '').replace(/[^A-Za-z0-9._-]/g, '_') || 'download';
  const base = join(cacheDir, `${digest}-${name}`);
  return { body: base, meta: `${base}.meta.json` };
}

/** Returns the body of `url` kept in `cacheDir` by an earlier download, or null when there is none. */
export function readCachedBody(cacheDir: string, url: string): Buffer | null {
  const paths = cachePaths(cacheDir, url);
  return readCache(paths.body, paths.meta, url)?.body ?? null;
}

function readCache(bodyPath: string, metaPath: string, url: string): { body: Buffer; meta: CacheMeta } | null {
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CacheMeta;
    if (meta.url !== url) return null;
    return { body: readFileSync(bodyPath), meta: { url, etag: meta.etag ?? null, lastModified: meta.lastModified ?? null } };
  } catch {
    // No cached copy, or an unreadable one: download in full.
    return null;
  }
}

/** Writes `data` to a temporary file beside `path` and renames it, so readers never see half a file. */
export function writeAtomically(path: string, data: string | Buffer): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
}

async function request(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(networkReason(err, timeoutMs));
  }
}

/** Turns a fetch failure into words: the system error and its code, or the timeout. */
export function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `timed out after ${timeoutMs / 1000} s`;
  const cause = err instanceof Error ? (err.cause as (Error & { code?: string }) | undefined) : undefined;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code === 'ENOTFOUND') return 'host not found (ENOTFOUND)';
  if (code === 'ECONNRESET') return 'connection reset (ECONNRESET)';
  if (cause !== undefined) return code === undefined ? cause.message : `${cause.message} (${code})`;
  return err instanceof Error ? err.message : String(err);
}

async function readBody(response: Response, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const length = Number(response.headers.get('content-length'));
  if (length > maxBytes) {
    await response.body?.cancel();
    throw new Error(`body of ${length} bytes is larger than the limit of ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (response.body !== null) {
      for await (const chunk of response.body) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          await response.body.cancel().catch(() => undefined);
          throw new Error(`body is larger than the limit of ${maxBytes} bytes`);
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('body is larger')) throw err;
    throw new Error(`download broke off: ${networkReason(err, timeoutMs)}`);
  }
  return Buffer.concat(chunks);
}

/**
 * Compares the digest of `body` with the checksum file at `checksumUrl`:
 * its first word, 32 hex digits for MD5 or 64 for SHA-256.
 */
async function checkChecksum(body: Buffer, checksumUrl: string, timeoutMs: number): Promise<void> {
  const response = await request(checksumUrl, {}, timeoutMs);
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`checksum file ${checksumUrl}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const text = (await readBody(response, MAX_CHECKSUM_BYTES, timeoutMs)).toString('utf8');
  const expected = (text.trim().split(/\s+/)[0] ?? '').toLowerCase();
  let algorithm: 'md5' | 'sha256';
  if (/^[0-9a-f]{32}$/.test(expected)) algorithm = 'md5';
  else if (/^[0-9a-f]{64}$/.test(expected)) algorithm = 'sha256';
  else throw new Error(`checksum file ${checksumUrl} does not start with an MD5 or SHA-256 digest in hex`);
  const actual = createHash(algorithm).update(body).digest('hex');
  if (actual !== expected) throw new Error(`checksum mismatch: ${algorithm.toUpperCase()} of the download is ${actual}, ${checksumUrl} gives ${expected}`);
}
