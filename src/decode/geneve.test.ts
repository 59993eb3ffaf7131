import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpProto } from '../core/packet.js';
import { GENEVE_PORT } from './geneve.js';
import { decodeBytes, eventNames, ipv4Text, parseHexRows } from './test-support.js';

// Ethernet + IPv4 + UDP (dst 6081) + Geneve with 32 bytes of options +
// IPv4 + GRE + IPv4 + TCP SYN, frame 1 of suricata-verify bug-6402-01:
//   tshark -r input.pcap -Y frame.number==1 prints
//   "10.2.0.1 → 10.2.0.2 TCP 166 39198 → 1234 [SYN]", protocols
//   eth:ethertype:ip:udp:geneve:ip:gre:ip:tcp.
// Geneve at 0x2a: ver 0, opt len 8 words, protocol 0x0800; the middle IPv4
// header (10.0.1.72 to 10.0.2.31, GRE) at 0x52, the inner one at 0x6a.
const GENEVE_GRE_TCP = `
0000  02 a1 7b a6 35 45 02 dd 26 a7 53 99 08 00 45 00   ..{.5E..&.S...E.
0010  00 98 00 00 00 00 ff 11 94 cb 0a 00 0a 4a 0a 00   .............J..
0020  08 40 eb 74 17 c1 00 84 91 19 08 00 08 00 00 00   .@.t............
0030  00 00 01 08 01 02 31 e1 29 cd c0 cd 86 33 01 08   ......1.)....3..
0040  02 02 00 00 00 00 00 00 00 00 01 08 03 01 3d c9   ..............=.
0050  56 ac 45 00 00 54 a7 7f 40 00 e0 2f db 94 0a 00   V.E..T..@../....
0060  01 48 0a 00 02 1f 00 00 08 00 45 00 00 3c e0 91   .H........E..<..
0070  40 00 40 06 46 24 0a 02 00 01 0a 02 00 02 99 1e   @.@.F$..........
0080  04 d2 bf 56 b5 5d 00 00 00 00 a0 02 f4 5f 51 21   ...V.]......._Q!
0090  00 00 02 04 22 e9 04 02 08 0a ee 08 d0 95 00 00   ...."...........
00a0  00 00 01 03 03 07                                 ......
`;
const GENEVE = 0x2a;

test('geneve inner packet fields', () => {
  const { p, ctx } = decodeBytes(parseHexRows(GENEVE_GRE_TCP), undefined, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.tunnelDepth, 2);
  assert.equal(p.outerL3Offset, 14);
  assert.equal(p.tunnelL3Offsets[0], 14);
  assert.equal(p.tunnelL3Offsets[1], 0x52);
  assert.equal(p.l3Offset, 0x6a);
  assert.equal(ipv4Text(p.srcAddr), '10.2.0.1');
  assert.equal(ipv4Text(p.dstAddr), '10.2.0.2');
  assert.equal(p.ipProto, IpProto.TCP);
  assert.equal(p.srcPort, 39198);
  assert.equal(p.dstPort, 1234);
  assert.equal(ctx.stat('decoder.gre'), 1);
  assert.equal(ctx.stat('decoder.ipv4'), 3);
});

test('geneve other version stays udp payload', () => {
  // Version 1 is not defined (RFC 8926 section 3.4): the UDP payload is not decoded.
  const bytes = parseHexRows(GENEVE_GRE_TCP);
  bytes[GENEVE] = 0x48;
  const { p } = decodeBytes(bytes, undefined, 'none');
  assert.equal(p.tunnelDepth, 0);
  assert.equal(p.ipProto, IpProto.UDP);
  assert.equal(p.dstPort, GENEVE_PORT);
  assert.equal(p.payloadOffset, GENEVE);
});

test('geneve options past the end', () => {
  // 63 option words (252 bytes) do not fit in the 124-byte UDP payload.
  const bytes = parseHexRows(GENEVE_GRE_TCP);
  bytes[GENEVE] = 0x3f;
  const { p } = decodeBytes(bytes, undefined, 'none');
  assert.equal(p.tunnelDepth, 0);
  assert.equal(p.ipProto, IpProto.UDP);
});

test('geneve unknown protocol type', () => {
  const bytes = parseHexRows(GENEVE_GRE_TCP);
  bytes[GENEVE + 2] = 0x12;
  bytes[GENEVE + 3] = 0x34;
  const { p } = decodeBytes(bytes, undefined, 'none');
  assert.equal(p.tunnelDepth, 0);
  assert.equal(p.ipProto, IpProto.UDP);
});
