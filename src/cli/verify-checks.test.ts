import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { decodeJsonLines, judgeCheck, OutputFolder, parseChecks, type Check } from './verify-checks.js';
import { parseTestYaml } from './verify-case.js';

// Hand-written eve.json of a run: two alerts, a flow and two stats events.
const EVE_LINES = [
  '{"event_type":"alert","pcap_cnt":3,"src_ip":"10.0.0.1","alert":{"signature_id":1,"action":"allowed","gid":1}}',
  '{"event_type":"alert","pcap_cnt":7,"src_ip":"10.0.0.1","alert":{"signature_id":2,"action":"blocked","gid":1}}',
  '',
  '{"event_type":"flow","proto":"TCP","flow":{"pkts_toserver":5,"alerted":true}}',
  '{"event_type":"stats","stats":{"decoder":{"pkts":10,"ipv4":9}}}',
  '{"event_type":"stats","stats":{"decoder":{"pkts":12,"ipv4":11},"app_layer":{"flow":{"tls":1}}}}',
];

const root = mkdtempSync(join(tmpdir(), 'kapu-verify-checks-'));
const outDir = join(root, 'out');
const testDir = join(root, 'case');
mkdirSync(outDir);
mkdirSync(join(testDir, 'expected'), { recursive: true });
writeFileSync(join(outDir, 'eve.json'), `${EVE_LINES.join('\n')}\n`);
writeFileSync(join(outDir, 'alerts.json'), '{"event_type":"alert","alert":{"signature_id":9}}\n');
writeFileSync(join(outDir, 'broken.json'), '{"event_type":"alert"}\n{"event_type":\n');
writeFileSync(join(outDir, 'fast.log'), 'line one [1:1:0]\nline two [1:2:0]\n');
writeFileSync(join(testDir, 'expected', 'fast.log'), 'line one [1:1:0]\nline two [1:2:0]\n');
writeFileSync(join(testDir, 'expected', 'other.log'), 'line one [1:1:0]\nline 2 [1:2:0]\n');
after(() => rmSync(root, { recursive: true, force: true }));

function checksOf(yamlChecks: string): Check[] {
  return parseChecks(parseTestYaml(`checks:\n${yamlChecks}`).checks);
}

function judge(yamlChecks: string): Array<string | true> {
  const output = new OutputFolder(outDir, testDir);
  return checksOf(yamlChecks).map((check) => {
    const outcome = judgeCheck(check, output);
    return outcome.ok ? true : outcome.reason;
  });
}

test('decodeJsonLines skips blank lines', () => {
  const file = decodeJsonLines(`${EVE_LINES.join('\n')}\n`, 'eve.json');
  assert.equal(file.events.length, 5);
  assert.deepEqual(file.lines, [1, 2, 4, 5, 6]);
});

test('filter count exact', () => {
  assert.deepEqual(
    judge(`
- filter:
    count: 2
    match:
      event_type: alert
- filter:
    count: 1
    match:
      event_type: alert
      alert.action: blocked
      pcap_cnt: 7
- filter:
    count: 0
    match:
      event_type: drop
- filter:
    count: 5
    match: {}
`),
    [true, true, true, true],
  );
});

test('filter too few shows closest event', () => {
  assert.deepEqual(
    judge(`
- filter:
    count: 1
    match:
      event_type: alert
      alert.signature_id: 2
      pcap_cnt: 3
`),
    [
      'filter 1: expected 1, found 0 {event_type: "alert", alert.signature_id: 2, pcap_cnt: 3}; ' +
        'closest eve.json:1: alert.signature_id is 1',
    ],
  );
});

test('filter too many lists matches', () => {
  assert.deepEqual(
    judge(`
- filter:
    count: 1
    match:
      src_ip: 10.0.0.1
- filter:
    count: 2
    match: {}
`),
    [
      'filter 1: expected 1, found 2 {src_ip: "10.0.0.1"}; matches at eve.json:1, 2',
      'filter 2: expected 2, found 5 {}; matches at eve.json:1, 2, 4, 5, 6',
    ],
  );
});

test('filter too few lists both', () => {
  assert.deepEqual(
    judge(`
- filter:
    count: 2
    match:
      alert.gid: 1
      alert.action: allowed
`),
    [
      'filter 1: expected 2, found 1 {alert.gid: 1, alert.action: "allowed"}; matches at eve.json:1; ' +
        'closest eve.json:2: alert.action is "blocked"',
    ],
  );
});

