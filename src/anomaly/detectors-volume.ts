/**
 * Detectors over the traffic metrics (metrics.ts), judged once per
 * measuring interval from the metrics' last completed bucket:
 *
 * - Fixed thresholds per host group, as FastNetMon's per-hostgroup limits:
 *   packets, bits, new flows and TCP SYNs per second received by one host.
 * - Heavy hitters: a host whose share of the network's bytes in the
 *   interval is at least `heavyHitterShare` while it moves at least
 *   `heavyHitterMinBps`.
 * - Baseline deviation: three series per host, group and the network
 *   (packets per second in and out, new flows started per second) each
 *   learn an EWMA baseline (ewma.ts). An interval deviates when its z-score
 *   (robust MAD score for flat series) is at least `baselineZScore` and the
 *   value exceeds the mean by at least `baselineMinDelta`. A finding needs
 *   `baselineSustainIntervals` deviating intervals in a row. Deviating
 *   values are not learnt, so an attack does not become the baseline.
 *   Entities idle for a whole interval add no value.
 */
import type { AnomalyDetectorConfig, GroupThreshold } from './detectors-config.js';
import { EwmaBank, type EwmaSlotState } from './ewma.js';
import { AnomalyType, type AnomalyFinding } from './finding.js';
import { FindingTracker, Observed } from './finding-tracker.js';
import { Metric, MetricDirection, type TrafficMetrics } from './metrics.js';
import { NetworkSet } from './network-set.js';
import { formatAddressWords } from './top-addresses.js';
import { roundTo } from './detectors-flood.js';
import type { BaselineRow } from './baseline-store.js';
import { exportEwmaSeries, importEwmaSeries } from './baseline-store.js';

/** Baseline series per entity, in this order. */
export const BASELINE_METRICS = ['pps_in', 'pps_out', 'flows_out'] as const;
const SERIES_PER_ENTITY = BASELINE_METRICS.length;

const THRESHOLD_METRICS = ['pps_in', 'bps_in', 'flows_in', 'syn_pps_in'] as const;

/** Thresholds, heavy hitters and baselines over TrafficMetrics; see the file comment. */
export class VolumeDetectors {
  readonly config: AnomalyDetectorConfig;
  readonly metrics: TrafficMetrics;
  readonly baselines: EwmaBank;
  private readonly thresholdSets: Array<NetworkSet | null>;
  /** Deviating intervals in a row per series. */
  private readonly deviating: Uint16Array;
  /** The address each host slot had when its series last learnt, to notice a reused slot. */
  private readonly seenVersions: Uint8Array;
  private readonly seenWords: Uint32Array;
  private readonly slotState: EwmaSlotState;
  private readonly key: Uint32Array;
  private readonly addr: Uint8Array;
  /** Stored baselines by entity name, kept to load a host's when it appears; null when none were loaded. */
  private storedRows: Map<string, BaselineRow[]> | null;

  constructor(config: AnomalyDetectorConfig, metrics: TrafficMetrics) {
    this.config = config;
    this.metrics = metrics;
    this.baselines = new EwmaBank(config.ewma, metrics.entityCount * SERIES_PER_ENTITY);
    this.thresholdSets = config.thresholds.map((t) => groupSetOf(config, t));
    this.deviating = new Uint16Array(metrics.entityCount * SERIES_PER_ENTITY);
    this.seenVersions = new Uint8Array(metrics.config.maxHosts);
    this.seenWords = new Uint32Array(metrics.config.maxHosts * 4);
    this.slotState = { mean: 0, variance: 0, count: 0, firstUpdateS: 0, lastUpdateS: 0 };
    this.key = new Uint32Array(4);
    this.addr = new Uint8Array(16);
    this.storedRows = null;
  }

  /** Judges the interval that ended at `nowUs`; the metrics must have completed their bucket for it. */
  evaluate(fromUs: number, nowUs: number, intervalS: number, tracker: FindingTracker): void {
    const metrics = this.metrics;
    const enabled = this.config.enabled;
    const hosts = metrics.hosts.size;
    const hasThresholds = enabled[AnomalyType.THRESHOLD] && this.config.thresholds.length > 0;
    for (let host = 0; host < hosts; host++) {
      this.noticeReusedSlot(host);
      if (hasThresholds) this.judgeThresholds(host, fromUs, nowUs, intervalS, tracker);
      if (enabled[AnomalyType.HEAVY_HITTER]) this.judgeHeavyHitter(host, fromUs, nowUs, intervalS, tracker);
    }
    for (let group = 0; group < metrics.groupNames.length; group++) {
      this.judgeBaselines(metrics.config.maxHosts + group, fromUs, nowUs, intervalS, tracker);
    }
    this.judgeBaselines(metrics.networkEntity, fromUs, nowUs, intervalS, tracker);
    for (let host = 0; host < hosts; host++) this.judgeBaselines(host, fromUs, nowUs, intervalS, tracker);
  }

