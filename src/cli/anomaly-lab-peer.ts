/**
 * The hosts of the namespace test of the anomaly stage (anomaly-lab.test.ts),
 * run inside a lab namespace as one of:
 *
 *   node anomaly-lab-peer.js http-server ADDRESS PORT
 *   node anomaly-lab-peer.js http-client HOST PORT GAP_MS
 *   node anomaly-lab-peer.js scan SOURCE HOST FIRST_PORT COUNT GAP_MS
 *   node anomaly-lab-peer.js syn-flood SOURCE_PREFIX FIRST LAST HOST PORT COUNT PPS
 *
 * - http-server responds to every request with a short text body and prints
 *   "ready" once it listens.
 * - http-client sends one GET on a new connection, waits GAP_MS after the
 *   response and sends the next, until stdin reads "stop". Each request has
 *   a 3 s limit. It then prints one JSON line with the counts and every
 *   failure, with its wall time.
 * - scan makes COUNT TCP connection attempts from SOURCE to ports
 *   FIRST_PORT and up, one every GAP_MS, each with a 1 s limit, and prints
 *   one JSON line: attempts connected, refused (a reset came back) and
 *   timed out, and the wall times of the first and the last attempt.
 * - syn-flood sends COUNT TCP SYNs to HOST:PORT through a raw socket, at
 *   about PPS a second, from the addresses SOURCE_PREFIX.FIRST to
 *   SOURCE_PREFIX.LAST in turn (an IPv4 /24 prefix such as 198.51.100),
 *   each from a new source port. It prints one JSON line with the packets
 *   sent, the send errors and the wall times of the first and last send.
 *
 * Every loop is bounded in count, and every mode ends by itself within a
 * minute at the latest.
 */
import { request, createServer } from 'node:http';
import { connect } from 'node:net';
import { RawRejectSender } from '../act/reject-sender.js';
import { addChecksumWords, foldChecksum } from '../decode/checksum.js';

/** Upper bound of any mode's run time. */
const MAX_RUN_MS = 60_000;
const REQUEST_TIMEOUT_MS = 3_000;
const CONNECT_TIMEOUT_MS = 1_000;
/** Packets the flood sends between two sleeps. */
const FLOOD_BATCH = 8;
const IPV4_HEADER_BYTES = 20;
const TCP_HEADER_BYTES = 20;
const TCP_SYN = 0x02;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function runHttpServer(address: string, port: number): void {
  const server = createServer((req, res) => {
    req.resume();
    res.end('lab page\n');
  });
  server.listen(port, address, () => process.stdout.write('ready\n'));
  setTimeout(() => process.exit(0), MAX_RUN_MS).unref();
}

/** Sends one GET on a new connection; resolves null on success, or the reason it failed. */
function getOnce(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'lab page\n' ? null : `status ${res.statusCode}`));
      res.on('error', (err) => resolve(err.message));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

async function runHttpClient(host: string, port: number, gapMs: number): Promise<void> {
  let isStopped = false;
  process.stdin.on('data', (data) => {
    if (String(data).includes('stop')) isStopped = true;
  });
  const deadline = Date.now() + MAX_RUN_MS;
  const failures: { atMs: number; reason: string }[] = [];
  let sent = 0;
  let firstMs = 0;
  while (!isStopped && Date.now() < deadline) {
    const startedMs = Date.now();
    if (firstMs === 0) firstMs = startedMs;
    sent++;
    const reason = await getOnce(host, port);
    if (reason !== null) failures.push({ atMs: startedMs, reason });
    if (sent === 1) process.stdout.write('ready\n');
    await sleep(gapMs);
  }
  process.stdout.write(JSON.stringify({ sent, failed: failures.length, failures, firstMs, lastMs: Date.now() }) + '\n');
  process.exit(0);
}

/** Tries one connection; resolves how it ended. */
function tryConnect(source: string, host: string, port: number): Promise<'connected' | 'refused' | 'timed out' | 'failed'> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress: source, timeout: CONNECT_TIMEOUT_MS });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve('timed out');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'failed'));
  });
}

async function runScan(source: string, host: string, firstPort: number, count: number, gapMs: number): Promise<void> {
  const counts = { connected: 0, refused: 0, 'timed out': 0, failed: 0 };
  const pending: Promise<void>[] = [];
  const firstMs = Date.now();
  for (let i = 0; i < count && Date.now() < firstMs + MAX_RUN_MS; i++) {
    pending.push(tryConnect(source, host, firstPort + i).then((outcome) => {
      counts[outcome]++;
    }));
    await sleep(gapMs);
  }
  const lastMs = Date.now();
  await Promise.all(pending);
  process.stdout.write(JSON.stringify({ attempts: pending.length, ...counts, timedOut: counts['timed out'], firstMs, lastMs }) + '\n');
}

