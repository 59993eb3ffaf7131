/**
 * Transaction-based detection: signatures that inspect app-layer buffers
 * (`http.uri`, `dns.query`, `tls.sni`, ...) or transaction keywords
 * (`dns.opcode`, `tls.version`, ...) run against each transaction of the
 * flow's parser once its buffers are available, and match each
 * transaction at most once. The other signatures stay with the packet
 * engine (detect-engine.ts).
 */
import { Direction, type Packet } from '../core/packet.js';
import { FlowState, type Flow } from '../flow/flow.js';
import { AppProto, httpBufferReady, isTxInspectable, type AppTransaction, type FlowAppState } from '../app/app-layer.js';
import { getHttpBuffer, getHttpBuffers, HttpBuffer, HTTP_MULTI_BUFFERS, isHttpBufferOfBothMessages } from '../app/http/detect.js';
import { Progress as HttpProgress, type HttpTransaction } from '../app/http/state.js';
import { collectFileBuffers, FileBuffer, isFileBuffer } from '../app/http/files.js';
import { DnsBuffer, getDnsBuffers } from '../app/dns/detect.js';
import type { DnsTransaction } from '../app/dns/state.js';
import { getTlsBuffers, TLS_TO_CLIENT_BUFFERS, TLS_TO_SERVER_BUFFERS, TlsBuffer } from '../app/tls/detect.js';
import type { TlsTransaction } from '../app/tls/state.js';
import { getSshBuffer, SshBuffer } from '../app/ssh/detect.js';
import type { SshTransaction } from '../app/ssh/state.js';
import type { AlertQueue, SkippedSignature, ThresholdHook } from './detect-engine.js';
import { matchFlowFlags, matchHeaderAddresses, matchProtocol } from './detect-engine.js';
import { InspectContext, DEFAULT_INSPECTION_RECURSION_LIMIT } from './inspect-context.js';
import { inspectBuffer, prepareInspection } from './inspect.js';
import { ContentMatch } from './keywords/content.js';
import { PKT_DATA } from './keywords/pkt-data.js';
import { protoKindOf } from './rule-group.js';
import { selectFastPattern } from './fast-pattern.js';
import { MatcherCache } from './prefilter.js';
import { buildTxPrefilters, sortPositions, type TxPrefilter } from './app-prefilter.js';
import { BufferTransformer, sourceBufferOf, TRANSFORM_NAME_SEPARATOR } from './transforms.js';
import type { BufferView } from './keywords/header-buffers.js';
import { AbsentMode, Action, FlowFlag, RuleDirection, type ActionId, type AddressMatcher, type PacketMatcher, type Signature } from './signature.js';

/** A PacketMatcher whose value lives in a transaction; `match` on a packet never matches. */
interface TxMatcher extends PacketMatcher {
  readonly isTxMatcher: true;
  /** The protocol of the transactions, when the keyword name does not tell it (`app-layer-event`). */
  readonly appProto?: string;
  matchTx(tx: unknown, direction: number): boolean;
}

function isTxMatcher(m: PacketMatcher): m is TxMatcher {
  return (m as Partial<TxMatcher>).isTxMatcher === true;
}

const BUFFER_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ...Object.values(HttpBuffer).map((name): [string, string] => [name, AppProto.HTTP]),
  ...Object.values(FileBuffer).map((name): [string, string] => [name, AppProto.HTTP]),
  ...Object.values(DnsBuffer).map((name): [string, string] => [name, AppProto.DNS]),
  ...Object.values(TlsBuffer).map((name): [string, string] => [name, AppProto.TLS]),
  ...Object.values(SshBuffer).map((name): [string, string] => [name, AppProto.SSH]),
]);

/** Returns the app-layer protocol of a transaction keyword, by its name. */
function txKeywordProtocol(keyword: string): string | null {
  if (keyword.startsWith('dns.')) return AppProto.DNS;
  if (keyword.startsWith('tls.') || keyword.startsWith('ja3') || keyword.startsWith('ja4')) return AppProto.TLS;
  if (keyword.startsWith('ssh.')) return AppProto.SSH;
  if (keyword.startsWith('http') || keyword === 'urilen') return AppProto.HTTP;
  return null;
}

const HEADER_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['http', AppProto.HTTP],
  ['http1', AppProto.HTTP],
  ['dns', AppProto.DNS],
  ['tls', AppProto.TLS],
  ['ssl', AppProto.TLS],
  ['ssh', AppProto.SSH],
]);

/**
 * Returns the app-layer protocol whose transactions `sig` inspects, or
 * null for a signature of the packet engine: one with no app-layer
 * buffer and no transaction keyword.
 */
export function txProtocolOf(sig: Signature): string | null {
  let proto: string | null = null;
  for (const inspection of sig.buffers) {
    const p = BUFFER_PROTOCOLS.get(sourceBufferOf(inspection));
    if (p !== undefined) proto = p;
  }
  if (proto === null) {
    for (const m of sig.packetMatches) {
      if (isTxMatcher(m)) proto = m.appProto ?? txKeywordProtocol(m.keyword) ?? proto;
    }
  }
  if (proto === null) return null;
  return HEADER_PROTOCOLS.get(sig.proto) ?? proto;
}

/** Splits signatures into those of the packet engine and those of transaction detection. */
export function partitionTxSignatures(signatures: readonly Signature[]): { packet: Signature[]; tx: Signature[] } {
  const packet: Signature[] = [];
  const tx: Signature[] = [];
  for (const sig of signatures) (txProtocolOf(sig) === null ? packet : tx).push(sig);
  return { packet, tx };
}

/**
 * A content that every match of a signature contains: the longest
 * non-negated `content` of an app-layer buffer (a `fast_pattern` one
 * first). A buffer without it cannot match, whatever its position
 * modifiers allow, so the signature is skipped cheaply.
 */
interface RequiredContent {
  buffer: string;
  /** Index of the buffer's inspection in sig.buffers. */
  index: number;
  /** Lower case when `isNocase`. */
  pattern: Uint8Array;
  isNocase: boolean;
}

