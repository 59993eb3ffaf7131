import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChecksumState, IpProto, LinkType, TcpFlag } from '../core/packet.js';
import { decodeBytes, eventNames, ipv4Text, parseHexRows } from './test-support.js';

// Ethernet + IPv4 + TCP SYN, frame 1 of chrissanders/tcp_handshake.pcapng
// (see test/pcaps/SOURCES.md). Expected values from:
//   tshark -r tcp_handshake.pcapng -Y frame.number==1 -o ip.check_checksum:TRUE
//     -o tcp.check_checksum:TRUE -T fields -e ip.src -e ip.dst -e ip.ttl -e ip.id
//     -e ip.flags -e ip.checksum.status -e tcp.srcport -e tcp.dstport -e tcp.seq_raw
//     -e tcp.flags -e tcp.window_size_value -e tcp.options.mss_val
//     -e tcp.options.wscale.shift -e tcp.options.sack_perm -e tcp.checksum.status -e tcp.hdr_len
//   172.16.16.128 212.58.226.142 128 0x317f 0x02 1 2826 80 3691127924 0x0002 8192 1460 2 0402 1 32
const TCP_SYN = `
0000  00 05 5d 21 99 4c 00 21 6a 5b 7d 4a 08 00 45 00   ..]!.L.!j[}J..E.
0010  00 34 31 7f 40 00 80 06 55 eb ac 10 10 80 d4 3a   .41.@...U......:
0020  e2 8e 0b 0a 00 50 dc 02 24 74 00 00 00 00 80 02   .....P..$t......
0030  20 00 cf eb 00 00 02 04 05 b4 01 03 03 02 01 01    ...............
0040  04 02                                             ..
`;
const IP = 14;
const TCP = 34;

function synBytes(): Uint8Array {
  return parseHexRows(TCP_SYN);
}

test('ipv4 tcp syn fields match tshark', () => {
  const { p, ctx } = decodeBytes(synBytes());
  assert.equal(p.isInvalid, false);
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.ipVersion, 4);
  assert.equal(p.l3Offset, IP);
  assert.equal(ipv4Text(p.srcAddr), '172.16.16.128');
  assert.equal(ipv4Text(p.dstAddr), '212.58.226.142');
  assert.equal(p.src4, 0xac101080);
  assert.equal(p.ttl, 128);
  assert.equal(p.ipId, 0x317f);
  assert.equal(p.ipFlags, 0x2);
  assert.equal(p.isFragment, false);
  assert.equal(p.ipProto, IpProto.TCP);
  assert.equal(p.ipChecksum, ChecksumState.VALID);
  assert.equal(p.srcPort, 2826);
  assert.equal(p.dstPort, 80);
  assert.equal(p.tcpSeq, 3691127924);
  assert.equal(p.tcpFlags, TcpFlag.SYN);
  assert.equal(p.tcpWindow, 8192);
  assert.equal(p.tcpMss, 1460);
  assert.equal(p.tcpWindowScale, 2);
  assert.equal(p.tcpSackPermitted, true);
  assert.equal(p.hasTcpTimestamp, false);
  assert.equal(p.l4HeaderLength, 32);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(p.payloadLength, 0);
  assert.equal(ctx.stat('decoder.ipv4'), 1);
  assert.equal(ctx.stat('decoder.tcp'), 1);
  assert.equal(ctx.stat('decoder.ethernet'), 1);
});

test('ipv4 packet shorter than 20 bytes', () => {
  // Frame cut 19 bytes into the IPv4 header.
  const { p, ctx } = decodeBytes(synBytes().subarray(0, IP + 19));
  assert.deepEqual(eventNames(p), ['ipv4.pkt_too_small']);
  assert.equal(p.isInvalid, true);
  assert.equal(ctx.stat('decoder.event.ipv4.pkt_too_small'), 1);
  assert.equal(ctx.stat('decoder.invalid'), 1);
});

test('ipv4 version field not 4', () => {
  const bytes = synBytes();
  bytes[IP] = 0x55; // version 5, IHL 5
  const { p } = decodeBytes(bytes);
  assert.deepEqual(eventNames(p), ['ipv4.wrong_ip_version']);
  assert.equal(p.ipVersion, 0);
});

test('ipv4 header length below 20', () => {
  const bytes = synBytes();
  bytes[IP] = 0x44; // IHL 4 words = 16 bytes
  const { p } = decodeBytes(bytes);
  assert.deepEqual(eventNames(p), ['ipv4.hlen_too_small']);
});

test('ipv4 total length below header length', () => {
  const bytes = synBytes();
  bytes[IP + 3] = 0x10; // total length 16 < IHL 20
  const { p } = decodeBytes(bytes);
  assert.deepEqual(eventNames(p), ['ipv4.iplen_smaller_than_hlen']);
});

test('ipv4 total length past frame end', () => {
  const bytes = synBytes();
  bytes[IP + 3] = 0x40; // total length 64, the frame contains 52
  const { p } = decodeBytes(bytes);
  assert.deepEqual(eventNames(p), ['ipv4.trunc_pkt']);
  assert.equal(p.l4Offset, -1);
});

