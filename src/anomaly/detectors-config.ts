/**
 * Settings of the anomaly detectors (the `anomaly` section of kapu.yaml,
 * docs/config.md), with the defaults and their reasons. Rates are per
 * second of capture time and, under sampling, are estimates (sampled
 * count times the rate).
 */
import { defaultEwmaConfig, type EwmaConfig } from './ewma.js';
import { AnomalyType } from './finding.js';

/** Fixed limits for the hosts of one group, as FastNetMon's per-hostgroup ban thresholds; 0 turns a limit off. */
export interface GroupThreshold {
  /** Host group name, or `any` for every host in the home networks. */
  group: string;
  /** Packets per second received by one host. */
  pps: number;
  /** Bits per second received by one host. */
  bps: number;
  /** New flows per second towards one host. */
  flowsPerS: number;
  /** TCP SYNs per second received by one host. */
  synPps: number;
}

/** Settings of AnomalyDetectors. */
export interface AnomalyDetectorConfig {
  /** Networks whose hosts are protected (victims, baselines, thresholds), as CIDR text. */
  homeNetworks: string[];
  /** Host groups by name, each a list of CIDR networks. */
  hostGroups: Record<string, string[]>;
  /** Packet sampling 1:N of the volume counters; 1 counts every packet. */
  sampleRate: number;
  /** Destinations tracked at once for floods; the least recently seen is evicted beyond this. */
  maxVictims: number;
  /** Sources tracked at once for scans; the least recently seen is evicted beyond this. */
  maxSources: number;
  /** Measuring interval in seconds of capture time: rates are counts over one interval. */
  intervalS: number;
  /** Seconds between update reports of a lasting finding. */
  updateIntervalS: number;
  /** A finding ends when its detector has not confirmed it for this many seconds. */
  endAfterS: number;
  /** Findings followed at once; more are counted in `findingsDropped` and not reported. */
  maxActiveFindings: number;
  /** Detectors switched on, indexed by sid (AnomalyType). */
  enabled: boolean[];
  /** Raise no findings; only learn baselines (`kapu baseline learn`). */
  learnOnly: boolean;

  /** TCP SYNs per second to one victim that make a SYN flood. */
  synFloodPps: number;
  /** A SYN flood needs fewer SYN-ACKs from the victim than this share of the SYNs (handshakes not completed). */
  synFloodMaxSynAckShare: number;
  udpFloodPps: number;
  icmpFloodPps: number;
  /**
   * A flood needs at least this many distinct sources, or at most
   * `floodMaxPorts` distinct destination ports: one source sending to
   * hundreds of ports is a scan, not a flood.
   */
  floodMinSources: number;
  floodMaxPorts: number;
  /** Sources look spoofed when at least this many were seen and their /16 networks number at least `spoofMinNetShare` of them. */
  spoofMinSources: number;
  spoofMinNetShare: number;

  /** Responses per second from a UDP service port (or TCP SYN-ACKs) to one victim that make reflection. */
  amplificationPps: number;
  /** Reflection needs at least this many distinct sources. */
  amplificationMinReflectors: number;
  /** UDP source ports of services that are abused for reflection. */
  amplificationPorts: number[];

  /** Window of the port scan and host sweep counts, seconds. */
  scanWindowS: number;
  /** Distinct destination ports from one source that make a port scan. */
  portScanMinPorts: number;
  /** A port scan needs its top target to get at least this share of the source's new flows. */
  portScanMinTargetShare: number;
  /** Distinct destination hosts from one source that make a host sweep. */
  hostSweepMinHosts: number;
  /** A host sweep needs its top port to get at least this share of the source's new flows. */
  hostSweepMinPortShare: number;
  /** Window of the slow scan counts, seconds. */
  slowScanWindowS: number;
  slowScanMinPorts: number;
  slowScanMinHosts: number;

  /** A host whose share of the network's bytes in one interval is at least this is a heavy hitter ... */
  heavyHitterShare: number;
  /** ... when it also moves at least this many bits per second. */
  heavyHitterMinBps: number;

  thresholds: GroupThreshold[];

  /** Baselines: the EWMA settings (half-life, learning period, MAD fallback). */
  ewma: EwmaConfig;
  /** z-score at or above which an interval counts as deviating. */
  baselineZScore: number;
  /** A deviation must also exceed the mean by this much (per second), so flat baselines do not alarm on noise. */
  baselineMinDelta: number;
  /** Consecutive deviating intervals before a finding. */
  baselineSustainIntervals: number;
}

/**
 * UDP source ports of services known for reflection: DNS 53, NTP 123,
 * memcached 11211, SSDP 1900, CLDAP 389, SNMP 161, chargen 19, QOTD 17,
 * portmapper 111, NetBIOS 137, RIPv1 520, MS-SQL browser 1434, IKE 500
 * and 4500, mDNS 5353, WS-Discovery 3702, Apple Remote Desktop 3283,
 * Ubiquiti discovery 10001, CoAP 5683, STUN 3478, OpenVPN 1194, BACnet
 * 47808, DVR discovery 37810, Steam 27015, TFTP 69.
 */
export const DEFAULT_AMPLIFICATION_PORTS: readonly number[] = [
  17, 19, 53, 69, 111, 123, 137, 161, 389, 500, 520, 1194, 1434, 1900, 3283, 3478, 3702, 4500, 5353, 5683,
  10001, 11211, 27015, 37810, 47808,
];

/**
 * Returns the defaults. The flood rates (1000 packets per second to one
 * host) sit well above what the benign captures reach in one second
 * towards one host, and the scan counts (20 ports, 20 hosts) are the
 * levels at which a scan is unambiguous. Fixed thresholds are empty: they
 * depend on the site.
 */
export function defaultAnomalyDetectorConfig(): AnomalyDetectorConfig {
  const enabled = new Array<boolean>(11).fill(true);
  enabled[0] = false;
  return {
    homeNetworks: [],
    hostGroups: {},
    sampleRate: 1,
    maxVictims: 4096,
    maxSources: 4096,
    intervalS: 1,
    updateIntervalS: 60,
    endAfterS: 5,
    maxActiveFindings: 256,
    enabled,
    learnOnly: false,
    synFloodPps: 1000,
    synFloodMaxSynAckShare: 0.5,
    udpFloodPps: 1000,
    icmpFloodPps: 1000,
    floodMinSources: 20,
    floodMaxPorts: 16,
    spoofMinSources: 100,
    spoofMinNetShare: 0.5,
    amplificationPps: 1000,
    amplificationMinReflectors: 10,
    amplificationPorts: [...DEFAULT_AMPLIFICATION_PORTS],
    scanWindowS: 60,
    portScanMinPorts: 20,
    portScanMinTargetShare: 0.5,
    hostSweepMinHosts: 20,
    hostSweepMinPortShare: 0.5,
    slowScanWindowS: 3600,
    slowScanMinPorts: 100,
    slowScanMinHosts: 100,
    heavyHitterShare: 0.5,
    heavyHitterMinBps: 100e6,
    thresholds: [],
    ewma: defaultEwmaConfig(),
    baselineZScore: 4,
    baselineMinDelta: 100,
    baselineSustainIntervals: 5,
  };
}

/** Tells whether the detector of sid `type` is on. */
export function isDetectorEnabled(config: AnomalyDetectorConfig, type: number): boolean {
  return config.enabled[type] === true && type >= AnomalyType.BASELINE_DEVIATION && type <= AnomalyType.SLOW_SCAN;
}
