/**
 * `kapu quarantine list|add|release` and the quarantine of a live run:
 * both open the same database (policy.quarantine.database) and the same
 * nftables table, so a quarantine added by hand stays in force while kapu
 * runs and across its restarts.
 */
import { existsSync } from 'node:fs';
import { formatRate, NftQuarantine, runNft, type NftRunner, type QuarantineHook } from '../act/nft-quarantine.js';
import { loadConfig } from '../config/index.js';
import type { KapuConfig } from '../config/types.js';
import { UsageError } from '../core/errors.js';
import { parseDurationSeconds } from '../config/values.js';
import { managementPrefixesOf, quarantineDatabasePath, quarantineSettingsOf, rateLimitRatesOf } from '../policy/quarantine-config.js';
import { QuarantineManager, type QuarantineLog } from '../policy/quarantine-manager.js';
import { QuarantineStore, type QuarantineRecord } from '../policy/quarantine-store.js';

/** Maximum timeout of `kapu quarantine add`: 365 days, in seconds. */
export const MAX_QUARANTINE_TIMEOUT_S = 365 * 86_400;

/** An open quarantine: its manager with the store and firewall under it. */
export interface OpenQuarantine {
  manager: QuarantineManager;
  store: QuarantineStore;
  firewall: NftQuarantine;
}

/** Writes quarantine log lines to stderr as kapu's other live warnings. */
export const STDERR_QUARANTINE_LOG: QuarantineLog = (level, fields, message) => {
  const prefix = level === 'info' ? 'kapu: ' : `kapu: ${level === 'warn' ? 'warning' : 'error'}: `;
  process.stderr.write(`${prefix}${message} (${JSON.stringify(fields)})\n`);
};

/** Opens the quarantine database in `logDir` and builds the manager from `config`. */
export function openQuarantine(config: KapuConfig, logDir: string, log: QuarantineLog, runner: NftRunner = runNft, clock: () => number = Date.now): OpenQuarantine {
  const settings = quarantineSettingsOf(config);
  const firewall = new NftQuarantine({
    table: config.policy.quarantine.table,
    hooks: config.policy.quarantine.hooks as QuarantineHook[],
    management: managementPrefixesOf(config),
    rates: rateLimitRatesOf(settings.responses),
  }, runner);
  const store = QuarantineStore.open(quarantineDatabasePath(config, logDir));
  return { manager: new QuarantineManager(settings, store, firewall, log, clock), store, firewall };
}

/** Returns true when a live run should open the quarantine: responses are configured, or a database exists to restore. */
export function isQuarantineWanted(config: KapuConfig, logDir: string): boolean {
  const anomalyQuarantines = config.anomaly.enabled && config.anomaly.actions.rules.some((r) => r.action === 'quarantine');
  return config.policy.responses.length > 0 || anomalyQuarantines || existsSync(quarantineDatabasePath(config, logDir));
}

/** Flags shared by the quarantine subcommands. */
export interface QuarantineFlags {
  config?: string;
  logDir?: string;
  set: string[];
}

/** Options of `kapu quarantine add`. */
export interface QuarantineAddFlags extends QuarantineFlags {
  timeout?: string;
  reason?: string;
  force?: boolean;
}

/** Output sink, nft runner and clock of a quarantine command, which tests replace. */
export interface QuarantineIo {
  out: (text: string) => void;
  runner: NftRunner;
  clock: () => number;
}

const DEFAULT_IO: QuarantineIo = { out: (text) => process.stdout.write(text), runner: runNft, clock: Date.now };

function openForCommand(flags: QuarantineFlags, io: QuarantineIo): OpenQuarantine {
  const { config } = loadConfig(flags.config ?? null, flags.set);
  return openQuarantine(config, flags.logDir ?? config.defaultLogDir, STDERR_QUARANTINE_LOG, io.runner, io.clock);
}

/** Parses `--timeout`; throws UsageError naming the value and the accepted form. */
export function parseTimeoutFlag(text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === null || seconds < 1 || seconds > MAX_QUARANTINE_TIMEOUT_S) {
    throw new UsageError(`--timeout '${text}' is invalid (expected 1s to 365d: whole seconds with an optional unit s, m, h or d, such as 90s, 10m or 1h)`);
  }
  return seconds;
}

/** `kapu quarantine list`: prints the active quarantines and rate limits. Returns the exit status. */
export function runQuarantineList(flags: QuarantineFlags, io: QuarantineIo = DEFAULT_IO): number {
  const { store, manager } = openForCommand(flags, io);
  try {
    io.out(formatQuarantineList(manager.list(), io.clock()));
    return 0;
  } finally {
    store.close();
  }
}

/** `kapu quarantine add ADDR[/LEN]`: quarantines by hand. Returns the exit status. */
export async function runQuarantineAdd(address: string, flags: QuarantineAddFlags, io: QuarantineIo = DEFAULT_IO): Promise<number> {
  const timeoutS = flags.timeout !== undefined ? parseTimeoutFlag(flags.timeout) : null;
  const { store, manager } = openForCommand(flags, io);
  try {
    await manager.restore();
    const record = await manager.add(address, {
      timeoutS: timeoutS ?? manager.settings.defaultTimeoutS,
      reason: flags.reason ?? 'manual',
      force: flags.force === true,
    });
    io.out(`quarantined ${record.address} until ${formatTime(record.expiresMs)} (${formatRemaining(record.expiresMs - record.createdMs)})\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** `kapu quarantine release ADDR[/LEN]`: ends a quarantine at once. Returns the exit status. */
export async function runQuarantineRelease(address: string, flags: QuarantineFlags, io: QuarantineIo = DEFAULT_IO): Promise<number> {
  const { store, manager } = openForCommand(flags, io);
  try {
    // The table may be gone (a reboot without kapu), and nft cannot delete from a missing set.
    await manager.restore();
    const wasActive = await manager.release(address);
    io.out(wasActive ? `released ${address}\n` : `${address} was not quarantined; its firewall entry, if any, is removed\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** Formats wall time in UTC to the second, as `2026-12-05 03:10:11Z`. */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Formats a duration in its two largest units, as `1h 5m` or `42s`. */
export function formatRemaining(ms: number): string {
  let seconds = Math.max(0, Math.ceil(ms / 1000));
  const units: [string, number][] = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  const parts: string[] = [];
  for (const [name, size] of units) {
    if (seconds >= size || (name === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(seconds / size)}${name}`);
      seconds %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** Renders the list: address, action (with the rate of a limit), since, expires with the time left, and the reason. */
export function formatQuarantineList(records: readonly QuarantineRecord[], nowMs: number): string {
  if (records.length === 0) return 'no active quarantines or rate limits\n';
  const rows = records.map((r) => [
    r.address,
    r.rate !== null ? `${r.action} ${formatRate(r.rate)}` : r.action,
    formatTime(r.createdMs),
    `${formatTime(r.expiresMs)} (${formatRemaining(r.expiresMs - nowMs)} left)`,
    r.origin === 'automatic' && r.policyEntry !== null ? `${r.reason} (${r.policyEntry})` : r.reason,
  ]);
  const header = ['ADDRESS', 'ACTION', 'SINCE', 'EXPIRES', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ') + '\n';
  return line(header) + rows.map(line).join('');
}
