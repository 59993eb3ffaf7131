import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, IpProto } from '../core/packet.js';
import { FlowState } from '../flow/flow.js';
import { AlertQueue, DetectEngine, type ThresholdHook } from './detect-engine.js';
import { Action, FlowFlag, RuleDirection, type Signature } from './signature.js';
import { ipv4Network, mustBuildSignature, portRanges, type TestSignatureFields } from './test-support/signature-builder.js';
import { createTestFlow, createTestPacket, type TestPacketFields } from './test-support/packets.js';
import { inspectSignature } from './test-support/inspect-helpers.js';

let nextId = 0;
function rule(body: string, fields: TestSignatureFields = {}): Signature {
  return mustBuildSignature(body, { id: nextId++, ...fields });
}

function sidsOf(out: AlertQueue): number[] {
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids;
}

function run(engine: DetectEngine, fields: TestPacketFields, flow = createTestFlow()): number[] {
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket(fields), flow, out);
  return sidsOf(out);
}

test('engine prefilter selects candidates', () => {
  const engine = new DetectEngine([
    rule('content:"evil";', { sid: 1 }),
    rule('content:"bad"; content:"worse"; distance:0;', { sid: 2 }),
    rule('pcre:"/x\\d+y/";', { sid: 3 }),
  ]);
  assert.deepEqual(run(engine, { payload: 'an evil thing' }), [1]);
  assert.deepEqual(run(engine, { payload: 'bad then worse' }), [2]);
  assert.deepEqual(run(engine, { payload: 'worse then bad' }), []);
  assert.deepEqual(run(engine, { payload: 'x12y' }), [3]);
  assert.deepEqual(run(engine, { payload: 'EVIL' }), []);
});

test('engine orders by action then priority', () => {
  const engine = new DetectEngine([
    rule('content:"a";', { sid: 10, action: Action.ALERT, priority: 3 }),
    rule('content:"a";', { sid: 11, action: Action.ALERT, priority: 1 }),
    rule('content:"a";', { sid: 12, action: Action.REJECT }),
    rule('content:"a";', { sid: 13, action: Action.DROP }),
    rule('content:"a";', { sid: 14, action: Action.ALERT, priority: 3 }),
  ]);
  assert.deepEqual(run(engine, { payload: 'a' }), [13, 12, 11, 10, 14]);
});

test('engine custom action order', () => {
  const engine = new DetectEngine(
    [rule('content:"a";', { sid: 1, action: Action.DROP }), rule('content:"a";', { sid: 2, action: Action.ALERT })],
    { actionOrder: [Action.ALERT, Action.PASS, Action.DROP, Action.REJECT] },
  );
  assert.deepEqual(run(engine, { payload: 'a' }), [2, 1]);
});

test('pass rule ends packet inspection', () => {
  const engine = new DetectEngine([
    rule('content:"a";', { sid: 1, action: Action.DROP }),
    rule('content:"trusted";', { sid: 2, action: Action.PASS }),
    rule('content:"a";', { sid: 3 }),
  ]);
  const flow = createTestFlow();
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket({ payload: 'a trusted' }), flow, out);
  assert.equal(out.count, 0);
  assert.equal(out.passSig?.sid, 2);
  assert.equal(out.isPassStreamMatch, false);
  // Whether the flow is passed is the policy stage's decision.
  assert.equal(flow.isPassed, false);

  // A second call for the same packet (another stream block) adds nothing.
  engine.inspectPacket(createTestPacket({ payload: 'a' }), flow, out);
  assert.equal(out.count, 0);

  // A packet of a passed flow is not inspected at all.
  flow.isPassed = true;
  const later = new AlertQueue();
  engine.inspectPacket(createTestPacket({ payload: 'a' }), flow, later);
  assert.equal(later.count, 0);
  assert.deepEqual(run(engine, { payload: 'a' }), [1, 3]);
});

