/**
 * The anomaly stage: traffic metrics, flood, scan and volume detectors and
 * the life of their findings, all in capture time. The pipeline calls
 * `recordPacket` once per decoded IP packet (with whether it started a
 * flow) and `finish` at the end. Findings wait in `reports` until the
 * output drains them.
 *
 * Time. Measuring intervals of `intervalS` seconds are aligned to the
 * epoch. A packet past the current interval's end first closes it: the
 * metrics complete their bucket, every detector judges the interval, and
 * findings no longer confirmed end. A gap in capture time closes one
 * interval, not every empty one. `finish` judges the last, partial
 * interval as if it had lasted `intervalS`, so a burst at the very end of
 * a capture is measured at no more than its true rate.
 *
 * Memory is bounded at construction (TrafficMetrics.memoryBytes gives the
 * metrics' share). The sketches' registers are allocated as rows come into
 * use, so a run that sees few hosts uses a fraction of the bound.
 */
import { IpProto, type Packet } from '../core/packet.js';
import type { AnomalyDetectorConfig } from './detectors-config.js';
import { FloodDetectors } from './detectors-flood.js';
import { ScanDetectors } from './detectors-scan.js';
import { VolumeDetectors } from './detectors-volume.js';
import type { AnomalyFinding } from './finding.js';
import { FindingTracker } from './finding-tracker.js';
import { TrafficMetrics, defaultTrafficMetricsConfig } from './metrics.js';
import type { BaselineRow } from './baseline-store.js';

/** Every detector of the anomaly stage; see the file comment. */
/** UDP port of DNS, and the parts of its header read here (RFC 1035 section 4.1.1). */
const DNS_PORT = 53;
const DNS_HEADER_BYTES = 12;
const DNS_QR_RESPONSE = 0x8000;
const DNS_RCODE_MASK = 0x000f;

export class AnomalyDetectors {
  readonly config: AnomalyDetectorConfig;
  readonly metrics: TrafficMetrics;
  readonly flood: FloodDetectors;
  readonly scan: ScanDetectors;
  readonly volume: VolumeDetectors;
  readonly tracker: FindingTracker;
  /** IP packets offered. */
  packetsSeen: number;
  /** Measuring intervals judged. */
  intervalsJudged: number;
  private readonly intervalUs: number;
  /** Start of the current interval in capture microseconds, -1 before the first packet. */
  private intervalStartUs: number;
  private intervalEndUs: number;
  private lastTimestampUs: number;

  constructor(config: AnomalyDetectorConfig) {
    this.config = config;
    const metricsConfig = defaultTrafficMetricsConfig(config.homeNetworks.length > 0 ? config.homeNetworks : ['0.0.0.0/0', '::/0']);
    metricsConfig.hostGroups = config.hostGroups;
    metricsConfig.maxHosts = config.maxVictims;
    metricsConfig.bucketS = config.intervalS;
    metricsConfig.sampleRate = config.sampleRate;
    this.metrics = new TrafficMetrics(metricsConfig);
    this.flood = new FloodDetectors(config);
    this.scan = new ScanDetectors(config);
    this.volume = new VolumeDetectors(config, this.metrics);
    this.tracker = new FindingTracker(config.maxActiveFindings, config.updateIntervalS, config.endAfterS);
    this.packetsSeen = 0;
    this.intervalsJudged = 0;
    this.intervalUs = config.intervalS * 1e6;
    this.intervalStartUs = -1;
    this.intervalEndUs = 0;
    this.lastTimestampUs = 0;
  }

