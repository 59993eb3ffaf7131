import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadThresholdConfig } from './threshold-config.js';

const corpus = process.env['KAPU_CORPUS'] ?? resolve('../shared/corpus');

function findFiles(dir: string, name: string, found: string[]): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findFiles(path, name, found);
    else if (entry === name) found.push(path);
  }
  return found;
}

test('corpus threshold files parse', { skip: existsSync(corpus) ? false : `no corpus at ${corpus}` }, () => {
  const files = findFiles(corpus, 'threshold.config', []);
  assert.ok(files.length >= 30, `found ${files.length} threshold.config files`);
  // The address variable one suppress test defines in its suricata.yaml.
  const vars = { SUPPRESS: '[10.0.0.0/8,20.0.0.0/16,145.0.0.0/8]' };
  let entries = 0;
  for (const file of files) {
    const config = loadThresholdConfig(file, vars);
    assert.deepEqual(config.errors, [], file);
    entries += config.entries.length;
  }
  assert.ok(entries >= files.length - 1, `${entries} entries`);
});