function requiredContentOf(sig: Signature): RequiredContent | null {
  let best: RequiredContent | null = null;
  let bestIsFast = false;
  for (let index = 0; index < sig.buffers.length; index++) {
    const inspection = sig.buffers[index] as Signature['buffers'][number];
    if (!BUFFER_PROTOCOLS.has(inspection.buffer) || inspection.absentMode !== undefined) continue;
    for (const m of inspection.matches) {
      if (!(m instanceof ContentMatch) || m.isNegated || m.pattern.length === 0) continue;
      const isBetter = best === null || (m.isFastPattern && !bestIsFast)
        || (m.isFastPattern === bestIsFast && m.pattern.length > best.pattern.length);
      if (!isBetter) continue;
      best = { buffer: inspection.buffer, index, pattern: m.pattern, isNocase: m.isNocase };
      bestIsFast = m.isFastPattern;
    }
  }
  return best;
}

/** Tells whether `bytes` contain `pattern`, comparing ASCII letters without case when `isNocase` (pattern in lower case). */
function containsPattern(bytes: Uint8Array, pattern: Uint8Array, isNocase: boolean): boolean {
  const n = pattern.length;
  const last = bytes.length - n;
  const first = pattern[0] as number;
  for (let i = 0; i <= last; i++) {
    let b = bytes[i] as number;
    if (isNocase && b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b !== first) continue;
    let k = 1;
    for (; k < n; k++) {
      let c = bytes[i + k] as number;
      if (isNocase && c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== pattern[k]) break;
    }
    if (k === n) return true;
  }
  return false;
}

/** HTTP buffers that only a request has. */
const HTTP_REQUEST_BUFFERS: ReadonlySet<string> = new Set([
  HttpBuffer.URI, HttpBuffer.URI_RAW, HttpBuffer.METHOD, HttpBuffer.REQUEST_LINE, HttpBuffer.HOST, HttpBuffer.HOST_RAW,
  HttpBuffer.USER_AGENT, HttpBuffer.REFERER, HttpBuffer.ACCEPT, HttpBuffer.ACCEPT_ENC, HttpBuffer.ACCEPT_LANG,
  HttpBuffer.CONNECTION, HttpBuffer.REQUEST_BODY, HttpBuffer.REQUEST_HEADER,
]);

/** HTTP buffers that only a response has. */
const HTTP_RESPONSE_BUFFERS: ReadonlySet<string> = new Set([
  HttpBuffer.STAT_CODE, HttpBuffer.STAT_MSG, HttpBuffer.RESPONSE_LINE, HttpBuffer.RESPONSE_BODY, HttpBuffer.SERVER,
  HttpBuffer.LOCATION, HttpBuffer.RESPONSE_HEADER,
]);

/** Directions a signature inspects transactions in: bit (1 << Direction). */
const BOTH_DIRECTIONS = 3;

class TxSignature {
  readonly sig: Signature;
  readonly index: number;
  readonly proto: string;
  readonly protoKind: number;
  readonly required: RequiredContent | null;
  /**
   * Directions the signature's buffers allow: a rule with request-only
   * HTTP buffers (or client-only TLS buffers) inspects requests, one with
   * response-only buffers responses, and one with both (or `=>`)
   * responses, reading its request buffers from the same transaction.
   */
  readonly directionMask: number;
  /** Request and response buffers are read together (a mixed HTTP rule or `=>`). */
  readonly readsBothMessages: boolean;
  /** Directions of the packets whose inspection can match the signature: bit (1 << Direction). */
  readonly directions: number;
  /** The transformer of each transformed buffer of `sig.buffers`, null for a buffer inspected as it is. */
  readonly transformers: (BufferTransformer | null)[];
  /**
   * Message each buffer (by index in sig.buffers) is read from: 0 request,
   * 1 response, -1 the direction inspected (with the other message as a
   * fallback when the rule reads both).
   */
  readonly bufferDirections: Int8Array;
  /**
   * Buffers that both messages have but the rule reads from one only. The
   * prefilter reads a buffer from the inspected message first, so their
   * contents cannot serve as fast pattern.
   */
  readonly pinnedBuffers: Set<string>;

  /** `transformers` maps each buffer instance name to its transformer, shared by the signatures that inspect it. */
  constructor(sig: Signature, index: number, proto: string, ctx: InspectContext, transformers: Map<string, BufferTransformer>) {
    this.sig = sig;
    this.index = index;
    this.proto = proto;
    this.protoKind = protoKindOf(sig.proto);
    this.required = requiredContentOf(sig);
    let hasRequest = false;
    let hasResponse = false;
    for (const inspection of sig.buffers) {
      const source = sourceBufferOf(inspection);
      if (inspection.direction === Direction.TO_SERVER) hasRequest = true;
      else if (inspection.direction === Direction.TO_CLIENT) hasResponse = true;
      else {
        if (HTTP_REQUEST_BUFFERS.has(source) || TLS_TO_SERVER_BUFFERS.has(source)) hasRequest = true;
        if (HTTP_RESPONSE_BUFFERS.has(source) || TLS_TO_CLIENT_BUFFERS.has(source)) hasResponse = true;
      }
    }
    this.transformers = sig.buffers.map((inspection) => sharedTransformer(inspection, transformers, ctx));
    this.readsBothMessages = sig.isTransactional === true || (hasRequest && hasResponse);
    this.bufferDirections = new Int8Array(sig.buffers.length);
    this.pinnedBuffers = new Set();
    for (let i = 0; i < sig.buffers.length; i++) {
      const inspection = sig.buffers[i] as Signature['buffers'][number];
      const source = sourceDirectionOf(inspection, this.readsBothMessages);
      this.bufferDirections[i] = source;
      if (source >= 0 && isHttpBufferOfBothMessages(sourceBufferOf(inspection))) this.pinnedBuffers.add(inspection.buffer);
    }
    if (hasResponse) this.directionMask = 1 << Direction.TO_CLIENT;
    else if (hasRequest) this.directionMask = 1 << Direction.TO_SERVER;
    else this.directionMask = BOTH_DIRECTIONS;
    let flowDirections = BOTH_DIRECTIONS;
    if ((sig.flowFlags & FlowFlag.TO_SERVER) !== 0) flowDirections &= 1 << Direction.TO_SERVER;
    if ((sig.flowFlags & FlowFlag.TO_CLIENT) !== 0) flowDirections &= 1 << Direction.TO_CLIENT;
    this.directions = sig.isTransactional === true ? flowDirections : flowDirections & this.directionMask;
  }
}

