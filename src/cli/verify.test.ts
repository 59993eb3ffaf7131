import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { RunOptions, RunSummary } from './run-options.js';
import { findEtcDir, type CaseEntry } from './verify-case.js';
import { runVerifyCommand } from './verify-command.js';
import {
  countResults,
  defaultVerifyOptions,
  discoverCases,
  formatResultLine,
  formatTotalsLine,
  verifyCase,
  verifyCases,
  type CaseResult,
  type RunCaptureFn,
} from './verify.js';

const TEST_ROOT = fileURLToPath(new URL('../../../test/verify/', import.meta.url));
const SUITE = join(TEST_ROOT, 'suite');
// Hand-written output in Suricata 8's layout for the one ICMP echo request
// that every suite capture holds.
const ICMP_ECHO_OUTPUT = join(TEST_ROOT, 'icmp-echo-output');

const scratch = mkdtempSync(join(tmpdir(), 'kapu-verify-run-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const EMPTY_SUMMARY: RunSummary = {
  packets: 1,
  bytes: 42,
  alerts: 1,
  drops: 0,
  decoderEvents: 0,
  rulesLoaded: 1,
  rulesFailed: 0,
  flows: 1,
  elapsedMs: 1,
  alertsBySignature: new Map(),
  peakMemory: { flow: 0, stream: 0, reassembly: 0 },
};

/** Builds a stand-in for runCapture that copies the hand-written output and records the options of each call. */
function recordingRunner(calls: RunOptions[]): RunCaptureFn {
  return async (options) => {
    calls.push(options);
    cpSync(ICMP_ECHO_OUTPUT, options.logDir as string, { recursive: true });
    return EMPTY_SUMMARY;
  };
}

async function runCommand(argv: string[], runner: RunCaptureFn) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = await runVerifyCommand(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    runner,
  });
  return { status, stdout, stderr };
}

function suiteEntry(name: string): CaseEntry {
  return { name, dir: join(SUITE, name), manifestPcapPath: null, etcDir: findEtcDir(join(SUITE, name)) };
}

test('discoverCases finds test folders', () => {
  const names = discoverCases([SUITE]).map((entry) => entry.name);
  assert.deepEqual(names, [
    'bad-yaml',
    'borrowed-ips',
    'dns/lower-pcap',
    'fast-log',
    'icmp-id',
    'min-rules',
    'needs-9',
    'shell-jq',
    'wrong-count',
  ]);
  assert.deepEqual(
    discoverCases([join(SUITE, 'icmp-id')]).map((entry) => entry.name),
    ['icmp-id'],
  );
  assert.throws(() => discoverCases([join(SUITE, 'nothing')]), /folder not found/);
  assert.throws(() => discoverCases([join(SUITE, 'pcaps')]), /pcaps: no test\.yaml in this folder or below/);
});

test('verify prints one line per case', async () => {
  const calls: RunOptions[] = [];
  const jsonPath = join(scratch, 'results.json');
  const { status, stdout, stderr } = await runCommand(['--json', jsonPath, SUITE], recordingRunner(calls));

  assert.equal(status, 1);
  assert.deepEqual(stdout, [
    'FAIL bad-yaml: invalid test: checks: expected a list',
    'PASS borrowed-ips',
    'PASS dns/lower-pcap',
    'PASS fast-log',
    'PASS icmp-id',
    'PASS min-rules',
    'SKIP needs-9: requires min-version 9 (kapu follows Suricata 8.0.0)',
    'FAIL shell-jq: check not supported: shell',
    'FAIL wrong-count: filter 1: expected 2, found 1 {event_type: "alert", alert.signature_id: 1}; matches at eve.json:1; ' +
      'filter 2: expected 1, found 0 {event_type: "alert", alert.signature_id: 1, pcap_cnt: 2}; closest eve.json:1: pcap_cnt is 1',
    '5 passed, 3 failed, 1 skipped',
  ]);
  assert.deepEqual(stderr, ['warning: borrowed-ips: argument not supported, left out: --engine-analysis']);

  // Seven cases ran the capture: not the invalid one, nor the skipped one.
  assert.equal(calls.length, 7);
  assert.deepEqual(
    calls.map((c) => c.ruleFiles),
    [
      [join(SUITE, 'icmp-id', 'test.rules')],
      [],
      [],
      [join(SUITE, 'icmp-id', 'test.rules')],
      [join(SUITE, 'min-rules', 'min7.rules')],
      [],
      [],
    ],
  );
  // Temporary output folders are removed after each case.
  for (const call of calls) assert.equal(existsSync(call.logDir as string), false);

  const results = JSON.parse(readFileSync(jsonPath, 'utf8')) as CaseResult[];
  assert.equal(results.length, 9);
  assert.deepEqual(
    results.map((r) => [r.name, r.status]),
    [
      ['bad-yaml', 'fail'],
      ['borrowed-ips', 'pass'],
      ['dns/lower-pcap', 'pass'],
      ['fast-log', 'pass'],
      ['icmp-id', 'pass'],
      ['min-rules', 'pass'],
      ['needs-9', 'skip'],
      ['shell-jq', 'fail'],
      ['wrong-count', 'fail'],
    ],
  );
  assert.deepEqual(results[7].reasons, ['check not supported: shell']);
  assert.deepEqual(results[1].warnings, ['argument not supported, left out: --engine-analysis']);
  assert.equal(typeof results[1].timeMs, 'number');
});

