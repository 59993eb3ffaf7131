import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = process.env['KAPU_CORPUS'] ?? join(REPO_ROOT, '..', 'shared', 'corpus');
const ET_DIR = join(CORPUS, 'rules', 'et-open');

test('et demo rules copied unchanged', { skip: existsSync(ET_DIR) ? false : `no ET Open rules at ${ET_DIR}` }, () => {
  const etLines = new Set<string>();
  for (const name of readdirSync(ET_DIR).filter((file) => file.endsWith('.rules'))) {
    for (const line of readFileSync(join(ET_DIR, name), 'latin1').split('\n')) etLines.add(line);
  }

  const demoLines = readFileSync(join(REPO_ROOT, 'samples', 'et-demo.rules'), 'latin1')
    .split('\n')
    .filter((line) => line.startsWith('alert ') || line.startsWith('drop '));
  assert.equal(demoLines.length, 9);
  for (const line of demoLines) assert.ok(etLines.has(line), `not found verbatim in ET Open: ${line.slice(0, 80)}`);

  const license = readFileSync(join(REPO_ROOT, 'samples', 'ET-LICENSE'), 'latin1');
  assert.equal(license, readFileSync(join(ET_DIR, 'LICENSE'), 'latin1'));
});
