import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../../core/packet.js';
import { decodeBytes, parseHexRows } from '../../decode/test-support.js';
import { sctpAlertFields } from '../../output/eve-sctp.js';
import { AlertQueue, DetectEngine } from '../detect-engine.js';
import { loadRulesFromText } from '../rule-files.js';
import type { Signature } from '../signature.js';

// SCTP DATA chunk with vtag 0xd42b4892 (3559606418) and user data
// 01 00 03 01 ... (M3UA ASPUP), as in the sctp-keywords capture.
const DATA_PACKET = parseHexRows(`
0000  00 00 0c 07 ac 04 00 00 50 96 52 3a 08 00 45 88   ........P.R:..E.
0010  00 40 00 04 00 00 ff 84 21 1c 0a ad 30 0d 58 52   .@......!...0.XR
0020  06 86 0b 5a 18 9f d4 2b 48 92 19 67 67 22 00 03   ...Z...+H..gg"..
0030  00 20 06 29 be a6 00 00 00 00 00 00 00 03 01 00   . .)............
0040  03 01 00 00 00 10 00 11 00 08 00 00 00 0d         ..............
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

test('sctp keywords on data chunk', () => {
  const rules = `alert sctp any any -> any any (sctp.chunk_type:data; sid:1;)
alert sctp any any -> any any (sctp.chunk_type:init; sid:2;)
alert sctp any any -> any any (sctp.chunk_type:!init; sid:3;)
alert sctp any any -> any any (sctp.chunk_cnt:1; sid:4;)
alert sctp any any -> any any (sctp.chunk_cnt:>1; sid:5;)
alert sctp any any -> any any (sctp.vtag:3559606418; sid:6;)
alert sctp any any -> any any (sctp.chunk_data; content:"|01 00 03 01|"; startswith; sid:7;)
alert sctp any any -> any any (sctp.hdr; content:"|00 03 00 20|"; sid:8;)
alert sctp any any -> any any (content:"|01 00 03 01|"; depth:4; sid:9;)`;
  assert.deepEqual(sidsOf(rules, decodeBytes(DATA_PACKET, undefined, 'none').p), [1, 3, 4, 6, 7, 8, 9]);
});

test('sctp chunk type bad value', () => {
  const loaded = loadRulesFromText('alert sctp any any -> any any (sctp.chunk_type:bogus; sid:1;)', 'test.rules');
  assert.equal(loaded.summary.failed, 1);
  assert.match(loaded.diagnostics[0]?.message ?? '', /'bogus' is not an SCTP chunk type/);
});

test('sctp alert object', () => {
  const fields = JSON.parse('{' + sctpAlertFields(decodeBytes(DATA_PACKET, undefined, 'none').p).slice(1) + '}');
  assert.deepEqual(fields.sctp, {
    vtag: 3559606418,
    chunk_types: ['data'],
    chunk_cnt: 1,
    has_init: false,
    has_init_ack: false,
    has_data: true,
    has_abort: false,
  });
});
