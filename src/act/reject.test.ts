import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType } from '../core/packet.js';
import { Action } from '../detect/signature.js';
import { decodeBytes, parseHexRows } from '../decode/test-support.js';
import { MAX_RESPONSE_BYTES, RejectTarget, buildIcmpUnreachable, buildRejectResponse, buildTcpReset, rejectTargetOf } from './reject.js';

// 198.51.100.2:40000 -> 203.0.113.2:8080, seq 0x01020304, ack 0x0a0b0c0d,
// PSH+ACK, window 502, payload "GET /". Checksums are left zero: the
// builders never read them.
const IPV4_TCP_DATA = parseHexRows(`
0000  45 00 00 2d 00 01 40 00 40 06 00 00 c6 33 64 02   E..-..@.@....3d.
0010  cb 00 71 02 9c 40 1f 90 01 02 03 04 0a 0b 0c 0d   ..q..@..........
0020  50 18 01 f6 00 00 00 00 47 45 54 20 2f            P.......GET /
`);

// The same ports, a bare SYN with seq 0x01020304, window 64240.
const IPV4_TCP_SYN = parseHexRows(`
0000  45 00 00 28 00 01 40 00 40 06 00 00 c6 33 64 02   E..(..@.@....3d.
0010  cb 00 71 02 9c 40 1f 90 01 02 03 04 00 00 00 00   ..q..@..........
0020  50 02 fa f0 00 00 00 00                           P.......
`);

// 198.51.100.2:5353 -> 203.0.113.2:53 UDP, payload "abcd", IP id 0x1234,
// DF, valid IP checksum 0xc260, UDP checksum 0 (none, allowed in IPv4).
const IPV4_UDP = parseHexRows(`
0000  45 00 00 20 12 34 40 00 40 11 c2 60 c6 33 64 02   E... .4@.@..\`.3d.
0010  cb 00 71 02 14 e9 00 35 00 0c 00 00 61 62 63 64   ..q....5....abcd
`);

// 2001:db8:1::2 port 40000 -> 2001:db8:2::2 port 8080, the TCP segment of IPV4_TCP_DATA.
const IPV6_TCP_DATA = parseHexRows(`
0000  60 00 00 00 00 19 06 40 20 01 0d b8 00 01 00 00   \`......@ .......
0010  00 00 00 00 00 00 00 02 20 01 0d b8 00 02 00 00   ........ .......
0020  00 00 00 00 00 00 00 02 9c 40 1f 90 01 02 03 04   .........@......
0030  0a 0b 0c 0d 50 18 01 f6 00 00 00 00 47 45 54 20   ....P.......GET
0040  2f                                                /
`);

// 2001:db8:1::2 port 5353 -> 2001:db8:2::2 port 53 UDP, payload "abcd".
const IPV6_UDP = parseHexRows(`
0000  60 00 00 00 00 0c 11 40 20 01 0d b8 00 01 00 00   \`......@ .......
0010  00 00 00 00 00 00 00 02 20 01 0d b8 00 02 00 00   ........ .......
0020  00 00 00 00 00 00 00 02 14 e9 00 35 00 0c 00 00   ...........5....
0030  61 62 63 64                                       abcd
`);

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function respond(packet: Uint8Array, toSource: boolean, build = buildRejectResponse): Uint8Array {
  const { p } = decodeBytes(packet, LinkType.RAW, 'none');
  const out = new Uint8Array(MAX_RESPONSE_BYTES);
  const length = build(p, toSource, out);
  return out.slice(0, length);
}

describe('reject targets', () => {
  it('maps reject actions to targets', () => {
    assert.equal(rejectTargetOf(Action.REJECT), RejectTarget.SOURCE);
    assert.equal(rejectTargetOf(Action.REJECTSRC), RejectTarget.SOURCE);
    assert.equal(rejectTargetOf(Action.REJECTDST), RejectTarget.DESTINATION);
    assert.equal(rejectTargetOf(Action.REJECTBOTH), RejectTarget.BOTH);
    assert.equal(rejectTargetOf(Action.DROP), RejectTarget.NONE);
    assert.equal(rejectTargetOf(Action.ALERT), RejectTarget.NONE);
  });
});