  /** Counts one decoded packet; `isNewFlow` is true for the packet that created its flow. Non-IP packets are ignored. */
  recordPacket(p: Packet, isNewFlow: boolean): void {
    if (p.ipVersion === 0) return;
    const timestampUs = p.timestampUs;
    if (timestampUs >= this.intervalEndUs) this.closeInterval(timestampUs);
    if (timestampUs > this.lastTimestampUs) this.lastTimestampUs = timestampUs;
    this.packetsSeen++;
    this.metrics.recordPacket(p);
    this.flood.recordPacket(p);
    if (p.ipProto === IpProto.UDP && (p.dstPort === DNS_PORT || p.srcPort === DNS_PORT)) this.recordDns(p);
    if (!isNewFlow) return;
    this.metrics.recordNewFlow(p);
    this.flood.recordNewFlow(p);
    this.scan.recordNewFlow(p);
  }

  /**
   * Counts a DNS message over UDP from its header (RFC 1035 section
   * 4.1.1): the QR bit separates queries from responses, and the low four
   * bits of the flags word carry the RCODE. Shorter payloads are skipped.
   */
  private recordDns(p: Packet): void {
    if (p.payloadOffset < 0 || p.payloadLength < DNS_HEADER_BYTES) return;
    const flags = ((p.bytes[p.payloadOffset + 2] as number) << 8) | (p.bytes[p.payloadOffset + 3] as number);
    if ((flags & DNS_QR_RESPONSE) === 0) this.metrics.recordDnsQuery(p);
    else this.metrics.recordDnsResponse(p, flags & DNS_RCODE_MASK);
  }

  /** Judges the last interval and ends every finding (the capture or the run ended). */
  finish(): void {
    if (this.intervalStartUs < 0) return;
    const endUs = this.intervalEndUs;
    this.metrics.advanceTo(endUs);
    this.judge(this.intervalStartUs, Math.max(this.lastTimestampUs, this.intervalStartUs));
    this.tracker.sweep(this.lastTimestampUs, true);
    this.intervalStartUs = -1;
    this.intervalEndUs = 0;
  }

  /** Returns the reports queued since the last call and empties the queue. */
  drainReports(): AnomalyFinding[] {
    const reports = this.tracker.reports;
    if (reports.length === 0) return EMPTY_REPORTS;
    return reports.splice(0, reports.length);
  }

  /** Appends the learnt baselines to `out` (for baseline-store.ts). */
  exportBaselines(out: BaselineRow[]): void {
    this.volume.exportBaselines(out);
  }

  /** Loads stored baselines; returns the slots loaded now (hosts load when they appear). */
  importBaselines(rows: readonly BaselineRow[]): number {
    return this.volume.importBaselines(rows);
  }

  private closeInterval(timestampUs: number): void {
    if (this.intervalStartUs >= 0) {
      // The metrics complete their bucket for the interval before the detectors read it.
      this.metrics.advanceTo(this.intervalEndUs);
      this.judge(this.intervalStartUs, this.intervalEndUs);
      this.tracker.sweep(this.intervalEndUs, false);
    }
    this.intervalStartUs = Math.floor(timestampUs / this.intervalUs) * this.intervalUs;
    this.intervalEndUs = this.intervalStartUs + this.intervalUs;
  }

  private judge(fromUs: number, toUs: number): void {
    this.intervalsJudged++;
    if (this.config.learnOnly) {
      // Baselines learn; the flood and scan rows are cleared without a judgement.
      const silent = LEARN_ONLY_TRACKER;
      this.flood.evaluate(fromUs, toUs, this.config.intervalS, silent, this.metrics);
      this.scan.evaluate(toUs, silent);
      this.volume.evaluate(fromUs, toUs, this.config.intervalS, silent);
      silent.reports.length = 0;
      silent.sweep(toUs, true);
      return;
    }
    this.flood.evaluate(fromUs, toUs, this.config.intervalS, this.tracker, this.metrics);
    this.scan.evaluate(toUs, this.tracker);
    this.volume.evaluate(fromUs, toUs, this.config.intervalS, this.tracker);
  }
}

const EMPTY_REPORTS: AnomalyFinding[] = [];
/** A tracker whose reports are thrown away, for learn-only runs. */
const LEARN_ONLY_TRACKER = new FindingTracker(16, 1, 1);
