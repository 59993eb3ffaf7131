/**
 * Reader for pcapng (the IETF draft "PCAP Next Generation Capture File
 * Format"). A file is a sequence of blocks, each framed as
 *
 *   block type(4) total length(4) body ... total length(4)
 *
 * A section header block (SHB) starts every section and sets the byte order
 * of the blocks after it. Interface ids count from 0 within each section.
 * Read here: SHB, interface description (IDB, for the link type, snaplen,
 * if_tsresol and if_tsoffset), enhanced packet (EPB), simple packet (SPB)
 * and the obsolete packet block (PB). Other blocks are skipped.
 */
import type { Packet } from '../core/packet.js';
import { CaptureReader } from './capture-reader.js';
import type { ReadBuffer } from './read-buffer.js';

export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB_TYPE = 1;
const PB_TYPE = 2;
const SPB_TYPE = 3;
const EPB_TYPE = 6;

const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;

/** Smallest block: type, length and the trailing length copy. */
const MIN_BLOCK_BYTES = 12;

/**
 * Largest block accepted. libpcap uses the same 16 MiB bound; a larger
 * length field means a corrupt file and raises CaptureError.
 */
export const PCAPNG_MAX_BLOCK_BYTES = 16 * 1024 * 1024;

/** Maximum interfaces in one section. More means a corrupt file and raises CaptureError. */
export const PCAPNG_MAX_INTERFACES = 65536;

const TWO_POW_32 = 4294967296;

/** Conversion of an interface's timestamp units to microseconds. */
const TimeScale = {
  /** Units are 10^-n s with n >= 6: divide by `factor`. */
  DIVIDE: 0,
  /** Units are 10^-n s with n < 6: multiply by `factor`. */
  MULTIPLY: 1,
  /** Units are 2^-n s: multiply by `factor` = 10^6 / 2^n. */
  BINARY: 2,
} as const;

export class PcapngReader extends CaptureReader {
  readonly format = 'pcapng' as const;
  /** Byte order of the current section. */
  isLittleEndian: boolean;
  /** Sections seen so far. */
  sections: number;
  /** Blocks of other types skipped. */
  skippedBlocks: number;
  private ifLinkTypes: number[];
  private ifSnapLengths: number[];
  private ifTimeScales: number[];
  private ifTimeFactors: number[];
  private ifOffsetsUs: number[];

  /** `input` is positioned at the start of the file, which starts with an SHB. */
  constructor(path: string, input: ReadBuffer) {
    super(path, input);
    this.isLittleEndian = true;
    this.sections = 0;
    this.skippedBlocks = 0;
    this.ifLinkTypes = [];
    this.ifSnapLengths = [];
    this.ifTimeScales = [];
    this.ifTimeFactors = [];
    this.ifOffsetsUs = [];
    if (!this.readSectionHeader()) {
      throw this.corrupt(0, `the section header block is cut short (${input.available} bytes)`);
    }
  }

  /** Link type of interface `id` in the current section, or -1. */
  interfaceLinkType(id: number): number {
    return id < this.ifLinkTypes.length ? (this.ifLinkTypes[id] as number) : -1;
  }

  /** Number of interfaces described in the current section. */
  get interfaceCount(): number {
    return this.ifLinkTypes.length;
  }

  next(p: Packet): boolean {
    const input = this.input;
    for (;;) {
      if (!input.ensure(8)) {
        if (input.available > 0) this.truncatedRecords++;
        input.start = input.end;
        return false;
      }
      const type = this.readUint32(input.data, input.start);
      if (type === PCAPNG_SHB_TYPE) {
        if (!this.readSectionHeader()) return false;
        continue;
      }

      const blockBytes = this.readBlockLength();
      if (!input.ensure(blockBytes)) {
        this.truncatedRecords++;
        input.start = input.end;
        return false;
      }

      const at = input.start;
      if (type === EPB_TYPE) {
        if (this.readEnhancedPacket(p, at, blockBytes)) return true;
      } else if (type === SPB_TYPE) {
        if (this.readSimplePacket(p, at, blockBytes)) return true;
      } else if (type === PB_TYPE) {
        if (this.readObsoletePacket(p, at, blockBytes)) return true;
      } else if (type === IDB_TYPE) {
        this.readInterface(at, blockBytes);
        input.start = at + blockBytes;
      } else {
        this.skippedBlocks++;
        input.start = at + blockBytes;
      }
    }
  }

