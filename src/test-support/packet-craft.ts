/**
 * Building test captures by hand: Ethernet/IPv4/TCP frames with correct
 * checksums, IPv4 fragments, TCP conversations with explicit sequence
 * numbers, and a pcap writer. Tests use it to craft evasions and floods
 * whose expected outcome follows from the bytes they write.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_TCP = 6;
const PCAP_LINKTYPE_ETHERNET = 1;

/** TCP flag bits. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
} as const;

/** Fields of one IPv4/TCP segment. Addresses are dotted quads. */
export interface TcpSegment {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  payload?: Uint8Array;
  ipId?: number;
  window?: number;
}

/** Returns the bytes of `text`, one byte per character (Latin-1). */
export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

function ipv4Bytes(address: string): number[] {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`invalid IPv4 address '${address}'`);
  }
  return parts;
}

/** Adds 16-bit big-endian words of `bytes[start, end)` to `sum` (RFC 1071). */
function sumWords(bytes: Uint8Array, start: number, end: number, sum: number): number {
  let total = sum;
  for (let i = start; i < end; i += 2) {
    total += (bytes[i]! << 8) | (i + 1 < end ? bytes[i + 1]! : 0);
  }
  return total;
}

function foldChecksum(sum: number): number {
  let total = sum;
  while (total > 0xffff) total = (total & 0xffff) + (total >>> 16);
  return ~total & 0xffff;
}

/** Builds an Ethernet frame around an IPv4 packet. */
function ethernetFrame(ipPacket: Uint8Array): Uint8Array {
  const frame = new Uint8Array(14 + ipPacket.length);
  frame.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
  frame[12] = ETHERTYPE_IPV4 >> 8;
  frame[13] = ETHERTYPE_IPV4 & 0xff;
  frame.set(ipPacket, 14);
  return frame;
}

/** Writes an IPv4 header (20 bytes, no options) with its checksum into `out`. */
function writeIpv4Header(out: Uint8Array, totalLength: number, id: number, fragmentField: number, src: string, dst: string): void {
  out.set([0x45, 0, totalLength >> 8, totalLength & 0xff, (id >> 8) & 0xff, id & 0xff, fragmentField >> 8, fragmentField & 0xff, 64, IPPROTO_TCP, 0, 0]);
  out.set(ipv4Bytes(src), 12);
  out.set(ipv4Bytes(dst), 16);
  const checksum = foldChecksum(sumWords(out, 0, 20, 0));
  out[10] = checksum >> 8;
  out[11] = checksum & 0xff;
}

/** Returns the IPv4 packet (no link layer) of one TCP segment, checksums included. */
export function ipv4TcpPacket(segment: TcpSegment): Uint8Array {
  const payload = segment.payload ?? new Uint8Array(0);
  const tcpLength = 20 + payload.length;
  const packet = new Uint8Array(20 + tcpLength);
  writeIpv4Header(packet, packet.length, segment.ipId ?? 1, 0x4000, segment.src, segment.dst);
  const tcp = packet.subarray(20);
  const window = segment.window ?? 65535;
  tcp.set([
    segment.sport >> 8, segment.sport & 0xff, segment.dport >> 8, segment.dport & 0xff,
    (segment.seq >>> 24) & 0xff, (segment.seq >>> 16) & 0xff, (segment.seq >>> 8) & 0xff, segment.seq & 0xff,
    (segment.ack >>> 24) & 0xff, (segment.ack >>> 16) & 0xff, (segment.ack >>> 8) & 0xff, segment.ack & 0xff,
    0x50, segment.flags, window >> 8, window & 0xff, 0, 0, 0, 0,
  ]);
  tcp.set(payload, 20);
  let sum = sumWords(packet, 12, 20, 0);
  sum += IPPROTO_TCP + tcpLength;
  const checksum = foldChecksum(sumWords(tcp, 0, tcpLength, sum));
  tcp[16] = checksum >> 8;
  tcp[17] = checksum & 0xff;
  return packet;
}