/**
 * Returns the transformer of a transformed buffer instance from `cache`,
 * created on first use, or null for a buffer inspected as it is. The
 * instance name encodes its transforms, so one transformer serves every
 * signature that names it.
 */
function sharedTransformer(inspection: Signature['buffers'][number], cache: Map<string, BufferTransformer>, ctx: InspectContext): BufferTransformer | null {
  if (inspection.transforms === undefined) return null;
  let transformer = cache.get(inspection.buffer);
  if (transformer === undefined) {
    transformer = new BufferTransformer(inspection.transforms, ctx);
    cache.set(inspection.buffer, transformer);
  }
  return transformer;
}

/**
 * Returns the message a buffer of a signature is read from: the one the
 * rule names, or, in a rule that reads both messages, the only message
 * that has the buffer; -1 when the inspected direction decides.
 */
function sourceDirectionOf(inspection: Signature['buffers'][number], readsBothMessages: boolean): number {
  if (inspection.direction !== undefined) return inspection.direction;
  if (!readsBothMessages) return -1;
  const source = sourceBufferOf(inspection);
  if (HTTP_REQUEST_BUFFERS.has(source)) return Direction.TO_SERVER;
  if (HTTP_RESPONSE_BUFFERS.has(source)) return Direction.TO_CLIENT;
  return -1;
}

/** HTTP buffers that only grow while the message is read: a rescan covers only the new bytes. */
const HTTP_APPEND_ONLY_BUFFERS: ReadonlySet<string> = new Set([HttpBuffer.REQUEST_BODY, HttpBuffer.RESPONSE_BODY, HttpBuffer.FILE_DATA]);

/** Saved prefilter scan of one buffer of one transaction, so bytes scanned before are not scanned again. */
class BufferScan {
  /** The bytes scanned last; an HTTP buffer that is final keeps its object. */
  bytes: Uint8Array | null;
  scannedLength: number;
  /** Pattern ids found so far. */
  readonly hits: number[];

  constructor() {
    this.bytes = null;
    this.scannedLength = 0;
    this.hits = [];
  }
}

/** Transaction facts of the alerts that `inspect` queued, by position after `firstAlert`. */
export class TxAlertFacts {
  readonly txIds: Int32Array;
  /** The transaction direction (Direction) whose buffers matched, per alert. */
  readonly directions: Uint8Array;
  readonly txs: (AppTransaction | null)[];
  readonly protos: (string | null)[];
  /** Queue position of the first transaction alert of the packet. */
  firstAlert: number;
  count: number;

  constructor(capacity: number) {
    this.txIds = new Int32Array(capacity);
    this.directions = new Uint8Array(capacity);
    this.txs = new Array<AppTransaction | null>(capacity).fill(null);
    this.protos = new Array<string | null>(capacity).fill(null);
    this.firstAlert = 0;
    this.count = 0;
  }

  clear(firstAlert: number): void {
    for (let i = 0; i < this.count; i++) this.txs[i] = null;
    this.firstAlert = firstAlert;
    this.count = 0;
  }
}

const DEFAULT_ACTION_ORDER: readonly ActionId[] = [
  Action.PASS, Action.DROP, Action.REJECT, Action.REJECTSRC, Action.REJECTDST, Action.REJECTBOTH, Action.ALERT,
];

const EMPTY_LIST: Uint8Array[] = [];

/** Rank of an action missing from the action order: after every listed one. */
const ACTION_RANK_UNLISTED = 99;

export interface AppInspectorOptions {
  thresholdHook?: ThresholdHook;
  actionOrder?: readonly ActionId[];
  inspectionRecursionLimit?: number;
  /** Evaluates only the candidates of the fast-pattern prefilter (default true); false evaluates every signature. */
  isPrefiltered?: boolean;
}

/** Runs the transaction signatures over the transactions of each flow. */
export class AppInspector {
  readonly signatures: Signature[];
  readonly skipped: SkippedSignature[];
  readonly facts: TxAlertFacts;
  /** True when a signature also inspects `pkt_data`, so the app layer must keep the bytes it feeds. */
  readonly usesPacketData: boolean;
  /** Signatures by protocol, in evaluation order. */
  private readonly byProto: Map<string, TxSignature[]>;
  private readonly count: number;
  private readonly ctx: InspectContext;
  private readonly thresholdHook: ThresholdHook | null;
  /** Buffers of the current lookup (a list for multi-buffers such as `dns.query`). */
  private readonly single: Uint8Array[];
  /** Instances of the current HTTP file buffer lookup (`file.name`, `file.data`), one per file. */
  private readonly fileInstances: Uint8Array[];
  /** Scratch view of a buffer that transforms rewrite. */
  private readonly view: BufferView;
  /** Transformers of the transformed buffer instances, by instance name, shared with the signatures. */
  private readonly transformers: Map<string, BufferTransformer>;
  /** The current inspection is the flow's last: partial HTTP messages are inspected as they are. */
  private isFlowEnd: boolean;
  /** Directions inspected now: bit (1 << Direction). */
  private directionMask: number;
  /** The signature being tried reads request and response buffers together (TxSignature.readsBothMessages). */
  private readsBothMessages: boolean;
  /** FlowAppState.lastFedData of the flow being inspected. */
  private fedData: readonly (Uint8Array | null)[];
  /** Prefilters by protocol, indexed by direction; none when the prefilter is off. */
  private readonly prefilters: Map<string, TxPrefilter[]>;
  private readonly matchers: MatcherCache;
  /** candidateMark[position] === mark when the signature at that position is a candidate of the current transaction. */
  private readonly candidateMark: Uint32Array;
  /** Positions of the current transaction's candidates. */
  private readonly candidates: Int32Array;
  private mark: number;
  /** Pattern ids found by the current scan, and the mark of each id already found. */
  private readonly patternHits: Int32Array;
  private readonly patternSeen: Uint32Array;
  private patternMark: number;
  /** Number of prefilter buffers (TxPrefilter.slots): each HTTP transaction keeps two saved scans per slot, one per source direction. */
  private slotCount: number;
  private readonly scans: WeakMap<object, (BufferScan | undefined)[]>;
  /** The direction matchDirection tried last, which is the matching one once it returns true. */
  private matchedDirection: number;
  /** Position of each action in the action order. Actions not listed come last. */
  private readonly actionRank: ReadonlyMap<number, number>;
  matches: number;
  /** Signature evaluations against a transaction (after the prefilter). */
  evaluations: number;

