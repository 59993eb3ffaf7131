/**
 * Part 2 of `npm run bench:inline`: short HTTP transactions from the client
 * to a Node.js server through kapu running Emerging Threats Open in-line.
 * One ET Open rule is turned from alert into drop, as an operator does for
 * rules that should block, and one request per pass matches it. The part
 * reports throughput, transactions/s, the kernel's queue drops and the
 * ping RTT under load against idle, and the same load with no queue for
 * comparison. It then records the same traffic on the router and reads
 * the capture with `kapu run -r` and the same rules.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetLab } from '../src/capture/netlab-harness.js';
import { readCaptureStats } from './capture-stats.js';
import { ATTACK_TIMEOUT_MS, type ClientReport } from './inline-http.js';
import {
  KAPU_RUN_OPTIONS, LabProcess, percentile, readInterfaceBytes, readQueueCounters, runPing, sleep, startQueueConsumer, startUntilOutput, type QueueCounters,
} from './inline-lab.js';
import { KAPU, QUEUE_NUM, REPEATS, REPO_ROOT, SERVER4, setQueueRules } from './inline-throughput.js';

const HTTP_PORT = 8080;
const HTTP_SCRIPT = join(REPO_ROOT, 'dist', 'bench', 'inline-http.js');
/** One load pass ends after this many seconds or transactions, whichever comes first. */
const PASS_SECONDS = 5;
const PASS_MAX_TRANSACTIONS = 50_000;
/** The recorded pass is shorter, to keep the capture and its offline run small. */
const RECORD_SECONDS = 4;
/** tcpdump's kernel buffer, in KiB (its default is 2 MiB), so the recording loses no packets under load. */
const CAPTURE_BUFFER_KIB = 16 * 1024;
/** The warm-up pass before the measurements: at most this many transactions, within this many seconds. */
const WARM_UP_TRANSACTIONS = 50;
const WARM_UP_SECONDS = 3;
/** The attack request goes out this long after a pass starts, amid the load. */
const ATTACK_AT_MS = 1_500;
/** Matched by ET Open sid 2009361, "ET WEB_SERVER cmd.exe In URI - Possible Command Execution Attempt". */
const ATTACK_PATH = '/scripts/cmd.exe?/c+dir';
const ATTACK_SID = 2009361;
const ATTACK_RULE_FILE = 'emerging-web_server.rules';
/** Pings per sample, and their interval in seconds (100 per second). */
const IDLE_PINGS = 150;
const LOAD_PINGS = 300;
const PING_INTERVAL_S = 0.01;
/** The load pings start this long after the pass, once the load runs. */
const LOAD_PING_DELAY_MS = 1_000;
/** ET Open loads in about 2 s on a quiet 2-core machine, and in 10 s or more on a busy one. */
const KAPU_START_MS = 60_000;
const OFFLINE_TIMEOUT_MS = 120_000;

const CONFIG = `vars:
  address-groups:
    HOME_NET: "[203.0.113.0/24,2001:db8:2::/64]"
    EXTERNAL_NET: "!$HOME_NET"
  port-groups:
    HTTP_PORTS: "[80,${HTTP_PORT}]"
stats:
  interval: 1
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop
        - http
        - flow
        - stats
`;

/** One load pass as measured from the client and the router. */
interface LoadPass {
  client: ClientReport;
  /** Bytes through the router's client-side interface, both directions, per second, in Mbit/s. */
  mbps: number;
  transactionsPerS: number;
  rttMs: number[];
}

/** An offline run of `kapu run -r` on the recorded capture. */
interface OfflineRun {
  wallS: number;
  attackAlerts: number;
}

export interface EtOpenResult {
  /** One pass of the same load forwarded with no queue. */
  plainPass: LoadPass;
  passes: LoadPass[];
  /** A pass paced at half the best pass's transaction rate, for latency below saturation. */
  halfLoadPass: LoadPass;
  idleRttMs: number[][];
  queue: QueueCounters | null;
  eve: EveSummary;
  attackSeenByServer: boolean;
  kapuExitCode: number | null;
  /** The recorded capture: its size, tcpdump's kernel drops and whether the attack request is in it. */
  capture: { packets: number; packetBytes: number; kernelDropped: number; hasAttack: boolean; attackOutcome: string };
  offlineRuns: OfflineRun[];
  offlineLoadOnlyS: number;
}