test('filter without close event', () => {
  assert.deepEqual(
    judge(`
- filter:
    count: 1
    match:
      event_type: dns
`),
    ['filter 1: expected 1, found 0 {event_type: "dns"}'],
  );
});

test('filter reason shows six entries', () => {
  assert.deepEqual(
    judge(`
- filter:
    count: 1
    match: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}
`),
    ['filter 1: expected 1, found 0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, 2 more}'],
  );
});

test('filter on other file', () => {
  assert.deepEqual(
    judge(`
- filter:
    filename: alerts.json
    count: 1
    match:
      alert.signature_id: 9
- filter:
    filename: missing.json
    count: 0
    match: {}
- filter:
    filename: broken.json
    count: 1
    match: {}
`),
    [true, 'filter 2: missing.json was not written', 'filter 3: broken.json:2 is not valid JSON'],
  );
});

test('stats uses last stats event', () => {
  assert.deepEqual(
    judge(`
- stats:
    decoder.pkts: 12
    app_layer.flow.tls: 1
- stats:
    decoder.pkts: 10
- stats:
    decoder.ipv6: 0
`),
    [true, 'stats 2: decoder.pkts expected 10, found 12', 'stats 3: decoder.ipv6 expected 0, found (missing)'],
  );
});

test('stats without stats event', () => {
  const [check] = checksOf('- stats:\n    decoder.pkts: 1\n    requires:\n      min-version: 7\n');
  assert.equal(check.type, 'stats');
  if (check.type === 'stats') assert.deepEqual(check.values, { 'decoder.pkts': 1 });
  assert.deepEqual(check.requires, { 'min-version': 7 });

  const noEve = new OutputFolder(testDir, testDir);
  assert.deepEqual(judgeCheck(check, noEve), { ok: false, reason: 'stats 1: eve.json was not written' });
  const noStatsDir = join(root, 'no-stats');
  mkdirSync(noStatsDir);
  writeFileSync(join(noStatsDir, 'eve.json'), `${EVE_LINES[0]}\n`);
  assert.deepEqual(judgeCheck(check, new OutputFolder(noStatsDir, testDir)), {
    ok: false,
    reason: 'stats 1: no stats event in eve.json',
  });
});

test('file-compare equal and different', () => {
  assert.deepEqual(
    judge(`
- file-compare:
    filename: fast.log
    expected: expected/fast.log
- file-compare:
    filename: fast.log
    expected: expected/other.log
- file-compare:
    filename: nothing.log
    expected: expected/fast.log
- file-compare:
    filename: ../case/expected/fast.log
    expected: expected/fast.log
`),
    [
      true,
      'file-compare 2: fast.log differs from expected/other.log at line 2: expected "line 2 [1:2:0]", found "line two [1:2:0]"',
      'file-compare 3: nothing.log was not written',
      "file-compare 4: filename '../case/expected/fast.log' leaves the output folder",
    ],
  );
});

test('shell line count and grep', () => {
  assert.deepEqual(
    judge(`
- shell:
    args: cat fast.log | wc -l | xargs
    expect: 2
- shell:
    args: cat fast.log | wc -l
    expect: 3
- shell:
    args: grep -F "[1:2:0]" fast.log
- shell:
    args: grep nothing fast.log
- shell:
    args: grep -c nothing fast.log
    expect: 0
- shell:
    args: grep -c line fast.log
    expect: false
`),
    [
      true,
      "shell 2: 'cat fast.log | wc -l' expected \"3\", found \"2\"",
      true,
      "shell 4: 'grep nothing fast.log' exited with 1",
      "shell 5: 'grep -c nothing fast.log' exited with 1",
      "shell 6: 'grep -c line fast.log' expected \"False\", found \"2\"",
    ],
  );
});

test('shell beyond line counting unsupported', () => {
  assert.deepEqual(
    judge(`
- shell:
    args: jq -c . eve.json | wc -l
    expect: 5
- shell:
    args: cat fast.log; rm -rf /tmp/x
`),
    ['check not supported: shell', 'check not supported: shell'],
  );
});

test('parseChecks rejects malformed entries', () => {
  assert.throws(() => checksOf('- filter:\n    match: {}\n'), /checks\[1\]: filter: count is missing/);
  assert.throws(() => checksOf('- lua:\n    script: x.lua\n'), /checks\[1\]: unknown check kind 'lua'/);
  assert.throws(() => checksOf('- filter: {count: 1}\n  stats: {}\n'), /expected one check kind/);
  assert.deepEqual(parseChecks(undefined), []);
});