  constructor(signatures: readonly Signature[], alertCapacity: number, options: AppInspectorOptions = {}) {
    this.skipped = [];
    this.thresholdHook = options.thresholdHook ?? null;
    this.ctx = new InspectContext(options.inspectionRecursionLimit ?? DEFAULT_INSPECTION_RECURSION_LIMIT);
    this.facts = new TxAlertFacts(alertCapacity);
    this.single = [new Uint8Array(0)];
    this.fileInstances = [];
    this.view = { bytes: this.single[0] as Uint8Array, start: 0, length: 0 };
    this.isFlowEnd = false;
    this.directionMask = 0;
    this.readsBothMessages = false;
    this.fedData = [null, null];
    this.matches = 0;
    this.evaluations = 0;
    this.mark = 0;
    this.patternMark = 0;
    this.slotCount = 0;
    this.scans = new WeakMap();
    this.matchedDirection = Direction.TO_SERVER;
    const rank = new Map<number, number>();
    (options.actionOrder ?? DEFAULT_ACTION_ORDER).forEach((action, i) => rank.set(action, i));
    this.actionRank = new Map(rank);
    const runnable = signatures.filter((sig) => this.checkRunnable(sig));
    runnable.sort((a, b) => (rank.get(a.action) ?? 99) - (rank.get(b.action) ?? 99) || a.priority - b.priority || a.id - b.id);
    this.signatures = runnable;
    this.count = runnable.length;
    this.usesPacketData = runnable.some((sig) => sig.buffers.some((b) => sourceBufferOf(b) === PKT_DATA));
    this.byProto = new Map();
    const transformers = new Map<string, BufferTransformer>();
    this.transformers = transformers;
    runnable.forEach((sig, index) => {
      const proto = txProtocolOf(sig) as string;
      let list = this.byProto.get(proto);
      if (list === undefined) {
        list = [];
        this.byProto.set(proto, list);
      }
      list.push(new TxSignature(sig, index, proto, this.ctx, transformers));
    });
    this.matchers = new MatcherCache();
    this.prefilters = new Map();
    let maxList = 0;
    for (const [proto, list] of this.byProto) {
      maxList = Math.max(maxList, list.length);
      if (options.isPrefiltered === false) continue;
      const inputs = list.map((entry, position) => ({
        position,
        directions: entry.directions,
        fastPattern: selectFastPattern(entry.sig, (buffer) => isPrefilterBuffer(buffer) && !entry.pinnedBuffers.has(buffer)),
      }));
      const built = buildTxPrefilters(inputs, this.matchers);
      for (const prefilter of built) {
        for (let f = 0; f < prefilter.slots.length; f++) prefilter.slots[f] = this.slotCount++;
      }
      this.prefilters.set(proto, built);
    }
    this.candidateMark = new Uint32Array(maxList);
    this.candidates = new Int32Array(maxList);
    const maxPatterns = this.matchers.maxPatterns();
    this.patternHits = new Int32Array(maxPatterns);
    this.patternSeen = new Uint32Array(maxPatterns);
  }

  /** Returns the bytes held by the prefilter matchers. */
  prefilterMemoryBytes(): number {
    return this.matchers.memoryBytes();
  }

  private checkRunnable(sig: Signature): boolean {
    const proto = txProtocolOf(sig);
    for (const inspection of sig.buffers) {
      const source = sourceBufferOf(inspection);
      const bufferProto = BUFFER_PROTOCOLS.get(source);
      if (source !== PKT_DATA && bufferProto === undefined) {
        this.skipped.push({ sig, reason: `buffer '${inspection.buffer}' is not supported yet` });
        return false;
      }
      if (bufferProto !== undefined && bufferProto !== proto) {
        this.skipped.push({ sig, reason: `buffer '${inspection.buffer}' does not belong to protocol '${proto}'` });
        return false;
      }
      const keyword = prepareInspection(inspection.matches);
      if (keyword !== null) {
        this.skipped.push({ sig, reason: `keyword '${keyword}' cannot be inspected in buffer '${inspection.buffer}'` });
        return false;
      }
    }
    return true;
  }

