import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../../core/packet.js';
import { Flow } from '../../flow/flow.js';
import { makePacket } from '../../flow/test-packet.js';
import { loadRulesFromText } from '../rule-files.js';
import type { DetectThreadContext, Signature } from '../signature.js';
import { flowintValue } from './flowint.js';

const ctx: DetectThreadContext = { byteVars: new Float64Array(0) };

function load(text: string): { sigs: Map<number, Signature>; idOf: (name: string) => number } {
  const result = loadRulesFromText(text, 'i.rules');
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return {
    sigs: new Map(result.signatures.map((sig) => [sig.sid, sig])),
    idOf: (name) => result.variables.idOf('flowint', name),
  };
}

function errorOf(options: string): string {
  const result = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'i.rules');
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('; ');
}

function run(sig: Signature | undefined, flow: Flow | null, p: Packet = makePacket({ src: '198.51.100.1', dst: '203.0.113.1' })): boolean {
  assert.ok(sig);
  for (const m of sig.packetMatches) if (!m.match(p, flow, ctx)) return false;
  let alerts = !sig.isNoAlert;
  for (const m of sig.postMatches) if (!m.apply(p, flow, ctx)) alerts = false;
  return alerts;
}

test('flowint counts matches per flow', () => {
  const { sigs, idOf } = load(`
alert ip any any -> any any (flowint:count,notset; flowint:count,=,1; noalert; sid:1;)
alert ip any any -> any any (flowint:count,isset; flowint:count,+,1; noalert; sid:2;)
alert ip any any -> any any (flowint:count,>=,3; sid:3;)
`);
  const flow = new Flow();
  const count = idOf('count');
  run(sigs.get(1), flow);
  assert.equal(flowintValue(flow, count), 1);
  // sid 1 no longer matches once set; sid 2 adds one per packet.
  assert.equal(run(sigs.get(1), flow), false);
  run(sigs.get(2), flow);
  assert.equal(run(sigs.get(3), flow), false);
  run(sigs.get(2), flow);
  assert.equal(flowintValue(flow, count), 3);
  assert.equal(run(sigs.get(3), flow), true);
  // Another flow starts from nothing.
  assert.equal(run(sigs.get(3), new Flow()), false);
});

test('flowint add on unset sets value', () => {
  const { sigs, idOf } = load(`
alert ip any any -> any any (flowint:http.anomaly.count,+,1; sid:1;)
alert ip any any -> any any (flowint:left,-,1; sid:2;)
`);
  const flow = new Flow();
  assert.equal(run(sigs.get(1), flow), true);
  assert.equal(flowintValue(flow, idOf('http.anomaly.count')), 1);
  assert.equal(run(sigs.get(2), flow), true);
  assert.equal(flowintValue(flow, idOf('left')), -1);
});

test('flowint comparisons', () => {
  const cases: Array<[string, number, boolean]> = [
    ['==', 5, true], ['==', 6, false],
    ['!=', 5, false], ['!=', 6, true],
    ['<', 6, true], ['<', 5, false],
    ['<=', 5, true], ['<=', 4, false],
    ['>', 4, true], ['>', 5, false],
    ['>=', 5, true], ['>=', 6, false],
  ];
  for (const [op, value, expected] of cases) {
    const { sigs } = load(`
alert ip any any -> any any (flowint:v,=,5; sid:1;)
alert ip any any -> any any (flowint:v,${op},${value}; sid:2;)
`);
    const flow = new Flow();
    assert.equal(run(sigs.get(2), flow), false, `v ${op} ${value} with v unset`);
    run(sigs.get(1), flow);
    assert.equal(run(sigs.get(2), flow), expected, `5 ${op} ${value}`);
  }
});

test('flowint variable operand', () => {
  const { sigs, idOf } = load(`
alert ip any any -> any any (flowint:a,=,7; sid:1;)
alert ip any any -> any any (flowint:b,=,a; sid:2;)
alert ip any any -> any any (flowint:a,==,b; sid:3;)
alert ip any any -> any any (flowint:a,>,missing; sid:4;)
`);
  const flow = new Flow();
  run(sigs.get(2), flow);
  // An unset operand counts as 0.
  assert.equal(flowintValue(flow, idOf('b')), 0);
  run(sigs.get(1), flow);
  assert.equal(run(sigs.get(3), flow), false);
  run(sigs.get(2), flow);
  assert.equal(run(sigs.get(3), flow), true);
  assert.equal(run(sigs.get(4), flow), true);
});

test('flowint wraps at 32 bits', () => {
  const { sigs, idOf } = load(`
alert ip any any -> any any (flowint:w,=,4294967295; sid:1;)
alert ip any any -> any any (flowint:w,+,2; sid:2;)
alert ip any any -> any any (flowint:w,-,3; sid:3;)
`);
  const flow = new Flow();
  run(sigs.get(1), flow);
  run(sigs.get(2), flow);
  assert.equal(flowintValue(flow, idOf('w')), 1);
  run(sigs.get(3), flow);
  assert.equal(flowintValue(flow, idOf('w')), 4294967294);
});

test('flowint without a flow', () => {
  const { sigs } = load(`
alert ip any any -> any any (flowint:v,notset; sid:1;)
alert ip any any -> any any (flowint:v,=,1; sid:2;)
`);
  assert.equal(run(sigs.get(1), null), false);
  assert.equal(run(sigs.get(2), null), true);
});

test('flowint setup errors', () => {
  const allowed = '(expected <name>,<op>,<number or flowint name> with op one of = + - == != < <= > >=, or <name>,isset|notset)';
  assert.equal(errorOf('flowint:v;'), `flowint: 'v' is not a valid flowint ${allowed}`);
  assert.equal(errorOf('flowint:v,*,2;'), `flowint: '*' is not a flowint operator ${allowed}`);
  assert.equal(errorOf('flowint:9v,=,2;'), "flowint: '9v' is not a valid flowint name (expected a letter, then letters, digits and _ . - /)");
  assert.equal(errorOf('flowint:v,=,4294967296;'), "flowint: value '4294967296' is too large (expected 0 to 4294967295)");
  assert.equal(errorOf('flowint:v,+;'), "flowint: operand '' is invalid (expected a number from 0 to 4294967295 or a flowint name)");
  assert.equal(errorOf('flowint:v,<,-1;'), "flowint: operand '-1' is invalid (expected a number from 0 to 4294967295 or a flowint name)");
  assert.equal(errorOf('flowint: v , isnotset ;'), '');
  assert.equal(errorOf('flowint:v,isset,3;'), '');
});
