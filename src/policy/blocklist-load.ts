/**
 * Loads the lists of policy.blocklists at start and on every reload: a
 * local file is read, a URL is downloaded with a conditional request
 * against the cache (update/download.ts). A list that cannot be read or
 * downloaded, has invalid lines or too many entries is not replaced: the
 * last good version stays in force. At start that is the cached download,
 * if any. The reason is logged with the file and line.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { BlocklistConfig, KapuConfig } from '../config/types.js';
import { downloadUrl, readCachedBody } from '../update/download.js';
import { parseBlocklist, renderListProblem, type ParsedList } from './blocklist-parse.js';
import { parsePrefix } from './quarantine-address.js';
import { CompiledList, type ListSettings } from './site-blocker.js';

/** Maximum invalid lines of one list that the log names; the rest are counted. */
export const MAX_LOGGED_PROBLEMS = 20;

/** Logs a control-plane line (pino style: fields, then message). */
export type BlocklistLog = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string) => void;

/** Writes blocklist log lines to stderr as kapu's warning and error lines. */
export const STDERR_BLOCKLIST_LOG: BlocklistLog = (level, fields, message) => {
  if (level === 'info') return;
  process.stderr.write(`kapu: ${level === 'warn' ? 'warning' : 'error'}: ${message} (${JSON.stringify(fields)})\n`);
};

/** Outcome of one list in a load. */
export interface ListLoadOutcome {
  id: number;
  name: string;
  /** `loaded`: new entries in force; `kept`: the previous version stays; `empty`: nothing to keep. */
  status: 'loaded' | 'kept' | 'empty';
  entries: number;
  /** Reason the list was not loaded, or null. */
  reason: string | null;
}

/** Returns the settings of a list entry (whose values the config loader checked). */
export function listSettingsOf(list: BlocklistConfig): ListSettings {
  let sinkholeV4: Uint8Array | null = null;
  let sinkholeV6: Uint8Array | null = null;
  for (const text of list.sinkhole) {
    const parsed = parsePrefix(text);
    if (!parsed.ok) continue;
    if (parsed.prefix.family === 4) sinkholeV4 ??= parsed.prefix.bytes;
    else sinkholeV6 ??= parsed.prefix.bytes;
  }
  const source = list.path ?? list.url ?? '';
  return {
    id: list.id,
    name: list.name ?? (list.path !== null ? basename(list.path) : source),
    kind: list.kind,
    action: list.action,
    subdomains: list.subdomains,
    sinkholeV4,
    sinkholeV6,
  };
}

/** Reads and downloads the configured lists, keeping the last good version of each. */
export class BlocklistLoader {
  private readonly config: KapuConfig;
  private readonly baseDir: string;
  private readonly cacheDir: string;
  private readonly log: BlocklistLog;
  /** The last good version of each list, by id. */
  private readonly lastGood: Map<number, CompiledList>;

  /**
   * `configPath` is the config file whose folder relative list paths are
   * read from (null: the current folder); `logDir` contains the cache.
   */
  constructor(config: KapuConfig, configPath: string | null, logDir: string, log: BlocklistLog) {
    this.config = config;
    this.baseDir = configPath !== null ? dirname(resolve(configPath)) : process.cwd();
    const cacheDir = config.policy.blocklist.cacheDir;
    this.cacheDir = isAbsolute(cacheDir) ? cacheDir : join(logDir, cacheDir);
    this.log = log;
    this.lastGood = new Map();
  }

  /** Loads every list; returns the lists now in force and each list's outcome. */
  async load(): Promise<{ lists: CompiledList[]; outcomes: ListLoadOutcome[] }> {
    const lists: CompiledList[] = [];
    const outcomes: ListLoadOutcome[] = [];
    for (const list of this.config.policy.blocklists) {
      const outcome = await this.loadOne(list);
      outcomes.push(outcome);
      const inForce = this.lastGood.get(list.id);
      if (inForce !== undefined) lists.push(inForce);
    }
    return { lists, outcomes };
  }

  private async loadOne(list: BlocklistConfig): Promise<ListLoadOutcome> {
    const settings = listSettingsOf(list);
    const source = list.path !== null ? this.pathOf(list.path) : (list.url as string);
    let text: string;
    let fallback: string | null = null;
    // Stores a new download in the cache, once its text parsed.
    let store: (() => void) | null = null;
    try {
      if (list.path !== null) text = readFileSync(source, 'utf8');
      else {
        const b = this.config.policy.blocklist;
        const result = await downloadUrl(source, { cacheDir: this.cacheDir, timeoutMs: b.timeout * 1000, checksumUrl: null, maxBytes: b.maxDownloadSize });
        store = result.store;
        text = result.body.toString('utf8');
      }
    } catch (err) {
      const reason = `${list.path !== null ? 'cannot read' : 'download failed for'} ${source}: ${err instanceof Error ? err.message : String(err)}`;
      // At start a URL list falls back to its cached copy.
      if (list.url !== null && !this.lastGood.has(list.id)) fallback = readCachedBody(this.cacheDir, list.url)?.toString('utf8') ?? null;
      if (fallback === null) return this.keep(settings, reason);
      this.log('warn', { list: settings.name, reason }, 'blocklist download failed; using the cached copy');
      text = fallback;
    }
    const parsed = parseBlocklist(text, source, list.kind, list.format);
    const problem = this.problemOf(parsed, settings);
    if (problem !== null) return this.keep(settings, problem);
    const compiled = new CompiledList(settings, parsed.entries);
    this.lastGood.set(list.id, compiled);
    if (store !== null) store();
    this.log('info', { list: settings.name, entries: compiled.entryCount }, 'blocklist loaded');
    return { id: list.id, name: settings.name, status: 'loaded', entries: compiled.entryCount, reason: null };
  }

  /** Returns why a parsed list cannot be used: invalid lines or too many entries; null when it can. */
  private problemOf(parsed: ParsedList, settings: ListSettings): string | null {
    const max = this.config.policy.blocklist.maxEntries;
    if (parsed.problems.length > 0) {
      const listed = parsed.problems.slice(0, MAX_LOGGED_PROBLEMS).map(renderListProblem);
      const more = parsed.problems.length - listed.length;
      return `${parsed.problems.length} invalid line${parsed.problems.length === 1 ? '' : 's'}:\n  ${listed.join('\n  ')}${more > 0 ? `\n  and ${more} more` : ''}`;
    }
    if (parsed.entries.length > max) return `${parsed.entries.length} entries is more than policy.blocklist.max-entries (${max}) in list ${settings.name}`;
    return null;
  }

  private keep(settings: ListSettings, reason: string): ListLoadOutcome {
    const previous = this.lastGood.get(settings.id);
    const status = previous !== undefined ? 'kept' : 'empty';
    this.log('error', { list: settings.name, id: settings.id }, `blocklist not loaded, ${status === 'kept' ? 'the previous version stays in force' : 'it blocks nothing'}: ${reason}`);
    return { id: settings.id, name: settings.name, status, entries: previous?.entryCount ?? 0, reason };
  }

  private pathOf(path: string): string {
    return isAbsolute(path) ? path : join(this.baseDir, path);
  }
}
