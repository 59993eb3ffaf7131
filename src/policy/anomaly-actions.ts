/**
 * Policy actions on anomaly findings (`anomaly.actions`): for each finding
 * that starts, the first rule naming its detector (or `any`) decides:
 *
 * - `alert`: the gid 8200 alert only;
 * - `rate-limit`: limit the packets of the finding's source, when it has
 *   one genuine source (a scanner, a flood from one host). Spoofed and
 *   many-source floods have no address worth limiting and are skipped;
 * - `drop`: drop the traffic to the victim for `timeout` seconds, the
 *   last resort of a flood that would otherwise saturate the link;
 * - `quarantine`: quarantine the finding's single genuine source, only when
 *   that address completed a TCP handshake through kapu (noteHandshake),
 *   so a forged source address cannot get an innocent host quarantined.
 *
 * An address on the never-block lists (policy.management, gateways,
 * dns-servers, never-block) is never limited or dropped. At most
 * `maxPerMinute` actions run per minute of capture time, and the rest are
 * counted and skipped. The firewall that carries actions out is an
 * interface (act/nft-anomaly.ts implements it).
 */
import type { AnomalyFinding } from '../anomaly/finding.js';
import { ANOMALY_TYPE_NAMES } from '../anomaly/finding.js';
import { NetworkSet } from '../anomaly/network-set.js';
import { formatIpv6Groups } from '../anomaly/host-table.js';
import { parseNetwork } from '../flow/defrag-host-policy.js';
import type { KapuConfig } from '../config/types.js';
import { ConfigError } from '../core/errors.js';

/** Action kind of one rule of `anomaly.actions.rules`. */
export type AnomalyActionKind = 'alert' | 'rate-limit' | 'drop' | 'quarantine';

/** One rule of `anomaly.actions.rules`. */
export interface AnomalyActionRule {
  /** Detector name (`syn_flood`) or `any`. */
  detector: string;
  action: AnomalyActionKind;
  /** Seconds the limit or drop lasts. */
  timeoutS: number;
}

/** Carries out actions; act/nft-anomaly.ts writes them to nftables. */
export interface AnomalyFirewall {
  /** Limits the packets from `address` (IPv4 or IPv6 text) for `timeoutS` seconds. */
  limitSource(address: string, timeoutS: number): void;
  /** Drops the packets to `address` for `timeoutS` seconds. */
  dropVictim(address: string, timeoutS: number): void;
  /** Quarantines `address` for `timeoutS` seconds (the run's quarantine); absent where no quarantine runs. */
  quarantineSource?(address: string, timeoutS: number, finding: AnomalyFinding): void;
}

/** One action taken, for the log and the tests. */
export interface AnomalyActionTaken {
  action: 'rate-limit' | 'drop' | 'quarantine';
  address: string;
  timeoutS: number;
  /** Detector sid of the finding. */
  sid: number;
}

/** Counters of the anomaly actions. */
export interface AnomalyActionCounters {
  taken: number;
  /** Actions skipped because the address is on a never-block list. */
  neverBlock: number;
  /** Rate-limit actions skipped because the finding has no single genuine source. */
  noSource: number;
  /** Actions skipped because `maxPerMinute` was reached. */
  overLimit: number;
  /** Quarantines skipped because the source completed no TCP handshake. */
  noHandshake: number;
}

/** Sources remembered as having completed a TCP handshake; the oldest goes first. */
export const MAX_HANDSHAKE_SOURCES = 65536;

/** Applies `anomaly.actions` to findings; see the file comment. */
export class AnomalyActions {
  readonly rules: readonly AnomalyActionRule[];
  readonly counters: AnomalyActionCounters;
  readonly taken: AnomalyActionTaken[];
  private readonly neverBlock: NetworkSet;
  private readonly firewall: AnomalyFirewall;
  private readonly maxPerMinute: number;
  private minuteStartUs: number;
  private inMinute: number;
  /** True when a rule quarantines, so the pipeline reports completed handshakes. */
  readonly wantsHandshakes: boolean;
  /** Client addresses of TCP sessions that completed their handshake, by insertion (oldest first). */
  private readonly handshakes: Set<string>;

