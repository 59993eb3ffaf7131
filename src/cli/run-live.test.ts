import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, sleep } from '../capture/netlab-harness.js';

const KAPU_BIN = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const CLIENT_IP = '198.51.100.2';
const SERVER_IP = '203.0.113.2';
const SERVER_PORT = 8080;
const PROBE_PATH = '/kapu-live-probe';
const SID = 9900001;
const RELOAD_PATH = '/kapu-live-after-reload';
const RELOAD_SID = 9900002;
const SOCKET_RELOAD_PATH = '/kapu-live-after-socket-reload';
const SOCKET_RELOAD_SID = 9900003;
const RULE = `alert http any any -> any any (msg:"live capture probe"; flow:established,to_server; http.uri; content:"${PROBE_PATH}"; sid:${SID}; rev:1;)\n`;
/** Upper bound of every wait in this file, in milliseconds. */
const WAIT_MS = 15_000;
const POLL_MS = 100;

/** Returns why this file cannot run here, or null when it can. */
function skipReason(): string | null {
  const lab = labSkipReason();
  if (lab !== null) return lab;
  if (run('ip', ['netns', 'list'], 5_000).status !== 0) return 'network namespaces unavailable (ip netns list failed)';
  if (run('python3', ['--version'], 5_000).status !== 0) return 'python3 not found for the test HTTP server';
  return null;
}

interface EveEvent {
  event_type: string;
  src_ip?: string;
  dest_ip?: string;
  src_port?: number;
  dest_port?: number;
  proto?: string;
  alert?: { signature_id: number };
  http?: { url?: string; hostname?: string; status?: number; http_method?: string };
  flow?: { reason?: string };
  stats?: { capture?: { kernel_packets?: number; kernel_drops?: number } };
}

function readEve(path: string): EveEvent[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  // The last line may still be half written while kapu runs.
  return lines.filter((line) => line.endsWith('}')).map((line) => JSON.parse(line) as EveEvent);
}

/** Polls `check` every POLL_MS until it returns true or WAIT_MS pass. Returns its last result. */
async function waitFor(check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(POLL_MS);
  }
  return check();
}

function isProbeFlow(e: EveEvent): boolean {
  return e.src_ip === CLIENT_IP && e.dest_ip === SERVER_IP && e.dest_port === SERVER_PORT;
}

const reason = skipReason();

