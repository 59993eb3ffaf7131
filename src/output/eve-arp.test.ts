import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBytes, parseHexRows } from '../decode/test-support.js';
import { buildArpEvent } from './eve-arp.js';
import { PktSrc } from './eve-format.js';
import type { EveContext } from './eve-header.js';
import { TimestampFormatter } from './eve-time.js';

const utc: EveContext = { time: new TimestampFormatter(0), ipsMode: false, ipv6Compress: false, ethernet: false, pcapFilename: null };

// ARP request: sender 98:90:96:a0:44:ea 192.168.169.4, target 0.0.0.0
// (tshark: "Who has 0.0.0.0? Tell 192.168.169.4").
const ARP_REQUEST = `
0000  00 00 00 00 00 03 98 90 96 a0 44 ea 08 06 00 01   ..........D.....
0010  08 00 06 04 00 01 98 90 96 a0 44 ea c0 a8 a9 04   ..........D.....
0020  00 00 00 00 00 00 00 00 00 00                     ..........
`;

test('arp event of a request', () => {
  const { p } = decodeBytes(parseHexRows(ARP_REQUEST));
  const event = JSON.parse(buildArpEvent(utc, p, PktSrc.WIRE) as string);
  assert.equal(event.event_type, 'arp');
  assert.equal(event.pcap_cnt, 1);
  assert.equal(event.src_ip, undefined);
  assert.deepEqual(event.arp, {
    hw_type: 'ethernet',
    proto_type: 'ipv4',
    opcode: 'request',
    src_mac: '98:90:96:a0:44:ea',
    src_ip: '192.168.169.4',
    dest_mac: '00:00:00:00:00:00',
    dest_ip: '0.0.0.0',
  });
});

test('arp event of a reply', () => {
  const bytes = parseHexRows(ARP_REQUEST);
  bytes[0x15] = 2;
  const { p } = decodeBytes(bytes);
  assert.equal(JSON.parse(buildArpEvent(utc, p, PktSrc.WIRE) as string).arp.opcode, 'reply');
});

test('arp event needs ipv4 address sizes', () => {
  const bytes = parseHexRows(ARP_REQUEST);
  // Protocol address length 16 (not IPv4): no event.
  bytes[0x13] = 16;
  assert.equal(buildArpEvent(utc, decodeBytes(bytes).p, PktSrc.WIRE), null);
  // Cut after the sender MAC: no event.
  assert.equal(buildArpEvent(utc, decodeBytes(parseHexRows(ARP_REQUEST).subarray(0, 28)).p, PktSrc.WIRE), null);
});
