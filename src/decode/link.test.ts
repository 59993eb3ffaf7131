import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChecksumState, IpProto, LinkType } from '../core/packet.js';
import { decodeBytes, eventNames, parseHexRows } from './test-support.js';

// Ethernet + IPv4 + UDP DNS query, frame 1 of chrissanders/udp_dnsrequest.pcapng:
//   tshark -r udp_dnsrequest.pcapng -Y frame.number==1 -o udp.check_checksum:TRUE
//     -o ip.check_checksum:TRUE -T fields -e udp.srcport -e udp.dstport
//     -e udp.length -e udp.checksum.status -e ip.checksum.status
//   1060 53 39 1 1
const DNS_QUERY = `
0000  00 12 80 4b c0 7f 00 16 d4 b8 59 b1 08 00 45 00   ...K......Y...E.
0010  00 3b 1f 27 00 00 80 11 d1 ae c0 a8 64 8a c0 a8   .;.'........d...
0020  64 01 04 24 00 35 00 27 6d 5a 18 0f 01 00 00 01   d..$.5.'mZ......
0030  00 00 00 00 00 00 09 77 69 72 65 73 68 61 72 6b   .......wireshark
0040  03 6f 72 67 00 00 01 00 01                        .org.....
`;
const UDP = 34;

test('udp dns query fields match tshark', () => {
  const { p, ctx } = decodeBytes(parseHexRows(DNS_QUERY));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.ipProto, IpProto.UDP);
  assert.equal(p.srcPort, 1060);
  assert.equal(p.dstPort, 53);
  assert.equal(p.payloadOffset, UDP + 8);
  assert.equal(p.payloadLength, 39 - 8);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(p.ipChecksum, ChecksumState.VALID);
  assert.equal(ctx.stat('decoder.udp'), 1);
});

test('udp bad checksum', () => {
  const bytes = parseHexRows(DNS_QUERY);
  bytes[UDP + 6] = 0x00; // checksum 0x6d5a -> 0x005a
  const { p, ctx } = decodeBytes(bytes);
  assert.equal(p.l4Checksum, ChecksumState.INVALID);
  assert.equal(ctx.stat('decoder.udp_invalid_checksum'), 1);
});

test('udp zero checksum over ipv4', () => {
  const bytes = parseHexRows(DNS_QUERY);
  bytes[UDP + 6] = 0; // RFC 768: no checksum computed
  bytes[UDP + 7] = 0;
  assert.equal(decodeBytes(bytes).p.l4Checksum, ChecksumState.VALID);
});

test('udp length above ip payload', () => {
  const bytes = parseHexRows(DNS_QUERY);
  bytes[UDP + 5] = 0x28; // UDP length 40, IP payload 39
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['udp.pkt_too_small']);
});

test('udp length below ip payload', () => {
  const bytes = parseHexRows(DNS_QUERY);
  bytes[UDP + 5] = 0x26; // UDP length 38, IP payload 39: the last byte is ignored
  const { p } = decodeBytes(bytes, LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.payloadLength, 30);
});

test('udp length below header', () => {
  const bytes = parseHexRows(DNS_QUERY);
  bytes[UDP + 5] = 0x07; // UDP length 7 < 8
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['udp.len_invalid']);
});

test('udp header cut short', () => {
  const bytes = parseHexRows(DNS_QUERY).slice(0, UDP + 7);
  bytes[14 + 3] = 27; // IPv4 total length 27: 7 bytes of UDP
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.ETHERNET, 'none').p), ['udp.hlen_too_small']);
});

test('ethernet frame shorter than 14 bytes', () => {
  const { p, ctx } = decodeBytes(parseHexRows(DNS_QUERY).subarray(0, 13));
  assert.deepEqual(eventNames(p), ['ethernet.pkt_too_small']);
  assert.equal(ctx.stat('decoder.event.ethernet.pkt_too_small'), 1);
});

test('ethernet unknown ethertype', () => {
  const bytes = parseHexRows(DNS_QUERY);
  bytes[12] = 0x12; // ethertype 0x1234
  bytes[13] = 0x34;
  const { p, ctx } = decodeBytes(bytes);
  assert.deepEqual(eventNames(p), ['ethernet.unknown_ethertype']);
  assert.equal(p.etherType, 0x1234);
  assert.equal(ctx.stat('decoder.unknown_ethertype'), 1);
});

test('ethernet 802.3 length field', () => {
  const bytes = parseHexRows(DNS_QUERY);
  bytes[12] = 0x00; // 802.3 length 0x2e: an LLC frame, not an error
  bytes[13] = 0x2e;
  assert.deepEqual(eventNames(decodeBytes(bytes).p), []);
});

// 802.1ad + 802.1Q + ARP, frame 1 of tcpdump's 802.1ad_QinQ.pcap:
//   tshark -r 802.1ad_QinQ.pcap -Y frame.number==1 -T fields -e vlan.id -e eth.type -e vlan.etype
//   2001 0x88a8 0x0806
// tshark prints the inner id; the outer tag's TCI 0x00c8 is VLAN 200.
const QINQ_ARP = `
0000  ff ff ff ff ff ff 00 20 d2 5a fb 3f 88 a8 00 c8   ....... .Z.?....
0010  81 00 07 d1 08 06 00 01 08 00 06 04 00 01 00 20   ............... 
0020  d2 5a fb 3f ac 15 4f 61 00 00 00 00 00 00 ac 15   .Z.?..Oa........
0030  4f 64 00 00 00 00 00 00 00 00 00 00 00 00 00 00   Od..............
`;

