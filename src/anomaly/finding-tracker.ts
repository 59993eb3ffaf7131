/**
 * The life of findings: a finding is reported when a detector first
 * confirms it (`start`), again at most every `updateIntervalS` while
 * detectors keep confirming it (`update`), and once more when no detector
 * has confirmed it for `endAfterS` seconds, or at the end of the run
 * (`end`). A finding is keyed by detector type, the address it is about
 * and a port (a reflected service), in a fixed table of
 * `maxActiveFindings` entries; a new finding beyond that is counted in
 * `findingsDropped` and not reported.
 */
import type { AnomalyFinding } from './finding.js';

/** Decisions of `observe`: no report due, a start or update report due, or no room for a new finding. */
export const Observed = { QUIET: 0, START: 1, UPDATE: 2, FULL: 3 } as const;

/** Active findings with their timing; reports go to `reports`, which the stage drains. */
export class FindingTracker {
  readonly capacity: number;
  /** Findings not followed because the table was full. */
  findingsDropped: number;
  /** Reports waiting for the output, oldest first. */
  readonly reports: AnomalyFinding[];
  private readonly updateUs: number;
  private readonly endAfterUs: number;
  /** Per entry: type (0 when free), key version, key words, port. */
  private readonly types: Uint8Array;
  private readonly keyVersions: Uint8Array;
  private readonly keyWords: Uint32Array;
  private readonly ports: Int32Array;
  private readonly startUs: Float64Array;
  private readonly lastSeenUs: Float64Array;
  private readonly lastReportUs: Float64Array;
  private readonly peaks: Float64Array;
  /** Per entry: microseconds without confirmation before it ends. */
  private readonly holdsUs: Float64Array;
  /** The last report of each entry, the template of its next ones. */
  private readonly last: Array<AnomalyFinding | null>;
  /** Entry `observe` last found or created. */
  private current: number;

  constructor(capacity: number, updateIntervalS: number, endAfterS: number) {
    this.capacity = capacity;
    this.findingsDropped = 0;
    this.reports = [];
    this.updateUs = updateIntervalS * 1e6;
    this.endAfterUs = endAfterS * 1e6;
    this.types = new Uint8Array(capacity);
    this.keyVersions = new Uint8Array(capacity);
    this.keyWords = new Uint32Array(capacity * 4);
    this.ports = new Int32Array(capacity);
    this.startUs = new Float64Array(capacity);
    this.lastSeenUs = new Float64Array(capacity);
    this.lastReportUs = new Float64Array(capacity);
    this.peaks = new Float64Array(capacity);
    this.holdsUs = new Float64Array(capacity);
    this.last = new Array<AnomalyFinding | null>(capacity).fill(null);
    this.current = -1;
  }

  /**
   * Records that detector `type` confirmed the finding keyed by the address
   * (`words` from index `at`) and `port` in the interval from `fromUs` to
   * `nowUs`, with the value `observed`. The finding ends when no call
   * confirms it for `holdS` seconds, or `endAfterS` when that is longer
   * (a scan is confirmed only when its source starts flows). Returns START or UPDATE when a report
   * is due (the caller then builds it and passes it to `report`), QUIET when
   * not, FULL when the table has no room.
   */
  observe(type: number, keyVersion: number, words: Uint32Array, at: number, port: number, fromUs: number, nowUs: number, observed: number, holdS = 0): number {
    let entry = this.find(type, keyVersion, words, at, port);
    if (entry < 0) {
      entry = this.types.indexOf(0);
      if (entry < 0) {
        this.findingsDropped++;
        return Observed.FULL;
      }
      this.types[entry] = type;
      this.keyVersions[entry] = keyVersion;
      for (let i = 0; i < 4; i++) this.keyWords[entry * 4 + i] = words[at + i];
      this.ports[entry] = port;
      this.startUs[entry] = fromUs;
      this.lastSeenUs[entry] = nowUs;
      this.lastReportUs[entry] = nowUs;
      this.peaks[entry] = observed;
      this.holdsUs[entry] = Math.max(this.endAfterUs, holdS * 1e6);
      this.last[entry] = null;
      this.current = entry;
      return Observed.START;
    }
    this.current = entry;
    this.lastSeenUs[entry] = nowUs;
    if (observed > this.peaks[entry]) this.peaks[entry] = observed;
    if (nowUs - this.lastReportUs[entry] < this.updateUs) return Observed.QUIET;
    this.lastReportUs[entry] = nowUs;
    return Observed.UPDATE;
  }

  /** Returns the start time of the entry `observe` last touched. */
  currentStartUs(): number {
    return this.startUs[this.current];
  }

  /** Returns the peak of the entry `observe` last touched. */
  currentPeak(): number {
    return this.peaks[this.current];
  }

  /** Queues a report for the entry `observe` last touched and keeps it as that entry's template. */
  report(finding: AnomalyFinding): void {
    this.last[this.current] = finding;
    this.reports.push(finding);
  }

  /** Ends the findings not confirmed within their hold time before `nowUs` (all of them when `isFinal`), queuing their end reports. */
  sweep(nowUs: number, isFinal: boolean): void {
    for (let entry = 0; entry < this.capacity; entry++) {
      if (this.types[entry] === 0) continue;
      if (!isFinal && nowUs - this.lastSeenUs[entry] < this.holdsUs[entry]) continue;
      const last = this.last[entry];
      if (last !== null) {
        this.reports.push({
          ...last,
          phase: 'end',
          timestampUs: nowUs,
          windowStartUs: this.startUs[entry],
          windowEndUs: this.lastSeenUs[entry],
          peak: Math.round(this.peaks[entry] * 100) / 100,
        });
      }
      this.types[entry] = 0;
      this.last[entry] = null;
    }
  }

  /** Returns the findings being followed. */
  activeCount(): number {
    let n = 0;
    for (let entry = 0; entry < this.capacity; entry++) if (this.types[entry] !== 0) n++;
    return n;
  }

  private find(type: number, keyVersion: number, words: Uint32Array, at: number, port: number): number {
    for (let entry = 0; entry < this.capacity; entry++) {
      if (this.types[entry] !== type || this.keyVersions[entry] !== keyVersion || this.ports[entry] !== port) continue;
      const w = entry * 4;
      if (this.keyWords[w] === words[at] && this.keyWords[w + 1] === words[at + 1]
        && this.keyWords[w + 2] === words[at + 2] && this.keyWords[w + 3] === words[at + 3]) return entry;
    }
    return -1;
  }
}