  /**
   * Inspects the transactions of the flow's app state in the direction of
   * packet `p` and appends the matches to `out`. It runs only when the
   * parser got data in that direction since the last inspection, or at
   * flow end (`isFlowEnd`, once per direction with a pseudo packet).
   * `facts` records the transaction of each queued alert.
   */
  inspect(p: Packet, flow: Flow, state: FlowAppState, out: AlertQueue, isFlowEnd: boolean): void {
    this.facts.clear(out.count);
    if (this.count === 0 || state.proto === null || flow.isPassed) return;
    const pending = state.pendingInspect;
    if (pending[p.direction] === 0 && !isFlowEnd) return;
    pending[p.direction] = 0;
    this.directionMask = 1 << p.direction;
    const sigs = this.byProto.get(state.proto);
    if (sigs === undefined) return;
    this.ctx.beginPacket();
    this.ctx.flow = flow;
    this.isFlowEnd = isFlowEnd;
    this.fedData = state.lastFedData;
    const prefilter = this.prefilters.get(state.proto)?.[p.direction] ?? null;
    const txs = state.transactions();
    // TLS and SSH keep one transaction for both sides, and a signature
    // matches it once per direction, as in Suricata: `ssh.software` alerts
    // on the client's banner and again on the server's.
    const matchBit = state.proto === AppProto.TLS || state.proto === AppProto.SSH ? 1 << p.direction : BOTH_DIRECTIONS;
    for (let t = 0; t < txs.length; t++) {
      const tx = txs[t] as AppTransaction;
      let matched = state.matchedSigs.get(tx);
      const count = prefilter === null ? sigs.length : this.collectCandidates(prefilter, state.proto, tx, p.direction);
      for (let c = 0; c < count; c++) {
        const entry = (prefilter === null ? sigs[c] : sigs[this.candidates[c] as number]) as TxSignature;
        if (matched !== undefined && ((matched[entry.index] as number) & matchBit) !== 0) continue;
        this.evaluations++;
        if (!this.matchSignature(entry, p, flow, state.proto, tx)) continue;
        if (matched === undefined) {
          matched = new Uint8Array(this.count);
          state.matchedSigs.set(tx, matched);
        }
        matched[entry.index] = (matched[entry.index] as number) | matchBit;
        this.matches++;
        if (entry.sig.disablesTxLogging === true) state.unloggedTx.add(tx);
        if (this.raise(entry.sig, p, flow, tx, state.proto, out)) return;
      }
    }
  }

  /**
   * Puts in `candidates` the positions of the signatures worth evaluating
   * on `tx` in `direction`, ascending: those without fast pattern, and
   * those whose fast pattern occurs in an instance of its buffer. The
   * buffers are read as a signature that reads both messages would read
   * them, so no signature misses the bytes it inspects. Returns their count.
   */
  private collectCandidates(prefilter: TxPrefilter, proto: string, tx: AppTransaction, direction: number): number {
    const marks = this.candidateMark;
    const list = this.candidates;
    const always = prefilter.always;
    let mark = ++this.mark;
    if (mark === 0xffffffff) {
      marks.fill(0);
      mark = this.mark = 1;
    }
    let count = 0;
    for (let i = 0; i < always.length; i++) {
      const s = always[i] as number;
      marks[s] = mark;
      list[count++] = s;
    }
    const alwaysCount = count;
    this.readsBothMessages = true;
    for (let f = 0; f < prefilter.buffers.length; f++) {
      const buffer = prefilter.buffers[f] as TxPrefilter['buffers'][number];
      let hits: Int32Array | number[] = this.patternHits;
      let hitCount = 0;
      const transformer = this.transformers.get(buffer.buffer) ?? null;
      // file.name has one instance per file and no whole-message form, so
      // its instances are scanned each time (names are short).
      if (proto === AppProto.HTTP && transformer === null && buffer.buffer !== FileBuffer.NAME) {
        const scan = this.scanHttpBuffer(prefilter, f, tx as HttpTransaction, direction);
        if (scan === null) continue;
        hits = scan.hits;
        hitCount = hits.length;
      } else {
        // A transformed instance is scanned after its transforms, each time, without a saved scan.
        const source = transformer === null ? buffer.buffer : sourceOfInstance(buffer.buffer);
        const instances = this.buffersOf(proto, tx, source, direction);
        if (instances.length === 0) continue;
        const patternMark = this.nextPatternMark();
        const view = this.view;
        for (let k = 0; k < instances.length; k++) {
          const bytes = instances[k] as Uint8Array;
          view.bytes = bytes;
          view.start = 0;
          view.length = bytes.length;
          if (transformer !== null && !transformer.apply(view)) continue;
          hitCount = buffer.matcher.scan(view.bytes, view.start, view.length, this.patternHits, hitCount, this.patternSeen, patternMark);
        }
      }
      for (let h = 0; h < hitCount; h++) {
        const pattern = hits[h] as number;
        const end = buffer.sigStart[pattern + 1] as number;
        for (let k = buffer.sigStart[pattern] as number; k < end; k++) {
          const s = buffer.sigs[k] as number;
          if (marks[s] === mark) continue;
          marks[s] = mark;
          list[count++] = s;
        }
      }
    }
    if (count > alwaysCount) sortPositions(list, count);
    return count;
  }

  private nextPatternMark(): number {
    let patternMark = ++this.patternMark;
    if (patternMark === 0xffffffff) {
      this.patternSeen.fill(0);
      patternMark = this.patternMark = 1;
    }
    return patternMark;
  }

  /**
   * Scans the HTTP buffer of prefilter buffer `f` that the signatures read
   * in `direction` (see buffersOf) and returns its saved scan, or null when
   * the transaction has no such buffer yet. A final buffer, which keeps its
   * object, is not scanned again, and a body only from where the last scan
   * ended, less the overlap a pattern across the boundary needs.
   */
  private scanHttpBuffer(prefilter: TxPrefilter, f: number, tx: HttpTransaction, direction: number): BufferScan | null {
    const name = (prefilter.buffers[f] as TxPrefilter['buffers'][number]).buffer;
    let source = -1;
    if (httpBufferReady(tx, name, direction, this.isFlowEnd) && getHttpBuffer(tx, name, direction) !== null) source = direction;
    else if (httpBufferReady(tx, name, 1 - direction, this.isFlowEnd)) source = 1 - direction;
    if (source < 0) return null;
    const bytes = getHttpBuffer(tx, name, source);
    if (bytes === null) return null;

    let saved = this.scans.get(tx);
    if (saved === undefined) {
      saved = new Array<BufferScan | undefined>(this.slotCount * 2);
      this.scans.set(tx, saved);
    }
    const key = (prefilter.slots[f] as number) * 2 + source;
    let scan = saved[key];
    if (scan === undefined) {
      scan = new BufferScan();
      saved[key] = scan;
    }
    if (scan.bytes === bytes) return scan;
    let start = 0;
    if (HTTP_APPEND_ONLY_BUFFERS.has(name) && scan.bytes !== null && bytes.length >= scan.scannedLength) {
      if (bytes.length === scan.scannedLength) {
        scan.bytes = bytes;
        return scan;
      }
      start = Math.max(0, scan.scannedLength - (prefilter.overlaps[f] as number));
    } else {
      scan.hits.length = 0;
    }
    const patternMark = this.nextPatternMark();
    const seen = this.patternSeen;
    for (let h = 0; h < scan.hits.length; h++) seen[scan.hits[h] as number] = patternMark;
    const matcher = (prefilter.buffers[f] as TxPrefilter['buffers'][number]).matcher;
    const hitCount = matcher.scan(bytes, start, bytes.length - start, this.patternHits, 0, seen, patternMark);
    for (let h = 0; h < hitCount; h++) scan.hits.push(this.patternHits[h] as number);
    scan.bytes = bytes;
    scan.scannedLength = bytes.length;
    return scan;
  }