/** Returns the ET Open folder, or null when it is missing. */
export function findEtOpen(corpus: string): string | null {
  const folder = join(corpus, 'rules', 'et-open');
  return existsSync(join(folder, ATTACK_RULE_FILE)) ? folder : null;
}

/** Lists the rule files to load: ET Open, with the attack rule's file replaced by a copy whose rule drops. */
function writeRuleFiles(etOpen: string, scratch: string): string[] {
  const original = readFileSync(join(etOpen, ATTACK_RULE_FILE), 'utf8');
  let changed = 0;
  const edited = original.split('\n').map((line) => {
    if (!line.startsWith('alert ') || !line.includes(`sid:${ATTACK_SID};`)) return line;
    changed++;
    return `drop ${line.slice('alert '.length)}`;
  });
  if (changed !== 1) throw new Error(`expected one active rule with sid ${ATTACK_SID} in ${ATTACK_RULE_FILE}, found ${changed}`);
  const copy = join(scratch, ATTACK_RULE_FILE);
  writeFileSync(copy, edited.join('\n'));

  const files = readdirSync(etOpen).filter((name) => name.endsWith('.rules') && name !== ATTACK_RULE_FILE).sort();
  return [...files.map((name) => join(etOpen, name)), copy];
}

/**
 * Runs one load pass: the HTTP client with the attack request, and pings
 * from the client while it runs when `pings` is above 0. With `withAttack`
 * false, no attack request is sent.
 */
async function runLoadPass(lab: NetLab, seconds: number, pings: number, maxTransactions = PASS_MAX_TRANSACTIONS, withAttack = true, rate = 0): Promise<LoadPass> {
  const before = readInterfaceBytes(lab, 'ic');
  const client = new LabProcess(lab.spawn('cli', [
    process.execPath, HTTP_SCRIPT, 'client', SERVER4, String(HTTP_PORT), String(maxTransactions), String(seconds), ATTACK_PATH, String(withAttack ? ATTACK_AT_MS : -1), String(rate),
  ]));
  let rttMs: number[] = [];
  if (pings > 0) {
    await sleep(LOAD_PING_DELAY_MS);
    rttMs = await runPing(lab, SERVER4, pings, PING_INTERVAL_S);
  }
  const timer = setTimeout(() => client.child.kill('SIGKILL'), (seconds + 30) * 1000);
  await client.exited;
  clearTimeout(timer);
  const after = readInterfaceBytes(lab, 'ic');

  const line = client.output().split('\n').find((text) => text.startsWith('{'));
  if (line === undefined) throw new Error(`HTTP client printed no report: ${client.output().trim().slice(-300)}`);
  const report = JSON.parse(line) as ClientReport;
  const seconds_ = report.elapsedMs / 1000;
  const bytes = after.rx - before.rx + (after.tx - before.tx);
  return { client: report, mbps: (bytes * 8) / seconds_ / 1e6, transactionsPerS: report.transactions / seconds_, rttMs };
}

function describePass(pass: LoadPass): string {
  const rtt = `ping p50 ${percentile(pass.rttMs, 50).toFixed(3)} ms p99 ${percentile(pass.rttMs, 99).toFixed(3)} ms`;
  return `${pass.client.transactions} transactions (${pass.client.failed} failed), ${pass.transactionsPerS.toFixed(0)}/s, ${pass.mbps.toFixed(0)} Mbit/s, ${rtt}`;
}

/**
 * Waits until kapu forwards: kapu binds the queue before it has finished
 * setting up, so the first packets can wait a second or two. A ping that
 * gets its reply and a few HTTP transactions make the later samples start
 * from a running pipeline.
 */
async function warmUp(lab: NetLab): Promise<void> {
  const ping = lab.exec('cli', ['ping', '-n', '-c', '1', '-w', String(KAPU_START_MS / 1000), SERVER4], KAPU_START_MS + 5_000);
  if (ping.status !== 0) throw new Error(`no ping reply through kapu within ${KAPU_START_MS / 1000} s: ${ping.stdout.trim().slice(-300)}`);
  const pass = await runLoadPass(lab, WARM_UP_SECONDS, 0, WARM_UP_TRANSACTIONS, false);
  if (pass.client.transactions === 0) throw new Error('no HTTP transaction completed through kapu during the warm-up');
}

