/**
 * Opens a capture file and picks its reader by the magic number of the
 * first four bytes.
 */
import { openSync } from 'node:fs';
import { CaptureError, ErrorCode, KapuError } from '../core/errors.js';
import type { CaptureReader } from './capture-reader.js';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US, PcapReader } from './pcap-reader.js';
import { PCAPNG_SHB_TYPE, PcapngReader } from './pcapng-reader.js';
import { ReadBuffer } from './read-buffer.js';

export { CaptureReader } from './capture-reader.js';
export { PcapReader } from './pcap-reader.js';
export { PcapngReader } from './pcapng-reader.js';

/**
 * Opens `path` as a pcap (either byte order, microsecond or nanosecond
 * timestamps) or pcapng file. Throws CaptureError when the file cannot be
 * opened (KAPU_ERR_CAPTURE_OPEN_FAILED) or is not a capture file
 * (KAPU_ERR_CAPTURE_BAD_FORMAT).
 */
export function openCaptureFile(path: string): CaptureReader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CaptureError(ErrorCode.CAPTURE_OPEN_FAILED, `${path}: cannot open capture file: ${reason}`, { cause: err });
  }

  const input = new ReadBuffer(fd);
  try {
    if (!input.ensure(4)) {
      throw new CaptureError(ErrorCode.CAPTURE_BAD_FORMAT, `${path}: not a capture file: ${input.available} bytes, too short for a pcap or pcapng header`);
    }
    const data = input.data;
    const magicBe = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
    const magicLe = ((data[3] << 24) | (data[2] << 16) | (data[1] << 8) | data[0]) >>> 0;
    if (magicBe === PCAPNG_SHB_TYPE) return new PcapngReader(path, input);
    if (magicBe === PCAP_MAGIC_US || magicBe === PCAP_MAGIC_NS || magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS) {
      return new PcapReader(path, input);
    }
    throw new CaptureError(
      ErrorCode.CAPTURE_BAD_FORMAT,
      `${path}: not a capture file: unknown magic number 0x${magicBe.toString(16).padStart(8, '0')} (expected pcap a1b2c3d4 or a1b23c4d in either byte order, or pcapng 0a0d0d0a)`,
    );
  } catch (err) {
    input.close();
    if (err instanceof KapuError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new CaptureError(ErrorCode.CAPTURE_OPEN_FAILED, `${path}: cannot read capture file: ${reason}`, { cause: err });
  }
}
