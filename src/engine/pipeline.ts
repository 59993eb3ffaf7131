/**
 * The packet path of one worker: decode, flow, detect, policy, output. The
 * capture loop (run-capture.ts) hands every frame to `processPacket`; the
 * pipeline decides its fate (accept or drop, in IPS mode) and writes the
 * events it causes.
 */
import { TcpState } from '../stream/tcp-session.js';
import { Direction, MAX_TUNNEL_LAYER_OFFSETS, Packet } from '../core/packet.js';
import { decodePacket } from '../decode/decode-packet.js';
import type { DecodeContext } from '../decode/context.js';
import { decoderEventEveName } from '../decode/events.js';
import type { Defragmenter } from '../flow/defrag.js';
import { ExceptionAction } from '../flow/flow-config.js';
import { FlowState, type Flow } from '../flow/flow.js';
import { buildFlowRecord } from '../flow/flow-record.js';
import type { FlowTable } from '../flow/flow-table.js';
import { STREAM_EVENT_NAMES } from '../stream/stream-events.js';
import { StreamException, fillFlowEndPacket, type StreamReassembler } from '../stream/reassembly.js';
import { AlertQueue, type DetectEngine } from '../detect/detect-engine.js';
import type { AppLayer, AppTransaction, FlowAppState } from '../app/app-layer.js';
import { APP_LAYER_EVENT_NAMES } from '../app/app-layer-events.js';
import type { AppInspector, TxAlertFacts } from '../detect/app-inspect.js';
import type { FrameAlertFacts, FrameInspector } from '../detect/frame-inspect.js';
import type { FrameConfig } from '../app/frames.js';
import { frameObjectText, type FrameLogger } from '../output/eve-frame.js';
import { DEFAULT_TX_LOG_OPTIONS, guessAlertTx, txObjectText, type TxLogger } from '../output/eve-app.js';
import { inspectWithStream } from '../detect/stream-buffer.js';
import { Action, type Signature } from '../detect/signature.js';
import { isFlowScopedAction } from './action-scope.js';
import { fillTunnelLayer, fillTunnelRoot, innerPacketOffset, tunnelPktSrc } from './tunnel-root.js';
import type { ThresholdActionRecorder } from './threshold-actions.js';
import { consumeFlowTag, HostTagTracker, SessionTagSnapshot } from './tagging.js';
import { alertActionText, packetAlertFacts, type TunnelFacts } from '../output/eve-alert.js';
import { DropReason, type DropReasonValue } from '../output/eve-events.js';
import { actionName, decisionObject } from '../output/eve-decision.js';
import { PktSrc, type PktSrcValue } from '../output/eve-format.js';
import type { EveWriter } from '../output/eve-writer.js';
import type { FastLogWriter } from '../output/fast-log.js';
import { MAX_RESPONSE_BYTES, RejectTarget, buildRejectResponse, rejectTargetOf } from '../act/reject.js';
import type { RejectSender } from '../act/reject-sender.js';
import type { AlertResponder } from '../policy/alert-responder.js';
import type { AnomalyDetectors } from '../anomaly/detectors.js';
import { addressText, type AnomalyActions } from '../policy/anomaly-actions.js';
import { ANOMALY_GID, findingSignature } from '../anomaly/finding.js';
import type { SiteBlocker } from '../policy/site-blocker.js';
import { applySiteBlock, SiteBlockScratch } from './site-block.js';

/** Counters of the policy stage, as the stats event names them (`ips.*`, `detect.*`). */
export class PipelineCounters {
  packets: number;
  bytes: number;
  alerts: number;
  alertQueueOverflow: number;
  accepted: number;
  blocked: number;
  rejected: number;
  /** Reject responses (TCP resets, ICMP unreachables) sent. */
  rejectResponsesSent: number;
  /** Reject responses built but not sent: the send failed, or no sender could open raw sockets. */
  rejectResponsesFailed: number;
  /** Anomaly findings reported (start, update and end reports). */
  anomalyFindings: number;
  /** Dropped packets by EVE drop.reason. */
  readonly dropsByReason: Map<string, number>;
  /** Alerts by signature key `gid:sid:rev`, with the message. */
  readonly alertsBySignature: Map<string, { msg: string; count: number }>;
  /** Alerts of shadowed rules (policy.shadow), which ran alert-only (stats `policy.shadow.hits`). */
  shadowHits: number;
  /** Shadow hits by signature key `gid:sid:rev`, with the message and the configured action. */
  readonly shadowHitsBySignature: Map<string, { msg: string; count: number; configuredAction: string }>;

  constructor() {
    this.packets = 0;
    this.bytes = 0;
    this.alerts = 0;
    this.alertQueueOverflow = 0;
    this.accepted = 0;
    this.blocked = 0;
    this.rejected = 0;
    this.rejectResponsesSent = 0;
    this.rejectResponsesFailed = 0;
    this.anomalyFindings = 0;
    this.dropsByReason = new Map();
    this.alertsBySignature = new Map();
    this.shadowHits = 0;
    this.shadowHitsBySignature = new Map();
  }
}

