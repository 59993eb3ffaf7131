import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChecksumState, IpProto, LinkType } from '../core/packet.js';
import { decodeBytes, eventNames, parseHexRows } from './test-support.js';

// Ethernet + IPv6 + ICMPv6 neighbor solicitation, frame 1 of
// chrissanders/icmpv6_neighbor_solicitation.pcapng. Expected values from:
//   tshark -r icmpv6_neighbor_solicitation.pcapng -Y frame.number==1
//     -T fields -e ipv6.src -e ipv6.dst -e ipv6.hlim -e icmpv6.type -e icmpv6.code -e icmpv6.checksum.status
//   2001:db8:1:2::1003 ff02::1:ff00:1000 255 135 0 1
const NEIGHBOR_SOLICITATION = `
0000  33 33 ff 00 10 00 00 0c 29 2f 80 31 86 dd 60 00   33......)/.1..\`.
0010  00 00 00 20 3a ff 20 01 0d b8 00 01 00 02 00 00   ... :. .........
0020  00 00 00 00 10 03 ff 02 00 00 00 00 00 00 00 00   ................
0030  00 01 ff 00 10 00 87 00 44 b7 00 00 00 00 20 01   ........D..... .
0040  0d b8 00 01 00 02 00 00 00 00 00 00 10 00 01 01   ................
0050  00 0c 29 2f 80 31                                 ..)/.1
`;

test('ipv6 icmpv6 fields match tshark', () => {
  const { p, ctx } = decodeBytes(parseHexRows(NEIGHBOR_SOLICITATION));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.ipVersion, 6);
  assert.equal(p.l3Offset, 14);
  assert.deepEqual([...p.srcAddr], [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0x10, 0x03]);
  assert.deepEqual([...p.dstAddr], [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0x10, 0]);
  assert.equal(p.ttl, 255);
  assert.equal(p.ipProto, IpProto.ICMPV6);
  assert.equal(p.ipHeaderLength, 40);
  assert.equal(p.ipTotalLength, 72);
  assert.equal(p.icmpType, 135);
  assert.equal(p.icmpCode, 0);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(ctx.stat('decoder.ipv6'), 1);
  assert.equal(ctx.stat('decoder.icmpv6'), 1);
});

test('icmpv6 bad checksum', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 40 + 2] = 0x00; // checksum 0x44b7 -> 0x00b7
  const { p, ctx } = decodeBytes(bytes);
  assert.equal(p.l4Checksum, ChecksumState.INVALID);
  assert.equal(ctx.stat('decoder.icmpv6_invalid_checksum'), 1);
});

test('ipv6 version field not 6', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14] = 0x40; // version 4 under ethertype 0x86dd
  assert.deepEqual(eventNames(decodeBytes(bytes).p), ['ipv6.wrong_ip_version']);
});

test('ipv6 packet shorter than 40 bytes', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION).subarray(0, 14 + 39);
  assert.deepEqual(eventNames(decodeBytes(bytes).p), ['ipv6.pkt_too_small']);
});

test('ipv6 payload length past frame end', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 5] = 0x21; // payload length 33, the frame contains 32
  assert.deepEqual(eventNames(decodeBytes(bytes).p), ['ipv6.trunc_pkt']);
});

test('icmpv6 unassigned type', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 40] = 50; // type 50 is unassigned
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv6.unassigned_type']);
});

test('icmpv6 reserved types', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 40] = 127; // reserved for expansion of error messages
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv6.unknown_type']);
  bytes[14 + 40] = 255; // in the unassigned range 202-255
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv6.unassigned_type']);
});

test('icmpv6 unknown code', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 41] = 1; // neighbor solicitation has only code 0
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv6.unknown_code']);
});

test('icmpv6 experimentation type', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 40] = 200; // private experimentation (RFC 4443 section 2.1)
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv6.experimentation_type']);
});

test('icmpv6 mld with hop limit 255', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 40] = 131; // MLD report; the hop limit stays 255
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv6.mld_message_with_invalid_hl']);
});

