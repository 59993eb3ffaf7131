import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnomalyFinding } from '../anomaly/finding.js';
import { anomalyFastLogLine, buildAnomalyAlertEvent } from './eve-anomaly-alert.js';
import { TimestampFormatter } from './eve-time.js';

const FINDING: AnomalyFinding = {
  type: 6, phase: 'start', timestampUs: 1626105670_000000, srcIp: null, destIp: '198.51.100.1', destPort: 47808,
  proto: 'UDP', entity: 'host', metric: 'reflected_pps', observed: 6737, baseline: 1000, deviation: 6.74,
  windowStartUs: 1626105669_000000, windowEndUs: 1626105670_000000, intervalS: 1, sampleRate: 1, peak: 6737,
  distinctSources: 3402, sourcesSpoofed: false, topSources: [{ ip: '203.0.113.7', count: 19 }],
  topTargets: [{ ip: '198.51.100.1', count: 9114 }], topPorts: [47808],
};

test('anomaly alert is gid 8200', () => {
  const time = new TimestampFormatter(0);
  const ctx = { time, ipsMode: false, ipv6Compress: true, ethernet: false, pcapFilename: null };
  const line = buildAnomalyAlertEvent(ctx, FINDING);
  const event = JSON.parse(line);
  assert.equal(event.timestamp, '2021-07-12T16:01:10.000000+0000');
  assert.equal(event.event_type, 'alert');
  assert.equal(event.src_ip, undefined, 'many sources: no src_ip');
  assert.equal(event.dest_ip, '198.51.100.1');
  assert.equal(event.dest_port, 47808);
  assert.equal(event.proto, 'UDP');
  assert.deepEqual(event.alert, {
    action: 'allowed', gid: 8200, signature_id: 6, rev: 1, signature: 'KAPU ANOMALY amplification reflected_pps',
    category: 'Detection of a Network Scan or Denial of Service', severity: 1,
  });
  assert.deepEqual(event.kapu.anomaly, {
    type: 'amplification', phase: 'start', entity: 'host', metric: 'reflected_pps', observed: 6737, baseline: 1000,
    deviation: 6.74, peak: 6737,
    window: { start: '2021-07-12T16:01:09.000000+0000', end: '2021-07-12T16:01:10.000000+0000', interval_s: 1 },
    sample_rate: 1, distinct_sources: 3402, sources_spoofed: false,
    top_sources: [{ ip: '203.0.113.7', count: 19 }], top_targets: [{ ip: '198.51.100.1', count: 9114 }], top_ports: [47808],
  });
});

test('anomaly fast.log line', () => {
  const line = anomalyFastLogLine(new TimestampFormatter(0), FINDING);
  assert.equal(line, '07/12/2021-16:01:10.000000  [**] [8200:6:1] KAPU ANOMALY amplification reflected_pps start [**] '
    + '[Classification: Detection of a Network Scan or Denial of Service] [Priority: 1] {UDP} many:0 -> 198.51.100.1:47808');
});