test('header protocols', () => {
  const engine = new DetectEngine([
    rule('', { sid: 1, proto: 'tcp' }),
    rule('', { sid: 2, proto: 'udp' }),
    rule('', { sid: 3, proto: 'icmp' }),
    rule('', { sid: 4, proto: 'ip' }),
    rule('', { sid: 5, proto: 'pkthdr' }),
    rule('', { sid: 6, proto: 'ipv6' }),
    rule('', { sid: 7, proto: 'ipv4' }),
    rule('', { sid: 8, proto: 'tcp-pkt' }),
    rule('', { sid: 9, proto: 'sctp' }),
  ]);
  assert.deepEqual(run(engine, { ipProto: IpProto.TCP }).sort(), [1, 4, 5, 7, 8]);
  assert.deepEqual(run(engine, { ipProto: IpProto.UDP }).sort(), [2, 4, 5, 7]);
  assert.deepEqual(run(engine, { ipProto: IpProto.ICMP }).sort(), [3, 4, 5, 7]);
  assert.deepEqual(run(engine, { ipProto: IpProto.ICMPV6, ipVersion: 6 }).sort(), [3, 4, 5, 6]);
  assert.deepEqual(run(engine, { ipProto: IpProto.SCTP }).sort(), [4, 5, 7, 9]);
  assert.deepEqual(run(engine, { ipProto: IpProto.GRE }).sort(), [4, 5, 7]);
  assert.deepEqual(run(engine, { ipVersion: 0, ipProto: 0 }), [5]);
  // A TCP packet whose TCP header is invalid still reaches the TCP rules, as
  // suricata-verify's decode-too-small expects an `alert tcp` decode-event alert.
  assert.deepEqual(run(engine, { isInvalid: true }).sort(), [1, 4, 5, 7, 8]);
  assert.deepEqual(run(engine, { isInvalid: true, ipVersion: 0, ipProto: 0 }), [5]);
});

test('header ports and addresses', () => {
  const engine = new DetectEngine([
    rule('', { sid: 1, dstPorts: portRanges([80, 80]) }),
    rule('', { sid: 2, dstPorts: portRanges([1000, 2000]), srcPorts: portRanges([40000, 40000]) }),
    rule('', { sid: 3, dst: ipv4Network('203.0.113.0/24') }),
    rule('', { sid: 4, src: ipv4Network('203.0.113.0/24') }),
    rule('', { sid: 5, dstPorts: portRanges([80, 80]), dst: ipv4Network('203.0.113.0/24'), direction: RuleDirection.BOTH }),
    rule('', { sid: 6, proto: 'icmp', dstPorts: portRanges([80, 80]) }),
  ]);
  assert.deepEqual(run(engine, { dstPort: 80 }), [1, 3, 5]);
  assert.deepEqual(run(engine, { dstPort: 81 }), [3]);
  assert.deepEqual(run(engine, { dstPort: 1500 }), [2, 3]);
  assert.deepEqual(run(engine, { dstPort: 1500, srcPort: 40001 }), [3]);
  // The reply: 203.0.113.1:80 -> 198.51.100.1:40000 matches the <> rule reversed.
  assert.deepEqual(run(engine, { src: '203.0.113.1', dst: '198.51.100.1', srcPort: 80, dstPort: 40000, direction: Direction.TO_CLIENT }), [4, 5]);
  assert.deepEqual(run(engine, { ipProto: IpProto.ICMP }), [3]);
});

test('header flow flags', () => {
  const engine = new DetectEngine([
    rule('', { sid: 1, flowFlags: FlowFlag.TO_SERVER | FlowFlag.ESTABLISHED }),
    rule('', { sid: 2, flowFlags: FlowFlag.TO_CLIENT }),
    rule('', { sid: 3, flowFlags: FlowFlag.NOT_ESTABLISHED }),
    rule('', { sid: 4, flowFlags: FlowFlag.STATELESS }),
    rule('', { sid: 5, flowFlags: FlowFlag.ONLY_STREAM }),
    rule('', { sid: 6, flowFlags: FlowFlag.NO_FRAG }),
  ]);
  assert.deepEqual(run(engine, {}, createTestFlow(FlowState.ESTABLISHED)), [1, 4, 6]);
  assert.deepEqual(run(engine, { direction: Direction.TO_CLIENT }, createTestFlow(FlowState.ESTABLISHED)), [2, 4, 6]);
  assert.deepEqual(run(engine, {}, createTestFlow(FlowState.NEW)), [3, 4, 6]);
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket({}), null, out);
  assert.deepEqual(sidsOf(out), [4, 6]);
});

