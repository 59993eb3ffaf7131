import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChecksumState, IpProto, LinkType, Packet } from '../core/packet.js';
import { CHECKSUM_SAMPLE_PACKETS, DecodeContext } from './context.js';
import { decodePacket } from './decode-packet.js';
import { decodeBytes, eventNames, ipv4Text, parseHexRows } from './test-support.js';

// Ethernet + IPv4 + GRE + IPv4 + ICMP echo, frame 1 of zeek's tunnels_gre-sample.pcap:
//   tshark -r tunnels_gre-sample.pcap -Y frame.number==1 -T fields -e ip.src -e ip.dst
//     -e gre.proto -e icmp.type -e icmp.ident -e icmp.seq -e icmp.checksum.status
//   172.27.1.66,66.59.111.190 66.59.109.137,172.28.2.3 0x0800 8 52072 256 1
const GRE_ICMP = `
0000  00 c0 ca 14 b0 52 00 02 2d 56 4a fd 08 00 45 00   .....R..-VJ...E.
0010  00 6c 00 00 40 00 ff 2f 1e 41 ac 1b 01 42 42 3b   .l..@../.A...BB;
0020  6d 89 00 00 08 00 45 00 00 54 00 00 40 00 40 01   m.....E..T..@.@.
0030  da 90 42 3b 6f be ac 1c 02 03 08 00 46 c9 cb 68   ..B;o.......F..h
0040  01 00 70 72 e6 3e 97 19 0c 00 08 09 0a 0b 0c 0d   ..pr.>..........
0050  0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d   ................
0060  1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d   .. !"#$%&'()*+,-
0070  2e 2f 30 31 32 33 34 35 36 37                     ./01234567
`;
const GRE = 34;

test('gre inner packet fields match tshark', () => {
  const { p, ctx } = decodeBytes(parseHexRows(GRE_ICMP));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.tunnelDepth, 1);
  assert.equal(p.outerL3Offset, 14);
  assert.equal(p.l3Offset, 38);
  assert.equal(ipv4Text(p.srcAddr), '66.59.111.190');
  assert.equal(ipv4Text(p.dstAddr), '172.28.2.3');
  assert.equal(p.ipProto, IpProto.ICMP);
  assert.equal(p.icmpType, 8);
  assert.equal(p.icmpId, 52072);
  assert.equal(p.icmpSeq, 256);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(ctx.stat('decoder.gre'), 1);
  assert.equal(ctx.stat('decoder.ipv4'), 2);
  assert.equal(ctx.stat('decoder.icmpv4'), 1);
});

function greEvents(flagsHigh: number, flagsLow: number, protocol = 0x0800): string[] {
  const bytes = parseHexRows(GRE_ICMP);
  bytes[GRE] = flagsHigh;
  bytes[GRE + 1] = flagsLow;
  bytes[GRE + 2] = protocol >> 8;
  bytes[GRE + 3] = protocol & 0xff;
  return eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p);
}

test('gre undecoded payload type', () => {
  // Protocol 0x883e (WCCP): no tunnel, the bytes after GRE are the payload.
  const bytes = parseHexRows(GRE_ICMP);
  bytes[GRE + 2] = 0x88;
  bytes[GRE + 3] = 0x3e;
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.tunnelDepth, 0);
  assert.equal(p.ipProto, IpProto.GRE);
  assert.equal(p.payloadOffset, GRE + 4);
});

test('gre wrong version', () => {
  assert.deepEqual(greEvents(0x00, 0x02), ['gre.wrong_version']); // version 2
});

test('gre version 0 recursion', () => {
  assert.deepEqual(greEvents(0x01, 0x00), ['gre.version0_recur']); // recursion 1
});

test('gre version 0 reserved flags', () => {
  assert.deepEqual(greEvents(0x00, 0x40), ['gre.version0_flags']); // reserved0 bit set
});

test('gre version 0 header past packet', () => {
  const bytes = parseHexRows(GRE_ICMP).subarray(0, GRE + 6);
  bytes[17] = 20 + 6; // IPv4 total length: 6 bytes of GRE
  bytes[GRE] = 0xb0; // C, K and S: 16-byte header
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['gre.version0_hdr_too_big']);
});

test('gre header cut short', () => {
  const bytes = parseHexRows(GRE_ICMP).subarray(0, GRE + 3);
  bytes[17] = 23;
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['gre.pkt_too_small']);
});

