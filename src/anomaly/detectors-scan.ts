/**
 * Scan detectors per source: vertical port scan, horizontal host sweep and
 * slow scan, from new flows (every flow, not sampled: a probe is one new
 * flow whatever its TCP flags, and a UDP or ICMP probe too).
 *
 * Per source, HyperLogLog sketches count the distinct destination ports
 * (with protocol) and hosts of the flows it starts. The short counts run in
 * windows of `scanWindowS` seconds, and a judgement reads the union of the
 * current and the previous window, so a scan that straddles a window edge
 * is counted whole (the union covers one to two windows). The slow counts
 * run in windows of `slowScanWindowS`. A Misra-Gries summary keeps the
 * source's most frequent destinations and a one-counter summary its most
 * frequent destination port, over the current window.
 *
 * - Port scan: at least `portScanMinPorts` ports, and the top destination
 *   took at least `portScanMinTargetShare` of the current window's new
 *   flows (one host).
 * - Host sweep: at least `hostSweepMinHosts` hosts, and the top port took
 *   at least `hostSweepMinPortShare` of the new flows (one service).
 * - Slow scan: at least `slowScanMinPorts` ports or `slowScanMinHosts`
 *   hosts over the slow window, from a source whose short windows never
 *   reached the port scan or host sweep counts in that slow window.
 */
import { IpProto, type Packet } from '../core/packet.js';
import type { AnomalyDetectorConfig } from './detectors-config.js';
import { AnomalyType, type AnomalyFinding } from './finding.js';
import { FindingTracker, Observed } from './finding-tracker.js';
import { HostTable } from './host-table.js';
import { HyperLogLogBank } from './hyperloglog.js';
import { hashAddress, mix32 } from './sampler.js';
import { TopAddressBank, formatAddressWords } from './top-addresses.js';
import { roundTo } from './detectors-flood.js';

/** Sketches per source: ports and hosts of two short windows (by window parity), then the slow ones. */
const S_PORTS = 0;
const S_HOSTS = 2;
const S_SLOW_PORTS = 4;
const S_SLOW_HOSTS = 5;
const SKETCH_COUNT = 6;

const SCAN_HLL_PRECISION = 8;
const TOP_TARGETS = 4;
const HOST_SEED = 0x6a09e667;
const PORT_SEED = 0x510e527f;

/** Scan detection per source; see the file comment. */
export class ScanDetectors {
  readonly config: AnomalyDetectorConfig;
  readonly sources: HostTable;
  private readonly sketches: HyperLogLogBank;
  /** One sketch for the union of two windows. */
  private readonly union: HyperLogLogBank;
  /** New flows per source in the current and the previous window (index source * 2 + parity). */
  private readonly flows: Float64Array;
  private readonly topTargets: TopAddressBank;
  private readonly topPort: Int32Array;
  private readonly topPortCount: Float64Array;
  /** 1 when the source met a port scan or host sweep count in the current slow window: its slow counts are then no slow scan. */
  private readonly wasFastScan: Uint8Array;
  private readonly windowUs: number;
  private readonly slowWindowUs: number;
  /** Index of the current short window (capture time / window), -1 before the first flow. */
  private windowIndex: number;
  private slowWindowIndex: number;
  private readonly dirty: Int32Array;
  private dirtyCount: number;
  /** Flows per source in the current slow window: distinct counts never exceed it. */
  private readonly slowFlows: Float64Array;
  private readonly isDirty: Uint8Array;

  constructor(config: AnomalyDetectorConfig) {
    this.config = config;
    this.sources = new HostTable(config.maxSources);
    this.sketches = new HyperLogLogBank(SCAN_HLL_PRECISION, config.maxSources * SKETCH_COUNT);
    this.union = new HyperLogLogBank(SCAN_HLL_PRECISION, 1);
    this.flows = new Float64Array(config.maxSources * 2);
    this.topTargets = new TopAddressBank(config.maxSources, TOP_TARGETS);
    this.topPort = new Int32Array(config.maxSources);
    this.topPortCount = new Float64Array(config.maxSources);
    this.wasFastScan = new Uint8Array(config.maxSources);
    this.windowUs = config.scanWindowS * 1e6;
    this.slowWindowUs = config.slowScanWindowS * 1e6;
    this.windowIndex = -1;
    this.slowWindowIndex = -1;
    this.dirty = new Int32Array(config.maxSources);
    this.dirtyCount = 0;
    this.isDirty = new Uint8Array(config.maxSources);
    this.slowFlows = new Float64Array(config.maxSources);
  }

