/**
 * `kapu verify DIR...`: runs suricata-verify style test folders (a pcap,
 * rules and a test.yaml of checks) through the same capture run as
 * `kapu run`, one case after another in this process, and reports each case
 * as PASS, FAIL or SKIP.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import type { RunOptions, RunSummary } from './run-options.js';
import { judgeCheck, OutputFolder } from './verify-checks.js';
import { buildRunOptions, findEtcDir, loadCase, mapArgs, TEST_YAML, type CaseEntry, type VerifyCase } from './verify-case.js';
import { defaultRequireContext, judgeRequires, type RequireContext } from './verify-requires.js';

/** The capture run that a case goes through: runCapture of run.ts, or a stand-in in tests. */
export type RunCaptureFn = (options: RunOptions) => Promise<RunSummary>;

/** Default time limit of a case, capture run and checks together (`--timeout`). */
export const DEFAULT_CASE_TIMEOUT_S = 60;

/** Folder levels searched below a DIR argument for test.yaml files. */
const MAX_DISCOVERY_DEPTH = 12;

export type CaseStatus = 'pass' | 'fail' | 'skip';

/** The verdict on one case, as printed and as written by `--json`. */
export interface CaseResult {
  name: string;
  status: CaseStatus;
  /** Reasons for a failure (one entry per failed check) or for a skip. */
  reasons: string[];
  /** Problems that did not decide the verdict, such as an argument kapu ignored. */
  warnings: string[];
  /** Wall time of the case in milliseconds. */
  timeMs: number;
}

/** Settings of verifyCases. */
export interface VerifyOptions {
  runner: RunCaptureFn;
  context: RequireContext;
  /** Output root (`--out`): each case writes to `<outRoot>/<name>`, kept. Null for temporary folders, removed. */
  outRoot: string | null;
  timeoutMs: number;
  /** Called with each case's result as soon as it is known. */
  onResult: (result: CaseResult) => void;
}

/** Builds VerifyOptions with the defaults: Suricata 8.0.0, temporary output, 60 s per case. */
export function defaultVerifyOptions(runner: RunCaptureFn): VerifyOptions {
  return {
    runner,
    context: defaultRequireContext(),
    outRoot: null,
    timeoutMs: DEFAULT_CASE_TIMEOUT_S * 1000,
    onResult: () => {},
  };
}

/**
 * Loads runCapture from run.ts. The import is resolved at run time, so this
 * file compiles and its tests run with a stand-in runner alone.
 */
export async function loadRunCapture(): Promise<RunCaptureFn> {
  const specifier = './run.js';
  let mod: { runCapture?: unknown };
  try {
    mod = (await import(specifier)) as { runCapture?: unknown };
  } catch (err) {
    throw new Error(`the capture run (src/cli/run.ts) could not be loaded: ${(err as Error).message}`);
  }
  if (typeof mod.runCapture !== 'function') throw new Error('src/cli/run.ts does not export runCapture');
  return mod.runCapture as RunCaptureFn;
}

function findCaseDirs(dir: string, depth: number, found: string[]): void {
  if (existsSync(join(dir, TEST_YAML))) found.push(dir);
  if (depth >= MAX_DISCOVERY_DEPTH) return;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findCaseDirs(path, depth + 1, found);
  }
}

/**
 * Lists the cases under each DIR: DIR itself when it contains a test.yaml,
 * and every folder below it that contains one. A case is named by its path
 * relative to DIR (DIR's own name for DIR itself).
 */
export function discoverCases(dirs: string[]): CaseEntry[] {
  const entries: CaseEntry[] = [];
  for (const dirArgument of dirs) {
    const root = resolve(dirArgument);
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`${dirArgument}: folder not found`);
    const found: string[] = [];
    findCaseDirs(root, 0, found);
    if (found.length === 0) throw new Error(`${dirArgument}: no test.yaml in this folder or below; give a suricata-verify case folder`);
    for (const dir of found) {
      const name = dir === root ? basename(root) : relative(root, dir);
      entries.push({ name, dir, manifestPcapPath: null, etcDir: findEtcDir(dir) });
    }
  }
  return entries;
}

class CaseTimeoutError extends Error {}