/** The parts one pipeline runs; built once at start (see build-pipeline.ts). */
export interface PipelineParts {
  decode: DecodeContext;
  flows: FlowTable;
  /** IP defragmentation; null leaves fragments unassembled. */
  defrag: Defragmenter | null;
  detect: DetectEngine;
  /** The detection engine's threshold hook, whose record of each match the policy stage reads; null without thresholds. */
  thresholdActions: ThresholdActionRecorder | null;
  eve: EveWriter[];
  fast: FastLogWriter | null;
  /** IPS mode: drop and reject rules drop packets, and whole flows for the rules that action-scope.ts lists. */
  isIps: boolean;
  /** TCP stream reassembly, or null to inspect packets only. */
  stream?: StreamReassembler | null;
  /** App-layer protocol detection and parsers; absent or null leaves flows without app layer. */
  app?: AppLayer | null;
  /** Transaction detection; needs `app`. */
  appInspect?: AppInspector | null;
  /** Protocol events; needs `app`. */
  txLog?: TxLogger | null;
  /** Frame detection; needs `app` with a frame config. */
  frameInspect?: FrameInspector | null;
  /** Frame events; needs `frameInspect`, which marks the frames ready to log. */
  frameLog?: FrameLogger | null;
  /**
   * Sends the responses of reject rules in live and in-line runs; absent or
   * null (reading a capture) only records the rejects in alerts and counters.
   */
  rejectSender?: RejectSender | null;
  /** Automatic responses to alerts (policy.responses, such as quarantine); absent or null for none. */
  responder?: AlertResponder | null;
  /** The anomaly stage (flood, scan and baseline detectors); absent or null when `anomaly.enabled` is off. */
  anomaly?: AnomalyDetectors | null;
  /** Policy actions on anomaly findings (`anomaly.actions`); absent or null for none. */
  anomalyActions?: AnomalyActions | null;
  /** The blocklists (policy.blocklists); absent or null for none. */
  siteBlocker?: SiteBlocker | null;
}

/** The parts of a pipeline built from the rules, which a rule reload replaces. */
export interface DetectionParts {
  detect: DetectEngine;
  thresholdActions: ThresholdActionRecorder | null;
  appInspect: AppInspector | null;
  frameInspect: FrameInspector | null;
  /** Frame types the parsers record for `frameInspect`; null to record none. */
  frameConfig: FrameConfig | null;
}

/** Most bytes of reassembled data handed to the EVE writers as an alert payload; they cut it to payload-buffer-size. */
const MAX_STREAM_PAYLOAD_BYTES = 65536;

/** Bits (1 << ActionId) of the actions that block a packet in IPS mode. */
const BLOCKING_ACTIONS_MASK = (1 << Action.DROP) | (1 << Action.REJECT) | (1 << Action.REJECTSRC)
  | (1 << Action.REJECTDST) | (1 << Action.REJECTBOTH);

function isBlockingAction(action: number): boolean {
  return action === Action.DROP || action === Action.REJECT || action === Action.REJECTSRC
    || action === Action.REJECTDST || action === Action.REJECTBOTH;
}

/**
 * Returns the action that decides a packet's fate, as the alerts' verdict
 * object shows it: the blocking rule's action when the packet is dropped
 * (in IDS mode, the first drop or reject rule, which the verdict renders as
 * alert), PASS when a pass rule ended its inspection, else ALERT.
 */
function packetVerdictAction(alerts: AlertQueue, blockingSig: Signature | null, recorder: ThresholdActionRecorder | null): number {
  if (blockingSig !== null) return effectiveAction(blockingSig, recorder);
  for (let i = 0; i < alerts.count; i++) {
    const action = effectiveAction(alerts.sigs[i] as Signature, recorder);
    if (isBlockingAction(action)) return action;
  }
  return alerts.passSig !== null ? Action.PASS : Action.ALERT;
}

/** Returns the rate_filter's new action for this packet's match of `sig`, or -1. */
function actionOverrideOf(sig: Signature, recorder: ThresholdActionRecorder | null): number {
  const record = recorder !== null ? recorder.indexOf(sig) : -1;
  return record >= 0 ? (recorder as ThresholdActionRecorder).actionOverride[record] as number : -1;
}

function isRateFiltered(sig: Signature, recorder: ThresholdActionRecorder | null): boolean {
  return actionOverrideOf(sig, recorder) >= 0;
}

/** Returns the action of `sig` for this packet: a rate_filter's new action, else its own. */
function effectiveAction(sig: Signature, recorder: ThresholdActionRecorder | null): number {
  const override = actionOverrideOf(sig, recorder);
  return override >= 0 ? override : sig.action;
}

/** Runs every packet of one worker through decode, flow, detect, policy and output. */
export class PacketPipeline {
  readonly parts: PipelineParts;
  readonly counters: PipelineCounters;
  private readonly alerts: AlertQueue;
  private readonly sessionTagBefore: SessionTagSnapshot;
  private readonly hostTags: HostTagTracker;
  /** The outer packet of the current frame when it is tunnelled. */
  private readonly tunnelRoot: Packet;
  /** A tunnel layer between the outer and the innermost packet, reused for each. */
  private readonly tunnelMiddle: Packet;
  private readonly tunnelFacts: TunnelFacts;
  /** EVE pkt_src of the packet being processed. */
  private pktSrc: PktSrcValue;
  /** Set while the inner packet of a tunnel is processed, else null. */
  private tunnel: TunnelFacts | null;
  /** Flow of the frame's outer packet, or null. */
  private rootFlow: Flow | null;
  /** Packet reused to inspect a flow's remaining stream data when it ends. */
  private readonly flowEndPacket: Packet;
  /** Transactions of the queued alerts when the app layer inspected the current packet, else null. */
  private txFacts: TxAlertFacts | null;
  /** Frames of the queued alerts when frames were inspected for the current packet, else null. */
  private frameFacts: FrameAlertFacts | null;
  /** App state whose frames `frameFacts` refers to. */
  private frameAppState: FlowAppState | null;
  /** Scratch buffer for one reject response, reused for every response. */
  private readonly rejectResponse: Uint8Array;
  /** Rule reloads so far; a flow with another Flow.detectVersion carries the state of an older engine. */
  private detectVersion: number;
  /** Scratch of the blocklist stage (the DNS answer buffer). */
  private readonly siteBlockScratch: SiteBlockScratch;

  constructor(parts: PipelineParts, alertQueueCapacity: number) {
    this.parts = parts;
    this.counters = new PipelineCounters();
    this.alerts = new AlertQueue(alertQueueCapacity);
    this.sessionTagBefore = new SessionTagSnapshot();
    this.hostTags = new HostTagTracker();
    this.tunnelRoot = new Packet();
    this.tunnelMiddle = new Packet();
    this.tunnelFacts = { root: this.tunnelRoot, depth: 0, innerOffset: 0 };
    this.pktSrc = PktSrc.WIRE;
    this.tunnel = null;
    this.rootFlow = null;
    this.flowEndPacket = new Packet();
    this.txFacts = null;
    this.frameFacts = null;
    this.frameAppState = null;
    this.rejectResponse = new Uint8Array(parts.rejectSender ? MAX_RESPONSE_BYTES : 0);
    this.detectVersion = 0;
    this.siteBlockScratch = new SiteBlockScratch(parts.siteBlocker != null);
  }

