/**
 * HTTP load for `npm run bench:inline`, run inside the lab's namespaces.
 *
 *   node dist/bench/inline-http.js server HOST PORT
 *     Responds to every GET with a 16 KB text page and closes the connection.
 *     Prints "ready" once listening, and "seen PATH" for each request whose
 *     path contains "cmd.exe", so the benchmark can tell whether the attack
 *     request got through.
 *
 *   node dist/bench/inline-http.js client HOST PORT MAX_TRANSACTIONS MAX_SECONDS ATTACK_PATH ATTACK_AT_MS [RATE]
 *     Runs short transactions (a new TCP connection for each GET) from
 *     CLIENT_CONCURRENCY workers until MAX_TRANSACTIONS completed or
 *     MAX_SECONDS passed. At ATTACK_AT_MS (unless it is negative) it also
 *     sends one GET for ATTACK_PATH, which waits at most ATTACK_TIMEOUT_MS
 *     for a response. With RATE above 0, transaction n starts no sooner than
 *     n / RATE seconds after the first, so the load stays at RATE per
 *     second. Prints one JSON line (ClientReport).
 */
import { createServer, request, type IncomingMessage } from 'node:http';

export const PAGE_BYTES = 16 * 1024;
/** Workers with a transaction in flight at once. */
const CLIENT_CONCURRENCY = 8;
/** Limit of one ordinary transaction. One that takes longer counts as failed. */
const TRANSACTION_TIMEOUT_MS = 5_000;
/** Limit of the attack request: a request that the IPS drops gets no response. */
export const ATTACK_TIMEOUT_MS = 3_000;

/** Client figures, printed as one JSON line. */
export interface ClientReport {
  transactions: number;
  failed: number;
  bodyBytes: number;
  elapsedMs: number;
  /** "timeout" when the attack request got no response in time, else the status code or error code. */
  attackOutcome: string;
}

function buildPage(): Buffer {
  const lines: string[] = ['<!doctype html><html><head><title>Lab catalogue</title></head><body>\n'];
  let length = lines[0]!.length;
  for (let item = 1; length < PAGE_BYTES; item++) {
    const line = `<p>Item ${item}: a plain product line for the lab shop, in stock, ships in ${(item % 7) + 1} days.</p>\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, PAGE_BYTES);
}

function runServer(host: string, port: number): void {
  const page = buildPage();
  const server = createServer((req, res) => {
    if (req.url !== undefined && req.url.includes('cmd.exe')) process.stdout.write(`seen ${req.url}\n`);
    res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': page.length, Connection: 'close' });
    res.end(page);
  });
  server.listen(port, host, () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

/** Sends one GET on a new connection and resolves with the status code, or an error code. */
function fetchOnce(host: string, port: number, path: string, timeoutMs: number, onBody: (bytes: number) => void): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, headers: { 'User-Agent': 'kapu-bench/1.0' } }, (res: IncomingMessage) => {
      res.on('data', (chunk: Buffer) => onBody(chunk.length));
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end();
  });
}

async function runClient(host: string, port: number, maxTransactions: number, maxSeconds: number, attackPath: string, attackAtMs: number, rate: number): Promise<void> {
  const report: ClientReport = { transactions: 0, failed: 0, bodyBytes: 0, elapsedMs: 0, attackOutcome: 'not sent' };
  const startedMs = performance.now();
  const deadlineMs = startedMs + maxSeconds * 1000;
  let started = 0;
  const countBody = (bytes: number): void => {
    report.bodyBytes += bytes;
  };

  const worker = async (): Promise<void> => {
    while (started < maxTransactions && performance.now() < deadlineMs) {
      started++;
      if (rate > 0) {
        const dueMs = startedMs + (started * 1000) / rate - performance.now();
        if (dueMs > 0) await new Promise((resolve) => setTimeout(resolve, dueMs));
      }
      const outcome = await fetchOnce(host, port, `/catalogue/page-${started}.html`, TRANSACTION_TIMEOUT_MS, countBody);
      if (outcome === '200') report.transactions++;
      else report.failed++;
    }
  };
  const attack = async (): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, attackAtMs));
    report.attackOutcome = await fetchOnce(host, port, attackPath, ATTACK_TIMEOUT_MS, () => {});
  };

  const workers: Promise<void>[] = attackAtMs < 0 ? [] : [attack()];
  for (let i = 0; i < CLIENT_CONCURRENCY; i++) workers.push(worker());
  await Promise.all(workers);
  report.elapsedMs = performance.now() - startedMs;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function main(): Promise<void> {
  const [role, host, portText, ...rest] = process.argv.slice(2);
  const port = Number(portText);
  if (host === undefined || !Number.isInteger(port)) throw new Error('usage: inline-http.js server|client HOST PORT ...');
  if (role === 'server') {
    runServer(host, port);
    return;
  }
  if (role === 'client' && (rest.length === 4 || rest.length === 5)) {
    await runClient(host, port, Number(rest[0]), Number(rest[1]), rest[2]!, Number(rest[3]), Number(rest[4] ?? 0));
    return;
  }
  throw new Error(`invalid arguments: ${process.argv.slice(2).join(' ')}`);
}

// Only as a program: bench/inline.ts imports the constants above.
if (process.argv[1]?.endsWith('inline-http.js') === true) {
  main().catch((err: unknown) => {
    process.stderr.write(`inline-http: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