test('gre version 1 rules', () => {
  assert.deepEqual(greEvents(0x80, 0x01, 0x880b), ['gre.version1_chksum']);
  assert.deepEqual(greEvents(0x40, 0x01, 0x880b), ['gre.version1_route']);
  assert.deepEqual(greEvents(0x08, 0x01, 0x880b), ['gre.version1_ssr']);
  assert.deepEqual(greEvents(0x01, 0x01, 0x880b), ['gre.version1_recur']);
  assert.deepEqual(greEvents(0x20, 0x09, 0x880b), ['gre.version1_flags']);
  assert.deepEqual(greEvents(0x00, 0x01, 0x880b), ['gre.version1_no_key']);
  assert.deepEqual(greEvents(0x20, 0x01, 0x0800), ['gre.version1_wrong_protocol']);
  assert.deepEqual(greEvents(0x20, 0x01, 0x880b), []);
});

// Ethernet + IPv4 + UDP 4789 + VXLAN (VNI 100) + Ethernet + IPv4 + ICMP echo,
// frame 1 of tcpdump's vxlan.pcap:
//   tshark -r vxlan.pcap -Y frame.number==1 -T fields -e ip.src -e ip.dst -e vxlan.vni
//     -e udp.checksum.status -e icmp.type -e icmp.ident -e icmp.seq
//   192.168.203.1,192.168.203.3 192.168.202.1,192.168.203.5 100 3 8 1292 1
// (udp.checksum.status 3: checksum not present)
const VXLAN_ICMP = `
0000  00 16 3e 08 71 cf 36 dc 85 1e b3 40 08 00 45 00   ..>.q.6....@..E.
0010  00 86 d2 c0 40 00 40 11 51 52 c0 a8 cb 01 c0 a8   ....@.@.QR......
0020  ca 01 b0 5d 12 b5 00 72 00 00 08 00 00 00 00 00   ...]...r........
0030  64 00 00 30 88 01 00 02 00 16 3e 37 f6 04 08 00   d..0......>7....
0040  45 00 00 54 00 00 40 00 40 01 23 4f c0 a8 cb 03   E..T..@.@.#O....
0050  c0 a8 cb 05 08 00 f6 f2 05 0c 00 01 fc e2 97 51   ...............Q
0060  00 00 00 00 a6 f8 02 00 00 00 00 00 10 11 12 13   ................
0070  14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23   ............ !"#
0080  24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33   $%&'()*+,-./0123
0090  34 35 36 37                                       4567
`;

test('vxlan inner packet fields match tshark', () => {
  const { p, ctx } = decodeBytes(parseHexRows(VXLAN_ICMP));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.tunnelDepth, 1);
  assert.equal(p.outerL3Offset, 14);
  assert.equal(ipv4Text(p.srcAddr), '192.168.203.3');
  assert.equal(ipv4Text(p.dstAddr), '192.168.203.5');
  assert.equal(p.icmpType, 8);
  assert.equal(p.icmpId, 1292);
  assert.equal(p.icmpSeq, 1);
  assert.equal(p.srcPort, 0);
  assert.equal(p.dstPort, 0);
  assert.equal(ctx.stat('decoder.vxlan'), 1);
  assert.equal(ctx.stat('decoder.ethernet'), 2);
});

test('vxlan port without i flag', () => {
  const bytes = parseHexRows(VXLAN_ICMP);
  bytes[42] = 0x00; // VXLAN flags without I: stays a UDP payload
  const { p, ctx } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.equal(p.tunnelDepth, 0);
  assert.equal(p.dstPort, 4789);
  assert.equal(ctx.stat('decoder.vxlan'), 0);
});

test('ipv4 in ipv4 tunnel', () => {
  // Outer IPv4 (proto 4) around the inner IPv4 + ICMP of the GRE frame.
  const inner = parseHexRows(GRE_ICMP).subarray(38);
  const bytes = new Uint8Array(20 + inner.length);
  bytes.set(parseHexRows('0000  45 00 00 68 00 00 40 00 40 04 00 00 c0 00 02 01 c6 33 64 01   E..h..@.@....3d.'));
  bytes.set(inner, 20);
  const { p, ctx } = decodeBytes(bytes, LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.tunnelDepth, 1);
  assert.equal(p.outerL3Offset, 0);
  assert.equal(p.l3Offset, 20);
  assert.equal(ipv4Text(p.srcAddr), '66.59.111.190');
  assert.equal(ctx.stat('decoder.ipv4_in_ipv4'), 1);
});

