/**
 * Counts the packets of a pcap or pcapng file from its record headers alone,
 * so the benchmark can describe a capture without running kapu on it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Size figures of one capture file. */
export interface CaptureStats {
  format: 'pcap' | 'pcapng';
  fileBytes: number;
  packets: number;
  /** Sum of the captured lengths of all packets (record headers excluded). */
  packetBytes: number;
  /** packetBytes / packets, or 0 for an empty capture. */
  meanPacketBytes: number;
}

const PCAP_MAGIC_US_LE = 0xa1b2c3d4;
const PCAP_MAGIC_NS_LE = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAPNG_ENHANCED_PACKET = 6;
const PCAPNG_SIMPLE_PACKET = 3;
const PCAPNG_OBSOLETE_PACKET = 2;
const PCAP_FILE_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
const READ_CHUNK_BYTES = 1 << 20;

/** Reads a file forward in chunks, keeping the unread tail between reads. */
class ChunkReader {
  private readonly fd: number;
  private buffer = Buffer.alloc(0);
  private start = 0;
  private filePosition = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  /** Returns a view of the next `length` bytes, or null at end of file. */
  peek(length: number): Buffer | null {
    while (this.buffer.length - this.start < length) {
      const chunk = Buffer.alloc(Math.max(READ_CHUNK_BYTES, length));
      const read = readSync(this.fd, chunk, 0, chunk.length, this.filePosition);
      if (read === 0) return null;
      this.filePosition += read;
      this.buffer = Buffer.concat([this.buffer.subarray(this.start), chunk.subarray(0, read)]);
      this.start = 0;
    }
    return this.buffer.subarray(this.start, this.start + length);
  }

  skip(length: number): void {
    const buffered = this.buffer.length - this.start;
    if (length <= buffered) {
      this.start += length;
      return;
    }
    this.filePosition += length - buffered;
    this.buffer = Buffer.alloc(0);
    this.start = 0;
  }

  size(): number {
    return fstatSync(this.fd).size;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads the packet count and sizes of a pcap or pcapng file. Throws on a file of another format. */
export function readCaptureStats(path: string): CaptureStats {
  const reader = new ChunkReader(path);
  try {
    const head = reader.peek(4);
    if (head === null) throw new Error(`${path}: empty file, expected a pcap or pcapng header`);
    const magicLe = head.readUInt32LE(0);
    const magicBe = head.readUInt32BE(0);
    if (magicLe === PCAPNG_SECTION_HEADER) return countPcapng(reader, path);
    if (magicLe === PCAP_MAGIC_US_LE || magicLe === PCAP_MAGIC_NS_LE) return countPcap(reader, true);
    if (magicBe === PCAP_MAGIC_US_LE || magicBe === PCAP_MAGIC_NS_LE) return countPcap(reader, false);
    throw new Error(`${path}: unknown magic 0x${magicBe.toString(16)}, expected a pcap or pcapng file`);
  } finally {
    reader.close();
  }
}

function countPcap(reader: ChunkReader, isLittleEndian: boolean): CaptureStats {
  const fileBytes = reader.size();
  reader.skip(PCAP_FILE_HEADER_BYTES);
  let packets = 0;
  let packetBytes = 0;
  for (;;) {
    const header = reader.peek(PCAP_RECORD_HEADER_BYTES);
    if (header === null) break;
    const capturedBytes = isLittleEndian ? header.readUInt32LE(8) : header.readUInt32BE(8);
    reader.skip(PCAP_RECORD_HEADER_BYTES + capturedBytes);
    packets++;
    packetBytes += capturedBytes;
  }
  return finish('pcap', fileBytes, packets, packetBytes);
}

// pcapng (draft-ietf-opsawg-pcapng): every block starts with type and total
// length; the section header's byte-order magic sets the endianness of the
// blocks that follow it.
function countPcapng(reader: ChunkReader, path: string): CaptureStats {
  const fileBytes = reader.size();
  let isLittleEndian = true;
  let packets = 0;
  let packetBytes = 0;
  for (;;) {
    const header = reader.peek(12);
    if (header === null) break;
    if (header.readUInt32LE(0) === PCAPNG_SECTION_HEADER) {
      isLittleEndian = header.readUInt32LE(8) === PCAPNG_BYTE_ORDER_MAGIC;
    }
    const type = isLittleEndian ? header.readUInt32LE(0) : header.readUInt32BE(0);
    const blockBytes = isLittleEndian ? header.readUInt32LE(4) : header.readUInt32BE(4);
    if (blockBytes < 12 || blockBytes % 4 !== 0) {
      throw new Error(`${path}: invalid pcapng block length ${blockBytes} after ${packets} packets`);
    }

    if (type === PCAPNG_ENHANCED_PACKET || type === PCAPNG_OBSOLETE_PACKET) {
      const block = reader.peek(24);
      if (block === null) break;
      packets++;
      packetBytes += isLittleEndian ? block.readUInt32LE(20) : block.readUInt32BE(20);
    } else if (type === PCAPNG_SIMPLE_PACKET) {
      // The simple packet block stores the original length only; the
      // captured data are that long unless the snapshot length cut them.
      packets++;
      packetBytes += Math.min(isLittleEndian ? header.readUInt32LE(8) : header.readUInt32BE(8), blockBytes - 16);
    }
    reader.skip(blockBytes);
  }
  return finish('pcapng', fileBytes, packets, packetBytes);
}

function finish(format: 'pcap' | 'pcapng', fileBytes: number, packets: number, packetBytes: number): CaptureStats {
  const meanPacketBytes = packets === 0 ? 0 : packetBytes / packets;
  return { format, fileBytes, packets, packetBytes, meanPacketBytes };
}