  /**
   * Reads the SHB at the window start: byte-order magic, then the length in
   * that order. Returns false when the file ends inside it.
   */
  private readSectionHeader(): boolean {
    const input = this.input;
    if (!input.ensure(MIN_BLOCK_BYTES)) {
      if (input.available > 0) this.truncatedRecords++;
      input.start = input.end;
      return false;
    }
    const data = input.data;
    const at = input.start;
    const magicLe = (data[at + 8] | (data[at + 9] << 8) | (data[at + 10] << 16) | (data[at + 11] << 24)) >>> 0;
    if (magicLe === PCAPNG_BYTE_ORDER_MAGIC) {
      this.isLittleEndian = true;
    } else if (magicLe === 0x4d3c2b1a) {
      this.isLittleEndian = false;
    } else {
      throw this.corrupt(input.position + 8, `unknown byte-order magic 0x${magicLe.toString(16)} in section header block`);
    }

    const blockBytes = this.readBlockLength();
    if (blockBytes < 28) {
      throw this.corrupt(input.position + 4, `section header block length ${blockBytes} is below the minimum 28`);
    }
    if (!input.ensure(blockBytes)) {
      this.truncatedRecords++;
      input.start = input.end;
      return false;
    }
    this.sections++;
    this.ifLinkTypes.length = 0;
    this.ifSnapLengths.length = 0;
    this.ifTimeScales.length = 0;
    this.ifTimeFactors.length = 0;
    this.ifOffsetsUs.length = 0;
    input.start += blockBytes;
    return true;
  }

  /** Reads and checks the total length of the block at the window start. */
  private readBlockLength(): number {
    const input = this.input;
    const blockBytes = this.readUint32(input.data, input.start + 4);
    if (blockBytes < MIN_BLOCK_BYTES || blockBytes % 4 !== 0) {
      throw this.corrupt(input.position + 4, `block length ${blockBytes} is not a multiple of 4 of at least ${MIN_BLOCK_BYTES}`);
    }
    if (blockBytes > PCAPNG_MAX_BLOCK_BYTES) {
      throw this.corrupt(input.position + 4, `block length ${blockBytes} is larger than the maximum ${PCAPNG_MAX_BLOCK_BYTES}`);
    }
    return blockBytes;
  }

  /**
   * IDB: link type(2) reserved(2) snaplen(4) options. Options are code(2)
   * length(2) value, padded to 4 bytes.
   */
  private readInterface(at: number, blockBytes: number): void {
    const data = this.input.data;
    if (blockBytes < 20) {
      throw this.corrupt(this.input.fileOffset + at, `interface description block length ${blockBytes} is below the minimum 20`);
    }
    if (this.ifLinkTypes.length >= PCAPNG_MAX_INTERFACES) {
      throw this.corrupt(this.input.fileOffset + at, `more than ${PCAPNG_MAX_INTERFACES} interfaces in one section`);
    }

    let timeScale: number = TimeScale.DIVIDE;
    let timeFactor = 1;
    let offsetUs = 0;
    const end = at + blockBytes - 4;
    let option = at + 16;
    while (option + 4 <= end) {
      const code = this.readUint16(data, option);
      const length = this.readUint16(data, option + 2);
      if (code === OPTION_END) break;
      if (option + 4 + length > end) break;
      if (code === OPTION_IF_TSRESOL && length >= 1) {
        const resolution = data[option + 4];
        const exponent = resolution & 0x7f;
        if ((resolution & 0x80) !== 0) {
          timeScale = TimeScale.BINARY;
          timeFactor = 1_000_000 / 2 ** exponent;
        } else if (exponent >= 6) {
          timeScale = TimeScale.DIVIDE;
          timeFactor = 10 ** (exponent - 6);
        } else {
          timeScale = TimeScale.MULTIPLY;
          timeFactor = 10 ** (6 - exponent);
        }
      } else if (code === OPTION_IF_TSOFFSET && length >= 8) {
        // A signed 64-bit count of seconds added to every timestamp.
        const high = this.readUint32(data, option + (this.isLittleEndian ? 8 : 4)) | 0;
        const low = this.readUint32(data, option + (this.isLittleEndian ? 4 : 8));
        offsetUs = (high * TWO_POW_32 + low) * 1_000_000;
      }
      option += 4 + ((length + 3) & ~3);
    }

    this.ifLinkTypes.push(this.readUint16(data, at + 8));
    this.ifSnapLengths.push(this.readUint32(data, at + 12));
    this.ifTimeScales.push(timeScale);
    this.ifTimeFactors.push(timeFactor);
    this.ifOffsetsUs.push(offsetUs);
  }

