import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkType, Packet } from '../core/packet.js';
import { DecodeContext } from '../decode/context.js';
import { decodePacket } from '../decode/decode-packet.js';
import { DecoderEvent } from '../decode/events.js';
import { ExceptionAction } from './flow-config.js';
import {
  DEFRAG_FRAGMENT_BYTES_ESTIMATE,
  DEFRAG_TRACKER_BYTES_ESTIMATE,
  Defragmenter,
  defaultDefragConfig,
  type DefragConfig,
} from './defrag.js';
import { decodeRaw, ipv4Fragment, ipv6Fragment, letters, type FragmentSpec } from './defrag-test-frames.js';

function setup(change: Partial<DefragConfig> = {}): { defrag: Defragmenter; ctx: DecodeContext } {
  return { defrag: new Defragmenter({ ...defaultDefragConfig(), ...change }), ctx: new DecodeContext('all') };
}

function v4(id: number, offsetBytes: number, hasMore: boolean, letter: string, n: number, extra: Partial<FragmentSpec> = {}): Uint8Array {
  return ipv4Fragment({ id, offsetBytes, hasMore, data: letters(letter, n), ...extra });
}

function v6(id: number, offsetBytes: number, hasMore: boolean, letter: string, n: number): Uint8Array {
  return ipv6Fragment({ id, offsetBytes, hasMore, data: letters(letter, n) });
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

test('defrag ipv4 in order', () => {
  const { defrag, ctx } = setup();
  assert.equal(defrag.handleFragment(decodeRaw(v4(12, 0, true, 'A', 8), ctx, 1_000_000, 1), ctx), null);
  assert.equal(defrag.handleFragment(decodeRaw(v4(12, 8, true, 'B', 8), ctx, 1_000_100, 2), ctx), null);
  const r = defrag.handleFragment(decodeRaw(v4(12, 16, false, 'C', 3), ctx, 1_000_200, 3), ctx);
  assert.notEqual(r, null);
  const p = r!;
  assert.equal(p.isDefragmented, true);
  assert.equal(p.isFragment, false);
  assert.equal(p.pcapCount, 3);
  assert.equal(p.timestampUs, 1_000_200);
  assert.equal(p.ipTotalLength, 39);
  assert.equal(p.ipHeaderLength, 20);
  assert.equal(p.ipFlags, 0);
  assert.equal(p.fragmentOffset, 0);
  assert.equal(text(p.bytes.subarray(20)), 'AAAAAAAABBBBBBBBCCC');
  // Header checksum updated for the new length and cleared offset.
  assert.equal(p.ipChecksum, 1);
  assert.equal(defrag.counters.ipv4Fragments, 3);
  assert.equal(defrag.counters.ipv4Reassembled, 1);
  assert.equal(defrag.activeTrackers, 0);
  assert.equal(defrag.heldFragments, 0);
});

test('defrag ipv4 reverse order', () => {
  const { defrag, ctx } = setup();
  assert.equal(defrag.handleFragment(decodeRaw(v4(12, 16, false, 'C', 3), ctx), ctx), null);
  assert.equal(defrag.handleFragment(decodeRaw(v4(12, 8, true, 'B', 8), ctx), ctx), null);
  const r = defrag.handleFragment(decodeRaw(v4(12, 0, true, 'A', 8), ctx), ctx);
  assert.equal(text(r!.bytes.subarray(20)), 'AAAAAAAABBBBBBBBCCC');
});

test('defrag ipv4 rebuilt udp decoded', () => {
  const { defrag, ctx } = setup();
  // UDP header: ports 1234 -> 53, length 8 + 12, checksum 0 (none).
  const udp = Uint8Array.from([0x04, 0xd2, 0x00, 0x35, 0x00, 0x14, 0x00, 0x00, ...letters('x', 12)]);
  defrag.handleFragment(decodeRaw(ipv4Fragment({ id: 5, offsetBytes: 0, hasMore: true, data: udp.subarray(0, 16), proto: 17 }), ctx), ctx);
  const r = defrag.handleFragment(decodeRaw(ipv4Fragment({ id: 5, offsetBytes: 16, hasMore: false, data: udp.subarray(16), proto: 17 }), ctx), ctx);
  assert.equal(r!.srcPort, 1234);
  assert.equal(r!.dstPort, 53);
  assert.equal(r!.payloadLength, 12);
});

test('defrag ipv6 header fields', () => {
  const ctx = new DecodeContext('all');
  // Offset 1448 (0x05a8), M set, identification 0xfacef0e1, next header UDP.
  const p = decodeRaw(ipv6Fragment({ id: 0xfacef0e1, offsetBytes: 1448, hasMore: true, data: letters('z', 16), proto: 17 }), ctx);
  assert.equal(p.isFragment, true);
  assert.equal(p.fragmentOffset, 1448);
  assert.equal(p.ipFlags & 1, 1);
  assert.equal(p.ipId, 0xfacef0e1);
  assert.equal(p.ipProto, 17);
  assert.equal(p.ipHeaderLength, 48);
  assert.equal(p.ipTotalLength, 40 + 8 + 16);
});

test('defrag ipv6 in order', () => {
  const { defrag, ctx } = setup();
  defrag.handleFragment(decodeRaw(v6(12, 0, true, 'A', 8), ctx), ctx);
  defrag.handleFragment(decodeRaw(v6(12, 8, true, 'B', 8), ctx), ctx);
  const r = defrag.handleFragment(decodeRaw(v6(12, 16, false, 'C', 3), ctx), ctx);
  assert.notEqual(r, null);
  const p = r!;
  // Payload length 19, next header ICMPv6 (58) in place of the fragment header.
  assert.equal((p.bytes[4]! << 8) | p.bytes[5]!, 19);
  assert.equal(p.bytes[6], 58);
  assert.equal(p.bytes.length, 40 + 19);
  assert.equal(text(p.bytes.subarray(40)), 'AAAAAAAABBBBBBBBCCC');
  assert.equal(defrag.counters.ipv6Fragments, 3);
  assert.equal(defrag.counters.ipv6Reassembled, 1);
});

test('defrag ipv6 with destination options first', () => {
  const { defrag, ctx } = setup();
  // Destination options header naming the fragment header (44), 8 bytes: PadN of 4.
  const dstOpts = Uint8Array.from([44, 0, 0x01, 0x04, 0, 0, 0, 0]);
  const first = ipv6Fragment({ id: 3, offsetBytes: 0, hasMore: true, data: letters('A', 8) }, dstOpts, 60);
  const last = ipv6Fragment({ id: 3, offsetBytes: 8, hasMore: false, data: letters('B', 8) }, dstOpts, 60);
  defrag.handleFragment(decodeRaw(first, ctx), ctx);
  const r = defrag.handleFragment(decodeRaw(last, ctx), ctx);
  assert.notEqual(r, null);
  const p = r!;
  assert.equal(p.bytes[6], 60);
  // The options header now names ICMPv6; payload = 8 options + 16 data.
  assert.equal(p.bytes[40], 58);
  assert.equal((p.bytes[4]! << 8) | p.bytes[5]!, 24);
  assert.equal(text(p.bytes.subarray(48)), 'AAAAAAAABBBBBBBB');
  assert.equal(p.ipProto, 58);
});

test('defrag vlan keeps datagrams apart', () => {
  const { defrag, ctx } = setup();
  const a = decodeRaw(v4(1, 0, true, 'A', 8), ctx);
  const b = decodeRaw(v4(1, 8, false, 'B', 8), ctx);
  a.vlanIds[0] = 1;
  a.vlanCount = 1;
  b.vlanIds[0] = 2;
  b.vlanCount = 1;
  assert.equal(defrag.handleFragment(a, ctx), null);
  assert.equal(defrag.handleFragment(b, ctx), null);
  assert.equal(defrag.activeTrackers, 2);
});

test('defrag ipv4 too large', () => {
  const { defrag, ctx } = setup();
  // 20 + 8183 * 8 + 71 = 65555 > 65535.
  const p = decodeRaw(v4(1, 8183 * 8, false, 'A', 71), ctx);
  assert.equal(defrag.handleFragment(p, ctx), null);
  assert.equal(p.hasEvent(DecoderEvent.IPV4_FRAG_PKT_TOO_LARGE), true);
  assert.equal(defrag.heldFragments, 0);
  assert.equal(ctx.eventCounts[DecoderEvent.IPV4_FRAG_PKT_TOO_LARGE], 1);
  // 20 + 65464 + 51 = 65535 is still allowed.
  const q = decodeRaw(v4(2, 8183 * 8, false, 'A', 51), ctx);
  defrag.handleFragment(q, ctx);
  assert.equal(q.hasEvent(DecoderEvent.IPV4_FRAG_PKT_TOO_LARGE), false);
  assert.equal(defrag.heldFragments, 1);
});

test('defrag ipv6 too large', () => {
  const { defrag, ctx } = setup();
  // 65528 + 8 = 65536 > 65535.
  const p = decodeRaw(v6(1, 65528, true, 'A', 8), ctx);
  defrag.handleFragment(p, ctx);
  assert.equal(p.hasEvent(DecoderEvent.IPV6_FRAG_PKT_TOO_LARGE), true);
  assert.equal(defrag.heldFragments, 0);
  const q = decodeRaw(v6(1, 65520, true, 'A', 8), ctx);
  defrag.handleFragment(q, ctx);
  assert.equal(q.hasEvent(DecoderEvent.IPV6_FRAG_PKT_TOO_LARGE), false);
});

test('defrag overlap event on fragment only', () => {
  const { defrag, ctx } = setup();
  defrag.handleFragment(decodeRaw(v4(7, 0, true, 'A', 16), ctx), ctx);
  const second = decodeRaw(v4(7, 8, false, 'B', 16), ctx);
  const r = defrag.handleFragment(second, ctx);
  assert.equal(second.hasEvent(DecoderEvent.IPV4_FRAG_OVERLAP), true);
  assert.equal(r!.hasEvent(DecoderEvent.IPV4_FRAG_OVERLAP), false);
  // bsd: the first fragment keeps offsets 8-16.
  assert.equal(text(r!.bytes.subarray(20)), 'A'.repeat(16) + 'B'.repeat(8));
});

test('defrag max frags reached', () => {
  const { defrag, ctx } = setup({ maxFrags: 2 });
  // A datagram of two fragments fits, and completing it frees both.
  defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), ctx), ctx);
  assert.notEqual(defrag.handleFragment(decodeRaw(v4(1, 8, false, 'B', 8), ctx), ctx), null);
  assert.equal(defrag.heldFragments, 0);

  defrag.handleFragment(decodeRaw(v4(2, 0, true, 'A', 8), ctx), ctx);
  defrag.handleFragment(decodeRaw(v4(3, 0, true, 'A', 8), ctx), ctx);
  const third = decodeRaw(v4(4, 0, true, 'A', 8), ctx);
  assert.equal(defrag.handleFragment(third, ctx), null);
  assert.equal(third.hasEvent(DecoderEvent.IPV4_FRAG_IGNORED), true);
  assert.equal(defrag.counters.maxFragsReached, 1);
  assert.equal(defrag.heldFragments, 2);

  const ipv6 = decodeRaw(v6(5, 0, true, 'A', 8), ctx);
  defrag.handleFragment(ipv6, ctx);
  assert.equal(ipv6.hasEvent(DecoderEvent.IPV6_FRAG_IGNORED), true);
  assert.equal(defrag.counters.maxFragsReached, 2);
  assert.equal(ctx.eventCounts[DecoderEvent.IPV6_FRAG_IGNORED], 1);
  assert.equal(defrag.activeTrackers, 2);
});

