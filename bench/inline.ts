/**
 * `npm run bench:inline`: measures kapu in-line on NFQUEUE in a namespace
 * lab (client, router, server; scripts/netlab.sh) and prints the figures.
 * docs/benchmarks.md ("In-line on NFQUEUE") explains the method.
 *
 *   1. TCP throughput with iperf3 through the router: plain forwarding, the
 *      C accept-all reference (bench/nfq-accept.c, compiled into a temporary
 *      folder) and kapu with no rules, each without and with GSO.
 *   2. Short HTTP transactions through kapu running ET Open, with one
 *      attack request that a drop rule must block. Then `kapu run -r`
 *      reads a capture of the same traffic.
 *
 * A benchmark, not a test: the targets are printed as met or missed and
 * never fail the run. The exit status is 1 only when the lab fails or the
 * attack request is not blocked. Without root it prints one line and
 * exits 0. It takes about 2.5 minutes on a quiet 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, NetLab } from '../src/capture/netlab-harness.js';
import { CORPUS_DIR } from '../test/corpus-path.js';
import { ATTACK_PATH, ATTACK_SID, ATTACK_TIMEOUT_MS, findEtOpen, measureEtOpen, type EtOpenResult } from './inline-et-open.js';
import { KAPU_RUN_OPTIONS, percentile } from './inline-lab.js';
import { compileReference, IPERF_SECONDS, measureThroughput, REPEATS, REPO_ROOT, type ThroughputResult } from './inline-throughput.js';

/** kapu's share of the C reference that the in-line path aims for, without GSO. */
const TARGET_SHARE = 0.8;
/** Added ping RTT p99 under the HTTP load that the in-line path aims to stay below, in ms. */
const TARGET_ADDED_P99_MS = 1;

const LABELS: Record<string, string> = {
  plain: 'plain forwarding, no queue',
  c: 'C accept-all, no GSO',
  'c-gso': 'C accept-all, GSO',
  kapu: 'kapu, no rules, no GSO',
  'kapu-gso': 'kapu, no rules, GSO',
};

function has(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** Returns why the benchmark cannot run here, or null. */
function skipReason(): string | null {
  const labReason = labSkipReason();
  if (labReason !== null) return labReason;
  for (const [command, args] of [['iperf3', ['--version']], ['tcpdump', ['--version']], ['ping', ['-V']], ['iptables-nft', ['--version']]] as const) {
    if (!has(command, [...args])) return `${command} not installed`;
  }
  return null;
}

function printMachine(): void {
  const commit = spawnSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${release()}, Node.js ${process.version}, ` +
      `commit ${commit}, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`,
  );
}

function printThroughput(results: ThroughputResult[]): void {
  process.stdout.write(`\nTCP throughput, iperf3 ${IPERF_SECONDS} s, 1 stream, best of ${REPEATS} runs:\n`);
  for (const result of results) {
    const runs = result.runs.map((run) => (run.bitsPerSecond / 1e9).toFixed(2)).join(', ');
    const queued = result.queuedPackets > 0 ? `, ${result.queuedPackets} packets queued` : '';
    process.stdout.write(`  ${(LABELS[result.name] ?? result.name).padEnd(28)} ${result.bestGbps.toFixed(2).padStart(6)} Gbit/s  (runs: ${runs}${queued})\n`);
  }
  const best = (name: string): number => results.find((result) => result.name === name)?.bestGbps ?? 0;
  for (const [kapu, reference, label] of [['kapu', 'c', 'no GSO'], ['kapu-gso', 'c-gso', 'GSO']] as const) {
    if (best(reference) === 0) continue;
    const share = best(kapu) / best(reference);
    const target = kapu === 'kapu' ? ` (target ${TARGET_SHARE * 100}%: ${share >= TARGET_SHARE ? 'met' : 'missed'})` : '';
    process.stdout.write(`  kapu's share of the C reference, ${label}: ${(share * 100).toFixed(0)}%${target}\n`);
  }
}