  /**
   * Replaces the rule-dependent parts (a rule reload) between packets.
   * Flows, streams and app-layer state stay, and so do the flows' variables,
   * as long as the new rules were loaded with the old variable ids.
   */
  swapDetection(detection: DetectionParts): void {
    const parts = this.parts;
    parts.detect = detection.detect;
    parts.thresholdActions = detection.thresholdActions;
    if (parts.app !== undefined && parts.app !== null) {
      parts.appInspect = detection.appInspect;
      parts.frameInspect = detection.frameInspect;
      parts.app.frameConfig = detection.frameConfig;
    }
    this.detectVersion++;
  }

  /**
   * Clears the per-rule state that an older engine left on `flow`, because
   * it is indexed by that engine's rules. IP-only rules run again, and the
   * open transactions and frames are inspected again by the new rules.
   * NOTE: a rule that had matched an open transaction (a TLS or SSH session,
   * an HTTP request awaiting its response) can alert on it once more.
   */
  private adoptFlow(flow: Flow): void {
    flow.detectVersion = this.detectVersion;
    flow.ipOnlyDirections = 0;
    const app = this.parts.app ?? null;
    const state = app !== null ? app.stateOf(flow) : null;
    if (state === null) return;
    const txs = state.transactions();
    for (let t = 0; t < txs.length; t++) state.matchedSigs.delete(txs[t] as object);
    if (state.frames === null) return;
    for (const frames of state.frames.frames) {
      for (const frame of frames) frame.matched = null;
    }
  }

  /** Decodes, tracks, inspects and logs one packet; sets `p.isDropped` when it is blocked. */
  processPacket(p: Packet): void {
    const parts = this.parts;
    const counters = this.counters;
    counters.packets++;
    counters.bytes += p.captureLength;
    // Every frame moves capture time on, as in Suricata, also one without a
    // flow. A worker thread's ticks (run-worker.ts) do the same, so flow
    // timeouts do not depend on how frames are spread over threads.
    parts.flows.advanceClock(p.timestampUs);
    decodePacket(p, parts.decode);

    // A fragment that completes its datagram yields a rebuilt packet. It
    // runs through flow, detection and output before the fragment does,
    // as Suricata runs its pseudo packet, and a drop of it drops the fragment.
    const defrag = parts.defrag;
    if (defrag !== null && p.isFragment && !p.isInvalid) {
      const rebuilt = defrag.handleFragment(p, parts.decode);
      if (rebuilt !== null) {
        this.processFrame(rebuilt);
        if (rebuilt.isDropped) p.isDropped = true;
      }
      if (defrag.exceptionAction === ExceptionAction.DROP_PACKET) {
        this.drop(p, null, DropReason.DEFRAG_MEMCAP, null);
        counters.blocked++;
        return;
      }
    }
    this.processFrame(p);

    if (p.isDropped) counters.blocked++;
    else counters.accepted++;
  }

  /** Runs a decoded frame, or a rebuilt datagram, through the tunnel layers it carries. */
  private processFrame(p: Packet): void {
    const root = this.tunnelRoot;
    if (p.tunnelDepth > 0 && !p.isInvalid && fillTunnelRoot(root, p)) {
      // The outer packet goes first, as Suricata runs it before the packet
      // it carries. A drop of either drops the frame.
      this.pktSrc = p.isDefragmented ? PktSrc.DEFRAG : PktSrc.WIRE;
      this.tunnel = null;
      this.rootFlow = null;
      this.processLayer(root, false);
      const facts = this.tunnelFacts;
      facts.depth = p.tunnelDepth;
      facts.innerOffset = innerPacketOffset(root, p);
      const outer = this.processMiddleLayers(p, root);
      this.pktSrc = tunnelPktSrc(outer);
      this.tunnel = facts;
      this.processLayer(p, true);
      if (root.isDropped || this.tunnelMiddle.isDropped) p.isDropped = true;
    } else {
      this.pktSrc = p.isDefragmented ? PktSrc.DEFRAG : PktSrc.WIRE;
      this.tunnel = null;
      this.rootFlow = null;
      this.processLayer(p, true);
    }
  }

  /**
   * Runs the layers between the outer packet `root` and the innermost
   * packet `p` (a tunnel inside a tunnel) through detection and output,
   * without a flow, as Suricata inspects each tunnel layer as a packet.
   * Returns the layer just outside `p`.
   */
  private processMiddleLayers(p: Packet, root: Packet): Packet {
    const middle = this.tunnelMiddle;
    middle.isDropped = false;
    let outer = root;
    const layers = Math.min(p.tunnelDepth, MAX_TUNNEL_LAYER_OFFSETS);
    for (let i = 1; i < layers; i++) {
      const wasDropped = middle.isDropped;
      // Read before the fill, which reuses `middle` when it is the previous layer.
      const pktSrc = tunnelPktSrc(outer);
      if (!fillTunnelLayer(middle, p, p.tunnelL3Offsets[i] as number)) break;
      this.pktSrc = pktSrc;
      this.tunnel = this.tunnelFacts;
      this.processLayer(middle, false, false);
      if (wasDropped) middle.isDropped = true;
      outer = middle;
    }
    return outer;
  }

