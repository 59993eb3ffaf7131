/**
 * Loads the native addon (native/, built by scripts/build-native.js during
 * `npm install`) and parses the batches of packet records its readers fill.
 * The addon is optional: reading capture files never loads it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CaptureError, ErrorCode } from '../core/errors.js';

/** Path of the addon that node-gyp builds, resolved from this file in dist/src/capture/. */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/kapu_native.node', import.meta.url));

/** Options of the addon's NfQueue constructor. */
export interface NativeNfQueueOptions {
  /** Bytes of each packet copied to user space (1 to 65535, default 65535). */
  copyBytes?: number;
  /** Packets waiting for a verdict at most; past it the kernel drops new packets (or accepts them, with failOpen). Default 4096. */
  maxLength?: number;
  /** Netlink socket receive buffer in bytes; default 8 MiB. */
  receiveBufferBytes?: number;
  /** NFQA_CFG_F_GSO: take GSO packets whole instead of segmenting them; default true. */
  gso?: boolean;
  /** NFQA_CFG_F_FAIL_OPEN: accept packets when the queue is full instead of dropping them; default false. */
  failOpen?: boolean;
}

/** One NFQUEUE queue bound through libnetfilter_queue. */
export interface NativeNfQueue {
  /** The netlink socket (non-blocking), or -1 after close. */
  readonly fd: number;
  /**
   * Waits up to `timeoutMs` (0: not at all, -1: forever) for a packet, then
   * fills `buffer` with the records of every queued packet that fits.
   * Returns the record count, or a negative errno.
   */
  read(buffer: Uint8Array, timeoutMs: number): number;
  /** Sends a verdict for one packet, with a new mark when given. Returns 0 or an errno. */
  setVerdict(id: number, verdict: number, mark?: number): number;
  /** Sends one verdict for every waiting packet with an id up to `maxId`. Returns 0 or an errno. */
  setVerdictBatch(maxId: number, verdict: number, mark?: number): number;
  stats(): { packets: number; bytes: number; enobufs: number; verdictErrors: number };
  close(): void;
}

/** Options of the addon's AfPacket constructor. */
export interface NativeAfPacketOptions {
  /** Put the interface in promiscuous mode while the socket is open; default false. */
  promiscuous?: boolean;
  /** Bytes of each frame kept (1 to 262144, default 65535). */
  snapBytes?: number;
  /** Socket receive buffer in bytes; default 8 MiB. */
  receiveBufferBytes?: number;
}

/** A raw AF_PACKET socket bound to one interface. */
export interface NativeAfPacket {
  readonly fd: number;
  readonly ifIndex: number;
  /** As NativeNfQueue.read, with frames instead of IP packets. */
  read(buffer: Uint8Array, timeoutMs: number): number;
  /** The kernel's PACKET_STATISTICS, summed since the socket opened. */
  stats(): { packets: number; drops: number };
  close(): void;
}

/** Options of the addon's RawSender constructor. */
export interface NativeRawSenderOptions {
  /** Send through this interface only (SO_BINDTODEVICE); default: the routing table decides. */
  interfaceName?: string;
}

/** Raw IPv4 and IPv6 sockets (IP_HDRINCL, IPV6_HDRINCL) that send whole IP packets. */
export interface NativeRawSender {
  /** Sends bytes [0, length) of `packet`, an IP packet with its header, to its destination address. Returns 0 or an errno. */
  send(packet: Uint8Array, length: number): number;
  close(): void;
}

export interface NativeAddon {
  NfQueue: new (queueNum: number, options?: NativeNfQueueOptions) => NativeNfQueue;
  AfPacket: new (interfaceName: string, options?: NativeAfPacketOptions) => NativeAfPacket;
  /** Absent in an addon built before raw sending existed. */
  RawSender?: new (options?: NativeRawSenderOptions) => NativeRawSender;
  RECORD_HEADER_BYTES: number;
}

const INSTALL_ADVICE =
  'install libnetfilter-queue-dev (Debian/Ubuntu) and run: node scripts/build-native.js; reading capture files (-r) works without it';

let loaded: NativeAddon | null = null;

/**
 * Loads the addon on first use. Throws CaptureError
 * KAPU_ERR_CAPTURE_NATIVE_ADDON_MISSING, naming the package to install,
 * when the file is missing or does not load.
 */
