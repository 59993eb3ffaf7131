import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FindingTracker, Observed } from './finding-tracker.js';
import type { AnomalyFinding } from './finding.js';

const S = 1_000_000;
const KEY = new Uint32Array([0xc6336405, 0, 0, 0]);

function finding(timestampUs: number): AnomalyFinding {
  return {
    type: 3, phase: 'start', timestampUs, srcIp: null, destIp: '198.51.100.5', destPort: 0, proto: 'TCP', entity: 'host',
    metric: 'syn_pps', observed: 1200, baseline: 1000, deviation: 1.2, windowStartUs: 0, windowEndUs: timestampUs, intervalS: 1,
    sampleRate: 1, peak: 1200, distinctSources: 1200, sourcesSpoofed: true, topSources: [], topTargets: [], topPorts: [],
  };
}

test('tracker start, update and end', () => {
  // Updates every 60 s, end after 5 s without confirmation.
  const tracker = new FindingTracker(4, 60, 5);
  assert.equal(tracker.observe(3, 4, KEY, 0, 0, 0, 1 * S, 1200), Observed.START);
  tracker.report(finding(1 * S));
  for (let t = 2; t < 61; t++) assert.equal(tracker.observe(3, 4, KEY, 0, 0, (t - 1) * S, t * S, 1000 + t), Observed.QUIET, `second ${t}`);
  assert.equal(tracker.observe(3, 4, KEY, 0, 0, 60 * S, 61 * S, 900), Observed.UPDATE);
  assert.equal(tracker.currentPeak(), 1200);
  assert.equal(tracker.currentStartUs(), 0);

  tracker.sweep(65 * S, false);
  assert.equal(tracker.reports.length, 1, 'last seen at 61 s: still on at 65 s');
  tracker.sweep(66 * S, false);
  assert.equal(tracker.reports.length, 2);
  const end = tracker.reports[1];
  assert.equal(end.phase, 'end');
  assert.equal(end.windowEndUs, 61 * S);
  assert.equal(end.timestampUs, 66 * S);
  assert.equal(tracker.activeCount(), 0);
});

test('tracker keys by type, address and port', () => {
  const tracker = new FindingTracker(2, 60, 5);
  assert.equal(tracker.observe(6, 4, KEY, 0, 123, 0, S, 1), Observed.START);
  assert.equal(tracker.observe(6, 4, KEY, 0, 53, 0, S, 1), Observed.START);
  assert.equal(tracker.observe(4, 4, KEY, 0, 0, 0, S, 1), Observed.FULL);
  assert.equal(tracker.findingsDropped, 1);
});

test('tracker holds scans for their window', () => {
  const tracker = new FindingTracker(2, 60, 5);
  tracker.observe(7, 4, KEY, 0, 0, 0, S, 25, 60);
  tracker.report(finding(S));
  tracker.sweep(60 * S, false);
  assert.equal(tracker.reports.length, 1, 'held 60 s');
  tracker.sweep(61 * S, false);
  assert.equal(tracker.reports[1].phase, 'end');
});