function parseIpv4(text: string): number[] {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`invalid IPv4 address '${text}' (expected a.b.c.d)`);
  return parts;
}

/** Writes an IPv4 TCP SYN with both checksums into `out` and returns its length. */
function buildSyn(out: Uint8Array, source: number[], dest: number[], sourcePort: number, destPort: number, sequence: number): number {
  const length = IPV4_HEADER_BYTES + TCP_HEADER_BYTES;
  out.fill(0, 0, length);
  out[0] = 0x45;
  out[2] = length >> 8;
  out[3] = length & 0xff;
  out[8] = 64;
  out[9] = 6;
  out.set(source, 12);
  out.set(dest, 16);
  const ipSum = ~foldChecksum(addChecksumWords(out, 0, IPV4_HEADER_BYTES, 0)) & 0xffff;
  out[10] = ipSum >> 8;
  out[11] = ipSum & 0xff;

  const t = IPV4_HEADER_BYTES;
  out[t] = sourcePort >> 8;
  out[t + 1] = sourcePort & 0xff;
  out[t + 2] = destPort >> 8;
  out[t + 3] = destPort & 0xff;
  out[t + 4] = sequence >>> 24;
  out[t + 5] = (sequence >>> 16) & 0xff;
  out[t + 6] = (sequence >>> 8) & 0xff;
  out[t + 7] = sequence & 0xff;
  out[t + 12] = (TCP_HEADER_BYTES / 4) << 4;
  out[t + 13] = TCP_SYN;
  out[t + 14] = 0xfa;
  out[t + 15] = 0xf0;
  // Pseudo-header (RFC 9293 section 3.1): addresses, protocol and TCP length.
  let sum = addChecksumWords(out, 12, 20, 0);
  sum += 6 + TCP_HEADER_BYTES;
  sum = addChecksumWords(out, t, length, sum);
  const tcpSum = ~foldChecksum(sum) & 0xffff;
  out[t + 16] = tcpSum >> 8;
  out[t + 17] = tcpSum & 0xff;
  return length;
}

async function runSynFlood(prefix: string, first: number, last: number, host: string, port: number, count: number, pps: number): Promise<void> {
  const dest = parseIpv4(host);
  const sources: number[][] = [];
  for (let n = first; n <= last; n++) sources.push(parseIpv4(`${prefix}.${n}`));
  const sender = new RawRejectSender();
  const packet = new Uint8Array(IPV4_HEADER_BYTES + TCP_HEADER_BYTES);
  const batchMs = (FLOOD_BATCH * 1000) / pps;
  let sent = 0;
  let errors = 0;
  const firstMs = Date.now();
  while (sent < count && Date.now() < firstMs + MAX_RUN_MS) {
    for (let b = 0; b < FLOOD_BATCH && sent < count; b++) {
      const source = sources[sent % sources.length] as number[];
      const length = buildSyn(packet, source, dest, 1024 + (sent % 60000), port, (sent * 2654435761) >>> 0);
      if (sender.send(packet, length) !== 0) errors++;
      sent++;
    }
    // Sleeps until the next batch is due, so the rate stays on target even when a timer fires late.
    const dueMs = firstMs + (sent / FLOOD_BATCH) * batchMs;
    const waitMs = dueMs - Date.now();
    if (waitMs >= 1) await sleep(waitMs);
  }
  sender.close();
  process.stdout.write(JSON.stringify({ sent, errors, firstMs, lastMs: Date.now() }) + '\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(3);
  switch (process.argv[2]) {
    case 'http-server':
      runHttpServer(args[0] as string, Number(args[1]));
      return;
    case 'http-client':
      await runHttpClient(args[0] as string, Number(args[1]), Number(args[2]));
      return;
    case 'scan':
      await runScan(args[0] as string, args[1] as string, Number(args[2]), Number(args[3]), Number(args[4]));
      return;
    case 'syn-flood':
      await runSynFlood(args[0] as string, Number(args[1]), Number(args[2]), args[3] as string, Number(args[4]), Number(args[5]), Number(args[6]));
      return;
    default:
      process.stderr.write(`anomaly-lab-peer: unknown mode '${process.argv[2]}' (expected http-server, http-client, scan or syn-flood)\n`);
      process.exitCode = 2;
  }
}

await main();