test('icmpv6 error too short for inner header', () => {
  const bytes = parseHexRows(NEIGHBOR_SOLICITATION);
  bytes[14 + 40] = 1; // destination unreachable; 24 bytes follow, not 40
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['icmpv6.ipv6_trunc_pkt']);
});

/**
 * Raw IPv6 (2001:db8::1 -> 2001:db8::2, hop limit 64) whose payload is
 * `chain`: extension headers written by each test. The first next header
 * is `first`.
 */
function ipv6With(first: number, chain: number[]): Uint8Array {
  const header = parseHexRows(`
0000  60 00 00 00 00 00 00 40 20 01 0d b8 00 00 00 00   \`......@ .......
0010  00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00   ........ .......
0020  00 00 00 00 00 00 00 02                           ........
`);
  const bytes = new Uint8Array(40 + chain.length);
  bytes.set(header);
  bytes.set(chain, 40);
  bytes[4] = chain.length >> 8;
  bytes[5] = chain.length & 0xff;
  bytes[6] = first;
  return bytes;
}

function chainEvents(first: number, chain: number[]): string[] {
  return eventNames(decodeBytes(ipv6With(first, chain), LinkType.RAW, 'none').p);
}

// Hop-by-hop with router alert (type 5, len 2) and PadN(0): 8 bytes, next 59.
const HOP_ROUTER_ALERT = [59, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00];

test('ipv6 hop-by-hop router alert', () => {
  const { p } = decodeBytes(ipv6With(0, HOP_ROUTER_ALERT), LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), ['ipv6.zero_len_padn']);
  assert.equal(p.ipHeaderLength, 48);
  assert.equal(p.ipProto, IpProto.NONE);
});

test('ipv6 hop-by-hop only padding', () => {
  assert.deepEqual(chainEvents(0, [59, 0, 0x01, 0x04, 0, 0, 0, 0]), ['ipv6.hopopts_only_padding']);
});

test('ipv6 destination options only padding', () => {
  assert.deepEqual(chainEvents(60, [59, 0, 0x01, 0x04, 0, 0, 0, 0]), ['ipv6.dstopts_only_padding']);
});

test('ipv6 hop-by-hop unknown option', () => {
  // Option type 0x1e with 4 bytes of data.
  assert.deepEqual(chainEvents(0, [59, 0, 0x1e, 0x04, 0, 0, 0, 0]), ['ipv6.hopopts_unknown_opt']);
});

test('ipv6 destination options unknown option', () => {
  assert.deepEqual(chainEvents(60, [59, 0, 0x1e, 0x04, 0, 0, 0, 0]), ['ipv6.dstopts_unknown_opt']);
});

test('ipv6 option length past header', () => {
  // PadN claims 9 bytes of data, 4 remain.
  assert.deepEqual(chainEvents(0, [59, 0, 0x01, 0x09, 0, 0, 0, 0]), ['ipv6.exthdr_invalid_optlen']);
});

test('ipv6 duplicate hop-by-hop header', () => {
  assert.deepEqual(chainEvents(0, [0, 0, 0x05, 0x02, 0, 0, 0x01, 0x00, 59, 0, 0x05, 0x02, 0, 0, 0x01, 0x00]), [
    'ipv6.zero_len_padn',
    'ipv6.exthdr_dupl_hh',
  ]);
});

test('ipv6 third destination options header', () => {
  // Destination options: router alert (5, len 2) and two Pad1; `next` follows.
  const dstopts = (next: number): number[] => [next, 0, 0x05, 0x02, 0, 0, 0x00, 0x00];
  // Two are allowed (before a routing header and before the upper layer).
  assert.deepEqual(chainEvents(60, [...dstopts(60), ...dstopts(59)]), []);
  assert.deepEqual(chainEvents(60, [...dstopts(60), ...dstopts(60), ...dstopts(59)]), ['ipv6.exthdr_dupl_dh']);
});

test('ipv6 extension header past payload', () => {
  // Hop-by-hop length 1 = 16 bytes, only 8 present.
  assert.deepEqual(chainEvents(0, [59, 1, 0x05, 0x02, 0, 0, 0x01, 0x00]), ['ipv6.trunc_exthdr']);
});