/** Returns the Ethernet frame of one TCP segment. */
export function tcpFrame(segment: TcpSegment): Uint8Array {
  return ethernetFrame(ipv4TcpPacket(segment));
}

/**
 * Splits an IPv4 packet (20-byte header) into fragments of `fragmentBytes`
 * payload bytes each (a multiple of 8, except the last), as Ethernet
 * frames in offset order.
 */
export function ipv4FragmentFrames(packet: Uint8Array, fragmentBytes: number): Uint8Array[] {
  if (fragmentBytes % 8 !== 0 || fragmentBytes <= 0) throw new Error(`fragment size ${fragmentBytes} is not a positive multiple of 8`);
  const id = (packet[4]! << 8) | packet[5]!;
  const src = `${packet[12]}.${packet[13]}.${packet[14]}.${packet[15]}`;
  const dst = `${packet[16]}.${packet[17]}.${packet[18]}.${packet[19]}`;
  const data = packet.subarray(20);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += fragmentBytes) {
    const chunk = data.subarray(offset, Math.min(offset + fragmentBytes, data.length));
    const hasMore = offset + chunk.length < data.length;
    const fragment = new Uint8Array(20 + chunk.length);
    writeIpv4Header(fragment, fragment.length, id, (hasMore ? 0x2000 : 0) | (offset >> 3), src, dst);
    fragment.set(chunk, 20);
    frames.push(ethernetFrame(fragment));
  }
  return frames;
}

/**
 * One TCP connection between a client and a server with sequence numbers
 * kept by the caller's choice: `handshake()` writes the three-way
 * handshake; `clientData()` writes data at an offset into the client's
 * stream (0 is the first byte after the SYN), so segments can be sent out
 * of order or overlapping; `serverAck()` acknowledges client bytes.
 */
export class TcpConversation {
  readonly frames: Uint8Array[] = [];
  private readonly clientIsn = 1000;
  private readonly serverIsn = 5000;
  private ipId = 1;

  constructor(
    readonly client: string,
    readonly server: string,
    readonly clientPort: number,
    readonly serverPort: number,
  ) {}

  /** Builds a client-to-server segment of this connection. */
  clientSegment(streamOffset: number, payload: Uint8Array, flags: number = TcpFlag.ACK | TcpFlag.PSH): TcpSegment {
    return {
      src: this.client, dst: this.server, sport: this.clientPort, dport: this.serverPort,
      seq: (this.clientIsn + 1 + streamOffset) >>> 0, ack: this.serverIsn + 1, flags, payload, ipId: this.ipId++,
    };
  }

  handshake(): this {
    this.frames.push(tcpFrame({ src: this.client, dst: this.server, sport: this.clientPort, dport: this.serverPort, seq: this.clientIsn, ack: 0, flags: TcpFlag.SYN, ipId: this.ipId++ }));
    this.frames.push(tcpFrame({ src: this.server, dst: this.client, sport: this.serverPort, dport: this.clientPort, seq: this.serverIsn, ack: this.clientIsn + 1, flags: TcpFlag.SYN | TcpFlag.ACK, ipId: this.ipId++ }));
    this.frames.push(tcpFrame({ src: this.client, dst: this.server, sport: this.clientPort, dport: this.serverPort, seq: this.clientIsn + 1, ack: this.serverIsn + 1, flags: TcpFlag.ACK, ipId: this.ipId++ }));
    return this;
  }

  /** Writes client data at `streamOffset` of the client's stream. */
  clientData(streamOffset: number, text: string | Uint8Array): this {
    const payload = typeof text === 'string' ? bytesOf(text) : text;
    this.frames.push(tcpFrame(this.clientSegment(streamOffset, payload)));
    return this;
  }

