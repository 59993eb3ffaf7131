import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from './load-config.js';

const corpus = process.env['KAPU_CORPUS'] ?? resolve('../shared/corpus');

function findFiles(dir: string, name: string, found: string[]): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findFiles(path, name, found);
    else if (entry === name) found.push(path);
  }
  return found;
}

test('suricata-verify configs load', { skip: existsSync(corpus) ? false : `no corpus at ${corpus}` }, () => {
  const files = findFiles(join(corpus, 'suricata-verify'), 'suricata.yaml', []);
  assert.ok(files.length > 100, `found ${files.length} suricata.yaml files`);
  const failures: string[] = [];
  for (const file of files) {
    try {
      loadConfig(file, []);
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});
