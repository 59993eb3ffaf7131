/**
 * Measures FlowTable.handlePacket on a synthetic stream: UDP packets over
 * many flows in both directions, and TCP connections (handshake, data,
 * FIN) interleaved across flows. Prints packets per second.
 * Run: node dist/src/flow/flow-table-bench.js [flows] [packetsPerFlow]
 */
import { IpProto, TcpFlag, type Packet } from '../core/packet.js';
import { defaultFlowConfig } from './flow-config.js';
import { FlowTable } from './flow-table.js';
import { makePacket } from './test-packet.js';

const START_US = 1_700_000_000_000_000;

function addressOf(i: number): string {
  return `198.51.${(i >> 8) & 0xff}.${i & 0xff}`;
}

/** Builds one UDP request and one reply per flow, flows interleaved. */
function buildUdpPackets(flows: number): Packet[] {
  const packets: Packet[] = [];
  for (let i = 0; i < flows; i++) {
    const client = addressOf(i);
    packets.push(makePacket({ src: client, dst: '203.0.113.9', srcPort: 1024 + (i % 50000), dstPort: 53, proto: IpProto.UDP, payloadLength: 40 }));
    packets.push(makePacket({ src: '203.0.113.9', dst: client, srcPort: 53, dstPort: 1024 + (i % 50000), proto: IpProto.UDP, payloadLength: 90 }));
  }
  return packets;
}

/** Builds, per flow, a handshake, ten data segments each way and the close, interleaved across flows. */
function buildTcpPackets(flows: number): Packet[][] {
  const rounds: Packet[][] = [];
  const push = (round: number, p: Packet): void => {
    while (rounds.length <= round) rounds.push([]);
    (rounds[round] as Packet[]).push(p);
  };
  for (let i = 0; i < flows; i++) {
    const c = { src: addressOf(i), dst: '203.0.113.9', srcPort: 1024 + (i % 50000), dstPort: 80 };
    const s = { src: '203.0.113.9', dst: addressOf(i), srcPort: 80, dstPort: 1024 + (i % 50000) };
    let round = 0;
    push(round++, makePacket({ ...c, flags: TcpFlag.SYN, seq: 1000 }));
    push(round++, makePacket({ ...s, flags: TcpFlag.SYN | TcpFlag.ACK, seq: 5000, ack: 1001 }));
    push(round++, makePacket({ ...c, flags: TcpFlag.ACK, seq: 1001, ack: 5001 }));
    for (let k = 0; k < 10; k++) {
      push(round++, makePacket({ ...c, flags: TcpFlag.ACK | TcpFlag.PSH, seq: 1001 + k * 100, ack: 5001 + k * 1000, payloadLength: 100 }));
      push(round++, makePacket({ ...s, flags: TcpFlag.ACK | TcpFlag.PSH, seq: 5001 + k * 1000, ack: 1101 + k * 100, payloadLength: 1000 }));
    }
    push(round++, makePacket({ ...c, flags: TcpFlag.FIN | TcpFlag.ACK, seq: 2001, ack: 15001 }));
    push(round++, makePacket({ ...s, flags: TcpFlag.FIN | TcpFlag.ACK, seq: 15001, ack: 2002 }));
    push(round++, makePacket({ ...c, flags: TcpFlag.ACK, seq: 2002, ack: 15002 }));
  }
  return rounds;
}

function measure(name: string, packets: Packet[], repeat: number): void {
  let ended = 0;
  const table = new FlowTable(defaultFlowConfig(), () => {
    ended++;
  });
  // Timestamps advance 1 us per packet, so the expiry pass also runs.
  let timeUs = START_US;
  const startNs = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) {
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i] as Packet;
      p.timestampUs = timeUs++;
      table.handlePacket(p);
    }
  }
  const elapsedS = Number(process.hrtime.bigint() - startNs) / 1e9;
  const total = packets.length * repeat;
  table.flushAll(2);
  console.log(
    `${name}: ${total} packets, ${table.counters.created} flows, ${(total / elapsedS / 1e6).toFixed(2)} Mpackets/s (ended ${ended})`,
  );
}

const flows = Number(process.argv[2] ?? 50000);
const repeat = Number(process.argv[3] ?? 10);
measure('udp', buildUdpPackets(flows), repeat);
const tcpRounds = buildTcpPackets(flows);
const tcpPackets = tcpRounds.flat();
measure('tcp (first run, includes warm-up)', tcpPackets, 1);
measure('tcp', tcpPackets, 1);
