import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, IpProto, Packet } from '../../core/packet.js';
import { Flow, FlowState } from '../../flow/flow.js';
import { loadRulesFromText } from '../rule-files.js';
import { FlowFlag, type DetectThreadContext, type Signature } from '../signature.js';
import { matchStreamFlowFlags } from './flow.js';
import { consumeSessionTag, HOST_TAGS, TagUnit } from './tag.js';

const ctx: DetectThreadContext = { byteVars: new Float64Array(0) };

function load(text: string): Signature[] {
  const result = loadRulesFromText(text, 'f.rules');
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return result.signatures;
}

function errorOf(options: string): string {
  const result = loadRulesFromText(`alert tcp any any -> any any (${options} sid:1;)`, 'f.rules');
  return result.diagnostics.map((d) => d.message).join('; ');
}

/** Runs a signature the way the engine does: every packet matcher, then every post matcher. */
function run(sig: Signature, p: Packet, flow: Flow | null): boolean {
  for (const m of sig.packetMatches) if (!m.match(p, flow, ctx)) return false;
  let alerts = !sig.isNoAlert;
  for (const m of sig.postMatches) if (!m.apply(p, flow, ctx)) alerts = false;
  return alerts;
}

function tcpPacket(direction: number): Packet {
  const p = new Packet();
  p.ipVersion = 4;
  p.ipProto = IpProto.TCP;
  p.l4Offset = 34;
  p.direction = direction;
  return p;
}

test('flow options set flags', () => {
  const [sig] = load('alert tcp any any -> any any (flow:established,to_server; sid:1;)');
  assert.equal(sig.flowFlags, FlowFlag.ESTABLISHED | FlowFlag.TO_SERVER);
  const [alias] = load('alert tcp any any -> any any (flow:from_server,not_established,no_frag; sid:2;)');
  assert.equal(alias.flowFlags, FlowFlag.TO_CLIENT | FlowFlag.NOT_ESTABLISHED | FlowFlag.NO_FRAG);
});

test('flow direction and state', () => {
  const [sig] = load('alert tcp any any -> any any (flow:established,to_server; sid:1;)');
  const flow = new Flow();
  flow.state = FlowState.ESTABLISHED;
  assert.equal(run(sig, tcpPacket(Direction.TO_SERVER), flow), true);
  assert.equal(run(sig, tcpPacket(Direction.TO_CLIENT), flow), false);
  assert.equal(run(sig, tcpPacket(Direction.TO_SERVER), null), false);
  flow.state = FlowState.NEW;
  assert.equal(run(sig, tcpPacket(Direction.TO_SERVER), flow), false);
  const [notEst] = load('alert tcp any any -> any any (flow:not_established; sid:2;)');
  assert.equal(run(notEst, tcpPacket(Direction.TO_SERVER), flow), true);
});

test('flow stateless and frag options', () => {
  const [stateless] = load('alert tcp any any -> any any (flow:stateless; sid:1;)');
  assert.equal(run(stateless, tcpPacket(Direction.TO_SERVER), null), true);
  const [onlyFrag] = load('alert tcp any any -> any any (flow:only_frag; sid:2;)');
  const p = tcpPacket(Direction.TO_SERVER);
  assert.equal(run(onlyFrag, p, null), false);
  p.isDefragmented = true;
  assert.equal(run(onlyFrag, p, null), true);
  assert.equal(matchStreamFlowFlags(FlowFlag.ONLY_STREAM, false), false);
  assert.equal(matchStreamFlowFlags(FlowFlag.ONLY_STREAM, true), true);
  assert.equal(matchStreamFlowFlags(FlowFlag.NO_STREAM, true), false);
});

