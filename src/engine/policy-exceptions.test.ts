import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../core/errors.js';
import { loadConfig } from '../config/load-config.js';
import { TcpFlag, bytesOf, tcpFrame } from '../test-support/packet-craft.js';
import { PipelineHarness } from '../test-support/pipeline-harness.js';

const RULES = [
  'alert tcp any any -> any any (msg:"evil"; content:"EVIL"; sid:1000001; rev:2;)',
  'drop tcp any any -> any any (msg:"worse"; content:"WORSE"; sid:1000002;)',
  'alert tcp any any -> any any (msg:"odd"; content:"ODD"; sid:1000003;)',
];

/** Builds one client segment with `text` as payload; `n` varies the sequence number. */
function segment(src: string, dst: string, text: string, n = 0): Uint8Array {
  return tcpFrame({ src, dst, sport: 40000, dport: 8080, seq: 1000 + n * 100, ack: 2000, flags: TcpFlag.ACK | TcpFlag.PSH, payload: bytesOf(text) });
}

const harnesses: PipelineHarness[] = [];
function harness(yaml: string): PipelineHarness {
  const h = new PipelineHarness(yaml, RULES);
  harnesses.push(h);
  return h;
}
after(() => {
  for (const h of harnesses) h.dispose();
});

function alertSids(h: PipelineHarness): number[] {
  return h.events('alert').map((e) => (e['alert'] as { signature_id: number }).signature_id);
}

describe('policy.suppress', () => {
  it('suppresses every alert of a sid', () => {
    const h = harness('policy:\n  suppress:\n    - { sid: 1000001 }\n');
    for (let i = 0; i < 3; i++) h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL', i), i);
    h.run(segment('198.51.100.7', '203.0.113.5', 'ODD', 3), 3);
    assert.deepEqual(alertSids(h), [1000003]);
    assert.equal(h.thresholds.alertsSuppressed, 3);
  });

  it('suppresses by source address', () => {
    const h = harness('policy:\n  suppress:\n    - { gid: 1, sid: 1000001, track: by_src, ip: 198.51.100.7 }\n');
    h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL'), 0);
    h.run(segment('198.51.100.8', '203.0.113.5', 'EVIL'), 1);
    // by_src looks at the source only: .7 as a destination still alerts.
    h.run(segment('203.0.113.5', '198.51.100.7', 'EVIL'), 2);
    const alerts = h.events('alert');
    assert.deepEqual(alerts.map((e) => e['src_ip']), ['198.51.100.8', '203.0.113.5']);
  });

  it('suppresses by destination network', () => {
    const h = harness('policy:\n  suppress:\n    - { sid: 1000001, track: by_dst, ip: [203.0.113.0/28, 203.0.113.200] }\n');
    h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL'), 0);
    h.run(segment('198.51.100.7', '203.0.113.200', 'EVIL'), 1);
    h.run(segment('198.51.100.7', '203.0.113.99', 'EVIL'), 2);
    assert.deepEqual(h.events('alert').map((e) => e['dest_ip']), ['203.0.113.99']);
  });

  it('suppressed drop rule still drops', () => {
    const h = harness('policy:\n  mode: ips\n  suppress:\n    - { sid: 1000002 }\n');
    const p = h.run(segment('198.51.100.7', '203.0.113.5', 'WORSE'), 0);
    assert.equal(p.isDropped, true);
    assert.equal(h.events('alert').length, 0);
    assert.equal(h.pipeline.counters.blocked, 1);
  });
});

