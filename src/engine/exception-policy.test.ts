/**
 * End-to-end tests of `stream.midstream-policy` and `app-layer.error-policy`
 * through runCapture, on crafted captures: which packets are dropped (drop
 * events, ips.blocked, ips.drop_reason), the policy counters of the stats
 * event, the flow event's exception_policy list, and that IDS mode drops
 * nothing. Expected values follow from the packets each capture contains and
 * from Suricata 8's exception policy guide.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from '../cli/run.js';
import { ConfigError } from '../core/errors.js';
import { PcapFileWriter, TcpConversation, bytesOf } from '../test-support/packet-craft.js';

const CONFIG = [
  'outputs:',
  '  - eve-log:',
  '      enabled: yes',
  '      filename: eve.json',
  '      types:',
  '        - alert',
  '        - drop',
  '        - flow',
  '        - stats',
  '',
].join('\n');

/** Matches every packet with payload, so a count of 0 shows that detection was off. */
const RULES = 'alert tcp any any -> any any (msg:"tcp payload"; dsize:>0; sid:1;)\n';

type EveEvent = Record<string, unknown> & { event_type: string };
type Counters = Record<string, unknown>;

interface RunResult {
  events: EveEvent[];
  stats: Counters;
}

let dir = '';
let runNumber = 0;

/**
 * Writes a connection whose handshake is missing: client data "hello", the
 * server's ACK, then client data "world". All three packets come while no
 * session exists, so each one would start a session midstream.
 */
function writeMidstreamCapture(path: string): void {
  const c = new TcpConversation('198.51.100.10', '203.0.113.20', 40000, 8080);
  c.clientData(0, 'hello').serverAck(5).clientData(5, 'world');
  writeFrames(path, c.frames);
}

/**
 * Writes a TLS connection: handshake, a ClientHello record of four bytes, the
 * server's ACK, then a record of type 0x99, which no TLS version defines,
 * the server's ACK and the close. Frames 1 to 10:
 *
 *   4: 16 03 01 00 04  01 00 00 00     handshake record, ClientHello (empty body)
 *   6: 99 03 03 00 01  00              invalid record type 0x99
 *
 * The TLS parser returns an error on the record header of frame 6, so in
 * IPS mode (which parses data as it arrives) frame 6 meets the policy,
 * and frames 7 to 10 follow it. In IDS mode data is parsed once the
 * server acknowledged it, so the error comes with frame 7.
 */
function writeTlsErrorCapture(path: string): void {
  const c = new TcpConversation('198.51.100.11', '203.0.113.21', 40001, 443).handshake();
  c.clientData(0, Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00])).serverAck(9);
  c.clientData(9, Uint8Array.from([0x99, 0x03, 0x03, 0x00, 0x01, 0x00])).serverAck(15);
  c.close(15);
  writeFrames(path, c.frames);
}

/**
 * Writes an SSH connection whose client sends its banner, then a binary packet
 * header with packet_length 1, below the 5 bytes RFC 4253 section 6
 * needs for padding_length and a message code.
 */
function writeSshErrorCapture(path: string): void {
  const c = new TcpConversation('198.51.100.12', '203.0.113.22', 40002, 22).handshake();
  const banner = 'SSH-2.0-OpenSSH_9.6\r\n';
  c.clientData(0, banner).serverAck(banner.length);
  c.clientData(banner.length, Uint8Array.from([0x00, 0x00, 0x00, 0x01, 0x00, 0x15])).serverAck(banner.length + 6);
  writeFrames(path, c.frames);
}

/**
 * Writes a UDP DNS query to port 53 of 5 bytes, shorter than the 12-byte DNS
 * header (RFC 1035 section 4.1.1), then a well-formed query for
 * example.com, type A, in the same flow.
 */
function writeDnsErrorCapture(path: string): void {
  const shortQuery = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0x00]);
  const query = Uint8Array.from([
    0x12, 0x35, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // header: id, RD, 1 question
    0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, // example.com
    0x00, 0x01, 0x00, 0x01, // type A, class IN
  ]);
  writeFrames(path, [udpFrame('198.51.100.13', '203.0.113.23', 40003, 53, shortQuery), udpFrame('198.51.100.13', '203.0.113.23', 40003, 53, query)]);
}

function writeFrames(path: string, frames: readonly Uint8Array[]): void {
  const writer = new PcapFileWriter(path, 1_704_067_200, 1000);
  for (const frame of frames) writer.write(frame);
  writer.close();
}

