import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpaceSaving } from './space-saving.js';
import { skewedStream } from './skewed-stream.js';

test('space saving exact below capacity', () => {
  const summary = new SpaceSaving(8);
  summary.add(7, 3);
  summary.add(9, 1);
  summary.add(7, 2);
  assert.deepEqual(summary.top(10), [
    { key: 7, count: 5, error: 0 },
    { key: 9, count: 1, error: 0 },
  ]);
});

test('space saving eviction by hand', () => {
  // k = 2, stream a a b c: c replaces b (the minimum, 1), so c has count
  // 1 + 1 = 2 and error 1; a keeps 2 with error 0.
  const summary = new SpaceSaving(2);
  summary.add(0xa, 1);
  summary.add(0xa, 1);
  summary.add(0xb, 1);
  summary.add(0xc, 1);
  assert.equal(summary.countOf(0xb), 0);
  assert.deepEqual(summary.top(2), [
    { key: 0xa, count: 2, error: 0 },
    { key: 0xc, count: 2, error: 1 },
  ]);
});

test('space saving skewed stream bounds', () => {
  const truth = new Map<number, number>();
  const summary = new SpaceSaving(20);
  for (const [key, weight] of skewedStream()) {
    summary.add(key, weight);
    truth.set(key, (truth.get(key) ?? 0) + weight);
  }

  // N = 1000 + 500 + 300 + 200 + 100 + 1000 = 3100; N / k = 155.
  assert.equal(summary.total, 3100);
  const top = summary.top(20);
  assert.deepEqual(top.slice(0, 4).map((entry) => entry.key), [1, 2, 3, 4]);
  for (const entry of top) {
    const real = truth.get(entry.key) ?? 0;
    assert.ok(entry.count - entry.error <= real, `key ${entry.key}: ${entry.count} - ${entry.error} > ${real}`);
    assert.ok(real <= entry.count, `key ${entry.key}: ${real} > ${entry.count}`);
    assert.ok(entry.error <= 155, `key ${entry.key}: error ${entry.error}`);
  }
});

test('space saving byte weights', () => {
  const summary = new SpaceSaving(4);
  summary.add(0xc6336401, 1500);
  summary.add(0xc6336402, 60);
  summary.add(0xc6336401, 1500);
  assert.equal(summary.countOf(0xc6336401), 3000);
  assert.equal(summary.top(1)[0].key, 0xc6336401);
  summary.clear();
  assert.equal(summary.countOf(0xc6336401), 0);
  assert.equal(summary.total, 0);
});

test('space saving rejects invalid capacity', () => {
  assert.throws(() => new SpaceSaving(0), RangeError);
});
