/**
 * Helpers for the root tests that build a namespace lab with
 * scripts/netlab.sh and run lab-reader.js inside it. Every command has a
 * time limit, and teardown ends the processes inside the namespaces by PID.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isNativeAddonBuilt } from './native-addon.js';

const NETLAB = fileURLToPath(new URL('../../../scripts/netlab.sh', import.meta.url));
const LAB_READER = fileURLToPath(new URL('./lab-reader.js', import.meta.url));

/** Returns why the root tests cannot run here, or null when they can. */
export function labSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces and NFQUEUE';
  if (!isNativeAddonBuilt()) return 'native addon not built (node scripts/build-native.js)';
  return null;
}

/** Runs a command with a time limit and returns its status and output. */
export function run(command: string, args: string[], timeoutMs = 10_000): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export class NetLab {
  readonly tag: string;

  constructor(prefix: string) {
    this.tag = `${prefix}${process.pid}`;
  }

  namespace(host: 'cli' | 'ips' | 'srv'): string {
    return `${this.tag}-${host}`;
  }

  setup(): void {
    const result = run(NETLAB, ['setup', this.tag], 30_000);
    if (result.status !== 0) throw new Error(`netlab setup failed: ${result.stderr.trim()}`);
  }

  teardown(): void {
    run(NETLAB, ['teardown', this.tag], 30_000);
  }

  exec(host: 'cli' | 'ips' | 'srv', args: string[], timeoutMs = 10_000): { status: number | null; stdout: string; stderr: string } {
    return run('ip', ['netns', 'exec', this.namespace(host), ...args], timeoutMs);
  }

  /** Starts a long-running command in `host`. Teardown ends it if the test does not. */
  spawn(host: 'cli' | 'ips' | 'srv', args: string[]): ChildProcessWithoutNullStreams {
    return spawn('ip', ['netns', 'exec', this.namespace(host), ...args]);
  }

  /** Starts lab-reader.js in `host` and resolves once it printed "ready". */
  async startReader(host: 'cli' | 'ips' | 'srv', args: string[]): Promise<LabReader> {
    const child = this.spawn(host, [process.execPath, LAB_READER, ...args]);
    const reader = new LabReader(child);
    await reader.waitReady(5_000);
    return reader;
  }
}

/** The output side of a lab-reader.js child. */
export class LabReader {
  private output = '';
  private errors = '';
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.errors += chunk.toString();
    });
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('ready\n')) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`lab reader did not start: ${this.errors.trim()}`);
      }
      await sleep(20);
    }
  }

  /** Asks the reader to stop and returns its JSON summary. */
  async stop(timeoutMs = 5_000): Promise<LabSummary> {
    this.child.stdin.write('stop\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    const line = this.output.split('\n').find((l) => l.startsWith('{'));
    if (line === undefined) throw new Error(`lab reader printed no summary: ${this.errors.trim()}`);
    return JSON.parse(line) as LabSummary;
  }
}

export interface LabSummary {
  packets: number;
  dropped: number;
  maxCapturedLength?: number;
  gsoPackets?: number;
  elapsedMs?: number;
  stats: Record<string, number>;
  kernelStats?: { queueNum: number; queueDropped: number; userDropped: number; idSequence: number }[];
  records: {
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
  }[];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects a child's output and resolves `exited` with its exit code. */
export function watchChild(child: ChildProcessWithoutNullStreams): { output: () => string; exited: Promise<number | null> } {
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { output: () => text, exited };
}

/** Polls `check` every 100 ms, at most `tries` times, and returns whether it became true. */
export async function waitUntil(check: () => boolean, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await sleep(100);
  }
  return false;
}

/** Formats 4 bytes of `hex` at byte offset `at` as a dotted IPv4 address. */
export function ipv4At(hex: string, at: number): string {
  const parts: number[] = [];
  for (let i = 0; i < 4; i++) parts.push(parseInt(hex.slice((at + i) * 2, (at + i) * 2 + 2), 16));
  return parts.join('.');
}
