// Runs kapu rules update on the Emerging Threats Open ruleset of the shared
// corpus (env KAPU_CORPUS, or a shared/corpus folder beside the repository
// or its parent) as a local folder source, with one filter of each kind.
// The counts are checked against a plain line count of the rule files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load-config.js';
import { updateRules } from './rules-update.js';

const repoRoot = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const corpusCandidates = [resolve(repoRoot, '../shared/corpus'), resolve(repoRoot, '../../shared/corpus')];
const corpus = process.env['KAPU_CORPUS'] ?? corpusCandidates.find((dir) => existsSync(dir)) ?? corpusCandidates[0];
const etDir = join(corpus, 'rules/et-open');

const ENABLED = /^(alert|drop|pass|reject)\s/;
const DISABLED = /^#\s*(alert|drop|pass|reject)\s.*\bsid\s*:/;

/** Counts the enabled and disabled rule lines of one ET Open file. */
function countLines(file: string, pick: (line: string) => boolean = () => true): { enabled: number; disabled: number } {
  let enabled = 0;
  let disabled = 0;
  for (const line of readFileSync(join(etDir, file), 'utf8').split('\n')) {
    if (!pick(line)) continue;
    if (ENABLED.test(line)) enabled++;
    else if (DISABLED.test(line)) disabled++;
  }
  return { enabled, disabled };
}

test('ET Open update with filters', { skip: existsSync(etDir) ? false : `no ET Open ruleset at ${etDir}` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-et-update-'));
  const sets = [
    'policy.disable.0=2019401',
    'policy.disable.1=group:emerging-games',
    'policy.enable.0=group:emerging-icmp',
    'policy.drop.0=metadata: signature_severity Major',
    'policy.modify.0=2019401 "rev:40;" "rev:41;"',
  ];
  const { config } = loadConfig(null, sets);
  const output = join(dir, 'kapu.rules');
  const result = await updateRules({
    config,
    sources: [{ location: etDir, isUrl: false, checksumUrl: null }],
    outputPath: output,
    cacheDir: join(dir, 'cache'),
    timeoutMs: 5000,
    ignore: config.rulesUpdate.ignore,
  });

  const files = readdirSync(etDir).filter((f) => f.endsWith('.rules'));
  let total = 0;
  for (const file of files) {
    const counted = countLines(file);
    total += counted.enabled + counted.disabled;
  }
  assert.equal(result.total, total);
  assert.deepEqual(result.duplicates, []);

  // 2019401 (enabled in emerging-policy.rules) and every enabled rule of emerging-games.
  const games = countLines('emerging-games.rules');
  assert.equal(result.filters.disabled.length, games.enabled + 1);
  assert.ok(result.filters.disabled.includes('1:2019401'));

  // emerging-icmp.rules ships every rule commented out.
  const icmp = countLines('emerging-icmp.rules');
  assert.equal(icmp.enabled, 0);
  assert.equal(result.filters.enabled.length, icmp.disabled);

  // Every rule with that severity, enabled or not, except noalert rules.
  let major = 0;
  for (const file of files) {
    const counted = countLines(file, (line) => /signature_severity Major[,;]/.test(line) && !/flowbits:\s*noalert|[;(]\s*noalert;/.test(line));
    major += counted.enabled + counted.disabled;
  }
  assert.ok(major > 0);
  assert.equal(result.filters.dropped.length, major);
  assert.deepEqual(result.filters.modified, ['1:2019401']);

  const written = readFileSync(output, 'utf8').split('\n');
  const line = written.find((l) => l.includes('sid:2019401;')) ?? '';
  assert.ok(line.startsWith('# alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET POLICY Vulnerable Java Version 1.8.x Detected";'), line);
  assert.ok(line.endsWith('sid:2019401; rev:41; metadata:affected_product Java, attack_target Client_Endpoint, created_at 2014_10_15, deployment Perimeter, deployment Internal, former_category POLICY, performance_impact Low, signature_severity Informational, updated_at 2024_01_25, reviewed_at 2023_09_22;)'), line);

  assert.ok(result.load !== null);
  assert.ok(result.load.summary.loaded > 20000, `loaded ${result.load.summary.loaded}`);
  assert.equal(result.changes.added.length, total);
});
