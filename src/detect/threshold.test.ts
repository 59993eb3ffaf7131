import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packet } from '../core/packet.js';
import { Flow } from '../flow/flow.js';
import { Action } from './signature.js';
import type { Signature, ThresholdSpec } from './signature.js';
import { ThresholdEngine } from './threshold.js';
import { parseThresholdConfig } from './threshold-config.js';

const anyAddress = { isAny: true, matchV4: () => true, matchV6: () => true };
const anyPort = { isAny: true, match: () => true };
let nextSigId = 0;

function sig(fields: Partial<Signature>): Signature {
  return {
    id: nextSigId++,
    action: Action.ALERT,
    gid: 1,
    sid: 1000001,
    rev: 1,
    msg: '',
    classtype: null,
    priority: 3,
    category: '',
    references: [],
    metadata: [],
    target: null,
    proto: 'tcp',
    src: anyAddress,
    srcPorts: anyPort,
    dst: anyAddress,
    dstPorts: anyPort,
    direction: 0,
    flowFlags: 0,
    packetMatches: [],
    buffers: [],
    postMatches: [],
    threshold: null,
    detectionFilter: null,
    isNoAlert: false,
    file: 'test.rules',
    line: 1,
    text: '',
    ...fields,
  };
}

function spec(kind: ThresholdSpec['kind'], track: ThresholdSpec['track'], count: number, seconds: number): ThresholdSpec {
  return { kind, track, count, seconds };
}

function packet(src: string, dst: string, seconds: number, srcPort = 1024, dstPort = 80): Packet {
  const p = new Packet();
  p.reset(new Uint8Array(0), seconds * 1_000_000, 0, 1, 1);
  p.ipVersion = 4;
  p.ipProto = 6;
  p.srcAddr.set(src.split('.').map(Number));
  p.dstAddr.set(dst.split('.').map(Number));
  p.srcPort = srcPort;
  p.dstPort = dstPort;
  return p;
}

function flowWithId(id: number): Flow {
  const f = new Flow();
  f.flowId = id;
  f.slot = id;
  return f;
}

/** Counts alerts of `s` over `packets`, all on `flow`. */
function countAlerts(engine: ThresholdEngine, s: Signature, packets: Packet[], flow: Flow | null): number {
  let alerts = 0;
  for (const p of packets) if (engine.shouldAlert(s, p, flow)) alerts++;
  return alerts;
}

/** Eight echo requests from one host on one flow, one a second, as in suricata-verify's icmp.pcap. */
function eightPings(): Packet[] {
  const out: Packet[] = [];
  for (let i = 0; i < 8; i++) out.push(packet('10.0.0.1', '10.0.0.2', 100 + i));
  return out;
}

test('threshold rule limit and both by flow', () => {
  // suricata-verify threshold/threshold-rule-flow: sids 2, 3, 4.
  const engine = new ThresholdEngine();
  const flow = flowWithId(1);
  assert.equal(countAlerts(engine, sig({ threshold: spec('limit', 'by_flow', 1, 3600) }), eightPings(), flow), 1);
  assert.equal(countAlerts(engine, sig({ threshold: spec('limit', 'by_flow', 2, 3600) }), eightPings(), flow), 2);
  assert.equal(countAlerts(engine, sig({ threshold: spec('both', 'by_flow', 3, 3600) }), eightPings(), flow), 1);
});

test('detection filter counts by flow and source', () => {
  // suricata-verify detection_filter-rule-flow and -hostsrc: counts 1, 2, 4, 7, 8.
  for (const track of ['by_flow', 'by_src'] as const) {
    const engine = new ThresholdEngine();
    const flow = flowWithId(2);
    const alerts = [1, 2, 4, 7, 8].map((count) =>
      countAlerts(engine, sig({ detectionFilter: spec('detection_filter', track, count, 3600) }), eightPings(), flow),
    );
    assert.deepEqual(alerts, [7, 6, 4, 1, 0], track);
  }
});

