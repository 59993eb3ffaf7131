import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, Packet } from '../core/packet.js';
import { VERIFY_PACKET_B64, TS_US, makeSig, verifyPacket } from './test-fixtures.js';
import { Flow } from '../flow/flow.js';
import { Action } from '../detect/signature.js';
import { alertActionText, buildAlertEvent, metadataJson, packetAlertFacts } from './eve-alert.js';
import { PktSrc, formatIpv6, formatIpv6Compressed } from './eve-format.js';
import type { EveContext } from './eve-header.js';
import { TimestampFormatter } from './eve-time.js';

const utc: EveContext = { time: new TimestampFormatter(0), ipsMode: false, ipv6Compress: false, ethernet: false, pcapFilename: null };
const allPayload = { payload: true, payloadPrintable: true, payloadLength: false, packet: true, metadata: true, payloadBufferSize: 4096, verdict: false };

test('alert fields of verify packet', () => {
  // Expected values: suricata-verify eve-payload-04-partial-overlap, sid 3.
  const line = buildAlertEvent(utc, verifyPacket(), null, makeSig({ sid: 3, proto: 'tcp-pkt' }), packetAlertFacts('allowed'), allPayload);
  const e = JSON.parse(line);
  assert.equal(e.event_type, 'alert');
  assert.equal(e.alert.signature_id, 3);
  assert.equal(e.stream, 0);
  assert.equal(e.payload, 'WFhY');
  assert.equal(e.payload_printable, 'XXX');
  assert.equal(e.packet, VERIFY_PACKET_B64);
  assert.equal(e.packet_info.linktype, 1);
  assert.equal(e.packet_info.linktype_name, 'EN10MB');
  assert.equal(e.pkt_src, 'wire/pcap');
  assert.deepEqual(e.vlan, [6]);
  assert.equal(e.src_ip, '1.1.1.1');
  assert.equal(e.src_port, 12345);
  assert.equal(e.dest_ip, '2.2.2.2');
  assert.equal(e.dest_port, 8080);
  assert.equal(e.proto, 'TCP');
  assert.equal(e.ip_v, 4);
  assert.equal(e.pcap_cnt, 5);
  assert.equal(e.timestamp, '2026-12-04T21:03:13.123456+0000');
});

test('alert field order as Suricata writes it', () => {
  const flow = new Flow();
  flow.flowId = 1234567890123;
  flow.appProto = 'http';
  const line = buildAlertEvent(utc, verifyPacket(), flow, makeSig({ sid: 3 }), packetAlertFacts('allowed'), allPayload);
  assert.deepEqual(Object.keys(JSON.parse(line)), [
    'timestamp', 'flow_id', 'pcap_cnt', 'event_type', 'vlan', 'src_ip', 'src_port', 'dest_ip', 'dest_port',
    'proto', 'ip_v', 'pkt_src', 'alert', 'app_proto', 'direction', 'flow', 'payload', 'payload_printable',
    'stream', 'packet', 'packet_info',
  ]);
  assert.deepEqual(Object.keys(JSON.parse(line).alert), ['action', 'gid', 'signature_id', 'rev', 'signature', 'category', 'severity']);
});

test('alert object values', () => {
  const sig = makeSig({
    gid: 1,
    sid: 2100498,
    rev: 7,
    msg: 'GPL ATTACK_RESPONSE id check returned root',
    classtype: 'bad-unknown',
    category: 'Potentially Bad Traffic',
    priority: 2,
    metadata: ['created_at 2010_09_23', 'updated_at 2019_07_26', 'created_at 2011_01_01', 'noval'],
  });
  const e = JSON.parse(buildAlertEvent(utc, verifyPacket(), null, sig, packetAlertFacts('allowed'), allPayload));
  assert.deepEqual(e.alert, {
    action: 'allowed',
    gid: 1,
    signature_id: 2100498,
    rev: 7,
    signature: 'GPL ATTACK_RESPONSE id check returned root',
    category: 'Potentially Bad Traffic',
    severity: 2,
    metadata: { created_at: ['2010_09_23', '2011_01_01'], updated_at: ['2019_07_26'] },
  });
});

