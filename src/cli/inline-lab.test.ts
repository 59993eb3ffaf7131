// End-to-end test of `kapu run -q` as a router between two test hosts:
// live HTTP connections from the client namespace to the server namespace
// cross the router, whose forward path goes to NFQUEUE and to kapu. Needs
// root, network namespaces and NFQUEUE; skips with one line otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, sleep, waitUntil, watchChild } from '../capture/netlab-harness.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const PORT = 8080;
const SERVER4 = '203.0.113.2';
const SERVER6 = '[2001:db8:2::2]';

const RULES = `alert http any any -> any any (msg:"lab normal request"; flow:to_server,established; http.uri; content:"/ok.txt"; sid:1000001; rev:1;)
drop http any any -> any any (msg:"lab blocked request"; flow:to_server,established; http.uri; content:"/evil.txt"; sid:1000002; rev:1;)
reject http any any -> any any (msg:"lab rejected request"; flow:to_server,established; http.uri; content:"/reject.txt"; sid:1000003; rev:1;)
rejectboth http any any -> any any (msg:"lab request rejected both ways"; flow:to_server,established; http.uri; content:"/rejectboth.txt"; sid:1000004; rev:1;)
`;

// HOME_NET is the protected server side, so $EXTERNAL_NET rules would fire too.
const CONFIG = `vars:
  address-groups:
    HOME_NET: "[203.0.113.0/24,2001:db8:2::/64]"
    EXTERNAL_NET: "!$HOME_NET"
  port-groups:
    HTTP_PORTS: "[80,${PORT}]"
stats:
  interval: 1
flow-timeouts:
  tcp:
    closed: 1
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

interface EveRecord {
  event_type: string;
  ip_v?: number;
  flow?: { reason: string; state: string };
  src_ip?: string;
  dest_port?: number;
  alert?: { action: string; signature_id: number };
  stats?: { nfq?: Record<string, Record<string, number>>; ips?: { blocked: number } };
}

/** Returns why this machine cannot run the lab, or null. */
function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  if (run('python3', ['--version']).status !== 0) return 'python3 not installed (test HTTP server)';
  if (run('curl', ['--version']).status !== 0) return 'curl not installed';
  return null;
}

let skipReason = skipReasonOf();

/**
 * The lab run with kapu deciding the packets in its main thread
 * (`workers` 1) or on worker threads; each run uses its own queue and
 * namespaces.
 */
function labSuite(workers: number, queueNum: number, prefix: string): void {
describe(`kapu run -q in a namespace lab${workers > 1 ? ` with --workers ${workers}` : ''}`, { skip: skipReason ?? false }, () => {
  const lab = new NetLab(prefix);
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-inline-'));
  const outDir = join(scratch, 'out');
  let server: ChildProcessWithoutNullStreams | null = null;
  let serverLog: (() => string) | null = null;
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let kapuExit: Promise<number | null> | null = null;
  let kapuOutput: (() => string) | null = null;
  let kapuStatus: number | null = null;
  const curls: Record<string, { status: number | null; code: string; seconds: number }> = {};

  before(async () => {
    const www = join(scratch, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'ok.txt'), 'fine\n');
    writeFileSync(join(www, 'evil.txt'), 'must not be served\n');
    writeFileSync(join(www, 'reject.txt'), 'must not be served\n');
    writeFileSync(join(www, 'rejectboth.txt'), 'must not be served\n');
    writeFileSync(join(scratch, 'lab.rules'), RULES);
    writeFileSync(join(scratch, 'kapu.yaml'), CONFIG);
    lab.setup();

    // The rules that kapu prints are the ones applied, so the test checks them too.
    const printed = run(process.execPath, [KAPU, 'firewall-rules', '-q', String(queueNum), '--iface', 'ic']);
    assert.equal(printed.status, 0, printed.stderr);
    const ruleLines = printed.stdout.split('\n').filter((line) => /^ip6?tables-nft /.test(line));
    assert.equal(ruleLines.length, 4);
    for (const line of ruleLines) {
      const applied = lab.exec('ips', line.split(' '));
      if (applied.status !== 0) {
        skipReason = `NFQUEUE rule not accepted: ${applied.stderr.trim()}`;
        return;
      }
    }

    server = lab.spawn('srv', ['python3', '-m', 'http.server', '--bind', '::', '--directory', www, String(PORT)]);
    serverLog = watchChild(server).output;
    const listening = await waitUntil(() => lab.exec('srv', ['ss', '-lnt']).stdout.includes(`:${PORT} `), 50);
    assert.ok(listening, 'test HTTP server did not start');

    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(queueNum), '-c', join(scratch, 'kapu.yaml'), '-S', join(scratch, 'lab.rules'), '-l', outDir, ...(workers > 1 ? ['--workers', String(workers)] : [])]);
    const watched = watchChild(kapu);
    kapuExit = watched.exited;
    kapuOutput = watched.output;
    const bound = await waitUntil(() => {
      const queues = lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout;
      return queues.split('\n').some((line) => line.trim().split(/\s+/)[0] === String(queueNum));
    }, 100);
    assert.ok(bound, `kapu did not bind queue ${queueNum}: ${kapuOutput()}`);

    for (const [name, url, timeoutS] of [
      ['ok4', `http://${SERVER4}:${PORT}/ok.txt`, '5'],
      ['evil4', `http://${SERVER4}:${PORT}/evil.txt`, '3'],
      ['evil6', `http://${SERVER6}:${PORT}/evil.txt`, '3'],
      ['ok6', `http://${SERVER6}:${PORT}/ok.txt`, '5'],
      ['reject4', `http://${SERVER4}:${PORT}/reject.txt`, '3'],
      ['reject6', `http://${SERVER6}:${PORT}/reject.txt`, '3'],
      ['rejectboth4', `http://${SERVER4}:${PORT}/rejectboth.txt`, '3'],
    ] as const) {
      const result = lab.exec('cli', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '-m', timeoutS, url], 10_000);
      const [code, seconds] = result.stdout.trim().split(' ');
      curls[name] = { status: result.status, code: code ?? '', seconds: Number(seconds) };
    }

    // Closed flows time out after 1 s on wall time, while no packet arrives.
    await sleep(2_500);

    // Stopped by its PID, as an init system would.
    kapu.kill('SIGTERM');
    const timer = setTimeout(() => kapu?.kill('SIGKILL'), 10_000);
    kapuStatus = await kapuExit;
    clearTimeout(timer);
  });

  after(() => {
    try {
      if (kapu !== null && kapu.exitCode === null) kapu.kill('SIGKILL');
      if (server !== null && server.exitCode === null) server.kill('SIGTERM');
    } finally {
      lab.teardown();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  function readEve(): EveRecord[] {
    const path = join(outDir, 'eve.json');
    assert.ok(existsSync(path), `no eve.json; kapu printed: ${kapuOutput?.()}`);
    return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as EveRecord);
  }

  test('normal request passes', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(curls['ok4']?.status, 0);
    assert.equal(curls['ok4']?.code, '200');
    assert.equal(curls['ok6']?.status, 0);
    assert.equal(curls['ok6']?.code, '200');
    assert.match(serverLog?.() ?? '', /"GET \/ok\.txt HTTP\/1\.1" 200/);
  });

  test('drop rule blocks request', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    // curl exit 28: the operation timed out with no response.
    assert.equal(curls['evil4']?.status, 28);
    assert.equal(curls['evil4']?.code, '000');
    assert.equal(curls['evil6']?.status, 28);
    assert.equal(curls['evil6']?.code, '000');
    assert.doesNotMatch(serverLog?.() ?? '', /evil/);
  });

  test('reject resets the client at once', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    // curl exit 56: receiving failed, here with "Connection reset by peer",
    // well before its 3 s limit; the request never reaches the server.
    for (const name of ['reject4', 'reject6', 'rejectboth4']) {
      assert.equal(curls[name]?.status, 56, `${name}: ${JSON.stringify(curls[name])}`);
      assert.ok((curls[name]?.seconds ?? 99) < 1.5, `${name} took ${curls[name]?.seconds} s`);
    }
    assert.doesNotMatch(serverLog?.() ?? '', /reject/);
  });

  test('eve has blocked alert and drop', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const eve = readEve();
    const alerts = eve.filter((e) => e.event_type === 'alert');
    const blocked = alerts.filter((e) => e.alert?.signature_id === 1000002);
    assert.equal(blocked.length, 2, 'one blocked alert per address family');
    for (const alert of blocked) assert.equal(alert.alert?.action, 'blocked');
    const allowed = alerts.filter((e) => e.alert?.signature_id === 1000001);
    assert.equal(allowed.length, 2);
    for (const alert of allowed) assert.equal(alert.alert?.action, 'allowed');
    const drops = eve.filter((e) => e.event_type === 'drop');
    assert.ok(drops.some((e) => e.src_ip === '198.51.100.2' && e.dest_port === PORT), 'IPv4 drop event');
    // EVE writes IPv6 addresses in full, as Suricata does.
    assert.ok(drops.some((e) => e.src_ip === '2001:0db8:0001:0000:0000:0000:0000:0002' && e.dest_port === PORT), 'IPv6 drop event');
  });

  test('idle closed flows time out', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const flows = readEve().filter((e) => e.event_type === 'flow' && e.dest_port === PORT);
    // The IPv6 request came last and closed its connection, so only a pass
    // on wall time, with no packet arriving, can end its flow before SIGTERM.
    const timedOut = flows.filter((e) => e.ip_v === 6 && e.flow?.reason === 'timeout');
    assert.equal(timedOut.length, 1, JSON.stringify(flows.map((e) => [e.ip_v, e.flow?.reason])));
  });

  test('sigterm exits 0 with stats', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(kapuStatus, 0, kapuOutput?.());
    const stats = readEve().filter((e) => e.event_type === 'stats');
    const last = stats[stats.length - 1]?.stats;
    const queue = last?.nfq?.[`queue_${queueNum}`];
    assert.ok(queue !== undefined, 'stats event has the queue counters');
    assert.ok(queue['dropped']! >= 2, `dropped ${queue['dropped']}`);
    assert.equal(queue['packets'], queue['accepted']! + queue['dropped']!);
    assert.equal(last?.ips?.blocked, queue['dropped']);
  });
});
}

labSuite(1, 7, 'kinl');
labSuite(2, 9, 'kinw');
