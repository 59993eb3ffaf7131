/**
 * Bounded memory under floods of state: a crafted capture opens a million
 * half-open TCP connections (one SYN each, a microsecond apart, so none
 * times out), another leaves thousands of streams waiting on out-of-order
 * data. The flow and reassembly memcaps must hold, and the exception
 * policy (`auto`) must ignore the excess in IDS mode and drop it in IPS
 * mode, as the stats counters show.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from '../cli/run.js';
import type { PeakMemory } from '../cli/run-options.js';
import { PcapFileWriter, TcpConversation, TcpFlag, tcpFrame } from '../test-support/packet-craft.js';

const HALF_OPEN_STREAMS = 1_000_000;
const FLOW_MEMCAP_BYTES = 16 * 1024 * 1024;
const OUT_OF_ORDER_STREAMS = 2000;
const OUT_OF_ORDER_SEGMENT_BYTES = 1000;
const REASSEMBLY_MEMCAP_BYTES = 512 * 1024;

const CONFIG = [
  'outputs:',
  '  - eve-log:',
  '      enabled: yes',
  '      filename: eve.json',
  '      types:',
  '        - drop',
  '        - stats',
  'flow:',
  `  memcap: ${FLOW_MEMCAP_BYTES}`,
  'stream:',
  '  reassembly:',
  `    memcap: ${REASSEMBLY_MEMCAP_BYTES}`,
  '',
].join('\n');

/** Stats of the last stats event by section, the number of drop events and the run's peak memory. */
interface RunResult {
  stats: Record<string, Record<string, unknown>>;
  dropEvents: number;
  peak: PeakMemory;
}

