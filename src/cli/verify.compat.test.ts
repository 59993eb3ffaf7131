/**
 * Compatibility figures over the suricata-verify corpus: runs the cases
 * without an application protocol through `kapu verify` and asserts the
 * pass rates that kapu commits to. The corpus is found at $KAPU_CORPUS or
 * ../shared/corpus beside the repository; without it the test is skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { computeManifestFigures, formatGroupFigures } from './verify-command.js';
import { MANIFEST_FILE, selectManifestCases } from './verify-manifest.js';
import { defaultVerifyOptions, loadRunCapture, verifyCases, formatResultLine } from './verify.js';

/** Share of cases that must pass, of all cases in the group (skipped ones count as not passed). */
const MIN_PASS_RATE = 0.6;
/** Group sizes of the shared corpus part; a change means the corpus changed. */
const EXPECTED_NO_APP_CASES = 187;
const EXPECTED_NO_APP_ALERT_CASES = 170;
const EXPECTED_NO_APP_NEGATIVE_CASES = 17;

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

test(
  'suricata-verify cases without app protocol',
  { skip: suiteDir === null ? 'corpus not found: set KAPU_CORPUS or place it at ../shared/corpus' : false },
  async () => {
    const dir = suiteDir as string;
    const entries = selectManifestCases(dir, 'no-app');
    const options = defaultVerifyOptions(await loadRunCapture());
    const results = await verifyCases(entries, options);

    const resultsPath = join(tmpdir(), 'kapu-verify-compat.json');
    writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
    const figures = computeManifestFigures(dir, 'no-app', results);
    for (const group of figures) console.log(formatGroupFigures(group));
    for (const result of results) {
      if (result.status !== 'pass') console.log(`  ${formatResultLine(result)}`);
    }
    console.log(`results: ${resultsPath}`);

    const [all, alerting, negative] = figures;
    assert.equal(all.total, EXPECTED_NO_APP_CASES);
    assert.equal(alerting.total, EXPECTED_NO_APP_ALERT_CASES);
    assert.equal(negative.total, EXPECTED_NO_APP_NEGATIVE_CASES);
    assert.ok(
      all.passed >= MIN_PASS_RATE * all.total,
      `${all.passed} of ${all.total} cases without app protocol passed, below ${MIN_PASS_RATE * 100}%`,
    );
    assert.ok(
      alerting.passed >= MIN_PASS_RATE * alerting.total,
      `${alerting.passed} of ${alerting.total} cases that expect alerts passed, below ${MIN_PASS_RATE * 100}%`,
    );
  },
);