test('threshold type threshold resets count', () => {
  // count 3 in 10 s: matches at 0,1,2 alert at the 3rd; 3,4,5 at the 6th;
  // the match at 11 s opens a new window (11 - 0 > 10) and is its 1st.
  const engine = new ThresholdEngine();
  const s = sig({ threshold: spec('threshold', 'by_src', 3, 10) });
  const results = [0, 1, 2, 3, 4, 5, 11, 12, 13].map((t) => engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', t), null));
  assert.deepEqual(results, [false, false, true, false, false, true, false, false, true]);
});

test('threshold limit per window', () => {
  // At most 2 alerts per 60 s per source; a new window starts after 60 s.
  const engine = new ThresholdEngine();
  const s = sig({ threshold: spec('limit', 'by_src', 2, 60) });
  const results = [0, 10, 20, 59, 61, 62, 63].map((t) => engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', t), null));
  assert.deepEqual(results, [true, true, false, false, true, true, false]);
  // Limited matches still carry the rule action.
  assert.equal(engine.applyAction, true);
});

test('threshold tracks sources apart', () => {
  const engine = new ThresholdEngine();
  const s = sig({ threshold: spec('limit', 'by_src', 1, 60) });
  assert.equal(engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.9', 0), null), true);
  assert.equal(engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.8', 1), null), false);
  assert.equal(engine.shouldAlert(s, packet('10.0.0.2', '10.0.0.9', 2), null), true);
});

test('threshold by dst and by both', () => {
  const engine = new ThresholdEngine();
  const byDst = sig({ threshold: spec('limit', 'by_dst', 1, 60) });
  assert.equal(engine.shouldAlert(byDst, packet('10.0.0.1', '10.0.0.9', 0), null), true);
  assert.equal(engine.shouldAlert(byDst, packet('10.0.0.2', '10.0.0.9', 1), null), false);
  const byBoth = sig({ threshold: spec('limit', 'by_both', 1, 60) });
  assert.equal(engine.shouldAlert(byBoth, packet('10.0.0.1', '10.0.0.9', 0), null), true);
  // The reverse direction is the same pair.
  assert.equal(engine.shouldAlert(byBoth, packet('10.0.0.9', '10.0.0.1', 1), null), false);
  assert.equal(engine.shouldAlert(byBoth, packet('10.0.0.1', '10.0.0.8', 2), null), true);
});

test('threshold by rule ignores addresses', () => {
  const engine = new ThresholdEngine();
  const s = sig({ threshold: spec('limit', 'by_rule', 3, 1000) });
  const packets = Array.from({ length: 10 }, (_, i) => packet(`10.0.0.${i + 1}`, '10.0.1.1', i));
  assert.equal(countAlerts(engine, s, packets, null), 3);
});

test('threshold by flow without flow', () => {
  const engine = new ThresholdEngine();
  const s = sig({ threshold: spec('limit', 'by_flow', 1, 60) });
  assert.equal(countAlerts(engine, s, eightPings(), null), 8);
});

test('detection filter window restarts', () => {
  // count 2 in 10 s: the 3rd and 4th match alert; at 15 s a new window starts.
  const engine = new ThresholdEngine();
  const s = sig({ detectionFilter: spec('detection_filter', 'by_src', 2, 10) });
  const results = [0, 1, 2, 3, 15, 16, 17].map((t) => engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', t), null));
  assert.deepEqual(results, [false, false, true, true, false, false, true]);
});

test('threshold before count skips action', () => {
  const engine = new ThresholdEngine();
  const s = sig({ action: Action.DROP, threshold: spec('threshold', 'by_src', 2, 60) });
  assert.equal(engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', 0), null), false);
  assert.equal(engine.applyAction, false);
  assert.equal(engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', 1), null), true);
  assert.equal(engine.applyAction, true);
});

test('both applies action after count', () => {
  const engine = new ThresholdEngine();
  const s = sig({ action: Action.DROP, threshold: spec('both', 'by_src', 2, 60) });
  const applied: boolean[] = [];
  for (let t = 0; t < 4; t++) {
    engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', t), null);
    applied.push(engine.applyAction);
  }
  assert.deepEqual(applied, [false, true, true, true]);
});

test('backoff alerts at powers', () => {
  // count 1, multiplier 10: alerts at matches 1, 10 and 100.
  const engine = new ThresholdEngine();
  const s = sig({ threshold: { kind: 'backoff', track: 'by_flow', count: 1, seconds: 0, multiplier: 10 } });
  const flow = flowWithId(3);
  const alertAt: number[] = [];
  for (let i = 1; i <= 150; i++) if (engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', i), flow)) alertAt.push(i);
  assert.deepEqual(alertAt, [1, 10, 100]);
});

test('detection filter unique source ports', () => {
  // suricata-verify detection_filter-distinct-srcport: ports 2000, 2001, count 1: one alert.
  const engine = new ThresholdEngine();
  const s = sig({ detectionFilter: { ...spec('detection_filter', 'by_src', 1, 60), uniqueOn: 'src_port' } });
  const two = [packet('10.0.0.1', '2.2.2.2', 0, 2000), packet('10.0.0.1', '2.2.2.2', 1, 2001)];
  assert.equal(countAlerts(engine, s, two, null), 1);
  // detection_filter-distinct-srcport-no-dups: 2000, 2000, 2001 with count 3: none.
  const s3 = sig({ detectionFilter: { ...spec('detection_filter', 'by_src', 3, 60), uniqueOn: 'src_port' } });
  const three = [2000, 2000, 2001].map((port, i) => packet('10.0.0.1', '2.2.2.2', i, port));
  assert.equal(countAlerts(engine, s3, three, null), 0);
});

test('config threshold replaces rule threshold', () => {
  const config = parseThresholdConfig('threshold gen_id 1, sig_id 1000001, type limit, track by_rule, count 3, seconds 1000\n', 'threshold.config', {});
  assert.deepEqual(config.errors, []);
  const engine = new ThresholdEngine(config.entries);
  // suricata-verify threshold-config-byrule: a rule without threshold, limit 3 by rule.
  const plain = sig({ sid: 1000001 });
  const packets = Array.from({ length: 12 }, (_, i) => packet('10.0.0.1', '10.0.0.2', i));
  assert.equal(countAlerts(engine, plain, packets, null), 3);
  // A rule's own detection_filter is replaced as well.
  const own = sig({ sid: 1000001, detectionFilter: spec('detection_filter', 'by_src', 5, 60) });
  assert.equal(countAlerts(new ThresholdEngine(config.entries), own, packets, null), 3);
});

test('config threshold by flow over 19 matches', () => {
  // suricata-verify threshold-config-threshold-{threshold,both,limit}-flow: 3, 1 and 1 alerts.
  const packets = Array.from({ length: 19 }, (_, i) => packet('145.254.160.237', '65.208.228.223', i * 0.5));
  const cases: [string, number][] = [
    ['type threshold, track by_flow, count 5, seconds 60', 3],
    ['type both, track by_flow, count 5, seconds 60', 1],
    ['type limit, track by_flow, count 1, seconds 60', 1],
  ];
  for (const [options, expected] of cases) {
    const config = parseThresholdConfig(`threshold gen_id 1, sig_id 1000001, ${options}\n`, 't', {});
    const engine = new ThresholdEngine(config.entries);
    assert.equal(countAlerts(engine, sig({ sid: 1000001 }), packets, flowWithId(9)), expected, options);
  }
});

test('wildcard threshold spares rules with own', () => {
  const config = parseThresholdConfig('threshold gen_id 0, sig_id 0, type limit, track by_src, count 1, seconds 60\n', 't', {});
  const packets = Array.from({ length: 5 }, (_, i) => packet('10.0.0.1', '10.0.0.2', i));
  const engine = new ThresholdEngine(config.entries);
  assert.equal(countAlerts(engine, sig({ sid: 7 }), packets, null), 1);
  assert.equal(countAlerts(engine, sig({ sid: 8, threshold: spec('limit', 'by_src', 2, 60) }), packets, null), 2);
  const byGid = new ThresholdEngine(parseThresholdConfig('threshold gen_id 3, sig_id 0, type limit, track by_src, count 1, seconds 60', 't', {}).entries);
  assert.equal(countAlerts(byGid, sig({ sid: 9, gid: 1 }), packets, null), 5);
  assert.equal(countAlerts(byGid, sig({ sid: 9, gid: 3 }), packets, null), 1);
});

/** 19 matches: 14 from the client 145.254.160.237, 5 from the server 65.208.228.223. */
function clientServerMatches(): Packet[] {
  const out: Packet[] = [];
  for (let i = 0; i < 19; i++) {
    out.push(i % 4 === 3 || i === 18 ? packet('65.208.228.223', '145.254.160.237', i, 80, 3372) : packet('145.254.160.237', '65.208.228.223', i, 3372, 80));
  }
  return out;
}

test('suppress by source with variable', () => {
  const vars = { SUPPRESS: '[10.0.0.0/8,20.0.0.0/16,145.0.0.0/8]' };
  const config = parseThresholdConfig('suppress gen_id 1, sig_id 1000001, track by_src, ip $SUPPRESS\n', 't', vars);
  assert.deepEqual(config.errors, []);
  const engine = new ThresholdEngine(config.entries);
  const s = sig({ sid: 1000001, action: Action.DROP });
  // Only the server's 5 matches alert; suppressed matches still drop.
  assert.equal(countAlerts(engine, s, clientServerMatches(), null), 5);
  assert.equal(engine.alertsSuppressed, 14);
  engine.shouldAlert(s, packet('145.254.160.237', '65.208.228.223', 30), null);
  assert.equal(engine.applyAction, true);
});

test('suppress by either and by dst', () => {
  const either = new ThresholdEngine(parseThresholdConfig('suppress gen_id 1, sig_id 1000001, track by_either, ip 145.254.160.0/24', 't', {}).entries);
  assert.equal(countAlerts(either, sig({ sid: 1000001 }), clientServerMatches(), null), 0);
  const byDst = new ThresholdEngine(parseThresholdConfig('suppress gen_id 1, sig_id 1000001, track by_dst, ip [65.208.228.223]', 't', {}).entries);
  assert.equal(countAlerts(byDst, sig({ sid: 1000001 }), clientServerMatches(), null), 5);
  const all = new ThresholdEngine(parseThresholdConfig('suppress gen_id 1, sig_id 1000001', 't', {}).entries);
  assert.equal(countAlerts(all, sig({ sid: 1000001 }), clientServerMatches(), null), 0);
  assert.equal(countAlerts(all, sig({ sid: 1000002 }), clientServerMatches(), null), 19);
});

test('suppress ipv6 network and negation', () => {
  const config = parseThresholdConfig('suppress gen_id 0, sig_id 0, track by_src, ip [2001:db8::/32,!2001:db8:1::/48]', 't', {});
  assert.deepEqual(config.errors, []);
  const engine = new ThresholdEngine(config.entries);
  const p6 = (src: number[]) => {
    const p = packet('0.0.0.0', '0.0.0.0', 0);
    p.ipVersion = 6;
    p.srcAddr.set(src);
    return p;
  };
  const s = sig({ sid: 5 });
  assert.equal(engine.shouldAlert(s, p6([0x20, 0x01, 0x0d, 0xb8, 0, 2]), null), false);
  assert.equal(engine.shouldAlert(s, p6([0x20, 0x01, 0x0d, 0xb8, 0, 1]), null), true);
  assert.equal(engine.shouldAlert(s, p6([0x20, 0x01, 0x0d, 0xb9]), null), true);
});

/** Runs 19 matches of a drop rule and returns [matches without override, matches with override]. */
function rateFilterSplit(line: string, matches: Packet[], flow: Flow | null): [number, number] {
  const engine = new ThresholdEngine(parseThresholdConfig(line, 't', {}).entries);
  const s = sig({ sid: 1000001, action: Action.DROP });
  let own = 0;
  let changed = 0;
  for (const p of matches) {
    assert.equal(engine.shouldAlert(s, p, flow), true);
    if (engine.actionOverride < 0) own++;
    else changed++;
  }
  return [own, changed];
}

test('rate filter changes action after count', () => {
  // suricata-verify threshold-config-rate-filter-alert-{flow,rule,hostsrc,pair}:
  // the drop rule keeps its action for the first `count` matches per tracker.
  const m = clientServerMatches();
  assert.deepEqual(rateFilterSplit('rate_filter gen_id 1, sig_id 1000001, track by_flow, count 3, seconds 60, new_action alert, timeout 1000', m, flowWithId(4)), [3, 16]);
  assert.deepEqual(rateFilterSplit('rate_filter gen_id 1, sig_id 1000001, track by_rule, count 1, seconds 60, new_action alert, timeout 1000', m, null), [1, 18]);
  assert.deepEqual(rateFilterSplit('rate_filter gen_id 1, sig_id 1000001, track by_src, count 1, seconds 60, new_action alert, timeout 1000', m, null), [2, 17]);
  assert.deepEqual(rateFilterSplit('rate_filter gen_id 1, sig_id 1000001, track by_dst, count 1, seconds 60, new_action alert, timeout 1000', m, null), [2, 17]);
  assert.deepEqual(rateFilterSplit('rate_filter gen_id 1, sig_id 1000001, track by_both, count 1, seconds 60, new_action alert, timeout 1000', m, null), [1, 18]);
});

test('rate filter timeout ends', () => {
  // count 2 in 10 s, drop for 5 s: the 3rd match at 2 s sets the drop until 7 s.
  // The match at 8 s starts counting again.
  const engine = new ThresholdEngine(parseThresholdConfig('rate_filter gen_id 1, sig_id 1000001, track by_src, count 2, seconds 10, new_action drop, timeout 5', 't', {}).entries);
  const s = sig({ sid: 1000001 });
  const overrides = [0, 1, 2, 3, 6.9, 8, 9, 10].map((t) => {
    engine.shouldAlert(s, packet('10.0.0.1', '10.0.0.2', t), null);
    return engine.actionOverride;
  });
  const D = Action.DROP;
  assert.deepEqual(overrides, [-1, -1, D, D, D, -1, -1, D]);
  assert.equal(engine.rateFilterActivations, 2);
});

test('threshold table full decides without state', () => {
  // A memcap of 0 gives the 64-slot minimum: 32 entries, then the table is full.
  const events: unknown[] = [];
  const engine = new ThresholdEngine([], { memcapBytes: 0, onTableFull: (info) => events.push(info) });
  const s = sig({ threshold: spec('limit', 'by_src', 1, 60) });
  const packets: Packet[] = [];
  for (let i = 0; i < 100; i++) packets.push(packet(`10.1.${i >> 8}.${i & 255}`, '10.0.0.2', 0));
  assert.equal(countAlerts(engine, s, packets, null), 100);
  assert.equal(engine.table.entries, 32);
  assert.equal(engine.table.fullCount, 68);
  assert.equal(engine.table.firstFullUs, 0);
  assert.deepEqual(events, [{ event: 'detect.thresholds.table_full', entries: 32, maxEntries: 32, timestampUs: 0 }]);
  // Repeats of the first 32 sources are tracked and limited.
  assert.equal(countAlerts(engine, s, packets.slice(0, 32), null), 0);
  // After the window, expired slots are reused for new sources. A new key
  // only reaches the 32 slots of its probe window, so a few may still miss.
  const later = packets.slice(32, 64).map((p) => packet(`10.1.0.${p.srcAddr[3]}`, '10.0.0.2', 61));
  assert.equal(countAlerts(engine, s, later, null), 32);
  assert.equal(engine.table.entries, 32);
  assert.ok(engine.table.fullCount - 68 <= 8, `misses ${engine.table.fullCount - 68}`);
});

test('threshold config errors name line', () => {
  const text = [
    '# comment',
    'threshold gen_id 1, sig_id 5, type limt, track by_src, count 1, seconds 60',
    'threshold gen_id 1, sig_id 6, type limit, track by_src, count x, seconds 60',
    'suppress gen_id 1, sig_id 7, track by_src, ip $NOPE',
    'rate_filter gen_id 1, sig_id 8, track by_rule, count 1, seconds 60, new_action sdrop, timeout 5',
    'limit gen_id 1, sig_id 9',
    'suppress gen_id 1, sig_id 10, track by_src, \\',
    '  ip 10.0.0.0/8',
    'threshold gen_id 1, sig_id 11, type both, track by_dst, count 2, seconds 30, extra 1',
    'suppress gen_id 1, sig_id 12, track by_src',
    '',
  ].join('\n');
  const config = parseThresholdConfig(text, 'threshold.config', {});
  assert.deepEqual(config.errors, [
    "threshold.config:2: type: 'limt' is not allowed (expected limit, threshold, both) (line skipped)",
    "threshold.config:3: count: 'x' is not a whole number (line skipped)",
    "threshold.config:4: ip: '$NOPE' is not a defined address variable (line skipped)",
    "threshold.config:5: new_action: 'sdrop' is not supported (expected alert, drop, pass or reject) (line skipped)",
    "threshold.config:6: 'limit' is not a threshold.config entry (expected suppress, threshold, event_filter or rate_filter) (line skipped)",
    "threshold.config:9: 'extra' is not an option of this entry (expected gen_id, sig_id, type, track, count, seconds) (line skipped)",
    'threshold.config:10: ip is missing (a suppress with track needs an ip) (line skipped)',
  ]);
  assert.equal(config.entries.length, 1);
  const entry = config.entries[0]!;
  assert.equal(entry.type, 'suppress');
  assert.equal(entry.sid, 10);
  assert.equal(entry.line, 7);
});

test('event_filter works as threshold', () => {
  const config = parseThresholdConfig('event_filter gen_id 1, sig_id 1000001, type limit, track by_src, count 2, seconds 60', 't', {});
  assert.deepEqual(config.errors, []);
  const engine = new ThresholdEngine(config.entries);
  assert.equal(countAlerts(engine, sig({ sid: 1000001 }), eightPings(), null), 2);
});
