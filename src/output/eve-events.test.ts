import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Action } from '../detect/signature.js';
import { Flow } from '../flow/flow.js';
import { buildAnomalyEvent, buildAppLayerAnomalyEvent, buildDropEvent, buildFlowEvent, buildStatsEvent, DropReason } from './eve-events.js';
import { PktSrc } from './eve-format.js';
import type { EveContext } from './eve-header.js';
import { TimestampFormatter } from './eve-time.js';
import { makeSig, verifyPacket } from './test-fixtures.js';

const utc: EveContext = { time: new TimestampFormatter(0), ipsMode: true, ipv6Compress: false, ethernet: false, pcapFilename: null };
const TS_US = Date.UTC(2026, 11, 4, 21, 3, 13) * 1000 + 123456;

test('anomaly decode event', () => {
  // Shape of suricata-verify bug-7414-decoder-event-01's anomaly checks.
  const p = verifyPacket(3);
  const e = JSON.parse(buildAnomalyEvent(utc, p, null, 'decode', 'decoder.ipv4.opt_pad_required', PktSrc.WIRE));
  assert.equal(e.event_type, 'anomaly');
  assert.equal(e.pcap_cnt, 3);
  assert.equal(e.pkt_src, 'wire/pcap');
  assert.deepEqual(e.anomaly, { type: 'decode', event: 'decoder.ipv4.opt_pad_required' });
  assert.deepEqual(Object.keys(e).slice(-2), ['pkt_src', 'anomaly']);
});

test('anomaly stream event has flow id', () => {
  const flow = new Flow();
  flow.flowId = 42;
  const e = JSON.parse(buildAnomalyEvent(utc, verifyPacket(), flow, 'stream', 'stream.reassembly_depth_reached', PktSrc.WIRE));
  assert.equal(e.flow_id, 42);
  assert.deepEqual(e.anomaly, { type: 'stream', event: 'stream.reassembly_depth_reached' });
});

test('anomaly app-layer event fields', () => {
  // Fields of suricata-verify's app-layer anomaly checks (anomaly.app_proto, .type, .event, .layer).
  const flow = new Flow();
  flow.flowId = 7;
  const e = JSON.parse(buildAppLayerAnomalyEvent(utc, verifyPacket(), flow, 'http', 'REQUEST_LINE_MISSING_PROTOCOL', 'proto_parser', 0, PktSrc.WIRE));
  assert.equal(e.tx_id, 0);
  assert.deepEqual(e.anomaly, { app_proto: 'http', type: 'applayer', event: 'REQUEST_LINE_MISSING_PROTOCOL', layer: 'proto_parser' });
  assert.deepEqual(Object.keys(e.anomaly), ['app_proto', 'type', 'event', 'layer']);
  assert.deepEqual(Object.keys(e).slice(-3), ['pkt_src', 'tx_id', 'anomaly']);
});

test('drop event tcp fields', () => {
  // Values read by hand from the packet bytes (see verifyPacket).
  const e = JSON.parse(buildDropEvent(utc, verifyPacket(), null, DropReason.RULES, null, PktSrc.WIRE));
  assert.deepEqual(e.drop, {
    len: 43,
    tos: 0,
    ttl: 64,
    ipid: 1,
    tcpseq: 3,
    tcpack: 1001,
    tcpwin: 4096,
    syn: false,
    ack: true,
    psh: false,
    rst: false,
    urg: false,
    fin: false,
    tcpres: 0,
    tcpurgp: 0,
    reason: 'rules',
  });
  assert.equal(e.alert, undefined);
});

test('drop event with alert', () => {
  const sig = makeSig({ sid: 1000001, msg: 'toto', metadata: ['a b'] });
  const e = JSON.parse(buildDropEvent(utc, verifyPacket(), null, DropReason.THRESHOLD_DETECTION_FILTER, sig, PktSrc.WIRE));
  assert.equal(e.drop.reason, 'threshold detection_filter');
  assert.deepEqual(e.alert, { action: 'blocked', gid: 1, signature_id: 1000001, rev: 1, signature: 'toto', category: '', severity: 3 });
});

test('drop event udp length', () => {
  const p = verifyPacket();
  p.ipProto = 17;
  // Bytes 4-5 of the "UDP" header at offset 38 are 0x0000 in this packet.
  const e = JSON.parse(buildDropEvent(utc, p, null, DropReason.FLOW_DROP, null, PktSrc.WIRE));
  assert.equal(e.drop.udplen, 0);
  assert.equal(e.drop.reason, 'flow drop');
});

