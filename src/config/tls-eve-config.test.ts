import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config.js';

function writeConfig(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kapu-tls-config-')), 'kapu.yaml');
  writeFileSync(path, text);
  return path;
}

function eveTypes(lines: string[]): string {
  return ['outputs:', '  - eve-log:', '      enabled: yes', '      types:', ...lines, ''].join('\n');
}

test('tls eve type defaults', () => {
  // No outputs: Suricata's stock eve-log, which sets extended: yes.
  assert.deepEqual(loadConfig(null, []).config.outputs.eveLogs[0]?.types.tls, { extended: true, custom: null });
  // A bare `- tls` is the basic form, as in Suricata.
  const bare = loadConfig(writeConfig(eveTypes(['        - tls'])), []).config;
  assert.deepEqual(bare.outputs.eveLogs[0]?.types.tls, { extended: false, custom: null });
  assert.deepEqual(bare.outputs.eveLogs[0]?.types.protocols, ['tls']);
});

test('tls eve extended and custom', () => {
  const path = writeConfig(eveTypes([
    '        - tls:',
    '            extended: yes',
    '            custom: [subject, sni, chain, bogus]',
  ]));
  const { config, warnings } = loadConfig(path, []);
  assert.deepEqual(config.outputs.eveLogs[0]?.types.tls, { extended: true, custom: ['subject', 'sni', 'chain'] });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] as string, /outputs\.0\.eve-log\.types\.0\.tls\.custom: 'bogus' is not a tls field, ignored/);
});

test('tls eve type disabled', () => {
  const path = writeConfig(eveTypes(['        - tls:', '            enabled: no']));
  assert.deepEqual(loadConfig(path, []).config.outputs.eveLogs[0]?.types.protocols, []);
});
