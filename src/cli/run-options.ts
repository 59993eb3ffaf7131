import type { LoadedRules } from '../detect/rule-files.js';

/**
 * Options and result of `kapu run -r`. The command line, `kapu verify` and
 * the benchmarks all go through runCapture (run.ts) with these options.
 */
export interface RunOptions {
  /** Capture file to read (`-r`). */
  pcapPath: string;
  /** Config file (`-c`), or null for the built-in defaults. */
  configPath: string | null;
  /** Rule files that replace the configured ones (`-S`), or null. */
  ruleFiles: string[] | null;
  /** Rule files added to the configured ones (`-s`). */
  extraRuleFiles: string[];
  /** Folder for eve.json, fast.log and the rest (`-l`), or null for the config's default-log-dir. */
  logDir: string | null;
  /** Checksum validation (`-k`), or null to follow pcap-file.checksum-checks. */
  checksumMode: 'all' | 'none' | null;
  /** `--set key=value` overrides, applied in order after the config file. */
  sets: string[];
  /** `--mode` (or `--simulate-ips` for 'ips'), or null to follow the config. */
  mode: 'ids' | 'ips' | null;
  /** Environment variables that change output (SURICATA_EVE_DNS_VERSION). */
  env: Record<string, string>;
  /** When false, the end-of-run summary is printed to stdout. */
  quiet: boolean;
  /**
   * Suricata version (`9.0.0`) that rules' `requires: version` is judged
   * against, as `kapu verify --suricata-version` sets it; absent for the
   * version kapu follows.
   */
  requiresVersion?: string;
  /** Stops reading the capture between packet batches when aborted. */
  signal?: AbortSignal;
  /**
   * Rules loaded before with `loadRules` and the same config, for runs of
   * many captures with one rule set; the run then reads no rule files.
   */
  loadedRules?: LoadedRules;
  /**
   * Worker threads (`--workers`); more than 1 spreads the flows over that
   * many threads (run-workers.ts). Absent means 1: the run stays in this thread.
   */
  workers?: number;
}

/** Figures of one run, also printed as the end-of-run summary. */
export interface RunSummary {
  packets: number;
  bytes: number;
  alerts: number;
  drops: number;
  decoderEvents: number;
  rulesLoaded: number;
  rulesFailed: number;
  flows: number;
  elapsedMs: number;
  /** Alerts per signature: `gid:sid:rev msg` to count. */
  alertsBySignature: Map<string, number>;
  /**
   * Alerts of shadowed rules (policy.shadow) per signature: `gid:sid:rev
   * msg (configured ACTION)` to count. Absent when a run does not report them.
   */
  shadowHitsBySignature?: Map<string, number>;
  /** Most memory counted against each memcap during the run, in bytes. */
  peakMemory: PeakMemory;
}

/** Most bytes in use at once under each memcap (flow.memcap, stream.memcap, stream.reassembly.memcap). */
export interface PeakMemory {
  flow: number;
  stream: number;
  reassembly: number;
}
