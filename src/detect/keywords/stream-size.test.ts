import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFlag } from '../../core/packet.js';
import { defaultFlowConfig } from '../../flow/flow-config.js';
import { FlowTable } from '../../flow/flow-table.js';
import { makePacket } from '../../flow/test-packet.js';
import type { PacketMatcher, SignatureBuilder } from '../signature.js';
import { parseStreamSize, streamSizeKeyword, StreamSizeMatcher, StreamSizeOp, StreamSizeSide } from './stream-size.js';


/** Records what a keyword's setup adds or reports. */
function fakeBuilder(): { builder: SignatureBuilder; matches: PacketMatcher[]; errors: string[] } {
  const matches: PacketMatcher[] = [];
  const errors: string[] = [];
  const builder = {
    addPacketMatch: (m: PacketMatcher) => matches.push(m),
    error: (_code: string, message: string) => errors.push(message),
  } as unknown as SignatureBuilder;
  return { builder, matches, errors };
}

test('stream_size parse valid values', () => {
  const m = parseStreamSize('server, <= ,1111');
  assert.ok(m instanceof StreamSizeMatcher);
  assert.equal(m.side, StreamSizeSide.SERVER);
  assert.equal(m.op, StreamSizeOp.LE);
  assert.equal(m.value, 1111);
  for (const op of ['<', '>', '=', '!=', '<=', '>=']) {
    assert.ok(parseStreamSize(`either,${op},6`) instanceof StreamSizeMatcher, op);
  }
});

test('stream_size parse invalid values', () => {
  assert.equal(parseStreamSize('server,<'), "stream_size: 'server,<' is invalid (expected <server|client|both|either>,<op>,<bytes>)");
  assert.equal(parseStreamSize('up,<,5'), "stream_size: 'up' is not a side (expected server, client, both or either)");
  assert.equal(parseStreamSize('both,=>,5'), "stream_size: '=>' is not an operator (expected <, >, =, !=, <= or >=)");
  assert.equal(parseStreamSize('both,<,5k'), "stream_size: '5k' is not a byte count (expected an integer from 0 to 4294967295)");
  assert.equal(typeof parseStreamSize('both,<,4294967296'), 'string');
});

test('stream_size setup adds matcher or error', () => {
  const ok = fakeBuilder();
  streamSizeKeyword.setup(ok.builder, 'client,>,10');
  assert.equal(ok.matches.length, 1);
  assert.equal(ok.errors.length, 0);
  const bad = fakeBuilder();
  streamSizeKeyword.setup(bad.builder, 'client,>>,10');
  assert.equal(bad.matches.length, 0);
  assert.equal(bad.errors.length, 1);
});

test('stream_size matches sequence space sizes', () => {
  const table = new FlowTable(defaultFlowConfig(), () => {});
  const c = { src: '198.51.100.7', dst: '203.0.113.9', srcPort: 40000, dstPort: 80 };
  const s = { src: '203.0.113.9', dst: '198.51.100.7', srcPort: 80, dstPort: 40000 };
  table.handlePacket(makePacket({ ...c, flags: TcpFlag.SYN, seq: 1000 }));
  table.handlePacket(makePacket({ ...s, flags: TcpFlag.SYN | TcpFlag.ACK, seq: 5000, ack: 1001 }));
  table.handlePacket(makePacket({ ...c, flags: TcpFlag.ACK, seq: 1001, ack: 5001 }));
  const p = makePacket({ ...c, flags: TcpFlag.ACK | TcpFlag.PSH, seq: 1001, ack: 5001, payloadLength: 5 });
  const flow = table.handlePacket(p);
  // Client: 5 bytes plus the SYN = 6. Server: the SYN only = 1.
  const cases: [string, boolean][] = [
    ['client,=,6', true],
    ['client,<,6', false],
    ['client,<=,6', true],
    ['client,>,5', true],
    ['client,!=,6', false],
    ['server,=,1', true],
    ['server,>=,2', false],
    ['both,>=,1', true],
    ['both,>,1', false],
    ['either,>,1', true],
    ['either,>,6', false],
  ];
  for (const [value, expected] of cases) {
    const m = parseStreamSize(value);
    assert.ok(m instanceof StreamSizeMatcher);
    assert.equal(m.match(p, flow), expected, value);
  }
});

test('stream_size needs a session', () => {
  const table = new FlowTable(defaultFlowConfig(), () => {});
  const p = makePacket({ src: '198.51.100.7', dst: '203.0.113.9', srcPort: 1, dstPort: 2, flags: TcpFlag.ACK, seq: 1, ack: 1 });
  const flow = table.handlePacket(p);
  const m = parseStreamSize('either,>=,0');
  assert.ok(m instanceof StreamSizeMatcher);
  assert.equal(m.match(p, flow), false);
  assert.equal(m.match(p, null), false);
});