test('flow event head and record', () => {
  const flow = new Flow();
  flow.flowId = 1001;
  flow.ipVersion = 6;
  flow.ipProto = 6;
  flow.clientAddr.set([0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34]);
  flow.serverAddr.set([0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x35]);
  flow.clientPort = 1234;
  flow.serverPort = 80;
  const record = {
    app_proto: 'http',
    flow: { pkts_toserver: 3, pkts_toclient: 2, alerted: true, reason: 'shutdown' },
    tcp: { tcp_flags: '1b' },
  };
  const line = buildFlowEvent(utc, flow, record, TS_US);
  const e = JSON.parse(line);
  assert.deepEqual(Object.keys(e), [
    'timestamp', 'flow_id', 'event_type', 'src_ip', 'src_port', 'dest_ip', 'dest_port', 'ip_v', 'proto',
    'app_proto', 'flow', 'tcp',
  ]);
  // Values of suricata-verify bug-4571-04's flow check.
  assert.equal(e.src_ip, '2001:0db8:85a3:0000:0000:8a2e:0370:7334');
  assert.equal(e.ip_v, 6);
  assert.equal(e.proto, 'TCP');
  assert.equal(e.flow.alerted, true);
});

test('flow event icmp fields in head', () => {
  const flow = new Flow();
  flow.ipVersion = 4;
  flow.ipProto = 1;
  flow.vlanId = 1111;
  const e = JSON.parse(buildFlowEvent(utc, flow, { flow: { state: 'new' }, icmp_type: 8, icmp_code: 0 }, TS_US));
  assert.deepEqual(Object.keys(e), ['timestamp', 'flow_id', 'event_type', 'vlan', 'src_ip', 'dest_ip', 'ip_v', 'proto', 'icmp_type', 'icmp_code', 'flow']);
  assert.deepEqual(e.vlan, [1111]);
});

test('stats event nests counter names', () => {
  const counters = new Map([
    ['decoder.pkts', 10],
    ['decoder.invalid', 1],
    ['decoder.event.ipv4.trunc_pkt', 1],
    ['detect.alert', 6],
    ['tcp.reassembly_gap', 0],
  ]);
  const e = JSON.parse(buildStatsEvent(utc, TS_US, 12.7, counters, null));
  assert.equal(e.event_type, 'stats');
  assert.deepEqual(e.stats, {
    uptime: 12,
    decoder: { pkts: 10, invalid: 1, event: { ipv4: { trunc_pkt: 1 } } },
    detect: { alert: 6 },
    tcp: { reassembly_gap: 0 },
  });
});

test('drop event verdict object', () => {
  // Suricata 8 drop events with `verdict: yes` end with the verdict.
  const ips = { ...utc, ipsMode: true };
  const byRule = JSON.parse(buildDropEvent(ips, verifyPacket(), null, 'rules', null, PktSrc.WIRE, makeSig({ action: Action.DROP })));
  assert.deepEqual(byRule.verdict, { action: 'drop' });
  const byFlow = JSON.parse(buildDropEvent(ips, verifyPacket(), null, 'flow drop', null, PktSrc.WIRE, null));
  assert.deepEqual(byFlow.verdict, { action: 'drop' });
  const reject = JSON.parse(buildDropEvent(ips, verifyPacket(), null, 'rules', null, PktSrc.WIRE, makeSig({ action: Action.REJECT })));
  assert.deepEqual(reject.verdict, { action: 'drop', 'reject-target': 'to_client', reject: ['tcp-reset'] });
  const without = JSON.parse(buildDropEvent(ips, verifyPacket(), null, 'rules', null, PktSrc.WIRE));
  assert.equal(without.verdict, undefined);
});

test('stats event detect engines list', () => {
  // The shape that bug-8021-alert-max-verdict-02 and requires-ok check:
  // stats.detect.engines[0].rules_loaded and its siblings.
  const engine = { id: 0, lastReloadUs: TS_US, rulesLoaded: 7, rulesFailed: 1, rulesSkipped: 2 };
  const e = JSON.parse(buildStatsEvent(utc, TS_US, 1, new Map([['detect.alert', 1]]), null, [engine]));
  assert.equal(e.stats.detect.alert, 1);
  assert.equal(e.stats.detect.engines.length, 1);
  assert.deepEqual(e.stats.detect.engines[0], {
    id: 0,
    last_reload: '2026-12-04T21:03:13.123456+0000',
    rules_loaded: 7,
    rules_failed: 1,
    rules_skipped: 2,
  });
});

test('events end with pcap filename', () => {
  const ctx = { ...utc, pcapFilename: 'in.pcap' };
  const anomaly = JSON.parse(buildAnomalyEvent(ctx, verifyPacket(), null, 'decode', 'decoder.ipv4.trunc_pkt', PktSrc.WIRE));
  const stats = JSON.parse(buildStatsEvent(ctx, TS_US, 1, new Map(), null));
  assert.equal(Object.keys(anomaly).pop(), 'pcap_filename');
  assert.equal(Object.keys(stats).pop(), 'pcap_filename');
  assert.equal(stats.pcap_filename, 'in.pcap');
});

test('stats event deltas', () => {
  const e = JSON.parse(buildStatsEvent(utc, TS_US, 8, new Map([['detect.alert', 6]]), new Map([['detect.alert', 4]])));
  assert.deepEqual(e.stats.detect, { alert: 6, alert_delta: 2 });
});