  /**
   * Runs one packet (a frame, or the outer or inner packet of a tunnel)
   * through flow, detection and output. `hasEvents` is true for the packet
   * that carries the frame's decoder events. An untracked packet (a middle
   * tunnel layer) gets no flow.
   */
  private processLayer(p: Packet, hasEvents: boolean, isTracked = true): void {
    const parts = this.parts;
    let flow: Flow | null = null;
    if (isTracked && !p.isInvalid && p.ipVersion !== 0) {
      flow = parts.flows.handlePacket(p);
      if (flow === null && parts.flows.exceptionAction === ExceptionAction.DROP_PACKET) {
        this.drop(p, null, DropReason.FLOW_MEMCAP, null);
        return;
      }
      const midstream = parts.flows.midstreamAction;
      if (flow !== null && midstream !== StreamException.NONE && this.applyFlowException(p, flow, midstream, DropReason.STREAM_MIDSTREAM)) return;
      if (flow !== null && flow.detectVersion !== this.detectVersion) this.adoptFlow(flow);
    }
    if (this.tunnel === null) this.rootFlow = flow;
    const anomaly = parts.anomaly ?? null;
    if (anomaly !== null && isTracked && !p.isInvalid) this.recordAnomaly(anomaly, p, flow);
    // A bypassed flow (the `bypass` keyword) is only counted from now on.
    if (flow !== null && flow.isBypassed) {
      if (hasEvents) this.logPacketEvents(p, flow);
      return;
    }
    const stream = parts.stream ?? null;
    // A bypassed flow is not processed again, and a dropped one not
    // tracked, so neither needs its stream. A flow passed by a rule keeps
    // its stream and parser, so its app-layer events are still logged.
    if (stream !== null && !(flow !== null && (flow.isBypassed || (flow.isDropped && parts.isIps)))) {
      stream.handlePacket(p, flow);
      if (stream.exceptionAction !== StreamException.NONE && this.applyStreamException(p, flow, stream.exceptionAction)) return;
      if (stream.isUrgentDrop) {
        this.drop(p, flow, DropReason.STREAM_URGENT, null);
        return;
      }
    }
    const app = parts.app ?? null;
    // As with the stream, a bypassed flow or one dropped in-line no longer feeds its parser.
    const isAppSkipped = flow === null || flow.isBypassed || (flow.isDropped && parts.isIps);
    const appState = app !== null && !isAppSkipped ? app.handlePacket(p, flow) : null;
    if (hasEvents) this.logPacketEvents(p, flow);
    if (app !== null && flow !== null && !isAppSkipped && app.errorAction !== StreamException.NONE
      && this.applyAppLayerError(p, flow, appState, app.errorAction)) return;

    if (flow !== null && flow.isDropped && parts.isIps) {
      this.drop(p, flow, DropReason.FLOW_DROP, null);
      return;
    }
    const siteBlocker = parts.siteBlocker ?? null;
    if (siteBlocker !== null && applySiteBlock(this, siteBlocker, p, flow, appState)) return;
    if (flow !== null && flow.isPassed) {
      if (appState !== null) {
        // Nothing inspects a passed flow, so its transactions need not wait for detection.
        appState.pendingInspect[0] = 0;
        appState.pendingInspect[1] = 0;
        this.logTransactions(p, flow, appState, false);
      }
      return;
    }

    const alerts = this.alerts;
    alerts.clear();
    if (parts.thresholdActions !== null) parts.thresholdActions.clear();
    this.sessionTagBefore.take(flow);
    inspectWithStream(parts.detect, p, flow, stream, alerts, false);
    this.inspectTransactions(p, flow, appState, false);
    this.inspectFrames(p, flow, appState, false);
    this.counters.alertQueueOverflow += alerts.overflowCount;
    this.applyMatches(p, flow, alerts);
    this.txFacts = null;
    this.frameFacts = null;
    this.logTransactions(p, flow, appState, false);
    this.logFrames(p, flow, appState);
    this.logTaggedPacket(p, flow);
    if (p.arpOffset >= 0) for (const writer of parts.eve) writer.arp(p, this.pktSrc);
    // A closed session's inspected data is not needed while the flow waits for its timeout.
    if (stream !== null && flow !== null && flow.tcp !== null && flow.tcp.state === TcpState.CLOSED) stream.trimClosed(flow);
  }

  /** Runs transaction detection on the flow's app state after the packet engine. */
  private inspectTransactions(p: Packet, flow: Flow | null, appState: FlowAppState | null, isFlowEnd: boolean): void {
    this.txFacts = null;
    const inspector = this.parts.appInspect ?? null;
    if (inspector === null || appState === null || flow === null || this.alerts.passSig !== null) return;
    inspector.inspect(p, flow, appState, this.alerts, isFlowEnd);
    this.txFacts = inspector.facts;
  }

  /** Runs frame detection on the flow's frames of the packet's direction. */
  private inspectFrames(p: Packet, flow: Flow | null, appState: FlowAppState | null, isFlowEnd: boolean): void {
    this.frameFacts = null;
    const inspector = this.parts.frameInspect ?? null;
    if (inspector === null || appState === null || appState.frames === null || flow === null || this.alerts.passSig !== null) return;
    inspector.inspect(p, flow, appState.frames, this.alerts, isFlowEnd);
    this.frameFacts = inspector.facts;
    this.frameAppState = appState;
  }

  /** Writes the frame events of the packet's direction and drops the frames that are done. */
  private logFrames(p: Packet, flow: Flow | null, appState: FlowAppState | null): void {
    if (appState === null || appState.frames === null || flow === null) return;
    const logger = this.parts.frameLog ?? null;
    if (logger !== null) logger.log(p, flow, appState.frames, this.pktSrc);
    appState.frames.prune(p.direction, logger !== null);
  }

  private logTransactions(p: Packet, flow: Flow | null, appState: FlowAppState | null, isFlowEnd: boolean): void {
    const txLog = this.parts.txLog ?? null;
    if (txLog === null || appState === null || flow === null) return;
    txLog.log(appState, flow, p, this.pktSrc, isFlowEnd);
  }