  /** Applies a match: post-match keywords, threshold, alert. Returns true when a pass rule ends inspection. */
  private raise(sig: Signature, p: Packet, flow: Flow, tx: AppTransaction, proto: string, out: AlertQueue): boolean {
    let isAlert = !sig.isNoAlert;
    for (let k = 0; k < sig.postMatches.length; k++) {
      if (!(sig.postMatches[k] as Signature['postMatches'][number]).apply(p, flow, this.ctx)) isAlert = false;
    }
    const hook = this.thresholdHook;
    if (sig.action === Action.PASS) {
      this.discardRankedAfter(sig, out);
      flow.isPassed = true;
      out.passSig = sig;
      if (sig.hasAlertKeyword === true && isAlert && (hook === null || hook.shouldAlert(sig, p, flow))) this.push(sig, tx, proto, out);
      return true;
    }
    if (!isAlert || (hook !== null && !hook.shouldAlert(sig, p, flow))) {
      out.noteAction(sig);
      return false;
    }
    this.push(sig, tx, proto, out);
    return false;
  }

  /**
   * Removes the packet engine's matches of this packet whose action comes
   * after the pass signature's in the action order. Suricata evaluates
   * packet and transaction signatures in one order, so a pass rule ranked
   * first (the default) ends inspection before a drop or alert is reached.
   */
  private discardRankedAfter(pass: Signature, out: AlertQueue): void {
    const passRank = this.actionRank.get(pass.action) ?? ACTION_RANK_UNLISTED;
    const facts = this.facts;
    let kept = 0;
    for (let i = 0; i < facts.firstAlert; i++) {
      const sig = out.sigs[i] as Signature;
      if ((this.actionRank.get(sig.action) ?? ACTION_RANK_UNLISTED) > passRank) continue;
      out.sigs[kept] = sig;
      out.isStreamMatch[kept] = out.isStreamMatch[i] as number;
      kept++;
    }
    const removed = facts.firstAlert - kept;
    if (removed === 0) return;
    for (let i = facts.firstAlert; i < out.count; i++) {
      out.sigs[i - removed] = out.sigs[i] as Signature;
      out.isStreamMatch[i - removed] = out.isStreamMatch[i] as number;
    }
    for (let i = out.count - removed; i < out.count; i++) out.sigs[i] = null;
    out.count -= removed;
    facts.firstAlert = kept;
    let seen = 0;
    for (const [action, rank] of this.actionRank) {
      if (rank <= passRank) seen |= 1 << action;
    }
    out.actionsSeen &= seen;
  }

  private push(sig: Signature, tx: AppTransaction, proto: string, out: AlertQueue): void {
    const before = out.count;
    out.push(sig);
    if (out.count === before) return;
    const facts = this.facts;
    const i = out.count - 1 - facts.firstAlert;
    if (i < 0 || i >= facts.txIds.length) return;
    facts.txIds[i] = (tx as { txId: number }).txId;
    facts.directions[i] = this.matchedDirection;
    facts.txs[i] = tx;
    facts.protos[i] = proto;
    facts.count = Math.max(facts.count, i + 1);
  }

  /** Tries `sig` on `tx` in each direction the signature allows. */
  private matchSignature(entry: TxSignature, p: Packet, flow: Flow, proto: string, tx: AppTransaction): boolean {
    const sig = entry.sig;
    if (!matchProtocol(entry.protoKind, sig.proto, p, flow)) return false;
    const stateFlags = FlowFlag.ESTABLISHED | FlowFlag.NOT_ESTABLISHED;
    const otherFlags = sig.flowFlags & ~(FlowFlag.TO_SERVER | FlowFlag.TO_CLIENT | stateFlags);
    if (otherFlags !== 0 && !matchFlowFlags(otherFlags, p, flow)) return false;
    if ((sig.flowFlags & stateFlags) !== 0) {
      // A flow that carries transactions was established, also while it
      // closes: the packets that deliver the last response often carry a FIN.
      const wasEstablished = flow.state !== FlowState.NEW;
      if ((sig.flowFlags & FlowFlag.ESTABLISHED) !== 0 && !wasEstablished) return false;
      if ((sig.flowFlags & FlowFlag.NOT_ESTABLISHED) !== 0 && wasEstablished) return false;
    }
    if (proto === AppProto.DNS) {
      return this.matchDirection(entry, p, flow, proto, tx, (tx as DnsTransaction).direction);
    }
    if (sig.isTransactional === true) {
      // Both messages must be in. The buffers of each come from its own direction.
      if (!isTxInspectable(proto, tx, Direction.TO_SERVER) || !isTxInspectable(proto, tx, Direction.TO_CLIENT)) return false;
      return this.matchDirection(entry, p, flow, proto, tx, p.direction);
    }
    if ((sig.flowFlags & FlowFlag.TO_CLIENT) === 0 && this.matchDirection(entry, p, flow, proto, tx, Direction.TO_SERVER)) return true;
    if ((sig.flowFlags & FlowFlag.TO_SERVER) === 0 && this.matchDirection(entry, p, flow, proto, tx, Direction.TO_CLIENT)) return true;
    return false;
  }

