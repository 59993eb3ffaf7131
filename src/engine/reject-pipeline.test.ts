import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LinkType, Packet } from '../core/packet.js';
import { loadConfig } from '../config/load-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { MAX_RESPONSE_BYTES, buildRejectResponse } from '../act/reject.js';
import { SEND_UNAVAILABLE_ERRNO, UnavailableRejectSender, type RejectSender } from '../act/reject-sender.js';
import { decodeBytes } from '../decode/test-support.js';
import { TcpFlag, bytesOf, tcpFrame, type TcpSegment } from '../test-support/packet-craft.js';
import { buildDecodeContext, buildDetectEngine, buildThresholdEngine, flowConfigOf, loadRules } from './build-pipeline.js';
import { PacketPipeline } from './pipeline.js';
import { ThresholdActionRecorder } from './threshold-actions.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-reject-pipeline-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A sender that keeps a copy of every packet and returns `result`. */
class RecordingSender implements RejectSender {
  readonly packets: string[] = [];
  constructor(private readonly result: number) {}
  send(packet: Uint8Array, length: number): number {
    this.packets.push(Buffer.from(packet.subarray(0, length)).toString('hex'));
    return this.result;
  }
  close(): void {}
}

const EVIL: TcpSegment = {
  src: '198.51.100.2', dst: '203.0.113.2', sport: 40000, dport: 8080,
  seq: 1000, ack: 2000, flags: TcpFlag.ACK | TcpFlag.PSH, payload: bytesOf('EVILPATTERN'), window: 502,
};

function buildPipeline(rule: string, isIps: boolean, sender: RejectSender | null, sets: string[] = ['stream.midstream=true']): PacketPipeline {
  const rulePath = join(scratch, `rule-${Math.random().toString(36).slice(2)}.rules`);
  writeFileSync(rulePath, rule + '\n');
  // The tests send one mid-session segment, which the default midstream policy drops in IPS mode.
  const { config } = loadConfig(null, sets);
  const warnings: string[] = [];
  const rules = loadRules(config, [rulePath], warnings);
  assert.equal(rules.signatures.length, 1, JSON.stringify(rules.diagnostics));
  const thresholdActions = new ThresholdActionRecorder(buildThresholdEngine(config, rules, warnings));
  const detect = buildDetectEngine(config, rules, thresholdActions);
  const flows = new FlowTable(flowConfigOf(config, isIps), () => {});
  return new PacketPipeline({
    decode: buildDecodeContext(config, 'none'), flows, defrag: null, detect, thresholdActions,
    eve: [], fast: null, isIps, rejectSender: sender,
  }, config.packetAlertMax);
}

function run(pipeline: PacketPipeline, frame: Uint8Array): Packet {
  const p = new Packet();
  p.reset(frame, 0, frame.length, LinkType.ETHERNET, 1);
  pipeline.processPacket(p);
  return p;
}

/** Returns the response that reject.ts builds for `frame`, in hex. */
function expectedResponse(frame: Uint8Array, toSource: boolean): string {
  const { p } = decodeBytes(frame, LinkType.ETHERNET, 'none');
  const out = new Uint8Array(MAX_RESPONSE_BYTES);
  return Buffer.from(out.subarray(0, buildRejectResponse(p, toSource, out))).toString('hex');
}

describe('pipeline reject responses', () => {
  const frame = tcpFrame(EVIL);

  it('rejectboth in ips mode', () => {
    const sender = new RecordingSender(0);
    const pipeline = buildPipeline('rejectboth tcp any any -> any any (content:"EVIL"; sid:1;)', true, sender);
    const p = run(pipeline, frame);
    assert.equal(p.isDropped, true);
    assert.deepEqual(sender.packets, [expectedResponse(frame, true), expectedResponse(frame, false)]);
    assert.equal(pipeline.counters.rejected, 1);
    assert.equal(pipeline.counters.rejectResponsesSent, 2);
    assert.equal(pipeline.counters.rejectResponsesFailed, 0);
  });

  it('reject in ids mode', () => {
    const sender = new RecordingSender(0);
    const pipeline = buildPipeline('reject tcp any any -> any any (content:"EVIL"; sid:1;)', false, sender);
    const p = run(pipeline, frame);
    assert.equal(p.isDropped, false);
    assert.deepEqual(sender.packets, [expectedResponse(frame, true)]);
    assert.equal(pipeline.counters.rejectResponsesSent, 1);
  });

  it('rejectdst answers the receiver', () => {
    const sender = new RecordingSender(0);
    const pipeline = buildPipeline('rejectdst tcp any any -> any any (content:"EVIL"; sid:1;)', true, sender);
    run(pipeline, frame);
    assert.deepEqual(sender.packets, [expectedResponse(frame, false)]);
  });

  it('drop sends nothing', () => {
    const sender = new RecordingSender(0);
    const pipeline = buildPipeline('drop tcp any any -> any any (content:"EVIL"; sid:1;)', true, sender);
    const p = run(pipeline, frame);
    assert.equal(p.isDropped, true);
    assert.equal(sender.packets.length, 0);
    assert.equal(pipeline.counters.rejectResponsesSent, 0);
  });

  it('failed sends are counted', () => {
    const pipeline = buildPipeline('rejectboth tcp any any -> any any (content:"EVIL"; sid:1;)', true, new UnavailableRejectSender('no addon'));
    run(pipeline, frame);
    assert.equal(new UnavailableRejectSender('x').send(new Uint8Array(40), 40), SEND_UNAVAILABLE_ERRNO);
    assert.equal(pipeline.counters.rejectResponsesSent, 0);
    assert.equal(pipeline.counters.rejectResponsesFailed, 2);
  });

  it('midstream policy reject answers the sender', () => {
    const sender = new RecordingSender(0);
    const pipeline = buildPipeline('alert tcp any any -> any any (content:"NOTHERE"; sid:1;)', true, sender, ['stream.midstream-policy=reject']);
    const p = run(pipeline, frame);
    assert.equal(p.isDropped, true);
    assert.deepEqual(sender.packets, [expectedResponse(frame, true)]);
    assert.equal(pipeline.counters.rejected, 1);
    assert.equal(pipeline.counters.rejectResponsesSent, 1);
  });

  it('no sender records only', () => {
    const pipeline = buildPipeline('reject tcp any any -> any any (content:"EVIL"; sid:1;)', true, null);
    const p = run(pipeline, frame);
    assert.equal(p.isDropped, true);
    assert.equal(pipeline.counters.rejected, 1);
    assert.equal(pipeline.counters.rejectResponsesSent, 0);
    assert.equal(pipeline.counters.rejectResponsesFailed, 0);
  });
});
