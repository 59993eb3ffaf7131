import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { loadConfig } from '../config/load-config.js';
import { TcpFlag, bytesOf, tcpFrame } from '../test-support/packet-craft.js';
import { PipelineHarness } from '../test-support/pipeline-harness.js';
import { collectStats } from './collect-stats.js';
import { formatSummary } from '../cli/run.js';
import { explainPacket } from '../cli/explain-command.js';

const RULES = [
  'drop tcp any any -> any any (msg:"worse"; content:"WORSE"; sid:1000002; rev:3;)',
  'reject tcp any any -> any any (msg:"rejected"; content:"NOPE"; sid:1000004;)',
  'drop tcp any any -> any any (msg:"kept"; content:"KEPT"; sid:2000001;)',
  'alert tcp any any -> any any (msg:"evil"; content:"EVIL"; sid:1000001;)',
];

/** Builds one client segment with `text` as payload; `n` varies the sequence number. */
function segment(text: string, n = 0): Uint8Array {
  return tcpFrame({ src: '198.51.100.7', dst: '203.0.113.5', sport: 40000, dport: 8080, seq: 1000 + n * 100, ack: 2000, flags: TcpFlag.ACK | TcpFlag.PSH, payload: bytesOf(text) });
}

const harnesses: PipelineHarness[] = [];
function harness(yaml: string, ruleFileName?: string): PipelineHarness {
  const h = new PipelineHarness(yaml, RULES, ruleFileName);
  harnesses.push(h);
  return h;
}
after(() => {
  for (const h of harnesses) h.dispose();
});

type Alert = { alert: { signature_id: number; action: string }; kapu: Record<string, unknown> };

describe('policy.shadow', () => {
  it('shadowed drop passes in ips', () => {
    const h = harness('policy:\n  mode: ips\n  shadow:\n    - 1000002\n');
    const p = h.run(segment('WORSE'));
    assert.equal(p.isDropped, false);
    assert.equal(h.events('drop').length, 0);
    const [alert] = h.events('alert') as unknown as Alert[];
    assert.equal(alert?.alert.action, 'allowed');
    assert.deepEqual(alert?.kapu, { mode: 'ips', configured_action: 'drop', final_action: 'alert', shadow: true, policy: ['policy.shadow[0]'] });
    assert.equal(h.pipeline.counters.shadowHits, 1);
    assert.equal(collectStats(h.pipeline, h.pipeline.parts.flows, h.thresholds, h.config).get('policy.shadow.hits'), 1);
  });

  it('other drop rules still drop', () => {
    const h = harness('policy:\n  mode: ips\n  shadow:\n    - 1000002\n');
    const p = h.run(segment('KEPT'));
    assert.equal(p.isDropped, true);
    const [alert] = h.events('alert') as unknown as Alert[];
    assert.equal(alert?.alert.action, 'blocked');
    assert.deepEqual(alert?.kapu, { mode: 'ips', configured_action: 'drop', final_action: 'drop' });
    assert.equal(h.pipeline.counters.shadowHits, 0);
  });

  it('sid range and reject', () => {
    const h = harness('policy:\n  mode: ips\n  shadow:\n    - 2019401\n    - 1000000-1000999\n');
    assert.equal(h.run(segment('NOPE', 0), 0).isDropped, false);
    assert.equal(h.run(segment('WORSE', 1), 1).isDropped, false);
    const kapu = (h.events('alert') as unknown as Alert[]).map((e) => [e.kapu['configured_action'], e.kapu['policy']]);
    assert.deepEqual(kapu, [['reject', ['policy.shadow[1]']], ['drop', ['policy.shadow[1]']]]);
    assert.equal(h.pipeline.counters.shadowHits, 2);
  });

  it('group glob selects rule file', () => {
    const h = harness('policy:\n  mode: ips\n  shadow:\n    - group:emerging-*.rules\n', 'emerging-trojan.rules');
    assert.equal(h.run(segment('KEPT')).isDropped, false);
  });

  it('virtual-patches selects the catalog', () => {
    // The rule file sits in the catalog folder, as a patch file does.
    const h = harness('virtual-patches:\n  path: {{dir}}\npolicy:\n  mode: ips\n  shadow: [virtual-patches]\n', 'cve-2024-0001.rules');
    assert.equal(h.run(segment('KEPT')).isDropped, false);
    assert.equal(h.pipeline.counters.shadowHits, 1);
  });

  it('rate filter cannot block shadowed rule', () => {
    const h = harness('policy:\n  mode: ips\n  shadow: [1000001]\n  rate-filter:\n    - { sid: 1000001, count: 1, seconds: 60, new-action: drop, timeout: 60 }\n');
    assert.equal(h.run(segment('EVIL', 0), 0).isDropped, false);
    assert.equal(h.run(segment('EVIL', 1), 1).isDropped, false);
  });

  it('summary lists shadow hits per sid', () => {
    const h = harness('policy:\n  mode: ips\n  shadow:\n    - 1000002\n');
    h.run(segment('WORSE', 0), 0);
    h.run(segment('WORSE', 1), 1);
    const c = h.pipeline.counters;
    assert.deepEqual([...c.shadowHitsBySignature], [['1:1000002:3', { msg: 'worse', count: 2, configuredAction: 'drop' }]]);
    const text = formatSummary({
      packets: 2, bytes: 0, alerts: 2, drops: 0, decoderEvents: 0, rulesLoaded: 4, rulesFailed: 0, flows: 1, elapsedMs: 1,
      alertsBySignature: new Map([['1:1000002:3 worse', 2]]),
      shadowHitsBySignature: new Map([['1:1000002:3 worse (configured drop)', 2]]),
      peakMemory: { flow: 0, stream: 0, reassembly: 0 },
    }, { pcapPath: 'x.pcap', logDir: '.' } as Parameters<typeof formatSummary>[1], true);
    assert.match(text, /\n  shadow hits    2 \(alert-only, policy\.shadow\)\n {9}2  \[1:1000002:3\] worse \(configured drop\)\n/);
  });

  it('bad shadow entry names index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kapu-shadow-config-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'kapu.yaml');
    writeFileSync(path, 'policy:\n  shadow:\n    - 2019401\n    - sid 5\n');
    let problems: string[] = [];
    try {
      loadConfig(path, []);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      problems = err.problems;
    }
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^kapu\.yaml:4: policy\.shadow\[1\]: 'sid 5' is not a rule matcher .*, or virtual-patches$/);
  });
});


