/**
 * QuarantineManager decides and records quarantines, and the firewall
 * (act/nft-quarantine.ts) carries them out. Two paths lead here:
 *
 * - manual, from `kapu quarantine add|release`, where a never-block
 *   address needs `force`;
 * - automatic, from the pipeline, when an alert's sid has a
 *   `policy.responses` entry. `request` rejects never-block addresses and
 *   requests past the rate limit. It also rejects remote addresses whose
 *   flow did not complete a TCP handshake, so a forged source cannot get
 *   an innocent host blocked. Each quarantine it applies is reported as
 *   an event that the EVE writers turn into a gid 8100 alert.
 *
 * A response with action `rate-limit` takes the same path with the same
 * checks, but the firewall limits the address's packets to the response's
 * rate instead of dropping them all. Its records share the store, with
 * their own action, budget, counters and alert sid.
 *
 * The decision is synchronous and cheap; the nft command and the database
 * write run afterwards, one at a time, off the packet path.
 */
import { ErrorCode, KapuError } from '../core/errors.js';
import { Direction, type Packet } from '../core/packet.js';
import type { Signature } from '../detect/signature.js';
import type { Flow } from '../flow/flow.js';
import { TcpState } from '../stream/tcp-session.js';
import { formatPrefix, parsePrefix, prefixContains, prefixesOverlap, type AddressPrefix, type PrefixList } from './quarantine-address.js';
import type { QuarantineRecord, QuarantineStore } from './quarantine-store.js';

/** The firewall operations the manager needs; NftQuarantine implements them. */
export interface QuarantineFirewall {
  /** Creates or updates the firewall's table and chains; safe to repeat. */
  setup(): Promise<void>;
  /** Blocks `prefix` for `timeoutMs`, restarting the timeout of an existing entry. */
  add(prefix: AddressPrefix, timeoutMs: number): Promise<void>;
  /** Unblocks `prefix`; succeeds when it is not blocked. */
  remove(prefix: AddressPrefix): Promise<void>;
  /** Limits the traffic of host `prefix` to `rate` for `timeoutMs`, restarting the timeout of an existing limit. */
  addLimit(prefix: AddressPrefix, rate: RateLimitSpec, timeoutMs: number): Promise<void>;
  /** Lifts every rate limit of host `prefix`; succeeds when it has none. */
  removeLimit(prefix: AddressPrefix): Promise<void>;
}

/** Action of a `policy.responses` entry. */
export type ResponseAction = 'quarantine' | 'rate-limit';

/** Rate of a rate limit: what the host may send, and separately what it may receive. */
export interface RateLimitSpec {
  packetsPerS: number;
  /** Bytes per second, or null for no byte limit. */
  bytesPerS: number | null;
}

/** One `policy.responses` entry. */
export interface QuarantineResponse {
  /** Key path of the entry, such as `policy.responses.0`. */
  entry: string;
  gid: number;
  sid: number;
  action: ResponseAction;
  /** Address of the alerting packet that is quarantined or limited: its source or its destination. */
  target: 'src' | 'dest';
  timeoutS: number;
  /** The rate of action rate-limit; null for a quarantine. */
  rate: RateLimitSpec | null;
}

/** Settings of the manager, resolved from `policy` (quarantine-config.ts). */
export interface QuarantineSettings {
  /** sid of the gid 8100 alert written for each automatic quarantine. */
  actionSid: number;
  /** Timeout of a manual quarantine without `--timeout`, in seconds. */
  defaultTimeoutS: number;
  /** Automatic quarantines allowed per minute; more are refused until the budget refills. */
  maxPerMinute: number;
  /** The alert sid and budget of automatic rate limits (policy.rate-limit). */
  rateLimit: { actionSid: number; maxPerMinute: number };
  /** Addresses no automatic response may touch (never-block, gateways, DNS servers, management). */
  neverBlock: PrefixList;
  /** Tells whether an address is local ($HOME_NET); other addresses need a completed TCP handshake. */
  isHomeAddress: (family: number, address: Uint8Array) => boolean;
  responses: readonly QuarantineResponse[];
}

/** Outcome of an automatic request. */
export const RequestOutcome = {
  QUEUED: 'queued',
  ALREADY_QUARANTINED: 'already-quarantined',
  NEVER_BLOCK: 'never-block',
  NO_HANDSHAKE: 'no-handshake',
  RATE_LIMITED: 'rate-limited',
  NOT_IP: 'not-ip',
} as const;
export type RequestOutcomeValue = (typeof RequestOutcome)[keyof typeof RequestOutcome];

