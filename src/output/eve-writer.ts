/**
 * EveWriter: writes the event types an eve-log entry of kapu.yaml enables
 * to DIR/FILENAME (eve.json by default), one JSON object a line, through a
 * BufferedLogFile that flushes in batches.
 */
import type { AnomalyFinding } from '../anomaly/finding.js';
import { buildAnomalyAlertEvent } from './eve-anomaly-alert.js';
import { isAbsolute, join } from 'node:path';
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import type { Signature } from '../detect/signature.js';
import type { EveLogConfig } from '../config/types.js';
import { buildAlertEvent, buildTaggedPacketEvent } from './eve-alert.js';
import type { AlertFacts, AlertFieldOptions } from './eve-alert.js';
import { buildTxEvent } from './eve-app.js';
import { buildArpEvent } from './eve-arp.js';
import { buildQuarantineAlertEvent } from './eve-policy.js';
import type { QuarantineEvent } from '../policy/quarantine-manager.js';
import { FlowVariableNames } from './eve-metadata.js';
import type { VariableIds } from '../detect/rule-parser.js';
import { buildAnomalyEvent, buildAppLayerAnomalyEvent, buildDropEvent, buildFlowEvent, buildStatsEvent } from './eve-events.js';
import type { AppLayerAnomalyLayer, DetectEngineStats, DropReasonValue } from './eve-events.js';
import type { PktSrcValue } from './eve-format.js';
import type { EveContext } from './eve-header.js';
import { TimestampFormatter } from './eve-time.js';
import { BufferedLogFile } from './log-file.js';
import type { LogFileOptions } from './log-file.js';

/** Where an EveWriter puts its lines: a BufferedLogFile, or another destination such as the notifier. */
export interface EveLineSink {
  writeLine(line: string): void;
  flush(): void;
  reopen(): void;
  close(): void;
}

/** Lines written per event type since the writer opened. */
export interface EveWriterCounts {
  alert: number;
  packet: number;
  anomaly: number;
  drop: number;
  flow: number;
  stats: number;
  /** Protocol events (http, dns, tls, ssh, fileinfo). */
  app: number;
  arp: number;
}

export class EveWriter {
  readonly file: EveLineSink;
  readonly ctx: EveContext;
  /** Alerts whose severity (the rule's priority) is above this value are not written. */
  alertSeverityLimit: number;
  readonly counts: EveWriterCounts;
  private readonly config: EveLogConfig;
  private readonly alertOptions: AlertFieldOptions;
  /** Directions (bit 1 << Direction) of dropped flows whose first drop was written, for `flows: start`. */
  private readonly dropDirectionsLogged: WeakMap<Flow, number>;
  private previousStats: Map<string, number> | null;
  /** Names of the rules' flow variables, for metadata and traffic; null until set. */
  private variableNames: FlowVariableNames | null;

  /**
   * Opens `config.filename` inside `logDir` (an absolute filename is used
   * as it is), or writes to `sink` when given. `ipsMode` decides whether
   * drop rules block (alert.action).
   */
  constructor(logDir: string, config: EveLogConfig, ipsMode: boolean, fileOptions: LogFileOptions = {}, time = new TimestampFormatter(), sink: EveLineSink | null = null) {
    const path = isAbsolute(config.filename) ? config.filename : join(logDir, config.filename);
    this.file = sink ?? new BufferedLogFile(path, fileOptions);
    this.alertSeverityLimit = Infinity;
    this.ctx = { time, ipsMode, ipv6Compress: config.ipv6Compress, ethernet: config.ethernet, pcapFilename: null };
    this.counts = { alert: 0, packet: 0, anomaly: 0, drop: 0, flow: 0, stats: 0, app: 0, arp: 0 };
    this.config = config;
    const a = config.types.alert;
    this.alertOptions = {
      payload: a.payload,
      payloadPrintable: a.payloadPrintable,
      payloadLength: a.payloadLength,
      packet: a.packet,
      metadata: a.metadata,
      payloadBufferSize: a.payloadBufferSize,
      verdict: a.verdict,
    };
    this.dropDirectionsLogged = new WeakMap();
    this.previousStats = null;
    this.variableNames = null;
  }

  /** Takes the variable names of the loaded rules, so events can name the flowbits and flowvars set on a flow. */
  setVariableNames(ids: VariableIds): void {
    this.variableNames = new FlowVariableNames(ids);
  }


  /**
   * Sets the capture file that events name in `pcap_filename`, when the
   * eve-log sets `pcap-file: yes`. Call before the first event of a capture.
   */
  setPcapFilename(path: string | null): void {
    this.ctx.pcapFilename = this.config.pcapFile ? path : null;
  }

  /** Writes an alert event when alerts are enabled. */
  alert(p: Packet, flow: Flow | null, sig: Signature, facts: AlertFacts): void {
    if (!this.config.types.alert.enabled || sig.priority > this.alertSeverityLimit) return;
    this.file.writeLine(buildAlertEvent(this.ctx, p, flow, sig, facts, this.alertOptions, this.variableNames));
    this.counts.alert++;
  }

  /** Writes the gid 8100 alert of an automatic quarantine or rate limit when alerts are enabled. */
  quarantineAlert(event: QuarantineEvent): void {
    if (!this.config.types.alert.enabled) return;
    this.file.writeLine(buildQuarantineAlertEvent(this.ctx, event));
    this.counts.alert++;
  }

