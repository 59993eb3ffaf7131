/**
 * The quarantine in nftables. kapu owns one table (`inet kapu_quarantine`
 * by default). It has interval sets of quarantined IPv4 and IPv6
 * prefixes, each element with its own timeout, and sets of management
 * prefixes. One base chain per configured hook drops every packet from or
 * to a quarantined prefix unless its peer is a management address.
 *
 * Every change goes to `nft -f -` as one batch on stdin, which the kernel
 * applies as one transaction: no shell, and no text from the user, because
 * addresses are parsed and formatted again (quarantine-address.ts) before
 * they are written.
 */
import { spawn } from 'node:child_process';
import { KapuError, ErrorCode } from '../core/errors.js';
import { formatPrefix, type AddressPrefix } from '../policy/quarantine-address.js';
import type { QuarantineFirewall } from '../policy/quarantine-manager.js';

/** Netfilter hooks that the quarantine chains can attach to. */
export type QuarantineHook = 'forward' | 'input' | 'output';

export const QUARANTINE_HOOKS: readonly QuarantineHook[] = ['forward', 'input', 'output'];

/**
 * Priority of the quarantine chains: before the filter chains at 0, where
 * the NFQUEUE rule sits, so quarantined packets never reach kapu's queue.
 */
export const QUARANTINE_CHAIN_PRIORITY = -10;

/** Milliseconds an nft command may run before it is ended and counted as failed. */
export const NFT_COMMAND_TIMEOUT_MS = 5_000;

/** Table names nft accepts as an identifier. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** Options of NftQuarantine. */
export interface NftQuarantineOptions {
  /** Table name in the inet family. */
  table: string;
  /** Hooks that get a quarantine chain. */
  hooks: readonly QuarantineHook[];
  /** Management prefixes: traffic between them and a quarantined host still flows. */
  management: readonly AddressPrefix[];
}

/** Runs nft with `args`, writing `input` to its stdin; resolves with its exit status and stderr. */
export type NftRunner = (args: readonly string[], input: string) => Promise<{ status: number | null; stdout: string; stderr: string }>;