/** Prints the HTTP part and returns whether the attack request was blocked as it must be. */
function printEtOpen(result: EtOpenResult): boolean {
  const bestPass = result.passes.reduce((best, pass) => (pass.transactionsPerS > best.transactionsPerS ? pass : best));
  const idleP50 = Math.min(...result.idleRttMs.map((rtts) => percentile(rtts, 50)));
  const idleP99 = Math.min(...result.idleRttMs.map((rtts) => percentile(rtts, 99)));
  const loadP50 = Math.min(...result.passes.map((pass) => percentile(pass.rttMs, 50)));
  const loadP99 = Math.min(...result.passes.map((pass) => percentile(pass.rttMs, 99)));
  const addedP99 = loadP99 - idleP99;

  process.stdout.write(`\nHTTP through kapu with ET Open, new connection per transaction, 16 KB responses, best of ${REPEATS} passes:\n`);
  process.stdout.write(`  ${bestPass.transactionsPerS.toFixed(0)} transactions/s, ${bestPass.mbps.toFixed(0)} Mbit/s on the router's client side (${bestPass.client.transactions} transactions, ${bestPass.client.failed} failed, in ${(bestPass.client.elapsedMs / 1000).toFixed(1)} s)\n`);
  const queue = result.queue;
  const queueText = queue === null ? 'not read' : `queue_dropped ${queue.queueDropped}, user_dropped ${queue.userDropped}, ${queue.idSequence} packets queued`;
  process.stdout.write(`  kernel queue over all passes: ${queueText} (target queue_dropped 0: ${queue?.queueDropped === 0 ? 'met' : 'missed'})\n`);
  process.stdout.write(`  ping RTT idle through kapu: p50 ${idleP50.toFixed(3)} ms, p99 ${idleP99.toFixed(3)} ms\n`);
  process.stdout.write(`  ping RTT under load:        p50 ${loadP50.toFixed(3)} ms, p99 ${loadP99.toFixed(3)} ms\n`);
  const plain = result.plainPass;
  process.stdout.write(
    `  for comparison, one pass with no queue: ${plain.transactionsPerS.toFixed(0)} transactions/s, ${plain.mbps.toFixed(0)} Mbit/s, ` +
      `ping p50 ${percentile(plain.rttMs, 50).toFixed(3)} ms, p99 ${percentile(plain.rttMs, 99).toFixed(3)} ms\n`,
  );
  process.stdout.write(`  added p99 at full load: ${addedP99.toFixed(3)} ms (target under ${TARGET_ADDED_P99_MS} ms: ${addedP99 < TARGET_ADDED_P99_MS ? 'met' : 'missed'})\n`);
  const half = result.halfLoadPass;
  const halfAddedP99 = percentile(half.rttMs, 99) - idleP99;
  process.stdout.write(
    `  at half that rate (${half.transactionsPerS.toFixed(0)} transactions/s, ${half.mbps.toFixed(0)} Mbit/s): ping p50 ${percentile(half.rttMs, 50).toFixed(3)} ms, ` +
      `p99 ${percentile(half.rttMs, 99).toFixed(3)} ms, added p99 ${halfAddedP99.toFixed(3)} ms (target under ${TARGET_ADDED_P99_MS} ms: ${halfAddedP99 < TARGET_ADDED_P99_MS ? 'met' : 'missed'})\n`,
  );

  // The attack request went out once per pass and once while recording.
  const outcomes = [...result.passes.map((pass) => pass.client.attackOutcome), result.capture.attackOutcome];
  const eve = result.eve;
  const blocked = outcomes.every((outcome) => outcome === 'timeout') && !result.attackSeenByServer && eve.attackBlocked >= 1;
  process.stdout.write(
    `  attack GET ${ATTACK_PATH} (sid ${ATTACK_SID} set to drop), sent ${outcomes.length} times: client outcomes ${outcomes.join(', ')} ` +
      `(timeout = no response in ${ATTACK_TIMEOUT_MS / 1000} s), server saw it: ${result.attackSeenByServer ? 'yes' : 'no'}, ` +
      `kapu logged ${eve.attackBlocked} blocked alerts for it: ${blocked ? 'blocked' : 'NOT BLOCKED'}\n`,
  );
  const reasons = Object.entries(eve.dropReasons).map(([reason, count]) => `${reason} ${count}`).join(', ');
  process.stdout.write(`  kapu drop events by reason: ${reasons === '' ? 'none' : reasons}\n`);
  process.stdout.write(
    `  TCP reassembly memory: peak ${(eve.peakReassemblyBytes / 2 ** 20).toFixed(0)} MiB, ` +
      `${eve.reassemblyMemcapFlowDrops} flows dropped at stream.reassembly.memcap\n`,
  );
  if (result.kapuExitCode !== 0) process.stdout.write(`  note: kapu exited with ${result.kapuExitCode}\n`);

  const bytesMb = result.capture.packetBytes / 1e6;
  const bestWall = Math.min(...result.offlineRuns.map((run) => run.wallS));
  const processingS = bestWall - result.offlineLoadOnlyS;
  const offlineAlerts = result.offlineRuns[0]?.attackAlerts ?? 0;
  process.stdout.write(`\nThe same HTTP traffic recorded on the router (${result.capture.packets} packets, ${bytesMb.toFixed(1)} MB), kapu run -r with the same rules, best of ${REPEATS}:\n`);
  process.stdout.write(`  ${bestWall.toFixed(2)} s wall, ${result.offlineLoadOnlyS.toFixed(2)} s of it start-up and rule load\n`);
  process.stdout.write(`  ${(bytesMb / bestWall).toFixed(1)} MB/s with start-up, ${processingS > 0.05 ? (bytesMb / processingS).toFixed(1) : '-'} MB/s without; in-line it carried ${(bestPass.mbps / 8).toFixed(1)} MB/s\n`);
  process.stdout.write(
    `  attack rule alerts offline: ${offlineAlerts}; attack request in the capture: ${result.capture.hasAttack ? 'yes' : 'no'}, ` +
      `packets dropped by tcpdump's kernel buffer: ${result.capture.kernelDropped}\n`,
  );
  return blocked;
}

