/**
 * The command line of `kapu verify`: option parsing, the printed lines, the
 * `--json` result file and the exit status.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type { CaseEntry } from './verify-case.js';
import {
  MANIFEST_FILTERS,
  findManifestDir,
  isManifestFilterName,
  readManifest,
  selectManifestCases,
  type ManifestFilterName,
  type ManifestTest,
} from './verify-manifest.js';
import { FOLLOWED_SURICATA_VERSION, parseVersion } from './verify-requires.js';
import {
  countResults,
  defaultVerifyOptions,
  discoverCases,
  DEFAULT_CASE_TIMEOUT_S,
  formatResultLine,
  formatTotalsLine,
  loadRunCapture,
  verifyCases,
  type CaseResult,
  type RunCaptureFn,
} from './verify.js';

export const VERIFY_USAGE = `Usage: kapu verify [options] DIR...

Runs suricata-verify style test folders (test.yaml, a pcap and rules) and
prints PASS, FAIL or SKIP for each. DIR is a test folder or a folder with
test folders below it.

Options:
  --json FILE               write the results as JSON to FILE
  --out DIR                 write each case's output to DIR/<case> and keep it
                            (default: a temporary folder, removed afterwards)
  --timeout SECONDS         time limit of one case (default ${DEFAULT_CASE_TIMEOUT_S})
  --manifest-filter NAME    run only the MANIFEST.json tests of DIR (the corpus
                            root) selected by NAME: ${Object.keys(MANIFEST_FILTERS).join(', ')}
  --suricata-version VER    judge requires: (test.yaml and rules) against this Suricata version
                            (default ${FOLLOWED_SURICATA_VERSION})
  -h, --help                print this help
`;

/** Output streams and capture run of a command invocation, which tests replace. */
export interface VerifyCommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** The capture run; loadRunCapture() when absent. */
  runner?: RunCaptureFn;
}

const defaultIo: VerifyCommandIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** Figures of one manifest selection among a run's results. */
export interface GroupFigures {
  filter: ManifestFilterName;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
}

/** The selections whose figures are printed after a run with each filter: the filter and its parts. */
const FIGURE_GROUPS: Record<ManifestFilterName, ManifestFilterName[]> = {
  'no-app': ['no-app', 'no-app-alerts', 'no-app-negative'],
  'no-app-alerts': ['no-app-alerts'],
  'no-app-negative': ['no-app-negative'],
  app: ['app', 'app-alerts'],
  'app-alerts': ['app-alerts'],
  'http-evader': ['http-evader'],
};

/**
 * Counts results per manifest selection: the given filter and its parts
 * (no-app splits into no-app-alerts and no-app-negative, app into app-alerts).
 */
export function computeManifestFigures(
  corpusDir: string,
  filter: ManifestFilterName,
  results: CaseResult[],
): GroupFigures[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  const tests = readManifest(corpusDir);
  const figures: GroupFigures[] = [];
  for (const group of FIGURE_GROUPS[filter]) {
    figures.push(countGroup(group, tests, byName));
  }
  return figures;
}

function countGroup(filter: ManifestFilterName, tests: ManifestTest[], byName: Map<string, CaseResult>): GroupFigures {
  const group: GroupFigures = { filter, total: 0, passed: 0, failed: 0, skipped: 0 };
  for (const test of tests.filter(MANIFEST_FILTERS[filter])) {
    const result = byName.get(test.name);
    if (result === undefined) continue;
    group.total++;
    if (result.status === 'pass') group.passed++;
    else if (result.status === 'fail') group.failed++;
    else group.skipped++;
  }
  return group;
}

/** Formats one group: `no-app: 187 cases, 120 passed (64.2%), 50 failed, 17 skipped`. */
export function formatGroupFigures(group: GroupFigures): string {
  const percent = group.total === 0 ? '0.0' : ((100 * group.passed) / group.total).toFixed(1);
  return `${group.filter}: ${group.total} cases, ${group.passed} passed (${percent}%), ${group.failed} failed, ${group.skipped} skipped`;
}

function fail(io: VerifyCommandIo, message: string): number {
  io.stderr(`kapu verify: ${message}`);
  io.stderr('Run kapu verify --help for the options.');
  return 2;
}

/**
 * Runs `kapu verify` with the words after `verify`. Returns the exit
 * status: 0 when no case failed, 1 when one did, 2 for bad arguments.
 */
export async function runVerifyCommand(argv: string[], io: VerifyCommandIo = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'string' },
        out: { type: 'string' },
        timeout: { type: 'string' },
        'manifest-filter': { type: 'string' },
        'suricata-version': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return fail(io, (err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(VERIFY_USAGE.trimEnd());
    return 0;
  }
  if (positionals.length === 0) return fail(io, 'missing DIR: name at least one test folder');

  let runner: RunCaptureFn;
  try {
    runner = io.runner ?? (await loadRunCapture());
  } catch (err) {
    io.stderr(`kapu verify: ${(err as Error).message}`);
    return 1;
  }
  const options = defaultVerifyOptions(runner);
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return fail(io, `--timeout: '${values.timeout}' is not a positive number of seconds`);
    }
    options.timeoutMs = seconds * 1000;
  }
  if (values['suricata-version'] !== undefined) {
    if (parseVersion(values['suricata-version']) === null) {
      return fail(io, `--suricata-version: '${values['suricata-version']}' is not a version such as 8.0.0`);
    }
    options.context = { ...options.context, version: values['suricata-version'] };
  }
  if (values.out !== undefined) options.outRoot = values.out;

  const filter = values['manifest-filter'];
  let entries: CaseEntry[];
  try {
    if (filter === undefined) {
      entries = discoverCases(positionals);
    } else if (!isManifestFilterName(filter)) {
      return fail(io, `--manifest-filter: unknown filter '${filter}' (expected ${Object.keys(MANIFEST_FILTERS).join(', ')})`);
    } else {
      entries = positionals.flatMap((dir) => selectManifestCases(findManifestDir(dir), filter));
    }
  } catch (err) {
    return fail(io, (err as Error).message);
  }

  options.onResult = (result) => {
    io.stdout(formatResultLine(result));
    for (const warning of result.warnings) io.stderr(`warning: ${result.name}: ${warning}`);
  };
  const results = await verifyCases(entries, options);

  if (filter !== undefined) {
    for (const dir of positionals) {
      for (const group of computeManifestFigures(findManifestDir(dir), filter as ManifestFilterName, results)) {
        io.stdout(formatGroupFigures(group));
      }
    }
  }
  const totals = countResults(results);
  io.stdout(formatTotalsLine(totals));

  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  }
  return totals.failed === 0 ? 0 : 1;
}
