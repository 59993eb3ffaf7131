/**
 * Runs captures of the suricata-verify suite through the flow table and
 * compares the flow records with the `flow` event checks of their
 * test.yaml, and the stream events with the alerts the cases expect.
 * Only Ethernet captures of plain IPv4 or IPv6 TCP, UDP and ICMP are used, read
 * by the small decoder below, so these tests need no decode stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { IpProto, Packet } from '../core/packet.js';
import { STREAM_EVENT_NAMES } from '../stream/stream-events.js';
import { FlowEndReason, FlowState, type Flow } from './flow.js';
import { defaultFlowConfig } from './flow-config.js';
import { buildFlowRecord } from './flow-record.js';
import { FlowTable } from './flow-table.js';

function findVerifyDir(): string | null {
  const candidates = [process.env.KAPU_CORPUS, '../shared/corpus', '/work/shared/corpus'];
  for (const root of candidates) {
    if (root !== undefined && existsSync(join(root, 'suricata-verify'))) return join(root, 'suricata-verify');
  }
  return null;
}

const VERIFY_DIR = findVerifyDir();
const SKIP = VERIFY_DIR === null ? 'suricata-verify corpus not found (set KAPU_CORPUS)' : false;

/** Reads the records of a classic pcap file (microsecond or nanosecond timestamps, either byte order). */
function readPcap(path: string): { linkType: number; frames: { timestampUs: number; bytes: Uint8Array }[] } {
  const data = new Uint8Array(readFileSync(path));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = view.getUint32(0, true);
  const isLittle = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const isNano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const linkType = view.getUint32(20, isLittle);
  const frames: { timestampUs: number; bytes: Uint8Array }[] = [];
  let at = 24;
  while (at + 16 <= data.length) {
    const seconds = view.getUint32(at, isLittle);
    const fraction = view.getUint32(at + 4, isLittle);
    const length = view.getUint32(at + 8, isLittle);
    const micros = isNano ? Math.floor(fraction / 1000) : fraction;
    frames.push({ timestampUs: seconds * 1e6 + micros, bytes: data.subarray(at + 16, at + 16 + length) });
    at += 16 + length;
  }
  return { linkType, frames };
}

/** Decodes Ethernet, 802.1Q, IPv4 or IPv6 (no extension headers), TCP with options, UDP and ICMPv4 into `p`. */
function decodeFrame(p: Packet, bytes: Uint8Array, timestampUs: number, pcapCount: number): boolean {
  p.reset(bytes, timestampUs, bytes.length, 1, pcapCount);
  let at = 12;
  let etherType = (bytes[at] << 8) | bytes[at + 1];
  while (etherType === 0x8100 && p.vlanCount < 3) {
    p.vlanIds[p.vlanCount++] = ((bytes[at + 2] << 8) | bytes[at + 3]) & 0x0fff;
    at += 4;
    etherType = (bytes[at] << 8) | bytes[at + 1];
  }
  at += 2;
  let l4: number;
  let end: number;
  if (etherType === 0x0800) {
    const headerBytes = (bytes[at] & 0x0f) * 4;
    p.ipVersion = 4;
    p.ipProto = bytes[at + 9];
    p.isFragment = (((bytes[at + 6] << 8) | bytes[at + 7]) & 0x3fff) !== 0;
    p.srcAddr.set(bytes.subarray(at + 12, at + 16));
    p.dstAddr.set(bytes.subarray(at + 16, at + 20));
    p.src4 = ((bytes[at + 12] << 24) | (bytes[at + 13] << 16) | (bytes[at + 14] << 8) | bytes[at + 15]) >>> 0;
    p.dst4 = ((bytes[at + 16] << 24) | (bytes[at + 17] << 16) | (bytes[at + 18] << 8) | bytes[at + 19]) >>> 0;
    end = at + ((bytes[at + 2] << 8) | bytes[at + 3]);
    l4 = at + headerBytes;
  } else if (etherType === 0x86dd) {
    p.ipVersion = 6;
    p.ipProto = bytes[at + 6];
    p.srcAddr.set(bytes.subarray(at + 8, at + 24));
    p.dstAddr.set(bytes.subarray(at + 24, at + 40));
    end = at + 40 + ((bytes[at + 4] << 8) | bytes[at + 5]);
    l4 = at + 40;
  } else {
    return false;
  }
  p.l4Offset = l4;
  if (p.ipProto === IpProto.TCP) {
    p.srcPort = (bytes[l4] << 8) | bytes[l4 + 1];
    p.dstPort = (bytes[l4 + 2] << 8) | bytes[l4 + 3];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    p.tcpSeq = view.getUint32(l4 + 4);
    p.tcpAck = view.getUint32(l4 + 8);
    const headerBytes = (bytes[l4 + 12] >> 4) * 4;
    p.tcpFlags = bytes[l4 + 13];
    p.tcpWindow = (bytes[l4 + 14] << 8) | bytes[l4 + 15];
    decodeTcpOptions(p, bytes, l4 + 20, l4 + headerBytes);
    p.payloadOffset = l4 + headerBytes;
    p.payloadLength = Math.max(0, end - p.payloadOffset);
  } else if (p.ipProto === IpProto.ICMP) {
    p.icmpType = bytes[l4];
    p.icmpCode = bytes[l4 + 1];
    // Error messages quote the offending IP header 8 bytes in (RFC 792).
    if ([3, 4, 5, 11, 12].includes(p.icmpType)) p.icmpInnerL3Offset = l4 + 8;
  } else if (p.ipProto === IpProto.UDP) {
    p.srcPort = (bytes[l4] << 8) | bytes[l4 + 1];
    p.dstPort = (bytes[l4 + 2] << 8) | bytes[l4 + 3];
    p.payloadOffset = l4 + 8;
    p.payloadLength = Math.max(0, end - p.payloadOffset);
  }
  return true;
}