test('verify exits 0 when all pass', async () => {
  const calls: RunOptions[] = [];
  const outRoot = join(scratch, 'kept');
  const { status, stdout } = await runCommand(
    ['--out', outRoot, join(SUITE, 'icmp-id'), join(SUITE, 'needs-9')],
    recordingRunner(calls),
  );
  assert.equal(status, 0);
  assert.deepEqual(stdout, [
    'PASS icmp-id',
    'SKIP needs-9: requires min-version 9 (kapu follows Suricata 8.0.0)',
    '1 passed, 0 failed, 1 skipped',
  ]);
  assert.equal(calls[0].logDir, join(outRoot, 'icmp-id'));
  assert.deepEqual(readdirSync(join(outRoot, 'icmp-id')).sort(), ['eve.json', 'fast.log']);
});

test('verify version option changes skips', async () => {
  const calls: RunOptions[] = [];
  const { status, stdout } = await runCommand(
    ['--suricata-version', '9.0.0', join(SUITE, 'needs-9')],
    recordingRunner(calls),
  );
  assert.equal(status, 0);
  assert.deepEqual(stdout, ['PASS needs-9', '1 passed, 0 failed']);
  // Rules' requires: keyword is judged against the same version.
  assert.equal(calls[0]?.requiresVersion, '9.0.0');
});

test('verify manifest filter figures', async () => {
  const { status, stdout } = await runCommand(['--manifest-filter', 'no-app', SUITE], recordingRunner([]));
  assert.equal(status, 1);
  assert.deepEqual(stdout.slice(-4), [
    'no-app: 7 cases, 4 passed (57.1%), 2 failed, 1 skipped',
    'no-app-alerts: 6 cases, 3 passed (50.0%), 2 failed, 1 skipped',
    'no-app-negative: 1 cases, 1 passed (100.0%), 0 failed, 0 skipped',
    '4 passed, 2 failed, 1 skipped',
  ]);
  assert.equal(stdout.length, 11);
  assert.equal(stdout.some((line) => line.includes('shell-jq') || line.includes('dns/lower-pcap')), false);
});

test('verify usage errors exit 2', async () => {
  const runner = recordingRunner([]);
  assert.equal((await runCommand([], runner)).status, 2);
  assert.equal((await runCommand(['--timeout', 'soon', SUITE], runner)).status, 2);
  assert.equal((await runCommand(['--suricata-version', 'new', SUITE], runner)).status, 2);
  assert.equal((await runCommand(['--bogus', SUITE], runner)).status, 2);
  const unknown = await runCommand(['--manifest-filter', 'http', SUITE], runner);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr[0], /unknown filter 'http' \(expected no-app, no-app-alerts, no-app-negative, app, app-alerts, http-evader\)/);
  const noManifest = await runCommand(['--manifest-filter', 'no-app', join(SUITE, 'icmp-id')], runner);
  assert.equal(noManifest.status, 2);
  assert.match(noManifest.stderr[0], /icmp-id\/MANIFEST\.json not found: --manifest-filter needs the corpus folder/);
  const help = await runCommand(['--help'], runner);
  assert.equal(help.status, 0);
  assert.match(help.stdout[0], /^Usage: kapu verify/);
});

