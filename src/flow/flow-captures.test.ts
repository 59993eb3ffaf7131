/**
 * Flow and session tracking on small real captures (test/pcaps/flow/,
 * copied from suricata-verify), read by the capture reader and decoder.
 * Expected values come from the test.yaml of the suricata-verify case each
 * capture belongs to, and from tshark where the case has no flow check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCaptureFile } from '../capture/open-capture-file.js';
import { IpProto, Packet } from '../core/packet.js';
import { DecodeContext } from '../decode/context.js';
import { decodePacket } from '../decode/decode-packet.js';
import { STREAM_EVENT_NAMES } from '../stream/stream-events.js';
import { FlowEndReason, FlowState } from './flow.js';
import { defaultFlowConfig } from './flow-config.js';
import { buildFlowRecord, type EveFlowRecord } from './flow-record.js';
import { FlowTable } from './flow-table.js';

const PCAPS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'pcaps', 'flow');

interface CaptureRun {
  records: EveFlowRecord[];
  /** pcap_cnt to the stream event names of that packet. */
  events: Map<number, string[]>;
  /** Flow state after each packet, by pcap_cnt. */
  states: number[];
}

function runCapture(name: string): CaptureRun {
  const records: EveFlowRecord[] = [];
  const table = new FlowTable(defaultFlowConfig(), (flow) => records.push(buildFlowRecord(flow)));
  const events = new Map<number, string[]>();
  const states: number[] = [0];
  const reader = openCaptureFile(join(PCAPS, name));
  const ctx = new DecodeContext('none');
  const p = new Packet();
  while (reader.next(p)) {
    decodePacket(p, ctx);
    const flow = table.handlePacket(p);
    states.push(flow?.state ?? -1);
    const session = flow?.tcp;
    if (session && p.ipProto === IpProto.TCP && session.eventCount > 0) {
      events.set(p.pcapCount, Array.from(session.events.subarray(0, session.eventCount), (id) => STREAM_EVENT_NAMES[id] as string));
    }
  }
  reader.close();
  table.flushAll(FlowEndReason.SHUTDOWN);
  return { records, events, states };
}

test('capture http fin close record', () => {
  // suricata-verify bug-130 expects tcp_flags 1b in both directions and
  // state closed. tshark counts 7 frames and 1036 bytes from 10.100.0.8,
  // and 7 frames and 2295 bytes from 162.2.41.200.
  const { records, events } = runCapture('http-fin-close.pcap');
  assert.equal(records.length, 1);
  assert.deepEqual(records[0], {
    flow: {
      pkts_toserver: 7,
      pkts_toclient: 7,
      bytes_toserver: 1036,
      bytes_toclient: 2295,
      start: '2009-02-23T13:23:33.331321+0000',
      end: '2009-02-23T13:23:33.589165+0000',
      age: 0,
      state: 'closed',
      reason: 'shutdown',
      alerted: false,
    },
    tcp: {
      tcp_flags: '1b',
      tcp_flags_ts: '1b',
      tcp_flags_tc: '1b',
      syn: true,
      fin: true,
      psh: true,
      ack: true,
      state: 'closed',
      ts_max_regions: 1,
      tc_max_regions: 1,
    },
  });
  assert.equal(events.size, 0);
});

test('capture injected rst fin linux', () => {
  // suricata-verify bug-3286-02: pkt_invalid_timestamp alerts on packets 2 and 3 only.
  const { records, events } = runCapture('syn-injected-rst-fin-linux.pcap');
  assert.deepEqual([...events.keys()], [2, 3]);
  assert.deepEqual(events.get(2), ['pkt_invalid_timestamp']);
  assert.deepEqual(events.get(3), ['pkt_invalid_timestamp']);
  assert.equal(records[0]?.tcp?.state, 'established');
});

test('capture injected rst fin windows', () => {
  // suricata-verify bug-3286-03: the same alerts when the SYN had no timestamp.
  const { records, events } = runCapture('syn-injected-rst-fin-windows.pcap');
  assert.deepEqual([...events.keys()], [2, 3]);
  assert.equal(records[0]?.tcp?.state, 'established');
});

test('capture tcp fast open closes', () => {
  // suricata-verify tcp-fastopen-06 expects tcp.state closed; the SYN carries 106 bytes.
  const { records } = runCapture('tcp-fast-open-http.pcap');
  assert.equal(records.length, 1);
  assert.equal(records[0]?.tcp?.state, 'closed');
  assert.equal(records[0]?.tcp?.tcp_flags, '1b');
  assert.equal(records[0]?.flow.pkts_toserver, 4);
  assert.equal(records[0]?.flow.pkts_toclient, 4);
});

test('capture data without handshake', () => {
  // suricata-verify alert-no-3whs-established: flow:established must not match.
  const { records, states } = runCapture('data-without-handshake.pcap');
  assert.deepEqual(states.slice(1), [FlowState.NEW, FlowState.NEW, FlowState.NEW, FlowState.NEW]);
  assert.equal(records[0]?.tcp?.tcp_flags, '00');
  assert.equal(records[0]?.tcp?.state, undefined);
});

test('capture split handshake', () => {
  // suricata-verify tcp-split-handshake-02-5whs expects the data "EVIL"
  // (packet 6) to be inspected as stream data, so the session is
  // established by then. The client's RST (packet 8) closes it.
  const { records, states } = runCapture('split-handshake-5whs.pcap');
  assert.equal(states[5], FlowState.ESTABLISHED);
  assert.equal(states[6], FlowState.ESTABLISHED);
  assert.equal(states[8], FlowState.CLOSED);
  assert.equal(records[0]?.tcp?.state, 'closed');
});
