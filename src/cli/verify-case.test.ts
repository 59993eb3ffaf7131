import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  buildRunOptions,
  findEtcDir,
  loadCase,
  mapArgs,
  parseTestYaml,
  resolvePcap,
  resolveRules,
  splitArgs,
  type CaseEntry,
} from './verify-case.js';

const SUITE = fileURLToPath(new URL('../../../test/verify/suite/', import.meta.url));

function entry(name: string): CaseEntry {
  return { name, dir: join(SUITE, name), manifestPcapPath: null, etcDir: findEtcDir(join(SUITE, name)) };
}

test('splitArgs list and string', () => {
  assert.deepEqual(splitArgs(['-k none', '--set stream.inline=true']), ['-k', 'none', '--set', 'stream.inline=true']);
  assert.deepEqual(splitArgs('--simulate-ips  -k none'), ['--simulate-ips', '-k', 'none']);
  assert.deepEqual(splitArgs(undefined), []);
});

test('mapArgs maps known options', () => {
  const mapped = mapArgs(
    splitArgs([
      '-k none',
      '--simulate-ips',
      '--runmode=single',
      '--set threshold-file=${TEST_DIR}/threshold.config',
      '--set stream.reassembly.depth=0',
    ]),
    '/cases/t1',
  );
  assert.equal(mapped.checksumMode, 'none');
  assert.equal(mapped.mode, 'ips');
  assert.deepEqual(mapped.sets, ['threshold-file=/cases/t1/threshold.config', 'stream.reassembly.depth=0']);
  assert.deepEqual(mapped.ignored, ['--runmode=single']);
  assert.deepEqual(mapped.unsupported, []);
});

test('mapArgs reports unknown options', () => {
  const mapped = mapArgs(['-k', 'all', '--engine-analysis', '-v', '--runmode', 'autofp'], '/t');
  assert.equal(mapped.checksumMode, 'all');
  assert.equal(mapped.mode, null);
  assert.deepEqual(mapped.unsupported, ['--engine-analysis', '-v']);
  assert.deepEqual(mapped.ignored, ['--runmode autofp']);
});

test('parseTestYaml reads YAML 1.1 like the suite', () => {
  const doc = parseTestYaml('a: yes\nb: off\nc: 010\nd: .\ne: 1.5\nf: .nan\na: 2\n');
  assert.equal(doc.a, 2);
  assert.equal(doc.b, false);
  assert.equal(doc.c, 8);
  assert.equal(doc.d, '.');
  assert.equal(doc.e, 1.5);
  assert.ok(Number.isNaN(doc.f));
});

test('resolvePcap single file in folder', () => {
  assert.equal(resolvePcap(join(SUITE, 'icmp-id'), undefined, null), join(SUITE, 'icmp-id', 'input.pcap'));
  assert.equal(resolvePcap(join(SUITE, 'min-rules'), undefined, null), join(SUITE, 'min-rules', 'input.pcapng'));
  assert.equal(resolvePcap(join(SUITE, 'needs-9'), undefined, null), null);
  assert.equal(resolvePcap(join(SUITE, 'icmp-id'), false, null), null);
});

test('resolvePcap relative and one level lower', () => {
  const dir = join(SUITE, 'dns', 'lower-pcap');
  assert.equal(resolvePcap(dir, '../../pcaps/icmp-echo.pcap', null), join(SUITE, 'pcaps', 'icmp-echo.pcap'));
  assert.equal(resolvePcap(dir, '../../../pcaps/icmp-echo.pcap', null), join(SUITE, 'pcaps', 'icmp-echo.pcap'));
  const fromManifest = join(SUITE, 'icmp-id', 'input.pcap');
  assert.equal(resolvePcap(dir, '../../../pcaps/icmp-echo.pcap', fromManifest), fromManifest);
  assert.throws(() => resolvePcap(dir, 'missing.pcap', null), /pcap: missing.pcap not found/);
});

test('resolvePcap rejects two captures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-verify-test-'));
  try {
    writeFileSync(join(dir, 'a.pcap'), '');
    writeFileSync(join(dir, 'b.pcapng'), '');
    assert.throws(() => resolvePcap(dir, undefined, null), /several captures in the folder \(a\.pcap, b\.pcapng\)/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('resolveRules picks minN by version', () => {
  const dir = join(SUITE, 'min-rules');
  assert.deepEqual(resolveRules(dir, undefined, '8.0.0'), [join(dir, 'min7.rules')]);
  assert.deepEqual(resolveRules(dir, undefined, '6.0.0'), []);
  assert.deepEqual(resolveRules(dir, undefined, '99.0.0'), [join(dir, 'min99.rules')]);
  assert.deepEqual(resolveRules(join(SUITE, 'icmp-id'), undefined, '8.0.0'), [join(SUITE, 'icmp-id', 'test.rules')]);
  assert.deepEqual(resolveRules(join(SUITE, 'needs-9'), undefined, '8.0.0'), []);
  assert.deepEqual(resolveRules(dir, '../icmp-id/test.rules', '8.0.0'), [join(SUITE, 'icmp-id', 'test.rules')]);
});

test('loadCase resolves borrowed files', () => {
  const testCase = loadCase(entry('borrowed-ips'), '8.0.0');
  assert.equal(testCase.pcapPath, join(SUITE, 'pcaps', 'icmp-echo.pcap'));
  assert.deepEqual(testCase.ruleFiles, [join(SUITE, 'icmp-id', 'test.rules')]);
  assert.equal(testCase.configPath, join(SUITE, 'borrowed-ips', 'suricata.yaml'));
  assert.deepEqual(testCase.env, { SURICATA_EVE_DNS_VERSION: '2' });
  assert.equal(testCase.isIpsByName, true);
  assert.deepEqual(testCase.requires, { 'min-version': '7.0.14' });
  assert.equal(testCase.checks.length, 1);
});

test('buildRunOptions for an ips folder', () => {
  const caseEntry = entry('borrowed-ips');
  const options = buildRunOptions(loadCase(caseEntry, '8.0.0'), '/tmp/out-1', caseEntry.etcDir);
  const dir = join(SUITE, 'borrowed-ips');
  assert.deepEqual(options, {
    pcapPath: join(SUITE, 'pcaps', 'icmp-echo.pcap'),
    configPath: join(dir, 'suricata.yaml'),
    ruleFiles: [join(SUITE, 'icmp-id', 'test.rules')],
    extraRuleFiles: [],
    logDir: '/tmp/out-1',
    checksumMode: 'none',
    sets: [
      `classification-file=${join(SUITE, 'etc', 'classification.config')}`,
      `reference-config-file=${join(SUITE, 'etc', 'reference.config')}`,
      'stream.inline=true',
      `threshold-file=${dir}/threshold.config`,
    ],
    mode: 'ips',
    env: { SURICATA_EVE_DNS_VERSION: '2' },
    quiet: true,
  });
});

test('buildRunOptions defaults without args', () => {
  const options = buildRunOptions(loadCase(entry('icmp-id'), '8.0.0'), '/tmp/out-2', null);
  assert.equal(options.configPath, null);
  assert.equal(options.checksumMode, 'none');
  assert.equal(options.mode, null);
  assert.deepEqual(options.sets, []);
  assert.deepEqual(options.env, {});
});

test('findEtcDir walks up from case', () => {
  assert.equal(findEtcDir(join(SUITE, 'dns', 'lower-pcap')), join(SUITE, 'etc'));
  assert.equal(findEtcDir('/'), null);
});

test('loadCase rejects malformed checks', () => {
  assert.throws(() => loadCase(entry('bad-yaml'), '8.0.0'), /checks: expected a list/);
});
