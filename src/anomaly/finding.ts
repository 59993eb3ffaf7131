/**
 * Anomaly findings: what a detector reports, as the EVE writer turns it
 * into an `alert` event of gid 8200 with the evidence under `kapu`.
 * Findings are built only when a detector reports, at most once per
 * detector, key and measuring interval, never per packet.
 */

/** Generator id of anomaly and network behaviour alerts. */
export const ANOMALY_GID = 8200;

/** Detector types; each value is the sid of its alerts. */
export const AnomalyType = {
  BASELINE_DEVIATION: 1,
  THRESHOLD: 2,
  SYN_FLOOD: 3,
  UDP_FLOOD: 4,
  ICMP_FLOOD: 5,
  AMPLIFICATION: 6,
  PORT_SCAN: 7,
  HOST_SWEEP: 8,
  HEAVY_HITTER: 9,
  SLOW_SCAN: 10,
} as const;

/** Detector names by sid (index 0 is unused). */
export const ANOMALY_TYPE_NAMES: readonly string[] = [
  '',
  'baseline_deviation',
  'threshold',
  'syn_flood',
  'udp_flood',
  'icmp_flood',
  'amplification',
  'port_scan',
  'host_sweep',
  'heavy_hitter',
  'slow_scan',
];

/** Returns the sid of a detector name, or -1. */
export function anomalyTypeOf(name: string): number {
  const index = ANOMALY_TYPE_NAMES.indexOf(name);
  return index > 0 ? index : -1;
}

/** Stage of a finding's life: the first report, a report while it lasts, and the last one. */
export type FindingPhase = 'start' | 'update' | 'end';

/** One address with its share of the finding's packets or probes. */
export interface RankedAddress {
  ip: string;
  /** Packets or new flows counted for it (a lower bound, Misra-Gries). */
  count: number;
}

/** One report of an anomaly. Times are capture time in microseconds. */
export interface AnomalyFinding {
  /** Detector sid (AnomalyType). */
  type: number;
  phase: FindingPhase;
  /** Capture time of the report. */
  timestampUs: number;
  /** Main source, or null when there are many (a flood from many hosts). */
  srcIp: string | null;
  /** The victim, scanned host or measured host; null for the whole network or a group. */
  destIp: string | null;
  /** Main destination port, or 0. */
  destPort: number;
  /** IP protocol name (`TCP`, `UDP`, `ICMP`) or null. */
  proto: string | null;
  /** Entity measured: `host`, `group:NAME` or `network`. */
  entity: string;
  /** What was measured, such as `syn_pps` or `distinct_dst_ports`. */
  metric: string;
  observed: number;
  /** The expected value: the configured limit or the learnt mean. */
  baseline: number;
  /** How far `observed` is from `baseline`: a z-score for baseline_deviation, else observed / baseline. */
  deviation: number;
  /** Capture time when the anomaly was first seen. */
  windowStartUs: number;
  /** End of the last measuring interval that showed it. */
  windowEndUs: number;
  /** Length of the measuring interval in seconds. */
  intervalS: number;
  /** Packet sampling 1:N of the volume figures. */
  sampleRate: number;
  /** Highest value of `observed` so far. */
  peak: number;
  /** Estimated distinct sources in the last interval, or -1 when not counted. */
  distinctSources: number;
  /** True when the sources look forged, false when they look genuine, null when not judged. */
  sourcesSpoofed: boolean | null;
  topSources: RankedAddress[];
  topTargets: RankedAddress[];
  /** Destination ports or service ports that dominate, most frequent first. */
  topPorts: number[];
}

/** Returns the EVE `alert.signature` text of a finding. */
export function findingSignature(f: AnomalyFinding): string {
  return `KAPU ANOMALY ${ANOMALY_TYPE_NAMES[f.type]} ${f.metric}`;
}
