import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpProto, Packet } from '../core/packet.js';
import { FlowHashSampler, PacketSampler, XorShift32, hashFlowSymmetric, mix32 } from './sampler.js';
import { fillIpv4Packet } from './synthetic-packet.js';

test('xorshift32 first values from seed 1', () => {
  // By hand for the first: 1 ^ (1 << 13) = 8193, 8193 >>> 17 = 0, 8193 ^ (8193 << 5) = 270369.
  // The next two from a Python run of the same three shifts masked to 32 bits.
  const random = new XorShift32(1);
  assert.equal(random.nextUint32(), 270369);
  assert.equal(random.nextUint32(), 67634689);
  assert.equal(random.nextUint32(), 2647435461);
});

test('xorshift32 zero seed replaced by one', () => {
  assert.equal(new XorShift32(0).nextUint32(), 270369);
});

test('mix32 matches murmur3 finalizer', () => {
  // Values from a Python version of MurmurHash3's fmix32.
  assert.equal(mix32(0), 0);
  assert.equal(mix32(1), 1364076727);
  assert.equal(mix32(0xdeadbeef), 233162409);
});

test('packet sampler rate 1 keeps all', () => {
  const sampler = new PacketSampler(1, 7);
  for (let i = 0; i < 1000; i++) assert.equal(sampler.shouldSample(), true);
  assert.equal(sampler.kept, 1000);
  assert.deepEqual(sampler.estimate(1000), { estimate: 1000, sampleRate: 1 });
});

test('packet sampler 1:100 keeps about 1 percent', () => {
  // Kept count is binomial(1e6, 0.01): mean 10000, standard deviation
  // sqrt(1e6 * 0.01 * 0.99) = 99.5; four deviations is about 400.
  const sampler = new PacketSampler(100, 12345);
  for (let i = 0; i < 1_000_000; i++) sampler.shouldSample();
  assert.equal(sampler.seen, 1_000_000);
  assert.ok(Math.abs(sampler.kept - 10_000) < 400, `kept ${sampler.kept}`);
  const scaled = sampler.estimate(sampler.kept);
  assert.equal(scaled.sampleRate, 100);
  assert.equal(scaled.estimate, sampler.kept * 100);
});

test('packet sampler same seed same choices', () => {
  const a = new PacketSampler(10, 99);
  const b = new PacketSampler(10, 99);
  const c = new PacketSampler(10, 100);
  let differences = 0;
  for (let i = 0; i < 10_000; i++) {
    const kept = a.shouldSample();
    assert.equal(b.shouldSample(), kept);
    if (c.shouldSample() !== kept) differences++;
  }
  assert.ok(differences > 0);
});

test('sampler rejects invalid rates', () => {
  assert.throws(() => new PacketSampler(0, 1), RangeError);
  assert.throws(() => new PacketSampler(2.5, 1), RangeError);
  assert.throws(() => new FlowHashSampler(-3, 1), RangeError);
});

const tcp = (srcPort: number, dstPort: number) => ({
  ipProto: IpProto.TCP,
  srcPort,
  dstPort,
  tcpFlags: 0x02,
  wireLength: 60,
  timestampUs: 0,
});

test('flow hash same in both directions', () => {
  const p = new Packet();
  fillIpv4Packet(p, 0xc6336401, 0xcb007105, tcp(40000, 443));
  const forward = hashFlowSymmetric(p, 5);
  fillIpv4Packet(p, 0xcb007105, 0xc6336401, tcp(443, 40000));
  assert.equal(hashFlowSymmetric(p, 5), forward);
  fillIpv4Packet(p, 0xcb007105, 0xc6336401, tcp(443, 40001));
  assert.notEqual(hashFlowSymmetric(p, 5), forward);
});

test('flow hash sampler keeps about 1 in N', () => {
  // 100000 distinct flows at 1:16: binomial mean 6250, deviation
  // sqrt(100000 / 16 * 15 / 16) = 76.5; four deviations is about 306.
  const sampler = new FlowHashSampler(16, 3);
  const all = new FlowHashSampler(1, 3);
  const p = new Packet();
  let kept = 0;
  for (let i = 0; i < 100_000; i++) {
    fillIpv4Packet(p, 0xc6336400 + (i & 0xff), 0xcb007100, tcp(1024 + (i >>> 8), 80));
    const isKept = sampler.isFlowSampled(p);
    if (isKept) kept++;
    assert.equal(all.isFlowSampled(p), true);
    fillIpv4Packet(p, 0xcb007100, 0xc6336400 + (i & 0xff), tcp(80, 1024 + (i >>> 8)));
    assert.equal(sampler.isFlowSampled(p), isKept);
  }
  assert.ok(Math.abs(kept - 6250) < 306, `kept ${kept}`);
});