test('qinq vlan ids and arp', () => {
  const { p, ctx } = decodeBytes(parseHexRows(QINQ_ARP));
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.vlanCount, 2);
  assert.equal(p.vlanIds[0], 200);
  assert.equal(p.vlanIds[1], 2001);
  assert.equal(p.etherType, 0x0806);
  assert.equal(ctx.stat('decoder.vlan'), 1);
  assert.equal(ctx.stat('decoder.vlan_qinq'), 1);
  assert.equal(ctx.stat('decoder.arp'), 1);
});

test('vlan header cut short', () => {
  const { p } = decodeBytes(parseHexRows(QINQ_ARP).subarray(0, 17));
  assert.deepEqual(eventNames(p), ['vlan.header_too_small']);
});

test('vlan unknown inner type', () => {
  const bytes = parseHexRows(QINQ_ARP);
  bytes[20] = 0x12; // inner ethertype 0x1234
  bytes[21] = 0x34;
  assert.deepEqual(eventNames(decodeBytes(bytes).p), ['vlan.unknown_type']);
});

test('vlan too many layers', () => {
  // Four tags: 88a8 00c8 | 8100 07d1 | 8100 0001 | 8100 0002 | 0806
  const base = parseHexRows(QINQ_ARP);
  const bytes = new Uint8Array(base.length + 8);
  bytes.set(base.subarray(0, 20));
  bytes.set([0x81, 0x00, 0x00, 0x01, 0x81, 0x00, 0x00, 0x02], 20);
  bytes.set(base.subarray(20), 28);
  bytes[16] = 0x81;
  bytes[17] = 0x00;
  const { p } = decodeBytes(bytes);
  assert.deepEqual(eventNames(p), ['vlan.too_many_layers']);
  assert.equal(p.vlanCount, 3);
});

// The DNS query's IP layer behind other link headers.
function ipPart(): Uint8Array {
  return parseHexRows(DNS_QUERY).subarray(14);
}

test('raw ipv4 link type', () => {
  const { p, ctx } = decodeBytes(ipPart(), LinkType.RAW);
  assert.equal(p.dstPort, 53);
  assert.equal(ctx.stat('decoder.raw'), 1);
  assert.equal(decodeBytes(ipPart(), LinkType.IPV4).p.dstPort, 53);
});

test('raw link bad version', () => {
  const bytes = ipPart().slice();
  bytes[0] = 0x75; // version 7
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.RAW).p), ['ipraw.invalid_ip_version']);
});

test('linux sll header', () => {
  // packet type 0, ARPHRD_ETHER 1, address length 6, address, protocol 0x0800.
  const sll = parseHexRows('0000  00 00 00 01 00 06 00 16 d4 b8 59 b1 00 00 08 00   ..........Y.....');
  const bytes = new Uint8Array(16 + ipPart().length);
  bytes.set(sll);
  bytes.set(ipPart(), 16);
  const { p, ctx } = decodeBytes(bytes, LinkType.LINUX_SLL);
  assert.equal(p.l3Offset, 16);
  assert.equal(p.dstPort, 53);
  assert.equal(ctx.stat('decoder.sll'), 1);
  assert.deepEqual(eventNames(decodeBytes(bytes.subarray(0, 15), LinkType.LINUX_SLL).p), ['sll.pkt_too_small']);
});

test('linux sll2 header', () => {
  // protocol 0x0800, reserved, ifindex 2, ARPHRD_ETHER, packet type 0, address length 6, address.
  const sll2 = parseHexRows(`
0000  08 00 00 00 00 00 00 02 00 01 00 06 00 16 d4 b8   ................
0010  59 b1 00 00                                       Y...
`);
  const bytes = new Uint8Array(20 + ipPart().length);
  bytes.set(sll2);
  bytes.set(ipPart(), 20);
  const { p, ctx } = decodeBytes(bytes, LinkType.LINUX_SLL2);
  assert.equal(p.l3Offset, 20);
  assert.equal(p.dstPort, 53);
  assert.equal(ctx.stat('decoder.sll2'), 1);
  assert.equal(ctx.stat('decoder.sll'), 0);
});

test('null loopback both byte orders', () => {
  const bytes = new Uint8Array(4 + ipPart().length);
  bytes.set(ipPart(), 4);
  bytes.set([2, 0, 0, 0]); // AF_INET little-endian
  assert.equal(decodeBytes(bytes, LinkType.NULL).p.dstPort, 53);
  bytes.set([0, 0, 0, 2]); // AF_INET big-endian
  assert.equal(decodeBytes(bytes, LinkType.NULL).p.dstPort, 53);
  assert.equal(decodeBytes(bytes, LinkType.LOOP).p.dstPort, 53);
  bytes.set([0, 0, 0, 99]);
  assert.deepEqual(eventNames(decodeBytes(bytes, LinkType.NULL).p), ['ltnull.unsupported_type']);
  assert.deepEqual(eventNames(decodeBytes(bytes.subarray(0, 3), LinkType.NULL).p), ['ltnull.pkt_too_small']);
});