  /**
   * Ends a flow: inspects the stream data that was never inspected (as
   * Suricata's flow timeout pseudo packets), then writes the flow event.
   * The flow table calls it through its onFlowEnd callback, also while it
   * handles another packet, so the state of that packet is kept.
   */
  endFlow(flow: Flow): void {
    if (flow.detectVersion !== this.detectVersion) this.adoptFlow(flow);
    const stream = this.parts.stream ?? null;
    const app = this.parts.app ?? null;
    const pktSrc = this.pktSrc;
    const tunnel = this.tunnel;
    if (stream !== null && flow.tcp !== null) {
      if (!flow.isPassed) {
        this.pktSrc = PktSrc.STREAM_FLOW_TIMEOUT;
        this.tunnel = null;
        this.inspectFlowEnd(stream, flow, Direction.TO_SERVER);
        this.inspectFlowEnd(stream, flow, Direction.TO_CLIENT);
        this.pktSrc = pktSrc;
        this.tunnel = tunnel;
      }
    }
    if (app !== null) {
      const isDropped = flow.isDropped && this.parts.isIps;
      const appState = isDropped ? null : app.endFlow(flow, flow.lastUs);
      if (appState !== null && flow.tcp !== null) {
        this.pktSrc = PktSrc.STREAM_FLOW_TIMEOUT;
        this.tunnel = null;
        this.inspectAppFlowEnd(flow, appState);
        this.pktSrc = pktSrc;
        this.tunnel = tunnel;
      }
      app.release(flow);
    }
    if (stream !== null && flow.tcp !== null) stream.release(flow);
    PacketPipeline.writeFlowEvent(this.parts.eve, flow);
  }

  /**
   * Inspects and logs the transactions that the end of a TCP flow
   * finished, with one pseudo packet per direction as Suricata's flow
   * timeout does, so each alert carries its own direction.
   */
  private inspectAppFlowEnd(flow: Flow, appState: FlowAppState): void {
    const p = this.flowEndPacket;
    for (let direction = Direction.TO_SERVER; direction <= Direction.TO_CLIENT; direction++) {
      if (flow.isPassed) break;
      fillFlowEndPacket(p, flow, direction, 1);
      const alerts = this.alerts;
      alerts.clear();
      if (this.parts.thresholdActions !== null) this.parts.thresholdActions.clear();
      this.inspectTransactions(p, flow, appState, true);
      this.inspectFrames(p, flow, appState, true);
      this.counters.alertQueueOverflow += alerts.overflowCount;
      this.applyMatches(p, flow, alerts);
      this.txFacts = null;
      this.frameFacts = null;
      this.logFrames(p, flow, appState);
    }
    fillFlowEndPacket(p, flow, Direction.TO_CLIENT, 1);
    this.logTransactions(p, flow, appState, true);
  }

  private inspectFlowEnd(stream: StreamReassembler, flow: Flow, direction: number): void {
    if (!stream.prepareFlowEnd(flow, direction)) return;
    const p = this.flowEndPacket;
    fillFlowEndPacket(p, flow, direction, 1);
    const alerts = this.alerts;
    alerts.clear();
    if (this.parts.thresholdActions !== null) this.parts.thresholdActions.clear();
    inspectWithStream(this.parts.detect, p, flow, stream, alerts, true);
    this.counters.alertQueueOverflow += alerts.overflowCount;
    this.applyMatches(p, flow, alerts);
  }

  /**
   * Applies a memcap exception policy of reassembly; returns true when the
   * packet is finished (dropped, or let through uninspected).
   */
  private applyStreamException(p: Packet, flow: Flow | null, action: number): boolean {
    switch (action) {
      case StreamException.DROP_FLOW:
      case StreamException.REJECT:
        if (flow !== null) flow.isDropped = true;
        // As in Suricata, the exception policy `reject` sends the reject responses to the packet's sender.
        if (action === StreamException.REJECT) this.sendRejectResponses(p, RejectTarget.SOURCE);
        this.drop(p, flow, DropReason.STREAM_MEMCAP, null);
        return true;
      case StreamException.DROP_PACKET:
        this.drop(p, flow, DropReason.STREAM_MEMCAP, null);
        return true;
      case StreamException.PASS_FLOW:
      case StreamException.BYPASS:
        if (flow !== null) {
          flow.isPassed = true;
          flow.isBypassed = true;
        }
        return true;
      case StreamException.PASS_PACKET:
        return true;
      default:
        return false;
    }
  }

  /**
   * Applies the outcome (StreamException) of `stream.midstream-policy` or
   * `app-layer.error-policy` to packet `p` of `flow`; returns true when
   * `p` is dropped. Pass and bypass only mark the flow: a passed flow is
   * still reassembled, parsed and logged but not inspected, and a
   * bypassed one is not even reassembled or parsed. The resolvers turn
   * drop and reject into ignore in IDS mode, so only IPS mode drops.
   */
  private applyFlowException(p: Packet, flow: Flow, action: number, reason: DropReasonValue): boolean {
    switch (action) {
      case StreamException.DROP_FLOW:
      case StreamException.REJECT:
        flow.isDropped = true;
        if (action === StreamException.REJECT) {
          this.counters.rejected++;
          // As for a memcap, the sender of the packet gets the reject responses.
          this.sendRejectResponses(p, RejectTarget.SOURCE);
        }
        this.drop(p, flow, reason, null);
        return true;
      case StreamException.DROP_PACKET:
        this.drop(p, flow, reason, null);
        return true;
      case StreamException.BYPASS:
        flow.isPassed = true;
        flow.isBypassed = true;
        return false;
      case StreamException.PASS_FLOW:
        flow.isPassed = true;
        return false;
      default:
        return false;
    }
  }

  /**
   * Applies `app-layer.error-policy` after a parser error on this packet;
   * returns true when the packet is finished: dropped, or (pass-packet)
   * let through without inspection. Its transactions are still logged.
   */
  private applyAppLayerError(p: Packet, flow: Flow, appState: FlowAppState | null, action: number): boolean {
    const isDropped = this.applyFlowException(p, flow, action, DropReason.APPLAYER_ERROR);
    if (!isDropped && action !== StreamException.PASS_PACKET) return false;
    if (appState !== null && flow.isDropped) {
      // Nothing inspects a dropped flow again, so its transactions need not wait for detection.
      appState.pendingInspect[0] = 0;
      appState.pendingInspect[1] = 0;
    }
    this.logTransactions(p, flow, appState, false);
    return true;
  }

