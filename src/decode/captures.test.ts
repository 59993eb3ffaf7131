import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openCaptureFile } from '../capture/open-capture-file.js';
import { ChecksumState, Packet } from '../core/packet.js';
import { DecodeContext } from './context.js';
import { decodePacket } from './decode-packet.js';
import { ipv4Text } from './test-support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Reads and decodes every packet of `path`, mapping each through `pick` before the next read. */
function decodeFile<T>(path: string, pick: (p: Packet) => T): { rows: T[]; ctx: DecodeContext } {
  const reader = openCaptureFile(path);
  const ctx = new DecodeContext('all');
  const p = new Packet();
  const rows: T[] = [];
  while (rows.length < 1000 && reader.next(p)) {
    decodePacket(p, ctx);
    rows.push(pick(p));
  }
  reader.close();
  return { rows, ctx };
}

// tshark -r test/pcaps/capture/tcp_handshake.pcapng -o tcp.check_checksum:TRUE -T fields
//   -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.seq_raw
//   -e tcp.ack_raw -e tcp.window_size_value -e tcp.options.mss_val -e tcp.checksum.status
// 172.16.16.128  212.58.226.142 2826 80   0x0002 3691127924 0          8192 1460 1
// 212.58.226.142 172.16.16.128  80   2826 0x0012 233779340  3691127925 5840 1406 1
// 172.16.16.128  212.58.226.142 2826 80   0x0010 3691127925 233779341  4218      1
test('tcp handshake capture matches tshark', () => {
  const { rows, ctx } = decodeFile(join(ROOT, 'test/pcaps/capture/tcp_handshake.pcapng'), (p) => [
    ipv4Text(p.srcAddr), ipv4Text(p.dstAddr), p.srcPort, p.dstPort, p.tcpFlags, p.tcpSeq, p.tcpAck, p.tcpWindow, p.tcpMss, p.l4Checksum,
  ]);
  const valid = ChecksumState.VALID;
  assert.deepEqual(rows, [
    ['172.16.16.128', '212.58.226.142', 2826, 80, 0x02, 3691127924, 0, 8192, 1460, valid],
    ['212.58.226.142', '172.16.16.128', 80, 2826, 0x12, 233779340, 3691127925, 5840, 1406, valid],
    ['172.16.16.128', '212.58.226.142', 2826, 80, 0x10, 3691127925, 233779341, 4218, 0, valid],
  ]);
  assert.equal(ctx.stat('decoder.pkts'), 3);
  assert.equal(ctx.stat('decoder.bytes'), 66 + 66 + 54);
  assert.equal(ctx.stat('decoder.tcp'), 3);
});

// tshark -r test/pcaps/decode/vxlan.pcap -T fields -e frame.number -e ip.src -e ip.dst
//   -e vxlan.vni -e icmp.type -e icmp.ident -e icmp.seq -e icmp.checksum.status
// 1  192.168.203.1,192.168.203.3 192.168.202.1,192.168.203.5 100 8 1292 1 1
// 2  192.168.202.1 192.168.203.1 100          (ARP inside VXLAN)
// 3  192.168.203.1 192.168.202.1 100          (ARP inside VXLAN)
// 4  192.168.202.1,192.168.203.5 192.168.203.1,192.168.203.3 100 0 1292 1 1
// 5..10 alternate echo request (8) and reply (0), sequence 2, 2, 3, 3, 4, 4
test('vxlan capture matches tshark', () => {
  const { rows, ctx } = decodeFile(join(ROOT, 'test/pcaps/decode/vxlan.pcap'), (p) =>
    p.etherType === 0x0800 ? [p.tunnelDepth, ipv4Text(p.srcAddr), ipv4Text(p.dstAddr), p.icmpType, p.icmpId, p.icmpSeq, p.l4Checksum] : [p.tunnelDepth, p.etherType],
  );
  const valid = ChecksumState.VALID;
  assert.deepEqual(rows, [
    [1, '192.168.203.3', '192.168.203.5', 8, 1292, 1, valid],
    [1, 0x0806],
    [1, 0x0806],
    [1, '192.168.203.5', '192.168.203.3', 0, 1292, 1, valid],
    [1, '192.168.203.3', '192.168.203.5', 8, 1292, 2, valid],
    [1, '192.168.203.5', '192.168.203.3', 0, 1292, 2, valid],
    [1, '192.168.203.3', '192.168.203.5', 8, 1292, 3, valid],
    [1, '192.168.203.5', '192.168.203.3', 0, 1292, 3, valid],
    [1, '192.168.203.3', '192.168.203.5', 8, 1292, 4, valid],
    [1, '192.168.203.5', '192.168.203.3', 0, 1292, 4, valid],
  ]);
  assert.equal(ctx.stat('decoder.vxlan'), 10);
  assert.equal(ctx.stat('decoder.arp'), 2);
  assert.equal(ctx.stat('decoder.invalid'), 0);
});
