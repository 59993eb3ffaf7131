import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, TcpFlag, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { defaultFlowConfig } from '../flow/flow-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { makePacket } from '../flow/test-packet.js';
import { StreamReassembler, defaultReassemblyConfig, fillFlowEndPacket } from '../stream/reassembly.js';
import { AlertQueue, DetectEngine } from './detect-engine.js';
import { loadRulesFromText } from './rule-files.js';
import { Packet as PacketClass } from '../core/packet.js';
import { inspectWithStream, StreamMode, streamModeOf } from './stream-buffer.js';
import { protoKindOf } from './rule-group.js';

const { SYN, ACK, PSH } = TcpFlag;
const CISN = 100;
const SISN = 900;

const RULES = [
  'alert tcp any any -> any any (content:"Let Me In"; sid:1;)',
  'alert tcp-pkt any any -> any any (content:"Let Me In"; sid:2;)',
  'alert tcp-stream any any -> any any (content:"Let Me In"; sid:3;)',
  'alert tcp any any -> any any (content:"Me"; flow:no_stream; sid:4;)',
  'alert tcp any any -> any any (content:"Me"; flow:only_stream; sid:5;)',
].join('\n');

/** One connection run through the flow table, the reassembler and detection. */
class Harness {
  readonly table: FlowTable;
  readonly reassembler: StreamReassembler;
  readonly engine: DetectEngine;
  readonly alerts: AlertQueue;
  flow: Flow | null;
  private timeUs: number;

  constructor(isIps: boolean, chunkSize = 2560) {
    const flowConfig = defaultFlowConfig();
    flowConfig.prealloc = 4;
    this.table = new FlowTable(flowConfig, () => {});
    this.reassembler = new StreamReassembler({ ...defaultReassemblyConfig(isIps), toServerChunkSize: chunkSize });
    const rules = loadRulesFromText(RULES, 'test.rules');
    assert.equal(rules.diagnostics.length, 0);
    this.engine = new DetectEngine(rules.signatures);
    this.alerts = new AlertQueue();
    this.flow = null;
    this.timeUs = 1_700_000_000_000_000;
  }

  /** Sends one packet and returns the sids that alerted, with `s` after stream matches. */
  send(fromClient: boolean, flags: number, seq: number, ack: number, data = ''): string[] {
    this.timeUs += 1000;
    const bytes = new Uint8Array(54 + data.length);
    for (let i = 0; i < data.length; i++) bytes[54 + i] = data.charCodeAt(i);
    const p: Packet = makePacket({
      src: fromClient ? '198.51.100.7' : '203.0.113.9',
      dst: fromClient ? '203.0.113.9' : '198.51.100.7',
      srcPort: fromClient ? 40000 : 80,
      dstPort: fromClient ? 80 : 40000,
      flags, seq, ack, bytes, payloadLength: data.length, timestampUs: this.timeUs,
    });
    p.l4Offset = 34;
    this.flow = this.table.handlePacket(p);
    this.reassembler.handlePacket(p, this.flow);
    this.alerts.clear();
    inspectWithStream(this.engine, p, this.flow, this.reassembler, this.alerts, false);
    return this.sids();
  }

  /** Inspects what is left at flow end, as the pipeline's pseudo packet does. */
  flowEnd(): string[] {
    const flow = this.flow as Flow;
    this.alerts.clear();
    if (!this.reassembler.prepareFlowEnd(flow, Direction.TO_SERVER)) return [];
    const pseudo = new PacketClass();
    fillFlowEndPacket(pseudo, flow, Direction.TO_SERVER, 1);
    inspectWithStream(this.engine, pseudo, flow, this.reassembler, this.alerts, true);
    return this.sids();
  }

  handshake(): void {
    this.send(true, SYN, CISN, 0);
    this.send(false, SYN | ACK, SISN, CISN + 1);
    this.send(true, ACK, CISN + 1, SISN + 1);
  }

  private sids(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.alerts.count; i++) {
      out.push(String(this.alerts.sigs[i]?.sid) + (this.alerts.isStreamMatch[i] === 1 ? 's' : ''));
    }
    return out.sort();
  }
}

test('stream mode by rule', () => {
  const rules = loadRulesFromText(RULES + '\nalert tcp any any -> any any (dsize:>5; content:"x"; sid:6;)', 'test.rules');
  const modes = rules.signatures.map((sig) => streamModeOf(sig, protoKindOf(sig.proto)));
  assert.deepEqual(modes, [
    StreamMode.BOTH, StreamMode.PACKET, StreamMode.STREAM, StreamMode.PACKET, StreamMode.STREAM, StreamMode.PACKET,
  ]);
});

test('stream split pattern matches once in ips', () => {
  const h = new Harness(true);
  h.handshake();
  // Data split over three segments: the stream rules match on the third.
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 1, SISN + 1, 'Let '), []);
  // The window "Let Me " contains "Me" for the only_stream rule; no_stream sees the packet.
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 5, SISN + 1, 'Me '), ['4', '5s']);
  // "Me" lies wholly in bytes inspected before, so sid 5 does not alert again.
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 8, SISN + 1, 'In!'), ['1s', '3s']);
  // The next segment's window still contains "Let Me In!", which alerted already.
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 11, SISN + 1, 'xyz'), []);
});

test('stream split pattern matches once in ids', () => {
  const h = new Harness(false, 8);
  h.handshake();
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 1, SISN + 1, 'Let '), []);
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 5, SISN + 1, 'Me '), ['4']);
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 8, SISN + 1, 'In!'), []);
  // The server's ACK makes 10 bytes ready, but the packet that inspects
  // them is the client's next one (the data's own direction).
  assert.deepEqual(h.send(false, ACK, SISN + 1, CISN + 11), []);
  assert.deepEqual(h.send(true, ACK, CISN + 11, SISN + 1), ['1s', '3s', '5s']);
  assert.deepEqual(h.send(true, ACK, CISN + 11, SISN + 1), []);
  assert.deepEqual(h.flowEnd(), []);
});

test('stream packet rule sees packet only', () => {
  const h = new Harness(false);
  h.handshake();
  // tcp-pkt matches a whole pattern in one packet; tcp does not, because the payload went into the stream.
  assert.deepEqual(h.send(true, ACK | PSH, CISN + 1, SISN + 1, 'Let Me In'), ['2', '4']);
  assert.deepEqual(h.flowEnd(), ['1s', '3s', '5s']);
});
