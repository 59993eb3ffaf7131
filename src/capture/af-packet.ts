/**
 * Live capture from one interface through a raw AF_PACKET socket in the
 * native addon, read in batches with kernel timestamps (SO_TIMESTAMPNS).
 */
import { CaptureError, ErrorCode } from '../core/errors.js';
import { loadNativeAddon, PacketBatch, type NativeAfPacket, type NativeAfPacketOptions } from './native-addon.js';

/** sll_pkttype values from linux/if_packet.h, found in `batch.packetType`. */
export const PacketType = {
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
} as const;

/** Default batch buffer: 4 MiB fits 64 full-size (64 KiB) records. */
export const DEFAULT_AF_PACKET_BATCH_BYTES = 4 * 1024 * 1024;

export interface AfPacketOptions extends NativeAfPacketOptions {
  /** Size of the batch buffer that each read fills; default DEFAULT_AF_PACKET_BATCH_BYTES. */
  batchBytes?: number;
}

/**
 * A capture on one interface. Frames sent and received by the interface
 * both arrive and `batch.packetType` distinguishes them. `read` blocks the
 * calling thread for up to `timeoutMs` in poll(2); `read(0)` never blocks.
 */
export class AfPacketCapture {
  readonly interfaceName: string;
  readonly batch: PacketBatch;
  private readonly native: NativeAfPacket;

  constructor(interfaceName: string, options: AfPacketOptions = {}) {
    const addon = loadNativeAddon();
    this.interfaceName = interfaceName;
    this.batch = new PacketBatch(new Uint8Array(options.batchBytes ?? DEFAULT_AF_PACKET_BATCH_BYTES));
    try {
      this.native = new addon.AfPacket(interfaceName, options);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CaptureError(ErrorCode.CAPTURE_LIVE_FAILED, `AF_PACKET on ${interfaceName}: ${reason}`, { cause: error });
    }
  }

  get fd(): number {
    return this.native.fd;
  }

  get ifIndex(): number {
    return this.native.ifIndex;
  }

  /** Waits up to `timeoutMs` and fills `batch` with the frames received. Returns the frame count. */
  read(timeoutMs: number): number {
    const count = this.native.read(this.batch.buffer, timeoutMs);
    if (count < 0) {
      throw new CaptureError(ErrorCode.CAPTURE_LIVE_FAILED, `AF_PACKET on ${this.interfaceName}: read failed with errno ${-count}`);
    }
    this.batch.reset(count);
    return count;
  }

  /** Frames the kernel delivered and dropped (socket buffer full) since the socket opened. */
  stats(): { packets: number; drops: number } {
    return this.native.stats();
  }

  close(): void {
    this.native.close();
  }
}
