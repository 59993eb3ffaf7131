/**
 * Runs a capture through kapu with the anomaly stage on and returns its
 * gid 8200 alerts, for the tests and for `kapu baseline learn`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCapture } from '../cli/run.js';
import { ANOMALY_GID } from './finding.js';

/** The fields of a gid 8200 EVE alert that the tests read. */
export interface AnomalyAlert {
  timestampUs: number;
  sid: number;
  srcIp: string | null;
  destIp: string | null;
  phase: string;
  type: string;
  windowStartUs: number;
  windowEndUs: number;
  intervalS: number;
  sampleRate: number;
  sourcesSpoofed: boolean | null;
  metric: string;
  observed: number;
}

/** Parses an EVE timestamp (`2021-04-28T10:30:22.123456+0000`) into microseconds since the epoch. */
export function parseEveTimeUs(text: string): number {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})([+-]\d\d)(\d\d)$/.exec(text);
  if (match === null) throw new Error(`EVE timestamp '${text}' is invalid (expected YYYY-MM-DDTHH:MM:SS.uuuuuu+hhmm)`);
  const seconds = Date.parse(`${match[1]}${match[3]}:${match[4]}`) / 1000;
  return seconds * 1e6 + Number(match[2]);
}

/**
 * Runs `capturePath` (a .gz capture is decompressed to a temporary file
 * first) with the anomaly stage on, no rules and the `--set` overrides
 * `sets`, and returns the gid 8200 alerts in order.
 */
export async function runAnomalyCapture(capturePath: string, sets: readonly string[]): Promise<AnomalyAlert[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-anomaly-'));
  try {
    let path = capturePath;
    if (capturePath.endsWith('.gz')) {
      path = join(dir, 'capture');
      writeFileSync(path, gunzipSync(readFileSync(capturePath)));
    }
    const rulesPath = join(dir, 'empty.rules');
    writeFileSync(rulesPath, '');
    const logDir = join(dir, 'log');
    await runCapture({
      pcapPath: path,
      configPath: null,
      ruleFiles: [rulesPath],
      extraRuleFiles: [],
      logDir,
      checksumMode: 'none',
      sets: ['anomaly.enabled=yes', ...sets],
      mode: null,
      env: {},
      quiet: true,
    });
    return readAnomalyAlerts(join(logDir, 'eve.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads the gid 8200 alerts of an eve.json file. */
export function readAnomalyAlerts(evePath: string): AnomalyAlert[] {
  const alerts: AnomalyAlert[] = [];
  for (const line of readFileSync(evePath, 'utf8').split('\n')) {
    if (!line.includes(`"gid":${ANOMALY_GID}`)) continue;
    const event = JSON.parse(line) as {
      timestamp: string;
      src_ip?: string;
      dest_ip?: string;
      alert: { signature_id: number };
      kapu: { anomaly: { phase: string; type: string; metric: string; observed: number; window: { start: string; end: string; interval_s: number }; sample_rate: number; sources_spoofed: boolean | null } };
    };
    const a = event.kapu.anomaly;
    alerts.push({
      timestampUs: parseEveTimeUs(event.timestamp),
      sid: event.alert.signature_id,
      srcIp: event.src_ip ?? null,
      destIp: event.dest_ip ?? null,
      phase: a.phase,
      type: a.type,
      windowStartUs: parseEveTimeUs(a.window.start),
      windowEndUs: parseEveTimeUs(a.window.end),
      intervalS: a.window.interval_s,
      sampleRate: a.sample_rate,
      sourcesSpoofed: a.sources_spoofed,
      metric: a.metric,
      observed: a.observed,
    });
  }
  return alerts;
}
