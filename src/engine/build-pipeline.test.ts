import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load-config.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultHttpConfig, FileHash } from '../app/http/state.js';
import { loadRulesFromText } from '../detect/rule-files.js';
import { expandRuleFilePattern, fileHashesToCompute, httpConfigOf, resolveRuleFiles } from './build-pipeline.js';

test('http limits default to libhtp values', () => {
  const { config } = loadConfig(null, []);
  assert.deepEqual(httpConfigOf(config), defaultHttpConfig());
});

test('http limits from app-layer settings', () => {
  const { config } = loadConfig(null, [
    'app-layer.protocols.http.libhtp.default-config.response-body-limit=1mb',
    'app-layer.protocols.http.libhtp.default-config.request-body-limit=4kb',
    'app-layer.protocols.http.max-tx=16',
  ]);
  const http = httpConfigOf(config);
  assert.equal(http.responseBodyLimit, 1024 * 1024);
  assert.equal(http.requestBodyLimit, 4096);
  assert.equal(http.maxTransactions, 16);
});

test('file hashes from force-hash and rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-pipeline-'));
  const configPath = join(dir, 'kapu.yaml');
  writeFileSync(configPath, ['outputs:', '  - eve-log:', '      types:', '        - files:', '            force-hash: [sha1]', ''].join('\n'));
  writeFileSync(join(dir, 'bad.md5'), '900150983cd24fb0d6963f7d28e17f72\n');
  const { config } = loadConfig(configPath, []);
  const none = loadRulesFromText('', join(dir, 'local.rules'));
  assert.equal(fileHashesToCompute(config, none), FileHash.SHA1);
  const rules = loadRulesFromText('alert http any any -> any any (filemd5:bad.md5; sid:1;)\n', join(dir, 'local.rules'));
  assert.equal(rules.signatures.length, 1);
  assert.equal(fileHashesToCompute(config, rules), FileHash.SHA1 | FileHash.MD5);
});

test('file hashes off by default', () => {
  const { config } = loadConfig(null, []);
  assert.equal(fileHashesToCompute(config, loadRulesFromText('', 'local.rules')), 0);
});

test('rule-files wildcard expands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-rule-glob-'));
  for (const name of ['b.rules', 'a.rules', 'notes.txt', 'a.rules.bak']) writeFileSync(join(dir, name), '');
  assert.deepEqual(expandRuleFilePattern(join(dir, '*.rules')), [join(dir, 'a.rules'), join(dir, 'b.rules')]);
  assert.deepEqual(expandRuleFilePattern(join(dir, '?.rules')), [join(dir, 'a.rules'), join(dir, 'b.rules')]);
  // No match, or no wildcard: the path stays, so loading names the missing file.
  assert.deepEqual(expandRuleFilePattern(join(dir, '*.yaml')), [join(dir, '*.yaml')]);
  assert.deepEqual(expandRuleFilePattern(join(dir, 'c.rules')), [join(dir, 'c.rules')]);

  const configPath = join(dir, 'kapu.yaml');
  writeFileSync(configPath, `default-rule-path: ${dir}\nrule-files:\n  - "*.rules"\n`);
  const { config } = loadConfig(configPath, []);
  assert.deepEqual(resolveRuleFiles(config, true, null, []), [join(dir, 'a.rules'), join(dir, 'b.rules')]);
});
