import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));

interface ExpectedAlert {
  gid: number;
  sid: number;
  rev: number;
  action: string;
  msg: string;
  count: number;
  frames: number[];
}

interface RuleFacts {
  action: string;
  msg: string;
  rev: number;
  text: string;
}

function readRules(file: string): Map<number, RuleFacts> {
  const rules = new Map<number, RuleFacts>();
  for (const line of readFileSync(SAMPLES + file, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sid = Number(/sid:(\d+);/.exec(line)?.[1]);
    rules.set(sid, {
      action: line.split(' ')[0],
      msg: /msg:"([^"]*)"/.exec(line)?.[1] ?? '',
      rev: Number(/rev:(\d+);/.exec(line)?.[1]),
      text: line,
    });
  }
  return rules;
}

const expected = JSON.parse(readFileSync(SAMPLES + 'expected-alerts.json', 'utf8')) as {
  totalAlerts: number;
  alerts: ExpectedAlert[];
  silentRules: { sid: number }[];
  ipsDrops: { sid: number; frames: number[] }[];
};
const etRules = readRules('et-demo.rules');
const localRules = readRules('demo.rules');

test('expected alerts match rule files', () => {
  for (const alert of expected.alerts) {
    const rule = etRules.get(alert.sid) ?? localRules.get(alert.sid);
    assert.ok(rule, `sid ${alert.sid} is in neither rules file`);
    assert.equal(alert.msg, rule.msg, `msg of sid ${alert.sid}`);
    assert.equal(alert.rev, rule.rev, `rev of sid ${alert.sid}`);
    assert.equal(alert.action, rule.action, `action of sid ${alert.sid}`);
    assert.equal(alert.count, alert.frames.length, `frames of sid ${alert.sid}`);
  }
});

test('expected alerts total and coverage', () => {
  assert.equal(expected.totalAlerts, 22);
  assert.equal(
    expected.alerts.reduce((sum, alert) => sum + alert.count, 0),
    expected.totalAlerts,
  );
  const etFiring = expected.alerts.filter((alert) => etRules.has(alert.sid)).map((alert) => alert.sid);
  assert.equal(etFiring.length, etRules.size, 'every ET demo rule fires');
  assert.ok(etFiring.length >= 5);
});

test('local demo rules sid range', () => {
  for (const sid of localRules.keys()) assert.ok(sid >= 1000001 && sid < 2000000, `sid ${sid}`);
});

test('local demo rules flowbits pair', () => {
  const setter = localRules.get(1000002)?.text ?? '';
  const checker = localRules.get(1000003)?.text ?? '';
  assert.match(setter, /flowbits:set,kapu\.demo\.shell_id;/);
  assert.match(setter, /flowbits:noalert;/);
  assert.match(checker, /flowbits:isset,kapu\.demo\.shell_id;/);
  assert.deepEqual(
    expected.silentRules.map((rule) => rule.sid),
    [1000002],
  );
});

test('local demo rules drop action', () => {
  const drops = [...localRules.entries()].filter(([, rule]) => rule.action === 'drop').map(([sid]) => sid);
  assert.deepEqual(drops, [1000004]);
  assert.deepEqual(expected.ipsDrops, [{ gid: 1, sid: 1000004, frames: [160] }]);
});
