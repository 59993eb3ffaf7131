import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketType } from './af-packet.js';
import { ipv4At, labSkipReason, NetLab, type LabSummary } from './netlab-harness.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERNET_HEADER_BYTES = 14;
const ICMP = 1;
const skipReason = labSkipReason();

describe('af_packet in namespace lab', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('ka');
  let summary: LabSummary;
  let pingStatus: number | null = null;
  let captureStartUs = 0;

  before(async () => {
    lab.teardown();
    lab.setup();
    captureStartUs = Date.now() * 1000;
    const reader = await lab.startReader('cli', ['afpacket', 'c0', '10000']);
    try {
      pingStatus = lab.exec('cli', ['ping', '-c', '3', '-i', '0.2', '-W', '1', '198.51.100.1'], 10_000).status;
    } finally {
      summary = await reader.stop();
    }
  });

  after(() => {
    lab.teardown();
  });

  /** Returns the IPv4 ICMP frames, whose IP header starts after the Ethernet header. */
  function icmpFrames(): LabSummary['records'] {
    return summary.records.filter(
      (r) => r.hwProtocol === ETHERTYPE_IPV4 && parseInt(r.hex.slice((ETHERNET_HEADER_BYTES + 9) * 2, (ETHERNET_HEADER_BYTES + 10) * 2), 16) === ICMP,
    );
  }

  test('ping gets replies', () => {
    assert.equal(pingStatus, 0);
  });

  test('capture sees outgoing echo requests', () => {
    const requests = icmpFrames().filter((r) => r.packetType === PacketType.OUTGOING);
    assert.equal(requests.length, 3);
    for (const r of requests) {
      // 14 Ethernet + 84 IPv4 packet of a default ping.
      assert.equal(r.capturedLength, 98);
      assert.equal(r.originalLength, 98);
      assert.equal(ipv4At(r.hex, ETHERNET_HEADER_BYTES + 12), '198.51.100.2');
      assert.equal(ipv4At(r.hex, ETHERNET_HEADER_BYTES + 16), '198.51.100.1');
      // Source MAC of c0, fixed by the lab.
      assert.equal(r.hex.slice(12, 24), '020000000102');
    }
  });

  test('capture sees incoming echo replies', () => {
    const replies = icmpFrames().filter((r) => r.packetType === PacketType.HOST);
    assert.equal(replies.length, 3);
    for (const r of replies) {
      assert.equal(r.capturedLength, 98);
      assert.equal(ipv4At(r.hex, ETHERNET_HEADER_BYTES + 12), '198.51.100.1');
      assert.equal(ipv4At(r.hex, ETHERNET_HEADER_BYTES + 16), '198.51.100.2');
      assert.equal(r.hex.slice(0, 12), '020000000102');
    }
  });

  test('frames carry kernel timestamps', () => {
    const frames = icmpFrames();
    assert.equal(frames.length, 6);
    for (const r of frames) {
      assert.ok(r.timestampUs >= captureStartUs, `timestamp ${r.timestampUs} before capture start ${captureStartUs}`);
      assert.ok(r.timestampUs <= Date.now() * 1000);
    }
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i].timestampUs >= frames[i - 1].timestampUs);
  });

  test('kernel drops no frames', () => {
    assert.equal(summary.stats.drops, 0);
    assert.equal(summary.stats.packets, summary.packets);
  });
});