  /**
   * Counts a new flow (its first packet) for its source.
   * NOTE: under a flood of forged sources every packet evicts a row here,
   * clears its sketches and fills four, about half the stage's per-packet
   * cost on such a flood (docs/benchmarks.md, anomaly stage cost).
   */
  recordNewFlow(p: Packet): void {
    this.advanceWindows(p.timestampUs);
    const row = this.sources.findOrInsert(p.ipVersion, p.src4, p.srcAddr);
    if (this.sources.wasEvicted) this.clearRow(row);
    if (this.isDirty[row] === 0) {
      this.isDirty[row] = 1;
      this.dirty[this.dirtyCount++] = row;
    }

    const parity = this.windowIndex & 1;
    const sketch = row * SKETCH_COUNT;
    this.flows[row * 2 + parity]++;
    this.slowFlows[row]++;
    const hostHash = hashAddress(p.ipVersion, p.dst4, p.dstAddr, HOST_SEED);
    this.sketches.add(sketch + S_HOSTS + parity, hostHash);
    this.sketches.add(sketch + S_SLOW_HOSTS, hostHash);
    this.topTargets.add(row, p.ipVersion, p.dst4, p.dstAddr, 1);
    if (p.ipProto !== IpProto.TCP && p.ipProto !== IpProto.UDP && p.ipProto !== IpProto.SCTP) return;
    const portHash = mix32((((p.ipProto << 16) | p.dstPort) ^ PORT_SEED) >>> 0);
    this.sketches.add(sketch + S_PORTS + parity, portHash);
    this.sketches.add(sketch + S_SLOW_PORTS, portHash);
    this.countPort(row, p.dstPort);
  }

  /** Judges the sources that started flows since the last call, reporting to `tracker`. */
  evaluate(nowUs: number, tracker: FindingTracker): void {
    for (let i = 0; i < this.dirtyCount; i++) {
      const row = this.dirty[i];
      this.judgeSource(row, nowUs, tracker);
      this.isDirty[row] = 0;
    }
    this.dirtyCount = 0;
  }

  /**
   * Estimates the distinct ports (`kind` S_PORTS) or hosts (S_HOSTS) of a
   * source over the current and the previous window, rounded. Below a
   * hundred the sketch uses linear counting: n values in distinct
   * registers estimate n plus a fraction, and one collision about n - 0.3.
   */
  private windowCount(row: number, kind: number): number {
    const sketch = row * SKETCH_COUNT + kind;
    const a = this.sketches.estimate(sketch);
    const b = this.sketches.estimate(sketch + 1);
    if (a === 0 || b === 0) return Math.round(a + b);
    this.union.clear(0);
    this.union.merge(0, this.sketches, sketch);
    this.union.merge(0, this.sketches, sketch + 1);
    return Math.round(this.union.estimate(0));
  }

  private judgeSource(row: number, nowUs: number, tracker: FindingTracker): void {
    const config = this.config;
    const enabled = config.enabled;
    // The top target and port summaries cover the current window only, so their shares do too.
    const flows = this.flows[row * 2 + (this.windowIndex & 1)];
    if (flows === 0) return;
    // Distinct ports and hosts never exceed the flows counted, so a source
    // with too few flows for any scan skips the sketch estimates. Under a
    // flood of forged sources, each with one flow, that is every source.
    const windowFlows = this.flows[row * 2] + this.flows[row * 2 + 1];
    const slowFlows = this.slowFlows[row];
    if (windowFlows < Math.min(config.portScanMinPorts, config.hostSweepMinHosts) && slowFlows < Math.min(config.slowScanMinPorts, config.slowScanMinHosts)) return;

    const top = this.topTargets.topIndex(row);
    const topShare = top >= 0 ? this.topTargets.countAt(top) / flows : 0;

    const ports = this.windowCount(row, S_PORTS);
    const hosts = this.windowCount(row, S_HOSTS);
    if (ports >= config.portScanMinPorts || hosts >= config.hostSweepMinHosts) this.wasFastScan[row] = 1;
    if (enabled[AnomalyType.PORT_SCAN] && ports >= config.portScanMinPorts && topShare >= config.portScanMinTargetShare) {
      this.report(tracker, AnomalyType.PORT_SCAN, row, nowUs, config.scanWindowS, 'distinct_dst_ports', ports, config.portScanMinPorts);
    }
    const portShare = this.topPortCount[row] / flows;
    if (enabled[AnomalyType.HOST_SWEEP] && hosts >= config.hostSweepMinHosts && portShare >= config.hostSweepMinPortShare) {
      this.report(tracker, AnomalyType.HOST_SWEEP, row, nowUs, config.scanWindowS, 'distinct_dst_hosts', hosts, config.hostSweepMinHosts);
    }
    // A source whose short window already held a scan is a fast scanner, whose slow counts would only repeat it.
    if (enabled[AnomalyType.SLOW_SCAN] && this.wasFastScan[row] === 0) {
      const sketch = row * SKETCH_COUNT;
      const slowPorts = Math.round(this.sketches.estimate(sketch + S_SLOW_PORTS));
      const slowHosts = Math.round(this.sketches.estimate(sketch + S_SLOW_HOSTS));
      if (slowPorts >= config.slowScanMinPorts) {
        this.report(tracker, AnomalyType.SLOW_SCAN, row, nowUs, config.slowScanWindowS, 'distinct_dst_ports', slowPorts, config.slowScanMinPorts);
      } else if (slowHosts >= config.slowScanMinHosts) {
        this.report(tracker, AnomalyType.SLOW_SCAN, row, nowUs, config.slowScanWindowS, 'distinct_dst_hosts', slowHosts, config.slowScanMinHosts);
      }
    }
  }