test('defrag trackers limit reuses oldest', () => {
  const { defrag, ctx } = setup({ trackers: 2 });
  defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), ctx, 1_000_000), ctx);
  defrag.handleFragment(decodeRaw(v4(2, 0, true, 'A', 8), ctx, 2_000_000), ctx);
  // Datagram 1 was updated last at 1 s, so the third datagram takes its tracker.
  const third = decodeRaw(v4(3, 0, true, 'A', 8), ctx, 3_000_000);
  assert.equal(defrag.handleFragment(third, ctx), null);
  assert.equal(third.eventCount, 0);
  assert.equal(defrag.counters.trackerReuse, 1);
  assert.equal(defrag.counters.maxTrackersReached, 0);
  assert.equal(defrag.activeTrackers, 2);
  assert.equal(defrag.heldFragments, 2);
  // Datagram 2 still completes; datagram 1 lost its first fragment.
  assert.notEqual(defrag.handleFragment(decodeRaw(v4(2, 8, false, 'B', 8), ctx, 3_000_000), ctx), null);
  assert.equal(defrag.handleFragment(decodeRaw(v4(1, 8, false, 'B', 8), ctx, 3_000_000), ctx), null);
});

test('defrag memcap reuses oldest tracker', () => {
  const hashBytes = 8;
  const frameBytes = 20 + 8;
  // Room for the hash table, one tracker and one fragment, not a second tracker.
  const memcapBytes = hashBytes + DEFRAG_TRACKER_BYTES_ESTIMATE + DEFRAG_FRAGMENT_BYTES_ESTIMATE + frameBytes;
  const { defrag, ctx } = setup({ hashSize: 1, memcapBytes });
  defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), ctx), ctx);
  assert.equal(defrag.memuseBytes, memcapBytes);
  defrag.handleFragment(decodeRaw(v4(2, 0, true, 'A', 8), ctx), ctx);
  assert.equal(defrag.exceptionAction, ExceptionAction.NONE);
  assert.equal(defrag.counters.trackerReuse, 1);
  assert.equal(defrag.activeTrackers, 1);
  assert.equal(defrag.memuseBytes, memcapBytes);
  // A second fragment of the only datagram finds no other tracker to drop.
  const more = decodeRaw(v4(2, 8, true, 'B', 8), ctx);
  assert.equal(defrag.handleFragment(more, ctx), null);
  assert.equal(more.hasEvent(DecoderEvent.IPV4_FRAG_IGNORED), true);
  assert.equal(defrag.counters.memcapPolicy[ExceptionAction.IGNORE], 1);
});