  private matchDirection(entry: TxSignature, p: Packet, flow: Flow, proto: string, tx: AppTransaction, direction: number): boolean {
    const sig = entry.sig;
    this.matchedDirection = direction;
    if ((this.directionMask & (1 << direction)) === 0) return false;
    if (sig.isTransactional !== true && (entry.directionMask & (1 << direction)) === 0) return false;
    this.readsBothMessages = entry.readsBothMessages;
    if ((sig.flowFlags & FlowFlag.TO_SERVER) !== 0 && direction !== Direction.TO_SERVER) return false;
    if ((sig.flowFlags & FlowFlag.TO_CLIENT) !== 0 && direction !== Direction.TO_CLIENT) return false;
    if (!isTxInspectable(proto, tx, direction)) return false;
    if (!matchFlowAddresses(sig, p, flow, sig.isTransactional === true ? Direction.TO_SERVER : direction)) return false;
    for (let i = 0; i < sig.packetMatches.length; i++) {
      const m = sig.packetMatches[i] as PacketMatcher;
      if (isTxMatcher(m)) {
        if (!m.matchTx(tx, direction)) return false;
      } else if (m.keyword === 'flow') {
        // The `flow` options were checked against the transaction direction above.
        continue;
      } else if (!m.match(p, flow, this.ctx)) {
        return false;
      }
    }
    const required = entry.required;
    if (required !== null) {
      const source = entry.bufferDirections[required.index] as number;
      const list = this.buffersOf(proto, tx, required.buffer, source < 0 ? direction : source, source >= 0);
      let isFound = false;
      for (let k = 0; k < list.length && !isFound; k++) isFound = containsPattern(list[k] as Uint8Array, required.pattern, required.isNocase);
      if (!isFound) return false;
    }
    for (let i = 0; i < sig.buffers.length; i++) {
      const inspection = sig.buffers[i] as Signature['buffers'][number];
      const transformer = entry.transformers[i] as BufferTransformer | null;
      const source = sourceBufferOf(inspection);
      if (source === PKT_DATA) {
        // The payload of this packet, or the stream bytes the parser got
        // last in this direction (in IDS mode the parser reads them on the
        // peer's ACK, before this packet).
        const hasPayload = p.payloadOffset >= 0 && p.payloadLength > 0;
        if (hasPayload && this.inspectBytes(inspection.matches, transformer, p.bytes, p.payloadOffset, p.payloadLength)) continue;
        const fed = this.fedData[direction] ?? null;
        if (fed !== null && this.inspectBytes(inspection.matches, transformer, fed, 0, fed.length)) continue;
        return false;
      }
      const from = entry.bufferDirections[i] as number;
      if (from >= 0 || inspection.absentMode !== undefined) {
        if (!this.matchSourced(proto, tx, inspection, transformer, from < 0 ? direction : from, from >= 0)) return false;
        continue;
      }
      const list = this.buffersOf(proto, tx, source, direction);
      let isMatch = false;
      for (let k = 0; k < list.length && !isMatch; k++) {
        const bytes = list[k] as Uint8Array;
        isMatch = this.inspectBytes(inspection.matches, transformer, bytes, 0, bytes.length);
      }
      if (!isMatch) return false;
    }
    return true;
  }

  /** Runs `matches` over bytes[start, start + length), after the buffer's transforms when it has a transformer. */
  private inspectBytes(matches: Signature['buffers'][number]['matches'], transformer: BufferTransformer | null, bytes: Uint8Array, start: number, length: number): boolean {
    if (transformer === null) return inspectBuffer(matches, bytes, start, length, this.ctx);
    const view = this.view;
    view.bytes = bytes;
    view.start = start;
    view.length = length;
    if (!transformer.apply(view)) return false;
    return inspectBuffer(matches, view.bytes, view.start, view.length, this.ctx);
  }

  /**
   * Matches a buffer that the rule reads from one message (`from`, fixed
   * when `isFixed`) or that is under `absent`: true when one instance
   * matches the whole chain. Under `absent` a transaction without the
   * buffer matches once the buffer can no longer arrive, and with the
   * buffer only `absent: or_else` goes on to the chain.
   */
  private matchSourced(proto: string, tx: AppTransaction, inspection: Signature['buffers'][number], transformer: BufferTransformer | null, from: number, isFixed: boolean): boolean {
    const name = sourceBufferOf(inspection);
    const list = this.buffersOf(proto, tx, name, from, isFixed);
    const absentMode = inspection.absentMode;
    if (absentMode !== undefined && list.length === 0) return this.isSettled(proto, tx, name, from);
    if (absentMode === AbsentMode.ONLY) return false;
    for (let k = 0; k < list.length; k++) {
      const bytes = list[k] as Uint8Array;
      if (this.inspectBytes(inspection.matches, transformer, bytes, 0, bytes.length)) return true;
    }
    return false;
  }

  /**
   * Tells whether buffer `name` of a transaction direction can no longer
   * appear: an HTTP body or file buffer once the message is complete,
   * another HTTP buffer once the header section is, anything at flow end.
   */
  private isSettled(proto: string, tx: AppTransaction, name: string, direction: number): boolean {
    if (proto !== AppProto.HTTP || this.isFlowEnd) return true;
    const h = tx as HttpTransaction;
    // Bodies grow, and files appear, until the message is complete.
    if (HTTP_APPEND_ONLY_BUFFERS.has(name) || isFileBuffer(name)) {
      return (direction === Direction.TO_SERVER ? h.requestProgress : h.responseProgress) >= HttpProgress.COMPLETE;
    }
    return httpBufferReady(h, name, direction, false);
  }