  private logTaggedPacket(p: Packet, flow: Flow | null): void {
    const startedHere = flow !== null && this.sessionTagBefore.isStartedBy(flow);
    const isSessionTagged = consumeFlowTag(flow, p, startedHere);
    const isHostTagged = this.hostTags.consume(p);
    if (!isSessionTagged && !isHostTagged) return;
    for (const writer of this.parts.eve) writer.taggedPacket(p, flow, this.pktSrc);
  }

  /** Ends every flow (writing its flow event) and every anomaly finding at the end of the input. */
  finish(reason: number): void {
    this.parts.flows.flushAll(reason);
    const anomaly = this.parts.anomaly ?? null;
    if (anomaly !== null) {
      anomaly.finish();
      this.writeFindings(anomaly);
    }
  }

  /**
   * Feeds the anomaly stage one packet; a packet that its flow's counters
   * show as the flow's first started that flow. Writes the findings the
   * packet's interval closed, which happens at most once per interval.
   */
  private recordAnomaly(anomaly: AnomalyDetectors, p: Packet, flow: Flow | null): void {
    const isNewFlow = flow !== null && flow.pktsToServer + flow.pktsToClient === 1;
    anomaly.recordPacket(p, isNewFlow);
    // A quarantine action needs the sources that completed a handshake, noted once per session.
    const actions = this.parts.anomalyActions ?? null;
    const session = flow !== null ? flow.tcp : null;
    if (actions !== null && actions.wantsHandshakes && session !== null && session.state === TcpState.ESTABLISHED && session.stateBefore !== TcpState.ESTABLISHED) {
      actions.noteHandshake(addressText(flow!.ipVersion, flow!.clientAddr));
    }
    if (anomaly.tracker.reports.length > 0) this.writeFindings(anomaly);
  }

  /** Writes the queued anomaly findings as gid 8200 alerts to EVE and fast.log. */
  private writeFindings(anomaly: AnomalyDetectors): void {
    const findings = anomaly.drainReports();
    const counters = this.counters;
    const actions = this.parts.anomalyActions ?? null;
    for (const finding of findings) {
      actions?.handle(finding);
      for (const writer of this.parts.eve) writer.anomalyAlert(finding);
      this.parts.fast?.anomalyAlert(finding);
      counters.alerts++;
      counters.anomalyFindings++;
      const key = `${ANOMALY_GID}:${finding.type}:1`;
      const entry = counters.alertsBySignature.get(key);
      if (entry === undefined) counters.alertsBySignature.set(key, { msg: findingSignature(finding), count: 1 });
      else entry.count++;
    }
  }

  /** Writes the flow event of a flow that ended; the flow table calls it. */
  static writeFlowEvent(eve: readonly EveWriter[], flow: Flow): void {
    if (eve.length === 0) return;
    const record = buildFlowRecord(flow) as unknown as Record<string, unknown>;
    for (const writer of eve) writer.flow(flow, record, flow.lastUs);
  }

  private logPacketEvents(p: Packet, flow: Flow | null): void {
    const eve = this.parts.eve;
    for (let i = 0; i < p.eventCount; i++) {
      const name = decoderEventEveName(p.events[i] as number);
      for (const writer of eve) writer.anomaly(p, flow, 'decode', name, this.pktSrc);
    }
    if (p.appLayerEvents !== 0) this.logAppLayerEvents(p, flow);
    const session = flow !== null ? flow.tcp : null;
    if (session === null) return;
    for (let i = 0; i < session.eventCount; i++) {
      const name = 'stream.' + STREAM_EVENT_NAMES[session.events[i] as number];
      for (const writer of eve) writer.anomaly(p, flow, 'stream', name, this.pktSrc);
    }
  }

  /** Writes the generic app-layer events of the packet (protocol detection) as anomaly events. */
  private logAppLayerEvents(p: Packet, flow: Flow | null): void {
    const appProto = flow !== null && flow.appProto !== null ? flow.appProto : 'unknown';
    for (let bit = 0; bit < APP_LAYER_EVENT_NAMES.length; bit++) {
      if ((p.appLayerEvents & (1 << bit)) === 0) continue;
      const name = (APP_LAYER_EVENT_NAMES[bit] as string).toUpperCase();
      for (const writer of this.parts.eve) writer.appLayerAnomaly(p, flow, appProto, name, 'proto_detect', -1, this.pktSrc);
    }
  }