test('alert metadata off drops flow and metadata', () => {
  const flow = new Flow();
  const sig = makeSig({ metadata: ['former_category INFO'] });
  const opts = { ...allPayload, metadata: false };
  const e = JSON.parse(buildAlertEvent(utc, verifyPacket(), flow, sig, packetAlertFacts('allowed'), opts));
  assert.equal(e.alert.metadata, undefined);
  assert.equal(e.flow, undefined);
  assert.equal(e.direction, 'to_server');
});

test('alert flow object in flow orientation', () => {
  // A to_client packet: the flow object still names the client as source.
  const p = verifyPacket();
  p.direction = Direction.TO_CLIENT;
  const flow = new Flow();
  flow.flowId = 77;
  flow.startUs = TS_US - 2_000_000;
  flow.pktsToServer = 3;
  flow.pktsToClient = 2;
  flow.bytesToServer = 180;
  flow.bytesToClient = 120;
  const e = JSON.parse(buildAlertEvent(utc, p, flow, makeSig({}), packetAlertFacts('allowed'), allPayload));
  assert.equal(e.direction, 'to_client');
  assert.equal(e.src_ip, '1.1.1.1');
  assert.deepEqual(e.flow, {
    pkts_toserver: 3,
    pkts_toclient: 2,
    bytes_toserver: 180,
    bytes_toclient: 120,
    start: '2026-12-04T21:03:11.123456+0000',
    src_ip: '2.2.2.2',
    dest_ip: '1.1.1.1',
    src_port: 8080,
    dest_port: 12345,
  });
});

test('alert stream match uses stream payload', () => {
  const facts = { ...packetAlertFacts('allowed'), isStreamMatch: true, streamPayload: new TextEncoder().encode('GOOD'), pktSrc: PktSrc.STREAM_FLOW_TIMEOUT };
  const e = JSON.parse(buildAlertEvent(utc, verifyPacket(), new Flow(), makeSig({ sid: 2 }), facts, allPayload));
  // suricata-verify eve-payload-04-partial-overlap, sid 2.
  assert.equal(e.stream, 1);
  assert.equal(e.payload, 'R09PRA==');
  assert.equal(e.payload_printable, 'GOOD');
  assert.equal(e.pkt_src, 'stream (flow timeout)');
});

test('alert stream payload buffer size', () => {
  const facts = { ...packetAlertFacts('allowed'), isStreamMatch: true, streamPayload: new TextEncoder().encode('ABCDEFGH') };
  const opts = { ...allPayload, payloadLength: true, payloadBufferSize: 5 };
  const e = JSON.parse(buildAlertEvent(utc, verifyPacket(), new Flow(), makeSig({}), facts, opts));
  assert.equal(e.payload_printable, 'ABCDE');
  assert.equal(e.payload_length, 5);
});

test('alert payload printable replaces bytes', () => {
  const p = verifyPacket();
  const bytes = new Uint8Array([0x47, 0x0d, 0x0a, 0x09, 0x00, 0x7f, 0xc3, 0x22]);
  p.bytes = bytes;
  p.payloadOffset = 0;
  p.payloadLength = bytes.length;
  const e = JSON.parse(buildAlertEvent(utc, p, null, makeSig({}), packetAlertFacts('allowed'), allPayload));
  // CR and LF stay, tab, NUL, DEL and 0xc3 become dots, the quote stays.
  assert.equal(e.payload_printable, 'G\r\n...."');
});

test('alert tx id and target', () => {
  const facts = { ...packetAlertFacts('blocked'), txId: 4 };
  const e = JSON.parse(buildAlertEvent(utc, verifyPacket(), null, makeSig({ target: 'dest_ip' }), facts, allPayload));
  assert.equal(e.tx_id, 4);
  assert.equal(e.alert.action, 'blocked');
  assert.deepEqual(e.alert.source, { ip: '1.1.1.1', port: 12345 });
  assert.deepEqual(e.alert.target, { ip: '2.2.2.2', port: 8080 });
});

