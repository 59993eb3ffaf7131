import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction } from '../core/packet.js';
import { FlowFrames, FrameConfig, STREAM_FRAME_TYPE, TlsFrameType, type Frame } from '../app/frames.js';
import { AlertQueue } from './detect-engine.js';
import { FrameInspector, partitionFrameSignatures } from './frame-inspect.js';
import { loadRulesFromText } from './rule-files.js';
import { createTestFlow, createTestPacket } from './test-support/packets.js';

function load(rules: string): ReturnType<typeof loadRulesFromText> {
  return loadRulesFromText(rules, 'test.rules');
}

function messages(rules: string): string[] {
  return load(rules).diagnostics.map((d) => d.message);
}

test('frame keyword names the buffer', () => {
  const { signatures } = load([
    'alert tcp any any -> any any (frame:tls.pdu; content:"a"; sid:1;)',
    'alert tls any any -> any any (frame:hdr; content:"a"; sid:2;)',
    'alert ssh any any -> any any (frame:ssh.record.data; content:"a"; sid:3;)',
    'alert http any any -> any any (frame:http1.stream; content:"a"; sid:4;)',
  ].join('\n'));
  assert.deepEqual(signatures.map((s) => s.buffers[0]?.buffer), ['frame:tls.pdu', 'frame:tls.hdr', 'frame:ssh.record.data', 'frame:http.stream']);
});

test('frame keyword rejects unknown frames', () => {
  assert.deepEqual(messages('alert tcp any any -> any any (frame:smb1.pdu; content:"a"; sid:1;)'), [
    "frame: protocol 'smb1' has no frames in kapu; rule skipped (expected tls, ssh, dns or http1)",
  ]);
  assert.deepEqual(messages('alert tls any any -> any any (frame:tls.record; content:"a"; sid:1;)'), [
    "frame: 'record' is not a frame type of tls (expected one of pdu, hdr, data, alert, heartbeat, stream)",
  ]);
  assert.deepEqual(messages('alert ssh any any -> any any (frame:tls.pdu; content:"a"; sid:1;)'), [
    "frame: 'tls.pdu' is a frame of 'tls' but the rule protocol is 'ssh'",
  ]);
});

test('frame signatures leave other engines', () => {
  const { signatures } = load('alert tls any any -> any any (frame:tls.pdu; content:"a"; sid:1;)\nalert tcp any any -> any any (content:"a"; sid:2;)');
  const { frame, other } = partitionFrameSignatures(signatures);
  assert.deepEqual(frame.map((s) => s.sid), [1]);
  assert.deepEqual(other.map((s) => s.sid), [2]);
});

/** Creates the frames of a TLS flow with every frame type recorded. */
function tlsFrames(): FlowFrames {
  return new FlowFrames('tls', true, new FrameConfig(true).enabledTypes('tls') as Uint8Array);
}

function append(frames: FlowFrames, text: string, offset: number): void {
  const bytes = Uint8Array.from(Buffer.from(text, 'latin1'));
  frames.beginChunk(Direction.TO_CLIENT, bytes, 0, bytes.length, offset);
}

function run(inspector: FrameInspector, frames: FlowFrames, isFlowEnd = false): number[] {
  const out = new AlertQueue(16);
  const p = createTestPacket({ direction: Direction.TO_CLIENT, srcPort: 443, dstPort: 40000 });
  const flow = createTestFlow();
  flow.appProto = 'tls';
  inspector.inspect(p, flow, frames, out, isFlowEnd);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push(out.sigs[i]?.sid ?? -1);
  return sids;
}

function inspectorOf(rules: string): FrameInspector {
  const inspector = new FrameInspector(load(rules).signatures, 16);
  assert.deepEqual(inspector.skipped, []);
  return inspector;
}

test('frame matched once as bytes arrive', () => {
  const inspector = inspectorOf('alert tls any any -> any any (frame:tls.pdu; content:"AB"; sid:1;)\nalert tls any any -> any any (frame:tls.pdu; content:"YZ"; endswith; sid:2;)');
  const frames = tlsFrames();
  append(frames, 'xxABxxxx', 0);
  frames.add(Direction.TO_CLIENT, TlsFrameType.PDU, 0, 12);
  // The first 8 of 12 bytes: sid 1 matches the partial frame.
  assert.deepEqual(run(inspector, frames), [1]);
  // No new bytes: nothing is inspected again.
  assert.deepEqual(run(inspector, frames), []);
  append(frames, 'xxYZ', 8);
  assert.deepEqual(run(inspector, frames), [2]);
  const pdu = (frames.frames[Direction.TO_CLIENT] as Frame[]).find((f) => f.type === TlsFrameType.PDU);
  assert.equal(pdu?.isInspected, true);
});

test('frame inspection stops at gap', () => {
  const inspector = inspectorOf('alert tls any any -> any any (frame:tls.pdu; content:"AAA"; endswith; sid:1;)\nalert tls any any -> any any (frame:tls.pdu; content:"BBB"; sid:2;)');
  const frames = tlsFrames();
  append(frames, 'hdrAAA', 0);
  frames.add(Direction.TO_CLIENT, TlsFrameType.PDU, 0, 14);
  frames.addGap(Direction.TO_CLIENT, 2);
  append(frames, 'BBBBBB', 8);
  // Only the bytes before the gap count: sid 1 inspects "hdrAAA", sid 2 never gets the Bs.
  assert.deepEqual(run(inspector, frames), [1]);
  assert.deepEqual(run(inspector, frames, true), []);
});

test('unknown length frame waits for flow end', () => {
  const inspector = inspectorOf('alert tls any any -> any any (frame:tls.stream; content:"END"; sid:1;)');
  const frames = tlsFrames();
  append(frames, 'data END', 0);
  const stream = (frames.frames[Direction.TO_CLIENT] as Frame[])[0] as Frame;
  assert.equal(stream.type, STREAM_FRAME_TYPE);
  assert.deepEqual(run(inspector, frames), []);
  assert.deepEqual(run(inspector, frames, true), [1]);
});

test('frame rule direction from flow', () => {
  const inspector = inspectorOf('alert tls any any -> any any (flow:to_server; frame:tls.pdu; content:"AB"; sid:1;)');
  const frames = tlsFrames();
  append(frames, 'AB', 0);
  frames.add(Direction.TO_CLIENT, TlsFrameType.PDU, 0, 2);
  assert.deepEqual(run(inspector, frames), []);
});

test('frame rule header names protocol', () => {
  // `http1` and `ssl` name the protocols whose flows kapu calls http and tls.
  const inspector = inspectorOf('alert ssl any any -> any any (frame:pdu; content:"AB"; sid:1;)');
  const frames = tlsFrames();
  append(frames, 'AB', 0);
  frames.add(Direction.TO_CLIENT, TlsFrameType.PDU, 0, 2);
  assert.deepEqual(run(inspector, frames), [1]);
});

test('frame buffer with transform', () => {
  const inspector = inspectorOf('alert tls any any -> any any (frame:tls.pdu; to_lowercase; content:"abc"; sid:1;)');
  assert.deepEqual(inspector.signatures[0]?.buffers[0]?.buffer, 'frame:tls.pdu|to_lowercase');
  const frames = tlsFrames();
  append(frames, 'xABC', 0);
  frames.add(Direction.TO_CLIENT, TlsFrameType.PDU, 0, 4);
  assert.deepEqual(run(inspector, frames), [1]);
});
