/**
 * Frame detection: signatures with a `frame:` buffer run over the app-layer
 * frames of a flow (app/frames.ts), as Suricata's frame inspection does.
 * Frames of a direction are inspected on packets of that direction, and
 * at the flow's end, over the frame's bytes from its start:
 *
 * - a frame of known length as its bytes arrive (a rule may match before
 *   the frame is whole), and a last time once it is whole;
 * - a frame of unknown length (the whole-stream frame, an HTTP message
 *   whose end is not known yet) only once MAX_FRAME_INSPECT_BYTES of it
 *   are in or the flow ends;
 * - a gap inside a frame ends its inspection at the gap.
 *
 * A signature matches a frame at most once (Frame.matched), and each match
 * is one alert.
 */
import type { Packet } from '../core/packet.js';
import { FlowState, type Flow } from '../flow/flow.js';
import { MAX_FRAME_INSPECT_BYTES, STREAM_FRAME_TYPE, frameProtocolOf, type Frame, type FlowFrames } from '../app/frames.js';
import type { AlertQueue, SkippedSignature, ThresholdHook } from './detect-engine.js';
import { matchFlowFlags, matchHeaderAddresses, matchProtocol } from './detect-engine.js';
import { InspectContext, DEFAULT_INSPECTION_RECURSION_LIMIT } from './inspect-context.js';
import { inspectBuffer, prepareInspection } from './inspect.js';
import { TransformedBufferProvider } from './transforms.js';
import type { BufferView } from './keywords/header-buffers.js';
import { FRAME_BUFFER_PREFIX, parseFrameBuffer } from './keywords/frame.js';
import { protoKindOf } from './rule-group.js';
import { Action, FlowFlag, type ActionId, type InspectionMatch, type PacketMatcher, type Signature } from './signature.js';

/** Tells whether `sig` inspects a frame buffer, so it belongs to the frame inspector. */
export function isFrameSignature(sig: Signature): boolean {
  for (const inspection of sig.buffers) {
    if (inspection.buffer.startsWith(FRAME_BUFFER_PREFIX)) return true;
  }
  return false;
}

/** Splits signatures into frame signatures and the others. */
export function partitionFrameSignatures(signatures: readonly Signature[]): { frame: Signature[]; other: Signature[] } {
  const frame: Signature[] = [];
  const other: Signature[] = [];
  for (const sig of signatures) (isFrameSignature(sig) ? frame : other).push(sig);
  return { frame, other };
}

class FrameSignature {
  readonly sig: Signature;
  /** Position in FrameInspector.signatures, the index of Frame.matched. */
  readonly index: number;
  readonly protoKind: number;
  readonly appProto: string;
  readonly type: number;
  readonly matches: InspectionMatch[];
  /**
   * The header names the frame's own protocol (`tls`, `ssl`, `http1`), which
   * the flow carries whenever it has such frames, so the header check is skipped.
   */
  readonly isHeaderProtoImplied: boolean;
  /** Runs the buffer's transforms (`frame:...; to_lowercase;`), or null when it has none. */
  readonly transformer: TransformedBufferProvider | null;

  constructor(sig: Signature, index: number, appProto: string, type: number, matches: InspectionMatch[], transformer: TransformedBufferProvider | null) {
    this.sig = sig;
    this.index = index;
    this.protoKind = protoKindOf(sig.proto);
    this.isHeaderProtoImplied = frameProtocolOf(sig.proto.toLowerCase()) === appProto;
    this.appProto = appProto;
    this.type = type;
    this.matches = matches;
    this.transformer = transformer;
  }
}

/** The frame of each alert that `inspect` queued, by position after `firstAlert`. */
export class FrameAlertFacts {
  readonly frames: (Frame | null)[];
  firstAlert: number;
  count: number;

  constructor(capacity: number) {
    this.frames = new Array<Frame | null>(capacity).fill(null);
    this.firstAlert = 0;
    this.count = 0;
  }

  clear(firstAlert: number): void {
    for (let i = 0; i < this.count; i++) this.frames[i] = null;
    this.firstAlert = firstAlert;
    this.count = 0;
  }

  /** Returns the frame of queued alert `i`, or null when it was not a frame match. */
  frameOf(i: number): Frame | null {
    const k = i - this.firstAlert;
    if (k < 0 || k >= this.count) return null;
    return this.frames[k] ?? null;
  }
}

const DEFAULT_ACTION_ORDER: readonly ActionId[] = [
  Action.PASS, Action.DROP, Action.REJECT, Action.REJECTSRC, Action.REJECTDST, Action.REJECTBOTH, Action.ALERT,
];

export interface FrameInspectorOptions {
  thresholdHook?: ThresholdHook;
  actionOrder?: readonly ActionId[];
  inspectionRecursionLimit?: number;
}

const NO_SIGNATURES: readonly FrameSignature[] = [];

