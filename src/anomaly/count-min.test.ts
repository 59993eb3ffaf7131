import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountMinSketch } from './count-min.js';
import { skewedStream } from './skewed-stream.js';

test('count min single key exact', () => {
  const sketch = new CountMinSketch(64, 4, 1);
  sketch.add(42, 1500);
  sketch.add(42, 60);
  assert.equal(sketch.estimate(42), 1560);
});

test('count min sized from error', () => {
  // w = ceil(e / 0.01) = ceil(271.83) = 272, d = ceil(ln(100)) = ceil(4.61) = 5.
  const sketch = CountMinSketch.forError(0.01, 0.01, 1);
  assert.equal(sketch.width, 272);
  assert.equal(sketch.depth, 5);
});

test('count min skewed stream bounds', () => {
  const sketch = CountMinSketch.forError(0.01, 0.01, 7);
  const truth = new Map<number, number>();
  for (const [key, weight] of skewedStream()) {
    sketch.add(key, weight);
    truth.set(key, (truth.get(key) ?? 0) + weight);
  }

  // N = 3100, so the overcount bound is e / w * N = 0.01 * 3100 = 31,
  // exceeded with probability at most e^-5 = 0.7% per key.
  let overBound = 0;
  for (const [key, real] of truth) {
    const estimate = sketch.estimate(key);
    assert.ok(estimate >= real, `key ${key}: ${estimate} < ${real}`);
    if (estimate - real > 31) overBound++;
  }
  for (const key of [1, 2, 3, 4, 5]) {
    assert.ok(sketch.estimate(key) - (truth.get(key) ?? 0) <= 31, `key ${key}`);
  }
  assert.ok(overBound <= 0.02 * truth.size, `${overBound} keys above the bound`);
});