test('alert icmp type and code', () => {
  const p = verifyPacket();
  p.ipProto = 1;
  p.icmpType = 8;
  p.icmpCode = 0;
  const e = JSON.parse(buildAlertEvent(utc, p, null, makeSig({}), packetAlertFacts('allowed'), allPayload));
  assert.equal(e.proto, 'ICMP');
  assert.equal(e.icmp_type, 8);
  assert.equal(e.icmp_code, 0);
  assert.equal(e.src_port, undefined);
  assert.equal(e.dest_port, undefined);
  const keys = Object.keys(e);
  assert.deepEqual(keys.slice(keys.indexOf('proto'), keys.indexOf('pkt_src') + 1), ['proto', 'ip_v', 'icmp_type', 'icmp_code', 'pkt_src']);
});

test('alert ipv6 addresses full form', () => {
  const p = verifyPacket();
  p.ipVersion = 6;
  p.srcAddr.set([0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34]);
  p.dstAddr.set([0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x35]);
  const e = JSON.parse(buildAlertEvent(utc, p, null, makeSig({}), packetAlertFacts('allowed'), allPayload));
  // Values of suricata-verify bug-4571-04.
  assert.equal(e.src_ip, '2001:0db8:85a3:0000:0000:8a2e:0370:7334');
  assert.equal(e.dest_ip, '2001:0db8:85a3:0000:0000:8a2e:0370:7335');
  assert.equal(e.ip_v, 6);
});

test('ipv6 format all zero groups', () => {
  const addr = new Uint8Array(16);
  addr[0] = 0xfd;
  addr[1] = 0x01;
  addr[14] = 0x01;
  addr[15] = 0x01;
  // suricata-verify writes fd01::101 as below.
  assert.equal(formatIpv6(addr), 'fd01:0000:0000:0000:0000:0000:0000:0101');
});

test('alert ipv6 compressed when configured', () => {
  const p = verifyPacket();
  p.ipVersion = 6;
  p.srcAddr.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  p.dstAddr.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x0c, 0x29, 0xff, 0xfa, 0xf2, 0xab, 0x42]);
  const ctx = { ...utc, ipv6Compress: true };
  const e = JSON.parse(buildAlertEvent(ctx, p, null, makeSig({}), packetAlertFacts('allowed'), allPayload));
  // RFC 5952: the longest zero run is compressed, leading zeros dropped.
  assert.equal(e.src_ip, '2001:db8::1:0:0:1');
  // The compressed form suricata-verify shows for this address.
  assert.equal(e.dest_ip, 'fe80::20c:29ff:faf2:ab42');
});

test('ipv6 compressed edge cases', () => {
  assert.equal(formatIpv6Compressed(new Uint8Array(16)), '::');
  const one = new Uint8Array(16);
  one[15] = 1;
  assert.equal(formatIpv6Compressed(one), '::1');
  const single = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  // A single zero group is not compressed (RFC 5952 section 4.2.2).
  assert.equal(formatIpv6Compressed(single), '2001:db8:0:1:1:1:1:1');
});

test('alert multiple vlan ids', () => {
  const p = verifyPacket();
  p.vlanIds[0] = 200;
  p.vlanIds[1] = 300;
  p.vlanIds[2] = 400;
  p.vlanCount = 3;
  const e = JSON.parse(buildAlertEvent(utc, p, null, makeSig({}), packetAlertFacts('allowed'), allPayload));
  assert.deepEqual(e.vlan, [200, 300, 400]);
});

