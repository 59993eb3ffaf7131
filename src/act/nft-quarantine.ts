/**
 * The quarantine in nftables. kapu owns one table (`inet kapu_quarantine`
 * by default). It has interval sets of quarantined IPv4 and IPv6
 * prefixes, each element with its own timeout, and sets of management
 * prefixes. One base chain per configured hook drops every packet from or
 * to a quarantined prefix unless its peer is a management address.
 *
 * Rate limits live in the same table and chains. Each distinct rate of
 * the rate-limit responses (options.rates, numbered from 0) has a timeout
 * set of limited hosts per family and meters: dynamic sets in which the
 * kernel keeps one token bucket per limited host and direction. For rate
 * 0 of 50 packets a second the IPv4 rules read
 *
 *   ip saddr @ratelimit4_0 update @rlpkt4_0_src { ip saddr limit rate over 50/second } counter drop
 *   ip daddr @ratelimit4_0 update @rlpkt4_0_dst { ip daddr limit rate over 50/second } counter drop
 *
 * so a limited host may send 50 packets a second and receive 50 more, and
 * each packet above that is dropped. A byte rate adds the same two rules
 * with `bytes/second`. Management peers pass as for a quarantine.
 *
 * Every change goes to `nft -f -` as one batch on stdin, which the kernel
 * applies as one transaction: no shell, and no text from the user, because
 * addresses are parsed and formatted again (quarantine-address.ts) before
 * they are written.
 */
import { spawn } from 'node:child_process';
import { KapuError, ErrorCode } from '../core/errors.js';
import { formatPrefix, type AddressPrefix } from '../policy/quarantine-address.js';
import type { QuarantineFirewall, RateLimitSpec } from '../policy/quarantine-manager.js';

/** Netfilter hooks that the quarantine chains can attach to. */
export type QuarantineHook = 'forward' | 'input' | 'output';

export const QUARANTINE_HOOKS: readonly QuarantineHook[] = ['forward', 'input', 'output'];

/**
 * Priority of the quarantine chains: before the filter chains at 0, where
 * the NFQUEUE rule sits, so quarantined packets never reach kapu's queue.
 */
export const QUARANTINE_CHAIN_PRIORITY = -10;

/**
 * Seconds a meter keeps a host's token bucket after its last packet. The
 * buckets are refilled after such a pause anyway, so this bounds only the
 * memory of hosts that stopped sending.
 */
export const RATE_METER_TIMEOUT_S = 60;

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
  /** Distinct rates of the rate-limit responses; index k gets the sets ratelimit4_k and ratelimit6_k. */
  rates: readonly RateLimitSpec[];
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