test('ipv4 bad header checksum', () => {
  const bytes = synBytes();
  bytes[IP + 10] = 0x00; // checksum 0x55eb -> 0x00eb
  const { p, ctx } = decodeBytes(bytes);
  assert.equal(p.ipChecksum, ChecksumState.INVALID);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(ctx.stat('decoder.ipv4_invalid_checksum'), 1);
});

test('ipv4 checksum mode none', () => {
  const bytes = synBytes();
  bytes[IP + 10] = 0x00;
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.equal(p.ipChecksum, ChecksumState.UNCHECKED);
  assert.equal(p.l4Checksum, ChecksumState.UNCHECKED);
});

test('ipv4 fragment skips layer 4', () => {
  const bytes = synBytes();
  bytes[IP + 6] = 0x20; // flags MF, offset 0
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.equal(p.isFragment, true);
  assert.equal(p.ipFlags, 0x1);
  assert.equal(p.l4Offset, -1);
  bytes[IP + 6] = 0x00;
  bytes[IP + 7] = 0x03; // offset 3 * 8 = 24 bytes
  const second = decodeBytes(bytes, LinkType.ETHERNET, 'none').p;
  assert.equal(second.isFragment, true);
  assert.equal(second.fragmentOffset, 24);
});

test('tcp data offset below 5', () => {
  const bytes = synBytes();
  bytes[TCP + 12] = 0x40; // data offset 4 words
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), ['tcp.invalid_optlen']);
  assert.equal(p.isInvalid, true);
});

test('tcp header length past segment', () => {
  const bytes = synBytes();
  bytes[TCP + 12] = 0xf0; // data offset 15 words = 60 bytes, segment has 32
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), ['tcp.hlen_too_small']);
});

test('tcp segment shorter than 20 bytes', () => {
  const bytes = synBytes().slice(0, TCP + 19);
  bytes[IP + 3] = 20 + 19; // IPv4 total length matches the cut frame
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), ['tcp.pkt_too_small']);
});

test('tcp option length zero', () => {
  const bytes = synBytes();
  bytes[TCP + 21] = 0x00; // MSS option length 0
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), ['tcp.opt_invalid_len']);
  assert.equal(p.isInvalid, false);
});

test('tcp option wrong length for kind', () => {
  const bytes = synBytes();
  bytes[TCP + 25] = 0x02; // window scale length 2 instead of 3; next NOP ends it
  bytes[TCP + 26] = 0x01;
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), ['tcp.opt_invalid_len']);
  assert.equal(p.tcpWindowScale, -1);
  assert.equal(p.tcpMss, 1460);
});

test('tcp sack option lengths', () => {
  const bytes = synBytes();
  // Options: NOP NOP SACK(5) len 2 (empty), then 8 bytes of NOP.
  bytes.set([0x01, 0x01, 0x05, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01], TCP + 20);
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), []);
  bytes[TCP + 23] = 0x05; // SACK len 5: not 2 plus a multiple of 8
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['tcp.opt_invalid_len']);
});

test('tcp option duplicate mss', () => {
  const bytes = synBytes();
  // Options 02 04 05 b4 | 01 03 03 02 | 01 01 04 02 -> MSS twice, no window scale
  bytes.set([0x02, 0x04, 0x05, 0xb4], TCP + 24);
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), ['tcp.opt_duplicate']);
});

test('tcp timestamp option', () => {
  const bytes = synBytes();
  // Options: NOP NOP TS(8) len 10 tsval 0x01020304 tsecr 0 -> 12 bytes.
  bytes.set([0x01, 0x01, 0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00], TCP + 20);
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.hasTcpTimestamp, true);
  assert.equal(p.tcpTsVal, 0x01020304);
  assert.equal(p.tcpTsEcr, 0);
  assert.equal(p.tcpMss, 0);
});

test('tcp bad checksum', () => {
  const bytes = synBytes();
  bytes[TCP + 16] = 0x00; // checksum 0xcfeb -> 0x00eb
  const { p, ctx } = decodeBytes(bytes);
  assert.equal(p.l4Checksum, ChecksumState.INVALID);
  assert.equal(ctx.stat('decoder.tcp_invalid_checksum'), 1);
});

// Raw IPv4 with IHL 7 (8 option bytes), protocol 59 and no payload; the
// tests replace the options at offset 20.
const IPV4_WITH_OPTIONS = `
0000  47 00 00 1c 00 01 00 00 40 3b 00 00 c0 00 02 01   G.......@;......
0010  c6 33 64 01 01 01 01 01 01 01 01 01               .3d.........
`;

function decodeOptions(options: number[]): string[] {
  const bytes = parseHexRows(IPV4_WITH_OPTIONS);
  bytes.set(options, 20);
  const { p } = decodeBytes(bytes, LinkType.RAW, 'none');
  return eventNames(p);
}