  /** Writes the gid 8200 alert of an anomaly finding when alerts are enabled. */
  anomalyAlert(finding: AnomalyFinding): void {
    if (!this.config.types.alert.enabled) return;
    this.file.writeLine(buildAnomalyAlertEvent(this.ctx, finding));
    this.counts.alert++;
  }

  /** Writes a `packet` event for a packet that a `tag` rule tagged, when alert `tagged-packets` is on. */
  taggedPacket(p: Packet, flow: Flow | null, pktSrc: PktSrcValue): void {
    const t = this.config.types.alert;
    if (!t.enabled || !t.taggedPackets) return;
    this.file.writeLine(buildTaggedPacketEvent(this.ctx, p, flow, pktSrc));
    this.counts.packet++;
  }

  /** Writes an anomaly event for a decoder or stream event, when that kind is enabled. */
  anomaly(p: Packet, flow: Flow | null, kind: 'decode' | 'stream', eventName: string, pktSrc: PktSrcValue): void {
    const t = this.config.types.anomaly;
    if (!t.enabled || (kind === 'decode' ? !t.decode : !t.stream)) return;
    this.file.writeLine(buildAnomalyEvent(this.ctx, p, flow, kind, eventName, pktSrc));
    this.counts.anomaly++;
  }

  /** Writes an anomaly event for an app-layer parser event, when app-layer anomalies are enabled. */
  appLayerAnomaly(p: Packet, flow: Flow | null, appProto: string, eventName: string, layer: AppLayerAnomalyLayer, txId: number, pktSrc: PktSrcValue): void {
    const t = this.config.types.anomaly;
    if (!t.enabled || !t.applayer) return;
    this.file.writeLine(buildAppLayerAnomalyEvent(this.ctx, p, flow, appProto, eventName, layer, txId, pktSrc));
    this.counts.anomaly++;
  }

  /**
   * Writes a drop event. With `flows: start`, as in Suricata, a packet
   * dropped by a signature is always written, and of the packets dropped
   * because their flow is dropped only the first in each direction.
   * `kapuObject` is the decision record of the dropping rule, or null.
   */
  drop(p: Packet, flow: Flow | null, reason: DropReasonValue | null, alertSig: Signature | null, pktSrc: PktSrcValue, kapuObject: string | null = null): void {
    const t = this.config.types.drop;
    if (!t.enabled) return;
    if (t.flows === 'start' && flow !== null && !this.isFirstFlowDrop(p, flow) && alertSig === null) return;
    this.file.writeLine(buildDropEvent(this.ctx, p, flow, reason, t.alerts ? alertSig : null, pktSrc, t.verdict ? alertSig : undefined, kapuObject));
    this.counts.drop++;
  }

  /** Tells whether `p` is the first packet of its direction of a dropped flow; records it. */
  private isFirstFlowDrop(p: Packet, flow: Flow): boolean {
    if (!flow.isDropped) return false;
    const bit = 1 << p.direction;
    const logged = this.dropDirectionsLogged.get(flow) ?? 0;
    if ((logged & bit) !== 0) return false;
    this.dropDirectionsLogged.set(flow, logged | bit);
    return true;
  }

  /**
   * Tells whether the eve-log lists protocol event type `eventType`
   * (`http`, `dns`, `tls`, `ssh`, or `fileinfo`, which the config names
   * `files`).
   */
  wantsTxEvents(eventType: string): boolean {
    const name = eventType === 'fileinfo' ? 'files' : eventType;
    return this.config.types.protocols.includes(name);
  }

  /** Writes a protocol event of one transaction when its type is enabled (see eve-app.ts). */
  txEvent(flow: Flow, timestampUs: number, pcapCount: number, eventType: string, pktSrc: PktSrcValue, txId: number, key: string, objectJson: string, isServerSource = false): void {
    if (!this.wantsTxEvents(eventType)) return;
    this.file.writeLine(buildTxEvent(this.ctx, flow, timestampUs, pcapCount, eventType, pktSrc, txId, key, objectJson, isServerSource));
    this.counts.app++;
  }

  /** Writes an `arp` event for an ARP packet when the eve-log lists type `arp`. */
  arp(p: Packet, pktSrc: PktSrcValue): void {
    if (!this.config.types.protocols.includes('arp')) return;
    const line = buildArpEvent(this.ctx, p, pktSrc);
    if (line === null) return;
    this.file.writeLine(line);
    this.counts.arp++;
  }

  /** Writes a flow event from the flow stage's record. */
  flow(flow: Flow, record: Record<string, unknown>, timestampUs: number): void {
    if (!this.config.types.flow.enabled) return;
    this.file.writeLine(buildFlowEvent(this.ctx, flow, record, timestampUs, this.variableNames));
    this.counts.flow++;
  }

  /** Writes a stats event with Suricata's counter names (see stats-counters.ts) and the detection engines' rule counts. */
  stats(timestampUs: number, uptimeSeconds: number, counters: ReadonlyMap<string, number>, engines: readonly DetectEngineStats[] = []): void {
    const t = this.config.types.stats;
    if (!t.enabled || !t.totals) return;
    const previous = t.deltas ? (this.previousStats ?? new Map<string, number>()) : null;
    this.file.writeLine(buildStatsEvent(this.ctx, timestampUs, uptimeSeconds, counters, previous, engines));
    if (t.deltas) this.previousStats = new Map(counters);
    this.counts.stats++;
  }

  /** Writes buffered events to the file. */
  flush(): void {
    this.file.flush();
  }

  /** Reopens the file after log rotation. */
  reopen(): void {
    this.file.reopen();
  }

  /** Flushes and closes the file. */
  close(): void {
    this.file.close();
  }
}
