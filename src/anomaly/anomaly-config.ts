/**
 * Turns the `anomaly` section of kapu.yaml into the detectors' settings,
 * and opens the stage for a run with its stored baselines.
 */
import { isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import type { AnomalyConfig } from '../config/types.js';
import { BaselineStore, type BaselineRow } from './baseline-store.js';
import { defaultAnomalyDetectorConfig, type AnomalyDetectorConfig } from './detectors-config.js';
import { AnomalyDetectors } from './detectors.js';
import { AnomalyType } from './finding.js';

/** Builds the detector settings from the config section; throws ConfigError naming the key of an invalid value. */
export function anomalyDetectorConfigOf(section: AnomalyConfig): AnomalyDetectorConfig {
  const config = defaultAnomalyDetectorConfig();
  const d = section.detectors;
  config.homeNetworks = [...section.homeNetworks];
  config.hostGroups = {};
  for (const [name, list] of Object.entries(section.hostGroups)) {
    config.hostGroups[name] = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  config.sampleRate = section.sampleRate;
  config.maxVictims = section.maxHosts;
  config.maxSources = section.maxSources;
  config.intervalS = Math.max(1, section.interval);
  config.updateIntervalS = section.updateInterval;
  config.endAfterS = section.endAfter;
  config.maxActiveFindings = section.maxFindings;
  config.learnOnly = section.learnOnly;
  config.scanWindowS = Math.max(1, section.scanWindow);

  config.enabled[AnomalyType.BASELINE_DEVIATION] = d.baselineDeviation.enabled;
  config.enabled[AnomalyType.THRESHOLD] = d.threshold.enabled;
  config.enabled[AnomalyType.SYN_FLOOD] = d.synFlood.enabled;
  config.enabled[AnomalyType.UDP_FLOOD] = d.udpFlood.enabled;
  config.enabled[AnomalyType.ICMP_FLOOD] = d.icmpFlood.enabled;
  config.enabled[AnomalyType.AMPLIFICATION] = d.amplification.enabled;
  config.enabled[AnomalyType.PORT_SCAN] = d.portScan.enabled;
  config.enabled[AnomalyType.HOST_SWEEP] = d.hostSweep.enabled;
  config.enabled[AnomalyType.HEAVY_HITTER] = d.heavyHitter.enabled;
  config.enabled[AnomalyType.SLOW_SCAN] = d.slowScan.enabled;

  config.synFloodPps = d.synFlood.pps;
  config.synFloodMaxSynAckShare = d.synFlood.maxSynAckShare;
  config.udpFloodPps = d.udpFlood.pps;
  config.icmpFloodPps = d.icmpFlood.pps;
  config.floodMinSources = section.flood.minSources;
  config.floodMaxPorts = section.flood.maxPorts;
  config.spoofMinSources = section.flood.spoofMinSources;
  config.spoofMinNetShare = section.flood.spoofMinNetShare;
  config.amplificationPps = d.amplification.pps;
  config.amplificationMinReflectors = d.amplification.minReflectors;
  config.amplificationPorts = d.amplification.ports.map((text) => {
    const port = Number(text);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError([`anomaly.detectors.amplification.ports: '${text}' is not a port (expected 0 to 65535)`]);
    }
    return port;
  });
  config.portScanMinPorts = d.portScan.minPorts;
  config.portScanMinTargetShare = d.portScan.minTargetShare;
  config.hostSweepMinHosts = d.hostSweep.minHosts;
  config.hostSweepMinPortShare = d.hostSweep.minPortShare;
  config.heavyHitterShare = d.heavyHitter.share;
  config.heavyHitterMinBps = d.heavyHitter.minBps;
  config.slowScanWindowS = Math.max(1, d.slowScan.window);
  config.slowScanMinPorts = d.slowScan.minPorts;
  config.slowScanMinHosts = d.slowScan.minHosts;
  config.thresholds = section.thresholds.map((t) => ({ group: t.group, pps: t.pps, bps: t.bps, flowsPerS: t.flows, synPps: t.synPps }));
  for (const t of config.thresholds) {
    if (t.group !== 'any' && config.hostGroups[t.group] === undefined) {
      throw new ConfigError([`anomaly.thresholds: group '${t.group}' is not in anomaly.host-groups (expected any or a group name)`]);
    }
  }
  config.baselineZScore = d.baselineDeviation.zScore;
  config.baselineMinDelta = d.baselineDeviation.minDelta;
  config.baselineSustainIntervals = d.baselineDeviation.sustain;
  const b = section.baseline;
  config.ewma = {
    ...config.ewma,
    halfLifeS: Math.max(1, b.halfLife),
    sampleIntervalS: config.intervalS,
    minSamples: b.minSamples,
    minLearningS: b.learningPeriod,
    hourOfWeek: b.hourOfWeek,
    madWindow: b.madWindow,
  };
  return config;
}

/** Returns the path of the baseline file, read from the log folder when relative; null when unset. */
export function baselinePathOf(section: AnomalyConfig, logDir: string): string | null {
  const file = section.baseline.file;
  if (file === null || file === '') return null;
  return isAbsolute(file) ? file : join(logDir, file);
}

/** Builds the anomaly stage of a run and loads its stored baselines; null when `anomaly.enabled` is off. */
export function openAnomalyStage(section: AnomalyConfig, logDir: string): AnomalyDetectors | null {
  if (!section.enabled) return null;
  const detectors = new AnomalyDetectors(anomalyDetectorConfigOf(section));
  const path = baselinePathOf(section, logDir);
  if (path !== null && existsSync(path)) {
    const store = new BaselineStore(path);
    try {
      detectors.importBaselines(store.loadAll());
    } finally {
      store.close();
    }
  }
  return detectors;
}

/** Writes the stage's learnt baselines to `path`; returns the rows written. */
export function saveBaselines(detectors: AnomalyDetectors, path: string): number {
  const rows: BaselineRow[] = [];
  detectors.exportBaselines(rows);
  const store = new BaselineStore(path);
  try {
    return store.saveBatch(rows);
  } finally {
    store.close();
  }
}

