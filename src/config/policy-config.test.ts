import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { loadConfig } from './load-config.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-policy-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function load(yaml: string): ReturnType<typeof loadConfig> {
  const path = join(scratch, 'kapu.yaml');
  writeFileSync(path, yaml);
  return loadConfig(path, []);
}

function problems(yaml: string): string[] {
  try {
    load(yaml);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('config loaded');
}

test('policy defaults', () => {
  const { config } = loadConfig(null, []);
  assert.deepEqual(config.policy.responses, []);
  assert.deepEqual(config.policy.quarantine, { sid: 1, timeout: 3600, maxPerMinute: 10, hooks: ['forward'], table: 'kapu_quarantine', database: 'quarantine.db' });
  assert.deepEqual(config.policy.neverBlock, []);
});

test('policy responses read', () => {
  const { config } = load(`policy:
  management: [198.51.100.1]
  responses:
    - { sid: 2100498, action: quarantine, target: src, timeout: 10m }
    - sid: 1000010
      gid: 1
      target: dest
`);
  assert.deepEqual(config.policy.responses, [
    { sid: 2100498, gid: 1, action: 'quarantine', target: 'src', timeout: 600, rate: null, rateBytes: null },
    { sid: 1000010, gid: 1, action: 'quarantine', target: 'dest', timeout: 600, rate: null, rateBytes: null },
  ]);
  assert.deepEqual(config.policy.management, ['198.51.100.1']);
});

test('policy bad values named', () => {
  assert.deepEqual(problems(`policy:
  never-block: [198.51.100.7/24, 203.0.113.1]
  quarantine:
    hooks: [forward, prerouting]
  responses:
    - { action: quarantine }
    - { sid: 5, target: both }
    - { sid: 5 }
`), [
    'kapu.yaml:6: policy.responses.0.sid: missing (this key is required)',
    "kapu.yaml:7: policy.responses.1.target: 'both' is not allowed (expected src, dest)",
    "kapu.yaml:2: policy.never-block.0: '198.51.100.7/24' has host bits set after /24; give the network 198.51.100.0/24, or the host without /24",
    "kapu.yaml:4: policy.quarantine.hooks: 'prerouting' is not a hook (expected forward, input or output)",
    'kapu.yaml:8: policy.responses.2: rule 1:5 already has a response (policy.responses.1); give each rule one response',
  ]);
});

test('rate limit responses read', () => {
  const { config } = load(`policy:
  rate-limit:
    sid: 9
    max-per-minute: 4
  responses:
    - { sid: 1000020, action: rate-limit, target: src, timeout: 30s, rate: 20 }
    - { sid: 1000021, action: rate-limit, target: dest, rate: 100, rate-bytes: 1 MiB }
`);
  assert.deepEqual(config.policy.responses, [
    { sid: 1000020, gid: 1, action: 'rate-limit', target: 'src', timeout: 30, rate: 20, rateBytes: null },
    { sid: 1000021, gid: 1, action: 'rate-limit', target: 'dest', timeout: 600, rate: 100, rateBytes: 1024 * 1024 },
  ]);
  assert.deepEqual(config.policy.rateLimit, { sid: 9, maxPerMinute: 4 });
  assert.deepEqual(loadConfig(null, []).config.policy.rateLimit, { sid: 2, maxPerMinute: 10 });
});

test('rate limit bad values named', () => {
  assert.deepEqual(problems(`policy:
  rate-limit: { sid: 1 }
  responses:
    - { sid: 5, action: rate-limit }
    - { sid: 6, action: rate-limit, rate: 0 }
    - { sid: 7, action: quarantine, rate: 20 }
    - { sid: 8, action: rate-limit, rate: 20, rate-bytes: 0 }
    - { sid: 9, action: limit, rate: 20 }
`), [
    "kapu.yaml:5: policy.responses.1.rate: '0' is out of range (expected 1 to 10000000)",
    "kapu.yaml:8: policy.responses.4.action: 'limit' is not allowed (expected quarantine, rate-limit)",
    'kapu.yaml:4: policy.responses.0.rate: missing (action rate-limit needs the packets per second, such as rate: 50)',
    'kapu.yaml:5: policy.responses.1.rate: missing (action rate-limit needs the packets per second, such as rate: 50)',
    'kapu.yaml:6: policy.responses.2.rate: is set, but action quarantine takes no rate (expected it only with action rate-limit)',
    'kapu.yaml:7: policy.responses.3.rate-bytes: 0 is too small (expected at least 1 byte per second)',
    'kapu.yaml:2: policy.rate-limit.sid: sid 1 is also policy.quarantine.sid (expected another sid, since both are gid 8100 alerts)',
  ]);
});

test('blocklist entries checked', () => {
  const found = problems(`policy:
  blocklists:
    - { id: 7, kind: ip, path: a.txt, action: nxdomain }
    - { id: 7, kind: domain }
    - { id: 8, kind: domain, url: "ftp://lists.example/a", action: sinkhole, sinkhole: [198.51.100.1, 198.51.100.2, "not-an-address"] }
    - { id: 1, path: b.txt }
`);
  assert.deepEqual(found, [
    "kapu.yaml:3: policy.blocklists.0.action: 'nxdomain' needs kind domain (kind ip can only drop)",
    'kapu.yaml:4: policy.blocklists.1: no list source (expected path or url)',
    'kapu.yaml:4: policy.blocklists.1.id: id 7 is already used by policy.blocklists.0 (expected one id per list)',
    "kapu.yaml:5: policy.blocklists.2.url: 'ftp://lists.example/a' is not an http or https URL",
    'kapu.yaml:5: policy.blocklists.2.sinkhole.1: a second IPv4 address (expected at most one per family)',
    "kapu.yaml:5: policy.blocklists.2.sinkhole.2: 'not-an-address' is not an IPv4 or IPv6 address",
    'kapu.yaml:6: policy.blocklists.3.id: id 1 is the sid of policy.quarantine.sid (expected another sid, since both are gid 8100 alerts)',
  ]);
});

test('blocklist defaults', () => {
  const { config } = load('policy:\n  blocklists:\n    - { id: 9, path: ads.txt }\n');
  assert.deepEqual(config.policy.blocklists, [{ id: 9, name: null, kind: 'domain', format: 'plain', path: 'ads.txt', url: null, action: 'drop', sinkhole: [], subdomains: true }]);
  assert.equal(config.policy.blocklist.maxEntries, 1_000_000);
});
