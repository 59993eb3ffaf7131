/**
 * `kapu baseline learn -r FILE... [--db PATH]` learns the anomaly
 * baselines from captures in capture time, without raising findings, and
 * stores them in a SQLite file; `kapu baseline show [--db PATH]` lists
 * them. A run with `anomaly.baseline.file` set to the same file loads them.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { UsageError } from '../core/errors.js';
import { BaselineStore, type BaselineRow } from '../anomaly/baseline-store.js';
import { runCapture } from './run.js';

/** Baseline file used when neither --db nor anomaly.baseline.file names one. */
export const DEFAULT_BASELINE_FILE = 'baselines.db';

/** Flags of the baseline subcommands. */
export interface BaselineFlags {
  db?: string;
  config?: string;
  set: string[];
}

/** Returns the baseline file: --db, else anomaly.baseline.file of the config, else baselines.db in the current folder. */
export function baselineFileOf(flags: BaselineFlags): string {
  if (flags.db !== undefined) return resolve(flags.db);
  const { config } = loadConfig(flags.config ?? null, flags.set);
  return resolve(config.anomaly.baseline.file ?? DEFAULT_BASELINE_FILE);
}

/**
 * Reads each capture in order through the anomaly stage in learn-only
 * mode, loading and saving the baseline file around each, and prints what
 * was stored. Returns the exit status.
 */
export async function runBaselineLearn(files: readonly string[], flags: BaselineFlags, out: NodeJS.WritableStream): Promise<number> {
  if (files.length === 0) throw new UsageError('kapu baseline learn needs at least one capture: give -r FILE');
  const db = baselineFileOf(flags);
  const dir = mkdtempSync(join(tmpdir(), 'kapu-baseline-'));
  let packets = 0;
  try {
    const rulesPath = join(dir, 'empty.rules');
    writeFileSync(rulesPath, '');
    for (const file of files) {
      const summary = await runCapture({
        pcapPath: file,
        configPath: flags.config ?? null,
        ruleFiles: [rulesPath],
        extraRuleFiles: [],
        logDir: join(dir, 'log'),
        checksumMode: 'none',
        sets: [...flags.set, 'anomaly.enabled=yes', 'anomaly.learn-only=yes', `anomaly.baseline.file=${db}`, 'anomaly.baseline.save=yes'],
        mode: null,
        env: {},
        quiet: true,
      });
      packets += summary.packets;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = readBaselines(db);
  const entities = new Set(rows.map((r) => r.entity)).size;
  out.write(`kapu: learnt from ${files.length} capture${files.length === 1 ? '' : 's'} (${packets} packets): ${rows.length} baselines of ${entities} entities in ${db}\n`);
  return 0;
}

/** Prints every stored baseline: entity, metric, slot, values learnt, mean, standard deviation and the capture time span. */
export function runBaselineShow(flags: BaselineFlags, out: NodeJS.WritableStream): number {
  const db = baselineFileOf(flags);
  if (!existsSync(db)) throw new UsageError(`baseline file '${db}' not found; learn one with kapu baseline learn -r FILE --db ${db}`);
  out.write(formatBaselines(readBaselines(db)));
  return 0;
}

/** Renders baselines as an aligned table, one row per entity, metric and slot. */
export function formatBaselines(rows: readonly BaselineRow[]): string {
  const lines = ['entity\tmetric\tslot\tcount\tmean\tstddev\tfirst\tlast'];
  for (const r of rows) {
    const first = new Date(r.firstUpdateS * 1000).toISOString();
    const last = new Date(r.lastUpdateS * 1000).toISOString();
    lines.push([r.entity, r.metric, r.slot, r.count, r.mean.toFixed(3), Math.sqrt(r.variance).toFixed(3), first, last].join('\t'));
  }
  return alignColumns(lines) + `${rows.length} baselines\n`;
}

function readBaselines(db: string): BaselineRow[] {
  const store = new BaselineStore(db);
  try {
    return store.loadAll();
  } finally {
    store.close();
  }
}

function alignColumns(lines: readonly string[]): string {
  const cells = lines.map((line) => line.split('\t'));
  const widths: number[] = [];
  for (const row of cells) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}
