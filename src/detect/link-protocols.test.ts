import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '../core/packet.js';
import { decodeBytes, parseHexRows } from '../decode/test-support.js';
import { AlertQueue, DetectEngine } from './detect-engine.js';
import type { Signature } from './signature.js';
import { loadRulesFromText } from './rule-files.js';

// ARP request "who has 0.0.0.0? tell 192.168.169.4" (tshark -x).
const ARP_REQUEST = parseHexRows(`
0000  00 00 00 00 00 03 98 90 96 a0 44 ea 08 06 00 01   ..........D.....
0010  08 00 06 04 00 01 98 90 96 a0 44 ea c0 a8 a9 04   ..........D.....
0020  00 00 00 00 00 00 00 00 00 00                     ..........
`);

// VXLAN (UDP 42710 -> 4789) carrying an ARP request. The outer EtherType
// is IPv4 (0x0800), the inner one ARP (0x0806 at offset 0x3e).
const VXLAN_ARP = parseHexRows(`
0000  36 dc 85 1e b3 40 00 16 3e 08 71 cf 08 00 45 00   6....@..>.q...E.
0010  00 4e b8 02 40 00 3e 11 6e 48 c0 a8 ca 01 c0 a8   .N..@.>.nH......
0020  cb 01 a6 d6 12 b5 00 3a 00 00 08 00 00 00 00 00   .......:........
0030  64 00 ff ff ff ff ff ff 00 30 88 01 00 02 08 06   d........0......
0040  00 01 08 00 06 04 00 01 00 30 88 01 00 02 c0 a8   .........0......
0050  cb 05 00 00 00 00 00 00 c0 a8 cb 03               ............
`);

// UDP 1024 -> 53 over IPv4 over Ethernet, 4 payload bytes "abcd".
const ETHER_UDP = parseHexRows(`
0000  00 00 00 00 00 02 00 00 00 00 00 01 08 00 45 00
0010  00 20 00 01 00 00 40 11 f9 71 c0 00 02 01 c0 00
0020  02 02 04 00 00 35 00 0c 00 00 61 62 63 64
`);

function engineOf(rules: string): DetectEngine {
  const loaded = loadRulesFromText(rules, 'test.rules');
  assert.equal(loaded.summary.failed, 0);
  return new DetectEngine(loaded.signatures);
}

function sidsOf(engine: DetectEngine, p: Packet): number[] {
  const out = new AlertQueue();
  engine.inspectPacket(p, null, out);
  const sids: number[] = [];
  for (let i = 0; i < out.count; i++) sids.push((out.sigs[i] as Signature).sid);
  return sids.sort((a, b) => a - b);
}

test('arp decode records header offset', () => {
  const { p } = decodeBytes(ARP_REQUEST);
  assert.equal(p.arpOffset, 14);
  assert.equal(p.ipVersion, 0);
  assert.equal(p.isInvalid, false);
});

test('arp in vxlan has no ip layer', () => {
  const { p } = decodeBytes(VXLAN_ARP);
  assert.equal(p.tunnelDepth, 1);
  assert.equal(p.arpOffset, 0x3e + 2);
  assert.equal(p.ipVersion, 0);
  assert.equal(p.outerL3Offset, 14);
  // The inner Ethernet header (after the 8-byte VXLAN header) is the packet's own.
  assert.equal(p.l2Offset, 0x32);
});

test('arp and ether protocols in rule header', () => {
  const engine = engineOf(`alert arp any any -> any any (sid:1;)
alert ether any any -> any any (sid:2;)
alert ip any any -> any any (sid:3;)
alert pkthdr any any -> any any (sid:4;)
alert udp any any -> any any (sid:5;)`);
  assert.deepEqual(sidsOf(engine, decodeBytes(ARP_REQUEST).p), [1, 2, 4]);
  assert.deepEqual(sidsOf(engine, decodeBytes(ETHER_UDP).p), [2, 3, 4, 5]);
});

test('ether.hdr reads the innermost header', () => {
  const engine = engineOf(`alert ether any any -> any any (ether.hdr; content:"|08 06|"; offset:12; depth:2; sid:1;)
alert ether any any -> any any (ether.hdr; content:"|08 00|"; offset:12; depth:2; sid:2;)`);
  assert.deepEqual(sidsOf(engine, decodeBytes(VXLAN_ARP).p), [1]);
  assert.deepEqual(sidsOf(engine, decodeBytes(ETHER_UDP).p), [2]);
});