/** Returns the name of the set of hosts limited to rate number `index`. */
function rateLimitSet(family: 4 | 6, index: number): string {
  return `ratelimit${family}_${index}`;
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
      ...this.rateSetLines(),
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
      this.options.rates.forEach((rate, index) => lines.push(...rateLimitRules(chain, rate, index)));
    }
    return lines.join('\n') + '\n';
  }

  /** Returns the lines that create the sets of each rate and empty its meters, which hold only token buckets. */
  private rateSetLines(): string[] {
    const t = `inet ${this.options.table}`;
    const lines: string[] = [];
    this.options.rates.forEach((rate, index) => {
      for (const family of [4, 6] as const) {
        const type = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
        lines.push(`add set ${t} ${rateLimitSet(family, index)} { type ${type}; flags timeout; }`);
        const meters = rate.bytesPerS !== null ? ['rlpkt', 'rlbyte'] : ['rlpkt'];
        for (const meter of meters) {
          for (const side of ['src', 'dst']) {
            const name = `${meter}${family}_${index}_${side}`;
            lines.push(`add set ${t} ${name} { type ${type}; flags dynamic, timeout; timeout ${RATE_METER_TIMEOUT_S}s; }`);
            lines.push(`flush set ${t} ${name}`);
          }
        }
      }
    });
    return lines;
  }

  /**
   * Returns the batch that limits host `prefix` to `rate` for `timeoutMs`,
   * replacing an existing element as addBatch does. Throws KapuError
   * (KAPU_ERR_QUARANTINE_FIREWALL_FAILED) when `rate` is not one of
   * options.rates or `prefix` is not one host.
   */
  addLimitBatch(prefix: AddressPrefix, rate: RateLimitSpec, timeoutMs: number): string {
    const index = this.options.rates.findIndex((r) => r.packetsPerS === rate.packetsPerS && r.bytesPerS === rate.bytesPerS);
    if (index < 0) {
      throw new KapuError(ErrorCode.QUARANTINE_FIREWALL_FAILED, `rate ${formatRate(rate)} of ${formatPrefix(prefix)} is not the rate of any rate-limit response in policy.responses`);
    }
    if (prefix.prefixLength !== (prefix.family === 4 ? 32 : 128)) {
      throw new KapuError(ErrorCode.QUARANTINE_FIREWALL_FAILED, `${formatPrefix(prefix)} is a prefix; a rate limit takes one host address`);
    }
    const element = `inet ${this.options.table} ${rateLimitSet(prefix.family, index)} { ${formatPrefix(prefix)}`;
    return [
      `add element ${element} timeout 1s }`,
      `delete element ${element} }`,
      `add element ${element} timeout ${nftTimeout(timeoutMs)} }`,
    ].join('\n') + '\n';
  }

  /** Returns the batch that lifts every rate limit of host `prefix`; it succeeds also when it has none. */
  removeLimitBatch(prefix: AddressPrefix): string {
    const lines: string[] = [];
    this.options.rates.forEach((_rate, index) => {
      const element = `inet ${this.options.table} ${rateLimitSet(prefix.family, index)} { ${formatPrefix(prefix)}`;
      lines.push(`add element ${element} timeout 1s }`, `delete element ${element} }`);
    });
    return lines.length === 0 ? '' : lines.join('\n') + '\n';
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

  /** Limits host `prefix` to `rate` for `timeoutMs`. Throws KapuError when the rate is unknown or nft fails. */
  async addLimit(prefix: AddressPrefix, rate: RateLimitSpec, timeoutMs: number): Promise<void> {
    await this.apply(this.addLimitBatch(prefix, rate, timeoutMs), `rate-limit ${formatPrefix(prefix)}`);
  }

  /** Lifts the rate limits of `prefix`. Throws KapuError when nft fails. */
  async removeLimit(prefix: AddressPrefix): Promise<void> {
    const batch = this.removeLimitBatch(prefix);
    if (batch !== '') await this.apply(batch, `lift the rate limit of ${formatPrefix(prefix)}`);
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

/** Formats a rate as `50/s` or `50/s and 100000 B/s`. */
export function formatRate(rate: RateLimitSpec): string {
  return rate.bytesPerS !== null ? `${rate.packetsPerS}/s and ${rate.bytesPerS} B/s` : `${rate.packetsPerS}/s`;
}

/**
 * Returns the rules of rate number `index` for `chain`: management peers
 * pass, then each direction of a limited host has its packet meter and,
 * with a byte rate, its byte meter.
 */
function rateLimitRules(chain: string, rate: RateLimitSpec, index: number): string[] {
  const lines: string[] = [];
  for (const ip of ['ip', 'ip6'] as const) {
    const family = ip === 'ip' ? 4 : 6;
    const set = `@${rateLimitSet(family, index)}`;
    lines.push(`add rule ${chain} ${ip} saddr ${set} ${ip} daddr @management${family} accept`);
    lines.push(`add rule ${chain} ${ip} daddr ${set} ${ip} saddr @management${family} accept`);
    const limits: [string, string][] = [['rlpkt', `${rate.packetsPerS}/second`]];
    if (rate.bytesPerS !== null) limits.push(['rlbyte', `${rate.bytesPerS} bytes/second`]);
    for (const [meter, limit] of limits) {
      for (const [side, field] of [['src', 'saddr'], ['dst', 'daddr']] as const) {
        lines.push(`add rule ${chain} ${ip} ${field} ${set} update @${meter}${family}_${index}_${side} { ${ip} ${field} limit rate over ${limit} } counter drop`);
      }
    }
  }
  return lines;
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