  /**
   * Returns the buffers of `name` for a transaction direction, one per
   * instance of a multi-buffer. For a rule that reads both messages, an
   * HTTP buffer of the other message (a request buffer in a response rule)
   * comes from that message, unless `isFixed` pins the direction.
   */
  private buffersOf(proto: string, tx: AppTransaction, name: string, direction: number, isFixed = false): readonly Uint8Array[] {
    switch (proto) {
      case AppProto.HTTP: {
        const h = tx as HttpTransaction;
        if (isFileBuffer(name)) return this.fileBuffersOf(h, name, direction, isFixed);
        if (isFixed || HTTP_MULTI_BUFFERS.has(name)) return this.httpInstancesOf(h, name, direction, isFixed);
        let bytes = httpBufferReady(h, name, direction, this.isFlowEnd) ? getHttpBuffer(h, name, direction) : null;
        if (bytes === null && this.readsBothMessages && httpBufferReady(h, name, 1 - direction, this.isFlowEnd)) {
          bytes = getHttpBuffer(h, name, 1 - direction);
        }
        return this.one(bytes);
      }
      case AppProto.DNS: return getDnsBuffers(tx as DnsTransaction, name, direction);
      case AppProto.TLS: {
        // A rule that mixes client-only and server-only buffers (`tls.sni`
        // with `tls.subjectaltname`) reads the client's from the to-server side.
        const list = getTlsBuffers(tx as TlsTransaction, name, direction);
        if (list.length > 0 || !this.readsBothMessages) return list;
        return getTlsBuffers(tx as TlsTransaction, name, 1 - direction);
      }
      case AppProto.SSH: return this.one(getSshBuffer(tx as SshTransaction, name, direction));
      default: return EMPTY_LIST;
    }
  }

  /**
   * Returns the instances of HTTP buffer `name` (one per header field for
   * a multi-buffer), taking the other message's when this one has none and
   * the rule reads both messages, unless `isFixed` pins the direction.
   */
  private httpInstancesOf(tx: HttpTransaction, name: string, direction: number, isFixed: boolean): readonly Uint8Array[] {
    let source = direction;
    if (!httpBufferReady(tx, name, direction, this.isFlowEnd)) {
      if (isFixed || !this.readsBothMessages || !httpBufferReady(tx, name, 1 - direction, this.isFlowEnd)) return EMPTY_LIST;
      source = 1 - direction;
    }
    const list = this.httpInstancesAt(tx, name, source);
    if (list.length > 0 || isFixed || !this.readsBothMessages || source !== direction) return list;
    return httpBufferReady(tx, name, 1 - direction, this.isFlowEnd) ? this.httpInstancesAt(tx, name, 1 - direction) : EMPTY_LIST;
  }

  private httpInstancesAt(tx: HttpTransaction, name: string, direction: number): readonly Uint8Array[] {
    return HTTP_MULTI_BUFFERS.has(name) ? getHttpBuffers(tx, name, direction) : this.one(getHttpBuffer(tx, name, direction));
  }

  /**
   * Returns one instance of file buffer `name` per file of the transaction
   * direction. A rule that reads both messages takes the other message's
   * files when this one has none, as buffersOf does for other buffers,
   * unless `isFixed` pins the direction.
   */
  private fileBuffersOf(tx: HttpTransaction, name: string, direction: number, isFixed: boolean): readonly Uint8Array[] {
    const list = this.fileInstances;
    let count = collectFileBuffers(tx, name, direction, list);
    if (count === 0 && this.readsBothMessages && !isFixed) count = collectFileBuffers(tx, name, 1 - direction, list);
    list.length = count;
    return list;
  }

  private one(bytes: Uint8Array | null): readonly Uint8Array[] {
    if (bytes === null) return EMPTY_LIST;
    this.single[0] = bytes;
    return this.single;
  }
}

/** Returns the source buffer of a buffer instance name: the part before its first transform. */
function sourceOfInstance(name: string): string {
  const separator = name.indexOf(TRANSFORM_NAME_SEPARATOR);
  return separator < 0 ? name : name.slice(0, separator);
}

/** Tells whether the prefilter can scan a buffer instance: an app-layer buffer, transformed or not. */
function isPrefilterBuffer(buffer: string): boolean {
  return BUFFER_PROTOCOLS.has(sourceOfInstance(buffer));
}

function v4Of(addr: Uint8Array): number {
  return (((addr[0] as number) << 24) | ((addr[1] as number) << 16) | ((addr[2] as number) << 8) | (addr[3] as number)) >>> 0;
}

function matchAddress(m: AddressMatcher, flow: Flow, addr: Uint8Array): boolean {
  if (m.isAny) return true;
  return flow.ipVersion === 4 ? m.matchV4(v4Of(addr)) : m.matchV6(addr);
}

/**
 * Checks the rule header against the flow's endpoints in the order of
 * the transaction direction (client to server for requests), also when
 * the current packet travels the other way (the flow-end pseudo packet).
 */
function matchFlowAddresses(sig: Signature, p: Packet, flow: Flow, direction: number): boolean {
  if (direction === p.direction) return matchHeaderAddresses(sig, p);
  const isToServer = direction === Direction.TO_SERVER;
  const src = isToServer ? flow.clientAddr : flow.serverAddr;
  const dst = isToServer ? flow.serverAddr : flow.clientAddr;
  const srcPort = isToServer ? flow.clientPort : flow.serverPort;
  const dstPort = isToServer ? flow.serverPort : flow.clientPort;
  const portsAny = sig.srcPorts.isAny && sig.dstPorts.isAny;
  if (matchAddress(sig.src, flow, src) && matchAddress(sig.dst, flow, dst)
    && (portsAny || (sig.srcPorts.match(srcPort) && sig.dstPorts.match(dstPort)))) return true;
  if (sig.direction !== RuleDirection.BOTH) return false;
  return matchAddress(sig.src, flow, dst) && matchAddress(sig.dst, flow, src)
    && (portsAny || (sig.srcPorts.match(dstPort) && sig.dstPorts.match(srcPort)));
}
