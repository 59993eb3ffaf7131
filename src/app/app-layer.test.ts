import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpProto } from '../core/packet.js';
import { defaultFlowConfig } from '../flow/flow-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { makePacket } from '../flow/test-packet.js';
import { AppLayer } from './app-layer.js';

/** Encodes a DNS query for `name` (type A, class IN) with message id `id`, after 42 bytes of headers. */
function dnsQueryFrame(id: number, name: string): Uint8Array {
  const message: number[] = [id >> 8, id & 0xff, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
  for (const label of name.split('.')) message.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  message.push(0, 0x00, 0x01, 0x00, 0x01);
  const frame = new Uint8Array(42 + message.length);
  frame.set(message, 42);
  return frame;
}

test('app layer counts flow transactions', () => {
  const config = defaultFlowConfig();
  config.prealloc = 2;
  const table = new FlowTable(config, () => {});
  const app = new AppLayer(false);
  let timeUs = 1_700_000_000_000_000;
  for (const [id, name] of [[1, 'example.org'], [2, 'example.net']] as const) {
    const bytes = dnsQueryFrame(id, name);
    timeUs += 1000;
    const p = makePacket({ src: '198.51.100.6', dst: '203.0.113.1', srcPort: 40000, dstPort: 53, proto: IpProto.UDP, bytes, payloadLength: bytes.length - 42, timestampUs: timeUs });
    const flow = table.handlePacket(p);
    assert.ok(flow !== null);
    app.handlePacket(p, flow);
    // Each query is one DNS transaction.
    assert.equal(flow.txCount, id);
  }
});
