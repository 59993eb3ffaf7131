import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, IpProto } from '../core/packet.js';
import { AddressCompiler, isCompiledAddress, type CompiledAddress } from './address.js';
import { AddressPrefilter } from './address-prefilter.js';
import { AlertQueue, DetectEngine, matchHeaderAddresses } from './detect-engine.js';
import { RuleDirection, type Signature } from './signature.js';
import { mustBuildSignature, portRanges } from './test-support/signature-builder.js';
import { createTestFlow, createTestPacket, type TestPacketFields } from './test-support/packets.js';
import { RuleVariables } from './variables.js';

const compiler = new AddressCompiler(new RuleVariables());

function address(text: string): CompiledAddress {
  const compiled = compiler.compile(text);
  assert.ok(isCompiledAddress(compiled), text);
  return compiled;
}

function setIpv6(bytes: Uint8Array, text: string): void {
  // Test addresses are written in full: eight groups of four hex digits.
  const groups = text.split(':');
  for (let i = 0; i < 8; i++) {
    const value = parseInt(groups[i], 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  }
}

function sidsOf(engine: DetectEngine, fields: TestPacketFields, v6?: { src: string; dst: string }): number[] {
  const p = createTestPacket(fields);
  if (v6 !== undefined) {
    setIpv6(p.srcAddr, v6.src);
    setIpv6(p.dstAddr, v6.dst);
  }
  const out = new AlertQueue(100);
  engine.inspectPacket(p, createTestFlow(), out);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids.sort((a, b) => a - b);
}

test('address prefilter picks narrow side', () => {
  const sigs = [
    mustBuildSignature('', { id: 0, sid: 1, src: address('[192.0.2.7,198.51.100.0/30]'), dst: address('[10.0.0.0/8]') }),
    mustBuildSignature('', { id: 1, sid: 2, src: address('!192.0.2.0/24'), dst: address('203.0.113.9') }),
    mustBuildSignature('', { id: 2, sid: 3, src: address('!192.0.2.0/24'), dst: address('!203.0.113.0/24') }),
  ];
  const index = new AddressPrefilter(sigs.map((sig, i) => ({ sig, index: i })), 3);
  assert.deepEqual([...index.isIndexed], [1, 1, 0]);
});

test('address prefilter avoids variable sides', () => {
  // $HOME_NET covers 4 addresses here, fewer than the source list, but
  // nearly every packet has it on one side: the source list is indexed.
  const homeCompiler = new AddressCompiler(new RuleVariables({ 'address-groups': { HOME_NET: '203.0.113.0/30' } }));
  const home = homeCompiler.compile('$HOME_NET');
  assert.ok(isCompiledAddress(home));
  const engine = new DetectEngine([
    mustBuildSignature('', { id: 0, sid: 1, src: address('[192.0.2.0/29,198.51.100.0/29]'), dst: home }),
  ]);
  assert.deepEqual(sidsOf(engine, { src: '192.0.2.3', dst: '203.0.113.2' }), [1]);
  assert.deepEqual(sidsOf(engine, { src: '192.0.2.9', dst: '203.0.113.2' }), []);
  assert.equal(engine.candidates, 1);
});

test('address prefilter engine results', () => {
  const engine = new DetectEngine([
    mustBuildSignature('', { id: 0, sid: 1, src: address('[192.0.2.7,198.51.100.0/30]') }),
    mustBuildSignature('', { id: 1, sid: 2, dst: address('203.0.113.9') }),
    mustBuildSignature('', { id: 2, sid: 3, src: address('192.0.2.7'), direction: RuleDirection.BOTH }),
    mustBuildSignature('', { id: 3, sid: 4, src: address('[2001:db8:5::/48,192.0.2.8]') }),
    mustBuildSignature('', { id: 4, sid: 5, src: address('192.0.2.7'), dstPorts: portRanges([443, 443]) }),
    mustBuildSignature('', { id: 5, sid: 6, src: address('192.0.2.7'), proto: 'udp' }),
  ]);
  assert.deepEqual(sidsOf(engine, { src: '192.0.2.7', dst: '203.0.113.1' }), [1, 3]);
  assert.deepEqual(sidsOf(engine, { src: '198.51.100.3', dst: '203.0.113.9' }), [1, 2]);
  assert.deepEqual(sidsOf(engine, { src: '198.51.100.4', dst: '203.0.113.1' }), []);
  // The `<>` rule matches the reply, whose destination is its source.
  assert.deepEqual(sidsOf(engine, { src: '203.0.113.1', dst: '192.0.2.7', direction: Direction.TO_CLIENT }), [3]);
  assert.deepEqual(sidsOf(engine, { src: '192.0.2.7', dst: '203.0.113.1', dstPort: 443 }), [1, 3, 5]);
  assert.deepEqual(sidsOf(engine, { src: '192.0.2.7', dst: '203.0.113.1', ipProto: IpProto.UDP }), [1, 3, 6]);
  assert.deepEqual(sidsOf(engine, { src: '192.0.2.8', dst: '203.0.113.1' }), [4]);
  const v6 = { ipVersion: 6 };
  assert.deepEqual(sidsOf(engine, v6, { src: '2001:0db8:0005:ffff:0000:0000:0000:0001', dst: '2001:0db8:0002:0000:0000:0000:0000:0001' }), [4]);
  assert.deepEqual(sidsOf(engine, v6, { src: '2001:0db8:0006:0000:0000:0000:0000:0001', dst: '2001:0db8:0002:0000:0000:0000:0000:0001' }), []);
});

test('address prefilter matches header check', () => {
  // Fixed-seed generator so a failure reproduces.
  let state = 777;
  const next = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const host = () => `10.${next(3)}.${next(3)}.${next(8)}`;
  const sides = () => {
    switch (next(5)) {
      case 0: return 'any';
      case 1: return host();
      case 2: return `[${host()},${host()},10.${next(3)}.${next(3)}.0/29]`;
      case 3: return `!${host()}`;
      default: return `10.${next(3)}.0.0/16`;
    }
  };
  const sigs: Signature[] = [];
  for (let i = 0; i < 80; i++) {
    const fields = { id: i, sid: 100 + i, src: address(sides()), dst: address(sides()), direction: next(3) === 0 ? RuleDirection.BOTH : RuleDirection.ONE_WAY };
    sigs.push(mustBuildSignature('', fields));
  }
  const engine = new DetectEngine(sigs);
  for (let trial = 0; trial < 300; trial++) {
    const fields = { src: host(), dst: host() };
    const p = createTestPacket(fields);
    const expected = sigs.filter((s) => matchHeaderAddresses(s, p)).map((s) => s.sid).sort((a, b) => a - b);
    assert.deepEqual(sidsOf(engine, fields), expected, `${fields.src} -> ${fields.dst}`);
  }
});