describe('policy.rate-filter', () => {
  const yaml = `policy:
  mode: ips
  rate-filter:
    - { sid: 1000001, track: by_src, count: 2, seconds: 10, new-action: drop, timeout: 30 }
`;

  it('drops past the rate until the timeout', () => {
    const h = harness(yaml);
    // Matches 1 and 2 are within count; match 3 at 2 s exceeds it, so the
    // new action stays in force until 2 + 30 = 32 s. At 40 s counting restarts.
    const fates = [0, 1, 2, 20, 40].map((t, i) => h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL', i), t).isDropped);
    assert.deepEqual(fates, [false, false, true, true, false]);
    const actions = h.events('alert').map((e) => (e['alert'] as { action: string }).action);
    assert.deepEqual(actions, ['allowed', 'allowed', 'blocked', 'blocked', 'allowed']);
    assert.equal(h.thresholds.rateFilterActivations, 1);
  });

  it('tracks each source apart', () => {
    const h = harness(yaml);
    for (let i = 0; i < 3; i++) h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL', i), i);
    const other = h.run(segment('198.51.100.8', '203.0.113.5', 'EVIL', 9), 3);
    assert.equal(other.isDropped, false);
  });

  it('new action pass removes the alert', () => {
    const h = harness('policy:\n  rate-filter:\n    - { sid: 1000001, count: 1, seconds: 60, new-action: pass, timeout: 1m }\n');
    for (let i = 0; i < 3; i++) h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL', i), i);
    assert.equal(h.events('alert').length, 1);
  });

  it('merges with the threshold file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapu-policy-threshold-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'threshold.config');
    writeFileSync(file, [
      'suppress gen_id 1, sig_id 1000003',
      // The policy's rate filter for 1000001 comes first and applies, not this one.
      'rate_filter gen_id 1, sig_id 1000001, track by_rule, count 100, seconds 60, new_action pass, timeout 60',
      '',
    ].join('\n'));
    const h = harness(`threshold-file: ${file}\npolicy:\n  mode: ips\n  rate-filter:\n    - { sid: 1000001, count: 1, seconds: 60, new-action: drop, timeout: 60 }\n`);
    const first = h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL', 0), 0);
    const second = h.run(segment('198.51.100.7', '203.0.113.5', 'EVIL', 1), 1);
    h.run(segment('198.51.100.7', '203.0.113.5', 'ODD', 2), 2);
    assert.equal(first.isDropped, false);
    assert.equal(second.isDropped, true);
    assert.deepEqual(alertSids(h), [1000001, 1000001]);
    assert.deepEqual(h.warnings, []);
  });
});

describe('policy exception errors', () => {
  function problems(yaml: string): string[] {
    const dir = mkdtempSync(join(tmpdir(), 'kapu-policy-errors-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'kapu.yaml');
    writeFileSync(path, yaml);
    try {
      loadConfig(path, []);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
    assert.fail('config loaded');
  }

  it('names key path and index', () => {
    const found = problems(`policy:
  suppress:
    - { sid: 1 }
    - sid: 2
      track: by_src
      ip: 300.1.1.1
    - { sid: 3, track: sideways, ip: 198.51.100.1 }
    - 2019401
  rate-filter:
    - { sid: 4, count: 0, seconds: 60, new-action: block, timeout: 1m }
    - { count: 5, seconds: 1x, new-action: drop, timeout: 10 }
`);
    assert.deepEqual(found, [
      "kapu.yaml:8: policy.suppress[3]: expected a map of keys, such as { sid: 2019401, track: by_src, ip: 198.51.100.7 }",
      "kapu.yaml:6: policy.suppress[1].ip: '300.1.1.1' is not an IP address or network",
      "kapu.yaml:7: policy.suppress[2].track: 'sideways' is not allowed (expected by_src, by_dst, by_either)",
      "kapu.yaml:10: policy.rate-filter[0].count: '0' is not a whole number from 1 to 4294967295",
      "kapu.yaml:10: policy.rate-filter[0].new-action: 'block' is not an action (expected drop, reject, pass or alert)",
      "kapu.yaml:11: policy.rate-filter[1].sid: missing (this key is required)",
      "kapu.yaml:11: policy.rate-filter[1].seconds: '1x' is not a duration of at least 1 second (expected seconds, or a number with s, m, h or d)",
    ]);
  });

  it('ip without track', () => {
    assert.deepEqual(problems('policy:\n  suppress:\n    - { sid: 5, ip: 198.51.100.1 }\n'), [
      'kapu.yaml:3: policy.suppress[0].track: missing (an entry with ip needs track by_src, by_dst or by_either)',
    ]);
  });

  it('address variable in ip', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapu-policy-vars-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'kapu.yaml');
    writeFileSync(path, 'vars:\n  address-groups:\n    SCANNERS: "[198.51.100.7,198.51.100.9]"\npolicy:\n  suppress:\n    - { sid: 6, track: by_src, ip: $SCANNERS }\n');
    const { config } = loadConfig(path, []);
    assert.equal(config.policy.suppress.length, 1);
  });
});
