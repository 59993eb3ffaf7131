import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packet } from '../core/packet.js';
import { fillTunnelRoot, innerPacketOffset, tunnelPktSrc } from './tunnel-root.js';

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
