import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config.js';
import { ConfigError } from '../core/errors.js';
import { loadRules } from '../engine/build-pipeline.js';

function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const POLICY = `policy:
  mode: ips
  disable:
    - group:local-old.rules
    - 1:1000002
  enable:
    - re:enable me
  drop:
    - metadata: signature_severity Major
  modify:
    - '1000001 "msg:\\"one" "msg:\\"first"'
`;

test('policy filter lists are read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-filters-'));
  const { config } = loadConfig(writeFile(dir, 'kapu.yaml', POLICY), []);
  assert.deepEqual(config.policy.disable, ['group:local-old.rules', '1:1000002']);
  assert.deepEqual(config.policy.enable, ['re:enable me']);
  // YAML reads the metadata entry as a one-key map; it is taken as its text.
  assert.deepEqual(config.policy.drop, ['metadata: signature_severity Major']);
  assert.deepEqual(config.policy.modify, ['1000001 "msg:\\"one" "msg:\\"first"']);
});

test('bad filter entry names key and index', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-filters-'));
  const path = writeFile(dir, 'kapu.yaml', `policy:
  disable:
    - 2019401
    - sid 5
  modify:
    - '1 "a" "b"'
    - '2 "x" "y"'
    - '3 "(" "z"'
`);
  let problems: string[] = [];
  try {
    loadConfig(path, []);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    problems = err.problems;
  }
  assert.equal(problems.length, 2);
  assert.equal(problems[0], "kapu.yaml:4: policy.disable[1]: 'sid 5' is not a rule matcher (expected a sid (2019401 or 1:2019401), a sid range (2000000-2000100), group:FILE, re:REGEX, classtype:NAME, metadata: KEY VALUE or *)");
  assert.equal(problems[1], "kapu.yaml:8: policy.modify[2]: '(': invalid regular expression (Unterminated group)");
});

test('filters apply when rules load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-filters-'));
  const rules = writeFile(dir, 'local.rules', [
    'alert tcp any any -> any 80 (msg:"one"; sid:1000001; rev:1;)',
    'alert tcp any any -> any 81 (msg:"two"; sid:1000002; rev:1;)',
    '#alert tcp any any -> any 82 (msg:"enable me"; sid:1000003; rev:1; metadata: signature_severity Major;)',
    '',
  ].join('\n'));
  const old = writeFile(dir, 'local-old.rules', 'alert tcp any any -> any 83 (msg:"old"; sid:1000004; rev:1;)\n');
  const { config } = loadConfig(writeFile(dir, 'kapu.yaml', POLICY), []);
  const warnings: string[] = [];
  const loaded = loadRules(config, [rules, old], warnings);
  // 1000002 and the whole local-old.rules are disabled; 1000003 is enabled, then set to drop.
  assert.deepEqual(loaded.signatures.map((sig) => sig.sid), [1000001, 1000003]);
  assert.equal(loaded.signatures[0].msg, 'first');
  assert.equal(loaded.signatures[1].text.slice(0, 5), 'drop ');
  assert.equal(loaded.summary.commented, 2);
  assert.deepEqual(warnings.filter((w) => !w.includes('not found; using the built-in copy')), []);
});
