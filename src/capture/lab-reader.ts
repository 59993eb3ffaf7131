/**
 * A bounded packet reader that the root tests start inside a lab namespace
 * (`ip netns exec NS node lab-reader.js ...`). It prints "ready" once the
 * queue or socket is open, reads until stdin sends "stop" or the time limit
 * passes, then prints one JSON summary line and exits.
 *
 *   nfqueue NUM accept|drop-marker|repeat-marker|stall MARKER LIMIT_MS [FLAG...]
 *
 * drop-marker drops packets that contain MARKER; repeat-marker sends them
 * through the hook again with mark 0x1 (NF_REPEAT); stall binds the queue
 * and never reads it. FLAGs: no-gso, fail-open, max-length=N.
 *   afpacket IFACE LIMIT_MS
 */
import { AfPacketCapture } from './af-packet.js';
import { NfQueue, readNfQueueKernelStats, Verdict } from './nfqueue.js';
import { SkbInfo, type PacketBatch } from './native-addon.js';

/** Records kept in the summary; later packets are only counted. */
const MAX_SUMMARY_RECORDS = 200;
/** Mark that repeat-marker gives the packets it repeats. */
const REPEAT_MARK = 0x1;

interface RecordSummary {
  id: number;
  capturedLength: number;
  originalLength: number;
  hwProtocol: number;
  hook: number;
  packetType: number;
  skbInfo: number;
  timestampUs: number;
  hex: string;
  verdict: string;
}

const [mode, target, ...rest] = process.argv.slice(2);
const records: RecordSummary[] = [];
let stopRequested = false;
let packets = 0;
let dropped = 0;
/** Largest packet seen and the packets that carried the NFQA_SKB_INFO GSO flag. */
let maxCapturedLength = 0;
let gsoPackets = 0;

process.stdin.on('data', (chunk) => {
  if (chunk.toString().includes('stop')) stopRequested = true;
});

function remember(batch: PacketBatch, verdict: string): void {
  if (records.length >= MAX_SUMMARY_RECORDS) return;
  records.push({
    id: batch.id,
    capturedLength: batch.capturedLength,
    originalLength: batch.originalLength,
    hwProtocol: batch.hwProtocol,
    hook: batch.hook,
    packetType: batch.packetType,
    skbInfo: batch.skbInfo,
    timestampUs: batch.timestampUs(),
    hex: Buffer.from(batch.data().subarray(0, 64)).toString('hex'),
    verdict,
  });
}

function runQueue(queueNum: number, action: string, marker: Buffer, limitMs: number, flags: string[]): void {
  const maxLengthFlag = flags.find((flag) => flag.startsWith('max-length='));
  const queue = new NfQueue(queueNum, {
    batchBytes: 1 << 20,
    gso: !flags.includes('no-gso'),
    failOpen: flags.includes('fail-open'),
    maxLength: maxLengthFlag === undefined ? 4096 : Number(maxLengthFlag.slice('max-length='.length)),
  });
  const deadline = Date.now() + limitMs;
  const startedAt = Date.now();
  let kernelStats = readNfQueueKernelStats();
  process.stdout.write('ready\n');

  const step = (): void => {
    if (stopRequested || Date.now() > deadline) {
      kernelStats = readNfQueueKernelStats();
      const elapsedMs = Date.now() - startedAt;
      const stats = queue.stats();
      queue.close();
      process.stdout.write(JSON.stringify({ packets, dropped, maxCapturedLength, gsoPackets, elapsedMs, stats, kernelStats, records }) + '\n');
      process.exit(0);
    }
    if (action === 'stall') {
      setTimeout(step, 20);
      return;
    }
    const count = queue.read(20);
    const batch = queue.batch;
    let maxId = -1;
    while (batch.next()) {
      packets++;
      if (batch.capturedLength > maxCapturedLength) maxCapturedLength = batch.capturedLength;
      if ((batch.skbInfo & SkbInfo.GSO) !== 0) gsoPackets++;
      const isMarked = action !== 'accept' && Buffer.from(batch.data()).includes(marker);
      if (isMarked && action === 'repeat-marker') {
        queue.setVerdict(batch.id, Verdict.REPEAT, REPEAT_MARK);
        remember(batch, 'repeat');
      } else if (isMarked) {
        queue.setVerdict(batch.id, Verdict.DROP);
        dropped++;
        remember(batch, 'drop');
      } else {
        remember(batch, 'accept');
      }
      maxId = batch.id;
    }
    // Packets dropped or repeated above already have their verdict; the batch accepts the rest.
    if (count > 0) queue.setVerdictBatch(maxId, Verdict.ACCEPT);
    setImmediate(step);
  };
  step();
}

function runAfPacket(interfaceName: string, limitMs: number): void {
  const capture = new AfPacketCapture(interfaceName);
  const deadline = Date.now() + limitMs;
  process.stdout.write('ready\n');

  const step = (): void => {
    if (stopRequested || Date.now() > deadline) {
      const stats = capture.stats();
      capture.close();
      process.stdout.write(JSON.stringify({ packets, dropped, stats, records }) + '\n');
      process.exit(0);
    }
    capture.read(20);
    const batch = capture.batch;
    while (batch.next()) {
      packets++;
      remember(batch, 'none');
    }
    setImmediate(step);
  };
  step();
}

if (mode === 'nfqueue') {
  runQueue(Number(target), rest[0] ?? 'accept', Buffer.from(rest[1] ?? ''), Number(rest[2] ?? 10_000), rest.slice(3));
} else if (mode === 'afpacket') {
  runAfPacket(target ?? '', Number(rest[0] ?? 10_000));
} else {
  process.stderr.write('usage: lab-reader.js nfqueue NUM accept|drop-marker|repeat-marker|stall MARKER LIMIT_MS [FLAG...] | afpacket IFACE LIMIT_MS\n');
  process.exit(2);
}
