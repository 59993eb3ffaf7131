// Loads the Emerging Threats Open ruleset from the shared corpus (env
// KAPU_CORPUS, or a shared/corpus folder beside the repository or its
// parent) and checks that
// the load completes and every failed rule has a coded, located reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../core/errors.js';
import { loadRuleFiles } from './rule-files.js';

const repoRoot = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const corpusCandidates = [resolve(repoRoot, '../shared/corpus'), resolve(repoRoot, '../../shared/corpus')];
const corpus = process.env['KAPU_CORPUS'] ?? corpusCandidates.find((dir) => existsSync(dir)) ?? corpusCandidates[0];
const etDir = join(corpus, 'rules/et-open');
const RULE_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode).filter((c) => c.startsWith('KAPU_ERR_RULE_')));

test('ET Open loads with coded diagnostics', { skip: existsSync(etDir) ? false : `no ET Open ruleset at ${etDir}` }, () => {
  const files = readdirSync(etDir)
    .filter((f) => f.endsWith('.rules'))
    .sort()
    .map((f) => join(etDir, f));
  const result = loadRuleFiles(files);
  const { summary } = result;

  assert.ok(summary.loaded > 0, 'some rules load');
  assert.ok(summary.loaded + summary.failed > 20000, `about 25k active rules, found ${summary.loaded + summary.failed}`);
  for (const d of result.diagnostics) {
    assert.ok(RULE_CODES.has(d.code), `diagnostic without a known rule code: ${JSON.stringify(d)}`);
    assert.ok(d.line > 0, `diagnostic without a line: ${JSON.stringify(d)}`);
    assert.ok(d.column > 0, `diagnostic without a column: ${JSON.stringify(d)}`);
    assert.ok(d.length > 0, `diagnostic without a length: ${JSON.stringify(d)}`);
    assert.ok(d.message.length > 0);
  }
  const failedCounted = summary.failuresByReason.reduce((n, r) => n + r.count, 0);
  assert.equal(failedCounted, summary.failed);
  assert.ok(
    summary.failuresByReason.every((r) => r.code !== ErrorCode.RULE_SYNTAX),
    `syntax errors in ET Open: ${JSON.stringify(summary.failuresByReason.filter((r) => r.code === ErrorCode.RULE_SYNTAX))}`,
  );
});
