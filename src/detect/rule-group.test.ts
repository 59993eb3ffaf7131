import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, IpProto } from '../core/packet.js';
import { AlertQueue, DetectEngine } from './detect-engine.js';
import { FlowFlag, type Signature } from './signature.js';
import { mustBuildSignature, portRanges } from './test-support/signature-builder.js';
import { createTestFlow, createTestPacket, type TestPacketFields } from './test-support/packets.js';

function run(engine: DetectEngine, fields: TestPacketFields): number[] {
  const out = new AlertQueue();
  engine.inspectPacket(createTestPacket(fields), createTestFlow(), out);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids;
}

function buildEngine(): DetectEngine {
  return new DetectEngine([
    mustBuildSignature('content:"attack";', { id: 0, sid: 1, dstPorts: portRanges([80, 80]) }),
    mustBuildSignature('content:"attack";', { id: 1, sid: 2, dstPorts: portRanges([8080, 8080]) }),
    mustBuildSignature('content:"other";', { id: 2, sid: 3, dstPorts: portRanges([8080, 8080]) }),
    mustBuildSignature('dsize:>0;', { id: 3, sid: 4, dstPorts: portRanges([22, 22]) }),
  ]);
}

test('port groups share one matcher', () => {
  const engine = buildEngine();
  // TCP to server and to client, each with one pkt_data matcher of the same patterns.
  assert.equal(engine.matchers.size, 1);
  assert.ok(engine.groups.groups.length >= 4);
});

test('port group filters shared hits', () => {
  const engine = buildEngine();
  assert.deepEqual(run(engine, { dstPort: 80, payload: 'an attack and other' }), [1]);
  assert.deepEqual(run(engine, { dstPort: 8080, payload: 'an attack and other' }), [2, 3]);
  assert.deepEqual(run(engine, { dstPort: 443, payload: 'an attack and other' }), []);
  // Port 80's group did not take sid 3, although its pattern was found.
  assert.equal(engine.candidates, 3);
});

test('port group without patterns skips scan', () => {
  const engine = buildEngine();
  const lookup = (dstPort: number) => engine.groups.lookup(createTestPacket({ dstPort }));
  assert.equal(lookup(22).prefilters.length, 0);
  assert.deepEqual([...lookup(22).alwaysSigs], [3]);
  assert.equal(lookup(80).prefilters.length, 1);
  assert.equal(lookup(443).prefilters.length, 0);
  assert.deepEqual(run(engine, { dstPort: 22, payload: 'attack' }), [4]);
});

test('directions share a nearly equal matcher', () => {
  // 60 patterns for both directions and one more for each direction alone.
  const sigs: Signature[] = [];
  for (let i = 0; i < 60; i++) sigs.push(mustBuildSignature(`content:"both-${i}";`, { id: i, sid: 100 + i, proto: 'udp' }));
  sigs.push(mustBuildSignature('content:"request";', { id: 60, sid: 1, proto: 'udp', flowFlags: FlowFlag.TO_SERVER }));
  sigs.push(mustBuildSignature('content:"reply";', { id: 61, sid: 2, proto: 'udp', flowFlags: FlowFlag.TO_CLIENT }));
  const engine = new DetectEngine(sigs);
  assert.equal(engine.matchers.size, 1);

  const udp = { ipProto: IpProto.UDP, payload: 'request reply both-7' };
  assert.deepEqual(run(engine, { ...udp, direction: Direction.TO_SERVER }), [107, 1]);
  assert.deepEqual(run(engine, { ...udp, direction: Direction.TO_CLIENT }), [107, 2]);
});