/** Builds an Ethernet/IPv4/UDP frame. Its UDP checksum is 0 (not computed), which IPv4 allows. */
function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const ipLength = 20 + 8 + payload.length;
  const frame = new Uint8Array(14 + ipLength);
  frame.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00], 0);
  const ip = frame.subarray(14);
  ip.set([0x45, 0, ipLength >> 8, ipLength & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0]);
  ip.set(src.split('.').map(Number), 12);
  ip.set(dst.split('.').map(Number), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ip[i]! << 8) | ip[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  ip[10] = checksum >> 8;
  ip[11] = checksum & 0xff;
  const udpLength = 8 + payload.length;
  ip.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, udpLength >> 8, udpLength & 0xff, 0, 0], 20);
  ip.set(payload, 28);
  return frame;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kapu-exception-policy-'));
  writeFileSync(join(dir, 'kapu.yaml'), CONFIG);
  writeFileSync(join(dir, 'test.rules'), RULES);
  writeMidstreamCapture(join(dir, 'midstream.pcap'));
  writeTlsErrorCapture(join(dir, 'tls-error.pcap'));
  writeSshErrorCapture(join(dir, 'ssh-error.pcap'));
  writeDnsErrorCapture(join(dir, 'dns-error.pcap'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(pcap: string, mode: 'ids' | 'ips', sets: string[] = []): Promise<RunResult> {
  const logDir = join(dir, `run-${++runNumber}`);
  mkdirSync(logDir);
  await runCapture({
    pcapPath: join(dir, pcap),
    configPath: join(dir, 'kapu.yaml'),
    ruleFiles: [join(dir, 'test.rules')],
    extraRuleFiles: [],
    logDir,
    checksumMode: 'none',
    sets,
    mode,
    env: {},
    quiet: true,
  });
  const events = readFileSync(join(logDir, 'eve.json'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EveEvent);
  let stats: Counters = {};
  for (const event of events) if (event.event_type === 'stats') stats = event['stats'] as Counters;
  return { events, stats };
}

/** Returns the counter at dotted `path` of the stats object, or undefined when it is absent. */
function counter(stats: Counters, path: string): unknown {
  let node: unknown = stats;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function eventsOf(events: EveEvent[], type: string): EveEvent[] {
  return events.filter((event) => event.event_type === type);
}

function dropReasons(events: EveEvent[]): string[] {
  return eventsOf(events, 'drop').map((event) => (event['drop'] as Record<string, unknown>)['reason'] as string);
}

function flowObject(events: EveEvent[]): Record<string, unknown> {
  const flows = eventsOf(events, 'flow');
  assert.equal(flows.length, 1, 'one flow event');
  return flows[0]!['flow'] as Record<string, unknown>;
}

test('midstream auto in ids drops nothing', async () => {
  const { events, stats } = await run('midstream.pcap', 'ids');
  assert.equal(counter(stats, 'ips.blocked'), 0);
  assert.equal(counter(stats, 'ips.accepted'), 3);
  assert.deepEqual(dropReasons(events), []);
  // auto is ignore in IDS mode, and ignore has no counters.
  assert.equal(counter(stats, 'tcp.midstream_exception_policy'), undefined);
  assert.equal(counter(stats, 'tcp.midstream_pickups'), 0);
  // Both client packets are still inspected.
  assert.equal(eventsOf(events, 'alert').length, 2);
  assert.deepEqual(flowObject(events)['exception_policy'], [{ target: 'stream_midstream', policy: 'ignore' }]);
});

test('midstream auto in ips drops flow', async () => {
  const { events, stats } = await run('midstream.pcap', 'ips');
  // The first packet meets the policy; the two after it belong to a dropped flow.
  assert.equal(counter(stats, 'ips.blocked'), 3);
  assert.equal(counter(stats, 'ips.accepted'), 0);
  assert.equal(counter(stats, 'ips.drop_reason.stream_midstream'), 1);
  assert.equal(counter(stats, 'ips.drop_reason.flow_drop'), 2);
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.drop_flow'), 1);
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.pass_flow'), 0);
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.bypass'), 0);
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.reject'), 0);
  assert.equal(dropReasons(events)[0], 'stream midstream');
  assert.equal(eventsOf(events, 'alert').length, 0);
  const flow = flowObject(events);
  assert.equal(flow['action'], 'drop');
  assert.deepEqual(flow['exception_policy'], [{ target: 'stream_midstream', policy: 'drop_flow' }]);
});

test('midstream pickup in ips is ignored', async () => {
  const { events, stats } = await run('midstream.pcap', 'ips', ['stream.midstream=true']);
  // With stream.midstream on, auto is ignore: the session is picked up.
  assert.equal(counter(stats, 'ips.blocked'), 0);
  assert.equal(counter(stats, 'tcp.midstream_pickups'), 1);
  assert.equal(counter(stats, 'tcp.midstream_exception_policy'), undefined);
  assert.deepEqual(flowObject(events)['exception_policy'], [{ target: 'stream_midstream', policy: 'ignore' }]);
});

test('midstream pass-flow in ips', async () => {
  const { events, stats } = await run('midstream.pcap', 'ips', ['stream.midstream-policy=pass-flow']);
  assert.equal(counter(stats, 'ips.blocked'), 0);
  // No session is ever set up, so every packet of the passed flow meets the policy again.
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.pass_flow'), 3);
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.drop_flow'), 0);
  assert.equal(eventsOf(events, 'alert').length, 0);
  const flow = flowObject(events);
  assert.equal(flow['action'], 'pass');
  assert.deepEqual(flow['exception_policy'], [{ target: 'stream_midstream', policy: 'pass_flow' }]);
});

test('midstream bypass in ips', async () => {
  const { events, stats } = await run('midstream.pcap', 'ips', ['stream.midstream-policy=bypass']);
  assert.equal(counter(stats, 'ips.blocked'), 0);
  // A bypassed flow is no longer tracked, so only its first packet meets the policy.
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.bypass'), 1);
  assert.equal(eventsOf(events, 'alert').length, 0);
});

test('midstream reject in ips', async () => {
  const { events, stats } = await run('midstream.pcap', 'ips', ['stream.midstream-policy=reject']);
  assert.equal(counter(stats, 'ips.blocked'), 3);
  assert.equal(counter(stats, 'ips.rejected'), 1);
  assert.equal(counter(stats, 'ips.drop_reason.stream_midstream'), 1);
  assert.equal(counter(stats, 'tcp.midstream_exception_policy.reject'), 1);
  assert.equal(dropReasons(events)[0], 'stream midstream');
});

test('midstream policy invalid values', async () => {
  // drop-flow is invalid in IDS mode, the packet policies are always
  // invalid, and with stream.midstream on only ignore and pass-flow are valid.
  await assert.rejects(run('midstream.pcap', 'ids', ['stream.midstream-policy=drop-flow']), ConfigError);
  await assert.rejects(run('midstream.pcap', 'ips', ['stream.midstream-policy=drop-packet']), ConfigError);
  await assert.rejects(run('midstream.pcap', 'ips', ['stream.midstream-policy=pass-packet']), ConfigError);
  await assert.rejects(run('midstream.pcap', 'ips', ['stream.midstream=true', 'stream.midstream-policy=drop-flow']), ConfigError);
  await assert.rejects(run('midstream.pcap', 'ips', ['stream.midstream=true', 'stream.midstream-policy=bypass']), ConfigError);
});

test('tls error auto in ids drops nothing', async () => {
  const { events, stats } = await run('tls-error.pcap', 'ids');
  assert.equal(counter(stats, 'ips.blocked'), 0);
  assert.deepEqual(dropReasons(events), []);
  assert.equal(counter(stats, 'app_layer.error.tls.parser'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy'), undefined);
  // Only the two client data packets carry payload.
  assert.equal(eventsOf(events, 'alert').length, 2);
  assert.deepEqual(flowObject(events)['exception_policy'], [{ target: 'app_layer_error', policy: 'ignore' }]);
});

test('tls error explicit drop in ids', async () => {
  // In IDS mode drop-flow acts as ignore: nothing is dropped and nothing counted as dropped.
  const { events, stats } = await run('tls-error.pcap', 'ids', ['app-layer.error-policy=drop-flow']);
  assert.equal(counter(stats, 'ips.blocked'), 0);
  assert.deepEqual(dropReasons(events), []);
  assert.equal(counter(stats, 'app_layer.error.tls.parser'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy'), undefined);
});

test('tls error auto in ips drops flow', async () => {
  const { events, stats } = await run('tls-error.pcap', 'ips');
  // Frame 6 carries the invalid record; frames 7 to 10 follow in the dropped flow.
  assert.equal(counter(stats, 'ips.blocked'), 5);
  assert.equal(counter(stats, 'ips.accepted'), 5);
  assert.equal(counter(stats, 'ips.drop_reason.applayer_error'), 1);
  assert.equal(counter(stats, 'ips.drop_reason.flow_drop'), 4);
  assert.equal(counter(stats, 'app_layer.error.tls.parser'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.drop_flow'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.drop_packet'), 0);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.pass_flow'), 0);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.pass_packet'), 0);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.bypass'), 0);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.reject'), 0);
  // Per-protocol policy counters are off by default.
  assert.equal(counter(stats, 'app_layer.error.tls.exception_policy'), undefined);
  assert.equal(dropReasons(events)[0], 'applayer error');
  // Only the ClientHello packet (frame 4) was inspected.
  assert.equal(eventsOf(events, 'alert').length, 1);
  const flow = flowObject(events);
  assert.equal(flow['action'], 'drop');
  assert.deepEqual(flow['exception_policy'], [{ target: 'app_layer_error', policy: 'drop_flow' }]);
});

test('tls error drop-packet in ips', async () => {
  const { events, stats } = await run('tls-error.pcap', 'ips', ['app-layer.error-policy=drop-packet']);
  assert.equal(counter(stats, 'ips.blocked'), 1);
  assert.equal(counter(stats, 'ips.drop_reason.applayer_error'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.drop_packet'), 1);
  // As in Suricata, the drop log (flows: start) writes packet drops only
  // for dropped flows and drop rules, so this drop has no event.
  assert.deepEqual(dropReasons(events), []);
  // Frame 4 is inspected; frame 6 is dropped uninspected.
  assert.equal(eventsOf(events, 'alert').length, 1);
});

test('tls error pass-flow in ips', async () => {
  const { events, stats } = await run('tls-error.pcap', 'ips', ['app-layer.error-policy=pass-flow']);
  assert.equal(counter(stats, 'ips.blocked'), 0);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.pass_flow'), 1);
  // Frame 4 is inspected before the error; nothing after it.
  assert.equal(eventsOf(events, 'alert').length, 1);
  assert.equal(flowObject(events)['action'], 'pass');
});

test('tls error reject in ips', async () => {
  const { stats } = await run('tls-error.pcap', 'ips', ['app-layer.error-policy=reject']);
  assert.equal(counter(stats, 'ips.blocked'), 5);
  assert.equal(counter(stats, 'ips.rejected'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.reject'), 1);
});

test('tls error per-protocol counters', async () => {
  const { stats } = await run('tls-error.pcap', 'ips', ['stats.exception-policy.per-app-proto-errors=yes']);
  assert.equal(counter(stats, 'app_layer.error.tls.exception_policy.drop_flow'), 1);
  assert.equal(counter(stats, 'app_layer.error.tls.exception_policy.reject'), 0);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.drop_flow'), 1);
});

test('ssh error auto in ips drops flow', async () => {
  const { events, stats } = await run('ssh-error.pcap', 'ips');
  // The bad packet header (frame 6) is dropped, then the server's ACK (frame 7) as part of the flow.
  assert.equal(counter(stats, 'ips.blocked'), 2);
  assert.equal(counter(stats, 'ips.drop_reason.applayer_error'), 1);
  assert.equal(counter(stats, 'app_layer.error.ssh.parser'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.drop_flow'), 1);
  assert.equal(dropReasons(events)[0], 'applayer error');
});

test('dns udp error auto in ips drops flow', async () => {
  const { events, stats } = await run('dns-error.pcap', 'ips');
  // The 5-byte query is dropped; the valid query after it belongs to the dropped flow.
  assert.equal(counter(stats, 'ips.blocked'), 2);
  assert.equal(counter(stats, 'ips.drop_reason.applayer_error'), 1);
  assert.equal(counter(stats, 'ips.drop_reason.flow_drop'), 1);
  assert.equal(counter(stats, 'app_layer.error.dns_udp.parser'), 1);
  assert.equal(counter(stats, 'app_layer.error.exception_policy.drop_flow'), 1);
  assert.deepEqual(flowObject(events)['exception_policy'], [{ target: 'app_layer_error', policy: 'drop_flow' }]);
});

test('dns udp error in ids goes on parsing', async () => {
  const { events, stats } = await run('dns-error.pcap', 'ids');
  assert.equal(counter(stats, 'ips.blocked'), 0);
  assert.deepEqual(dropReasons(events), []);
  assert.equal(counter(stats, 'app_layer.error.dns_udp.parser'), 1);
  // Both queries count as transactions: the malformed one and the valid one.
  assert.equal(counter(stats, 'app_layer.tx.dns_udp'), 2);
});

test('plain tcp meets no exception policy', async () => {
  // A connection with its handshake and no app-layer protocol meets no policy.
  const c = new TcpConversation('198.51.100.14', '203.0.113.24', 40004, 9000).handshake();
  c.clientData(0, bytesOf('plain')).serverAck(5).close(5);
  writeFrames(join(dir, 'plain.pcap'), c.frames);
  const { events, stats } = await run('plain.pcap', 'ips');
  assert.equal(counter(stats, 'ips.blocked'), 0);
  assert.equal(flowObject(events)['exception_policy'], undefined);
});