test('threshold hook suppresses alerts', () => {
  const seen: number[] = [];
  const hook: ThresholdHook = {
    shouldAlert(sig) {
      seen.push(sig.sid);
      return sig.sid !== 2;
    },
  };
  const engine = new DetectEngine([rule('content:"a";', { sid: 1 }), rule('content:"a";', { sid: 2 })], { thresholdHook: hook });
  assert.deepEqual(run(engine, { payload: 'a' }), [1]);
  assert.deepEqual(seen, [1, 2]);
});

test('negated-only rule always evaluated', () => {
  const engine = new DetectEngine([rule('content:!"safe";', { sid: 1 }), rule('content:"x"; content:!"y";', { sid: 2 })]);
  assert.deepEqual(run(engine, { payload: 'danger' }), [1]);
  assert.deepEqual(run(engine, { payload: 'safe' }), []);
  assert.deepEqual(run(engine, { payload: 'x' }), [1, 2]);
  // An empty payload is no buffer: payload keywords do not match.
  assert.deepEqual(run(engine, { payload: '' }), []);
});

test('engine skips unsupported buffers', () => {
  const sig = rule('content:"a";', { sid: 7 });
  sig.buffers[0] = { buffer: 'http.uri', matches: sig.buffers[0].matches };
  const engine = new DetectEngine([sig, rule('content:"a";', { sid: 8 })]);
  assert.equal(engine.signatures.length, 1);
  assert.equal(engine.skipped[0].reason, "buffer 'http.uri' is not supported yet");
});

test('alert queue overflow counted', () => {
  const sigs: Signature[] = [];
  for (let i = 0; i < 20; i++) sigs.push(rule('content:"a";', { sid: 100 + i }));
  sigs.push(rule('content:"a";', { sid: 999, action: Action.DROP, priority: 1 }));
  const engine = new DetectEngine(sigs);
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket({ payload: 'a' }), createTestFlow(), out);
  assert.equal(out.count, 15);
  assert.equal(out.overflowCount, 6);
  assert.equal((out.sigs[0] as Signature).sid, 999);
  assert.equal(out.actionsSeen, (1 << Action.DROP) | (1 << Action.ALERT));
});

test('matchers shared between groups', () => {
  const engine = new DetectEngine([
    rule('content:"abc";', { sid: 1, dstPorts: portRanges([80, 80]) }),
    rule('content:"abc";', { sid: 2, dstPorts: portRanges([81, 81]) }),
    rule('content:"abc";', { sid: 3, proto: 'udp' }),
  ]);
  assert.ok(engine.groups.groups.length >= 3);
  assert.equal(engine.matchers.size, 1);
  assert.deepEqual(run(engine, { dstPort: 81, payload: 'abc' }), [2]);
  assert.ok(engine.memoryBytes() > 0);
});

test('engine agrees with direct inspection', () => {
  // Fixed-seed generator so a failure reproduces.
  let state = 12345;
  const next = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const words = ['ab', 'bc', 'cab', 'Ab', 'aa', 'c'];
  const sigs: Signature[] = [];
  for (let i = 0; i < 60; i++) {
    const first = words[next(words.length)];
    const second = words[next(words.length)];
    const shapes = [
      `content:"${first}";`,
      `content:"${first}"; nocase;`,
      `content:"${first}"; content:"${second}"; within:${second.length + next(3)};`,
      `content:"${first}"; content:!"${second}"; distance:0;`,
      `content:"${first}"; fast_pattern; content:"${second}";`,
      `content:"${first}"; depth:${first.length + next(4)};`,
    ];
    sigs.push(rule(shapes[next(shapes.length)], { sid: 1000 + i }));
  }
  const engine = new DetectEngine(sigs);
  for (let trial = 0; trial < 200; trial++) {
    let payload = '';
    const size = 1 + next(12);
    for (let j = 0; j < size; j++) payload += 'abcA'[next(4)];
    const expected = sigs.filter((s) => inspectSignature(s, payload)).map((s) => s.sid).sort((a, b) => a - b);
    const actual = run(engine, { payload }).sort((a, b) => a - b);
    assert.deepEqual(actual, expected.slice(0, 15), `payload ${payload}`);
  }
});