/** Runs the `nft` program from PATH, ended after NFT_COMMAND_TIMEOUT_MS. */
export const runNft: NftRunner = (args, input) =>
  new Promise((resolve) => {
    const child = spawn('nft', [...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: NFT_COMMAND_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err) => resolve({ status: null, stdout, stderr: stderr + err.message }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });

/** Returns the name of the quarantine set for `family`. */
function quarantineSet(family: 4 | 6): string {
  return family === 4 ? 'quarantine4' : 'quarantine6';
}

/** Formats milliseconds as an nft time value; nft keeps millisecond precision. */
export function nftTimeout(timeoutMs: number): string {
  return `${Math.max(1, Math.ceil(timeoutMs))}ms`;
}

/** Manages kapu's quarantine table through the nft command. */
export class NftQuarantine implements QuarantineFirewall {
  readonly options: NftQuarantineOptions;
  private readonly runner: NftRunner;

  /** Throws KapuError (KAPU_ERR_QUARANTINE_FIREWALL_FAILED) for a table name nft cannot take. */
  constructor(options: NftQuarantineOptions, runner: NftRunner = runNft) {
    if (!TABLE_NAME.test(options.table)) {
      throw new KapuError(ErrorCode.QUARANTINE_FIREWALL_FAILED, `quarantine table name '${options.table}' is invalid (expected a letter, then up to 31 letters, digits or _)`);
    }
    this.options = options;
    this.runner = runner;
  }

  /**
   * Returns the batch that creates or updates the table: the sets (kept
   * with their elements when they exist), the management sets refilled,
   * and each configured chain emptied and filled again. Chains of hooks
   * no longer configured are removed. Running it twice gives the same
   * ruleset.
   */
  setupBatch(): string {
    const t = `inet ${this.options.table}`;
    const lines = [
      `add table ${t}`,
      `add set ${t} quarantine4 { type ipv4_addr; flags interval, timeout; }`,
      `add set ${t} quarantine6 { type ipv6_addr; flags interval, timeout; }`,
      // Management prefixes may overlap, so their sets merge them.
      `add set ${t} management4 { type ipv4_addr; flags interval; auto-merge; }`,
      `add set ${t} management6 { type ipv6_addr; flags interval; auto-merge; }`,
      `flush set ${t} management4`,
      `flush set ${t} management6`,
    ];
    for (const family of [4, 6] as const) {
      const elements = this.options.management.filter((p) => p.family === family).map(formatPrefix);
      if (elements.length > 0) lines.push(`add element ${t} management${family} { ${elements.join(', ')} }`);
    }
    for (const hook of QUARANTINE_HOOKS) {
      const chain = `${t} quarantine_${hook}`;
      lines.push(`add chain ${chain} { type filter hook ${hook} priority ${QUARANTINE_CHAIN_PRIORITY}; policy accept; }`);
      lines.push(`flush chain ${chain}`);
      if (!this.options.hooks.includes(hook)) {
        lines.push(`delete chain ${chain}`);
        continue;
      }
      for (const ip of ['ip', 'ip6'] as const) {
        const family = ip === 'ip' ? 4 : 6;
        lines.push(`add rule ${chain} ${ip} saddr @quarantine${family} ${ip} daddr @management${family} accept`);
        lines.push(`add rule ${chain} ${ip} daddr @quarantine${family} ${ip} saddr @management${family} accept`);
        lines.push(`add rule ${chain} ${ip} saddr @quarantine${family} counter drop`);
        lines.push(`add rule ${chain} ${ip} daddr @quarantine${family} counter drop`);
      }
    }
    return lines.join('\n') + '\n';
  }

  /**
   * Returns the batch that quarantines `prefix` for `timeoutMs`. An
   * element already in the set is replaced, so its timeout starts again.
   * The first add is a no-op for an existing element and creates a missing
   * one, so the delete that follows cannot fail. The kernel applies the
   * batch as one transaction.
   */
  addBatch(prefix: AddressPrefix, timeoutMs: number): string {
    const element = `inet ${this.options.table} ${quarantineSet(prefix.family)} { ${formatPrefix(prefix)}`;
    return [
      `add element ${element} timeout 1s }`,
      `delete element ${element} }`,
      `add element ${element} timeout ${nftTimeout(timeoutMs)} }`,
    ].join('\n') + '\n';
  }

  /** Returns the batch that releases `prefix`; it succeeds also when the element already expired. */
  removeBatch(prefix: AddressPrefix): string {
    const element = `inet ${this.options.table} ${quarantineSet(prefix.family)} { ${formatPrefix(prefix)}`;
    return `add element ${element} timeout 1s }\ndelete element ${element} }\n`;
  }

  /** Returns the batch that deletes the table with its sets and chains; it succeeds also when the table is absent. */
  teardownBatch(): string {
    const t = `inet ${this.options.table}`;
    return `add table ${t}\ndelete table ${t}\n`;
  }

  /** Creates or updates the table (setupBatch). Throws KapuError when nft fails. */
  async setup(): Promise<void> {
    await this.apply(this.setupBatch(), 'set up the quarantine table');
  }

  /** Quarantines `prefix` for `timeoutMs`. Throws KapuError when nft fails. */
  async add(prefix: AddressPrefix, timeoutMs: number): Promise<void> {
    await this.apply(this.addBatch(prefix, timeoutMs), `quarantine ${formatPrefix(prefix)}`);
  }

  /** Releases `prefix`. Throws KapuError when nft fails. */
  async remove(prefix: AddressPrefix): Promise<void> {
    await this.apply(this.removeBatch(prefix), `release ${formatPrefix(prefix)}`);
  }

  /** Deletes the table. Throws KapuError when nft fails. */
  async teardown(): Promise<void> {
    await this.apply(this.teardownBatch(), 'remove the quarantine table');
  }

  /**
   * Reads the prefixes in the kernel's quarantine sets with the
   * milliseconds left until each expires (`nft -j list set`). Returns an
   * empty list when the table does not exist.
   */
  async listElements(): Promise<{ prefix: string; expiresInMs: number | null }[]> {
    const out: { prefix: string; expiresInMs: number | null }[] = [];
    for (const set of ['quarantine4', 'quarantine6']) {
      const result = await this.runner(['-j', 'list', 'set', 'inet', this.options.table, set], '');
      if (result.status !== 0) return [];
      out.push(...elementsOfSetJson(result.stdout));
    }
    return out;
  }

  private async apply(batch: string, what: string): Promise<void> {
    const result = await this.runner(['-f', '-'], batch);
    if (result.status === 0) return;
    const detail = result.stderr.trim().split('\n')[0] ?? '';
    const fix = /Operation not permitted|permission/i.test(result.stderr) ? 'run as root or with CAP_NET_ADMIN'
      : result.status === null ? 'install nftables (the nft command) or check that it runs'
        : 'check the kernel\'s nftables support';
    throw new KapuError(ErrorCode.QUARANTINE_FIREWALL_FAILED, `nft could not ${what}: ${detail || `exit status ${result.status}`}; ${fix}`);
  }
}

/** Reads the elements of one set from `nft -j list set` output: the prefix text and the seconds left, as milliseconds. */
export function elementsOfSetJson(json: string): { prefix: string; expiresInMs: number | null }[] {
  const out: { prefix: string; expiresInMs: number | null }[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return out;
  }
  const items = (parsed as { nftables?: unknown[] }).nftables ?? [];
  for (const item of items) {
    const set = (item as { set?: { elem?: unknown[] } }).set;
    for (const entry of set?.elem ?? []) {
      const elem = (entry as { elem?: { val?: unknown; expires?: number } }).elem;
      const value = elem !== undefined ? elem.val : entry;
      let prefix: string | null = null;
      if (typeof value === 'string') prefix = value;
      else if (typeof value === 'object' && value !== null && 'prefix' in value) {
        const p = (value as { prefix: { addr: string; len: number } }).prefix;
        prefix = `${p.addr}/${p.len}`;
      }
      if (prefix === null) continue;
      out.push({ prefix, expiresInMs: typeof elem?.expires === 'number' ? elem.expires * 1000 : null });
    }
  }
  return out;
}
