import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EwmaBank, alphaForGap, defaultEwmaConfig, hourOfWeekSlot, type EwmaConfig } from './ewma.js';

function config(overrides: Partial<EwmaConfig>): EwmaConfig {
  return { ...defaultEwmaConfig(), ...overrides };
}

const close = (actual: number, expected: number, tolerance = 1e-9): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);
};

test('ewma alpha from half-life', () => {
  close(alphaForGap(60, 60), 0.5);
  close(alphaForGap(120, 60), 0.75);
  close(alphaForGap(30, 60), 1 - Math.SQRT1_2);
});

test('ewma mean and variance by hand', () => {
  // Half-life 60 s, values 60 s apart, so alpha = 0.5.
  // 10 at t=0: mean 10, var 0.
  // 20 at t=60: diff 10, mean 15, var 0.5 * (0 + 0.5 * 100) = 25.
  // 10 at t=120: diff -5, mean 12.5, var 0.5 * (25 + 0.5 * 25) = 18.75.
  const bank = new EwmaBank(config({ halfLifeS: 60, maxGapS: 600, minSamples: 3, minLearningS: 0 }), 2);
  const state = { mean: 0, variance: 0, count: 0, firstUpdateS: 0, lastUpdateS: 0 };
  bank.update(1, 10, 0);
  bank.update(1, 20, 60);
  assert.equal(bank.readSlot(1, 0, state).mean, 15);
  assert.equal(state.variance, 25);
  bank.update(1, 10, 120);
  bank.readSlot(1, 0, state);
  close(state.mean, 12.5);
  close(state.variance, 18.75);
  assert.equal(state.count, 3);
  assert.equal(state.firstUpdateS, 0);
  assert.equal(state.lastUpdateS, 120);
  // z of 30: (30 - 12.5) / sqrt(18.75) = 4.0415.
  close(bank.zScore(1, 30, 180), 17.5 / Math.sqrt(18.75));
  close(bank.zScore(1, 30, 180), 4.04145, 1e-5);
  assert.equal(bank.readSlot(0, 0, state).count, 0);
});

test('ewma long gap counts as max gap', () => {
  // maxGapS 120 with half-life 60: a 1000 s gap weighs like 120 s, alpha 0.75.
  const bank = new EwmaBank(config({ halfLifeS: 60, maxGapS: 120 }), 1);
  const state = { mean: 0, variance: 0, count: 0, firstUpdateS: 0, lastUpdateS: 0 };
  bank.update(0, 0, 0);
  bank.update(0, 100, 1000);
  close(bank.readSlot(0, 0, state).mean, 75);
});

test('ewma same timestamp uses sample interval', () => {
  // sampleIntervalS 60 with half-life 60: alpha 0.5 for a zero gap.
  const bank = new EwmaBank(config({ halfLifeS: 60, sampleIntervalS: 60 }), 1);
  const state = { mean: 0, variance: 0, count: 0, firstUpdateS: 0, lastUpdateS: 0 };
  bank.update(0, 0, 5);
  bank.update(0, 100, 5);
  close(bank.readSlot(0, 0, state).mean, 50);
});

test('ewma no score while learning', () => {
  const bank = new EwmaBank(config({ halfLifeS: 60, minSamples: 3, minLearningS: 100 }), 1);
  bank.update(0, 1, 0);
  bank.update(0, 2, 60);
  assert.ok(Number.isNaN(bank.zScore(0, 5, 60)), 'two values are fewer than minSamples');
  bank.update(0, 3, 90);
  assert.ok(Number.isNaN(bank.zScore(0, 5, 90)), '90 s is shorter than minLearningS');
  assert.ok(Number.isFinite(bank.zScore(0, 5, 100)));
});

test('ewma flat series falls back to MAD', () => {
  // Values cycle 100, 101, 102; the last 15 hold five of each. Median 101,
  // absolute deviations five 0 and ten 1, so MAD 1 and the spread is
  // 1.4826. z of 110 = 9 / 1.4826 = 6.0704. The EWMA standard deviation is
  // below 1, at or under nearZeroStdDev 2.
  const bank = new EwmaBank(config({ halfLifeS: 60, minSamples: 1, minLearningS: 0, nearZeroStdDev: 2 }), 1);
  for (let i = 0; i < 30; i++) bank.update(0, 100 + (i % 3), i);
  close(bank.zScore(0, 110, 30), 9 / 1.4826);
  close(bank.zScore(0, 110, 30), 6.07042, 1e-5);
});

test('ewma constant series gives infinite z', () => {
  const bank = new EwmaBank(config({ minSamples: 1, minLearningS: 0 }), 1);
  for (let i = 0; i < 20; i++) bank.update(0, 7, i);
  assert.equal(bank.zScore(0, 7, 20), 0);
  assert.equal(bank.zScore(0, 8, 20), Infinity);
  assert.equal(bank.zScore(0, 6, 20), -Infinity);
});

test('hour of week slots by hand', () => {
  // 1796601600 is Monday 2026-12-07 00:00 UTC, 1797204600 Sunday
  // 2026-12-13 23:30 UTC, 1796825400 Wednesday 2026-12-09 14:10 UTC
  // (Python datetime): slots 0, 167 and 2 * 24 + 14 = 62.
  assert.equal(hourOfWeekSlot(1796601600, 0), 0);
  assert.equal(hourOfWeekSlot(1797204600, 0), 167);
  assert.equal(hourOfWeekSlot(1796825400, 0), 62);
  assert.equal(hourOfWeekSlot(1796825400, 3600), 63);
  assert.equal(hourOfWeekSlot(1796601600, -3600), 167);
  assert.equal(hourOfWeekSlot(0, 0), 72);
});

test('ewma hour slots learn apart', () => {
  const bank = new EwmaBank(config({ hourOfWeek: true, minSamples: 1, minLearningS: 0 }), 1);
  const monday = 1796601600;
  bank.update(0, 10, monday + 60);
  bank.update(0, 500, monday + 3600 + 60);
  const state = { mean: 0, variance: 0, count: 0, firstUpdateS: 0, lastUpdateS: 0 };
  assert.equal(bank.readSlot(0, 0, state).mean, 10);
  assert.equal(bank.readSlot(0, 1, state).mean, 500);
  assert.equal(bank.slotsPerSeries, 168);
  bank.clearSeries(0);
  assert.equal(bank.readSlot(0, 1, state).count, 0);
});

test('ewma rejects invalid config', () => {
  assert.throws(() => new EwmaBank(config({ halfLifeS: 0 }), 1), /halfLifeS 0 is invalid/);
  assert.throws(() => new EwmaBank(config({ madWindow: 0 }), 1), /madWindow 0 is invalid/);
});