/** Facts of the alerting packet, copied when the alert is raised, for the EVE event. */
export interface PacketFacts {
  timestampUs: number;
  flowId: number | null;
  pcapCount: number;
  ipVersion: number;
  ipProto: number;
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  srcPort: number;
  dstPort: number;
  appProto: string | null;
  /** `to_server` or `to_client` when the packet has a flow, else null. */
  direction: 'to_server' | 'to_client' | null;
}

/** Evidence behind an automatic quarantine request. */
export interface QuarantineEvidence {
  rule: { gid: number; sid: number; rev: number; msg: string };
  response: QuarantineResponse;
  packet: PacketFacts;
  /** The target's flow completed a TCP handshake. */
  hasHandshake: boolean;
}

/** An automatic quarantine or rate limit carried out (or failed), for the gid 8100 alert. */
export interface QuarantineEvent {
  /** Taken from evidence.response. */
  action: ResponseAction;
  actionSid: number;
  address: string;
  timeoutS: number;
  expiresMs: number;
  evidence: QuarantineEvidence;
  /** nft's error when the quarantine could not be applied, else null. */
  error: string | null;
}

/** Counters of one response action, as the stats event names them under `quarantine.` or `rate_limit.`. */
export class QuarantineCounters {
  requests = 0;
  applied = 0;
  failed = 0;
  alreadyQuarantined = 0;
  refusedNeverBlock = 0;
  refusedNoHandshake = 0;
  refusedRateLimited = 0;
}

/** Options of a manual quarantine. */
export interface ManualQuarantine {
  timeoutS: number;
  reason: string;
  /** Quarantine a never-block address anyway. */
  force: boolean;
}

/** Seconds between two log lines about the same kind of refusal; the ones between are counted. */
export const REFUSAL_LOG_INTERVAL_S = 10;

/** Logs a control-plane line (pino style: fields, then message). */
export type QuarantineLog = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string) => void;

/** Returns true when `flow` is TCP and its three-way (or four-way) handshake completed (RFC 9293 section 3.5). */
export function hasCompletedHandshake(flow: Flow | null): boolean {
  const tcp = flow?.tcp ?? null;
  if (tcp === null || tcp.isMidstream || tcp.isAsync) return false;
  const state = tcp.state;
  if (state >= TcpState.ESTABLISHED && state <= TcpState.CLOSING) return true;
  // A session closed by RST had a handshake only if the RST came after it.
  if (state === TcpState.CLOSED) return !tcp.isClosedByRst || tcp.stateBeforeRst >= TcpState.ESTABLISHED;
  return false;
}

/** Copies the facts of `p` that the gid 8100 alert shows. */
export function packetFactsOf(p: Packet, flow: Flow | null): PacketFacts {
  const length = p.ipVersion === 6 ? 16 : 4;
  return {
    timestampUs: p.timestampUs,
    flowId: flow !== null ? flow.flowId : null,
    pcapCount: p.pcapCount,
    ipVersion: p.ipVersion,
    ipProto: p.ipProto,
    srcAddr: p.srcAddr.slice(0, length),
    dstAddr: p.dstAddr.slice(0, length),
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    appProto: flow !== null ? flow.appProto : null,
    direction: directionOf(p, flow),
  };
}

function directionOf(p: Packet, flow: Flow | null): 'to_server' | 'to_client' | null {
  if (flow === null) return null;
  return p.direction === Direction.TO_CLIENT ? 'to_client' : 'to_server';
}

/** Groups `responses` by the sid of their rule, as onAlert looks them up. */
export function responsesBySidOf(responses: readonly QuarantineResponse[]): Map<number, QuarantineResponse[]> {
  const bySid = new Map<number, QuarantineResponse[]>();
  for (const response of responses) {
    const list = bySid.get(response.sid) ?? [];
    list.push(response);
    bySid.set(response.sid, list);
  }
  return bySid;
}

/**
 * Returns the quarantine that an alert of `sig` requests, with its
 * evidence as plain data, or null when no response names the rule.
 */
export function quarantineRequestOf(
  responsesBySid: ReadonlyMap<number, QuarantineResponse[]>,
  p: Packet,
  flow: Flow | null,
  sig: Signature,
): { target: Uint8Array; evidence: QuarantineEvidence } | null {
  const responses = responsesBySid.get(sig.sid);
  if (responses === undefined) return null;
  const response = responses.find((r) => r.gid === sig.gid);
  if (response === undefined) return null;
  const packet = packetFactsOf(p, flow);
  const target = response.target === 'src' ? packet.srcAddr : packet.dstAddr;
  const evidence: QuarantineEvidence = {
    rule: { gid: sig.gid, sid: sig.sid, rev: sig.rev, msg: sig.msg },
    response,
    packet,
    hasHandshake: hasCompletedHandshake(flow),
  };
  return { target, evidence };
}