async function main(): Promise<number> {
  // `npm run bench:inline -- --workers N` runs every kapu of the benchmark on N worker threads.
  const args = process.argv.slice(2);
  const workersAt = args.indexOf('--workers');
  if (workersAt >= 0 && args[workersAt + 1] !== undefined) KAPU_RUN_OPTIONS.push('--workers', args[workersAt + 1]!);
  const reason = skipReason();
  if (reason !== null) {
    process.stdout.write(`bench:inline skipped: ${reason}\n`);
    return 0;
  }
  printMachine();
  if (KAPU_RUN_OPTIONS.length > 0) process.stdout.write(`kapu runs with ${KAPU_RUN_OPTIONS.join(' ')}\n`);

  const lab = new NetLab('kbi');
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-bench-inline-'));
  const cleanUp = (): void => {
    lab.teardown();
    rmSync(scratch, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stdout.write(`bench:inline: ${signal} received, tearing down lab ${lab.tag}\n`);
    cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const startedMs = performance.now();
  let isBlocked = true;
  try {
    lab.setup();
    process.stdout.write(`lab ${lab.tag}: namespaces ${lab.namespace('cli')}, ${lab.namespace('ips')}, ${lab.namespace('srv')}\n`);

    let reference: string | null = null;
    try {
      reference = compileReference(scratch);
    } catch (err) {
      process.stdout.write(`C reference skipped: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.stdout.write('\nthroughput runs:\n');
    printThroughput(await measureThroughput(lab, scratch, reference));

    const etOpen = findEtOpen(CORPUS_DIR);
    if (etOpen === null) {
      process.stdout.write(`\nHTTP with ET Open skipped: no ${join(CORPUS_DIR, 'rules', 'et-open')} (set KAPU_CORPUS)\n`);
    } else {
      process.stdout.write(`\nHTTP runs (ET Open from ${etOpen}):\n`);
      isBlocked = printEtOpen(await measureEtOpen(lab, scratch, etOpen));
    }
  } finally {
    cleanUp();
  }
  process.stdout.write(`\nbench:inline took ${((performance.now() - startedMs) / 1000).toFixed(0)} s\n`);
  return isBlocked ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:inline failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