  /** EPB: interface id(4) timestamp high(4) low(4) captured length(4) original length(4) data. */
  private readEnhancedPacket(p: Packet, at: number, blockBytes: number): boolean {
    const data = this.input.data;
    if (blockBytes < 32) {
      throw this.corrupt(this.input.fileOffset + at, `enhanced packet block length ${blockBytes} is below the minimum 32`);
    }
    const interfaceId = this.readUint32(data, at + 8);
    const high = this.readUint32(data, at + 12);
    const low = this.readUint32(data, at + 16);
    const captureLength = this.readUint32(data, at + 20);
    const wireLength = this.readUint32(data, at + 24);
    this.checkPacket(at, interfaceId, captureLength, blockBytes - 32);
    return this.emit(p, at, blockBytes, 28, captureLength, wireLength, interfaceId, this.toMicroseconds(interfaceId, high, low));
  }

  /** SPB: original length(4) data; the captured length is implied by the block length and snaplen. */
  private readSimplePacket(p: Packet, at: number, blockBytes: number): boolean {
    const data = this.input.data;
    if (blockBytes < 16) {
      throw this.corrupt(this.input.fileOffset + at, `simple packet block length ${blockBytes} is below the minimum 16`);
    }
    const wireLength = this.readUint32(data, at + 8);
    this.checkPacket(at, 0, 0, 0);
    let captureLength = Math.min(wireLength, blockBytes - 16);
    const snapLength = this.ifSnapLengths[0];
    if (snapLength > 0 && captureLength > snapLength) captureLength = snapLength;
    return this.emit(p, at, blockBytes, 12, captureLength, wireLength, 0, 0);
  }

  /** PB: interface id(2) drops(2) timestamp high(4) low(4) captured length(4) original length(4) data. */
  private readObsoletePacket(p: Packet, at: number, blockBytes: number): boolean {
    const data = this.input.data;
    if (blockBytes < 32) {
      throw this.corrupt(this.input.fileOffset + at, `packet block length ${blockBytes} is below the minimum 32`);
    }
    const interfaceId = this.readUint16(data, at + 8);
    const high = this.readUint32(data, at + 12);
    const low = this.readUint32(data, at + 16);
    const captureLength = this.readUint32(data, at + 20);
    const wireLength = this.readUint32(data, at + 24);
    this.checkPacket(at, interfaceId, captureLength, blockBytes - 32);
    return this.emit(p, at, blockBytes, 28, captureLength, wireLength, interfaceId, this.toMicroseconds(interfaceId, high, low));
  }

  private checkPacket(at: number, interfaceId: number, captureLength: number, roomBytes: number): void {
    if (interfaceId >= this.ifLinkTypes.length) {
      throw this.corrupt(this.input.fileOffset + at, `packet names interface ${interfaceId}, but the section describes ${this.ifLinkTypes.length}`);
    }
    if (captureLength > roomBytes) {
      throw this.corrupt(this.input.fileOffset + at, `captured length ${captureLength} does not fit in the block (room for ${roomBytes})`);
    }
  }

  private emit(p: Packet, at: number, blockBytes: number, dataOffset: number, captureLength: number, wireLength: number, interfaceId: number, timestampUs: number): boolean {
    const input = this.input;
    const bytes = input.data.subarray(at + dataOffset, at + dataOffset + captureLength);
    input.start = at + blockBytes;
    this.packets++;
    this.bytes += captureLength;
    p.reset(bytes, timestampUs, wireLength, this.ifLinkTypes[interfaceId] as number, this.packets);
    p.interfaceId = interfaceId;
    return true;
  }

  /** Converts a 64-bit timestamp in the interface's units to microseconds without losing precision below 2^53. */
  private toMicroseconds(interfaceId: number, high: number, low: number): number {
    const scale = this.ifTimeScales[interfaceId];
    const factor = this.ifTimeFactors[interfaceId];
    const offsetUs = this.ifOffsetsUs[interfaceId];
    if (scale === TimeScale.DIVIDE) {
      if (factor === 1) return high * TWO_POW_32 + low + offsetUs;
      const highRemainder = high % factor;
      const highQuotient = (high - highRemainder) / factor;
      return highQuotient * TWO_POW_32 + Math.floor((highRemainder * TWO_POW_32 + low) / factor) + offsetUs;
    }
    if (scale === TimeScale.MULTIPLY) return (high * TWO_POW_32 + low) * factor + offsetUs;
    return Math.floor((high * TWO_POW_32 + low) * factor) + offsetUs;
  }

  private readUint32(data: Uint8Array, at: number): number {
    if (this.isLittleEndian) {
      return (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
    }
    return ((data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3]) >>> 0;
  }

  private readUint16(data: Uint8Array, at: number): number {
    if (this.isLittleEndian) return data[at] | (data[at + 1] << 8);
    return (data[at] << 8) | data[at + 1];
  }
}
