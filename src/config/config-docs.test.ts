import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_SCHEMA } from './schema.js';
import { OUTPUT_DESCS } from './outputs-config.js';
import type { MapDesc } from './schema-desc.js';

function keyPaths(desc: MapDesc, prefix: string, out: string[]): string[] {
  for (const [key, child] of Object.entries(desc.fields)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child.t === 'map') keyPaths(child, path, out);
    else out.push(path);
  }
  return out;
}

test('docs list every config key', () => {
  const docs = readFileSync(resolve('docs/config.md'), 'utf8');
  const missing = keyPaths(CONFIG_SCHEMA, '', []).filter((path) => !docs.includes('`' + path + '`'));
  for (const desc of Object.values(OUTPUT_DESCS)) {
    for (const path of keyPaths(desc, '', [])) if (!docs.includes('`' + path + '`')) missing.push(path);
  }
  assert.deepEqual(missing, []);
});