test('flow conflicting options', () => {
  assert.equal(errorOf('flow:to_server,to_client;'), "flow: 'to_server,to_client' combines to_server and to_client, which exclude each other");
  assert.equal(errorOf('flow:established,established;'), "flow: 'established' is given twice");
  assert.match(errorOf('flow:sideways;'), /^flow: 'sideways' is not a flow option \(expected to_server, from_client/);
});

test('flowbits set then isset', () => {
  const [setter, checker] = load(
    [
      'alert tcp any any -> any any (msg:"login"; flowbits:set,logged_in; flowbits:noalert; sid:1;)',
      'alert tcp any any -> any any (msg:"after login"; flowbits:isset,logged_in; sid:2;)',
    ].join('\n'),
  );
  const flow = new Flow();
  const other = new Flow();
  const p = tcpPacket(Direction.TO_SERVER);
  assert.equal(run(checker, p, flow), false);
  assert.equal(run(setter, p, flow), false); // noalert: no alert, bit still set
  assert.equal(run(checker, p, flow), true);
  assert.equal(run(checker, p, other), false);
  assert.equal(run(checker, p, null), false);
});

test('flowbits unset toggle isnotset', () => {
  const [unset, toggle, notSet] = load(
    [
      'alert tcp any any -> any any (flowbits:unset,a; sid:1;)',
      'alert tcp any any -> any any (flowbits:toggle,a; sid:2;)',
      'alert tcp any any -> any any (flowbits:isnotset,a; sid:3;)',
    ].join('\n'),
  );
  const flow = new Flow();
  const p = tcpPacket(Direction.TO_SERVER);
  assert.equal(run(notSet, p, flow), true);
  run(toggle, p, flow);
  assert.equal(run(notSet, p, flow), false);
  run(toggle, p, flow);
  assert.equal(run(notSet, p, flow), true);
  run(toggle, p, flow);
  run(unset, p, flow);
  assert.equal(run(notSet, p, flow), true);
  assert.equal(run(notSet, p, null), true);
});

test('flowbits OR list', () => {
  const [setB, either] = load(
    ['alert tcp any any -> any any (flowbits:set,b; sid:1;)', 'alert tcp any any -> any any (flowbits:isset,a|b; sid:2;)'].join('\n'),
  );
  const flow = new Flow();
  const p = tcpPacket(Direction.TO_SERVER);
  assert.equal(run(either, p, flow), false);
  run(setB, p, flow);
  assert.equal(run(either, p, flow), true);
  assert.equal(errorOf('flowbits:set,a|b;'), "flowbits: 'a|b': '|' lists are allowed only with isset and isnotset");
  assert.match(errorOf('flowbits:frob,a;'), /^flowbits: 'frob' is not a flowbits action/);
});

test('flowbits beyond initial words', () => {
  const names = Array.from({ length: 300 }, (_, i) => `bit${i}`);
  const rules = names.map((n, i) => `alert tcp any any -> any any (flowbits:set,${n}; sid:${i + 1};)`);
  rules.push('alert tcp any any -> any any (flowbits:isset,bit299; sid:1000;)');
  const sigs = load(rules.join('\n'));
  const flow = new Flow();
  const p = tcpPacket(Direction.TO_SERVER);
  run(sigs[0], p, flow);
  assert.equal(run(sigs[300], p, flow), false);
  run(sigs[299], p, flow);
  assert.equal(run(sigs[300], p, flow), true);
  assert.ok((flow.flowbits as Uint32Array).length >= 10);
});

test('flowbit checked but never set', () => {
  const result = loadRulesFromText('alert tcp any any -> any any (flowbits:isset,ghost; sid:5;)', 'w.rules');
  assert.equal(result.signatures.length, 1);
  assert.deepEqual(
    result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column} ${d.message}`),
    ["warning KAPU_ERR_RULE_FLOWBIT_NEVER_SET 1:46 flowbits: 'ghost' is checked but no loaded rule sets it"],
  );
});

test('threshold and detection_filter parsed', () => {
  const [t] = load('alert tcp any any -> any any (threshold: type limit, track by_src, count 1, seconds 60; sid:1;)');
  assert.deepEqual(t.threshold, { kind: 'limit', track: 'by_src', count: 1, seconds: 60 });
  const [d] = load('alert tcp any any -> any any (detection_filter:track by_dst, count 5, seconds 10; sid:2;)');
  assert.deepEqual(d.detectionFilter, { kind: 'detection_filter', track: 'by_dst', count: 5, seconds: 10 });
  assert.equal(errorOf('threshold:type limit, track by_src, count 1;'), "threshold: 'seconds' is missing (expected type limit|threshold|both|backoff, track by_src|by_dst|by_rule|by_both|by_flow, count N, seconds N)");
  assert.equal(errorOf('threshold:type sometimes, track by_src, count 1, seconds 2;'), "threshold: type 'sometimes' is not valid (expected limit, threshold, both)");
  const [b] = load('alert tcp any any -> any any (threshold:type backoff, track by_flow, count 1, multiplier 10; sid:3;)');
  assert.deepEqual(b.threshold, { kind: 'backoff', track: 'by_flow', count: 1, seconds: 0, multiplier: 10 });
  assert.equal(errorOf('threshold:type backoff, track by_flow, count 1, seconds 10;'), "threshold: 'seconds' is not valid with type backoff (expected multiplier M)");
  assert.equal(errorOf('threshold:type limit, track by_src, count 1, seconds 2, multiplier 3;'), "threshold: 'multiplier' is only valid with type backoff");
  const [u] = load('alert tcp any any -> any any (detection_filter:track by_src, count 1, seconds 60, unique_on src_port; sid:4;)');
  assert.deepEqual(u.detectionFilter, { kind: 'detection_filter', track: 'by_src', count: 1, seconds: 60, uniqueOn: 'src_port' });
  assert.equal(errorOf('detection_filter:track by_dst, count 5, seconds 10, unique_on proto;'), "detection_filter: unique_on 'proto' is not valid (expected src_port or dst_port)");
  assert.match(errorOf('threshold:type limit, track by_src, count 1, seconds 2, unique_on src_port;'), /'unique_on' is not a known setting/);
});

test('tag session counts packets', () => {
  const [sig] = load('alert tcp any any -> any any (tag:session,2,packets; sid:1;)');
  const flow = new Flow();
  const p = tcpPacket(Direction.TO_SERVER);
  run(sig, p, flow);
  assert.equal(flow.tagUnit, TagUnit.PACKETS);
  assert.equal(consumeSessionTag(flow, p), true);
  assert.equal(consumeSessionTag(flow, p), true);
  assert.equal(consumeSessionTag(flow, p), false);
});

test('tag defaults and host tags', () => {
  const [session] = load('alert tcp any any -> any any (tag:session; sid:1;)');
  const flow = new Flow();
  run(session, tcpPacket(Direction.TO_SERVER), flow);
  assert.equal(flow.tagRemaining, 256);

  const [host] = load('alert tcp any any -> any any (tag:host,60,seconds,src; sid:2;)');
  const p = tcpPacket(Direction.TO_SERVER);
  p.src4 = 0xc6336401; // 198.51.100.1
  p.timestampUs = 5_000_000;
  run(host, p, null);
  const tag = HOST_TAGS.tags.get(0xc6336401);
  assert.deepEqual(tag, { unit: TagUnit.SECONDS, remaining: 0, endUs: 65_000_000 });
  assert.match(errorOf('tag:flow;'), /^tag: 'flow' is not a tag scope/);
  assert.equal(errorOf('tag:host,10,hours;'), "tag: 'hours' is not a tag unit (expected packets, bytes or seconds)");
});
