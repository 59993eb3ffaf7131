import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HyperLogLog, HyperLogLogBank } from './hyperloglog.js';
import { mix32 } from './sampler.js';

test('hyperloglog empty estimate zero', () => {
  assert.equal(new HyperLogLog(10).estimate(), 0);
});

test('hyperloglog ranks and small range by hand', () => {
  // p = 4: the top 4 bits pick the register, rank = leading zeros of the
  // other 28 bits plus 1, at most 29.
  const bank = new HyperLogLogBank(4, 1);
  bank.add(0, 0x00000000); // register 0, rest all zero: rank 29
  bank.add(0, 0x1f000000); // register 1, rest 0xf0000000: rank 1
  bank.add(0, 0x20800000); // register 2, rest 0x08000000: rank 5
  bank.add(0, 0x20f00000); // register 2, rest 0x0f000000: rank 5, no change
  const registers = bank.registersOf(0);
  assert.equal(registers[0], 29);
  assert.equal(registers[1], 1);
  assert.equal(registers[2], 5);
  assert.equal(registers[3], 0);
  // 13 of 16 registers are 0: linear counting 16 * ln(16 / 13) = 3.3222.
  assert.ok(Math.abs(bank.estimate(0) - 16 * Math.log(16 / 13)) < 1e-9);
  assert.ok(Math.abs(bank.estimate(0) - 3.3222) < 1e-4);
});

test('hyperloglog raw estimate by hand', () => {
  // p = 4, every register set to rank 3: sum 16 * 2^-3 = 2, raw estimate
  // 0.673 * 256 / 2 = 86.144, above 2.5 * 16 = 40, so no correction.
  const bank = new HyperLogLogBank(4, 1);
  for (let r = 0; r < 16; r++) bank.add(0, ((r << 28) | 0x02000000) >>> 0);
  assert.ok(Math.abs(bank.estimate(0) - 86.144) < 1e-9);
});

for (const precision of [10, 14]) {
  for (const distinct of [1_000, 100_000, 1_000_000]) {
    test(`hyperloglog p=${precision} error at ${distinct}`, () => {
      // m = 2^p; the bound 3 / sqrt(m) is about three standard errors
      // (1.04 / sqrt(m)): 9.4% at m = 1024, 2.3% at m = 16384. mix32 is a
      // bijection on 32-bit values, so distinct inputs give distinct hashes.
      const sketch = new HyperLogLog(precision);
      for (let i = 0; i < distinct; i++) {
        sketch.add(mix32(i));
        sketch.add(mix32(i)); // repeats must not count
      }
      const m = 1 << precision;
      const relativeError = Math.abs(sketch.estimate() - distinct) / distinct;
      assert.ok(relativeError < 3 / Math.sqrt(m), `relative error ${relativeError} at m=${m}`);
    });
  }
}

test('hyperloglog merge equals union', () => {
  const left = new HyperLogLog(12);
  const right = new HyperLogLog(12);
  const whole = new HyperLogLog(12);
  for (let i = 0; i < 50_000; i++) {
    (i % 3 === 0 ? left : right).add(mix32(i));
    whole.add(mix32(i));
  }
  for (let i = 0; i < 10_000; i++) {
    left.add(mix32(i)); // overlap with right
  }
  left.merge(right);
  assert.deepEqual(left.bank.registersOf(0), whole.bank.registersOf(0));
  assert.equal(left.estimate(), whole.estimate());
});

test('hyperloglog merge rejects other precision', () => {
  assert.throws(() => new HyperLogLog(10).merge(new HyperLogLog(11)), RangeError);
});

test('hyperloglog bank sketches independent', () => {
  const bank = new HyperLogLogBank(10, 3);
  for (let i = 0; i < 500; i++) bank.add(1, mix32(i));
  assert.equal(bank.estimate(0), 0);
  assert.equal(bank.estimate(2), 0);
  assert.ok(Math.abs(bank.estimate(1) - 500) < 500 * 0.1);
  bank.clear(1);
  assert.equal(bank.estimate(1), 0);
  assert.ok(bank.registersOf(1).every((r) => r === 0));
});

test('hyperloglog clear of empty and reused sketch', () => {
  const bank = new HyperLogLogBank(8, 2);
  bank.clear(0);
  assert.equal(bank.estimate(0), 0);
  // One value, cleared, then three others: the estimate counts only the three.
  bank.add(0, mix32(1));
  bank.clear(0);
  bank.clear(0);
  for (let i = 2; i < 5; i++) bank.add(0, mix32(i));
  // Linear counting with m = 256 and 3 registers set: 256 * ln(256 / 253) = 3.02.
  assert.equal(bank.estimate(0).toFixed(2), (256 * Math.log(256 / 253)).toFixed(2));
  assert.equal(bank.registersOf(0).filter((r) => r !== 0).length, 3);
  assert.equal(bank.estimate(1), 0);
});

test('hyperloglog bank allocates chunks by need', () => {
  // 100 sketches of 256 registers: chunks of 64 sketches, the last one of 36.
  const bank = new HyperLogLogBank(8, 100);
  assert.equal(bank.registerBytes(), 0);
  assert.equal(bank.estimate(99), 0);
  bank.clear(70);
  assert.equal(bank.registerBytes(), 0);
  bank.add(99, mix32(7));
  assert.equal(bank.registerBytes(), 36 * 256);
  bank.add(63, mix32(7));
  assert.equal(bank.registerBytes(), 100 * 256);
  // Sketches 63 and 64 sit on either side of a chunk edge and stay apart.
  assert.equal(bank.registersOf(64).filter((r) => r !== 0).length, 0);
  assert.equal(bank.registersOf(63).filter((r) => r !== 0).length, 1);
  assert.deepEqual(bank.registersOf(63), bank.registersOf(99));
});

test('hyperloglog merge into unallocated chunk', () => {
  const source = new HyperLogLogBank(8, 200);
  const target = new HyperLogLogBank(8, 200);
  for (let i = 0; i < 40; i++) source.add(150, mix32(i));
  target.merge(130, source, 20);
  assert.equal(target.registerBytes(), 0, 'an empty source sketch allocates nothing');
  target.merge(130, source, 150);
  assert.deepEqual(target.registersOf(130), source.registersOf(150));
  assert.equal(target.estimate(130), source.estimate(150));
});

test('hyperloglog rejects invalid precision', () => {
  assert.throws(() => new HyperLogLog(3), RangeError);
  assert.throws(() => new HyperLogLog(17), RangeError);
});