test('ipv4 options valid', () => {
  // Router alert (148, len 4), NOP, NOP, EOL, pad.
  assert.deepEqual(decodeOptions([0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00]), []);
  // Record route: len 7, pointer 4, one address; EOL.
  assert.deepEqual(decodeOptions([0x07, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]), []);
  // Timestamp: len 8, pointer 9 (after one 4-byte record), flag 0.
  assert.deepEqual(decodeOptions([0x44, 0x08, 0x09, 0x00, 0x00, 0x00, 0x00, 0x01]), []);
});

test('ipv4 options seen bits', () => {
  const bytes = parseHexRows(IPV4_WITH_OPTIONS);
  bytes.set([0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01], 20);
  const { p } = decodeBytes(bytes, LinkType.RAW, 'none');
  assert.equal(p.ipOptionsOffset, 20);
  assert.equal(p.ipOptionsLength, 8);
  assert.equal(p.ipOptionsSeen, 1 << (148 & 0x1f));
});

test('ipv4 option length below 2', () => {
  const bytes = parseHexRows(IPV4_WITH_OPTIONS);
  bytes.set([0x94, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], 20);
  const { p } = decodeBytes(bytes, LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), ['ipv4.opt_invalid_len']);
  assert.equal(p.isInvalid, true);
});

test('ipv4 bad option keeps decoding', () => {
  // Two router alerts of length 6 (must be 4): both fail, the packet is
  // invalid, and the layer above is still decoded.
  const bytes = new Uint8Array(20 + 12 + 8);
  bytes.set(parseHexRows(IPV4_WITH_OPTIONS).subarray(0, 20));
  bytes[0] = 0x48; // IHL 8: 12 option bytes
  bytes[3] = 40;
  bytes[9] = 17; // UDP
  bytes.set([0x94, 0x06, 0, 0, 0, 0, 0x94, 0x06, 0, 0, 0, 0], 20);
  bytes.set([0x13, 0x88, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00], 32); // UDP 5000 -> 53, length 8
  const { p, ctx } = decodeBytes(bytes, LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), ['ipv4.opt_pad_required', 'ipv4.opt_invalid_len', 'ipv4.opt_invalid_len']);
  assert.equal(p.isInvalid, true);
  assert.equal(p.dstPort, 53);
  assert.equal(ctx.stat('decoder.event.ipv4.opt_invalid_len'), 2);
});

test('ipv4 option past header end', () => {
  // Record route at byte 4 claims 8 bytes, 4 remain.
  assert.deepEqual(decodeOptions([0x01, 0x01, 0x01, 0x01, 0x07, 0x08, 0x04, 0x00]), ['ipv4.opt_invalid_len']);
});

test('ipv4 option cut by area end', () => {
  // Seven NOPs, then a router alert type with no room for its length.
  assert.deepEqual(decodeOptions([0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x94]), ['ipv4.opt_eol_required']);
});

test('ipv4 option duplicate', () => {
  assert.deepEqual(decodeOptions([0x94, 0x04, 0x00, 0x00, 0x94, 0x04, 0x00, 0x00]), ['ipv4.opt_duplicate']);
});

test('ipv4 option unknown type', () => {
  assert.deepEqual(decodeOptions([0x1e, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), ['ipv4.opt_invalid']);
});

test('ipv4 option bad length for type', () => {
  // Router alert must be 4 bytes long.
  assert.deepEqual(decodeOptions([0x94, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), ['ipv4.opt_invalid_len']);
});

test('ipv4 route option bad pointer', () => {
  // Record route pointer 5: not on a 4-byte step.
  assert.deepEqual(decodeOptions([0x07, 0x07, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00]), ['ipv4.opt_malformed']);
});

test('ipv4 timestamp option bad pointer', () => {
  // Flag 1 (address and timestamp, 8-byte records): pointer 9 is mid-record.
  assert.deepEqual(decodeOptions([0x44, 0x08, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00]), ['ipv4.opt_malformed']);
});

test('ipv4 options area not multiple of 8', () => {
  // IHL 6: a 4-byte options area holding one router alert.
  const bytes = parseHexRows(IPV4_WITH_OPTIONS).subarray(0, 24);
  bytes[0] = 0x46;
  bytes[3] = 24;
  bytes.set([0x94, 0x04, 0x00, 0x00], 20);
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.RAW, 'none').p), ['ipv4.opt_pad_required']);
});

test('ipv4 unassigned protocol', () => {
  const bytes = parseHexRows(IPV4_WITH_OPTIONS);
  bytes[0] = 0x45;
  bytes[3] = 20;
  bytes[9] = 200; // protocol 200, unassigned
  const { p } = decodeBytes(bytes.subarray(0, 20), LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), ['ipv4.unknown_protocol']);
});

test('ipv4 carrying icmpv6', () => {
  const bytes = parseHexRows(IPV4_WITH_OPTIONS);
  bytes[0] = 0x45;
  bytes[3] = 28;
  bytes[9] = 58; // ICMPv6 inside IPv4
  const { p } = decodeBytes(bytes, LinkType.RAW, 'none');
  assert.deepEqual(eventNames(p), ['ipv4.icmpv6']);
});
