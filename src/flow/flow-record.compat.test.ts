/**
 * Runs captures of the suricata-verify suite through the capture reader,
 * the decoder and the flow table, and compares the flow records with the
 * `flow` event checks of their test.yaml, and the stream events with the
 * alerts the cases expect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { openCaptureFile } from '../capture/open-capture-file.js';
import { IpProto, Packet } from '../core/packet.js';
import { DecodeContext } from '../decode/context.js';
import { decodePacket } from '../decode/decode-packet.js';
import { STREAM_EVENT_NAMES } from '../stream/stream-events.js';
import { FlowEndReason, FlowState, type Flow } from './flow.js';
import { defaultFlowConfig } from './flow-config.js';
import { buildFlowRecord } from './flow-record.js';
import { FlowTable } from './flow-table.js';
import { CORPUS_DIR } from '../../test/corpus-path.js';

function findVerifyDir(): string | null {
  const candidates = [process.env.KAPU_CORPUS, '../shared/corpus', CORPUS_DIR];
  for (const root of candidates) {
    if (root !== undefined && existsSync(join(root, 'suricata-verify'))) return join(root, 'suricata-verify');
  }
  return null;
}

const VERIFY_DIR = findVerifyDir();
const SKIP = VERIFY_DIR === null ? 'suricata-verify corpus not found (set KAPU_CORPUS)' : false;

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

/** Reads and decodes every packet of a capture, calling `handle` for each. */
function forEachPacket(path: string, checksumMode: 'auto' | 'none', handle: (p: Packet) => void): void {
  const reader = openCaptureFile(path);
  const ctx = new DecodeContext(checksumMode);
  const p = new Packet();
  try {
    while (reader.next(p)) {
      decodePacket(p, ctx);
      handle(p);
    }
  } finally {
    reader.close();
  }
}

function runCase(dir: string, pcapPath: string, args: string[]): RunResult {
  const config = defaultFlowConfig();
  config.stream.midstream = args.some((arg) => arg.includes('stream.midstream=true'));
  const checksumMode = args.some((arg) => arg.includes('-k none')) ? 'none' : 'auto';
  const records: FlatRecord[] = [];
  const table = new FlowTable(config, (flow) => records.push(flatten(flow)));
  const eventsByPacket = new Map<number, string[]>();
  forEachPacket(join(dir, pcapPath), checksumMode, (p) => {
    const flow = table.handlePacket(p);
    const session = flow?.tcp;
    if (session && p.ipProto === IpProto.TCP && session.eventCount > 0) {
      const names: string[] = [];
      for (let e = 0; e < session.eventCount; e++) names.push(STREAM_EVENT_NAMES[session.events[e] as number] as string);
      eventsByPacket.set(p.pcapCount, names);
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

/**
 * Cases whose flow checks the flow stage alone decides. Left out: tunnel
 * cases (decode-teredo-01, bug-4571-*, bug-7725-01, vxlan-decoder-02,
 * bug-6402-01), where Suricata also logs a flow for the outer layer, and
 * cases that select flows by app_proto or flow.action.
 */
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
  'smb2-03-rule',
];

for (const name of FLOW_CASES) {
  test(`suricata-verify ${name} flow events`, { skip: SKIP }, () => {
    const { dir, pcap, yaml } = loadCase(name);
    const { records } = runCase(dir, pcap, yaml.args ?? []);
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
    const { dir, pcap, yaml } = loadCase(name);
    const { records, eventsByPacket } = runCase(dir, pcap, yaml.args ?? []);
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
  const states: number[] = [];
  forEachPacket(join(dir, pcap), 'auto', (p) => {
    const flow = table.handlePacket(p);
    if (p.dstPort === 1212 && p.payloadLength > 0) states.push(flow?.state ?? -1);
  });
  assert.deepEqual(states, [FlowState.NEW, FlowState.NEW]);
});