/** The lab run with kapu in one thread (`workers` 1) or on worker threads. */
function labSuite(workers: number, prefix: string): void {
describe(`kapu run -i in namespace lab${workers > 1 ? ` with --workers ${workers}` : ''}`, { skip: reason ?? false }, () => {
  const lab = new NetLab(prefix);
  const workDir = mkdtempSync(join(tmpdir(), 'kapu-live-'));
  const logDir = join(workDir, 'log');
  const evePath = join(logDir, 'eve.json');
  const rotatedPath = join(logDir, 'eve.json.1');
  const socketPath = join(logDir, 'kapu-command.socket');
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let server: ChildProcessWithoutNullStreams | null = null;
  let kapuErrors = '';
  let curlOutput = '';
  let isFlowTimedOutBeforeStop = false;
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  let isReopened = false;
  let isReloadAlerted = false;
  let reloadCommand = { status: null as number | null, stdout: '', stderr: '' };
  let isSocketReloadAlerted = false;
  let isSocketRemoved = false;
  let rotatedEvents: EveEvent[] = [];
  let events: EveEvent[] = [];

  before(async () => {
    lab.teardown();
    lab.setup();
    const wwwDir = join(workDir, 'www');
    const rulesPath = join(workDir, 'live.rules');
    run('mkdir', ['-p', wwwDir]);
    writeFileSync(join(wwwDir, PROBE_PATH.slice(1)), 'probe\n');
    writeFileSync(rulesPath, RULE);

    server = lab.spawn('srv', ['python3', '-m', 'http.server', '--bind', SERVER_IP, '--directory', wwwDir, String(SERVER_PORT)]);
    kapu = lab.spawn('srv', [
      process.execPath, KAPU_BIN, 'run', '-i', 's0', '-S', rulesPath, '-l', logDir,
      '--set', 'stats.interval=1', '--set', 'flow-timeouts.tcp.closed=1', '--set', 'unix-command.enabled=yes',
      ...(workers > 1 ? ['--workers', String(workers)] : []),
    ]);
    kapu.stderr.on('data', (chunk: Buffer) => {
      kapuErrors += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => {
      kapu?.on('exit', (code, signal) => {
        exitCode = code;
        exitSignal = signal;
        resolve();
      });
    });

    const isCapturing = await waitFor(() => kapuErrors.includes('capturing on s0') || kapu?.exitCode !== null);
    assert.ok(isCapturing, `kapu did not start: ${kapuErrors}`);
    assert.equal(kapu.exitCode, null, `kapu exited at start: ${kapuErrors}`);
    const isServing = await waitFor(() => lab.exec('cli', ['curl', '-sS', '-m', '1', '-o', '/dev/null', `http://${SERVER_IP}:${SERVER_PORT}/`], 3_000).status === 0);
    assert.ok(isServing, 'the test HTTP server did not answer');

    curlOutput = lab.exec('cli', ['curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${SERVER_IP}:${SERVER_PORT}${PROBE_PATH}`]).stdout;
    // The probe's flow is the last on s0: only the wall-time check can end
    // it before SIGTERM, because no further packet arrives.
    let probePort = -1;
    await waitFor(() => {
      const alert = readEve(evePath).find((e) => e.event_type === 'alert' && e.alert?.signature_id === SID);
      probePort = alert?.src_port ?? -1;
      return alert !== undefined;
    });
    isFlowTimedOutBeforeStop = await waitFor(() =>
      readEve(evePath).some((e) => e.event_type === 'flow' && isProbeFlow(e) && e.src_port === probePort && e.flow?.reason === 'timeout'),
    );

    // Log rotation: move eve.json aside, then SIGHUP makes kapu start a new file.
    renameSync(evePath, rotatedPath);
    kapu.kill('SIGHUP');
    isReopened = await waitFor(() => kapuErrors.includes('log files reopened') && existsSync(evePath));

    // A rule added to the file applies after SIGUSR2, without a restart.
    appendFileSync(rulesPath, `alert http any any -> any any (msg:"live reload probe"; flow:established,to_server; http.uri; content:"${RELOAD_PATH}"; sid:${RELOAD_SID}; rev:1;)\n`);
    kapu.kill('SIGUSR2');
    if (await waitFor(() => kapuErrors.includes('rules reloaded'))) {
      lab.exec('cli', ['curl', '-sS', '-m', '5', '-o', '/dev/null', `http://${SERVER_IP}:${SERVER_PORT}${RELOAD_PATH}`]);
      isReloadAlerted = await waitFor(() => readEve(evePath).some((e) => e.event_type === 'alert' && e.alert?.signature_id === RELOAD_SID));
    }

    // A rule added next applies after `kapu reload` on the control socket.
    appendFileSync(rulesPath, `alert http any any -> any any (msg:"live socket reload probe"; flow:established,to_server; http.uri; content:"${SOCKET_RELOAD_PATH}"; sid:${SOCKET_RELOAD_SID}; rev:1;)\n`);
    reloadCommand = run(process.execPath, [KAPU_BIN, 'reload', '--socket', socketPath], WAIT_MS);
    if (reloadCommand.status === 0) {
      lab.exec('cli', ['curl', '-sS', '-m', '5', '-o', '/dev/null', `http://${SERVER_IP}:${SERVER_PORT}${SOCKET_RELOAD_PATH}`]);
      isSocketReloadAlerted = await waitFor(() => readEve(evePath).some((e) => e.event_type === 'alert' && e.alert?.signature_id === SOCKET_RELOAD_SID));
    }

    kapu.kill('SIGTERM');
    const timer = setTimeout(() => kapu?.kill('SIGKILL'), WAIT_MS);
    await exited;
    clearTimeout(timer);
    isSocketRemoved = !existsSync(socketPath);
    rotatedEvents = readEve(rotatedPath);
    events = [...rotatedEvents, ...readEve(evePath)];
  });

  after(() => {
    if (kapu !== null && kapu.exitCode === null) kapu.kill('SIGKILL');
    if (server !== null && server.exitCode === null) server.kill('SIGTERM');
    lab.teardown();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('live capture defaults to IDS', () => {
    const mode = workers > 1 ? `IDS mode, ${workers} workers` : 'IDS mode';
    assert.ok(kapuErrors.includes(`capturing on s0 (${mode})`), kapuErrors);
  });

  test('probe request succeeds', () => {
    assert.equal(curlOutput, '200');
  });

  test('alert names client and server', () => {
    const alerts = events.filter((e) => e.event_type === 'alert' && e.alert?.signature_id === SID);
    assert.equal(alerts.length, 1, kapuErrors);
    const alert = alerts[0] as EveEvent;
    assert.equal(alert.src_ip, CLIENT_IP);
    assert.equal(alert.dest_ip, SERVER_IP);
    assert.equal(alert.dest_port, SERVER_PORT);
    assert.equal(alert.proto, 'TCP');
    assert.equal(alert.http?.url, PROBE_PATH);
  });

  test('http event for probe', () => {
    const http = events.filter((e) => e.event_type === 'http' && e.http?.url === PROBE_PATH);
    assert.equal(http.length, 1);
    const event = http[0] as EveEvent;
    assert.ok(isProbeFlow(event));
    assert.equal(event.http?.hostname, SERVER_IP);
    assert.equal(event.http?.http_method, 'GET');
    assert.equal(event.http?.status, 200);
  });

  test('idle flow ends by wall time', () => {
    assert.ok(isFlowTimedOutBeforeStop, 'no flow event with reason timeout before SIGTERM');
  });

  test('SIGHUP starts a new eve.json', () => {
    assert.ok(isReopened, kapuErrors);
    assert.ok(rotatedEvents.some((e) => e.event_type === 'alert'), 'the alert stays in the rotated file');
    const current = readEve(evePath);
    assert.ok(current.length >= 1, 'events after SIGHUP reach the new file');
    assert.equal(current[current.length - 1]?.event_type, 'stats');
  });

  test('SIGUSR2 reloads the rules', () => {
    assert.match(kapuErrors, /kapu: SIGUSR2 received, rules reloaded: 2 loaded, 0 failed, 0 skipped/);
    assert.ok(isReloadAlerted, 'no alert of the rule added before SIGUSR2');
  });

  test('kapu reload reloads the rules', () => {
    assert.equal(reloadCommand.status, 0, reloadCommand.stderr);
    assert.equal(reloadCommand.stdout, '{"return":"OK","message":{"loaded":3,"failed":0}}\n');
    assert.match(kapuErrors, /kapu: reload-rules requested on the control socket, rules reloaded: 3 loaded, 0 failed, 0 skipped/);
    assert.ok(isSocketReloadAlerted, 'no alert of the rule added before kapu reload');
  });

  test('control socket removed at exit', () => {
    assert.match(kapuErrors, /control socket listening on .*kapu-command\.socket/);
    assert.ok(isSocketRemoved, `${socketPath} is left after exit`);
  });

  test('SIGTERM exits with status 0', () => {
    assert.equal(exitSignal, null);
    assert.equal(exitCode, 0, kapuErrors);
  });

  test('stats events carry kernel counters', () => {
    const stats = events.filter((e) => e.event_type === 'stats');
    // One a second while the test ran (stats.interval=1), plus the last one.
    assert.ok(stats.length >= 2, `${stats.length} stats events`);
    const last = events[events.length - 1] as EveEvent;
    assert.equal(last.event_type, 'stats');
    // The handshake, request, response and teardown alone are 8 frames or more.
    assert.ok((last.stats?.capture?.kernel_packets ?? 0) >= 8, JSON.stringify(last.stats?.capture));
    assert.equal(last.stats?.capture?.kernel_drops, 0);
  });
});
}

labSuite(1, 'kl');
labSuite(2, 'klw');