export function loadNativeAddon(path: string = NATIVE_ADDON_PATH): NativeAddon {
  if (loaded !== null && path === NATIVE_ADDON_PATH) return loaded;
  if (!existsSync(path)) {
    throw new CaptureError(
      ErrorCode.CAPTURE_NATIVE_ADDON_MISSING,
      `in-line mode and live capture need the native addon, which is not built (${path} not found): ${INSTALL_ADVICE}`,
    );
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CaptureError(
      ErrorCode.CAPTURE_NATIVE_ADDON_MISSING,
      `the native addon ${path} failed to load (${reason}): ${INSTALL_ADVICE}`,
      { cause: error },
    );
  }
  if (path === NATIVE_ADDON_PATH) loaded = addon;
  return addon;
}

/** Returns true when the addon file exists (it may still fail to load). */
export function isNativeAddonBuilt(path: string = NATIVE_ADDON_PATH): boolean {
  return existsSync(path);
}

/** Bytes before each record's packet data; see native/src/record.h for the layout. */
export const RECORD_HEADER_BYTES = 40;

/** NFQA_SKB_INFO flags from linux/netfilter/nfnetlink_queue.h. */
export const SkbInfo = {
  /** The checksum is not computed yet (offloaded); the bytes show a partial one. */
  CSUM_NOT_READY: 1 << 0,
  /** A GSO packet taken whole, larger than the MTU. */
  GSO: 1 << 1,
  /** The checksum was not verified by the kernel or the NIC. */
  CSUM_NOT_VERIFIED: 1 << 2,
} as const;

/**
 * A cursor over the records that one read call wrote into `buffer`. Every
 * field describes the current record after `next()` returned true; the
 * cursor is reused for every batch, so reading allocates nothing.
 */
export class PacketBatch {
  readonly buffer: Uint8Array;
  /** Records written by the last read. */
  count: number;
  /** Index of the current record, -1 before the first `next()`. */
  index: number;
  id: number;
  capturedLength: number;
  originalLength: number;
  timestampSec: number;
  timestampNsec: number;
  mark: number;
  skbInfo: number;
  inIfIndex: number;
  outIfIndex: number;
  hwProtocol: number;
  hook: number;
  packetType: number;
  /** Offset of the current record's packet bytes in `buffer`. */
  dataOffset: number;
  private readonly view: DataView;
  private nextOffset: number;

  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
    this.count = 0;
    this.index = -1;
    this.id = 0;
    this.capturedLength = 0;
    this.originalLength = 0;
    this.timestampSec = 0;
    this.timestampNsec = 0;
    this.mark = 0;
    this.skbInfo = 0;
    this.inIfIndex = 0;
    this.outIfIndex = 0;
    this.hwProtocol = 0;
    this.hook = 0;
    this.packetType = 0;
    this.dataOffset = 0;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.nextOffset = 0;
  }

  /** Starts over at the first of `count` records, after a read returned `count`. */
  reset(count: number): void {
    this.count = count;
    this.index = -1;
    this.nextOffset = 0;
  }

  /** Moves to the next record and returns true, or returns false after the last. */
  next(): boolean {
    if (this.index + 1 >= this.count) return false;
    const view = this.view;
    const at = this.nextOffset;
    this.index++;
    this.id = view.getUint32(at, true);
    this.capturedLength = view.getUint32(at + 4, true);
    this.originalLength = view.getUint32(at + 8, true);
    this.timestampSec = view.getUint32(at + 12, true);
    this.timestampNsec = view.getUint32(at + 16, true);
    this.mark = view.getUint32(at + 20, true);
    this.skbInfo = view.getUint32(at + 24, true);
    this.inIfIndex = view.getUint32(at + 28, true);
    this.outIfIndex = view.getUint32(at + 32, true);
    this.hwProtocol = view.getUint16(at + 36, true);
    this.hook = view.getUint8(at + 38);
    this.packetType = view.getUint8(at + 39);
    this.dataOffset = at + RECORD_HEADER_BYTES;
    // Records are padded to a multiple of 8 bytes.
    this.nextOffset = (this.dataOffset + this.capturedLength + 7) & ~7;
    return true;
  }

  /** Returns the current record's timestamp in microseconds since the epoch. */
  timestampUs(): number {
    return this.timestampSec * 1_000_000 + Math.floor(this.timestampNsec / 1000);
  }

  /** Returns a view of the current record's packet bytes (a small allocation). */
  data(): Uint8Array {
    return this.buffer.subarray(this.dataOffset, this.dataOffset + this.capturedLength);
  }
}
