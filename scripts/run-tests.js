#!/usr/bin/env node
// Runs the compiled tests with Node's test runner. `unit` runs every
// *.test.js except the corpus ones; `compat` runs only *.compat.test.js,
// which read the shared corpus (KAPU_CORPUS or ../shared/corpus).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suite = process.argv[2] ?? 'unit';
const roots = ['dist/src', 'dist/test', 'dist/bench'];

function collectTests(dir, found) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collectTests(path, found);
    else if (name.endsWith('.test.js')) found.push(path);
  }
}

const files = [];
for (const root of roots) collectTests(root, files);
const isCompat = (f) => f.endsWith('.compat.test.js');
const selected = files.filter((f) => (suite === 'compat' ? isCompat(f) : !isCompat(f))).sort();
if (selected.length === 0) {
  console.error(`no ${suite} test files found under ${roots.join(', ')}; run npm run build first`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', ...process.argv.slice(3), ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