/** Waits for a promise for at most `ms`. The promise keeps running past the limit. */
async function waitWithLimit<T>(promise: Promise<T>, ms: number, crash: Promise<never>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CaseTimeoutError(`timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, limit, crash]);
  } finally {
    clearTimeout(timer);
  }
}

function prepareOutDir(outRoot: string | null, name: string): string {
  if (outRoot === null) return mkdtempSync(join(tmpdir(), 'kapu-verify-'));
  const dir = resolve(outRoot, name);
  if (relative(resolve(outRoot), dir).startsWith('..')) throw new Error(`case name ${name} leaves the output folder`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function judgeSkipList(skip: unknown, context: RequireContext): string | null {
  if (!Array.isArray(skip)) return null;
  for (const item of skip) {
    const feature = (item as { feature?: unknown } | null)?.feature;
    if (typeof feature === 'string' && context.features.includes(feature)) {
      const msg = (item as { msg?: unknown }).msg;
      return typeof msg === 'string' ? msg : `skipped with feature ${feature}`;
    }
  }
  return null;
}

/** Decides before the run whether a case is skipped. Returns the reason, or null to run it. */
function findSkipReason(testCase: VerifyCase, context: RequireContext): string | null {
  const verdict = judgeRequires(testCase.requires, context);
  if (!verdict.met) return verdict.reason;
  const skipped = judgeSkipList(testCase.skip, context);
  if (skipped !== null) return skipped;
  if (testCase.pcapPath === null) return 'no capture in the folder';
  return null;
}

async function runAndJudge(
  entry: CaseEntry,
  options: VerifyOptions,
  crash: Promise<never>,
  result: CaseResult,
): Promise<void> {
  let testCase: VerifyCase;
  try {
    testCase = loadCase(entry, options.context.version);
  } catch (err) {
    result.status = 'fail';
    result.reasons.push(`invalid test: ${(err as Error).message}`);
    return;
  }

  const skipReason = findSkipReason(testCase, options.context);
  if (skipReason !== null) {
    result.status = 'skip';
    result.reasons.push(skipReason);
    return;
  }
  for (const key of testCase.unsupportedKeys) result.reasons.push(`test.yaml ${key}: not supported`);
  if (testCase.runCount > 1) result.warnings.push(`test.yaml count: ${testCase.runCount} runs requested, one made`);
  for (const word of mapArgs(testCase.args, testCase.dir).unsupported) {
    result.warnings.push(`argument not supported, left out: ${word}`);
  }

  const outDir = prepareOutDir(options.outRoot, entry.name);
  let isRunPending = false;
  try {
    const run = options.runner({ ...buildRunOptions(testCase, outDir, entry.etcDir), requiresVersion: options.context.version });
    isRunPending = true;
    // Also keeps a run that outlives its limit from failing later as an
    // unhandled rejection.
    run.then(
      () => (isRunPending = false),
      () => (isRunPending = false),
    );
    await waitWithLimit(run, options.timeoutMs, crash);

    const output = new OutputFolder(outDir, testCase.dir);
    for (const check of testCase.checks) {
      if (!judgeRequires(check.requires, options.context).met) continue;
      const outcome = judgeCheck(check, output);
      if (!outcome.ok) result.reasons.push(outcome.reason);
    }
  } finally {
    // NOTE: a run past its time limit keeps going in the background, because
    // RunOptions has no way to stop it. Its temporary folder is kept so its
    // late writes do not fail.
    if (options.outRoot === null && !isRunPending) rmSync(outDir, { recursive: true, force: true });
  }
  result.status = result.reasons.length === 0 ? 'pass' : 'fail';
}

/**
 * Runs one case: resolves the folder, judges `requires:`, runs the capture
 * into a fresh output folder within the time limit, and judges every check
 * that applies. A case whose run throws, crashes or times out fails with
 * the error as reason.
 */
export async function verifyCase(entry: CaseEntry, options: VerifyOptions): Promise<CaseResult> {
  const started = performance.now();
  const result: CaseResult = { name: entry.name, status: 'fail', reasons: [], warnings: [], timeMs: 0 };

  // An exception thrown outside the run's promise chain (a timer, a stream
  // callback) would otherwise end the whole process.
  let onCrash: (err: unknown) => void = () => {};
  const crash = new Promise<never>((_, reject) => {
    onCrash = reject;
  });
  crash.catch(() => {});
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  try {
    await runAndJudge(entry, options, crash, result);
  } catch (err) {
    result.status = 'fail';
    const message = err instanceof Error ? err.message : String(err);
    result.reasons.push(err instanceof CaseTimeoutError ? message : `run failed: ${message}`);
  } finally {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }

  result.timeMs = Math.round(performance.now() - started);
  return result;
}

/** Runs cases one after another and returns their results in order. */
export async function verifyCases(entries: CaseEntry[], options: VerifyOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const entry of entries) {
    const result = await verifyCase(entry, options);
    results.push(result);
    options.onResult(result);
  }
  return results;
}

/** Formats the line of one case: `PASS name`, `FAIL name: reason` or `SKIP name: reason`. */
export function formatResultLine(result: CaseResult): string {
  const label = result.status.toUpperCase();
  if (result.reasons.length === 0) return `${label} ${result.name}`;
  return `${label} ${result.name}: ${result.reasons.join('; ')}`;
}

/** Counts of a result list. */
export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts passed, failed and skipped cases. */
export function countResults(results: CaseResult[]): Totals {
  const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
  for (const result of results) {
    if (result.status === 'pass') totals.passed++;
    else if (result.status === 'fail') totals.failed++;
    else totals.skipped++;
  }
  return totals;
}

/** Formats the final line: `N passed, M failed`, plus `, K skipped` when any were. */
export function formatTotalsLine(totals: Totals): string {
  const line = `${totals.passed} passed, ${totals.failed} failed`;
  return totals.skipped > 0 ? `${line}, ${totals.skipped} skipped` : line;
}
