/**
 * Reader for the classic libpcap format: a 24-byte file header, then per
 * packet a 16-byte record header and the captured bytes. The magic number
 * gives the byte order and whether the second timestamp field counts
 * microseconds (0xa1b2c3d4) or nanoseconds (0xa1b23c4d).
 *
 *   file header: magic(4) major(2) minor(2) thiszone(4) sigfigs(4)
 *                snaplen(4) linktype(4)
 *   record:      ts_sec(4) ts_frac(4) incl_len(4) orig_len(4) data
 */
import type { Packet } from '../core/packet.js';
import { CaptureReader } from './capture-reader.js';
import type { ReadBuffer } from './read-buffer.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

/**
 * Largest captured length accepted for one record when the file's snaplen
 * is smaller. libpcap uses the same 256 KiB bound; a larger record means a
 * corrupt file and raises CaptureError.
 */
export const PCAP_MAX_RECORD_BYTES = 262144;

export class PcapReader extends CaptureReader {
  readonly format = 'pcap' as const;
  readonly isLittleEndian: boolean;
  readonly isNanosecond: boolean;
  readonly linkType: number;
  readonly snapLength: number;
  private readonly maxRecordBytes: number;

  /** Reads the file header; `input` is positioned at the start of the file. */
  constructor(path: string, input: ReadBuffer) {
    super(path, input);
    if (!input.ensure(PCAP_FILE_HEADER_BYTES)) {
      throw this.corrupt(0, `the file header needs ${PCAP_FILE_HEADER_BYTES} bytes, the file has ${input.available}`);
    }
    const view = new DataView(input.data.buffer, input.data.byteOffset + input.start, PCAP_FILE_HEADER_BYTES);
    const magicLe = view.getUint32(0, true);
    this.isLittleEndian = magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS;
    const magic = view.getUint32(0, this.isLittleEndian);
    if (magic !== PCAP_MAGIC_US && magic !== PCAP_MAGIC_NS) {
      throw this.corrupt(0, `unknown magic number 0x${view.getUint32(0, false).toString(16)}`);
    }
    this.isNanosecond = magic === PCAP_MAGIC_NS;
    const major = view.getUint16(4, this.isLittleEndian);
    if (major !== 2) {
      throw this.corrupt(4, `version ${major} is not supported (expected 2)`);
    }
    this.snapLength = view.getUint32(16, this.isLittleEndian);
    // The upper bits of the link-type field carry FCS information.
    this.linkType = view.getUint32(20, this.isLittleEndian) & 0xffff;
    this.maxRecordBytes = Math.max(this.snapLength, PCAP_MAX_RECORD_BYTES);
    input.start += PCAP_FILE_HEADER_BYTES;
  }

  next(p: Packet): boolean {
    const input = this.input;
    if (!input.ensure(PCAP_RECORD_HEADER_BYTES)) {
      if (input.available > 0) this.truncatedRecords++;
      input.start = input.end;
      return false;
    }

    const data = input.data;
    const at = input.start;
    const seconds = this.readUint32(data, at);
    const fraction = this.readUint32(data, at + 4);
    const captureLength = this.readUint32(data, at + 8);
    const wireLength = this.readUint32(data, at + 12);
    if (captureLength > this.maxRecordBytes) {
      throw this.corrupt(input.position + 8, `captured length ${captureLength} of packet ${this.packets + 1} is larger than the maximum ${this.maxRecordBytes}`);
    }

    if (!input.ensure(PCAP_RECORD_HEADER_BYTES + captureLength)) {
      this.truncatedRecords++;
      input.start = input.end;
      return false;
    }

    // ensure() may have moved the window, so offsets are taken again.
    const bytesAt = input.start + PCAP_RECORD_HEADER_BYTES;
    const bytes = input.data.subarray(bytesAt, bytesAt + captureLength);
    input.start = bytesAt + captureLength;
    const timestampUs = seconds * 1_000_000 + (this.isNanosecond ? Math.floor(fraction / 1000) : fraction);
    this.packets++;
    this.bytes += captureLength;
    p.reset(bytes, timestampUs, wireLength, this.linkType, this.packets);
    return true;
  }

  private readUint32(data: Uint8Array, at: number): number {
    if (this.isLittleEndian) {
      return (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
    }
    return ((data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3]) >>> 0;
  }
}