test('defrag memcap policy ips and ids', () => {
  // 100 bytes cannot hold the 8-byte hash and a 256-byte tracker.
  for (const isIps of [true, false]) {
    const { defrag, ctx } = setup({ hashSize: 1, memcapBytes: 100, isIps });
    const p = decodeRaw(v4(1, 0, true, 'A', 8), ctx);
    assert.equal(defrag.handleFragment(p, ctx), null);
    const action = isIps ? ExceptionAction.DROP_PACKET : ExceptionAction.IGNORE;
    assert.equal(defrag.exceptionAction, action);
    assert.equal(defrag.counters.memcapPolicy[action], 1);
    assert.equal(defrag.counters.maxTrackersReached, 1);
    assert.equal(defrag.activeTrackers, 0);
  }
});

test('defrag memcap policy pass packet', () => {
  const { defrag, ctx } = setup({ hashSize: 1, memcapBytes: 8, memcapPolicy: 'pass-packet', isIps: true });
  defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), ctx), ctx);
  assert.equal(defrag.exceptionAction, ExceptionAction.PASS_PACKET);
});

test('defrag memuse back after reassembly', () => {
  const { defrag, ctx } = setup({ hashSize: 4 });
  const base = defrag.memuseBytes;
  assert.equal(base, 4 * 8);
  defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), ctx), ctx);
  assert.equal(defrag.memuseBytes, base + DEFRAG_TRACKER_BYTES_ESTIMATE + DEFRAG_FRAGMENT_BYTES_ESTIMATE + 28);
  defrag.handleFragment(decodeRaw(v4(1, 8, false, 'B', 8), ctx), ctx);
  assert.equal(defrag.memuseBytes, base);
});

