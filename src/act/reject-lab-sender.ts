/**
 * The sending side of the namespace test of reject responses: run inside a
 * network namespace as `node reject-lab-sender.js IFACE PORT tcp|udp`. It
 * captures on IFACE until a TCP segment with payload or a UDP datagram to
 * PORT arrives (at most 5 s). Then it builds the response to its sender
 * with reject.ts (a reset, or an ICMP unreachable) and sends it with
 * RawRejectSender. It prints one JSON line with the errno of the send, and
 * the captured packet and the response in hex.
 */
import { AfPacketCapture } from '../capture/af-packet.js';
import { IpProto, LinkType, Packet } from '../core/packet.js';
import { DecodeContext } from '../decode/context.js';
import { decodePacket } from '../decode/decode-packet.js';
import { MAX_RESPONSE_BYTES, buildRejectResponse } from './reject.js';
import { RawRejectSender } from './reject-sender.js';

const WAIT_MS = 5_000;

function main(): number {
  const interfaceName = process.argv[2] as string;
  const port = Number(process.argv[3]);
  const proto = process.argv[4] === 'udp' ? IpProto.UDP : IpProto.TCP;
  const capture = new AfPacketCapture(interfaceName, { batchBytes: 1 << 20 });
  const sender = new RawRejectSender();
  const ctx = new DecodeContext('none');
  const p = new Packet();
  const response = new Uint8Array(MAX_RESPONSE_BYTES);
  process.stdout.write('ready\n');

  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    capture.read(100);
    const batch = capture.batch;
    while (batch.next()) {
      const frame = batch.data();
      p.reset(frame, batch.timestampUs(), batch.originalLength, LinkType.ETHERNET, 1);
      decodePacket(p, ctx);
      if (p.ipProto !== proto || p.dstPort !== port || p.payloadLength === 0) continue;
      const length = buildRejectResponse(p, true, response);
      const errno = sender.send(response, length);
      process.stdout.write(JSON.stringify({
        errno,
        sentAtMs: Date.now(),
        packet: Buffer.from(frame.subarray(p.l3Offset)).toString('hex'),
        response: Buffer.from(response.subarray(0, length)).toString('hex'),
      }) + '\n');
      sender.close();
      capture.close();
      return 0;
    }
  }
  process.stdout.write(JSON.stringify({ error: 'no segment captured' }) + '\n');
  return 1;
}

process.exitCode = main();