function decodeTcpOptions(p: Packet, bytes: Uint8Array, start: number, end: number): void {
  let at = start;
  while (at < end) {
    const kind = bytes[at];
    if (kind === 0) return;
    if (kind === 1) {
      at++;
      continue;
    }
    const length = bytes[at + 1];
    if (length < 2) return;
    if (kind === 3) p.tcpWindowScale = bytes[at + 2];
    if (kind === 8) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      p.hasTcpTimestamp = true;
      p.tcpTsVal = view.getUint32(at + 2);
      p.tcpTsEcr = view.getUint32(at + 6);
    }
    at += length;
  }
}

function formatAddress(addr: Uint8Array, ipVersion: number): string {
  if (ipVersion === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr[i] << 8) | addr[i + 1]).toString(16).padStart(4, '0'));
  return groups.join(':');
}

const PROTO_NAMES: Record<number, string> = { 6: 'TCP', 17: 'UDP', 1: 'ICMP', 58: 'IPv6-ICMP' };

type FlatRecord = Record<string, unknown>;

/** Flattens a flow record with its tuple into dotted keys, as test.yaml filters name them. */
function flatten(flow: Flow): FlatRecord {
  const flat: FlatRecord = {
    src_ip: formatAddress(flow.clientAddr, flow.ipVersion),
    dest_ip: formatAddress(flow.serverAddr, flow.ipVersion),
    proto: PROTO_NAMES[flow.ipProto] ?? String(flow.ipProto),
  };
  if (flow.ipProto === IpProto.TCP || flow.ipProto === IpProto.UDP) {
    flat.src_port = flow.clientPort;
    flat.dest_port = flow.serverPort;
  }
  const record = buildFlowRecord(flow) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (value !== null && typeof value === 'object') {
      for (const [inner, innerValue] of Object.entries(value)) flat[`${key}.${inner}`] = innerValue;
    } else {
      flat[key] = value;
    }
  }
  return flat;
}

interface RunResult {
  records: FlatRecord[];
  /** Stream event names by pcap_cnt. */
  eventsByPacket: Map<number, string[]>;
}

function runCase(dir: string, pcapPath: string, midstream: boolean): RunResult {
  const config = defaultFlowConfig();
  config.stream.midstream = midstream;
  const records: FlatRecord[] = [];
  const table = new FlowTable(config, (flow) => records.push(flatten(flow)));
  const eventsByPacket = new Map<number, string[]>();
  const { linkType, frames } = readPcap(join(dir, pcapPath));
  assert.equal(linkType, 1, 'Ethernet capture');
  const p = new Packet();
  frames.forEach((frame, i) => {
    if (!decodeFrame(p, frame.bytes, frame.timestampUs, i + 1)) return;
    const flow = table.handlePacket(p);
    const session = flow?.tcp;
    if (session && p.ipProto === IpProto.TCP && session.eventCount > 0) {
      const names: string[] = [];
      for (let e = 0; e < session.eventCount; e++) names.push(STREAM_EVENT_NAMES[session.events[e] as number] as string);
      eventsByPacket.set(i + 1, names);
    }
  });
  table.flushAll(FlowEndReason.SHUTDOWN);
  return { records, eventsByPacket };
}