  /** Appends every learnt baseline series to `out`, named by entity (`network`, `group:NAME`, `host:ADDR`) and metric. */
  exportBaselines(out: BaselineRow[]): void {
    const metrics = this.metrics;
    for (let entity = 0; entity < metrics.entityCount; entity++) {
      if (entity < metrics.config.maxHosts && entity >= metrics.hosts.size) continue;
      const name = this.entityName(entity);
      for (let k = 0; k < SERIES_PER_ENTITY; k++) {
        exportEwmaSeries(this.baselines, entity * SERIES_PER_ENTITY + k, name, BASELINE_METRICS[k], out);
      }
    }
  }

  /**
   * Loads stored baselines of the network and the groups; stored host
   * baselines are loaded when the host appears (see noticeReusedSlot).
   * Returns the slots loaded.
   */
  importBaselines(rows: readonly BaselineRow[]): number {
    this.storedRows = new Map();
    for (const row of rows) {
      const list = this.storedRows.get(row.entity);
      if (list === undefined) this.storedRows.set(row.entity, [row]);
      else list.push(row);
    }
    let loaded = 0;
    const metrics = this.metrics;
    for (let entity = metrics.config.maxHosts; entity < metrics.entityCount; entity++) loaded += this.loadEntity(entity);
    return loaded;
  }

  private loadEntity(entity: number): number {
    const stored = this.storedRows?.get(this.entityName(entity));
    if (stored === undefined) return 0;
    let loaded = 0;
    for (let k = 0; k < SERIES_PER_ENTITY; k++) {
      const rows = stored.filter((r) => r.metric === BASELINE_METRICS[k]);
      loaded += importEwmaSeries(this.baselines, entity * SERIES_PER_ENTITY + k, rows);
    }
    return loaded;
  }

  private entityName(entity: number): string {
    const metrics = this.metrics;
    if (entity === metrics.networkEntity) return 'network';
    if (entity >= metrics.config.maxHosts) return `group:${metrics.groupNames[entity - metrics.config.maxHosts]}`;
    return `host:${metrics.hosts.addressText(entity)}`;
  }

  /** Clears the baselines of a host slot that now contains another address, and loads that address's stored ones. */
  private noticeReusedSlot(host: number): void {
    const table = this.metrics.hosts;
    const w = host * 4;
    if (this.seenVersions[host] === table.versions[host] && this.seenWords[w] === table.words[w]
      && this.seenWords[w + 1] === table.words[w + 1] && this.seenWords[w + 2] === table.words[w + 2]
      && this.seenWords[w + 3] === table.words[w + 3]) return;
    this.seenVersions[host] = table.versions[host];
    for (let i = 0; i < 4; i++) this.seenWords[w + i] = table.words[w + i];
    for (let k = 0; k < SERIES_PER_ENTITY; k++) {
      this.baselines.clearSeries(host * SERIES_PER_ENTITY + k);
      this.deviating[host * SERIES_PER_ENTITY + k] = 0;
    }
    if (this.storedRows !== null) this.loadEntity(host);
  }

  private judgeThresholds(host: number, fromUs: number, nowUs: number, intervalS: number, tracker: FindingTracker): void {
    const metrics = this.metrics;
    const values = [
      metrics.lastBucket(host, MetricDirection.IN, Metric.PACKETS) / intervalS,
      (metrics.lastBucket(host, MetricDirection.IN, Metric.BYTES) * 8) / intervalS,
      metrics.lastBucket(host, MetricDirection.IN, Metric.NEW_FLOWS) / intervalS,
      metrics.lastBucket(host, MetricDirection.IN, Metric.TCP_SYN) / intervalS,
    ];
    if (values[0] === 0 && values[2] === 0) return;
    for (let t = 0; t < this.config.thresholds.length; t++) {
      const threshold = this.config.thresholds[t];
      const set = this.thresholdSets[t];
      if (set !== null && !this.hostIn(set, host)) continue;
      const limits = [threshold.pps, threshold.bps, threshold.flowsPerS, threshold.synPps];
      for (let m = 0; m < limits.length; m++) {
        if (limits[m] <= 0 || values[m] < limits[m]) continue;
        this.report(tracker, AnomalyType.THRESHOLD, host, m, fromUs, nowUs, intervalS, `${THRESHOLD_METRICS[m]}`, values[m], limits[m], values[m] / limits[m], `group:${threshold.group}`);
      }
    }
  }

  private judgeHeavyHitter(host: number, fromUs: number, nowUs: number, intervalS: number, tracker: FindingTracker): void {
    const metrics = this.metrics;
    const hostBytes = metrics.lastBucket(host, MetricDirection.IN, Metric.BYTES) + metrics.lastBucket(host, MetricDirection.OUT, Metric.BYTES);
    const bps = (hostBytes * 8) / intervalS;
    if (bps < this.config.heavyHitterMinBps) return;
    const network = metrics.networkEntity;
    const networkBytes = metrics.lastBucket(network, MetricDirection.IN, Metric.BYTES) + metrics.lastBucket(network, MetricDirection.OUT, Metric.BYTES);
    const share = networkBytes > 0 ? hostBytes / networkBytes : 0;
    if (share < this.config.heavyHitterShare) return;
    this.report(tracker, AnomalyType.HEAVY_HITTER, host, 0, fromUs, nowUs, intervalS, 'bps_share', roundTo(share, 3), this.config.heavyHitterShare, share / this.config.heavyHitterShare, 'host');
  }