test('defrag timeout exact boundary', () => {
  // First fragment at 10.5 s with a 60 s timeout: the tracker lives until
  // 70.0 s (the whole second 10 plus 60), so 69.999999 s completes it.
  const { defrag, ctx } = setup({ timeoutS: 60 });
  defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), ctx, 10_500_000), ctx);
  const inTime = defrag.handleFragment(decodeRaw(v4(1, 8, false, 'B', 8), ctx, 69_999_999), ctx);
  assert.notEqual(inTime, null);

  const late = setup({ timeoutS: 60 });
  late.defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), late.ctx, 10_500_000), late.ctx);
  const atTimeout = late.defrag.handleFragment(decodeRaw(v4(1, 8, false, 'B', 8), late.ctx, 70_000_000), late.ctx);
  assert.equal(atTimeout, null);
  assert.equal(late.defrag.counters.timeouts, 1);
  // The late fragment starts a tracker of its own.
  assert.equal(late.defrag.activeTrackers, 1);
  assert.equal(late.defrag.heldFragments, 1);
});

test('defrag timeout frees other trackers', () => {
  const { defrag, ctx } = setup({ timeoutS: 5 });
  for (let id = 0; id < 4; id++) defrag.handleFragment(decodeRaw(v4(id, 0, true, 'A', 8), ctx, 1_000_000), ctx);
  assert.equal(defrag.activeTrackers, 4);
  defrag.handleFragment(decodeRaw(v4(99, 0, true, 'A', 8), ctx, 6_000_000), ctx);
  assert.equal(defrag.activeTrackers, 1);
  assert.equal(defrag.counters.timeouts, 4);
});