/** Keys of a flow filter that the flow stage produces; others (app_proto, alerted, ...) belong to later stages. */
function isFlowStageKey(key: string): boolean {
  if (['src_ip', 'dest_ip', 'src_port', 'dest_port', 'proto', 'icmp_type', 'icmp_code'].includes(key)) return true;
  if (key.startsWith('tcp.')) return true;
  return key.startsWith('flow.') && !['flow.alerted', 'flow.action'].includes(key) && !key.startsWith('flow.exception_policy');
}

interface TestYaml {
  pcap?: string;
  args?: string[];
  checks?: { filter?: { count?: number; match?: Record<string, unknown> } }[];
}

function loadCase(name: string): { dir: string; pcap: string; yaml: TestYaml } {
  const dir = join(VERIFY_DIR as string, name);
  const yaml = parseYaml(readFileSync(join(dir, 'test.yaml'), 'utf8')) as TestYaml;
  const pcap = yaml.pcap ?? (readdirSync(dir).find((f) => f.endsWith('.pcap')) as string);
  return { dir, pcap, yaml };
}

const FLOW_CASES = [
  'app-layer-template',
  'base64-issue-5223',
  'bug-130',
  'bug-78-uricontent',
  'bug-814',
  'dhcp-eve-extended',
  'nfs3-01',
  'smtp-eve',
  'tcp-fastopen-06',
];

for (const name of FLOW_CASES) {
  test(`suricata-verify ${name} flow events`, { skip: SKIP }, () => {
    const { dir, pcap, yaml } = loadCase(name);
    const midstream = (yaml.args ?? []).some((arg) => arg.includes('stream.midstream=true'));
    const { records } = runCase(dir, pcap, midstream);
    let compared = 0;
    for (const check of yaml.checks ?? []) {
      const match = check.filter?.match;
      if (match === undefined || match.event_type !== 'flow') continue;
      const keys = Object.keys(match).filter(isFlowStageKey);
      const found = records.filter((r) => keys.every((k) => r[k] === match[k]));
      const expected = check.filter?.count ?? 1;
      assert.equal(found.length, expected, `${name}: ${JSON.stringify(match)}\nrecords: ${JSON.stringify(records, null, 1)}`);
      compared++;
    }
    assert.ok(compared > 0, `${name} has flow checks`);
  });
}

/** Cases whose only stream-event rule is pkt_invalid_timestamp (sid 2210044). */
const TIMESTAMP_CASES: [string, number[]][] = [
  ['bug-3286-01-no-evasion', []],
  ['bug-3286-02-linux-evasion', [2, 3]],
  ['bug-3286-03-windows-evasion', [2, 3]],
];

for (const [name, packets] of TIMESTAMP_CASES) {
  test(`suricata-verify ${name} stream events`, { skip: SKIP }, () => {
    const { dir, pcap } = loadCase(name);
    const { records, eventsByPacket } = runCase(dir, pcap, false);
    const flagged: number[] = [];
    for (const [pcapCount, names] of eventsByPacket) {
      if (names.includes('pkt_invalid_timestamp')) flagged.push(pcapCount);
    }
    assert.deepEqual(flagged, packets);
    // The HTTP exchange that follows must be tracked: the session reaches established.
    assert.equal(records.length, 1);
    assert.equal(records[0]?.['tcp.state'], 'established');
  });
}

test('suricata-verify alert-no-3whs-established', { skip: SKIP }, () => {
  // The rule needs flow:to_server,established and must never fire: data
  // without a handshake does not establish the flow (stream.midstream off).
  const { dir, pcap } = loadCase('alert-no-3whs-established');
  const table = new FlowTable(defaultFlowConfig(), () => {});
  const p = new Packet();
  const states: number[] = [];
  readPcap(join(dir, pcap)).frames.forEach((frame, i) => {
    if (!decodeFrame(p, frame.bytes, frame.timestampUs, i + 1)) return;
    const flow = table.handlePacket(p);
    if (p.dstPort === 1212 && p.payloadLength > 0) states.push(flow?.state ?? -1);
  });
  assert.deepEqual(states, [FlowState.NEW, FlowState.NEW]);
});