test('ipv6 routing header type 0', () => {
  // Routing header: next 59, length 0, type 0, segments left 0, reserved.
  assert.deepEqual(chainEvents(43, [59, 0, 0, 0, 0, 0, 0, 0]), ['ipv6.rh_type_0']);
});

test('ipv6 duplicate routing header', () => {
  assert.deepEqual(chainEvents(43, [43, 0, 2, 0, 0, 0, 0, 0, 59, 0, 2, 0, 0, 0, 0, 0]), ['ipv6.exthdr_dupl_rh']);
});

test('ipv6 fragment header fields', () => {
  // Fragment: next 17, reserved 0, offset 185 (1480 bytes), M=1, id 0x12345678;
  // then 8 bytes of fragment data.
  const { p } = decodeBytes(ipv6With(44, [17, 0, 0x05, 0xc9, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4, 5, 6, 7, 8]), LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.isFragment, true);
  assert.equal(p.fragmentOffset, 1480);
  assert.equal(p.ipFlags, 1);
  assert.equal(p.ipId, 0x12345678);
  assert.equal(p.ipProto, IpProto.UDP);
  assert.equal(p.ipHeaderLength, 48);
  assert.equal(p.l4Offset, -1);
});

test('ipv6 fragment reserved field set', () => {
  assert.deepEqual(chainEvents(44, [59, 1, 0x00, 0x01, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8]), ['ipv6.fh_non_zero_reserved_field']);
});

test('ipv6 fragment length not multiple of 8', () => {
  assert.deepEqual(chainEvents(44, [59, 0, 0x00, 0x01, 0, 0, 0, 1, 1, 2, 3]), ['ipv6.frag_invalid_length']);
});

test('ipv6 atomic fragment', () => {
  // Offset 0 and M=0: the header is useless (RFC 6946).
  assert.deepEqual(chainEvents(44, [59, 0, 0, 0, 0, 0, 0, 1]), ['ipv6.exthdr_useless_fh']);
});

test('ipv6 atomic fragment with nothing after', () => {
  // Atomic fragment header (next header 6, TCP) ending the datagram: the
  // TCP header that should follow has not even 2 bytes.
  assert.deepEqual(chainEvents(44, [6, 0, 0, 0, 0, 0, 0, 1]), ['ipv6.exthdr_useless_fh', 'ipv6.trunc_exthdr']);
});

test('ipv6 duplicate fragment header', () => {
  assert.deepEqual(chainEvents(44, [44, 0, 0, 0, 0, 0, 0, 1, 59, 0, 0, 0, 0, 0, 0, 1]), [
    'ipv6.exthdr_useless_fh',
    'ipv6.exthdr_dupl_fh',
  ]);
});

test('ipv6 ah reserved not zero', () => {
  // AH: next 59, payload length 1 ((1+2)*4 = 12 bytes), reserved 0x0001, SPI, sequence.
  assert.deepEqual(chainEvents(51, [59, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]), ['ipv6.exthdr_ah_res_not_null']);
});

test('ipv6 duplicate ah', () => {
  assert.deepEqual(chainEvents(51, [51, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 59, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]), ['ipv6.exthdr_dupl_ah']);
});

test('ipv6 data after no next header', () => {
  assert.deepEqual(chainEvents(59, [1, 2, 3, 4]), ['ipv6.data_after_none_header']);
});

test('ipv6 carrying icmpv4', () => {
  assert.deepEqual(chainEvents(1, [8, 0, 0, 0, 0, 0, 0, 0]), ['ipv6.icmpv4']);
});

test('ipv6 unknown next header', () => {
  assert.deepEqual(chainEvents(150, [0, 0, 0, 0]), ['ipv6.unknown_next_header']);
});

test('ipv4 in ipv6 too small', () => {
  assert.deepEqual(chainEvents(4, [0x45, 0, 0, 0]), ['ipv6.ipv4_in_ipv6_too_small']);
});

test('ipv4 in ipv6 wrong version', () => {
  const inner = new Array<number>(20).fill(0);
  inner[0] = 0x65;
  assert.deepEqual(chainEvents(4, inner), ['ipv6.ipv4_in_ipv6_wrong_version']);
});

