/**
 * Packets and signatures built by hand for the output tests.
 */
import { Packet } from '../core/packet.js';
import { Action } from '../detect/signature.js';
import type { Signature } from '../detect/signature.js';

/**
 * The packet of suricata-verify's eve-payload-04-partial-overlap check for
 * sid 3, decoded by hand:
 *
 *   0000  05 04 03 02 01 00 00 01 02 03 04 05 81 00 00 06   dst/src MAC, 802.1Q tag, VLAN 6
 *   0010  08 00 45 00 00 2b 00 01 00 00 40 06 74 c7 01 01   IPv4, len 43, id 1, ttl 64, TCP
 *   0020  01 01 02 02 02 02 30 39 1f 90 00 00 00 03 00 00   1.1.1.1 -> 2.2.2.2, 12345 -> 8080, seq 3
 *   0030  03 e9 50 10 10 00 95 be 00 00 58 58 58            ack 1001, ACK, win 4096, "XXX"
 */
export const VERIFY_PACKET_B64 = 'BQQDAgEAAAECAwQFgQAABggARQAAKwABAABABnTHAQEBAQICAgIwOR+QAAAAAwAAA+lQEBAAlb4AAFhYWA==';

/** 2026-12-04T21:03:13.123456Z in microseconds. */
export const TS_US = Date.UTC(2026, 11, 4, 21, 3, 13) * 1000 + 123456;

export function verifyPacket(pcapCount = 5): Packet {
  const bytes = new Uint8Array(Buffer.from(VERIFY_PACKET_B64, 'base64'));
  const p = new Packet();
  p.reset(bytes, TS_US, bytes.length, 1, pcapCount);
  p.l2Offset = 0;
  p.vlanIds[0] = 6;
  p.vlanCount = 1;
  p.etherType = 0x0800;
  p.ipVersion = 4;
  p.l3Offset = 18;
  p.ipHeaderLength = 20;
  p.ipTotalLength = 43;
  p.ipProto = 6;
  p.ttl = 64;
  p.ipId = 1;
  p.srcAddr.set([1, 1, 1, 1]);
  p.dstAddr.set([2, 2, 2, 2]);
  p.src4 = 0x01010101;
  p.dst4 = 0x02020202;
  p.l4Offset = 38;
  p.l4HeaderLength = 20;
  p.srcPort = 12345;
  p.dstPort = 8080;
  p.tcpFlags = 0x10;
  p.tcpSeq = 3;
  p.tcpAck = 1001;
  p.tcpWindow = 4096;
  p.payloadOffset = 58;
  p.payloadLength = 3;
  return p;
}

const anyAddress = { isAny: true, matchV4: () => true, matchV6: () => true };
const anyPort = { isAny: true, match: () => true };

export function makeSig(fields: Partial<Signature>): Signature {
  return {
    id: 0,
    action: Action.ALERT,
    gid: 1,
    sid: 1,
    rev: 1,
    msg: '',
    classtype: null,
    priority: 3,
    category: '',
    references: [],
    metadata: [],
    target: null,
    proto: 'tcp',
    src: anyAddress,
    srcPorts: anyPort,
    dst: anyAddress,
    dstPorts: anyPort,
    direction: 0,
    flowFlags: 0,
    packetMatches: [],
    buffers: [],
    postMatches: [],
    threshold: null,
    detectionFilter: null,
    isNoAlert: false,
    file: 'test.rules',
    line: 1,
    text: '',
    ...fields,
  };
}

