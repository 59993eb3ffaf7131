import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnomalyFinding } from '../anomaly/finding.js';
import { AnomalyActions, addressText, type AnomalyFirewall } from './anomaly-actions.js';
import { requestAnomalyQuarantine } from './anomaly-quarantine.js';
import type { QuarantineEvidence, QuarantineManager } from './quarantine-manager.js';
import { formatAddressWords } from '../anomaly/top-addresses.js';
import { NftAnomaly } from '../act/nft-anomaly.js';

const S = 1_000_000;

function finding(type: number, srcIp: string | null, destIp: string, spoofed: boolean | null, timestampUs = S): AnomalyFinding {
  return {
    type, phase: 'start', timestampUs, srcIp, destIp, destPort: 0, proto: 'TCP', entity: 'host', metric: 'm', observed: 1,
    baseline: 1, deviation: 1, windowStartUs: 0, windowEndUs: timestampUs, intervalS: 1, sampleRate: 1, peak: 1,
    distinctSources: 1, sourcesSpoofed: spoofed, topSources: [], topTargets: [], topPorts: [],
  };
}

/** Records what the firewall was asked to do. */
function recorder(): { firewall: AnomalyFirewall; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    firewall: {
      limitSource: (address, timeoutS) => calls.push(`limit ${address} ${timeoutS}`),
      dropVictim: (address, timeoutS) => calls.push(`drop ${address} ${timeoutS}`),
    },
  };
}

test('actions by detector rule', () => {
  const { firewall, calls } = recorder();
  const actions = new AnomalyActions([
    { detector: 'port_scan', action: 'rate-limit', timeoutS: 600 },
    { detector: 'syn_flood', action: 'drop', timeoutS: 300 },
    { detector: 'any', action: 'alert', timeoutS: 60 },
  ], [], 10, firewall);
  actions.handle(finding(7, '203.0.113.9', '198.51.100.5', false));
  actions.handle(finding(3, null, '198.51.100.6', true));
  actions.handle(finding(4, '203.0.113.10', '198.51.100.7', null));
  actions.handle({ ...finding(7, '203.0.113.11', '198.51.100.5', false), phase: 'update' });
  assert.deepEqual(calls, ['limit 203.0.113.9 600', 'drop 198.51.100.6 300']);
  assert.equal(actions.counters.taken, 2);
});

test('rate limit skips spoofed sources', () => {
  const { firewall, calls } = recorder();
  const actions = new AnomalyActions([{ detector: 'syn_flood', action: 'rate-limit', timeoutS: 60 }], [], 10, firewall);
  actions.handle(finding(3, '203.0.113.9', '198.51.100.5', true));
  actions.handle(finding(3, null, '198.51.100.5', null));
  assert.deepEqual(calls, []);
  assert.equal(actions.counters.noSource, 2);
});

test('never-block and budget', () => {
  const { firewall, calls } = recorder();
  const actions = new AnomalyActions([{ detector: 'any', action: 'drop', timeoutS: 60 }], ['198.51.100.0/28'], 2, firewall);
  actions.handle(finding(3, null, '198.51.100.5', true, 1 * S));
  assert.equal(actions.counters.neverBlock, 1);
  actions.handle(finding(3, null, '198.51.100.20', true, 2 * S));
  actions.handle(finding(3, null, '198.51.100.21', true, 3 * S));
  actions.handle(finding(3, null, '198.51.100.22', true, 4 * S));
  assert.equal(actions.counters.overLimit, 1, 'the third action within one minute is skipped');
  actions.handle(finding(3, null, '198.51.100.23', true, 62 * S));
  assert.deepEqual(calls, ['drop 198.51.100.20 60', 'drop 198.51.100.21 60', 'drop 198.51.100.23 60']);
});

test('unknown detector rejected', () => {
  assert.throws(() => new AnomalyActions([{ detector: 'syn-flood', action: 'drop', timeoutS: 1 }], [], 1, recorder().firewall), /detector 'syn-flood' is unknown/);
});