test('noalert and post matches', () => {
  let applied = 0;
  const counting = { keyword: 'flowbits', apply: () => ++applied > 0 };
  const silent = rule('content:"a";', { sid: 1, action: Action.DROP });
  silent.isNoAlert = true;
  silent.postMatches.push(counting);
  const vetoed = rule('content:"a";', { sid: 2 });
  vetoed.postMatches.push({ keyword: 'flowbits', apply: () => false });
  const engine = new DetectEngine([silent, vetoed, rule('content:"a";', { sid: 3 })]);
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket({ payload: 'a' }), createTestFlow(), out);
  assert.deepEqual(sidsOf(out), [3]);
  assert.equal(applied, 1);
  // The drop of the noalert rule still counts for the verdict.
  assert.equal(out.actionsSeen, (1 << Action.DROP) | (1 << Action.ALERT));
});

test('sticky buffer provider slots in', () => {
  const provider = {
    name: 'test.header',
    fill(_p: unknown, _flow: unknown, view: { bytes: Uint8Array; start: number; length: number }): boolean {
      view.bytes = Buffer.from('X-Test: yes');
      view.start = 0;
      view.length = view.bytes.length;
      return true;
    },
  };
  const sig = rule('content:"X-Test|3a|"; content:"yes"; distance:0;', { sid: 5 });
  sig.buffers[0] = { buffer: 'test.header', matches: sig.buffers[0].matches };
  const payloadSig = rule('content:"body";', { sid: 6 });
  const engine = new DetectEngine([sig, payloadSig], { bufferProviders: [provider] });
  assert.equal(engine.skipped.length, 0);
  assert.deepEqual(run(engine, { payload: 'no match here' }), [5]);
  assert.deepEqual(run(engine, { payload: 'body' }), [5, 6]);
});

test('drop before pass keeps flow', () => {
  // With drop ordered before pass, the drop alerts on every packet and the
  // pass rule does not pass the flow.
  const engine = new DetectEngine(
    [rule('content:"Hi all";', { sid: 1 }), rule('content:"Hi all";', { sid: 2, action: Action.PASS }), rule('content:"Hi all";', { sid: 3, action: Action.DROP })],
    { actionOrder: [Action.DROP, Action.PASS, Action.REJECT, Action.ALERT] },
  );
  const flow = createTestFlow();
  for (let i = 0; i < 3; i++) {
    const out = new AlertQueue();
    engine.inspectPacket(createTestPacket({ payload: 'Hi all' }), flow, out);
    assert.deepEqual(sidsOf(out), [3]);
    assert.equal(out.passSig?.sid, 2);
  }
  assert.equal(flow.isPassed, false);
});

test('pass rule with alert keyword', () => {
  const pass = rule('content:"a";', { sid: 6, action: Action.PASS });
  pass.hasAlertKeyword = true;
  const engine = new DetectEngine([rule('content:"a";', { sid: 1 }), pass]);
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket({ payload: 'a' }), createTestFlow(), out);
  assert.deepEqual(sidsOf(out), [6]);
  assert.equal(out.passSig?.sid, 6);
});

test('ip-only rule once per direction', () => {
  // suricata-verify util-action-16: `alert tcp any any -> any any` alerts on
  // the first packet of each direction, not on the third packet.
  const engine = new DetectEngine([rule('', { sid: 3, proto: 'tcp' }), rule('content:"Hi";', { sid: 2, proto: 'tcp' })]);
  const flow = createTestFlow();
  assert.deepEqual(run(engine, { payload: 'Hi all', direction: Direction.TO_SERVER }, flow).sort(), [2, 3]);
  assert.deepEqual(run(engine, { payload: 'Hi all', direction: Direction.TO_CLIENT }, flow).sort(), [2, 3]);
  assert.deepEqual(run(engine, { payload: 'Hi all', direction: Direction.TO_SERVER }, flow), [2]);
  // Without a flow there is nothing to remember: every packet runs it.
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket({ payload: 'x' }), null, out);
  assert.deepEqual(sidsOf(out), [3]);
});