test('alert ether verdict and pcap file', () => {
  const ctx = { ...utc, ethernet: true, pcapFilename: '/data/ip_secopt.pcap' };
  const opts = { ...allPayload, verdict: true };
  const e = JSON.parse(buildAlertEvent(ctx, verifyPacket(), null, makeSig({}), packetAlertFacts('allowed'), opts));
  // MAC addresses and EtherType (0x8100, VLAN-tagged) read from the frame by hand.
  assert.deepEqual(e.ether, { ether_type: 0x8100, src_mac: '00:01:02:03:04:05', dest_mac: '05:04:03:02:01:00' });
  // suricata-verify bug-7414-decoder-event-01: an IDS alert has verdict.action "alert".
  assert.deepEqual(e.verdict, { action: 'alert' });
  const keys = Object.keys(e);
  assert.equal(keys[keys.indexOf('pkt_src') + 1], 'ether');
  assert.equal(keys[keys.length - 1], 'pcap_filename');
  assert.equal(e.pcap_filename, '/data/ip_secopt.pcap');
});

test('alert verdict drop and reject', () => {
  const ips = { ...utc, ipsMode: true };
  const opts = { ...allPayload, verdict: true };
  const drop = JSON.parse(buildAlertEvent(ips, verifyPacket(), null, makeSig({ action: Action.DROP }), packetAlertFacts('blocked'), opts));
  assert.deepEqual(drop.verdict, { action: 'drop' });
  const reject = JSON.parse(buildAlertEvent(ips, verifyPacket(), null, makeSig({ action: Action.REJECTBOTH }), packetAlertFacts('blocked'), opts));
  assert.deepEqual(reject.verdict, { action: 'drop', 'reject-target': 'both', reject: ['tcp-reset'] });
  const idsDrop = JSON.parse(buildAlertEvent(utc, verifyPacket(), null, makeSig({ action: Action.DROP }), packetAlertFacts('allowed'), opts));
  assert.deepEqual(idsDrop.verdict, { action: 'alert' });
});

test('alert verdict from packet action', () => {
  // Suricata 8 writes the packet's verdict in every alert of the packet:
  // an alert rule on a packet that a reject rule blocks shows the reject.
  const ips = { ...utc, ipsMode: true };
  const opts = { ...allPayload, verdict: true };
  const alertSig = makeSig({ action: Action.ALERT });
  const rejected = JSON.parse(buildAlertEvent(ips, verifyPacket(), null, alertSig, packetAlertFacts('allowed', PktSrc.WIRE, null, Action.REJECT), opts));
  assert.deepEqual(rejected.verdict, { action: 'drop', 'reject-target': 'to_client', reject: ['tcp-reset'] });
  const passed = JSON.parse(buildAlertEvent(ips, verifyPacket(), null, alertSig, packetAlertFacts('allowed', PktSrc.WIRE, null, Action.PASS), opts));
  assert.deepEqual(passed.verdict, { action: 'pass' });
  const idsDropped = JSON.parse(buildAlertEvent(utc, verifyPacket(), null, alertSig, packetAlertFacts('allowed', PktSrc.WIRE, null, Action.DROP), opts));
  assert.deepEqual(idsDropped.verdict, { action: 'alert' });
});

test('alert action text', () => {
  assert.equal(alertActionText(Action.ALERT, true), 'allowed');
  assert.equal(alertActionText(Action.DROP, false), 'allowed');
  assert.equal(alertActionText(Action.DROP, true), 'blocked');
  assert.equal(alertActionText(Action.REJECT, false), 'blocked');
  assert.equal(alertActionText(Action.PASS, true), 'allowed');
  assert.equal(alertActionText(Action.DROP, true, true, false), 'allowed');
  assert.equal(alertActionText(Action.ALERT, true, true, true), 'blocked');
});

test('metadata without values is null', () => {
  assert.equal(metadataJson([]), null);
  assert.equal(metadataJson(['novalue']), null);
});

test('alert on non-ip packet', () => {
  const p = new Packet();
  const bytes = new Uint8Array(42);
  p.reset(bytes, TS_US, 42, 1, 9);
  const e = JSON.parse(buildAlertEvent(utc, p, null, makeSig({ gid: 1, sid: 2200005 }), packetAlertFacts('allowed'), allPayload));
  assert.deepEqual(Object.keys(e), ['timestamp', 'pcap_cnt', 'event_type', 'pkt_src', 'alert', 'packet', 'packet_info']);
});
