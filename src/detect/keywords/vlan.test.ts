// vlan.id and vlan.layers on decoded frames. Expected matches follow
// Suricata's VLAN keyword documentation: layer 0 is the outermost tag,
// -1 the innermost, `all` needs every tag to match, and an untagged
// packet never matches vlan.id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../../core/packet.js';
import { decodeBytes, parseHexRows } from '../../decode/test-support.js';
import { loadRulesFromText } from '../rule-files.js';
import type { DetectThreadContext } from '../signature.js';

/**
 * Three 802.1Q tags, outermost first: VLAN 200 (TCI 00 c8), 300 (01 2c) and
 * 400 (01 90), then IPv4 and UDP 12345 to 53 without payload.
 */
const THREE_TAGS = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 81 00 00 c8   .."3DUfw........
0010  81 00 01 2c 81 00 01 90 08 00 45 00 00 1c 00 01   ...,......E.....
0020  00 00 40 11 00 00 c6 33 64 01 cb 00 71 02 30 39   ..@....3d...q.09
0030  00 35 00 08 00 00                                 .5....
`);

/** The same IPv4 and UDP packet without tags. */
const UNTAGGED = parseHexRows(`
0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00   .."3DUfw......E.
0010  00 1c 00 01 00 00 40 11 00 00 c6 33 64 01 cb 00   ......@....3d...
0020  71 02 30 39 00 35 00 08 00 00                     q.09.5....
`);

const ctx: DetectThreadContext = { byteVars: new Float64Array(0) };

function decoded(frame: Uint8Array): Packet {
  const { p } = decodeBytes(frame, undefined, 'none');
  assert.equal(p.isInvalid, false);
  return p;
}

function matches(options: string, p: Packet): boolean {
  const loaded = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'vlan.rules');
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), []);
  return loaded.signatures[0].packetMatches.every((m) => m.match(p, null, ctx));
}

function errorOf(options: string): string {
  const loaded = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'vlan.rules');
  return loaded.diagnostics.map((d) => d.message).join('; ');
}

test('decoder reads three tags', () => {
  const p = decoded(THREE_TAGS);
  assert.equal(p.vlanCount, 3);
  assert.deepEqual([...p.vlanIds], [200, 300, 400]);
});

test('vlan.id any layer', () => {
  const p = decoded(THREE_TAGS);
  assert.equal(matches('vlan.id:300;', p), true);
  assert.equal(matches('vlan.id:300,any;', p), true);
  assert.equal(matches('vlan.id:500;', p), false);
  assert.equal(matches('vlan.id:>=0xC8;', p), true);
});

test('vlan.id front and back indexes', () => {
  const p = decoded(THREE_TAGS);
  assert.equal(matches('vlan.id:200,0;', p), true);
  assert.equal(matches('vlan.id:200,1;', p), false);
  assert.equal(matches('vlan.id:0x12C,1;', p), true);
  assert.equal(matches('vlan.id:400,-1;', p), true);
  assert.equal(matches('vlan.id:200,-3;', p), true);
  assert.equal(matches('vlan.id:!200,1;', p), true);
  assert.equal(matches('vlan.id:100-600,2;', p), true);
  assert.equal(matches('vlan.id:<400,1;', p), true);
  assert.equal(matches('vlan.id:<400,2;', p), false);
});

test('vlan.id all layers', () => {
  const p = decoded(THREE_TAGS);
  assert.equal(matches('vlan.id:!500,all;', p), true);
  assert.equal(matches('vlan.id:>100,all;', p), true);
  assert.equal(matches('vlan.id:>200,all;', p), false);
});

test('vlan.id on untagged packet', () => {
  const p = decoded(UNTAGGED);
  assert.equal(matches('vlan.id:!500,all;', p), false);
  assert.equal(matches('vlan.id:!200;', p), false);
  assert.equal(matches('vlan.id:0,0;', p), false);
});

test('vlan.id index past the tags', () => {
  const p = decoded(THREE_TAGS);
  p.vlanCount = 1;
  assert.equal(matches('vlan.id:300,1;', p), false);
  assert.equal(matches('vlan.id:200,-1;', p), true);
  assert.equal(matches('vlan.id:200,-2;', p), false);
});

test('vlan.layers counts tags', () => {
  const tagged = decoded(THREE_TAGS);
  const untagged = decoded(UNTAGGED);
  assert.equal(matches('vlan.layers:3;', tagged), true);
  assert.equal(matches('vlan.layers:>2;', tagged), true);
  assert.equal(matches('vlan.layers:!1;', tagged), true);
  assert.equal(matches('vlan.layers:2;', tagged), false);
  assert.equal(matches('vlan.layers:0;', untagged), true);
  assert.equal(matches('vlan.layers:0;', tagged), false);
});

test('vlan.id invalid values', () => {
  assert.equal(errorOf('vlan.id:4096;'), "vlan.id: '4096' is above the maximum 4095");
  assert.equal(errorOf('vlan.id:200,3;'), "vlan.id: layer '3' is out of range (expected any, all, 0 to 2 or -3 to -1)");
  assert.equal(errorOf('vlan.id:200,-4;'), "vlan.id: layer '-4' is out of range (expected any, all, 0 to 2 or -3 to -1)");
  assert.equal(errorOf('vlan.id:200,abc;'), "vlan.id: layer 'abc' is not valid (expected any, all, 0 to 2 or -3 to -1)");
  assert.equal(errorOf('vlan.id:1,2,3;'), "vlan.id: '1,2,3' has too many parts (expected [op]id[,layer])");
  assert.match(errorOf('vlan.id:200abc;'), /^vlan.id: '200abc' is not a valid integer comparison/);
  assert.equal(errorOf('vlan.layers:256;'), "vlan.layers: '256' is above the maximum 255");
});
