import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { ConfigError } from '../core/errors.js';
import { loadRuleFiles } from '../detect/rule-files.js';
import { Action } from '../detect/signature.js';
import { resolveRuleFiles } from '../engine/build-pipeline.js';
import { reloadRules } from '../engine/rule-reload.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from '../engine/run-pipeline.js';
import {
  BUNDLED_CATALOG_DIR,
  catalogDirOf,
  describePatches,
  enabledPatchFiles,
  listPatchFiles,
  parseCveId,
  readDisabledPatches,
  stateFileOf,
  writeDisabledPatches,
} from './virtual-patches.js';

/** The CVEs of the bundled catalog, one file each, in name order. */
const CATALOG_CVES = [
  'CVE-2014-6271',
  'CVE-2017-5638',
  'CVE-2017-9841',
  'CVE-2019-19781',
  'CVE-2021-34473',
  'CVE-2021-41773',
  'CVE-2021-42013',
  'CVE-2021-44228',
  'CVE-2022-22965',
  'CVE-2022-26134',
];

/** Sid range reserved for the catalog; each patch has a block of ten. */
const FIRST_SID = 9100000;
const LAST_SID = 9100999;

/** Creates a catalog folder with two patches copied from the bundled one. */
function scratchCatalog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-'));
  for (const name of ['cve-2014-6271.rules', 'cve-2017-9841.rules']) copyFileSync(join(BUNDLED_CATALOG_DIR, name), join(dir, name));
  writeFileSync(join(dir, 'README.txt'), 'not a patch\n');
  return dir;
}

test('catalog lists one file per cve', () => {
  assert.deepEqual(listPatchFiles(BUNDLED_CATALOG_DIR).map((p) => p.cve), CATALOG_CVES);
});

