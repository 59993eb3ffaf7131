import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpProto } from '../core/packet.js';
import { SCTP_MAX_CHUNKS } from './sctp-igmp.js';
import { decodeBytes, eventNames, parseHexRows } from './test-support.js';

// SCTP DATA chunk (type 0, flags 03, length 32) carrying M3UA ASPUP:
// vtag 0xd42b4892, user data 01 00 03 01 ... 00 0d (16 bytes) at 0x3e.
const DATA_PACKET = parseHexRows(`
0000  00 00 0c 07 ac 04 00 00 50 96 52 3a 08 00 45 88   ........P.R:..E.
0010  00 40 00 04 00 00 ff 84 21 1c 0a ad 30 0d 58 52   .@......!...0.XR
0020  06 86 0b 5a 18 9f d4 2b 48 92 19 67 67 22 00 03   ...Z...+H..gg"..
0030  00 20 06 29 be a6 00 00 00 00 00 00 00 03 01 00   . .)............
0040  03 01 00 00 00 10 00 11 00 08 00 00 00 0d         ..............
`);

// SCTP INIT chunk (type 1, length 32) with vtag 0.
const INIT_PACKET = parseHexRows(`
0000  00 00 0c 07 ac 04 00 00 50 96 52 3a 08 00 45 88   ........P.R:..E.
0010  00 40 00 01 00 00 ff 84 21 1f 0a ad 30 0d 58 52   .@......!...0.XR
0020  06 86 0b 5a 18 9f 00 00 00 00 d3 cc cf c9 01 00   ...Z............
0030  00 20 dd 68 d3 3d 00 00 80 00 00 20 00 20 06 29   . .h.=..... . .)
0040  be a6 00 05 00 08 55 cd 34 6a 80 00 00 04         ......U.4j....
`);

function hasType(types: Uint32Array, type: number): boolean {
  return ((types[type >>> 5] as number) & (1 << (type & 31))) !== 0;
}

test('sctp data chunk is payload', () => {
  const { p } = decodeBytes(DATA_PACKET, undefined, 'none');
  assert.equal(p.ipProto, IpProto.SCTP);
  assert.equal(p.sctpChunkCount, 1);
  assert.equal(hasType(p.sctpChunkTypes, 0), true);
  assert.equal(p.payloadOffset, 0x3e);
  assert.equal(p.payloadLength, 16);
});

test('sctp init has no payload', () => {
  const { p } = decodeBytes(INIT_PACKET, undefined, 'none');
  assert.equal(p.sctpChunkCount, 1);
  assert.equal(hasType(p.sctpChunkTypes, 1), true);
  assert.equal(hasType(p.sctpChunkTypes, 0), false);
  assert.equal(p.payloadLength, 0);
});

/** Builds an IPv4 SCTP packet (raw IP link) with `count` ABORT chunks of 4 bytes. */
function abortChunks(count: number): Uint8Array {
  const total = 20 + 12 + count * 4;
  const bytes = new Uint8Array(total);
  bytes.set([0x45, 0, total >> 8, total & 0xff, 0, 1, 0, 0, 64, 132, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1]);
  bytes.set([0, 7, 0, 7], 20);
  for (let i = 0; i < count; i++) bytes.set([6, 0, 0, 4], 32 + i * 4);
  return bytes;
}

test('sctp too many chunks event', () => {
  const RAW_IPV4 = 228;
  const atBound = decodeBytes(abortChunks(SCTP_MAX_CHUNKS), RAW_IPV4, 'none').p;
  assert.equal(atBound.sctpChunkCount, SCTP_MAX_CHUNKS);
  assert.deepEqual(eventNames(atBound), []);
  const past = decodeBytes(abortChunks(SCTP_MAX_CHUNKS + 1), RAW_IPV4, 'none').p;
  assert.equal(past.sctpChunkCount, SCTP_MAX_CHUNKS + 1);
  assert.deepEqual(eventNames(past), ['sctp.too_many_chunks']);
});

test('sctp chunk walk stops at bad length', () => {
  const bytes = abortChunks(3);
  // The second chunk claims 2 bytes, below the 4-byte chunk header.
  bytes[32 + 4 + 3] = 2;
  assert.equal(decodeBytes(bytes, 228, 'none').p.sctpChunkCount, 1);
});
