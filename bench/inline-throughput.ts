/**
 * Part 1 of `npm run bench:inline`: TCP throughput with iperf3 from the
 * client to the server through the router, forwarded plainly, through the
 * C accept-all reference (bench/nfq-accept.c) and through kapu with no
 * rules, each without and with GSO packets taken whole.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import type { NetLab } from '../src/capture/netlab-harness.js';
import { KAPU_RUN_OPTIONS, LabProcess, readQueueCounters, runIperf, startQueueConsumer, type IperfResult } from './inline-lab.js';

export const QUEUE_NUM = 0;
export const SERVER4 = '203.0.113.2';
const IPERF_PORT = 5201;
/** Length of one iperf3 test, in seconds. */
export const IPERF_SECONDS = 10;
/** Runs of each mode, interleaved with the other modes. The best run is reported. */
export const REPEATS = 2;
const CONSUMER_START_MS = 20_000;

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KAPU = join(REPO_ROOT, 'bin', 'kapu.js');
export const NETLAB = join(REPO_ROOT, 'scripts', 'netlab.sh');
const C_SOURCE = join(REPO_ROOT, 'bench', 'nfq-accept.c');

/** One measured way of forwarding. `consumer` is null for plain forwarding. */
interface ThroughputMode {
  name: string;
  consumer: string[] | null;
}

export interface ThroughputResult {
  name: string;
  runs: IperfResult[];
  /** Highest Gbit/s of the runs. */
  bestGbps: number;
  /** Packets queued to the consumer in its best run (id sequence of the queue), 0 for plain forwarding. */
  queuedPackets: number;
}

/** Sends the router's forwarded IPv4 and IPv6 packets to QUEUE_NUM, without bypass. */
export function setQueueRules(lab: NetLab, enabled: boolean): void {
  const args = enabled ? ['queue-on', lab.tag, String(QUEUE_NUM), '--no-bypass'] : ['queue-off', lab.tag];
  const result = spawnSync(NETLAB, args, { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`netlab.sh ${args[0]} failed: ${(result.stderr ?? '').trim()}`);
}

/** Compiles the C reference into `folder` and returns its path, or throws with the compiler's message. */
export function compileReference(folder: string): string {
  const binary = join(folder, 'nfq-accept');
  const result = spawnSync('cc', ['-O2', '-Wall', '-o', binary, C_SOURCE, '-lnetfilter_queue', '-lnfnetlink'], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`cc failed on bench/nfq-accept.c (needs libnetfilter-queue-dev): ${(result.stderr ?? '').trim()}`);
  return binary;
}

function listModes(reference: string | null, scratch: string): ThroughputMode[] {
  const emptyRules = join(scratch, 'empty.rules');
  writeFileSync(emptyRules, '');
  const kapu = (gso: boolean): string[] => [
    process.execPath, KAPU, 'run', ...KAPU_RUN_OPTIONS, '-q', String(QUEUE_NUM), '-S', emptyRules, '-l', join(scratch, `log-${gso ? 'gso' : 'nogso'}`),
    '--set', `nfq.gso=${gso ? 'yes' : 'no'}`, '--quiet',
  ];
  const modes: ThroughputMode[] = [{ name: 'plain', consumer: null }];
  if (reference !== null) {
    modes.push({ name: 'c', consumer: [reference, '-q', String(QUEUE_NUM)] });
    modes.push({ name: 'c-gso', consumer: [reference, '-q', String(QUEUE_NUM), '-g'] });
  }
  modes.push({ name: 'kapu', consumer: kapu(false) });
  modes.push({ name: 'kapu-gso', consumer: kapu(true) });
  return modes;
}

/** Runs one iperf3 test in `mode` and returns it with the packets the consumer was handed. */
async function measureMode(lab: NetLab, mode: ThroughputMode): Promise<{ iperf: IperfResult; queued: number }> {
  if (mode.consumer === null) return { iperf: await runIperf(lab, SERVER4, IPERF_SECONDS), queued: 0 };

  const consumer: LabProcess = await startQueueConsumer(lab, mode.consumer, QUEUE_NUM, CONSUMER_START_MS);
  try {
    setQueueRules(lab, true);
    const iperf = await runIperf(lab, SERVER4, IPERF_SECONDS);
    const queued = readQueueCounters(lab, QUEUE_NUM)?.idSequence ?? 0;
    return { iperf, queued };
  } finally {
    setQueueRules(lab, false);
    const code = await consumer.stop();
    if (code !== 0) process.stdout.write(`  note: ${mode.name} consumer exited with ${code}: ${consumer.output().trim().slice(-300)}\n`);
  }
}

/** Runs every mode REPEATS times, interleaved, and returns the results in mode order. */
export async function measureThroughput(lab: NetLab, scratch: string, reference: string | null): Promise<ThroughputResult[]> {
  const server = new LabProcess(lab.spawn('srv', ['iperf3', '-s', '-B', SERVER4, '-p', String(IPERF_PORT)]));
  try {
    const listening = await waitForListen(lab, IPERF_PORT);
    if (!listening) throw new Error(`iperf3 server did not listen: ${server.output().trim()}`);

    const modes = listModes(reference, scratch);
    const results: ThroughputResult[] = modes.map((mode) => ({ name: mode.name, runs: [], bestGbps: 0, queuedPackets: 0 }));
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (let i = 0; i < modes.length; i++) {
        const { iperf, queued } = await measureMode(lab, modes[i]!);
        const result = results[i]!;
        result.runs.push(iperf);
        const gbps = iperf.bitsPerSecond / 1e9;
        if (gbps >= result.bestGbps) {
          result.bestGbps = gbps;
          result.queuedPackets = queued;
        }
        process.stdout.write(`  run ${repeat} ${modes[i]!.name.padEnd(9)} ${gbps.toFixed(2)} Gbit/s, ${iperf.retransmits} retransmits\n`);
      }
    }
    return results;
  } finally {
    await server.stop();
  }
}

async function waitForListen(lab: NetLab, port: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (lab.exec('srv', ['ss', '-lnt']).stdout.includes(`:${port} `)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
