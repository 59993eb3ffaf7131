import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from './errors.js';

const DOCS = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');
const documented = new Set([...DOCS.matchAll(/`(KAPU_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]));

test('error codes all documented', () => {
  for (const code of Object.values(ErrorCode)) {
    assert.ok(documented.has(code), `${code} is missing from docs/errors.md`);
  }
});

test('error docs list no stale code', () => {
  const defined = new Set<string>(Object.values(ErrorCode));
  for (const code of documented) {
    assert.ok(defined.has(code), `docs/errors.md lists ${code}, which src/core/errors.ts does not define`);
  }
});

test('error codes follow the naming scheme', () => {
  for (const [key, code] of Object.entries(ErrorCode)) {
    assert.equal(code, `KAPU_ERR_${key}`);
  }
});