describe('decision records', () => {
  it('rule filter names its entry', () => {
    const h = harness('policy:\n  mode: ips\n  drop:\n    - 2019401\n    - 1000001\n');
    assert.equal(h.run(segment('EVIL')).isDropped, true);
    const [alert] = h.events('alert') as unknown as Alert[];
    assert.deepEqual(alert?.kapu, { mode: 'ips', configured_action: 'drop', final_action: 'drop', policy: ['policy.drop[1]'] });
    const text = explainPacket('1', h.events());
    assert.match(text, /\n  dropped: rule 1:1000001 drop in IPS mode \(action set to drop by policy\.drop\[1\]\)\n$/);
  });

  it('rate filter names its entry', () => {
    const h = harness('policy:\n  mode: ips\n  rate-filter:\n    - { sid: 1000001, count: 1, seconds: 60, new-action: drop, timeout: 60 }\n');
    h.run(segment('EVIL', 0), 0);
    assert.equal(h.run(segment('EVIL', 1), 1).isDropped, true);
    const alerts = h.events('alert') as unknown as Alert[];
    assert.deepEqual(alerts[0]?.kapu, { mode: 'ips', configured_action: 'alert', final_action: 'alert' });
    assert.deepEqual(alerts[1]?.kapu, { mode: 'ips', configured_action: 'alert', final_action: 'drop', rate_filter_action: 'drop', policy: ['policy.rate-filter[0]'] });
    assert.match(explainPacket('2', h.events().filter((e) => e['pcap_cnt'] === 2)), /\n  dropped: rate filter policy\.rate-filter\[0\] turned alert into drop\n$/);
    assert.match(explainPacket('1', h.events().filter((e) => e['pcap_cnt'] === 1)), /\n  alert only: rule 1:1000001 action alert\n$/);
  });

  it('ids mode keeps drop as alert', () => {
    const h = harness('policy:\n  mode: ids\n');
    assert.equal(h.run(segment('KEPT')).isDropped, false);
    const [alert] = h.events('alert') as unknown as Alert[];
    assert.deepEqual(alert?.kapu, { mode: 'ids', configured_action: 'drop', final_action: 'alert' });
  });
});