test('tunnel nesting past layer limit', () => {
  // 20 IPv4-in-IPv4 headers, then nothing.
  const depth = 20;
  const bytes = new Uint8Array(20 * depth);
  for (let i = 0; i < depth; i++) {
    bytes.set([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 4, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1], i * 20);
    const total = 20 * (depth - i);
    bytes[i * 20 + 2] = total >> 8;
    bytes[i * 20 + 3] = total & 0xff;
  }
  const { p, ctx } = decodeBytes(bytes, LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), ['too_many_layers']);
  assert.equal(p.isInvalid, true);
  assert.equal(ctx.stat('decoder.event.too_many_layers'), 1);
});

// ICMP time exceeded carrying the invoking IPv4 header, frame 2 of
// chrissanders/icmp_traceroute.pcapng:
//   tshark -r icmp_traceroute.pcapng -Y frame.number==2 -T fields -e icmp.type
//     -e icmp.code -e ip.src -e ip.dst -e icmp.checksum.status
//   11,8 0,0 192.168.100.1,192.168.100.138 192.168.100.138,4.2.2.1 1,2
const ICMP_TIME_EXCEEDED = `
0000  00 16 d4 b8 59 b1 00 12 80 4b c0 7f 08 00 45 c0   ....Y....K....E.
0010  00 38 49 1a 00 00 ff 01 28 0e c0 a8 64 01 c0 a8   .8I.....(...d...
0020  64 8a 0b 00 f4 ff 00 00 00 00 45 00 00 5c ff 51   d.........E..\\.Q
0030  00 00 01 01 8f 1a c0 a8 64 8a 04 02 02 01 08 00   ........d.......
0040  ba ff 05 00 38 00                                 ....8.
`;
const ICMP = 34;

test('icmp error inner header', () => {
  const { p } = decodeBytes(parseHexRows(ICMP_TIME_EXCEEDED));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.icmpType, 11);
  assert.equal(p.icmpCode, 0);
  assert.equal(p.icmpInnerL3Offset, ICMP + 8);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
});

test('icmp error inner version wrong', () => {
  const bytes = parseHexRows(ICMP_TIME_EXCEEDED);
  bytes[ICMP + 8] = 0x65; // inner version 6
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv4.ipv4_unknown_ver']);
});

test('icmp error inner header cut short', () => {
  const bytes = parseHexRows(ICMP_TIME_EXCEEDED).slice(0, ICMP + 8 + 19);
  bytes[17] = 20 + 8 + 19; // IPv4 total length
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv4.ipv4_trunc_pkt']);
});

test('icmp unknown type and code', () => {
  const bytes = parseHexRows(ICMP_TIME_EXCEEDED);
  bytes[ICMP + 1] = 2; // time exceeded has codes 0 and 1
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv4.unknown_code']);
  bytes[ICMP] = 99; // unassigned type
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv4.unknown_type']);
});

test('icmp parameter problem code 1', () => {
  const bytes = parseHexRows(ICMP_TIME_EXCEEDED);
  bytes[ICMP] = 12; // parameter problem: only code 0 is accepted
  bytes[ICMP + 1] = 1;
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv4.unknown_code']);
});

test('icmp timestamp cut short', () => {
  const bytes = parseHexRows(ICMP_TIME_EXCEEDED).slice(0, ICMP + 16);
  bytes[17] = 20 + 16; // IPv4 total length
  bytes[ICMP] = 13; // timestamp request needs 8 + 12 bytes
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), ['icmpv4.ipv4_trunc_pkt']);
  assert.equal(p.icmpId, 0);
});

test('icmp message shorter than 8 bytes', () => {
  const bytes = parseHexRows(ICMP_TIME_EXCEEDED).slice(0, ICMP + 7);
  bytes[17] = 27;
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv4.pkt_too_small']);
});

test('icmp bad checksum', () => {
  const bytes = parseHexRows(ICMP_TIME_EXCEEDED);
  bytes[ICMP + 2] = 0; // checksum 0xf4ff -> 0x00ff
  const { p, ctx } = decodeBytes(bytes);
  assert.equal(p.l4Checksum, ChecksumState.INVALID);
  assert.equal(ctx.stat('decoder.icmpv4_invalid_checksum'), 1);
});