test('ipv6 in ipv6 too small', () => {
  assert.deepEqual(chainEvents(41, [0x60, 0, 0, 0]), ['ipv6.ipv6_in_ipv6_too_small']);
});

test('ipv6 in ipv6 tunnel', () => {
  const inner = ipv6With(59, []);
  inner[23] = 0x03; // inner source 2001:db8::3
  const { p, ctx } = decodeBytes(ipv6With(41, [...inner]), LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.tunnelDepth, 1);
  assert.equal(p.outerL3Offset, 0);
  assert.equal(p.l3Offset, 40);
  assert.equal(p.srcAddr[15], 3);
  assert.equal(ctx.stat('decoder.ipv6_in_ipv6'), 1);
  assert.equal(ctx.stat('decoder.ipv6'), 2);
});

// IPv6 + routing header type 0 (segments left 2) + TCP, zeek's
// testing/btest/Traces/chksums/ip6-route0-tcp-good-chksum.pcap:
//   tshark -r ip6-route0-tcp-good-chksum.pcap -o tcp.check_checksum:TRUE -T fields
//     -e ipv6.routing.type -e ipv6.routing.segleft -e tcp.checksum.status
//   0 2 1
// The pseudo-header takes the last listed address, 2001:78:1:32::2.
const ROUTE0_TCP = `
0000  ff ff ff ff ff ff 00 00 00 00 00 00 86 dd 60 00   ..............\`.
0010  00 00 00 3c 2b 40 20 01 04 f8 00 04 00 07 02 e0   ...<+@ .........
0020  81 ff fe 52 ff ff 20 01 04 f8 00 04 00 07 02 e0   ...R.. .........
0030  81 ff fe 52 9a 6b 06 04 00 02 00 00 00 00 20 01   ...R.k........ .
0040  00 78 00 01 00 32 00 00 00 00 00 00 00 01 20 01   .x...2........ .
0050  00 78 00 01 00 32 00 00 00 00 00 00 00 02 75 30   .x...2........u0
0060  00 50 00 00 00 00 00 00 00 00 50 02 20 00 51 7e   .P........P. .Q~
0070  00 00                                             ..
`;

test('tcp checksum after routing header', () => {
  const { p } = decodeBytes(parseHexRows(ROUTE0_TCP));
  assert.deepEqual(eventNames(p), ['ipv6.rh_type_0']);
  assert.equal(p.ipProto, IpProto.TCP);
  assert.equal(p.dstPort, 80);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
});

// IPv6 + destination options with a home address option + UDP, zeek's
// ip6-hoa-udp-good-chksum.pcap:
//   tshark -r ip6-hoa-udp-good-chksum.pcap -o udp.check_checksum:TRUE -T fields
//     -e ipv6.opt.type -e udp.checksum.status
//   0x01,0xc9 1
// The pseudo-header source is the home address, 2001:78:1:32::1.
const HOME_ADDRESS_UDP = `
0000  ff ff ff ff ff ff 00 00 00 00 00 00 86 dd 60 00   ..............\`.
0010  00 00 00 24 3c 40 20 01 04 f8 00 04 00 07 02 e0   ...$<@ .........
0020  81 ff fe 52 ff ff 20 01 04 f8 00 04 00 07 02 e0   ...R.. .........
0030  81 ff fe 52 9a 6b 11 02 01 02 00 00 c9 10 20 01   ...R.k........ .
0040  00 78 00 01 00 32 00 00 00 00 00 00 00 01 75 30   .x...2........u0
0050  32 c8 00 0c 43 de 58 58 58 58                     2...C.XXXX
`;

test('udp checksum with home address', () => {
  const { p } = decodeBytes(parseHexRows(HOME_ADDRESS_UDP));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.dstPort, 13000);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  const bytes = parseHexRows(HOME_ADDRESS_UDP);
  bytes[0x4d] = 0x03; // home address 2001:78:1:32::3: the checksum no longer matches
  assert.equal(decodeBytes(bytes).p.l4Checksum, ChecksumState.INVALID);
});
