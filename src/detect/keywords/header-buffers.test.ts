import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpProto } from '../../core/packet.js';
import { createTestPacket } from '../test-support/packets.js';
import { fillHeaderBuffer, icmpv4HeaderLength } from './header-buffers.js';
import { AlertQueue, DetectEngine } from '../detect-engine.js';
import { mustBuildSignature } from '../test-support/signature-builder.js';
import { createTestFlow } from '../test-support/packets.js';

function view() {
  return { bytes: new Uint8Array(0), start: 0, length: 0 };
}

test('header buffers cover the headers', () => {
  const p = createTestPacket({ payload: 'data' });
  p.ipHeaderLength = 20;
  p.l4HeaderLength = 20;
  const v = view();
  assert.equal(fillHeaderBuffer('ipv4.hdr', p, v), true);
  assert.deepEqual([v.start, v.length], [0, 20]);
  assert.equal(fillHeaderBuffer('tcp.hdr', p, v), true);
  assert.deepEqual([v.start, v.length], [20, 20]);
  assert.equal(fillHeaderBuffer('udp.hdr', p, v), false);
  assert.equal(fillHeaderBuffer('ipv6.hdr', p, v), false);
  assert.equal(fillHeaderBuffer('icmpv4.hdr', p, v), false);
});

test('icmpv4 header length by type', () => {
  const p = createTestPacket({ ipProto: IpProto.ICMP, payload: 'x'.repeat(40) });
  p.l4Offset = 20;
  p.icmpType = 8;
  assert.equal(icmpv4HeaderLength(p), 8);
  p.icmpType = 13;
  assert.equal(icmpv4HeaderLength(p), 20);
  p.icmpType = 17;
  assert.equal(icmpv4HeaderLength(p), 12);
  // Router advertisement with 1 address of 2 words: 8 + 1 * 2 * 4.
  p.icmpType = 9;
  p.bytes[24] = 1;
  p.bytes[25] = 2;
  assert.equal(icmpv4HeaderLength(p), 16);
});

test('tcp.hdr rule inspects header', () => {
  const sig = mustBuildSignature('tcp.hdr; content:"|50 18|"; offset:12; depth:2;', { sid: 9, proto: 'tcp' });
  const engine = new DetectEngine([sig]);
  const p = createTestPacket({ payload: 'data' });
  p.l4HeaderLength = 20;
  // Data offset 5 words and flags PSH+ACK at bytes 12-13 of the TCP header.
  p.bytes[20 + 12] = 0x50;
  p.bytes[20 + 13] = 0x18;
  const out = new AlertQueue();
  engine.inspectPacket(p, createTestFlow(), out);
  assert.equal(out.count, 1);
  p.bytes[20 + 13] = 0x10;
  const none = new AlertQueue();
  engine.inspectPacket(p, createTestFlow(), none);
  assert.equal(none.count, 0);
});