/** Figures from kapu's eve.json: the attack rule's alerts, the drops and the TCP reassembly memory. */
export interface EveSummary {
  attackAlerts: number;
  /** Attack rule alerts with action "blocked": the rule dropped the packet. */
  attackBlocked: number;
  /** Drop events by `drop.reason` ("rules", "flow drop", "stream memcap" ...). */
  dropReasons: Record<string, number>;
  /** Highest tcp.reassembly_memuse of the stats events, in bytes. */
  peakReassemblyBytes: number;
  /** tcp.reassembly_exception_policy.drop_flow of the last stats event: flows dropped because stream.reassembly.memcap was reached. */
  reassemblyMemcapFlowDrops: number;
}

interface EveEvent {
  event_type: string;
  alert?: { action: string; signature_id: number };
  drop?: { reason?: string };
  stats?: { tcp?: { reassembly_memuse?: number; reassembly_exception_policy?: { drop_flow?: number } } };
}

function summarizeEve(evePath: string): EveSummary {
  const summary: EveSummary = { attackAlerts: 0, attackBlocked: 0, dropReasons: {}, peakReassemblyBytes: 0, reassemblyMemcapFlowDrops: 0 };
  if (!existsSync(evePath)) return summary;
  for (const line of readFileSync(evePath, 'utf8').split('\n')) {
    if (!/"event_type":"(alert|drop|stats)"/.test(line)) continue;
    const event = JSON.parse(line) as EveEvent;
    if (event.event_type === 'drop') {
      const reason = event.drop?.reason ?? 'unknown';
      summary.dropReasons[reason] = (summary.dropReasons[reason] ?? 0) + 1;
    } else if (event.event_type === 'stats') {
      const tcp = event.stats?.tcp;
      summary.peakReassemblyBytes = Math.max(summary.peakReassemblyBytes, tcp?.reassembly_memuse ?? 0);
      summary.reassemblyMemcapFlowDrops = tcp?.reassembly_exception_policy?.drop_flow ?? summary.reassemblyMemcapFlowDrops;
    } else if (event.alert?.signature_id === ATTACK_SID) {
      summary.attackAlerts++;
      if (event.alert.action === 'blocked') summary.attackBlocked++;
    }
  }
  return summary;
}

/**
 * Records the router's client side (ic) while one shorter load pass runs,
 * into `pcapPath`. Returns the pass's attack outcome and tcpdump's count of
 * packets dropped by the kernel.
 */
async function recordPass(lab: NetLab, pcapPath: string): Promise<{ attackOutcome: string; kernelDropped: number }> {
  const dump = await startUntilOutput(lab, 'ips', [
    'timeout', String(RECORD_SECONDS + 60), 'tcpdump', '-i', 'ic', '-nn', '-s', '0', '-B', String(CAPTURE_BUFFER_KIB), '-U', '--immediate-mode', '-Z', 'root', '-w', pcapPath,
  ], 'listening on', 10_000);
  let attackOutcome = 'not sent';
  try {
    attackOutcome = (await runLoadPass(lab, RECORD_SECONDS, 0)).client.attackOutcome;
    // Let the last replies arrive before the capture stops.
    await sleep(300);
  } finally {
    await dump.stop();
  }
  const dropped = /(\d+) packets? dropped by kernel/.exec(dump.output());
  return { attackOutcome, kernelDropped: dropped === null ? Number.NaN : Number(dropped[1]) };
}

/** Runs `kapu run -r` on `pcapPath` with the rules and returns its wall time and the attack rule's alerts. */
function runOffline(pcapPath: string, configPath: string, ruleArgs: string[], logDir: string): OfflineRun {
  const startedMs = performance.now();
  const result = spawnSync(process.execPath, [KAPU, 'run', ...KAPU_RUN_OPTIONS, '-r', pcapPath, '-c', configPath, ...ruleArgs, '-l', logDir, '-k', 'none', '--quiet'], {
    encoding: 'utf8', timeout: OFFLINE_TIMEOUT_MS,
  });
  const wallS = (performance.now() - startedMs) / 1000;
  if (result.status !== 0) throw new Error(`kapu run -r ${pcapPath} failed: ${(result.stderr ?? '').trim().slice(-500)}`);
  return { wallS, attackAlerts: summarizeEve(join(logDir, 'eve.json')).attackAlerts };
}