describe('tcp reset', () => {
  // Worked by hand. IP header sum: 4500+0028+4006+cb00+7102+c633+6402 =
  // 2eb65, folded eb67, complement 1498. TCP: pseudo-header cb00+7102+c633
  // +6402+0006+0014 = 26651; header 1f90+9c40+0a0b+0c0d+0102+0309+5014
  // +01f6 = 127fd; total 38e4e, folded 8e51, complement 71ae.
  it('ipv4 reset to the sender', () => {
    assert.equal(hex(respond(IPV4_TCP_DATA, true)),
      '45000028' + '00000000' + '4006' + '1498' + 'cb007102' + 'c6336402'
      + '1f90' + '9c40' + '0a0b0c0d' + '01020309' + '5014' + '01f6' + '71ae' + '0000');
  });

  // Seq and ack are the packet's own: header words sum to 127f8, with the
  // pseudo-header 38e49, folded 8e4c, complement 71b3.
  it('ipv4 reset to the receiver', () => {
    assert.equal(hex(respond(IPV4_TCP_DATA, false)),
      '45000028' + '00000000' + '4006' + '1498' + 'c6336402' + 'cb007102'
      + '9c40' + '1f90' + '01020304' + '0a0b0c0d' + '5014' + '01f6' + '71b3' + '0000');
  });

  // No ACK on the SYN: seq 0, ack = seq + 1 for the SYN. Header words
  // 1f90+9c40+0102+0305+5014+faf0 = 20adb, plus 26651 = 4712c, folded
  // 7130, complement 8ecf.
  it('ipv4 reset to a bare syn', () => {
    assert.equal(hex(respond(IPV4_TCP_SYN, true)),
      '45000028' + '00000000' + '4006' + '1498' + 'cb007102' + 'c6336402'
      + '1f90' + '9c40' + '00000000' + '01020305' + '5014' + 'faf0' + '8ecf' + '0000');
  });

  // Pseudo-header: 2001+0db8+0001+0002 = 2dbc, 2001+0db8+0002+0002 = 2dbd,
  // next header 6 and length 20: 5b93. With the header words 127fd:
  // 18390, folded 8391, complement 7c6e.
  it('ipv6 reset to the sender', () => {
    assert.equal(hex(respond(IPV6_TCP_DATA, true)),
      '60000000' + '0014' + '06' + '40'
      + '20010db8000200000000000000000002' + '20010db8000100000000000000000002'
      + '1f90' + '9c40' + '0a0b0c0d' + '01020309' + '5014' + '01f6' + '7c6e' + '0000');
  });

  it('no reset for a reset', () => {
    const rst = IPV4_TCP_SYN.slice();
    rst[33] = 0x04;
    assert.equal(respond(rst, true).length, 0);
    assert.equal(respond(rst, false).length, 0);
  });

  it('sequence number wraps at 2^32', () => {
    const data = IPV4_TCP_DATA.slice();
    data.set([0xff, 0xff, 0xff, 0xfe], 24);
    const reset = respond(data, true, buildTcpReset);
    // 0xfffffffe + 5 payload bytes = 3 modulo 2^32.
    assert.equal(hex(reset.subarray(28, 32)), '00000003');
  });
});