  private judgeBaselines(entity: number, fromUs: number, nowUs: number, intervalS: number, tracker: FindingTracker): void {
    const metrics = this.metrics;
    const values0 = metrics.lastBucket(entity, MetricDirection.IN, Metric.PACKETS) / intervalS;
    const values1 = metrics.lastBucket(entity, MetricDirection.OUT, Metric.PACKETS) / intervalS;
    const values2 = metrics.lastBucket(entity, MetricDirection.OUT, Metric.NEW_FLOWS) / intervalS;
    if (values0 === 0 && values1 === 0 && values2 === 0) return;
    const timeS = nowUs / 1e6;
    this.judgeSeries(entity, 0, values0, timeS, fromUs, nowUs, intervalS, tracker);
    this.judgeSeries(entity, 1, values1, timeS, fromUs, nowUs, intervalS, tracker);
    this.judgeSeries(entity, 2, values2, timeS, fromUs, nowUs, intervalS, tracker);
  }

  private judgeSeries(entity: number, k: number, value: number, timeS: number, fromUs: number, nowUs: number, intervalS: number, tracker: FindingTracker): void {
    const bank = this.baselines;
    const series = entity * SERIES_PER_ENTITY + k;
    const z = bank.zScore(series, value, timeS);
    const state = bank.readSlot(series, bank.slotAt(timeS), this.slotState);
    const isDeviating = z >= this.config.baselineZScore && value - state.mean >= this.config.baselineMinDelta;
    if (!isDeviating) {
      this.deviating[series] = 0;
      bank.update(series, value, timeS);
      return;
    }
    if (this.deviating[series] < 0xffff) this.deviating[series]++;
    if (this.deviating[series] < this.config.baselineSustainIntervals || !this.config.enabled[AnomalyType.BASELINE_DEVIATION]) return;
    const entityKind = entity < this.metrics.config.maxHosts ? 'host' : this.entityName(entity);
    this.report(tracker, AnomalyType.BASELINE_DEVIATION, entity, k, fromUs, nowUs, intervalS, BASELINE_METRICS[k], value, roundTo(state.mean, 2), roundTo(z, 2), entityKind);
  }

  private report(tracker: FindingTracker, type: number, entity: number, port: number, fromUs: number, nowUs: number, intervalS: number, metric: string, observed: number, baseline: number, deviation: number, entityKind: string): void {
    const metrics = this.metrics;
    const isHost = entity < metrics.config.maxHosts;
    const key = this.key;
    let version = 0;
    if (isHost) {
      version = metrics.hosts.versions[entity];
      for (let i = 0; i < 4; i++) key[i] = metrics.hosts.words[entity * 4 + i];
    } else {
      key.fill(0);
      key[0] = entity;
    }
    const state = tracker.observe(type, version, key, 0, port, fromUs, nowUs, observed);
    if (state !== Observed.START && state !== Observed.UPDATE) return;
    const ip = isHost ? formatAddressWords(version, key, 0) : null;
    const finding: AnomalyFinding = {
      type,
      phase: state === Observed.START ? 'start' : 'update',
      timestampUs: nowUs,
      srcIp: null,
      destIp: ip,
      destPort: 0,
      proto: null,
      entity: entityKind,
      metric,
      observed: roundTo(observed, 3),
      baseline,
      deviation: Number.isFinite(deviation) ? roundTo(deviation, 2) : deviation > 0 ? 1e9 : -1e9,
      windowStartUs: tracker.currentStartUs(),
      windowEndUs: nowUs,
      intervalS,
      sampleRate: metrics.sampleRate,
      peak: roundTo(tracker.currentPeak(), 3),
      distinctSources: -1,
      sourcesSpoofed: null,
      topSources: [],
      topTargets: ip === null ? [] : [{ ip, count: Math.round(observed * intervalS) }],
      topPorts: [],
    };
    tracker.report(finding);
  }

  private hostIn(set: NetworkSet, host: number): boolean {
    const table = this.metrics.hosts;
    const addr = this.addr;
    for (let j = 0; j < 4; j++) {
      const w = table.words[host * 4 + j];
      addr[j * 4] = w >>> 24;
      addr[j * 4 + 1] = (w >>> 16) & 0xff;
      addr[j * 4 + 2] = (w >>> 8) & 0xff;
      addr[j * 4 + 3] = w & 0xff;
    }
    return set.contains(table.versions[host], table.words[host * 4], addr);
  }
}

/** Returns the networks of a threshold's group, null for `any`. Throws a RangeError for an unknown group. */
function groupSetOf(config: AnomalyDetectorConfig, threshold: GroupThreshold): NetworkSet | null {
  if (threshold.group === 'any') return null;
  const networks = config.hostGroups[threshold.group];
  if (networks === undefined) {
    const known = Object.keys(config.hostGroups);
    throw new RangeError(`anomaly threshold group '${threshold.group}' is not a host group (expected any${known.length > 0 ? ' or ' + known.join(', ') : ''})`);
  }
  return new NetworkSet(networks);
}