test('defrag duplicate after completion', () => {
  const { defrag, ctx } = setup();
  defrag.handleFragment(decodeRaw(v4(1, 0, true, 'A', 8), ctx), ctx);
  assert.notEqual(defrag.handleFragment(decodeRaw(v4(1, 8, false, 'B', 8), ctx), ctx), null);
  // A copy of the last fragment after completion starts a new datagram.
  const copy = decodeRaw(v4(1, 8, false, 'B', 8), ctx);
  assert.equal(defrag.handleFragment(copy, ctx), null);
  assert.equal(copy.hasEvent(DecoderEvent.IPV4_FRAG_OVERLAP), false);
  assert.equal(defrag.activeTrackers, 1);
});

test('defrag rebuilt packet keeps ethernet header', () => {
  const { defrag, ctx } = setup();
  const eth = (ip: Uint8Array) => Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, ...ip]);
  const first = new Packet();
  first.reset(eth(v4(1, 0, true, 'A', 8)), 1, 42, LinkType.ETHERNET, 1);
  decodePacket(first, ctx);
  defrag.handleFragment(first, ctx);
  const last = new Packet();
  last.reset(eth(v4(1, 8, false, 'B', 8)), 2, 42, LinkType.ETHERNET, 2);
  decodePacket(last, ctx);
  const r = defrag.handleFragment(last, ctx)!;
  assert.equal(r.l2Offset, 0);
  assert.equal(r.l3Offset, 14);
  assert.equal(r.etherType, 0x0800);
  assert.equal(r.linkType, LinkType.ETHERNET);
  assert.equal(r.bytes.length, 14 + 36);
  assert.equal(text(r.bytes.subarray(34)), 'AAAAAAAABBBBBBBB');
});

test('defrag hash spreads high id bits', () => {
  // 4096 IPv6 datagrams whose identifications differ only in the high 16
  // bits, into 4096 buckets: a hash that let only low bits pick the bucket
  // would chain them all in one.
  const { defrag, ctx } = setup({ hashSize: 4096 });
  for (let i = 0; i < 4096; i++) defrag.handleFragment(decodeRaw(v6((i << 16) >>> 0, 0, true, 'A', 8), ctx), ctx);
  assert.equal(defrag.activeTrackers, 4096);
  assert.ok(defrag.longestBucketChain() <= 12, `longest chain ${defrag.longestBucketChain()}`);
});

