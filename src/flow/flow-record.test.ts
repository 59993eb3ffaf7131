import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpProto, TcpFlag } from '../core/packet.js';
import { FlowEndReason, type Flow } from './flow.js';
import { defaultFlowConfig } from './flow-config.js';
import { buildFlowRecord, formatEveTimestamp, type EveFlowRecord } from './flow-record.js';
import { FlowTable } from './flow-table.js';
import { makePacket, type PacketSpec } from './test-packet.js';

// 2022-07-11T05:48:21Z is 1657518501 s after the epoch (Python's datetime).
const START_US = 1657518501 * 1e6 + 714860;

function runFlow(specs: PacketSpec[], reason: number, change?: (flow: Flow) => void): EveFlowRecord[] {
  const records: EveFlowRecord[] = [];
  const config = defaultFlowConfig();
  config.prealloc = 2;
  const table = new FlowTable(config, (flow) => records.push(buildFlowRecord(flow)));
  let flow: Flow | null = null;
  for (const spec of specs) flow = table.handlePacket(makePacket(spec));
  if (flow !== null && change !== undefined) change(flow);
  table.flushAll(reason);
  return records;
}

test('eve timestamp format', () => {
  assert.equal(formatEveTimestamp(START_US), '2022-07-11T05:48:21.714860+0000');
  assert.equal(formatEveTimestamp(1657518501 * 1e6 + 5), '2022-07-11T05:48:21.000005+0000');
});

test('flow record tcp rst', () => {
  // The shape of a Suricata flow event for a SYN followed by a RST/ACK from the server.
  const c = { src: '198.51.100.6', dst: '203.0.113.1', srcPort: 56814, dstPort: 2352 };
  const s = { src: '203.0.113.1', dst: '198.51.100.6', srcPort: 2352, dstPort: 56814 };
  const records = runFlow(
    [
      { ...c, flags: TcpFlag.SYN, seq: 10, timestampUs: START_US, payloadLength: 0 },
      { ...s, flags: TcpFlag.RST | TcpFlag.ACK, seq: 0, ack: 11, timestampUs: START_US + 18261 },
      { ...c, flags: TcpFlag.SYN, seq: 10, timestampUs: START_US + 2_000_000 },
    ],
    FlowEndReason.TIMEOUT,
  );
  assert.equal(records.length, 1);
  assert.deepEqual(records[0], {
    flow: {
      pkts_toserver: 2,
      pkts_toclient: 1,
      bytes_toserver: 108,
      bytes_toclient: 54,
      start: '2022-07-11T05:48:21.714860+0000',
      end: '2022-07-11T05:48:23.714860+0000',
      age: 2,
      state: 'closed',
      reason: 'timeout',
      alerted: false,
    },
    tcp: {
      tcp_flags: '16',
      tcp_flags_ts: '02',
      tcp_flags_tc: '14',
      syn: true,
      rst: true,
      ack: true,
      state: 'closed',
      // One region each: the stream data, if any, arrived in order.
      ts_max_regions: 1,
      tc_max_regions: 1,
    },
  });
});

test('flow record tcp without session', () => {
  const records = runFlow(
    [{ src: '198.51.100.6', dst: '203.0.113.1', srcPort: 1, dstPort: 2, flags: TcpFlag.ACK, seq: 1, ack: 1, timestampUs: START_US }],
    FlowEndReason.SHUTDOWN,
  );
  assert.deepEqual(records[0]?.tcp, { tcp_flags: '00', tcp_flags_ts: '00', tcp_flags_tc: '00' });
  assert.equal(records[0]?.flow.reason, 'shutdown');
  assert.equal(records[0]?.flow.state, 'new');
});

test('flow record all tcp flag names', () => {
  const all = 0xff & ~TcpFlag.SYN;
  const records = runFlow(
    [
      { src: '198.51.100.6', dst: '203.0.113.1', srcPort: 1, dstPort: 2, flags: TcpFlag.SYN, seq: 1, timestampUs: START_US },
      { src: '198.51.100.6', dst: '203.0.113.1', srcPort: 1, dstPort: 2, flags: all, seq: 2, ack: 0, timestampUs: START_US },
    ],
    FlowEndReason.SHUTDOWN,
  );
  const tcp = records[0]?.tcp;
  assert.equal(tcp?.tcp_flags, 'ff');
  assert.deepEqual(
    Object.keys(tcp ?? {}),
    ['tcp_flags', 'tcp_flags_ts', 'tcp_flags_tc', 'syn', 'fin', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr', 'state', 'ts_max_regions', 'tc_max_regions'],
  );
});

test('flow record udp alerted and dropped', () => {
  const records = runFlow(
    [
      { src: '198.51.100.6', dst: '203.0.113.1', srcPort: 1, dstPort: 53, proto: IpProto.UDP, timestampUs: START_US },
      { src: '203.0.113.1', dst: '198.51.100.6', srcPort: 53, dstPort: 1, proto: IpProto.UDP, timestampUs: START_US + 500 },
    ],
    FlowEndReason.FORCED,
    (flow) => {
      flow.hasAlerted = true;
      flow.isDropped = true;
      flow.appProto = 'dns';
    },
  );
  assert.deepEqual(records[0], {
    app_proto: 'dns',
    flow: {
      pkts_toserver: 1,
      pkts_toclient: 1,
      bytes_toserver: 54,
      bytes_toclient: 54,
      start: '2022-07-11T05:48:21.714860+0000',
      end: '2022-07-11T05:48:21.715360+0000',
      age: 0,
      state: 'established',
      reason: 'forced',
      alerted: true,
      action: 'drop',
    },
  });
});

test('flow record icmp types', () => {
  const records = runFlow(
    [
      { src: '198.51.100.6', dst: '203.0.113.1', proto: IpProto.ICMP, icmpType: 8, timestampUs: START_US },
      { src: '203.0.113.1', dst: '198.51.100.6', proto: IpProto.ICMP, icmpType: 0, timestampUs: START_US },
    ],
    FlowEndReason.SHUTDOWN,
  );
  const record = records[0];
  assert.equal(record?.icmp_type, 8);
  assert.equal(record?.icmp_code, 0);
  assert.equal(record?.response_icmp_type, 0);
  assert.equal(record?.response_icmp_code, 0);
  assert.equal(record?.tcp, undefined);
});

test('flow record tcp reuse reason', () => {
  const records: EveFlowRecord[] = [];
  const table = new FlowTable(defaultFlowConfig(), (flow) => records.push(buildFlowRecord(flow)));
  const c = { src: '198.51.100.6', dst: '203.0.113.1', srcPort: 1, dstPort: 2 };
  table.handlePacket(makePacket({ ...c, flags: TcpFlag.SYN, seq: 1, timestampUs: START_US }));
  table.handlePacket(makePacket({ src: c.dst, dst: c.src, srcPort: 2, dstPort: 1, flags: TcpFlag.RST | TcpFlag.ACK, ack: 2, timestampUs: START_US }));
  table.handlePacket(makePacket({ ...c, flags: TcpFlag.SYN, seq: 900, timestampUs: START_US }));
  assert.equal(records[0]?.flow.reason, 'tcp_reuse');
});
