import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compareVersions, judgeRequires, parseVersion, type RequireContext } from './verify-requires.js';

const SURICATA_8: RequireContext = { version: '8.0.0', features: [], env: {} };

function isMet(requires: unknown, context: RequireContext = SURICATA_8): boolean {
  return judgeRequires(requires, context).met;
}

test('parseVersion forms', () => {
  assert.deepEqual(parseVersion('8'), [8]);
  assert.deepEqual(parseVersion('7.0'), [7, 0]);
  assert.deepEqual(parseVersion('7.0.14'), [7, 0, 14]);
  assert.deepEqual(parseVersion('8.0.0-dev'), [8, 0, 0]);
  assert.equal(parseVersion('eight'), null);
});

test('compareVersions on named parts', () => {
  assert.equal(compareVersions([8, 0, 3], [8]), 0);
  assert.equal(compareVersions([8, 0, 0], [8, 0, 5]), -1);
  assert.equal(compareVersions([8, 0, 0], [7, 0, 14]), 1);
});

test('min-version against 8.0.0', () => {
  assert.equal(isMet({ 'min-version': 8 }), true);
  assert.equal(isMet({ 'min-version': '8.0.0' }), true);
  assert.equal(isMet({ 'min-version': '7.0.14' }), true);
  assert.equal(isMet({ 'min-version': 6.0 }), true);
  assert.equal(isMet({ 'min-version': '8.0.5' }), false);
  assert.equal(isMet({ 'min-version': 9 }), false);
});

test('lt-version against 8.0.0', () => {
  assert.equal(isMet({ 'lt-version': 8 }), false);
  assert.equal(isMet({ 'lt-version': '8.0' }), false);
  assert.equal(isMet({ 'lt-version': '8.0.7' }), true);
  assert.equal(isMet({ 'lt-version': 9 }), true);
});

test('gt-version against 8.0.0', () => {
  assert.equal(isMet({ 'gt-version': '6.0.11' }), true);
  assert.equal(isMet({ 'gt-version': '8.0.0' }), false);
  assert.equal(isMet({ 'gt-version': 8 }), false);
});

test('version matches named parts only', () => {
  assert.equal(isMet({ version: 8 }), true);
  assert.equal(isMet({ version: '8.0' }), true);
  assert.equal(isMet({ version: '8.0.0' }), true);
  assert.equal(isMet({ version: '8.0.1' }), false);
  assert.equal(isMet({ version: 7 }), false);
});

test('several bounds must all hold', () => {
  assert.equal(isMet({ 'min-version': 7, 'lt-version': '8.0.7' }), true);
  assert.equal(isMet({ 'min-version': 7, 'lt-version': 8 }), false);
});

test('features and not-features', () => {
  assert.equal(isMet({ features: ['HAVE_JA3'] }), false);
  assert.equal(isMet({ features: 'HAVE_JA3' }), false);
  assert.equal(isMet({ features: ['HAVE_JA3'] }, { ...SURICATA_8, features: ['HAVE_JA3'] }), true);
  assert.equal(isMet({ 'not-features': { RUST: 'reason' } }), true);
  assert.equal(isMet({ 'not-features': ['RUST'] }, { ...SURICATA_8, features: ['RUST'] }), false);
});

test('env, pcap and unknown keys', () => {
  assert.equal(isMet({ env: ['KAPU_TEST_VAR'] }), false);
  assert.equal(isMet({ env: ['KAPU_TEST_VAR'] }, { ...SURICATA_8, env: { KAPU_TEST_VAR: '1' } }), true);
  assert.equal(isMet({ pcap: false }), true);
  assert.equal(isMet({ script: ['true'] }), false);
  assert.equal(isMet({ files: ['src/detect-lua.c'] }), false);
});

test('unmet reason names the bound and version', () => {
  assert.deepEqual(judgeRequires({ 'min-version': 9 }, SURICATA_8), {
    met: false,
    reason: 'requires min-version 9 (kapu follows Suricata 8.0.0)',
  });
  assert.deepEqual(judgeRequires(null, SURICATA_8), { met: true });
});