test('defrag empty last fragment', () => {
  // Offset 8, MF clear and no data: counted but not held.
  const { defrag, ctx } = setup();
  const p = decodeRaw(v4(12, 8, false, 'A', 0), ctx);
  assert.equal(p.isFragment, true);
  assert.equal(defrag.handleFragment(p, ctx), null);
  assert.equal(defrag.counters.ipv4Fragments, 1);
  assert.equal(defrag.heldFragments, 0);
  assert.equal(defrag.activeTrackers, 0);
});

test('defrag ipv4 first fragment options', () => {
  // First fragment with a 24-byte header (IHL 6) holding a router alert
  // option (RFC 2113: 94 04 00 00); the rebuilt datagram keeps it.
  const { defrag, ctx } = setup();
  const plain = v4(21, 0, true, 'A', 8);
  const first = new Uint8Array(plain.length + 4);
  first.set(plain.subarray(0, 20), 0);
  first.set([0x94, 0x04, 0x00, 0x00], 20);
  first.set(plain.subarray(20), 24);
  first[0] = 0x46;
  first[3] = first.length;
  first[10] = 0;
  first[11] = 0;
  let sum = 0;
  for (let i = 0; i < 24; i += 2) sum += (first[i]! << 8) | first[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  first[10] = (~sum >> 8) & 0xff;
  first[11] = ~sum & 0xff;

  defrag.handleFragment(decodeRaw(first, ctx), ctx);
  const r = defrag.handleFragment(decodeRaw(v4(21, 8, false, 'B', 8), ctx), ctx)!;
  assert.equal(r.ipHeaderLength, 24);
  assert.equal(r.ipTotalLength, 24 + 16);
  assert.equal(r.ipChecksum, 1);
  assert.equal(text(r.bytes.subarray(24)), 'AAAAAAAABBBBBBBB');
});

test('defrag ipv4 bad checksum stays bad', () => {
  const { defrag, ctx } = setup();
  const first = v4(22, 0, true, 'A', 8);
  first[11] ^= 0xff;
  const p = decodeRaw(first, ctx);
  assert.equal(p.ipChecksum, 2);
  defrag.handleFragment(p, ctx);
  const r = defrag.handleFragment(decodeRaw(v4(22, 8, false, 'B', 8), ctx), ctx)!;
  assert.equal(r.ipChecksum, 2);
});

test('defrag key matches either direction', () => {
  // As Suricata matches trackers: a fragment from 203.0.113.2 back to
  // 198.51.100.1 with the same id and protocol joins the datagram.
  const { defrag, ctx } = setup();
  defrag.handleFragment(decodeRaw(v4(77, 0, true, 'A', 8), ctx), ctx);
  const back = v4(77, 8, false, 'B', 8);
  back.set([203, 0, 113, 2], 12);
  back.set([198, 51, 100, 1], 16);
  back[10] = 0;
  back[11] = 0;
  const r = defrag.handleFragment(decodeRaw(back, ctx), ctx);
  assert.notEqual(r, null);
  assert.equal(text(r!.bytes.subarray(20)), 'AAAAAAAABBBBBBBB');
  // The rebuilt header is the first fragment's, from 198.51.100.1.
  assert.deepEqual([...r!.srcAddr.subarray(0, 4)], [198, 51, 100, 1]);
});

test('defrag key keeps protocols apart', () => {
  const { defrag, ctx } = setup();
  defrag.handleFragment(decodeRaw(v4(78, 0, true, 'A', 8, { proto: 17 }), ctx), ctx);
  assert.equal(defrag.handleFragment(decodeRaw(v4(78, 8, false, 'B', 8, { proto: 6 }), ctx), ctx), null);
  assert.equal(defrag.activeTrackers, 2);
});
