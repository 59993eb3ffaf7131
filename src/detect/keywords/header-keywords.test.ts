// Match semantics of the header keywords on hand-filled packets. Expected
// values follow Suricata's rule documentation: integer comparisons are
// strict and ranges exclusive, `flags` modifiers + * ! and the ignore list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumState, IpProto, Packet, TcpFlag } from '../../core/packet.js';
import { Flow } from '../../flow/flow.js';
import { loadRulesFromText } from '../rule-files.js';
import type { DetectThreadContext, Signature } from '../signature.js';

const ctx: DetectThreadContext = { byteVars: new Float64Array(0) };

function signature(options: string, proto = 'ip'): Signature {
  const result = loadRulesFromText(`alert ${proto} any any -> any any (${options} sid:1;)`, 'k.rules');
  assert.deepEqual(result.diagnostics.map((d) => d.message), []);
  return result.signatures[0];
}

/** Tells whether every packet matcher of the rule matches `p`. */
function matches(options: string, p: Packet, flow: Flow | null = null): boolean {
  return signature(options).packetMatches.every((m) => m.match(p, flow, ctx));
}

function errorOf(options: string): string {
  const result = loadRulesFromText(`alert ip any any -> any any (${options} sid:1;)`, 'k.rules');
  return result.diagnostics.map((d) => d.message).join('; ');
}

function ipv4Packet(): Packet {
  const p = new Packet();
  p.ipVersion = 4;
  p.l3Offset = 14;
  p.ipHeaderLength = 20;
  p.ttl = 64;
  return p;
}

function tcpPacket(flags: number): Packet {
  const p = ipv4Packet();
  p.ipProto = IpProto.TCP;
  p.l4Offset = 34;
  p.tcpFlags = flags;
  return p;
}

function icmpPacket(type: number, code: number): Packet {
  const p = ipv4Packet();
  p.ipProto = IpProto.ICMP;
  p.l4Offset = 34;
  p.icmpType = type;
  p.icmpCode = code;
  return p;
}

test('ttl comparisons', () => {
  const p = ipv4Packet();
  p.ttl = 10;
  assert.equal(matches('ttl:10;', p), true);
  assert.equal(matches('ttl:11;', p), false);
  assert.equal(matches('ttl:<11;', p), true);
  assert.equal(matches('ttl:<10;', p), false);
  assert.equal(matches('ttl:<=10;', p), true);
  assert.equal(matches('ttl:>9;', p), true);
  assert.equal(matches('ttl:>10;', p), false);
  assert.equal(matches('ttl:>=10;', p), true);
  assert.equal(matches('ttl:!10;', p), false);
  assert.equal(matches('ttl:!=11;', p), true);
  assert.equal(matches('ttl:9-11;', p), true);
  assert.equal(matches('ttl:10-11;', p), false);
  assert.equal(matches('ttl:!10-11;', p), true);
  assert.equal(matches('ttl:0x0a;', p), true);
});

test('ttl reads IPv6 hop limit', () => {
  const p = new Packet();
  p.ipVersion = 6;
  p.ttl = 1;
  assert.equal(matches('ttl:1;', p), true);
  assert.equal(matches('ttl:1;', new Packet()), false);
});

test('ttl bad values', () => {
  assert.equal(errorOf('ttl:256;'), "ttl: '256' is above the maximum 255");
  assert.equal(errorOf('ttl:5-5;'), "ttl: range '5-5' is empty (the first value must be below the second)");
  assert.match(errorOf('ttl:abc;'), /^ttl: 'abc' is not a valid integer comparison/);
});

test('id matches IPv4 only', () => {
  const p = ipv4Packet();
  p.ipId = 1;
  assert.equal(matches('id:1;', p), true);
  assert.equal(matches('id:2;', p), false);
  const v6 = new Packet();
  v6.ipVersion = 6;
  v6.ipId = 1;
  assert.equal(matches('id:1;', v6), false);
});

