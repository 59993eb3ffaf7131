/**
 * Lab steps for `npm run bench:inline` (bench/inline.ts): starting and
 * stopping programs inside the namespaces, reading the kernel's queue
 * counters, and running iperf3 and ping. Every wait has a time limit, and
 * programs are stopped by their PID.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { NetLab, sleep, waitUntil, watchChild } from '../src/capture/netlab-harness.js';

export type LabHost = 'cli' | 'ips' | 'srv';

/** Options added to every `kapu run` of the benchmark, such as `--workers 2` from its command line. */
export const KAPU_RUN_OPTIONS: string[] = [];

/** How long a stopped program may take to exit after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 10_000;

/** A program running in the lab, with its collected output. */
export class LabProcess {
  readonly output: () => string;
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    const watched = watchChild(child);
    this.output = watched.output;
    this.exited = watched.exited;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends SIGTERM and waits for the exit, then SIGKILL after STOP_GRACE_MS. Returns the exit code. */
  async stop(): Promise<number | null> {
    if (!this.isRunning) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Starts `args` in `host` and resolves once its output contains `readyText`, within `timeoutMs`. */
export async function startUntilOutput(lab: NetLab, host: LabHost, args: string[], readyText: string, timeoutMs: number): Promise<LabProcess> {
  const program = new LabProcess(lab.spawn(host, args));
  const ready = await waitUntil(() => program.output().includes(readyText) || !program.isRunning, Math.ceil(timeoutMs / 100));
  if (!ready || !program.output().includes(readyText)) {
    await program.stop();
    throw new Error(`${args[0]} did not start in ${lab.namespace(host)}: ${program.output().trim().slice(-500)}`);
  }
  return program;
}

/** One line of /proc/net/netfilter/nfnetlink_queue. */
export interface QueueCounters {
  queueNum: number;
  /** Packets waiting for a verdict now. */
  queueTotal: number;
  /** Packets the kernel dropped because the queue was full. */
  queueDropped: number;
  /** Packets lost because the program's netlink socket buffer was full. */
  userDropped: number;
  /** Last packet id handed out: the number of packets queued since the program bound. */
  idSequence: number;
}

/** Reads the router's queue counters, or null while no program is bound to `queueNum`. */
export function readQueueCounters(lab: NetLab, queueNum: number): QueueCounters | null {
  const text = lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout;
  for (const line of text.split('\n')) {
    // Columns: queue, port id, waiting, copy mode, copy range, queue dropped, user dropped, id sequence, 1.
    const fields = line.trim().split(/\s+/).map(Number);
    if (fields.length < 8 || fields[0] !== queueNum) continue;
    return { queueNum, queueTotal: fields[2]!, queueDropped: fields[5]!, userDropped: fields[6]!, idSequence: fields[7]! };
  }
  return null;
}

/** Starts a queue consumer and resolves once it has bound `queueNum`, within `timeoutMs`. */
export async function startQueueConsumer(lab: NetLab, args: string[], queueNum: number, timeoutMs: number): Promise<LabProcess> {
  const program = new LabProcess(lab.spawn('ips', args));
  const bound = await waitUntil(() => !program.isRunning || readQueueCounters(lab, queueNum) !== null, Math.ceil(timeoutMs / 100));
  if (!bound || !program.isRunning) {
    await program.stop();
    throw new Error(`${args.join(' ').slice(0, 120)} did not bind queue ${queueNum}: ${program.output().trim().slice(-500)}`);
  }
  return program;
}

/** Result of one iperf3 run. */
export interface IperfResult {
  bitsPerSecond: number;
  retransmits: number;
}

/** Runs one iperf3 TCP test from the client to `server` for `seconds`. */
export async function runIperf(lab: NetLab, server: string, seconds: number): Promise<IperfResult> {
  const client = new LabProcess(lab.spawn('cli', ['timeout', String(seconds + 15), 'iperf3', '-c', server, '-t', String(seconds), '-J']));
  await client.exited;
  const text = client.output();
  let report: { error?: string; end?: { sum_received?: { bits_per_second?: number }; sum_sent?: { retransmits?: number } } };
  try {
    report = JSON.parse(text.slice(text.indexOf('{'))) as typeof report;
  } catch {
    throw new Error(`iperf3 printed no JSON report: ${text.trim().slice(-300)}`);
  }
  if (report.error !== undefined) throw new Error(`iperf3 failed: ${report.error}`);
  return { bitsPerSecond: report.end?.sum_received?.bits_per_second ?? 0, retransmits: report.end?.sum_sent?.retransmits ?? 0 };
}

/** Pings `target` from the client `count` times, `intervalS` apart, and returns the round-trip times in ms. */
export async function runPing(lab: NetLab, target: string, count: number, intervalS: number): Promise<number[]> {
  const limitS = Math.ceil(count * intervalS) + 5;
  const ping = new LabProcess(lab.spawn('cli', ['ping', '-n', '-c', String(count), '-i', String(intervalS), '-w', String(limitS), target]));
  await ping.exited;
  const rtts: number[] = [];
  for (const match of ping.output().matchAll(/time=([0-9.]+) ms/g)) rtts.push(Number(match[1]));
  return rtts;
}

/** Returns the nearest-rank percentile `p` (0 to 100) of `values`, or NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Byte counters of one router interface. */
export function readInterfaceBytes(lab: NetLab, device: string): { rx: number; tx: number } {
  const read = (name: string): number => Number(lab.exec('ips', ['cat', `/sys/class/net/${device}/statistics/${name}`]).stdout.trim());
  return { rx: read('rx_bytes'), tx: read('tx_bytes') };
}

export { sleep };