describe('icmp unreachable', () => {
  // Worked by hand. The quote is the whole 32-byte packet. ICMP sum: 030a,
  // plus ffff for the quoted IP header (a valid header sums to ffff), plus
  // 14e9+0035+000c+6162+6364: 1dcf9, folded dcfa, complement 2305. Outer
  // IP: 4500+003c+4001+cb00+7102+c633+6402 = 2eb74, folded eb76,
  // complement 1489.
  it('ipv4 udp to the sender', () => {
    assert.equal(hex(respond(IPV4_UDP, true)),
      '4500003c' + '00000000' + '4001' + '1489' + 'cb007102' + 'c6336402'
      + '03' + '0a' + '2305' + '00000000' + hex(IPV4_UDP));
  });

  it('ipv6 udp to the sender', () => {
    const icmp = respond(IPV6_UDP, true);
    assert.equal(icmp.length, 40 + 8 + 52);
    assert.equal(hex(icmp.subarray(0, 8)), '60000000' + '003c' + '3a' + '40');
    assert.equal(hex(icmp.subarray(8, 24)), '20010db8000200000000000000000002');
    assert.equal(hex(icmp.subarray(24, 40)), '20010db8000100000000000000000002');
    assert.equal(icmp[40], 1);
    assert.equal(icmp[41], 1);
    assert.equal(hex(icmp.subarray(48)), hex(IPV6_UDP));
  });

  it('quote cut to 576 bytes', () => {
    const big = new Uint8Array(1000);
    big.set(IPV4_UDP.subarray(0, 28));
    big[2] = 0x03;
    big[3] = 0xe8;
    big[25] = 1000 - 20 - 256 * 3;
    big[24] = 3;
    const icmp = respond(big, true, buildIcmpUnreachable);
    assert.equal(icmp.length, 576);
    assert.equal(hex(icmp.subarray(2, 4)), '0240');
  });

  it('no error for an icmp error', () => {
    const unreachable = respond(IPV4_UDP, true);
    assert.equal(respond(unreachable, true).length, 0);
  });

  it('no error for a later fragment', () => {
    const fragment = IPV4_UDP.slice();
    // More fragments clear, offset 1 (8 bytes): a last fragment.
    fragment[6] = 0x00;
    fragment[7] = 0x01;
    assert.equal(respond(fragment, true).length, 0);
  });
});

describe('responses under tshark', () => {
  it('checksums verify', (t) => {
    const probe = spawnSync('tshark', ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status !== 0) {
      t.skip('tshark not installed');
      return;
    }
    const packets = [
      respond(IPV4_TCP_DATA, true), respond(IPV4_TCP_DATA, false), respond(IPV4_TCP_SYN, true),
      respond(IPV6_TCP_DATA, true), respond(IPV6_TCP_DATA, false),
      respond(IPV4_UDP, true), respond(IPV6_UDP, true), respond(IPV6_UDP, false),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'kapu-reject-'));
    try {
      const path = join(dir, 'responses.pcap');
      writeFileSync(path, rawIpPcap(packets));
      const result = spawnSync('tshark', [
        '-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
        '-T', 'fields', '-E', 'separator=,',
        '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'icmp.checksum.status',
        '-e', 'icmpv6.checksum.status', '-e', 'tcp.flags.str', '-e', 'icmp.code', '-e', 'icmpv6.code',
      ], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      // Status 1 is "good" in tshark's checksum fields (0 bad, 2 unverified).
      // The ICMPv4 row lists the outer and the quoted IP header.
      assert.deepEqual(lines, [
        '1,1,,,·······A·R··,,',
        '1,1,,,·······A·R··,,',
        '1,1,,,·······A·R··,,',
        ',1,,,·······A·R··,,',
        ',1,,,·······A·R··,,',
        '1,1,,1,,,10,',
        ',,,1,,,1',
        ',,,1,,,1',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Returns a pcap file (LINKTYPE_RAW, 101) holding `packets`. */
function rawIpPcap(packets: readonly Uint8Array[]): Uint8Array {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20);
  const parts: Buffer[] = [header];
  packets.forEach((packet, i) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(1_700_000_000 + i, 0);
    record.writeUInt32LE(packet.length, 8);
    record.writeUInt32LE(packet.length, 12);
    parts.push(record, Buffer.from(packet));
  });
  return Buffer.concat(parts);
}
