/**
 * Anomaly actions in nftables. kapu owns one table (`inet kapu_anomaly` by
 * default) with timeout sets of limited sources and dropped victims, one
 * pair per address family, and one forward chain:
 *
 *   ip daddr @victims4 drop
 *   ip saddr @limited4 update @meter4 { ip saddr limit rate over N/second } drop
 *
 * and the same for IPv6. The meter sets are dynamic: the kernel keeps one
 * rate limiter per limited source, so each source gets N packets a second,
 * not all of them together. Elements carry their own timeout. Every change
 * goes to `nft -f -` as one batch on stdin. Addresses are checked as IPv4
 * or IPv6 text before they are written, so no other text reaches nft.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { AnomalyFirewall } from '../policy/anomaly-actions.js';
import { QUARANTINE_CHAIN_PRIORITY, runNft, type NftRunner } from './nft-quarantine.js';

/** Seconds a per-source rate limiter lives after the source's last packet. */
const METER_TIMEOUT_S = 60;
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** Options of NftAnomaly. */
export interface NftAnomalyOptions {
  /** Table name in the inet family. */
  table: string;
  /** Packets per second each limited source may send. */
  ratePps: number;
}

/** Counters of the nft batches. */
export interface NftAnomalyCounters {
  batches: number;
  failed: number;
}

/** Writes anomaly actions to an nftables table; see the file comment. */
export class NftAnomaly implements AnomalyFirewall {
  readonly options: NftAnomalyOptions;
  readonly counters: NftAnomalyCounters;
  /** The last error text of a failed batch, or null. */
  lastError: string | null;
  private readonly runner: NftRunner;

  constructor(options: NftAnomalyOptions, runner: NftRunner = runNft) {
    if (!TABLE_NAME.test(options.table)) {
      throw new RangeError(`anomaly.actions.table '${options.table}' is invalid (expected a letter, then up to 31 letters, digits or _)`);
    }
    if (!Number.isInteger(options.ratePps) || options.ratePps < 1) {
      throw new RangeError(`anomaly.actions.rate-limit-pps ${options.ratePps} is invalid (expected a positive whole number)`);
    }
    this.options = options;
    this.counters = { batches: 0, failed: 0 };
    this.lastError = null;
    this.runner = runner;
  }

  /** Returns the batch that creates (or recreates) the table, its sets and its chain. */
  setupBatch(): string {
    const t = this.options.table;
    const rate = this.options.ratePps;
    const lines = [
      `table inet ${t}`,
      `delete table inet ${t}`,
      `table inet ${t} {`,
      '  set limited4 { type ipv4_addr; flags timeout; }',
      '  set limited6 { type ipv6_addr; flags timeout; }',
      '  set victims4 { type ipv4_addr; flags timeout; }',
      '  set victims6 { type ipv6_addr; flags timeout; }',
      `  set meter4 { type ipv4_addr; flags dynamic,timeout; timeout ${METER_TIMEOUT_S}s; }`,
      `  set meter6 { type ipv6_addr; flags dynamic,timeout; timeout ${METER_TIMEOUT_S}s; }`,
      '  chain forward {',
      `    type filter hook forward priority ${QUARANTINE_CHAIN_PRIORITY}; policy accept;`,
      '    ip daddr @victims4 drop',
      '    ip6 daddr @victims6 drop',
      `    ip saddr @limited4 update @meter4 { ip saddr limit rate over ${rate}/second } drop`,
      `    ip6 saddr @limited6 update @meter6 { ip6 saddr limit rate over ${rate}/second } drop`,
      '  }',
      '}',
    ];
    return lines.join('\n') + '\n';
  }

  /** Creates the table; resolves false (and sets lastError) when nft fails. */
  async setup(): Promise<boolean> {
    return this.apply(this.setupBatch());
  }

  /** Returns the batch that adds `address` to the limited or victim set for `timeoutS` seconds, or null for an invalid address. */
  elementBatch(kind: 'limited' | 'victims', address: string, timeoutS: number): string | null {
    const family = isIPv4(address) ? '4' : isIPv6(address) ? '6' : null;
    if (family === null) return null;
    const seconds = Math.max(1, Math.round(timeoutS));
    return `add element inet ${this.options.table} ${kind}${family} { ${address} timeout ${seconds}s }\n`;
  }

  limitSource(address: string, timeoutS: number): void {
    const batch = this.elementBatch('limited', address, timeoutS);
    if (batch !== null) void this.apply(batch);
  }

  dropVictim(address: string, timeoutS: number): void {
    const batch = this.elementBatch('victims', address, timeoutS);
    if (batch !== null) void this.apply(batch);
  }

  private async apply(batch: string): Promise<boolean> {
    this.counters.batches++;
    const result = await this.runner(['-f', '-'], batch);
    if (result.status === 0) return true;
    this.counters.failed++;
    this.lastError = result.stderr.trim() || `nft exited with status ${result.status}`;
    return false;
  }
}
