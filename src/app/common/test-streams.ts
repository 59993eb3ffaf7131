/**
 * Test support: reads a capture and returns the in-order byte streams of
 * its TCP connections, for app-layer parser tests before the stream stage
 * feeds them. A small reassembler: it follows sequence numbers from the
 * SYN (or the first segment seen), drops bytes already delivered
 * (retransmissions), and keeps early segments until the gap before them
 * fills. It handles no overlap policies and no sequence wrap; tests only.
 */
import { openCaptureFile } from '../../capture/open-capture-file.js';
import { Packet, TcpFlag } from '../../core/packet.js';
import { DecodeContext, decodePacket } from '../../decode/index.js';

/** One delivery of in-order bytes. */
export interface StreamChunk {
  /** 0 from the client (the SYN sender, else the first sender), 1 from the server. */
  direction: number;
  bytes: Uint8Array;
}

/** One TCP connection of a capture. */
export interface TcpConnection {
  client: string;
  server: string;
  serverPort: number;
  /** Deliveries in capture order. */
  chunks: StreamChunk[];
}

class DirectionState {
  nextSeq = -1;
  pending = new Map<number, Uint8Array>();
}

interface ConnectionState {
  conn: TcpConnection;
  clientKey: string;
  sides: [DirectionState, DirectionState];
}

function addressText(p: Packet, isSource: boolean): string {
  const addr = isSource ? p.srcAddr : p.dstAddr;
  if (p.ipVersion === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr[i] << 8) | addr[i + 1]).toString(16));
  return groups.join(':');
}

/** Most packets read from one capture, a bound for the test loop. */
const MAX_PACKETS = 1_000_000;

/** Reads `path` and returns its TCP connections with their in-order bytes. */
export function readTcpStreams(path: string): TcpConnection[] {
  const reader = openCaptureFile(path);
  const ctx = new DecodeContext('none');
  const p = new Packet();
  const byKey = new Map<string, ConnectionState>();
  const connections: TcpConnection[] = [];
  let count = 0;
  try {
    while (count < MAX_PACKETS && reader.next(p)) {
      count++;
      decodePacket(p, ctx);
      if (p.ipProto !== 6 || p.l4Offset < 0) continue;
      const src = `${addressText(p, true)}:${p.srcPort}`;
      const dst = `${addressText(p, false)}:${p.dstPort}`;
      const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
      let state = byKey.get(key);
      const isSyn = (p.tcpFlags & TcpFlag.SYN) !== 0;
      const isSynAck = isSyn && (p.tcpFlags & TcpFlag.ACK) !== 0;
      if (state === undefined || (isSyn && !isSynAck && state.sides[0].nextSeq >= 0 && state.clientKey === src && (p.tcpSeq + 1) >>> 0 !== state.sides[0].nextSeq)) {
        // A new connection, or a new SYN on a reused port pair.
        const clientIsSource = !isSynAck;
        const conn: TcpConnection = {
          client: clientIsSource ? src : dst,
          server: clientIsSource ? dst : src,
          serverPort: clientIsSource ? p.dstPort : p.srcPort,
          chunks: [],
        };
        state = { conn, clientKey: conn.client, sides: [new DirectionState(), new DirectionState()] };
        byKey.set(key, state);
        connections.push(conn);
      }
      const direction = src === state.clientKey ? 0 : 1;
      const side = state.sides[direction];
      if (isSyn) {
        side.nextSeq = (p.tcpSeq + 1) >>> 0;
        continue;
      }
      if (p.payloadLength === 0) continue;
      if (side.nextSeq < 0) side.nextSeq = p.tcpSeq;
      side.pending.set(p.tcpSeq, p.bytes.slice(p.payloadOffset, p.payloadOffset + p.payloadLength));
      deliver(state.conn, side, direction);
    }
  } finally {
    reader.close();
  }
  return connections;
}

/** Moves every pending segment that now continues the stream into the chunks. */
function deliver(conn: TcpConnection, side: DirectionState, direction: number): void {
  for (let rounds = 0; rounds < 100000; rounds++) {
    let progressed = false;
    for (const [seq, bytes] of side.pending) {
      const end = seq + bytes.length;
      if (end <= side.nextSeq) {
        side.pending.delete(seq);
        progressed = true;
        continue;
      }
      if (seq > side.nextSeq) continue;
      const fresh = bytes.subarray(side.nextSeq - seq);
      conn.chunks.push({ direction, bytes: fresh });
      side.nextSeq = end;
      side.pending.delete(seq);
      progressed = true;
    }
    if (!progressed) return;
  }
}