  private applyMatches(p: Packet, flow: Flow | null, alerts: AlertQueue): void {
    const parts = this.parts;
    const recorder = parts.thresholdActions;
    let blockingSig: Signature | null = null;
    let dropsFlow = false;
    let reason: DropReasonValue = DropReason.RULES;
    if (parts.isIps) {
      for (let i = 0; i < alerts.count; i++) {
        const sig = alerts.sigs[i] as Signature;
        if (!isBlockingAction(effectiveAction(sig, recorder))) continue;
        if (blockingSig === null) {
          blockingSig = sig;
          if (isRateFiltered(sig, recorder)) reason = DropReason.THRESHOLD_DETECTION_FILTER;
        }
        if (isFlowScopedAction(sig)) dropsFlow = true;
        // A match in reassembled data of an established session drops the
        // flow; payload on a bare SYN only drops the packet.
        else if (alerts.isStreamMatch[i] === 1 && flow !== null && flow.state !== FlowState.NEW) dropsFlow = true;
        // A drop of an app-layer transaction drops its flow, as in Suricata.
        else if (this.isTxAlert(i)) dropsFlow = true;
        // So does a drop of an app-layer frame.
        else if (this.frameFacts !== null && this.frameFacts.frameOf(i) !== null) dropsFlow = true;
      }
      if (blockingSig === null && recorder !== null) blockingSig = this.findThresholdedDrop(recorder);
      // A pass rule evaluated after a drop of the same packet ends the
      // packet's inspection but leaves the flow to be inspected.
      if (flow !== null && alerts.passSig !== null && (alerts.actionsSeen & BLOCKING_ACTIONS_MASK) !== 0) {
        flow.isPassed = false;
      }
    }
    this.applyPass(flow, alerts);

    // The alerts' verdict and action describe the packet's fate, so it is
    // decided before they are written.
    const willDrop = blockingSig !== null;
    if (willDrop) p.isDropped = true;
    const packetAction = packetVerdictAction(alerts, blockingSig, recorder);
    // A reject sends its responses in IDS mode too. The packet at a flow's end is not a real one, so it gets none.
    const rejectTarget = rejectTargetOf(packetAction);
    if (rejectTarget !== RejectTarget.NONE && p !== this.flowEndPacket) this.sendRejectResponses(p, rejectTarget);
    for (let i = 0; i < alerts.count; i++) {
      const sig = alerts.sigs[i] as Signature;
      if (sig.isNoAlert) continue;
      const facts = packetAlertFacts(alertActionText(sig.action, parts.isIps, isRateFiltered(sig, recorder), willDrop), this.pktSrc, this.tunnel, packetAction);
      facts.kapuObject = this.decisionOf(sig, recorder);
      if (alerts.isStreamMatch[i] === 1 && parts.stream) {
        facts.isStreamMatch = true;
        facts.streamPayload = parts.stream.payloadOf(parts.stream.inspection, MAX_STREAM_PAYLOAD_BYTES);
      }
      this.addTxFacts(facts, i, flow);
      this.addFrameFacts(facts, i);
      if (facts.appObject === undefined || facts.appObject === null) this.addGuessedTxFacts(facts, p, flow);
      for (const writer of parts.eve) writer.alert(p, flow, sig, facts);
      if (parts.fast !== null) parts.fast.alert(p, sig);
      if (flow !== null) flow.hasAlerted = true;
      this.countAlert(sig);
      if (parts.responder != null) parts.responder.onAlert(p, flow, sig);
    }

    if (blockingSig !== null) {
      if (effectiveAction(blockingSig, recorder) !== Action.DROP) this.counters.rejected++;
      if (flow !== null && dropsFlow) {
        flow.isDropped = true;
        // A flow drop inside a tunnel drops the tunnel's own flow too.
        if (this.tunnel !== null && this.rootFlow !== null) this.rootFlow.isDropped = true;
      }
      this.drop(p, flow, reason, blockingSig);
    }
  }

  /**
   * Builds and sends the responses of a reject with `target`
   * (RejectTarget) to packet `p`, counting each one sent or failed. A packet
   * that gets no response (a reset, an ICMP error) counts nothing.
   */
  private sendRejectResponses(p: Packet, target: number): void {
    const sender = this.parts.rejectSender ?? null;
    if (sender === null) return;
    const out = this.rejectResponse;
    const counters = this.counters;
    for (let side = RejectTarget.SOURCE; side <= RejectTarget.DESTINATION; side <<= 1) {
      if ((target & side) === 0) continue;
      const length = buildRejectResponse(p, side === RejectTarget.SOURCE, out);
      if (length === 0) continue;
      if (sender.send(out, length) === 0) counters.rejectResponsesSent++;
      else counters.rejectResponsesFailed++;
    }
  }

  /**
   * Passes the whole flow when the packet's pass rule acts on the flow: an
   * IP-only, app-layer or stream rule, or a payload rule that matched
   * reassembled data of an established session (action-scope.ts). A pass
   * by a packet rule lets only this packet through, and a drop or reject
   * that matched before it (action-order) keeps the flow inspected.
   */
  private applyPass(flow: Flow | null, alerts: AlertQueue): void {
    const sig = alerts.passSig;
    if (flow === null || sig === null || flow.isPassed || (alerts.actionsSeen & BLOCKING_ACTIONS_MASK) !== 0) return;
    if (isFlowScopedAction(sig) || (alerts.isPassStreamMatch && flow.state !== FlowState.NEW)) flow.isPassed = true;
  }

  /** Tells whether queued alert `i` matched an app-layer transaction. */
  private isTxAlert(i: number): boolean {
    const txFacts = this.txFacts;
    if (txFacts === null) return false;
    const k = i - txFacts.firstAlert;
    return k >= 0 && k < txFacts.count && txFacts.txs[k] !== null;
  }

  /** Adds the transaction id and protocol object of queued alert `i` when it matched a transaction. */
  private addTxFacts(facts: ReturnType<typeof packetAlertFacts>, i: number, flow: Flow | null): void {
    const txFacts = this.txFacts;
    if (txFacts === null) return;
    const k = i - txFacts.firstAlert;
    if (k < 0 || k >= txFacts.count) return;
    const tx = txFacts.txs[k];
    const proto = txFacts.protos[k];
    if (tx === null || tx === undefined || proto === null || proto === undefined) return;
    facts.txId = txFacts.txIds[k] as number;
    // As in Suricata, an alert on a transaction of a TCP flow logs the
    // stream data of the direction that matched as its payload. That is
    // what the stream still keeps; for HTTP it keeps the minimal inspect
    // size before the raw inspection point (DEFAULT_REQUEST_MIN_INSPECT_BYTES).
    const stream = this.parts.stream ?? null;
    if (stream !== null && flow !== null && flow.tcp !== null) {
      facts.isStreamMatch = true;
      facts.streamPayload = stream.directionPayloadOf(flow, txFacts.directions[k] as number, MAX_STREAM_PAYLOAD_BYTES);
    }
    const txLog = this.parts.txLog ?? null;
    facts.appObject = txObjectText(proto, tx, txLog !== null ? txLog.options : DEFAULT_TX_LOG_OPTIONS);
  }