test('fragbits modifiers', () => {
  const p = ipv4Packet();
  p.ipFlags = 0x1; // MF
  assert.equal(matches('fragbits:M;', p), true);
  assert.equal(matches('fragbits:D;', p), false);
  assert.equal(matches('fragbits:+M;', p), false);
  p.ipFlags = 0x3; // MF and DF
  assert.equal(matches('fragbits:M;', p), false);
  assert.equal(matches('fragbits:+M;', p), true);
  assert.equal(matches('fragbits:MD;', p), true);
  assert.equal(matches('fragbits:*MR;', p), true);
  assert.equal(matches('fragbits:!D;', p), false);
  p.ipFlags = 0x4; // reserved
  assert.equal(matches('fragbits:R;', p), true);
  assert.equal(matches('fragbits:!D;', p), true);
  assert.equal(errorOf('fragbits:X;'), "fragbits: 'X' in 'X' is not a fragment bit (expected letters M, D and R with one optional modifier +, * or !)");
});

test('fragoffset in 8-byte units', () => {
  const p = ipv4Packet();
  p.fragmentOffset = 1480;
  assert.equal(matches('fragoffset:185;', p), true);
  assert.equal(matches('fragoffset:>0;', p), true);
  assert.equal(matches('fragoffset:!185;', p), false);
  p.fragmentOffset = 0;
  assert.equal(matches('fragoffset:>0;', p), false);
  assert.equal(matches('fragoffset:0;', p), true);
  const v6 = new Packet();
  v6.ipVersion = 6;
  assert.equal(matches('fragoffset:0;', v6), false);
  v6.isFragment = true;
  v6.fragmentOffset = 16;
  assert.equal(matches('fragoffset:2;', v6), true);
});

test('tos and sameip', () => {
  const p = ipv4Packet();
  p.tos = 8;
  assert.equal(matches('tos:8;', p), true);
  assert.equal(matches('tos:!8;', p), false);
  p.src4 = 0x0a000001;
  p.dst4 = 0x0a000001;
  assert.equal(matches('sameip;', p), true);
  p.dst4 = 0x0a000002;
  assert.equal(matches('sameip;', p), false);
  const v6 = new Packet();
  v6.ipVersion = 6;
  v6.srcAddr[15] = 1;
  v6.dstAddr[15] = 1;
  assert.equal(matches('sameip;', v6), true);
  v6.dstAddr[0] = 0x20;
  assert.equal(matches('sameip;', v6), false);
});

test('ip_proto numbers and names', () => {
  const p = tcpPacket(TcpFlag.SYN);
  assert.equal(matches('ip_proto:6;', p), true);
  assert.equal(matches('ip_proto:TCP;', p), true);
  assert.equal(matches('ip_proto:!6;', p), false);
  assert.equal(matches('ip_proto:<7;', p), true);
  assert.equal(matches('ip_proto:>6;', p), false);
  p.ipProto = 103;
  assert.equal(matches('ip_proto:PIM;', p), true);
  assert.equal(errorOf('ip_proto:nosuch;'), "ip_proto: 'nosuch' is not a known protocol name (expected a number 0 to 255 or a name such as tcp, udp, gre, pim)");
});

test('ipopts names and any', () => {
  const p = ipv4Packet();
  assert.equal(matches('ipopts:any;', p), false);
  p.ipOptionsLength = 12;
  p.ipOptionsSeen = 1 << (131 & 0x1f); // loose source route, type 131
  assert.equal(matches('ipopts:lsrr;', p), true);
  assert.equal(matches('ipopts:ssrr;', p), false);
  assert.equal(matches('ipopts:any;', p), true);
  p.ipOptionsSeen = 1 << 7; // record route, type 7
  assert.equal(matches('ipopts:rr;', p), true);
  assert.match(errorOf('ipopts:foo;'), /^ipopts: 'foo' is not an IP option/);
});