test('case run that throws fails', async () => {
  const options = defaultVerifyOptions(async () => {
    throw new Error('capture file truncated');
  });
  const result = await verifyCase(suiteEntry('icmp-id'), options);
  assert.equal(result.status, 'fail');
  assert.deepEqual(result.reasons, ['run failed: capture file truncated']);
});

test('temporary output kept only past limit', async () => {
  const logDirs: string[] = [];
  const throwing = defaultVerifyOptions(async (options) => {
    logDirs.push(options.logDir as string);
    throw new Error('capture file truncated');
  });
  await verifyCase(suiteEntry('icmp-id'), throwing);
  const endless = defaultVerifyOptions((options) => {
    logDirs.push(options.logDir as string);
    return new Promise<RunSummary>(() => {});
  });
  endless.timeoutMs = 20;
  await verifyCase(suiteEntry('icmp-id'), endless);

  assert.equal(existsSync(logDirs[0]), false);
  assert.equal(existsSync(logDirs[1]), true);
  rmSync(logDirs[1], { recursive: true });
});

test('case over time limit fails', async () => {
  let logDir = '';
  const options = defaultVerifyOptions((runOptions) => {
    logDir = runOptions.logDir as string;
    return new Promise<RunSummary>(() => {});
  });
  options.timeoutMs = 50;
  const result = await verifyCase(suiteEntry('icmp-id'), options);
  rmSync(logDir, { recursive: true, force: true });
  assert.equal(result.status, 'fail');
  assert.deepEqual(result.reasons, ['timed out after 0.05 s']);
});

// The test runner fails any test during which an exception goes uncaught,
// so this case runs in a child process of its own.
test('crash outside run promise fails case', () => {
  const verifyModule = new URL('./verify.js', import.meta.url).href;
  const script = `
    import { cpSync, rmSync } from 'node:fs';
    import { defaultVerifyOptions, verifyCase } from ${JSON.stringify(verifyModule)};
    const entry = { name: 'icmp-id', dir: ${JSON.stringify(join(SUITE, 'icmp-id'))}, manifestPcapPath: null, etcDir: null };
    let crashedLogDir = '';
    const options = defaultVerifyOptions((o) => new Promise(() => {
      crashedLogDir = o.logDir;
      setTimeout(() => { throw new Error('worker state corrupted'); }, 5);
    }));
    const results = [await verifyCase(entry, options)];
    rmSync(crashedLogDir, { recursive: true, force: true });
    options.runner = async (o) => { cpSync(${JSON.stringify(ICMP_ECHO_OUTPUT)}, o.logDir, { recursive: true }); return {}; };
    results.push(await verifyCase(entry, options));
    console.log(JSON.stringify(results.map((r) => [r.status, r.reasons])));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), [
    ['fail', ['run failed: worker state corrupted']],
    ['pass', []],
  ]);
});

test('command and count keys', async () => {
  const dir = join(scratch, 'keys');
  mkdirSync(join(dir, 'own-command'), { recursive: true });
  mkdirSync(join(dir, 'repeated'), { recursive: true });
  const pcapLine = `pcap: ${join(SUITE, 'pcaps', 'icmp-echo.pcap')}\n`;
  writeFileSync(join(dir, 'own-command', 'test.yaml'), `${pcapLine}command: suricata -T\nchecks: []\n`);
  writeFileSync(join(dir, 'repeated', 'test.yaml'), `${pcapLine}count: 3\nchecks: []\n`);

  const results = await verifyCases(discoverCases([dir]), defaultVerifyOptions(recordingRunner([])));
  assert.deepEqual(
    results.map((r) => [r.name, r.status, r.reasons, r.warnings]),
    [
      ['own-command', 'fail', ['test.yaml command: not supported'], []],
      ['repeated', 'pass', [], ['test.yaml count: 3 runs requested, one made']],
    ],
  );
});

test('result lines and totals format', () => {
  const results: CaseResult[] = [
    { name: 'a', status: 'pass', reasons: [], warnings: [], timeMs: 1 },
    { name: 'b', status: 'fail', reasons: ['x', 'y'], warnings: [], timeMs: 1 },
  ];
  assert.deepEqual(results.map(formatResultLine), ['PASS a', 'FAIL b: x; y']);
  assert.equal(formatTotalsLine(countResults(results)), '1 passed, 1 failed');
  assert.equal(formatTotalsLine({ passed: 0, failed: 0, skipped: 3 }), '0 passed, 0 failed, 3 skipped');
});