  /** Writes a server ACK for the first `clientBytes` bytes of the client's stream. */
  serverAck(clientBytes: number): this {
    this.frames.push(tcpFrame({
      src: this.server, dst: this.client, sport: this.serverPort, dport: this.clientPort,
      seq: this.serverIsn + 1, ack: (this.clientIsn + 1 + clientBytes) >>> 0, flags: TcpFlag.ACK, ipId: this.ipId++,
    }));
    return this;
  }

  /** Writes a server response at offset 0 of the server's stream, then the client's ACK of it. */
  serverData(text: string, clientBytes: number): this {
    const payload = bytesOf(text);
    this.frames.push(tcpFrame({
      src: this.server, dst: this.client, sport: this.serverPort, dport: this.clientPort,
      seq: this.serverIsn + 1, ack: (this.clientIsn + 1 + clientBytes) >>> 0, flags: TcpFlag.ACK | TcpFlag.PSH, payload, ipId: this.ipId++,
    }));
    this.frames.push(tcpFrame({
      src: this.client, dst: this.server, sport: this.clientPort, dport: this.serverPort,
      seq: (this.clientIsn + 1 + clientBytes) >>> 0, ack: this.serverIsn + 1 + payload.length, flags: TcpFlag.ACK, ipId: this.ipId++,
    }));
    return this;
  }

  /** Writes the client's FIN after `clientBytes` bytes and the server's FIN-ACK and the last ACK. */
  close(clientBytes: number, serverBytes: number = 0): this {
    const clientSeq = (this.clientIsn + 1 + clientBytes) >>> 0;
    const serverSeq = this.serverIsn + 1 + serverBytes;
    this.frames.push(tcpFrame({ src: this.client, dst: this.server, sport: this.clientPort, dport: this.serverPort, seq: clientSeq, ack: serverSeq, flags: TcpFlag.FIN | TcpFlag.ACK, ipId: this.ipId++ }));
    this.frames.push(tcpFrame({ src: this.server, dst: this.client, sport: this.serverPort, dport: this.clientPort, seq: serverSeq, ack: clientSeq + 1, flags: TcpFlag.FIN | TcpFlag.ACK, ipId: this.ipId++ }));
    this.frames.push(tcpFrame({ src: this.client, dst: this.server, sport: this.clientPort, dport: this.serverPort, seq: clientSeq + 1, ack: serverSeq + 1, flags: TcpFlag.ACK, ipId: this.ipId++ }));
    return this;
  }
}

/**
 * Writes Ethernet frames to a pcap file (microsecond timestamps, one
 * frame every `stepUs` from `startSeconds`), buffered in 1 MiB blocks so
 * that millions of frames can be written without holding them.
 */
export class PcapFileWriter {
  private readonly fd: number;
  private readonly buffer = Buffer.alloc(1 << 20);
  private used = 0;
  private timeUs: number;

  constructor(path: string, startSeconds = 1_704_067_200, private readonly stepUs = 1000) {
    this.fd = openSync(path, 'w');
    this.timeUs = startSeconds * 1_000_000;
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(PCAP_LINKTYPE_ETHERNET, 20);
    writeSync(this.fd, header);
  }

  write(frame: Uint8Array): void {
    if (this.used + 16 + frame.length > this.buffer.length) this.flush();
    const seconds = Math.floor(this.timeUs / 1_000_000);
    this.buffer.writeUInt32LE(seconds, this.used);
    this.buffer.writeUInt32LE(this.timeUs - seconds * 1_000_000, this.used + 4);
    this.buffer.writeUInt32LE(frame.length, this.used + 8);
    this.buffer.writeUInt32LE(frame.length, this.used + 12);
    this.buffer.set(frame, this.used + 16);
    this.used += 16 + frame.length;
    this.timeUs += this.stepUs;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.used > 0) writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }
}

/** Writes `frames` to a new pcap file at `path`. */
export function writePcap(path: string, frames: readonly Uint8Array[]): void {
  const writer = new PcapFileWriter(path);
  for (const frame of frames) writer.write(frame);
  writer.close();
}