test('nft batches of the actions', async () => {
  const batches: string[] = [];
  const nft = new NftAnomaly({ table: 'kapu_anomaly', ratePps: 100 }, async (args, input) => {
    assert.deepEqual(args, ['-f', '-']);
    batches.push(input);
    return { status: 0, stdout: '', stderr: '' };
  });
  assert.equal(await nft.setup(), true);
  assert.match(batches[0], /^table inet kapu_anomaly\ndelete table inet kapu_anomaly\ntable inet kapu_anomaly \{\n/);
  assert.ok(batches[0].includes('    ip saddr @limited4 update @meter4 { ip saddr limit rate over 100/second } drop\n'));
  assert.ok(batches[0].includes('    ip6 daddr @victims6 drop\n'));
  nft.limitSource('203.0.113.9', 600);
  nft.dropVictim('2001:db8::5', 59.6);
  nft.limitSource('203.0.113.9; flush ruleset', 1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches.slice(1), [
    'add element inet kapu_anomaly limited4 { 203.0.113.9 timeout 600s }\n',
    'add element inet kapu_anomaly victims6 { 2001:db8::5 timeout 60s }\n',
  ]);
  assert.equal(nft.counters.batches, 3);
});

test('nft table name checked', () => {
  assert.throws(() => new NftAnomaly({ table: 'bad name', ratePps: 1 }), /anomaly.actions.table 'bad name' is invalid/);
});

/** Records quarantine requests besides the other actions. */
function quarantineRecorder(): { firewall: AnomalyFirewall; calls: string[] } {
  const { firewall, calls } = recorder();
  firewall.quarantineSource = (address, timeoutS, f) => calls.push(`quarantine ${address} ${timeoutS} sid ${f.type}`);
  return { firewall, calls };
}

test('quarantine needs a completed handshake', () => {
  const { firewall, calls } = quarantineRecorder();
  const actions = new AnomalyActions([{ detector: 'port_scan', action: 'quarantine', timeoutS: 900 }], [], 10, firewall);
  assert.equal(actions.wantsHandshakes, true);
  actions.handle(finding(7, '203.0.113.9', '198.51.100.5', false));
  assert.deepEqual(calls, []);
  assert.equal(actions.counters.noHandshake, 1);
  actions.noteHandshake('203.0.113.9');
  actions.handle(finding(7, '203.0.113.9', '198.51.100.5', false, 2 * S));
  assert.deepEqual(calls, ['quarantine 203.0.113.9 900 sid 7']);
  assert.equal(actions.counters.taken, 1);
});

test('quarantine skips spoofed and never-block sources', () => {
  const { firewall, calls } = quarantineRecorder();
  const actions = new AnomalyActions([{ detector: 'any', action: 'quarantine', timeoutS: 900 }], ['203.0.113.0/28'], 10, firewall);
  actions.noteHandshake('203.0.113.9');
  actions.handle(finding(3, '203.0.113.40', '198.51.100.6', true));
  actions.handle(finding(7, '203.0.113.9', '198.51.100.5', false));
  assert.deepEqual(calls, []);
  assert.equal(actions.counters.noSource, 1);
  assert.equal(actions.counters.neverBlock, 1);
});

test('rules without quarantine want no handshakes', () => {
  const actions = new AnomalyActions([{ detector: 'any', action: 'drop', timeoutS: 60 }], [], 10, recorder().firewall);
  assert.equal(actions.wantsHandshakes, false);
});

test('address text matches the findings', () => {
  assert.equal(addressText(4, Uint8Array.from([203, 0, 113, 9])), '203.0.113.9');
  const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25]);
  const words = Uint32Array.from([0x20010db8, 0, 0, 0x25]);
  assert.equal(addressText(6, v6), formatAddressWords(6, words, 0));
});

test('anomaly quarantine request carries the finding', () => {
  const requests: Array<{ target: number[]; evidence: QuarantineEvidence; flow: unknown }> = [];
  const manager = { request: (target: Uint8Array, evidence: QuarantineEvidence, flow: unknown) => requests.push({ target: [...target], evidence, flow }) };
  requestAnomalyQuarantine(manager as unknown as QuarantineManager, '203.0.113.9', 600, finding(7, '203.0.113.9', '198.51.100.5', false));
  assert.equal(requests.length, 1);
  const r = requests[0]!;
  assert.deepEqual(r.target, [203, 0, 113, 9]);
  assert.equal(r.flow, null);
  assert.equal(r.evidence.hasHandshake, true);
  assert.deepEqual([r.evidence.rule.gid, r.evidence.rule.sid, r.evidence.response.timeoutS], [8200, 7, 600]);
  assert.deepEqual([...r.evidence.packet.dstAddr], [198, 51, 100, 5]);
});
