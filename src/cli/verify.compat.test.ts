/**
 * Compatibility figures over the suricata-verify corpus: runs three
 * selections through `kapu verify` (the cases without an application
 * protocol, those with http, dns, tls or ssh, and http-evader) and asserts
 * the pass rates that kapu commits to. The corpus is found at $KAPU_CORPUS or
 * ../shared/corpus beside the repository; without it the test is skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { computeManifestFigures, formatGroupFigures, type GroupFigures } from './verify-command.js';
import { MANIFEST_FILE, selectManifestCases, type ManifestFilterName } from './verify-manifest.js';
import { FOLLOWED_SURICATA_VERSION } from './verify-requires.js';
import { defaultVerifyOptions, loadRunCapture, verifyCases, formatResultLine } from './verify.js';

/** Group sizes of the shared corpus part; a change means the corpus changed. */
const EXPECTED_NO_APP_CASES = 187;
const EXPECTED_NO_APP_ALERT_CASES = 170;
const EXPECTED_NO_APP_NEGATIVE_CASES = 17;
const EXPECTED_APP_CASES = 470;
const EXPECTED_APP_ALERT_CASES = 414;
const EXPECTED_HTTP_EVADER_CASES = 373;

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Finds the suricata-verify folder: $KAPU_CORPUS (the corpus or that folder itself), else ../shared/corpus. */
function findSuiteDir(): string | null {
  const roots = [process.env.KAPU_CORPUS, join(REPO_ROOT, '..', 'shared', 'corpus')];
  for (const root of roots) {
    if (root === undefined || root === '') continue;
    for (const dir of [join(root, 'suricata-verify'), root]) {
      if (existsSync(join(dir, MANIFEST_FILE))) return resolve(dir);
    }
  }
  return null;
}

const suiteDir = findSuiteDir();

const SKIP = suiteDir === null ? 'corpus not found: set KAPU_CORPUS or place it at ../shared/corpus' : false;

/**
 * Runs the selection `filter`, judging requires against Suricata `version`,
 * prints its figures and the cases that did not pass, and returns the figures.
 */
async function runSelection(filter: ManifestFilterName, version: string): Promise<GroupFigures[]> {
  const dir = suiteDir as string;
  const entries = selectManifestCases(dir, filter);
  const options = defaultVerifyOptions(await loadRunCapture());
  options.context = { ...options.context, version };
  const results = await verifyCases(entries, options);

  const resultsPath = join(tmpdir(), `kapu-verify-compat-${filter}.json`);
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  const figures = computeManifestFigures(dir, filter, results);
  for (const group of figures) console.log(formatGroupFigures(group));
  for (const result of results) {
    if (result.status !== 'pass') console.log(`  ${formatResultLine(result)}`);
  }
  console.log(`results: ${resultsPath}`);
  return figures;
}

/** Asserts that at least `rate` of the group's cases passed (skipped ones count as not passed). */
function assertPassRate(group: GroupFigures, rate: number): void {
  assert.ok(group.passed >= rate * group.total, `${group.filter}: ${group.passed} of ${group.total} cases passed, below ${rate * 100}%`);
}

test('suricata-verify cases without app protocol', { skip: SKIP }, async () => {
  const [all, alerting, negative] = await runSelection('no-app', FOLLOWED_SURICATA_VERSION);
  assert.equal(all!.total, EXPECTED_NO_APP_CASES);
  assert.equal(alerting!.total, EXPECTED_NO_APP_ALERT_CASES);
  assert.equal(negative!.total, EXPECTED_NO_APP_NEGATIVE_CASES);
  assertPassRate(all!, 0.8);
  assertPassRate(alerting!, 0.8);
});

// The app selection is judged against Suricata 9, the version its expectations are written for.
test('suricata-verify cases with http dns tls ssh', { skip: SKIP }, async () => {
  const [all, alerting] = await runSelection('app', '9.0.0');
  assert.equal(all!.total, EXPECTED_APP_CASES);
  assert.equal(alerting!.total, EXPECTED_APP_ALERT_CASES);
  assertPassRate(all!, 0.9);
  assertPassRate(alerting!, 0.9);
});

test('suricata-verify http-evader cases', { skip: SKIP }, async () => {
  const [all] = await runSelection('http-evader', FOLLOWED_SURICATA_VERSION);
  assert.equal(all!.total, EXPECTED_HTTP_EVADER_CASES);
  assertPassRate(all!, 0.95);
});