test('catalog rules load as drop rules', () => {
  const seen = new Set<number>();
  for (const { cve, file } of listPatchFiles(BUNDLED_CATALOG_DIR)) {
    const loaded = loadRuleFiles([file]);
    assert.equal(loaded.summary.failed, 0, `${cve}: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
    assert.ok(loaded.signatures.length >= 1, cve);
    const year = cve.slice(4);
    for (const s of loaded.signatures) {
      assert.equal(s.action, Action.DROP, `${cve} sid ${s.sid}`);
      assert.ok(s.sid >= FIRST_SID, `${cve} sid ${s.sid} below the reserved range`);
      assert.ok(s.sid <= LAST_SID, `${cve} sid ${s.sid} above the reserved range`);
      assert.ok(!seen.has(s.sid), `sid ${s.sid} used twice`);
      seen.add(s.sid);
      assert.equal(s.rev >= 1, true, `${cve} sid ${s.sid} rev`);
      assert.equal(s.classtype, 'web-application-attack', `${cve} sid ${s.sid}`);
      assert.ok(s.references.includes(`cve,${year}`), `${cve} sid ${s.sid} cve reference`);
      assert.ok(s.references.some((r) => r.startsWith('url,')), `${cve} sid ${s.sid} advisory reference`);
      assert.ok(s.metadata.includes(`cve ${cve}`), `${cve} sid ${s.sid} cve metadata`);
      for (const key of ['product', 'affected_versions', 'ports']) {
        assert.ok(s.metadata.some((m) => m.startsWith(`${key} `)), `${cve} sid ${s.sid} metadata ${key}`);
      }
    }
  }
});

test('each patch keeps its sid block', () => {
  // A patch's sids share one block of ten, and the blocks follow the file order.
  for (const p of describePatches(BUNDLED_CATALOG_DIR, new Set())) {
    const blocks = new Set(p.sids.map((sid) => Math.floor(sid / 10)));
    assert.equal(blocks.size, 1, `${p.cve}: ${p.sids.join(',')}`);
  }
});

test('describe reads product and state', () => {
  const patches = describePatches(BUNDLED_CATALOG_DIR, new Set(['CVE-2014-6271']));
  const bash = patches.find((p) => p.cve === 'CVE-2014-6271');
  assert.equal(bash?.product, 'GNU Bash via CGI');
  assert.equal(bash?.isEnabled, false);
  assert.deepEqual(bash?.sids, [9100021]);
  const log4j = patches.find((p) => p.cve === 'CVE-2021-44228');
  assert.equal(log4j?.product, 'Apache Log4j 2');
  assert.equal(log4j?.affectedVersions, '2.0-beta9 to 2.14.1');
  assert.equal(log4j?.isEnabled, true);
  assert.deepEqual(log4j?.sids, [9100011, 9100012, 9100013]);
});

test('cve id parsing', () => {
  assert.equal(parseCveId('cve-2021-44228'), 'CVE-2021-44228');
  assert.equal(parseCveId('CVE-2021-123456'), 'CVE-2021-123456');
  assert.equal(parseCveId('CVE-21-44228'), null);
  assert.equal(parseCveId('log4shell'), null);
});

test('state file round trip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-state-'));
  const file = join(dir, 'state.json');
  assert.deepEqual(readDisabledPatches(file), new Set());
  writeDisabledPatches(file, new Set(['CVE-2022-26134', 'CVE-2014-6271']));
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { disabled: ['CVE-2014-6271', 'CVE-2022-26134'] });
  assert.deepEqual(readDisabledPatches(file), new Set(['CVE-2014-6271', 'CVE-2022-26134']));
});

test('state file invalid is an error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-state-'));
  const file = join(dir, 'state.json');
  writeFileSync(file, '{"disabled": "CVE-2014-6271"}');
  assert.throws(() => readDisabledPatches(file), ConfigError);
  writeFileSync(file, '{"disabled": ["log4shell"]}');
  assert.throws(() => readDisabledPatches(file), ConfigError);
  writeFileSync(file, '{not json');
  assert.throws(() => readDisabledPatches(file), (err: unknown) => err instanceof ConfigError && err.message.includes(file));
});

test('catalog off loads no patch', () => {
  const { config } = loadConfig(null, []);
  assert.equal(config.virtualPatches.enabled, false);
  assert.equal(catalogDirOf(config), BUNDLED_CATALOG_DIR);
  assert.equal(stateFileOf(config), join(BUNDLED_CATALOG_DIR, 'state.json'));
  assert.deepEqual(enabledPatchFiles(config), []);
});

test('disabled patch is not loaded', () => {
  const dir = scratchCatalog();
  const sets = ['virtual-patches.enabled=yes', `virtual-patches.path=${dir}`];
  const { config } = loadConfig(null, sets);
  assert.deepEqual(enabledPatchFiles(config).map((f) => basename(f)), ['cve-2014-6271.rules', 'cve-2017-9841.rules']);

  writeDisabledPatches(stateFileOf(config), new Set(['CVE-2014-6271']));
  assert.deepEqual(enabledPatchFiles(config), [join(dir, 'cve-2017-9841.rules')]);
});

test('rule files follow the catalog', () => {
  const dir = scratchCatalog();
  const rulesDir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-rules-'));
  writeFileSync(join(rulesDir, 'local.rules'), '');
  const configPath = join(rulesDir, 'kapu.yaml');
  writeFileSync(configPath, `default-rule-path: ${rulesDir}\nrule-files: [local.rules]\nvirtual-patches:\n  enabled: yes\n  path: ${dir}\n  state-file: ${join(rulesDir, 'patches.json')}\n`);
  const { config } = loadConfig(configPath, []);
  writeDisabledPatches(join(rulesDir, 'patches.json'), new Set(['CVE-2017-9841']));

  // Configured files first, then the enabled patches, then -s files.
  assert.deepEqual(resolveRuleFiles(config, true, null, ['/extra.rules']), [join(rulesDir, 'local.rules'), join(dir, 'cve-2014-6271.rules'), '/extra.rules']);
  // -S replaces every configured rule file, the catalog with them.
  assert.deepEqual(resolveRuleFiles(config, true, ['/only.rules'], []), ['/only.rules']);

  const off = loadConfig(configPath, ['virtual-patches.enabled=no']).config;
  assert.deepEqual(resolveRuleFiles(off, true, null, []), [join(rulesDir, 'local.rules')]);
});

test('broken state file stops rule loading', () => {
  const dir = scratchCatalog();
  writeFileSync(join(dir, 'state.json'), '[');
  const { config } = loadConfig(null, ['virtual-patches.enabled=yes', `virtual-patches.path=${dir}`]);
  assert.throws(() => resolveRuleFiles(config, false, null, []), ConfigError);
});

test('reload applies a disabled patch', () => {
  const dir = scratchCatalog();
  const configPath = join(dir, 'kapu.yaml');
  writeFileSync(configPath, `rule-files: []\nvirtual-patches:\n  enabled: yes\n  path: ${dir}\noutputs:\n  - eve-log:\n      enabled: no\n`);
  const opts: RunPipelineOptions = {
    configPath, ruleFiles: null, extraRuleFiles: [], logDir: join(dir, 'log'),
    checksumMode: 'none', sets: [], mode: 'ips', env: {}, quiet: true,
  };
  const run = new RunPipeline(loadRunEngine(opts), opts);
  const sids = (): number[] => run.engine.rules.signatures.map((s) => s.sid).sort();
  assert.deepEqual(sids(), [9100021, 9100101]);

  writeDisabledPatches(join(dir, 'state.json'), new Set(['CVE-2014-6271']));
  const reloaded = reloadRules(run, opts, new Set());
  assert.equal(reloaded.isApplied, true, reloaded.message);
  assert.deepEqual(reloaded.restartKeys, []);
  assert.deepEqual(sids(), [9100101]);

  // A broken state file keeps the rules that run.
  writeFileSync(join(dir, 'state.json'), '{');
  const failed = reloadRules(run, opts, new Set());
  assert.equal(failed.isApplied, false);
  assert.match(failed.message, /state\.json/);
  assert.deepEqual(sids(), [9100101]);
  run.close();
});