/** Source of a frame buffer's transforms: the frame's bytes are handed to `transformView` directly. */
const NO_SOURCE = { fill: (): boolean => false };

/** Runs the frame signatures over the frames of each flow. */
export class FrameInspector {
  readonly signatures: Signature[];
  readonly skipped: SkippedSignature[];
  readonly facts: FrameAlertFacts;
  /** Frame types the signatures inspect: app-layer protocol and type id. */
  readonly usedTypes: { appProto: string; type: number }[];
  /** Signatures by app-layer protocol, then by frame type id, in evaluation order. */
  private readonly byProto: Map<string, FrameSignature[][]>;
  private readonly ctx: InspectContext;
  private readonly thresholdHook: ThresholdHook | null;
  /** Scratch view of a frame's bytes for transforms. */
  private readonly view: BufferView;
  matches: number;

  constructor(signatures: readonly Signature[], alertCapacity: number, options: FrameInspectorOptions = {}) {
    this.skipped = [];
    this.thresholdHook = options.thresholdHook ?? null;
    this.ctx = new InspectContext(options.inspectionRecursionLimit ?? DEFAULT_INSPECTION_RECURSION_LIMIT);
    this.facts = new FrameAlertFacts(alertCapacity);
    this.view = { bytes: new Uint8Array(0), start: 0, length: 0 };
    this.matches = 0;
    this.usedTypes = [];
    this.byProto = new Map();
    const rank = new Map<number, number>();
    (options.actionOrder ?? DEFAULT_ACTION_ORDER).forEach((action, i) => rank.set(action, i));
    const sorted = [...signatures].sort((a, b) => (rank.get(a.action) ?? 99) - (rank.get(b.action) ?? 99) || a.priority - b.priority || a.id - b.id);
    this.signatures = [];
    for (const sig of sorted) {
      const entry = this.prepare(sig, this.signatures.length);
      if (entry === null) continue;
      this.signatures.push(sig);
      let table = this.byProto.get(entry.appProto);
      if (table === undefined) {
        table = [];
        for (let t = 0; t <= STREAM_FRAME_TYPE; t++) table.push([]);
        this.byProto.set(entry.appProto, table);
      }
      const list = table[entry.type] as FrameSignature[];
      if (list.length === 0) this.usedTypes.push({ appProto: entry.appProto, type: entry.type });
      list.push(entry);
    }
  }

  /** Checks that the inspector can run `sig`; returns its entry, or null after recording why not. */
  private prepare(sig: Signature, index: number): FrameSignature | null {
    if (sig.buffers.length !== 1) {
      this.skipped.push({ sig, reason: 'a frame rule with other buffers besides its frame is not supported yet' });
      return null;
    }
    const inspection = sig.buffers[0] as Signature['buffers'][number];
    const ref = parseFrameBuffer(inspection.buffer);
    if (ref === null) {
      this.skipped.push({ sig, reason: `buffer '${inspection.buffer}' is not a known frame` });
      return null;
    }
    let transformer: TransformedBufferProvider | null = null;
    if (inspection.transforms !== undefined) {
      if (inspection.transforms.anchor !== undefined) {
        this.skipped.push({ sig, reason: 'a relative base64_decode on a frame is not supported yet' });
        return null;
      }
      transformer = new TransformedBufferProvider(inspection.buffer, NO_SOURCE, inspection.transforms);
    }
    for (const m of sig.packetMatches) {
      if ((m as { isTxMatcher?: boolean }).isTxMatcher === true) {
        this.skipped.push({ sig, reason: `keyword '${m.keyword}' cannot be combined with a frame yet` });
        return null;
      }
    }
    const keyword = prepareInspection(inspection.matches);
    if (keyword !== null) {
      this.skipped.push({ sig, reason: `keyword '${keyword}' cannot be inspected in buffer '${inspection.buffer}'` });
      return null;
    }
    return new FrameSignature(sig, index, ref.appProto, ref.type, inspection.matches, transformer);
  }