  private report(tracker: FindingTracker, type: number, row: number, nowUs: number, windowS: number, metric: string, observed: number, limit: number): void {
    const version = this.sources.versions[row];
    const fromUs = type === AnomalyType.SLOW_SCAN
      ? this.slowWindowIndex * this.slowWindowUs
      : (this.windowIndex - 1) * this.windowUs;
    const state = tracker.observe(type, version, this.sources.words, row * 4, 0, Math.max(fromUs, 0), nowUs, observed, windowS);
    if (state !== Observed.START && state !== Observed.UPDATE) return;

    const targets = this.topTargets.list(row);
    const isSweep = type === AnomalyType.HOST_SWEEP || metric === 'distinct_dst_hosts';
    const finding: AnomalyFinding = {
      type,
      phase: state === Observed.START ? 'start' : 'update',
      timestampUs: nowUs,
      srcIp: formatAddressWords(version, this.sources.words, row * 4),
      destIp: targets.length > 0 ? targets[0].ip : null,
      destPort: isSweep && this.topPortCount[row] > 0 ? this.topPort[row] : 0,
      proto: null,
      entity: 'host',
      metric,
      observed: Math.round(observed),
      baseline: limit,
      deviation: roundTo(observed / limit, 2),
      windowStartUs: tracker.currentStartUs(),
      windowEndUs: nowUs,
      intervalS: windowS,
      sampleRate: 1,
      peak: Math.round(tracker.currentPeak()),
      distinctSources: 1,
      sourcesSpoofed: false,
      topSources: [],
      topTargets: targets,
      topPorts: this.topPortCount[row] > 0 ? [this.topPort[row]] : [],
    };
    tracker.report(finding);
  }

  /** Starts new windows when capture time passes their edges, clearing the counts that fall out. */
  private advanceWindows(timestampUs: number): void {
    const index = Math.floor(timestampUs / this.windowUs);
    if (index > this.windowIndex) {
      const isFresh = this.windowIndex < 0 || index - this.windowIndex >= 2;
      const parity = index & 1;
      for (let row = 0; row < this.sources.size; row++) {
        const sketch = row * SKETCH_COUNT;
        this.sketches.clear(sketch + S_PORTS + parity);
        this.sketches.clear(sketch + S_HOSTS + parity);
        this.flows[row * 2 + parity] = 0;
        if (isFresh) {
          this.sketches.clear(sketch + S_PORTS + (parity ^ 1));
          this.sketches.clear(sketch + S_HOSTS + (parity ^ 1));
          this.flows[row * 2 + (parity ^ 1)] = 0;
        }
        this.topTargets.clear(row);
        this.topPortCount[row] = 0;
      }
      this.windowIndex = index;
    }
    const slowIndex = Math.floor(timestampUs / this.slowWindowUs);
    if (slowIndex > this.slowWindowIndex) {
      for (let row = 0; row < this.sources.size; row++) {
        this.sketches.clear(row * SKETCH_COUNT + S_SLOW_PORTS);
        this.sketches.clear(row * SKETCH_COUNT + S_SLOW_HOSTS);
        this.wasFastScan[row] = 0;
        this.slowFlows[row] = 0;
      }
      this.slowWindowIndex = slowIndex;
    }
  }

  private countPort(row: number, port: number): void {
    if (this.topPort[row] === port && this.topPortCount[row] > 0) this.topPortCount[row]++;
    else if (this.topPortCount[row] === 0) {
      this.topPort[row] = port;
      this.topPortCount[row] = 1;
    } else {
      this.topPortCount[row]--;
    }
  }

  private clearRow(row: number): void {
    for (let s = 0; s < SKETCH_COUNT; s++) this.sketches.clear(row * SKETCH_COUNT + s);
    this.flows[row * 2] = 0;
    this.flows[row * 2 + 1] = 0;
    this.topTargets.clear(row);
    this.topPortCount[row] = 0;
    this.wasFastScan[row] = 0;
    this.slowFlows[row] = 0;
  }
}