let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kapu-bounded-'));
  writeFileSync(join(dir, 'kapu.yaml'), CONFIG);
  writeFileSync(join(dir, 'test.rules'), 'alert tcp any any -> any any (msg:"data"; content:"X"; sid:1;)\n');
  writeHalfOpenCapture(join(dir, 'half-open.pcap'));
  writeOutOfOrderCapture(join(dir, 'out-of-order.pcap'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes one SYN from each of HALF_OPEN_STREAMS distinct client address and port pairs. */
function writeHalfOpenCapture(path: string): void {
  const writer = new PcapFileWriter(path, 1_704_067_200, 1);
  for (let i = 0; i < HALF_OPEN_STREAMS; i++) {
    const host = i % 250;
    const port = 1024 + Math.floor(i / 250);
    writer.write(tcpFrame({
      src: `198.51.100.${host + 1}`, dst: '203.0.113.2', sport: port, dport: 80,
      seq: 1000, ack: 0, flags: TcpFlag.SYN,
    }));
  }
  writer.close();
}

/**
 * Writes OUT_OF_ORDER_STREAMS connections that complete the handshake and
 * then send one segment a byte past the expected sequence number, so that
 * every segment waits in reassembly for the missing byte.
 */
function writeOutOfOrderCapture(path: string): void {
  const writer = new PcapFileWriter(path, 1_704_067_200, 1);
  const payload = new Uint8Array(OUT_OF_ORDER_SEGMENT_BYTES).fill(0x58);
  for (let i = 0; i < OUT_OF_ORDER_STREAMS; i++) {
    const c = new TcpConversation(`198.51.100.${(i % 250) + 1}`, '203.0.113.2', 1024 + Math.floor(i / 250), 80).handshake();
    c.frames.push(tcpFrame(c.clientSegment(1, payload)));
    for (const frame of c.frames) writer.write(frame);
  }
  writer.close();
}

async function runCrafted(pcap: string, mode: 'ids' | 'ips'): Promise<RunResult> {
  const logDir = join(dir, `${pcap}-${mode}`);
  mkdirSync(logDir);
  const summary = await runCapture({
    pcapPath: join(dir, pcap),
    configPath: join(dir, 'kapu.yaml'),
    ruleFiles: [join(dir, 'test.rules')],
    extraRuleFiles: [],
    logDir,
    checksumMode: 'none',
    sets: [],
    mode,
    env: {},
    quiet: true,
  });
  let stats: Record<string, Record<string, unknown>> = {};
  let dropEvents = 0;
  for (const line of readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as { event_type: string; stats?: Record<string, Record<string, unknown>> };
    if (event.event_type === 'drop') dropEvents++;
    if (event.event_type === 'stats' && event.stats !== undefined) stats = event.stats;
  }
  return { stats, dropEvents, peak: summary.peakMemory };
}

test('half-open flood in ids stays in memcap', async () => {
  const { stats, dropEvents, peak } = await runCrafted('half-open.pcap', 'ids');
  const flow = stats['flow']!;
  assert.ok(peak.flow <= FLOW_MEMCAP_BYTES, `peak flow memory ${peak.flow} is over the memcap`);
  assert.ok(peak.flow > FLOW_MEMCAP_BYTES / 2, `peak flow memory ${peak.flow} never came near the memcap`);
  // No flow times out within one second of capture time, so each SYN either made a flow or met the memcap.
  assert.equal((flow['total'] as number) + (flow['memcap'] as number), HALF_OPEN_STREAMS);
  assert.ok((flow['memcap'] as number) > 0);
  assert.equal((flow['memcap_exception_policy'] as Record<string, number>)['ignore'], flow['memcap']);
  assert.equal(dropEvents, 0);
  assert.equal((stats['ips'] as Record<string, number>)['blocked'], 0);
  assert.equal((stats['decoder'] as Record<string, number>)['pkts'], HALF_OPEN_STREAMS);
});

test('half-open flood in ips drops excess', async () => {
  const { stats, peak } = await runCrafted('half-open.pcap', 'ips');
  const flow = stats['flow']!;
  const memcapHits = flow['memcap'] as number;
  assert.ok(peak.flow <= FLOW_MEMCAP_BYTES);
  assert.equal((flow['total'] as number) + memcapHits, HALF_OPEN_STREAMS);
  assert.equal((flow['memcap_exception_policy'] as Record<string, number>)['drop_packet'], memcapHits);
  assert.equal((stats['ips'] as Record<string, number>)['blocked'], memcapHits);
  assert.equal((stats['ips'] as Record<string, number>)['accepted'], flow['total']);
});

test('out-of-order streams in ids stay in memcap', async () => {
  const { stats, dropEvents, peak } = await runCrafted('out-of-order.pcap', 'ids');
  const tcp = stats['tcp']!;
  const memcapDrops = tcp['segment_memcap_drop'] as number;
  assert.ok(peak.reassembly <= REASSEMBLY_MEMCAP_BYTES, `peak reassembly memory ${peak.reassembly} is over the memcap`);
  // The waiting segments hold 2,000,000 bytes in all, nearly four times the memcap, so most cannot be stored.
  assert.ok(memcapDrops > OUT_OF_ORDER_STREAMS / 2);
  assert.ok((OUT_OF_ORDER_STREAMS - memcapDrops) * OUT_OF_ORDER_SEGMENT_BYTES <= REASSEMBLY_MEMCAP_BYTES);
  const policy = tcp['reassembly_exception_policy'] as Record<string, number>;
  assert.equal(policy['ignore'], memcapDrops);
  assert.equal(policy['drop_flow'], 0);
  assert.equal(dropEvents, 0);
});

test('out-of-order streams in ips drop flows', async () => {
  const { stats, dropEvents, peak } = await runCrafted('out-of-order.pcap', 'ips');
  const tcp = stats['tcp']!;
  const policy = tcp['reassembly_exception_policy'] as Record<string, number>;
  assert.ok(peak.reassembly <= REASSEMBLY_MEMCAP_BYTES);
  assert.equal(policy['drop_flow'], tcp['segment_memcap_drop']);
  assert.ok((policy['drop_flow'] as number) > OUT_OF_ORDER_STREAMS / 2);
  assert.equal(policy['ignore'], 0);
  // Each flow dropped by the policy writes one drop event, for its first dropped packet.
  assert.equal(dropEvents, policy['drop_flow']);
  assert.equal((stats['ips'] as Record<string, Record<string, number>>)['drop_reason']?.['stream_memcap'], policy['drop_flow']);
});
