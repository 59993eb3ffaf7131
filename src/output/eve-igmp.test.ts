import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBytes, parseHexRows } from '../decode/test-support.js';
import { igmpAlertFields, igmpVersionOf } from './eve-igmp.js';

test('igmp version by type and length', () => {
  // RFC 9776 section 7.1: an 8-byte query with max response 0 is IGMPv1,
  // with a non-zero one IGMPv2, and a query of 12 bytes or more IGMPv3.
  assert.equal(igmpVersionOf(0x11, 0, 8), 1);
  assert.equal(igmpVersionOf(0x11, 100, 8), 2);
  assert.equal(igmpVersionOf(0x11, 100, 12), 3);
  assert.equal(igmpVersionOf(0x12, 0, 8), 1);
  assert.equal(igmpVersionOf(0x16, 0, 8), 2);
  assert.equal(igmpVersionOf(0x17, 0, 8), 2);
  assert.equal(igmpVersionOf(0x22, 0, 16), 3);
  assert.equal(igmpVersionOf(0x30, 0, 8), 0);
});

test('rgmp hello alert fields', () => {
  // RGMP hello (type 0xff) to 224.0.0.25 (tshark: "RGMP Hello").
  const frame = parseHexRows(`
0000  01 00 5e 00 00 19 00 01 63 6f c8 70 08 00 45 c0   ..^.....co.p..E.
0010  00 1c 4d 57 00 00 01 02 c0 9b c0 0a 0b 0a e0 00   ..MW............
0020  00 19 ff 00 00 ff 00 00 00 00 00 00 00 00 00 00   ................
0030  00 00 00 00 00 00 00 00 00 00 00 00               ............
`);
  assert.equal(igmpAlertFields(decodeBytes(frame).p), ',"rgmp":{"type":255}');
});

test('igmp report alert fields', () => {
  const frame = parseHexRows(`
0000  01 00 5e 00 01 3c 00 14 38 e6 47 c6 08 00 46 01   ..^..<..8.G...F.
0010  00 20 20 6d 00 00 01 02 18 de 0a 3c 00 14 e0 00   .  m.......<....
0020  01 3c 94 04 00 00 16 00 08 c3 e0 00 01 3c 0a 0c   .<...........<..
0030  45 3d 54 52 55 45 0d 0a 0c 47 45 53               E=TRUE...GES
`);
  assert.equal(igmpAlertFields(decodeBytes(frame).p), ',"igmp":{"type":22,"version":2}');
});
