import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packet } from '../core/packet.js';
import { decodeBytes, ipv4Text, parseHexRows } from '../decode/test-support.js';
import { PktSrc } from '../output/eve-format.js';
import { fillTunnelLayer, fillTunnelRoot, innerPacketOffset, tunnelPktSrc } from './tunnel-root.js';

/**
 * IPv6 in IPv6 over Ethernet, built by hand: the outer header (40 bytes at
 * offset 14) has a hop-by-hop options header (8 bytes) before next header
 * 41, and the inner header follows at offset 62.
 */
function ipv6InIpv6(): Packet {
  const b = new Uint8Array(14 + 40 + 8 + 40);
  b[12] = 0x86;
  b[13] = 0xdd;
  b[14] = 0x60;
  b[19] = 48; // payload length: options header and inner header
  b[20] = 0; // next header: hop-by-hop options
  b[21] = 64; // hop limit
  b[22] = 0x20;
  b[23] = 0x01;
  b[37] = 1; // source 2001::1
  b[38] = 0x20;
  b[39] = 0x01;
  b[53] = 2; // destination 2001::2
  b[54] = 41; // options header: next header IPv6, length 0 (8 bytes)
  b[62] = 0x60;
  const p = new Packet();
  p.reset(b, 1_000_000, b.length, 1, 7);
  p.tunnelDepth = 1;
  p.outerL3Offset = 14;
  p.l3Offset = 62;
  return p;
}

test('tunnel root from ipv6 outer header', () => {
  const p = ipv6InIpv6();
  const root = new Packet();
  assert.equal(fillTunnelRoot(root, p), true);
  assert.equal(root.ipVersion, 6);
  assert.equal(root.ipProto, 41);
  assert.equal(root.l3Offset, 14);
  assert.equal(root.ipHeaderLength, 48);
  assert.equal(root.ipTotalLength, 88);
  assert.equal(root.ttl, 64);
  assert.equal(root.srcAddr[15], 1);
  assert.equal(root.dstAddr[15], 2);
  assert.equal(root.pcapCount, 7);
  assert.equal(tunnelPktSrc(root), 'ipv6 tunnel');
  assert.equal(innerPacketOffset(root, p), 62);
});

test('tunnel root from vxlan outer header', () => {
  // IPv4 10.0.0.1 -> 10.0.0.2, UDP 49152 -> 4789, VXLAN, inner Ethernet.
  const b = new Uint8Array(14 + 20 + 8 + 8 + 14);
  b[12] = 0x08;
  b[14] = 0x45;
  b[17] = 50; // total length: IPv4, UDP and VXLAN headers and the inner Ethernet header
  b[22] = 64;
  b[23] = 17;
  b.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  b.set([0xc0, 0x00, 0x12, 0xb5], 34);
  const p = new Packet();
  p.reset(b, 0, b.length, 1, 1);
  p.tunnelDepth = 1;
  p.outerL3Offset = 14;
  const root = new Packet();
  assert.equal(fillTunnelRoot(root, p), true);
  assert.equal(root.ipVersion, 4);
  assert.equal(root.src4, 0x0a000001);
  assert.equal(root.dst4, 0x0a000002);
  assert.equal(root.ipProto, 17);
  assert.equal(root.srcPort, 49152);
  assert.equal(root.dstPort, 4789);
  assert.equal(root.payloadOffset, 42);
  assert.equal(root.payloadLength, 22);
  assert.equal(tunnelPktSrc(root), 'vxlan encapsulation');
  assert.equal(innerPacketOffset(root, p), 50);
});

test('tunnel root rejects short header', () => {
  const p = new Packet();
  p.reset(new Uint8Array([0x45, 0, 0]), 0, 3, 101, 1);
  p.tunnelDepth = 1;
  p.outerL3Offset = 0;
  assert.equal(fillTunnelRoot(new Packet(), p), false);
});

// Frame 1 of suricata-verify bug-6402-01 (see src/decode/geneve.test.ts):
// Ethernet, IPv4/UDP to port 6081, Geneve with 32 bytes of options,
// IPv4/GRE (10.0.1.72 to 10.0.2.31) at 0x52, IPv4/TCP at 0x6a.
const GENEVE_GRE_TCP = `
0000  02 a1 7b a6 35 45 02 dd 26 a7 53 99 08 00 45 00
0010  00 98 00 00 00 00 ff 11 94 cb 0a 00 0a 4a 0a 00
0020  08 40 eb 74 17 c1 00 84 91 19 08 00 08 00 00 00
0030  00 00 01 08 01 02 31 e1 29 cd c0 cd 86 33 01 08
0040  02 02 00 00 00 00 00 00 00 00 01 08 03 01 3d c9
0050  56 ac 45 00 00 54 a7 7f 40 00 e0 2f db 94 0a 00
0060  01 48 0a 00 02 1f 00 00 08 00 45 00 00 3c e0 91
0070  40 00 40 06 46 24 0a 02 00 01 0a 02 00 02 99 1e
0080  04 d2 bf 56 b5 5d 00 00 00 00 a0 02 f4 5f 51 21
0090  00 00 02 04 22 e9 04 02 08 0a ee 08 d0 95 00 00
00a0  00 00 01 03 03 07
`;

test('geneve root and middle gre layer', () => {
  const { p } = decodeBytes(parseHexRows(GENEVE_GRE_TCP), undefined, 'none');
  const root = new Packet();
  assert.equal(fillTunnelRoot(root, p), true);
  assert.equal(root.ipProto, 17);
  assert.equal(root.dstPort, 6081);
  assert.equal(tunnelPktSrc(root), PktSrc.GENEVE);
  // The frame Geneve carries starts after its 8-byte header and 32 bytes of options.
  assert.equal(innerPacketOffset(root, p), 0x52);

  const middle = new Packet();
  assert.equal(fillTunnelLayer(middle, p, p.tunnelL3Offsets[1] as number), true);
  assert.equal(middle.ipProto, 47);
  assert.equal(ipv4Text(middle.srcAddr), '10.0.1.72');
  assert.equal(ipv4Text(middle.dstAddr), '10.0.2.31');
  assert.equal(middle.l4Offset, 0x66);
  assert.equal(tunnelPktSrc(middle), PktSrc.GRE_TUNNEL);
});
