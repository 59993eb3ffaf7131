/**
 * ET Open on the attack captures of the corpus: the alerts of every
 * capture, counted per sid, must equal the list in
 * test/expected/et-open-attack-alerts.tsv, whose rows were each checked
 * by hand against the capture. A new alert, a lost one or a changed count
 * fails the test and names the capture and sid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { runCapture } from '../cli/run.js';
import { loadConfig } from '../config/load-config.js';
import { loadRules } from '../engine/build-pipeline.js';
import { CORPUS_DIR, REPO_ROOT } from '../../test/corpus-path.js';

const ATTACKS = join(CORPUS_DIR, 'pcaps', 'attacks');
const ET_OPEN = join(CORPUS_DIR, 'rules', 'et-open');
const EXPECTED = join(REPO_ROOT, 'test', 'expected', 'et-open-attack-alerts.tsv');
const SKIP = existsSync(ATTACKS) && existsSync(ET_OPEN) ? false : `${ATTACKS} or ${ET_OPEN} not found (set KAPU_CORPUS)`;

const CONFIG = [
  'vars:',
  '  address-groups:',
  '    HOME_NET: "any"',
  '    EXTERNAL_NET: "any"',
  'outputs:',
  '  - eve-log:',
  '      enabled: yes',
  '      filename: eve.json',
  '      types:',
  '        - alert',
  '',
].join('\n');

/** Returns the capture files below `dir`, in path order. */
function captureFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...captureFiles(path));
    else if (/\.(pcap|pcapng|cap)$/.test(name)) found.push(path);
  }
  return found;
}

/** Reads the expected rows as `capture sid` to alert count. */
function readExpected(path: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('capture\t')) continue;
    const [capture, sid, alerts] = line.split('\t');
    rows.set(`${capture} ${sid}`, Number(alerts));
  }
  return rows;
}

test('et open alerts on attack captures', { skip: SKIP, timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-et-attacks-'));
  try {
    const configPath = join(dir, 'kapu.yaml');
    writeFileSync(configPath, CONFIG);
    const config = loadConfig(configPath, []).config;
    const ruleFiles = readdirSync(ET_OPEN).filter((name) => name.endsWith('.rules')).sort().map((name) => join(ET_OPEN, name));
    const rules = loadRules(config, ruleFiles, []);

    const got = new Map<string, number>();
    const captures = captureFiles(ATTACKS);
    for (const [index, capture] of captures.entries()) {
      const logDir = join(dir, String(index));
      await runCapture({
        pcapPath: capture,
        configPath,
        ruleFiles: null,
        extraRuleFiles: [],
        logDir,
        checksumMode: 'none',
        sets: [],
        mode: 'ids',
        env: {},
        quiet: true,
        loadedRules: rules,
      });
      const name = relative(ATTACKS, capture);
      for (const line of readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n')) {
        if (line === '') continue;
        const event = JSON.parse(line) as { event_type: string; alert?: { signature_id: number } };
        if (event.event_type !== 'alert' || event.alert === undefined) continue;
        const key = `${name} ${event.alert.signature_id}`;
        got.set(key, (got.get(key) ?? 0) + 1);
      }
      rmSync(logDir, { recursive: true, force: true });
    }

    const expected = readExpected(EXPECTED);
    const differences: string[] = [];
    for (const [key, count] of expected) {
      if (got.get(key) !== count) differences.push(`${key}: expected ${count} alerts, got ${got.get(key) ?? 0}`);
    }
    for (const [key, count] of got) {
      if (!expected.has(key)) differences.push(`${key}: ${count} alerts not in the list`);
    }
    assert.deepEqual(differences, []);
    assert.ok(captures.length >= 150, `only ${captures.length} attack captures found`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