test('tcp window seq ack', () => {
  const p = tcpPacket(TcpFlag.ACK);
  p.tcpWindow = 55808;
  p.tcpSeq = 0;
  p.tcpAck = 0xfffffffe;
  assert.equal(matches('window:55808;', p), true);
  assert.equal(matches('window:!55808;', p), false);
  assert.equal(matches('seq:0;', p), true);
  assert.equal(matches('ack:4294967294;', p), true);
  assert.equal(matches('ack:>4294967293;', p), true);
  assert.equal(matches('ack:0;', p), false);
  assert.equal(matches('window:55808;', icmpPacket(8, 0)), false);
});

test('flags exact match', () => {
  assert.equal(matches('flags:S;', tcpPacket(TcpFlag.SYN)), true);
  assert.equal(matches('flags:S;', tcpPacket(TcpFlag.SYN | TcpFlag.ACK)), false);
  assert.equal(matches('flags:SA;', tcpPacket(TcpFlag.SYN | TcpFlag.ACK)), true);
  assert.equal(matches('flags:AS;', tcpPacket(TcpFlag.SYN | TcpFlag.ACK)), true);
  assert.equal(matches('flags:S;', icmpPacket(8, 0)), false);
});

test('flags plus any not', () => {
  const synAck = tcpPacket(TcpFlag.SYN | TcpFlag.ACK);
  assert.equal(matches('flags:S+;', synAck), true);
  assert.equal(matches('flags:+S;', synAck), true);
  assert.equal(matches('flags:SF+;', synAck), false);
  assert.equal(matches('flags:*SF;', synAck), true);
  assert.equal(matches('flags:*FR;', synAck), false);
  assert.equal(matches('flags:!S;', synAck), false);
  assert.equal(matches('flags:!SF;', synAck), true);
  assert.equal(matches('flags:!R;', synAck), true);
});

test('flags ignore list', () => {
  const ecnSyn = tcpPacket(TcpFlag.SYN | TcpFlag.CWR | TcpFlag.ECE);
  assert.equal(matches('flags:S;', ecnSyn), false);
  assert.equal(matches('flags:S,12;', ecnSyn), true);
  assert.equal(matches('flags:S,CE;', ecnSyn), true);
  assert.equal(matches('tcp.flags:S,CE;', ecnSyn), true);
  assert.equal(matches('flags:SEC;', ecnSyn), true);
});

test('flags zero means none', () => {
  assert.equal(matches('flags:0;', tcpPacket(0)), true);
  assert.equal(matches('flags:0;', tcpPacket(TcpFlag.ACK)), false);
  assert.equal(matches('flags:!0;', tcpPacket(TcpFlag.ACK)), true);
  assert.equal(errorOf('flags:SX;'), "flags: 'X' in 'SX' is not a TCP flag (expected letters of F S R P A U C E (or 0 for none) with one optional modifier +, * or !, then optionally ',' and flags to ignore)");
  assert.match(errorOf('flags:+*S;'), /^flags: '\+\*S' has more than one modifier/);
});

test('itype icode comparisons', () => {
  const echo = icmpPacket(8, 0);
  assert.equal(matches('itype:8;', echo), true);
  assert.equal(matches('itype:>10;', echo), false);
  assert.equal(matches('itype:7<>9;', echo), true);
  assert.equal(matches('icode:0;', echo), true);
  const unreachable = icmpPacket(3, 13);
  assert.equal(matches('itype:3; icode:>12;', unreachable), true);
  assert.equal(matches('itype:8;', tcpPacket(TcpFlag.SYN)), false);
  const v6echo = icmpPacket(128, 0);
  v6echo.ipVersion = 6;
  v6echo.ipProto = IpProto.ICMPV6;
  assert.equal(matches('itype:128;', v6echo), true);
});

