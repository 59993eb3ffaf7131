import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../../core/packet.js';
import { decodeBytes, parseHexRows } from '../../decode/test-support.js';
import { AlertQueue, DetectEngine } from '../detect-engine.js';
import { loadRulesFromText } from '../rule-files.js';
import type { Signature } from '../signature.js';

// IGMPv2 membership report (type 0x16) for 224.0.1.60 with the router
// alert option (94 04 00 00) and Ethernet padding after the 8-byte message
// (tshark: checksum 0x08c3 correct).
const V2_REPORT_RTRALT = parseHexRows(`
0000  01 00 5e 00 01 3c 00 14 38 e6 47 c6 08 00 46 01   ..^..<..8.G...F.
0010  00 20 20 6d 00 00 01 02 18 de 0a 3c 00 14 e0 00   .  m.......<....
0020  01 3c 94 04 00 00 16 00 08 c3 e0 00 01 3c 0a 0c   .<...........<..
0030  45 3d 54 52 55 45 0d 0a 0c 47 45 53               E=TRUE...GES
`);

// IGMPv3 query (12 bytes: type 0x11, one source-list field of zero length).
const V3_QUERY = parseHexRows(`
0000  01 00 5e 00 00 01 02 00 01 63 00 00 08 00 46 c0   ..^......c....F.
0010  00 24 00 01 00 00 01 02 84 0d c0 02 00 02 e0 00   .$..............
0020  00 01 94 04 00 00 11 64 ec 1e 00 00 00 00 02 7d   .......d.......}
0030  00 00                                             ..
`);

function sidsOf(rules: string, p: Packet): number[] {
  const loaded = loadRulesFromText(rules, 'test.rules');
  assert.equal(loaded.summary.failed, 0, loaded.diagnostics.map((d) => d.message).join('; '));
  const out = new AlertQueue();
  new DetectEngine(loaded.signatures).inspectPacket(p, null, out);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids.sort((a, b) => a - b);
}

const RULES = `alert igmp any any -> any any (igmp.type:0x16; sid:1;)
alert igmp any any -> any any (igmp.type:17; sid:2;)
alert igmp any any -> any any (igmp-csum:valid; sid:3;)
alert igmp any any -> any any (igmp-csum:invalid; sid:4;)
alert igmp any any -> any any (ipopts:rtralt; sid:5;)
alert igmp any any -> any any (dsize:>0; sid:6;)
alert tcp any any -> any any (sid:7;)`;

test('igmp keywords on v2 report', () => {
  assert.deepEqual(sidsOf(RULES, decodeBytes(V2_REPORT_RTRALT).p), [1, 3, 5]);
});

test('igmp keywords on v3 query', () => {
  // The source list is part of the message, not payload: dsize is 0.
  assert.deepEqual(sidsOf(RULES, decodeBytes(V3_QUERY).p), [2, 3, 5]);
});

test('igmp checksum invalid after change', () => {
  const bytes = V2_REPORT_RTRALT.slice();
  bytes[0x29] ^= 0xff;
  assert.deepEqual(sidsOf(RULES, decodeBytes(bytes, undefined, 'none').p), [1, 4, 5]);
});
