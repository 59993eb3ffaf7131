#!/usr/bin/env node
// Writes the defragmentation test captures of this folder:
//
//   overlap-udp.pcap  one UDP datagram over IPv4 and one over IPv6, each
//                     in four fragments sent out of order. The second
//                     fragment repeats the offset of the first with other
//                     bytes ("ATTACK..." over "benign..."), so the result
//                     depends on the overlap policy: bsd and windows keep
//                     the first bytes, linux and last take the second.
//
// Ethernet frames, documentation addresses only (198.51.100.1 ->
// 203.0.113.2, 2001:db8::1 -> 2001:db8::2), one frame every 10 ms from
// 2024-01-01T00:00:00Z. Run: node test/pcaps/defrag/make-captures.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const START_S = 1704067200;
const MAC_DST = [0x02, 0, 0, 0, 0, 0x02];
const MAC_SRC = [0x02, 0, 0, 0, 0, 0x01];

function ascii(text) {
  return Array.from(Buffer.from(text, 'latin1'));
}

function checksum16(bytes, initial = 0) {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** UDP header for `payload` from port 40000 to 5000; the checksum is left 0 (none, IPv4 only). */
function udpHeader(payload) {
  const length = 8 + payload.length;
  return [0x9c, 0x40, 0x13, 0x88, length >> 8, length & 0xff, 0, 0];
}

function ipv4Fragment(id, offsetBytes, hasMore, data) {
  const total = 20 + data.length;
  const units = offsetBytes >> 3;
  const h = [0x45, 0, total >> 8, total & 0xff, id >> 8, id & 0xff,
    (hasMore ? 0x20 : 0) | (units >> 8), units & 0xff, 64, 17, 0, 0,
    198, 51, 100, 1, 203, 0, 113, 2];
  const c = checksum16(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...MAC_DST, ...MAC_SRC, 0x08, 0x00, ...h, ...data];
}

const SRC6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

function ipv6Fragment(id, offsetBytes, hasMore, data) {
  const payload = 8 + data.length;
  const h = [0x60, 0, 0, 0, payload >> 8, payload & 0xff, 44, 64, ...SRC6, ...DST6];
  const fh = [17, 0, offsetBytes >> 8, (offsetBytes & 0xf8) | (hasMore ? 1 : 0),
    (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff];
  return [...MAC_DST, ...MAC_SRC, 0x86, 0xdd, ...h, ...fh, ...data];
}

/** UDP checksum over the IPv6 pseudo-header (RFC 8200 section 8.1), required for UDP over IPv6. */
function udp6Checksum(udp) {
  const pseudo = [...SRC6, ...DST6, 0, 0, udp.length >> 8, udp.length & 0xff, 0, 0, 0, 17];
  return checksum16([...pseudo, ...udp]);
}

/**
 * Builds the four fragments of one datagram: payload bytes 8-23 twice (first
 * "benign-payload-1", then "ATTACK-payload-2"), bytes 24-31, then offset 0
 * (UDP header and payload bytes 0-7), which completes it.
 */
function datagram(build, id, isIpv6) {
  const payload = ascii('datagram' + 'benign-payload-1' + '-the-end');
  const udp = [...udpHeader(payload), ...payload];
  if (isIpv6) {
    const c = udp6Checksum(udp);
    udp[6] = c >> 8;
    udp[7] = c & 0xff;
  }
  return [
    build(id, 16, true, udp.slice(16, 32)),
    build(id, 16, true, ascii('ATTACK-payload-2')),
    build(id, 32, false, udp.slice(32, 40)),
    build(id, 0, true, udp.slice(0, 16)),
  ];
}

function pcap(frames) {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts = [header];
  frames.forEach((frame, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(START_S, 0);
    record.writeUInt32LE(i * 10000, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    parts.push(record, Buffer.from(frame));
  });
  return Buffer.concat(parts);
}

const frames = [...datagram(ipv4Fragment, 0x1234, false), ...datagram(ipv6Fragment, 0x0abc1234, true)];
writeFileSync(join(HERE, 'overlap-udp.pcap'), pcap(frames));