  /**
   * Inspects the frames of `frames` in the direction of `p` and appends
   * the matches to `out`; `facts` records the frame of each queued alert.
   * `isFlowEnd` is set for the flow-end pseudo packets: every frame is
   * then inspected with the bytes it has, and finished.
   */
  inspect(p: Packet, flow: Flow, frames: FlowFrames, out: AlertQueue, isFlowEnd: boolean): void {
    this.facts.clear(out.count);
    // Frames of protocols without signatures are still walked, so they are
    // marked inspected and the flow can drop them.
    const table = this.byProto.get(frames.appProto) ?? null;
    if (flow.isPassed) return;
    const direction = p.direction;
    const list = frames.frames[direction] as Frame[];
    const store = frames.bytes[direction];
    const dataEnd = store.end;
    const isEnded = isFlowEnd || frames.isEnded[direction] === 1;
    this.ctx.beginPacket();

    for (let i = 0; i < list.length; i++) {
      const frame = list[i] as Frame;
      if (frame.isInspected) continue;
      const sigs = table !== null ? (table[frame.type] as FrameSignature[]) : NO_SIGNATURES;
      const windowEnd = Math.min(frame.end, frame.offset + MAX_FRAME_INSPECT_BYTES);
      const isWhole = dataEnd >= windowEnd;
      if (frame.length < 0 && !isWhole && !isEnded) continue;
      const availableEnd = Math.min(windowEnd, dataEnd);
      const contiguousEnd = Math.min(store.contiguousEnd(frame.offset), availableEnd);
      const isFinal = isWhole || isEnded || contiguousEnd < availableEnd;
      if (contiguousEnd <= frame.inspectedEnd && !isFinal) continue;
      frame.inspectedEnd = contiguousEnd;
      if (isFinal) frame.isInspected = true;

      if (sigs.length === 0 || (contiguousEnd <= frame.offset && frame.length !== 0)) continue;
      const start = frame.offset - store.base;
      const length = contiguousEnd - frame.offset;
      for (let s = 0; s < sigs.length; s++) {
        const entry = sigs[s] as FrameSignature;
        if (frame.matched !== null && frame.matched[entry.index] === 1) continue;
        if (!this.matchHeader(entry, p, flow)) continue;
        if (!this.inspectFrame(entry, store.data, start, length)) continue;
        if (frame.matched === null) frame.matched = new Uint8Array(this.signatures.length);
        frame.matched[entry.index] = 1;
        this.matches++;
        if (this.raise(entry.sig, p, flow, frame, out)) return;
      }
    }
  }

  /** Runs the signature's keywords over the frame's bytes, after its transforms. */
  private inspectFrame(entry: FrameSignature, bytes: Uint8Array, start: number, length: number): boolean {
    const transformer = entry.transformer;
    if (transformer === null) return inspectBuffer(entry.matches, bytes, start, length, this.ctx);
    const view = this.view;
    view.bytes = bytes;
    view.start = start;
    view.length = length;
    if (!transformer.transformView(view)) return false;
    return inspectBuffer(entry.matches, view.bytes, view.start, view.length, this.ctx);
  }

  private matchHeader(entry: FrameSignature, p: Packet, flow: Flow): boolean {
    const sig = entry.sig;
    if (!entry.isHeaderProtoImplied && !matchProtocol(entry.protoKind, sig.proto, p, flow)) return false;
    const stateFlags = FlowFlag.ESTABLISHED | FlowFlag.NOT_ESTABLISHED;
    if (!matchFlowFlags(sig.flowFlags & ~stateFlags, p, flow)) return false;
    if ((sig.flowFlags & stateFlags) !== 0) {
      // Frames come from a parsed stream, so the flow was established,
      // also on the packets that close it.
      const wasEstablished = flow.state !== FlowState.NEW;
      if ((sig.flowFlags & FlowFlag.ESTABLISHED) !== 0 && !wasEstablished) return false;
      if ((sig.flowFlags & FlowFlag.NOT_ESTABLISHED) !== 0 && wasEstablished) return false;
    }
    if (!matchHeaderAddresses(sig, p)) return false;
    for (let i = 0; i < sig.packetMatches.length; i++) {
      const m = sig.packetMatches[i] as PacketMatcher;
      if (m.keyword === 'flow') continue;
      if (!m.match(p, flow, this.ctx)) return false;
    }
    return true;
  }

  /** Applies a match: post-match keywords, threshold, alert. Returns true when a pass rule ends inspection. */
  private raise(sig: Signature, p: Packet, flow: Flow, frame: Frame, out: AlertQueue): boolean {
    let isAlert = !sig.isNoAlert;
    for (let k = 0; k < sig.postMatches.length; k++) {
      if (!(sig.postMatches[k] as Signature['postMatches'][number]).apply(p, flow, this.ctx)) isAlert = false;
    }
    const hook = this.thresholdHook;
    if (sig.action === Action.PASS) {
      flow.isPassed = true;
      out.passSig = sig;
      if (sig.hasAlertKeyword === true && isAlert && (hook === null || hook.shouldAlert(sig, p, flow))) this.push(sig, frame, out);
      return true;
    }
    if (!isAlert || (hook !== null && !hook.shouldAlert(sig, p, flow))) {
      out.noteAction(sig);
      return false;
    }
    this.push(sig, frame, out);
    return false;
  }

  private push(sig: Signature, frame: Frame, out: AlertQueue): void {
    const before = out.count;
    out.push(sig);
    if (out.count === before) return;
    const facts = this.facts;
    const i = out.count - 1 - facts.firstAlert;
    if (i < 0 || i >= facts.frames.length) return;
    facts.frames[i] = frame;
    facts.count = Math.max(facts.count, i + 1);
  }
}