  constructor(rules: readonly AnomalyActionRule[], neverBlock: readonly string[], maxPerMinute: number, firewall: AnomalyFirewall) {
    for (const rule of rules) {
      if (rule.detector !== 'any' && !ANOMALY_TYPE_NAMES.includes(rule.detector)) {
        throw new RangeError(`anomaly.actions.rules: detector '${rule.detector}' is unknown (expected any or ${ANOMALY_TYPE_NAMES.slice(1).join(', ')})`);
      }
    }
    this.rules = rules;
    this.counters = { taken: 0, neverBlock: 0, noSource: 0, overLimit: 0, noHandshake: 0 };
    this.wantsHandshakes = rules.some((r) => r.action === 'quarantine');
    this.handshakes = new Set();
    this.taken = [];
    this.neverBlock = new NetworkSet(neverBlock);
    this.firewall = firewall;
    this.maxPerMinute = maxPerMinute;
    this.minuteStartUs = -1;
    this.inMinute = 0;
  }

  /**
   * Records that `address` (IPv4 or IPv6 text) completed a TCP handshake,
   * so a quarantine of it may go ahead. Called once per TCP session.
   */
  noteHandshake(address: string): void {
    if (this.handshakes.has(address)) return;
    if (this.handshakes.size >= MAX_HANDSHAKE_SOURCES) {
      const oldest = this.handshakes.values().next();
      if (oldest.done !== true) this.handshakes.delete(oldest.value);
    }
    this.handshakes.add(address);
  }

  /** Acts on one finding report; only `start` reports act. */
  handle(finding: AnomalyFinding): void {
    if (finding.phase !== 'start') return;
    const name = ANOMALY_TYPE_NAMES[finding.type];
    const rule = this.rules.find((r) => r.detector === name || r.detector === 'any');
    if (rule === undefined || rule.action === 'alert') return;

    const address = rule.action === 'drop' ? finding.destIp : genuineSourceOf(finding);
    if (address === null) {
      this.counters.noSource++;
      return;
    }
    if (rule.action === 'quarantine' && !this.handshakes.has(address)) {
      this.counters.noHandshake++;
      return;
    }
    if (this.isNeverBlocked(address)) {
      this.counters.neverBlock++;
      return;
    }
    if (!this.takeBudget(finding.timestampUs)) {
      this.counters.overLimit++;
      return;
    }
    if (rule.action === 'rate-limit') this.firewall.limitSource(address, rule.timeoutS);
    else if (rule.action === 'quarantine') this.firewall.quarantineSource?.(address, rule.timeoutS, finding);
    else this.firewall.dropVictim(address, rule.timeoutS);
    this.counters.taken++;
    this.taken.push({ action: rule.action, address, timeoutS: rule.timeoutS, sid: finding.type });
  }

  private isNeverBlocked(address: string): boolean {
    const parsed = parseNetwork(address, 0);
    if (parsed === null) return true;
    const a = parsed.address;
    const addr4 = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
    return this.neverBlock.contains(parsed.version, addr4, a);
  }

  private takeBudget(timestampUs: number): boolean {
    if (this.minuteStartUs < 0 || timestampUs - this.minuteStartUs >= 60_000_000) {
      this.minuteStartUs = timestampUs;
      this.inMinute = 0;
    }
    if (this.inMinute >= this.maxPerMinute) return false;
    this.inMinute++;
    return true;
  }
}

/** Formats an IPv4 (first 4 bytes) or IPv6 address as the findings write it. */
export function addressText(ipVersion: number, bytes: Uint8Array): string {
  if (ipVersion === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  return formatIpv6Groups(groups);
}

/** Returns the finding's one genuine source, or null for spoofed or many-source findings. */
function genuineSourceOf(finding: AnomalyFinding): string | null {
  if (finding.sourcesSpoofed === true) return null;
  return finding.srcIp;
}

/** A firewall that only counts actions, for capture runs, which must not change the host's firewall. */
const COUNTING_FIREWALL: AnomalyFirewall = {
  limitSource: () => undefined,
  dropVictim: () => undefined,
};

/**
 * Builds the policy actions of `anomaly.actions`, or null without rules.
 * Without `firewall` the actions are decided and counted but not carried out.
 */
export function anomalyActionsOf(config: KapuConfig, firewall: AnomalyFirewall | null): AnomalyActions | null {
  const actions = config.anomaly.actions;
  if (actions.rules.length === 0) return null;
  const policy = config.policy;
  const neverBlock = [...policy.management, ...policy.gateways, ...policy.dnsServers, ...policy.neverBlock];
  const rules = actions.rules.map((r) => ({ detector: r.detector, action: r.action, timeoutS: r.timeout }));
  try {
    return new AnomalyActions(rules, neverBlock, actions.maxPerMinute, firewall ?? COUNTING_FIREWALL);
  } catch (err) {
    if (err instanceof RangeError) throw new ConfigError([err.message]);
    throw err;
  }
}