test('null loopback ipv6 families', () => {
  const v6 = parseHexRows(`
0000  60 00 00 00 00 00 3b 40 20 01 0d b8 00 00 00 00   \`.....;@ .......
0010  00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00   ........ .......
0020  00 00 00 00 00 00 00 02                           ........
`);
  for (const family of [24, 28, 30]) {
    const bytes = new Uint8Array(44);
    bytes.set(v6, 4);
    bytes[0] = family; // little-endian, as written on the capturing BSD host
    const { p } = decodeBytes(bytes, LinkType.NULL);
    assert.equal(p.ipVersion, 6, `family ${family}`);
  }
});

test('radiotap and 802.11 counted only', () => {
  // Radiotap v0, length 8, no fields; then an 802.11 beacon frame control.
  const bytes = parseHexRows('0000  00 00 08 00 00 00 00 00 80 00 00 00   ............');
  const { p, ctx } = decodeBytes(bytes, LinkType.IEEE802_11_RADIOTAP);
  assert.equal(p.l2Offset, 8);
  assert.equal(p.ipVersion, 0);
  assert.equal(ctx.stat('decoder.radiotap'), 1);
  assert.equal(ctx.stat('decoder.ieee80211'), 1);
});

test('unknown link type', () => {
  const { p, ctx } = decodeBytes(ipPart(), 147);
  assert.equal(p.isInvalid, true);
  assert.equal(ctx.stat('decoder.unknown_linktype'), 1);
});

// Ethernet + NSH (MD type 1) + IPv4 + UDP, suricata-verify's
// decode-nsh-type1/input.pcap:
//   tshark -r input.pcap -T fields -e nsh.length -e nsh.mdtype -e nsh.nextproto
//     -e ip.src -e ip.dst -e udp.srcport -e udp.dstport
//   6 1 1 10.0.0.1 10.0.0.2 52377 52464
const NSH_UDP = `
0000  52 54 00 00 00 01 52 54 00 00 00 02 89 4f 00 06   RT....RT.....O..
0010  01 01 00 00 01 02 00 00 00 01 00 00 00 02 00 00   ................
0020  00 03 00 00 00 04 45 00 00 22 28 44 40 00 40 11   ......E.."(D@.@.
0030  e9 6a 0a 00 00 01 0a 00 00 02 cc 99 cc f0 00 0e   .j..............
0040  00 00 64 61 74 61 0a 0a                           ..data..
`;

test('nsh md type 1 to ipv4', () => {
  const { p, ctx } = decodeBytes(parseHexRows(NSH_UDP), LinkType.ETHERNET, 'none');
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.l3Offset, 14 + 24);
  assert.equal(p.srcPort, 52377);
  assert.equal(p.dstPort, 52464);
  assert.equal(ctx.stat('decoder.nsh'), 1);
});

test('nsh bad header marks invalid', () => {
  const bytes = parseHexRows(NSH_UDP);
  bytes[15] = 0x05; // length 5 words: MD type 1 needs 6
  assert.equal(decodeBytes(bytes, LinkType.ETHERNET, 'none').p.isInvalid, true);
  const version = parseHexRows(NSH_UDP);
  version[14] = 0x40; // version 1
  assert.equal(decodeBytes(version, LinkType.ETHERNET, 'none').p.isInvalid, true);
});

// Cisco HDLC + IPv4 + TCP SYN, frame 1 of suricata-verify's
// decode-chdlc-01/hdlc-http_1tx.pcap:
//   tshark -r hdlc-http_1tx.pcap -c 1 -T fields -e chdlc.address -e chdlc.protocol
//     -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport
//   0x0f 0x0800 192.168.2.7 65.55.116.183 4938 80
const CHDLC_SYN = `
0000  0f 00 08 00 45 00 00 30 15 5a 40 00 80 06 6c d0   ....E..0.Z@...l.
0010  c0 a8 02 07 41 37 74 b7 13 4a 00 50 9c 34 09 6c   ....A7t..J.P.4.l
0020  00 00 00 00 70 02 40 00 11 47 00 00 02 04 05 b4   ....p.@..G......
0030  01 01 04 02                                       ....
`;

test('cisco hdlc to ipv4', () => {
  const { p, ctx } = decodeBytes(parseHexRows(CHDLC_SYN), 104);
  assert.deepEqual(eventNames(p), []);
  assert.equal(p.l3Offset, 4);
  assert.equal(p.srcPort, 4938);
  assert.equal(p.dstPort, 80);
  assert.equal(p.l4Checksum, ChecksumState.VALID);
  assert.equal(ctx.stat('decoder.chdlc'), 1);
  assert.deepEqual(eventNames(decodeBytes(parseHexRows(CHDLC_SYN).subarray(0, 3), 104).p), ['chdlc.pkt_too_small']);
});