/** Writes a pcap file with a header and no packets: reading it costs kapu's start-up and rule load only. */
function writeEmptyPcap(path: string): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262_144, 16);
  header.writeUInt32LE(1, 20);
  writeFileSync(path, header);
}

/** Runs the whole part in `lab` and returns its figures. */
export async function measureEtOpen(lab: NetLab, scratch: string, etOpen: string): Promise<EtOpenResult> {
  const configPath = join(scratch, 'kapu-et-open.yaml');
  writeFileSync(configPath, CONFIG);
  const ruleArgs = writeRuleFiles(etOpen, scratch).flatMap((file) => ['-S', file]);
  const inlineLog = join(scratch, 'log-et-open');

  const server = await startUntilOutput(lab, 'srv', [process.execPath, HTTP_SCRIPT, 'server', SERVER4, String(HTTP_PORT)], 'ready', 10_000);
  let kapu: LabProcess | null = null;
  try {
    // For comparison: the same load forwarded with no queue, without the attack request.
    const plainPass = await runLoadPass(lab, PASS_SECONDS, LOAD_PINGS, PASS_MAX_TRANSACTIONS, false);
    process.stdout.write(`  plain forwarding: ${describePass(plainPass)}\n`);

    kapu = await startQueueConsumer(lab, [process.execPath, KAPU, 'run', ...KAPU_RUN_OPTIONS, '-q', String(QUEUE_NUM), '-c', configPath, ...ruleArgs, '-l', inlineLog, '--quiet'], QUEUE_NUM, KAPU_START_MS);
    setQueueRules(lab, true);
    await warmUp(lab);

    const idleRttMs: number[][] = [];
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      idleRttMs.push(await runPing(lab, SERVER4, IDLE_PINGS, PING_INTERVAL_S));
      process.stdout.write(`  idle ping ${repeat}: p50 ${percentile(idleRttMs[repeat - 1]!, 50).toFixed(3)} ms, p99 ${percentile(idleRttMs[repeat - 1]!, 99).toFixed(3)} ms\n`);
    }
    const passes: LoadPass[] = [];
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      const pass = await runLoadPass(lab, PASS_SECONDS, LOAD_PINGS);
      passes.push(pass);
      process.stdout.write(`  load ${repeat}: ${describePass(pass)}, attack: ${pass.client.attackOutcome}\n`);
    }

    // At full load kapu is saturated and the ping waits behind the queue; half the rate shows the latency it adds below that.
    const bestRate = Math.max(...passes.map((pass) => pass.transactionsPerS));
    const halfLoadPass = await runLoadPass(lab, PASS_SECONDS, LOAD_PINGS, PASS_MAX_TRANSACTIONS, false, Math.max(1, Math.floor(bestRate / 2)));
    process.stdout.write(`  half load: ${describePass(halfLoadPass)}\n`);

    const pcapPath = join(scratch, 'http-inline.pcap');
    const recorded = await recordPass(lab, pcapPath);
    const queue = readQueueCounters(lab, QUEUE_NUM);

    const kapuExitCode = await kapu.stop();
    setQueueRules(lab, false);
    const eve = summarizeEve(join(inlineLog, 'eve.json'));
    const attackSeenByServer = server.output().includes('seen ');

    const stats = readCaptureStats(pcapPath);
    const emptyPcap = join(scratch, 'empty.pcap');
    writeEmptyPcap(emptyPcap);
    const offlineRuns: OfflineRun[] = [];
    for (let repeat = 1; repeat <= REPEATS; repeat++) offlineRuns.push(runOffline(pcapPath, configPath, ruleArgs, join(scratch, `log-offline-${repeat}`)));
    const offlineLoadOnlyS = runOffline(emptyPcap, configPath, ruleArgs, join(scratch, 'log-offline-empty')).wallS;

    return {
      plainPass,
      passes,
      halfLoadPass,
      idleRttMs,
      queue,
      eve,
      attackSeenByServer,
      kapuExitCode,
      capture: { packets: stats.packets, packetBytes: stats.packetBytes, kernelDropped: recorded.kernelDropped, hasAttack: readFileSync(pcapPath).includes(ATTACK_PATH), attackOutcome: recorded.attackOutcome },
      offlineRuns,
      offlineLoadOnlyS,
    };
  } finally {
    if (kapu !== null && kapu.isRunning) await kapu.stop();
    await server.stop();
  }
}

export { ATTACK_PATH, ATTACK_SID, ATTACK_TIMEOUT_MS };
