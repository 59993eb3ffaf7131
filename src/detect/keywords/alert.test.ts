import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadRulesFromText } from '../rule-files.js';
import './registry.js';

test('alert keyword marks pass rule', () => {
  const loaded = loadRulesFromText('pass ip any any -> any any (msg:"pass and log"; alert; sid:1;)\n', 'test.rules');
  assert.equal(loaded.diagnostics.length, 0);
  assert.equal(loaded.signatures[0]?.hasAlertKeyword, true);
});

test('alert keyword rejects a value', () => {
  const loaded = loadRulesFromText('pass ip any any -> any any (msg:"x"; alert:yes; sid:2;)\n', 'test.rules');
  assert.equal(loaded.signatures.length, 0);
  assert.equal(loaded.diagnostics[0]?.keyword, 'alert');
});