// Ethernet + IPv4 + IGMPv2 membership query, frame 1 of tcpdump's IGMP_V2.pcap:
//   tshark -r IGMP_V2.pcap -c 1 -T fields -e igmp.type -e igmp.max_resp -e igmp.checksum
//     -e igmp.checksum.status -e ip.src -e ip.dst
//   0x11 100 0xee9b 1 192.168.1.2 224.0.0.1
const IGMP_QUERY = `
0000  01 00 5e 00 00 01 00 1b 11 10 26 11 08 00 45 00   ..^.......&...E.
0010  00 1c 65 51 00 00 01 02 b2 e3 c0 a8 01 02 e0 00   ..eQ............
0020  00 01 11 64 ee 9b 00 00 00 00 00 00 00 00 00 00   ...d............
0030  00 00 00 00 00 00 00 00 00 00 00 00               ............
`;

test('igmp query checksum', () => {
  const { p, ctx } = decodeBytes(parseHexRows(IGMP_QUERY));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.ipProto, IpProto.IGMP);
  assert.equal(p.l4Offset, 34);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(ctx.stat('decoder.igmp'), 1);
  const bytes = parseHexRows(IGMP_QUERY);
  bytes[36] = 0x00; // checksum 0xee9b -> 0x009b
  const bad = decodeBytes(bytes);
  assert.equal(bad.p.l4Checksum, ChecksumState.INVALID);
  assert.equal(bad.ctx.stat('decoder.igmp_invalid_checksum'), 1);
});

test('igmp too small', () => {
  // Raw IPv4, proto 2, 4 bytes of IGMP.
  const bytes = parseHexRows('0000  45 00 00 18 00 00 00 00 01 02 00 00 c0 00 02 01 e0 00 00 01 11 64 00 00   E...............');
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.RAW, 'none').p), ['igmp.pkt_too_small']);
});

test('igmpv3 query too small', () => {
  // 10-byte query: longer than v2's 8, shorter than v3's 12.
  const bytes = parseHexRows(`
0000  45 00 00 1e 00 00 00 00 01 02 00 00 c0 00 02 01   E...............
0010  e0 00 00 01 11 64 00 00 00 00 00 00 00 00         .....d........
`);
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.RAW, 'none').p), ['igmp.v3_pkt_too_small']);
});

test('sctp header ports and short packet', () => {
  // Raw IPv4, proto 132, SCTP common header 5000 -> 80, tag 1, checksum 0.
  const bytes = parseHexRows(`
0000  45 00 00 20 00 00 00 00 40 84 00 00 c0 00 02 01   E.......@.......
0010  c6 33 64 01 13 88 00 50 00 00 00 01 00 00 00 00   .3d....P........
`);
  const { p, ctx } = decodeBytes(bytes, LinkType.RAW, 'none');
  assert.equal(p.srcPort, 5000);
  assert.equal(p.dstPort, 80);
  assert.equal(ctx.stat('decoder.sctp'), 1);
  const short = bytes.slice(0, 31);
  short[3] = 31;
  assert.deepEqual(eventNames(decodeBytes(short, LinkType.RAW, 'none').p), ['sctp.pkt_too_small']);
});

test('checksum auto mode turns off on offload', () => {
  // Every packet has a bad TCP checksum: after the sample, validation stops.
  const bytes = parseHexRows(GRE_ICMP);
  bytes[GRE + 4 + 20 + 2] = 0; // inner ICMP checksum broken
  const ctx = new DecodeContext('auto');
  const p = new Packet();
  for (let i = 0; i < CHECKSUM_SAMPLE_PACKETS; i++) {
    p.reset(bytes, 0, bytes.length, LinkType.ETHERNET, i + 1);
    decodePacket(p, ctx);
    assert.equal(p.l4Checksum, ChecksumState.INVALID);
  }
  assert.equal(ctx.isChecksumValidationOn, false);
  p.reset(bytes, 0, bytes.length, LinkType.ETHERNET, CHECKSUM_SAMPLE_PACKETS + 1);
  decodePacket(p, ctx);
  assert.equal(p.l4Checksum, ChecksumState.UNCHECKED);
});

test('checksum auto mode stays on', () => {
  // 10% bad is not more than 10%: validation stays on.
  const good = parseHexRows(GRE_ICMP);
  const bad = parseHexRows(GRE_ICMP);
  bad[GRE + 4 + 20 + 2] = 0;
  const ctx = new DecodeContext('auto');
  const p = new Packet();
  for (let i = 0; i < CHECKSUM_SAMPLE_PACKETS; i++) {
    const bytes = i % 10 === 0 ? bad : good;
    p.reset(bytes, 0, bytes.length, LinkType.ETHERNET, i + 1);
    decodePacket(p, ctx);
  }
  assert.equal(ctx.isChecksumValidationOn, true);
  assert.equal(ctx.isChecksumSampling, false);
});
