/**
 * `npm run bench`: reads each named capture through runCapture with no rules
 * and with the whole ET Open ruleset, each case in its own child process so
 * that peak memory is per case, and prints throughput and memory figures.
 * docs/benchmarks.md explains every column. A benchmark is never a test:
 * nothing here asserts a speed.
 *
 *   node dist/bench/run.js [--capture NAME]... [--repeat N] [--json FILE]
 *                          [--no-record] [--list]
 */
import { spawnSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { RunOptions, RunSummary } from '../src/cli/run-options.js';
import { readCaptureStats, type CaptureStats } from './capture-stats.js';
import { listCaptures, PRIVATE_HOME_NET, type NamedCapture } from './captures.js';

// NOTE: runCapture is loaded by path at run time, so this file compiles
// while src/cli/run.ts is absent; a static import can replace it later.
const RUN_MODULE = '../src/cli/run.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HTTP_HEAVY = join(REPO_ROOT, 'bench', 'captures', 'http-heavy.pcap');
const HTTP_SMALL = join(REPO_ROOT, 'bench', 'captures', 'http-small.pcap');
const RECORD_HTTP = join(REPO_ROOT, 'bench', 'record-http.sh');
/** Upper bound of one case: a child still running after this is killed and reported. */
const CASE_TIMEOUT_MS = 15 * 60 * 1000;
/** Upper bound of recording the HTTP-heavy capture. */
const RECORD_TIMEOUT_MS = 10 * 60 * 1000;
const BYTES_PER_MB = 1e6;
/** Shortest processing time (wall minus start-up) that the start-up-excluded figures are computed from. */
const MIN_PROCESSING_MS = 20;
/** Captures of the anomaly stage cost table: a benign one and a flood. */
const ANOMALY_CAPTURES = ['http-heavy', 'http-small', 'synflood'];
/** Runs of each side of an anomaly stage comparison at least, because a 10% difference needs more than one run to show. */
const ANOMALY_MIN_REPEAT = 3;

type RuleSet = 'none' | 'et-open';

/** Input of one child process: one capture with one rule set. */
interface BenchCase {
  pcapPath: string;
  /** kapu.yaml to read, or null for the built-in defaults. */
  configPath: string | null;
  ruleFiles: string[];
  sets: string[];
}

/** Report that a child process sends back to the parent. */
interface ChildReport {
  ok: boolean;
  error: string;
  runMs: number;
  /** CPU time (user plus system, every thread) of the process during runCapture. */
  cpuMs: number;
  maxRssKb: number;
  packets: number;
  alerts: number;
  rulesLoaded: number;
  rulesFailed: number;
}

/** One case as the parent measured it. */
interface CaseResult extends ChildReport {
  wallMs: number;
}

type RunCapture = (options: RunOptions) => Promise<RunSummary>;

async function runChild(benchCase: BenchCase): Promise<void> {
  const report: ChildReport = {
    ok: false,
    error: '',
    runMs: 0,
    cpuMs: 0,
    maxRssKb: 0,
    packets: 0,
    alerts: 0,
    rulesLoaded: 0,
    rulesFailed: 0,
  };
  const logDir = mkdtempSync(join(tmpdir(), 'kapu-bench-log-'));
  try {
    const module = (await import(RUN_MODULE)) as { runCapture: RunCapture };
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const summary = await module.runCapture({
      pcapPath: benchCase.pcapPath,
      configPath: benchCase.configPath,
      ruleFiles: benchCase.ruleFiles,
      extraRuleFiles: [],
      logDir,
      checksumMode: null,
      sets: benchCase.sets,
      mode: null,
      env: {},
      quiet: true,
    });
    report.runMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    report.cpuMs = (cpu.user + cpu.system) / 1000;
    report.packets = summary.packets;
    report.alerts = summary.alerts;
    report.rulesLoaded = summary.rulesLoaded;
    report.rulesFailed = summary.rulesFailed;
    report.ok = true;
  } catch (err) {
    report.error = err instanceof Error ? err.message : String(err);
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
  report.maxRssKb = process.resourceUsage().maxRSS;
  process.send?.(report, () => process.exit(0));
}

function runCase(benchCase: BenchCase): Promise<CaseResult> {
  return new Promise((done) => {
    const started = performance.now();
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(benchCase)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let report: ChildReport | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
    child.on('message', (message) => {
      report = message as ChildReport;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (report === null) {
        const reason = signal === 'SIGKILL' ? `timed out after ${CASE_TIMEOUT_MS / 1000} s` : `exited with ${signal ?? code}`;
        done({ ok: false, error: `child ${reason} without a report`, runMs: 0, cpuMs: 0, maxRssKb: 0, packets: 0, alerts: 0, rulesLoaded: 0, rulesFailed: 0, wallMs });
        return;
      }
      done({ ...(report as ChildReport), wallMs });
    });
  });
}

/** Runs a case `repeat` times and keeps the run with the median wall time. */
async function runMedian(benchCase: BenchCase, repeat: number): Promise<CaseResult> {
  const results: CaseResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const result = await runCase(benchCase);
    if (!result.ok) return result;
    results.push(result);
  }
  results.sort((a, b) => a.wallMs - b.wallMs);
  return results[Math.floor(results.length / 2)];
}

function findCorpus(): string | null {
  const dir = process.env['KAPU_CORPUS'] ?? join(REPO_ROOT, '..', 'shared', 'corpus');
  return existsSync(dir) ? dir : null;
}

function listEtOpenRules(corpusDir: string | null): string[] {
  if (corpusDir === null) return [];
  const dir = join(corpusDir, 'rules', 'et-open');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.rules'))
    .sort()
    .map((name) => join(dir, name));
}

/** Records the HTTP-heavy capture when it is missing and root is available; returns the capture to use. */
function ensureHttpCapture(canRecord: boolean): string {
  if (existsSync(HTTP_HEAVY)) return HTTP_HEAVY;
  const isRoot = process.getuid?.() === 0;
  if (canRecord && isRoot) {
    process.stdout.write(`recording ${HTTP_HEAVY} with bench/record-http.sh\n`);
    const result = spawnSync(RECORD_HTTP, [], { stdio: ['ignore', 'inherit', 'inherit'], timeout: RECORD_TIMEOUT_MS });
    if (result.status === 0 && existsSync(HTTP_HEAVY)) return HTTP_HEAVY;
    process.stdout.write(`recording failed (status ${result.status ?? result.signal}); using ${HTTP_SMALL}\n`);
  } else if (canRecord) {
    process.stdout.write(`${HTTP_HEAVY} is missing and recording it needs root; using ${HTTP_SMALL}\n`);
  }
  return HTTP_SMALL;
}

function writeEmptyPcap(dir: string): string {
  // pcap file header (little-endian, version 2.4, snaplen 65535, Ethernet) and no packets.
  const path = join(dir, 'empty.pcap');
  writeFileSync(path, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
  return path;
}

function homeNetSets(homeNet: string): string[] {
  return [
    `vars.address-groups.HOME_NET=${homeNet}`,
    'vars.address-groups.EXTERNAL_NET=!$HOME_NET',
    'vars.port-groups.HTTP_PORTS=[80,8080]',
  ];
}

function formatNumber(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  process.stdout.write(`${line(header)}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  process.stdout.write('\n');
}

interface CaptureRow {
  capture: NamedCapture;
  stats: CaptureStats;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      capture: { type: 'string', multiple: true },
      repeat: { type: 'string', default: '1' },
      json: { type: 'string' },
      'no-record': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
    process.stderr.write(`bench: --repeat '${values.repeat}' is invalid (expected an integer from 1 to 20)\n`);
    return 2;
  }

  const corpusDir = findCorpus();
  const httpCapture = values.list ? HTTP_HEAVY : ensureHttpCapture(!values['no-record']);
  const all = listCaptures(REPO_ROOT, httpCapture, corpusDir);
  if (values.list) {
    for (const capture of all) process.stdout.write(`${capture.name.padEnd(14)} ${capture.path ?? '(missing)'}\n  ${capture.description}\n`);
    return 0;
  }

  const requested = values.capture ?? all.map((capture) => capture.name);
  const unknown = requested.filter((name) => !all.some((capture) => capture.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown capture '${unknown.join("', '")}' (expected one of ${all.map((c) => c.name).join(', ')})\n`);
    return 2;
  }

  const rows: CaptureRow[] = [];
  for (const capture of all) {
    if (!requested.includes(capture.name)) continue;
    if (capture.path === null) {
      process.stdout.write(`skipping ${capture.name}: file not found (corpus: ${corpusDir ?? 'not found; set KAPU_CORPUS'})\n`);
      continue;
    }
    rows.push({ capture, stats: readCaptureStats(capture.path) });
  }

  process.stdout.write(`kapu benchmark, node ${process.version}, ${repeat} run(s) per case, median wall time\n\n`);
  printTable(
    ['capture', 'file MB', 'packets', 'mean packet B'],
    rows.map(({ capture, stats }) => [capture.name, formatNumber(stats.fileBytes / BYTES_PER_MB, 2), String(stats.packets), formatNumber(stats.meanPacketBytes, 0)]),
  );

  const etRules = listEtOpenRules(corpusDir);
  const ruleSets: RuleSet[] = etRules.length > 0 ? ['none', 'et-open'] : ['none'];
  if (etRules.length === 0) process.stdout.write('ET Open not found (corpus rules/et-open); running without rules only\n\n');

  const work = mkdtempSync(join(tmpdir(), 'kapu-bench-'));
  const results: Record<string, unknown>[] = [];
  try {
    // Start-up: the same run on a capture without packets. For ET Open it is
    // also the load-only figure (parse, compile, prefilter tables).
    const emptyPcap = writeEmptyPcap(work);
    const startup = new Map<RuleSet, CaseResult>();
    const startupRows: string[][] = [];
    for (const ruleSet of ruleSets) {
      const result = await runMedian({ pcapPath: emptyPcap, configPath: null, ruleFiles: ruleSet === 'none' ? [] : etRules, sets: homeNetSets(PRIVATE_HOME_NET) }, repeat);
      if (!result.ok) {
        process.stderr.write(`bench: start-up run with rules '${ruleSet}' failed: ${result.error}\n`);
        return 1;
      }
      startup.set(ruleSet, result);
      startupRows.push([ruleSet, formatNumber(result.wallMs / 1000, 2), formatNumber(result.runMs / 1000, 2), formatNumber(result.maxRssKb / 1024, 0), String(result.rulesLoaded), String(result.rulesFailed)]);
      results.push({ kind: 'startup', rules: ruleSet, ...result });
    }
    printTable(['rules (load only)', 'wall s', 'runCapture s', 'peak RSS MB', 'loaded', 'failed'], startupRows);

    const caseRows: string[][] = [];
    for (const { capture, stats } of rows) {
      for (const ruleSet of ruleSets) {
        const benchCase: BenchCase = {
          pcapPath: capture.path as string,
          configPath: null,
          ruleFiles: ruleSet === 'none' ? [] : etRules,
          sets: homeNetSets(capture.homeNet),
        };
        const result = await runMedian(benchCase, repeat);
        if (!result.ok) {
          process.stderr.write(`bench: ${capture.name} with rules '${ruleSet}' failed: ${result.error}\n`);
          caseRows.push([capture.name, ruleSet, '-', '-', '-', '-', '-', '-', 'failed']);
          continue;
        }
        const startupMs = (startup.get(ruleSet) as CaseResult).wallMs;
        // Below MIN_PROCESSING_MS the difference is mostly start-up jitter,
        // so the figures without start-up are left blank.
        const processingMs = result.wallMs - startupMs;
        const processingS = processingMs >= MIN_PROCESSING_MS ? processingMs / 1000 : Number.NaN;
        const megabytes = stats.packetBytes / BYTES_PER_MB;
        caseRows.push([
          capture.name,
          ruleSet,
          formatNumber(result.wallMs / 1000, 2),
          formatNumber(processingS, 2),
          formatNumber(stats.packets / processingS, 0),
          formatNumber(megabytes / (result.wallMs / 1000), 2),
          formatNumber(megabytes / processingS, 2),
          formatNumber(result.maxRssKb / 1024, 0),
          String(result.alerts),
        ]);
        results.push({ kind: 'capture', capture: capture.name, rules: ruleSet, capturePackets: stats.packets, packetBytes: stats.packetBytes, startupMs, ...result });
      }
    }
    printTable(['capture', 'rules', 'wall s', 'excl. s', 'packets/s', 'MB/s incl.', 'MB/s excl.', 'peak RSS MB', 'alerts'], caseRows);

    const anomalyRows = rows.filter(({ capture }) => ANOMALY_CAPTURES.includes(capture.name)).map(({ capture }) => capture);
    if (anomalyRows.length > 0) {
      const anomalyResults = await runAnomalyCost(anomalyRows, work, Math.max(repeat, ANOMALY_MIN_REPEAT));
      results.push(...anomalyResults);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ node: process.version, repeat, results }, null, 2)}\n`);
  return 0;
}

/** Writes a kapu.yaml with the anomaly stage on or off, protecting the capture's HOME_NET. */
function writeAnomalyConfig(dir: string, homeNet: string, isOn: boolean): string {
  const networks = homeNet.replace(/^\[|\]$/g, '').split(',');
  const path = join(dir, `anomaly-${isOn ? 'on' : 'off'}-${networks.length}.yaml`);
  writeFileSync(path, `anomaly:\n  enabled: ${isOn ? 'yes' : 'no'}\n  home-networks: [${networks.join(', ')}]\n`);
  return path;
}

/**
 * Runs each capture with no rules and the anomaly stage off, then on, and
 * prints both medians and how much more the run with the stage took: the
 * wall time of the child process, and the CPU time of runCapture, which
 * other processes on a busy machine disturb less. The two sides alternate,
 * so a burst of load on the machine hits both alike.
 */
async function runAnomalyCost(captures: NamedCapture[], work: string, repeat: number): Promise<Record<string, unknown>[]> {
  const tableRows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const capture of captures) {
    const sides = [false, true].map((isOn) => ({
      pcapPath: capture.path as string,
      configPath: writeAnomalyConfig(work, capture.homeNet, isOn),
      ruleFiles: [],
      sets: homeNetSets(capture.homeNet),
    }));
    const runs: CaseResult[][] = [[], []];
    let failure: string | null = null;
    for (let i = 0; i < repeat && failure === null; i++) {
      for (let side = 0; side < 2; side++) {
        const result = await runCase(sides[side] as BenchCase);
        if (!result.ok) failure = result.error;
        (runs[side] as CaseResult[]).push(result);
      }
    }
    if (failure !== null) {
      process.stderr.write(`bench: ${capture.name} with the anomaly stage failed: ${failure}\n`);
      tableRows.push([capture.name, '-', '-', '-', '-', '-', '-', 'failed']);
      continue;
    }
    const [off, on] = runs.map((list) => ({
      wallMs: medianOf(list.map((r) => r.wallMs)),
      runMs: medianOf(list.map((r) => r.runMs)),
      cpuMs: medianOf(list.map((r) => r.cpuMs)),
      maxRssKb: medianOf(list.map((r) => r.maxRssKb)),
      alerts: (list[0] as CaseResult).alerts,
    })) as [AnomalyCostSide, AnomalyCostSide];
    const percent = (a: number, b: number): string => `${b >= a ? '+' : ''}${formatNumber(((b - a) / a) * 100, 1)}%`;
    tableRows.push([
      capture.name,
      formatNumber(off.wallMs / 1000, 3),
      formatNumber(on.wallMs / 1000, 3),
      percent(off.wallMs, on.wallMs),
      formatNumber(off.cpuMs / 1000, 3),
      formatNumber(on.cpuMs / 1000, 3),
      percent(off.cpuMs, on.cpuMs),
      `${formatNumber(off.maxRssKb / 1024, 0)} / ${formatNumber(on.maxRssKb / 1024, 0)}`,
      String(on.alerts),
    ]);
    results.push({ kind: 'anomaly-cost', capture: capture.name, repeat, off, on });
  }
  process.stdout.write(`anomaly stage cost: no rules, stage off and on, median of ${repeat} runs each (target: at most +10%)\n`);
  printTable(['capture', 'wall off s', 'wall on s', 'wall +', 'CPU off s', 'CPU on s', 'CPU +', 'peak RSS MB off / on', 'alerts on'], tableRows);
  return results;
}

interface AnomalyCostSide {
  wallMs: number;
  runMs: number;
  cpuMs: number;
  maxRssKb: number;
  alerts: number;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

if (process.argv[2] === '--child') {
  await runChild(JSON.parse(process.argv[3]) as BenchCase);
} else {
  process.exitCode = await main();
}
