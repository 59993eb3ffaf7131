/**
 * In-line packet source: one NFQUEUE queue read in batches through the
 * native addon, with verdicts sent back one by one or in batches.
 */
import { readFileSync } from 'node:fs';
import { CaptureError, ErrorCode } from '../core/errors.js';
import { loadNativeAddon, PacketBatch, type NativeNfQueue, type NativeNfQueueOptions } from './native-addon.js';

/** Verdict values from linux/netfilter.h. */
export const Verdict = {
  DROP: 0,
  ACCEPT: 1,
  /** Send the packet through the hook again, usually with a new mark that a rule before the queue matches. */
  REPEAT: 4,
} as const;

/** Default batch buffer: 4 MiB fits 64 full-size (64 KiB) records or thousands of small ones. */
export const DEFAULT_NFQUEUE_BATCH_BYTES = 4 * 1024 * 1024;

export interface NfQueueOptions extends NativeNfQueueOptions {
  /** Size of the batch buffer that each read fills; default DEFAULT_NFQUEUE_BATCH_BYTES. */
  batchBytes?: number;
}

/**
 * One bound queue. Call `read(timeoutMs)`, walk `batch` with `batch.next()`,
 * and send a verdict for every packet id: the kernel keeps each packet
 * until its verdict arrives.
 *
 * `read` blocks the calling thread for up to `timeoutMs` in poll(2), so a
 * worker thread owns each queue; `read(0)` never blocks, for callers that
 * wait on `fd` themselves.
 */
export class NfQueue {
  readonly queueNum: number;
  readonly batch: PacketBatch;
  private readonly native: NativeNfQueue;

  constructor(queueNum: number, options: NfQueueOptions = {}) {
    const addon = loadNativeAddon();
    const batchBytes = options.batchBytes ?? DEFAULT_NFQUEUE_BATCH_BYTES;
    this.queueNum = queueNum;
    this.batch = new PacketBatch(new Uint8Array(batchBytes));
    try {
      this.native = new addon.NfQueue(queueNum, options);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CaptureError(ErrorCode.CAPTURE_LIVE_FAILED, `NFQUEUE ${queueNum}: ${reason}`, { cause: error });
    }
  }

  /** The netlink socket, for callers that poll it; -1 after close. */
  get fd(): number {
    return this.native.fd;
  }

  /**
   * Waits up to `timeoutMs` (0: not at all, -1: forever) and fills `batch`
   * with the queued packets. Returns the packet count. Throws CaptureError
   * when the socket fails.
   */
  read(timeoutMs: number): number {
    const count = this.native.read(this.batch.buffer, timeoutMs);
    if (count < 0) {
      throw new CaptureError(ErrorCode.CAPTURE_LIVE_FAILED, `NFQUEUE ${this.queueNum}: read failed with errno ${-count}`);
    }
    this.batch.reset(count);
    return count;
  }

  /** Sends a verdict for packet `id`, setting its mark when given. Returns 0 or an errno. */
  setVerdict(id: number, verdict: number, mark?: number): number {
    return mark === undefined ? this.native.setVerdict(id, verdict) : this.native.setVerdict(id, verdict, mark);
  }

  /** Sends `verdict` for every waiting packet with an id up to `maxId`. Returns 0 or an errno. */
  setVerdictBatch(maxId: number, verdict: number, mark?: number): number {
    return mark === undefined
      ? this.native.setVerdictBatch(maxId, verdict)
      : this.native.setVerdictBatch(maxId, verdict, mark);
  }

  stats(): { packets: number; bytes: number; enobufs: number; verdictErrors: number } {
    return this.native.stats();
  }

  /** Unbinds the queue; packets still waiting are dropped by the kernel. */
  close(): void {
    this.native.close();
  }
}

/** One line of /proc/net/netfilter/nfnetlink_queue. */
export interface NfQueueKernelStats {
  queueNum: number;
  portId: number;
  /** Packets waiting for a verdict. */
  queueTotal: number;
  copyMode: number;
  copyRange: number;
  /** Packets the kernel dropped because the queue was full. */
  queueDropped: number;
  /** Packets lost because the netlink socket buffer was full. */
  userDropped: number;
  /** Id of the last packet queued. */
  idSequence: number;
}

/**
 * Parses /proc/net/netfilter/nfnetlink_queue. The file lists the bound
 * queues of the reader's network namespace, one line each, in the order
 * queue number, port id, queue total, copy mode, copy range, queue dropped,
 * user dropped, id sequence, and a constant 1.
 */
export function parseNfQueueKernelStats(text: string): NfQueueKernelStats[] {
  const result: NfQueueKernelStats[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const numbers = fields.map(Number);
    if (numbers.some((n) => !Number.isFinite(n))) continue;
    result.push({
      queueNum: numbers[0],
      portId: numbers[1],
      queueTotal: numbers[2],
      copyMode: numbers[3],
      copyRange: numbers[4],
      queueDropped: numbers[5],
      userDropped: numbers[6],
      idSequence: numbers[7],
    });
  }
  return result;
}

/** Reads the kernel's counters for the queues of this network namespace. */
export function readNfQueueKernelStats(path = '/proc/net/netfilter/nfnetlink_queue'): NfQueueKernelStats[] {
  return parseNfQueueKernelStats(readFileSync(path, 'utf8'));
}
