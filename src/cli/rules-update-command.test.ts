import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const kapuBin = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));

test('rules update command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-update-cli-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'local.rules'), [
    'alert tcp any any -> any 80 (msg:"one"; sid:1; rev:1;)',
    'alert tcp any any -> any 81 (msg:"two"; sid:2; rev:1;)',
    '',
  ].join('\n'));
  const output = join(dir, 'out', 'kapu.rules');
  const args = [kapuBin, 'rules', 'update', '--source', join(dir, 'src'), '-o', output, '--cache-dir', join(dir, 'cache'), '--no-reload', '--set', 'policy.disable.0=2'];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  const lines = result.stdout.split('\n');
  assert.ok(lines.includes('rules: 2 (1 enabled, 1 disabled)'), result.stdout);
  assert.ok(lines.includes('filters: 1 disabled, 0 enabled, 0 set to drop, 0 modified'), result.stdout);
  assert.ok(lines.includes('reload: skipped (--no-reload)'), result.stdout);
  const written = readFileSync(output, 'utf8').split('\n');
  assert.deepEqual(written.slice(4), [
    'alert tcp any any -> any 80 (msg:"one"; sid:1; rev:1;)',
    '# alert tcp any any -> any 81 (msg:"two"; sid:2; rev:1;)',
    '',
  ]);
});

test('rules update bad timeout', () => {
  const result = spawnSync(process.execPath, [kapuBin, 'rules', 'update', '--source', '/nonexistent', '--timeout', 'soon'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 2);
  assert.equal(result.stderr, "kapu: --timeout 'soon' is not a number of seconds above 0\n");
});

test('rules update missing local source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-update-cli-'));
  const missing = join(dir, 'nothing-here.rules');
  const result = spawnSync(process.execPath, [kapuBin, 'rules', 'update', '--source', missing, '-o', join(dir, 'kapu.rules'), '--no-reload'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, `kapu rules update: source '${missing}' failed: no such file or folder; the current ruleset is left as it is [KAPU_ERR_UPDATE_SOURCE_FAILED]\n`);
});