  /**
   * Adds the frame object of queued alert `i` when a frame rule raised it,
   * with the protocol object of the frame's transaction (of the flow's only
   * transaction for TLS and SSH).
   */
  private addFrameFacts(facts: ReturnType<typeof packetAlertFacts>, i: number): void {
    const frameFacts = this.frameFacts;
    const appState = this.frameAppState;
    if (frameFacts === null || appState === null || appState.frames === null) return;
    const frame = frameFacts.frameOf(i);
    if (frame === null) return;
    facts.frameObject = frameObjectText(frame, appState.frames);
    if (facts.appObject !== undefined && facts.appObject !== null) return;
    const proto = appState.proto;
    const txs = appState.transactions();
    let tx = null;
    for (let k = 0; k < txs.length && tx === null; k++) {
      if ((txs[k] as { txId: number }).txId === frame.txId) tx = txs[k] ?? null;
    }
    if (proto === null || tx === null) return;
    facts.txId = frame.txId;
    const txLog = this.parts.txLog ?? null;
    facts.appObject = txObjectText(proto, tx, txLog !== null ? txLog.options : DEFAULT_TX_LOG_OPTIONS);
  }

  /**
   * Adds the transaction that `detect.guess-applayer-tx` guesses for an
   * alert that matched none (a payload or stream rule on an app-layer flow).
   */
  private addGuessedTxFacts(facts: ReturnType<typeof packetAlertFacts>, p: Packet, flow: Flow | null): void {
    const txLog = this.parts.txLog ?? null;
    const app = this.parts.app ?? null;
    if (txLog === null || app === null || flow === null || txLog.options.guessAlertTx !== true) return;
    const state = app.stateOf(flow);
    if (state === null || state.proto === null) return;
    const tx = guessAlertTx(state, p.direction);
    if (tx === null) return;
    facts.txId = (tx as { txId: number }).txId;
    facts.appObject = txObjectText(state.proto, tx, txLog.options);
  }

  /**
   * Returns a drop or reject rule whose match raised no alert but whose
   * action still applies (a suppressed or limited match), or null. Such a
   * drop applies to the packet only.
   */
  private findThresholdedDrop(recorder: ThresholdActionRecorder): Signature | null {
    for (let i = 0; i < recorder.count; i++) {
      if (recorder.alerted[i] === 1 || recorder.applyAction[i] === 0) continue;
      const sig = recorder.sigs[i] as Signature;
      const override = recorder.actionOverride[i] as number;
      if (isBlockingAction(override >= 0 ? override : sig.action)) return sig;
    }
    return null;
  }

  /**
   * Writes a policy alert (gid 8100) for `p` with `sig` and the evidence
   * `kapuObject`; when `isBlocked`, drops the packet, and with `dropsFlow`
   * its flow too. `tx` and `proto` add the protocol object of the
   * transaction that matched.
   */
  writePolicyBlock(p: Packet, flow: Flow | null, sig: Signature, kapuObject: string, isBlocked: boolean, dropsFlow: boolean, tx: object | null, proto: string | null): void {
    const parts = this.parts;
    const facts = packetAlertFacts(isBlocked ? 'blocked' : 'allowed', this.pktSrc, this.tunnel, isBlocked ? Action.DROP : Action.ALERT);
    facts.kapuObject = kapuObject;
    if (tx !== null && proto !== null) {
      const txLog = parts.txLog ?? null;
      facts.txId = (tx as { txId: number }).txId;
      facts.appObject = txObjectText(proto, tx as AppTransaction, txLog !== null ? txLog.options : DEFAULT_TX_LOG_OPTIONS);
    }
    for (const writer of parts.eve) writer.alert(p, flow, sig, facts);
    if (parts.fast !== null) parts.fast.alert(p, sig);
    if (flow !== null) flow.hasAlerted = true;
    this.countAlert(sig);
    if (!isBlocked) return;
    if (flow !== null && dropsFlow) {
      flow.isDropped = true;
      if (this.tunnel !== null && this.rootFlow !== null) this.rootFlow.isDropped = true;
    }
    this.drop(p, flow, DropReason.RULES, sig);
  }

  /** Sends a built IP packet through the reject sender; returns false when there is none or the send failed. */
  sendRaw(packet: Uint8Array, length: number): boolean {
    const sender = this.parts.rejectSender ?? null;
    return sender !== null && sender.send(packet, length) === 0;
  }

  /** The scratch buffers of the blocklist stage. */
  get siteScratch(): SiteBlockScratch {
    return this.siteBlockScratch;
  }

  private countAlert(sig: Signature): void {
    const counters = this.counters;
    counters.alerts++;
    const key = sig.gid + ':' + sig.sid + ':' + sig.rev;
    const entry = counters.alertsBySignature.get(key);
    if (entry === undefined) counters.alertsBySignature.set(key, { msg: sig.msg, count: 1 });
    else entry.count++;
    const note = sig.policyNote;
    if (note == null || note.shadowedAction < 0) return;
    counters.shadowHits++;
    const shadow = counters.shadowHitsBySignature.get(key);
    if (shadow === undefined) counters.shadowHitsBySignature.set(key, { msg: sig.msg, count: 1, configuredAction: actionName(note.shadowedAction) });
    else shadow.count++;
  }

  /**
   * Returns the decision record (`kapu` object) of this packet's match of
   * `sig`, with the rule named when `withRule`. Built for each alert or
   * drop event, not per packet.
   */
  private decisionOf(sig: Signature, recorder: ThresholdActionRecorder | null, withRule = false): string {
    const record = recorder !== null ? recorder.indexOf(sig) : -1;
    if (record < 0 || recorder === null) return decisionObject(sig, this.parts.isIps, -1, null, null, withRule);
    return decisionObject(sig, this.parts.isIps, recorder.actionOverride[record] as number, recorder.rateFilters[record] ?? null, recorder.suppressions[record] ?? null, withRule);
  }

  private drop(p: Packet, flow: Flow | null, reason: DropReasonValue, sig: Signature | null): void {
    p.isDropped = true;
    const counters = this.counters;
    counters.dropsByReason.set(reason, (counters.dropsByReason.get(reason) ?? 0) + 1);
    const eve = this.parts.eve;
    if (eve.length === 0) return;
    const decision = sig !== null ? this.decisionOf(sig, this.parts.thresholdActions, true) : null;
    for (const writer of eve) writer.drop(p, flow, reason, sig, this.pktSrc, decision);
  }
}