test('icmp_id and icmp_seq on echo only', () => {
  const echo = icmpPacket(8, 0);
  echo.icmpId = 0;
  echo.icmpSeq = 7;
  assert.equal(matches('icmp_id:0; icmp_seq:7;', echo), true);
  assert.equal(matches('icmp_seq:8;', echo), false);
  const unreachable = icmpPacket(3, 1);
  assert.equal(matches('icmp_id:0;', unreachable), false);
});

test('dsize comparisons', () => {
  const p = tcpPacket(TcpFlag.ACK | TcpFlag.PSH);
  p.payloadLength = 350;
  assert.equal(matches('dsize:350;', p), true);
  assert.equal(matches('dsize:300<>400;', p), true);
  assert.equal(matches('dsize:350<>400;', p), false);
  assert.equal(matches('dsize:>128;', p), true);
  p.payloadLength = 0;
  assert.equal(matches('dsize:0;', p), true);
  assert.equal(errorOf('dsize:>70000;'), "dsize: '>70000' is above the maximum 65535");
  assert.equal(errorOf('dsize:>1; dsize:<9;'), "dsize: the rule gives 'dsize' more than once (a rule takes one)");
});

test('checksum keywords use decoder state', () => {
  const p = tcpPacket(TcpFlag.SYN);
  p.ipChecksum = ChecksumState.VALID;
  p.l4Checksum = ChecksumState.INVALID;
  assert.equal(matches('ipv4-csum:valid;', p), true);
  assert.equal(matches('ipv4-csum:invalid;', p), false);
  assert.equal(matches('tcpv4-csum:invalid;', p), true);
  assert.equal(matches('tcpv4-csum:valid;', p), false);
  assert.equal(matches('tcpv6-csum:invalid;', p), false);
  assert.equal(matches('udpv4-csum:invalid;', p), false);
  assert.equal(errorOf('ipv4-csum:ok;'), "ipv4-csum: 'ok' is not a checksum state (expected valid or invalid)");
});

// An IPv4 header (192.168.0.1 -> 192.168.0.199, ICMP) followed by an ICMP
// echo 08 00 f7 ff 00 00 00 00, whose checksum 0xf7ff is the complement of
// its only non-zero word 0x0800 (RFC 792, RFC 1071).
function checksumPacket(): Packet {
  const ip = [0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7];
  const icmp = [0x08, 0x00, 0xf7, 0xff, 0x00, 0x00, 0x00, 0x00];
  const p = new Packet();
  p.reset(new Uint8Array([...ip, ...icmp]), 0, 28, 101, 1);
  p.ipVersion = 4;
  p.l3Offset = 0;
  p.ipHeaderLength = 20;
  p.ipTotalLength = 28;
  p.ipProto = IpProto.ICMP;
  p.l4Offset = 20;
  return p;
}

test('checksum computed when unchecked', () => {
  const p = checksumPacket();
  // Fill in the header checksum, then break each checksum in turn.
  const bytes = p.bytes;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  bytes[10] = checksum >> 8;
  bytes[11] = checksum & 0xff;
  assert.equal(matches('ipv4-csum:valid;', p), true);
  assert.equal(matches('icmpv4-csum:valid;', p), true);
  bytes[27] = 1; // payload changed, ICMP checksum now wrong
  assert.equal(matches('icmpv4-csum:invalid;', p), true);
  bytes[8] = 0x3f; // TTL changed, header checksum now wrong
  assert.equal(matches('ipv4-csum:invalid;', p), true);
});

// The IPv4 header 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7
// carries the checksum 0xb861, worked out by hand with RFC 1071's sum.
test('ipv4 header checksum known value', () => {
  const header = new Uint8Array([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]);
  const p = new Packet();
  p.reset(header, 0, 20, 101, 1);
  p.ipVersion = 4;
  p.l3Offset = 0;
  p.ipHeaderLength = 20;
  assert.equal(matches('ipv4-csum:valid;', p), true);
  header[11] = 0x62;
  assert.equal(matches('ipv4-csum:valid;', p), false);
});
