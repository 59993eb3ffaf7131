import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumState, LinkType, Packet } from '../core/packet.js';
import { DecodeContext, DecodeStat } from './context.js';
import { decodePacket } from './decode-packet.js';

// IPv4 198.51.100.2 -> 203.0.113.2, UDP 1234 -> 53, one payload byte 'A'.
// The IPv4 header checksum 0x1497 is right. The UDP checksum 0x1234 is
// wrong: the right one is 0x539c (one's complement sum over the
// pseudo-header and the datagram, RFC 768).
const UDP_BAD_CHECKSUM = Buffer.from(
  [
    '45 00 00 1d 00 01 00 00 40 11 14 97 c6 33 64 02', // 0x00  E.......@....3d.
    'cb 00 71 02 04 d2 00 35 00 09 12 34 41', //          0x10  ..q....5...4A
  ].join(' ').replace(/ /g, ''),
  'hex',
);

function decode(isOffloaded: boolean, ctx: DecodeContext): Packet {
  const p = new Packet();
  p.reset(new Uint8Array(UDP_BAD_CHECKSUM), 0, UDP_BAD_CHECKSUM.length, LinkType.RAW, 1);
  p.isChecksumOffloaded = isOffloaded;
  decodePacket(p, ctx);
  return p;
}

test('checksum checked when not offloaded', () => {
  const ctx = new DecodeContext('all');
  const p = decode(false, ctx);
  assert.equal(p.ipChecksum, ChecksumState.VALID);
  assert.equal(p.l4Checksum, ChecksumState.INVALID);
  assert.equal(ctx.counters[DecodeStat.UDP_INVALID_CHECKSUM], 1);
});

test('offloaded checksum counts as valid', () => {
  const ctx = new DecodeContext('all');
  const p = decode(true, ctx);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(p.ipChecksum, ChecksumState.VALID);
  assert.equal(ctx.counters[DecodeStat.UDP_INVALID_CHECKSUM], 0);
  assert.equal(ctx.isChecksumValidationOn, true);
  assert.equal(p.srcPort, 1234);
});

test('offloaded packets skip auto sample', () => {
  const ctx = new DecodeContext('auto');
  decode(true, ctx);
  assert.equal(ctx.checksumSamplePackets, 0);
});