/** Budget of automatic requests of one action: `maxPerMinute` tokens, refilled evenly. */
class RequestBudget {
  private tokens: number;
  private tokensAtMs: number;

  constructor(readonly maxPerMinute: number, nowMs: number) {
    this.tokens = maxPerMinute;
    this.tokensAtMs = nowMs;
  }

  /** Takes one token; returns false when none is left. */
  take(nowMs: number): boolean {
    const perMs = this.maxPerMinute / 60_000;
    this.tokens = Math.min(this.maxPerMinute, this.tokens + (nowMs - this.tokensAtMs) * perMs);
    this.tokensAtMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Text of each action in log lines, and the config key of its budget. */
const ACTION_WORDING: Record<ResponseAction, { noun: string; done: string; budgetKey: string }> = {
  'quarantine': { noun: 'quarantine', done: 'host quarantined', budgetKey: 'policy.quarantine.max-per-minute' },
  'rate-limit': { noun: 'rate limit', done: 'host rate-limited', budgetKey: 'policy.rate-limit.max-per-minute' },
};

/** Keeps and applies quarantines and rate limits: the policy side of the automatic responses. */
export class QuarantineManager {
  readonly settings: QuarantineSettings;
  readonly counters: QuarantineCounters;
  readonly rateLimitCounters: QuarantineCounters;
  /** Receives each automatic quarantine for the gid 8100 alert; set by the run once its outputs are open. */
  onEvent: ((event: QuarantineEvent) => void) | null;
  private readonly store: QuarantineStore;
  private readonly firewall: QuarantineFirewall;
  private readonly clock: () => number;
  private readonly log: QuarantineLog;
  /** Responses by the sid of their rule; the gid is checked on a hit. */
  private readonly responsesBySid: Map<number, QuarantineResponse[]>;
  /** Prefixes quarantined or limited by this process or restored at start, keyed by action and prefix, with their expiry (wall ms). */
  private readonly known: Map<string, { action: ResponseAction; prefix: AddressPrefix; expiresMs: number }>;
  private readonly budgets: Record<ResponseAction, RequestBudget>;
  /** The chain of firewall and store work; each step starts after the previous one ended. */
  private work: Promise<void>;
  private readonly refusalLog: Map<string, { lastMs: number; suppressed: number }>;

  constructor(settings: QuarantineSettings, store: QuarantineStore, firewall: QuarantineFirewall, log: QuarantineLog, clock: () => number = Date.now) {
    this.settings = settings;
    this.counters = new QuarantineCounters();
    this.rateLimitCounters = new QuarantineCounters();
    this.onEvent = null;
    this.store = store;
    this.firewall = firewall;
    this.clock = clock;
    this.log = log;
    this.responsesBySid = responsesBySidOf(settings.responses);
    this.known = new Map();
    this.budgets = { 'quarantine': new RequestBudget(settings.maxPerMinute, clock()), 'rate-limit': new RequestBudget(settings.rateLimit.maxPerMinute, clock()) };
    this.work = Promise.resolve();
    this.refusalLog = new Map();
  }

  /** Returns true when some rule's alerts can start a quarantine. */
  get hasResponses(): boolean {
    return this.responsesBySid.size > 0;
  }

  /**
   * Takes each alert the pipeline writes. When `sig` has a response, it
   * requests the quarantine or rate limit of the packet's source or
   * destination. Other alerts cost one map lookup.
   */
  onAlert(p: Packet, flow: Flow | null, sig: Signature): void {
    const request = quarantineRequestOf(this.responsesBySid, p, flow, sig);
    if (request !== null) this.request(request.target, request.evidence, flow);
  }

  /**
   * Decides an automatic quarantine or rate limit (by the response's
   * action) of `address` (4 or 16 bytes) and, when it is accepted, queues
   * the firewall change. It rejects never-block addresses, remote
   * addresses without a completed TCP handshake in `flow`, and requests
   * past the action's budget. Each rejection is counted, and logged at
   * most once per REFUSAL_LOG_INTERVAL_S.
   */
  request(address: Uint8Array, evidence: QuarantineEvidence, flow: Flow | null): RequestOutcomeValue {
    const settings = this.settings;
    const action = evidence.response.action;
    const counters = this.countersOf(action);
    const wording = ACTION_WORDING[action];
    counters.requests++;
    const family = evidence.packet.ipVersion;
    if (family !== 4 && family !== 6) return RequestOutcome.NOT_IP;
    const prefix: AddressPrefix = { family, bytes: address.slice(0, family === 4 ? 4 : 16), prefixLength: family === 4 ? 32 : 128 };
    const text = formatPrefix(prefix);

    if (settings.neverBlock.findOverlap(prefix) !== null) {
      counters.refusedNeverBlock++;
      this.logRefusal(RequestOutcome.NEVER_BLOCK, text, evidence, `automatic ${wording.noun} refused: address is on the never-block list`);
      return RequestOutcome.NEVER_BLOCK;
    }
    // A request forwarded from a worker thread carries no flow, only the handshake fact taken there.
    const hasHandshake = flow !== null ? hasCompletedHandshake(flow) : evidence.hasHandshake;
    if (!settings.isHomeAddress(family, prefix.bytes) && !hasHandshake) {
      counters.refusedNoHandshake++;
      this.logRefusal(RequestOutcome.NO_HANDSHAKE, text, evidence, `automatic ${wording.noun} refused: remote address without a completed TCP handshake in the flow, so it may be forged`);
      return RequestOutcome.NO_HANDSHAKE;
    }
    const nowMs = this.clock();
    if (this.isKnownActive(action, prefix, nowMs)) {
      counters.alreadyQuarantined++;
      return RequestOutcome.ALREADY_QUARANTINED;
    }
    const budget = this.budgets[action];
    if (!budget.take(nowMs)) {
      counters.refusedRateLimited++;
      this.logRefusal(RequestOutcome.RATE_LIMITED, text, evidence, `automatic ${wording.noun} refused: more than ${budget.maxPerMinute} a minute (${wording.budgetKey})`);
      return RequestOutcome.RATE_LIMITED;
    }

    const timeoutS = evidence.response.timeoutS;
    const expiresMs = nowMs + timeoutS * 1000;
    // Marked at once, so further alerts of the same host do not queue it again.
    this.known.set(knownKey(action, text), { action, prefix, expiresMs });
    this.enqueue(() => this.applyAutomatic(prefix, text, timeoutS, nowMs, expiresMs, evidence));
    return RequestOutcome.QUEUED;
  }

  private async applyAutomatic(prefix: AddressPrefix, text: string, timeoutS: number, createdMs: number, expiresMs: number, evidence: QuarantineEvidence): Promise<void> {
    const response = evidence.response;
    const action = response.action;
    const counters = this.countersOf(action);
    const key = knownKey(action, text);
    let error: string | null = null;
    try {
      // Another process (kapu quarantine add) may already have quarantined a prefix that covers the host.
      const covering = this.store.active(createdMs).find((r) => (r.address !== text || r.action !== action) && coversFor(action, r) && prefixesOverlap(parseOrThrow(r.address), prefix));
      if (covering !== undefined) {
        this.known.set(key, { action, prefix, expiresMs: Math.min(expiresMs, covering.expiresMs) });
        counters.alreadyQuarantined++;
        return;
      }
      if (response.rate !== null) await this.firewall.addLimit(prefix, response.rate, timeoutS * 1000);
      else await this.firewall.add(prefix, timeoutS * 1000);
      const rule = evidence.rule;
      this.store.add({
        address: text,
        action,
        rate: response.rate,
        reason: `${rule.msg} [${rule.gid}:${rule.sid}:${rule.rev}]`,
        origin: 'automatic',
        rule: `${rule.gid}:${rule.sid}:${rule.rev}`,
        policyEntry: response.entry,
        evidence: evidenceJson(evidence),
        createdMs,
        expiresMs,
      });
      counters.applied++;
      this.log('info', { address: text, timeout: timeoutS, sid: rule.sid, policy: response.entry }, ACTION_WORDING[action].done);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      this.known.delete(key);
      counters.failed++;
      this.log('error', { address: text, err: error }, `automatic ${ACTION_WORDING[action].noun} failed`);
    }
    const actionSid = action === 'rate-limit' ? this.settings.rateLimit.actionSid : this.settings.actionSid;
    this.onEvent?.({ action, actionSid, address: text, timeoutS, expiresMs, evidence, error });
  }

  /**
   * Quarantines `input` (ADDR or ADDR/LEN) by hand and returns the stored
   * record. Throws KapuError: KAPU_ERR_QUARANTINE_BAD_ADDRESS for invalid
   * input, KAPU_ERR_QUARANTINE_REFUSED for a never-block address without
   * `force` or a prefix that overlaps another quarantined one, and the
   * firewall's and store's errors.
   */
  async add(input: string, options: ManualQuarantine): Promise<QuarantineRecord> {
    const prefix = parseOrThrow(input);
    const text = formatPrefix(prefix);
    const listed = this.settings.neverBlock.findOverlap(prefix);
    if (listed !== null && !options.force) {
      throw new KapuError(ErrorCode.QUARANTINE_REFUSED, `${text} is on the never-block list (${formatPrefix(listed)}); add --force to quarantine it anyway`);
    }
    const nowMs = this.clock();
    const overlapping = this.store.active(nowMs).filter((r) => r.action === 'quarantine' && r.address !== text && prefixesOverlap(parseOrThrow(r.address), prefix));
    if (overlapping.length > 0) {
      const names = overlapping.map((r) => r.address).join(', ');
      throw new KapuError(ErrorCode.QUARANTINE_REFUSED, `${text} overlaps the quarantined ${names}; release ${overlapping.length === 1 ? 'it' : 'them'} first (kapu quarantine release ADDR)`);
    }

    const expiresMs = nowMs + options.timeoutS * 1000;
    await this.serialize(async () => {
      await this.firewall.add(prefix, options.timeoutS * 1000);
    });
    const record = { address: text, action: 'quarantine' as const, rate: null, reason: options.reason, origin: 'manual' as const, rule: null, policyEntry: null, evidence: null, createdMs: nowMs, expiresMs };
    const id = this.store.add(record);
    this.known.set(knownKey('quarantine', text), { action: 'quarantine', prefix, expiresMs });
    if (listed !== null) this.log('warn', { address: text, neverBlock: formatPrefix(listed) }, 'never-block address quarantined with --force');
    return { id, ...record, releasedMs: null, releasedBy: null };
  }

  /**
   * Releases the quarantine and the rate limits of `input` at once and
   * returns whether a stored one was active. The firewall entries are
   * removed either way.
   */
  async release(input: string): Promise<boolean> {
    const prefix = parseOrThrow(input);
    const text = formatPrefix(prefix);
    await this.serialize(() => this.firewall.remove(prefix));
    if (isHostPrefix(prefix)) await this.serialize(() => this.firewall.removeLimit(prefix));
    this.known.delete(knownKey('quarantine', text));
    this.known.delete(knownKey('rate-limit', text));
    return this.store.release(text, this.clock());
  }

  /**
   * Sets up the firewall table and puts every active stored quarantine
   * and rate limit back with the time it has left; expired ones are
   * skipped. A limit whose rate no response of the config has any more is
   * skipped too, and logged. Returns the number restored.
   */
  async restore(): Promise<number> {
    const nowMs = this.clock();
    await this.serialize(() => this.firewall.setup());
    let restored = 0;
    for (const record of this.store.active(nowMs)) {
      const parsed = parsePrefix(record.address);
      if (!parsed.ok) continue;
      const rate = record.rate;
      try {
        if (rate !== null) await this.serialize(() => this.firewall.addLimit(parsed.prefix, rate, record.expiresMs - nowMs));
        else await this.serialize(() => this.firewall.add(parsed.prefix, record.expiresMs - nowMs));
      } catch (err) {
        if (rate === null) throw err;
        this.log('warn', { address: record.address, err: err instanceof Error ? err.message : String(err) }, 'stored rate limit not restored');
        continue;
      }
      this.known.set(knownKey(record.action, record.address), { action: record.action, prefix: parsed.prefix, expiresMs: record.expiresMs });
      restored++;
    }
    return restored;
  }

  /** Returns the active quarantines and rate limits, oldest first. */
  list(): QuarantineRecord[] {
    return this.store.active(this.clock());
  }

  /** Resolves once every queued firewall change and store write is done. */
  idle(): Promise<void> {
    return this.work;
  }

  /** Adds the counters to `out` under `quarantine.*`, as the stats event names them. */
  collectCounters(out: Map<string, number>): void {
    const c = this.counters;
    out.set('quarantine.requests', c.requests);
    out.set('quarantine.applied', c.applied);
    out.set('quarantine.failed', c.failed);
    out.set('quarantine.already_quarantined', c.alreadyQuarantined);
    out.set('quarantine.refused_never_block', c.refusedNeverBlock);
    out.set('quarantine.refused_no_handshake', c.refusedNoHandshake);
    out.set('quarantine.refused_rate_limited', c.refusedRateLimited);
    if (!this.settings.responses.some((r) => r.action === 'rate-limit')) return;
    const r = this.rateLimitCounters;
    out.set('rate_limit.requests', r.requests);
    out.set('rate_limit.applied', r.applied);
    out.set('rate_limit.failed', r.failed);
    out.set('rate_limit.already_limited', r.alreadyQuarantined);
    out.set('rate_limit.refused_never_block', r.refusedNeverBlock);
    out.set('rate_limit.refused_no_handshake', r.refusedNoHandshake);
    out.set('rate_limit.refused_rate_limited', r.refusedRateLimited);
  }

  private countersOf(action: ResponseAction): QuarantineCounters {
    return action === 'rate-limit' ? this.rateLimitCounters : this.counters;
  }

  /**
   * Returns true when a known entry covers `prefix` for `action`: a
   * quarantine covers both actions, since it drops more than a limit
   * would; a rate limit covers only another rate limit.
   */
  private isKnownActive(action: ResponseAction, prefix: AddressPrefix, nowMs: number): boolean {
    for (const [key, entry] of this.known) {
      if (entry.expiresMs <= nowMs) {
        this.known.delete(key);
        continue;
      }
      if (action === 'quarantine' && entry.action !== 'quarantine') continue;
      if (prefixContains(entry.prefix, prefix.family, prefix.bytes) && entry.prefix.prefixLength <= prefix.prefixLength) return true;
    }
    return false;
  }

  private logRefusal(kind: string, address: string, evidence: QuarantineEvidence, message: string): void {
    const nowMs = this.clock();
    const state = this.refusalLog.get(kind);
    if (state !== undefined && nowMs - state.lastMs < REFUSAL_LOG_INTERVAL_S * 1000) {
      state.suppressed++;
      return;
    }
    const fields: Record<string, unknown> = { address, sid: evidence.rule.sid, policy: evidence.response.entry };
    if (state !== undefined && state.suppressed > 0) fields['suppressed'] = state.suppressed;
    this.refusalLog.set(kind, { lastMs: nowMs, suppressed: 0 });
    this.log('warn', fields, message);
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step, step);
  }

  /** Runs `step` after the queued work and returns its result, so firewall batches never interleave. */
  private serialize<T>(step: () => Promise<T>): Promise<T> {
    const result = this.work.then(step, step);
    this.work = result.then(() => undefined, () => undefined);
    return result;
  }
}

/** Returns the key of `known` for `action` on the prefix text `text`. */
function knownKey(action: ResponseAction, text: string): string {
  return action + ' ' + text;
}

/** Returns true when the stored `record` makes an automatic `action` needless: see isKnownActive. */
function coversFor(action: ResponseAction, record: QuarantineRecord): boolean {
  return action === 'rate-limit' || record.action === 'quarantine';
}

/** Returns true when `prefix` is one host (/32 or /128), the only kind of address a rate limit takes. */
export function isHostPrefix(prefix: AddressPrefix): boolean {
  return prefix.prefixLength === (prefix.family === 4 ? 32 : 128);
}

/** Parses ADDR or ADDR/LEN; throws KapuError (KAPU_ERR_QUARANTINE_BAD_ADDRESS) with the value and what is expected. */
export function parseOrThrow(input: string): AddressPrefix {
  const parsed = parsePrefix(input);
  if (!parsed.ok) throw new KapuError(ErrorCode.QUARANTINE_BAD_ADDRESS, parsed.message);
  return parsed.prefix;
}

/** Renders the evidence stored with an automatic quarantine. */
function evidenceJson(evidence: QuarantineEvidence): string {
  const p = evidence.packet;
  return JSON.stringify({
    rule: evidence.rule,
    policy_entry: evidence.response.entry,
    action: evidence.response.action,
    target: evidence.response.target,
    rate: evidence.response.rate,
    handshake: evidence.hasHandshake,
    flow_id: p.flowId,
    src_ip: formatPrefix({ family: p.ipVersion === 6 ? 6 : 4, bytes: p.srcAddr, prefixLength: p.ipVersion === 6 ? 128 : 32 }),
    dest_ip: formatPrefix({ family: p.ipVersion === 6 ? 6 : 4, bytes: p.dstAddr, prefixLength: p.ipVersion === 6 ? 128 : 32 }),
    src_port: p.srcPort,
    dest_port: p.dstPort,
    proto: p.ipProto,
  });
}
