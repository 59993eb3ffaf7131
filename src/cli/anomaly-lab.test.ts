// End-to-end test of the anomaly stage with `kapu run -q` as the router
// between a client and a server namespace. A client keeps sending HTTP
// requests to the server. Meanwhile the client namespace sends bounded
// attacks from its own extra addresses to extra addresses of the server:
// a SYN flood from one source, a SYN flood from 240 forged sources within
// 198.51.100.0/24, a UDP flood and a TCP port scan of 500 ports. For each,
// the test checks the gid 8200 alert (sid, victim, time since the attack
// started), the nftables action (drop to the victim: the victim receives
// nothing more; rate limit: the victim receives about rate-limit-pps), and
// that the HTTP requests kept succeeding. Needs root, network namespaces,
// NFQUEUE, nft and hping3; skips with one line otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, sleep, waitUntil, watchChild } from '../capture/netlab-harness.js';
import { parseEveTimeUs } from '../anomaly/anomaly-run.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const PEER = fileURLToPath(new URL('./anomaly-lab-peer.js', import.meta.url));
const QUEUE_NUM = 11;
const HTTP_PORT = 8080;
const SERVER = '203.0.113.2';
/** Client-side addresses the attacks come from, one per attack, so one source's rate limit leaves the others alone. */
const UDP_ATTACKER = '198.51.100.3';
const SCANNER = '198.51.100.4';
const SYN_ATTACKER = '198.51.100.5';
/** The forged sources of the spoofed flood: 198.51.100.10 to .249, none of them a lab host. */
const FORGED_PREFIX = '198.51.100';
const FORGED_FIRST = 10;
const FORGED_LAST = 249;
/** Server-side victim addresses, one per flood, so dropping traffic to a victim leaves the HTTP server reachable. */
const SYN_VICTIM = '203.0.113.10';
const UDP_VICTIM = '203.0.113.11';
const SPOOF_VICTIM = '203.0.113.12';
const ANOMALY_TABLE = 'kapu_anomaly';
const RATE_LIMIT_PPS = 20;
const ACTION_TIMEOUT_S = 120;
/** Milliseconds between two HTTP requests of the client. */
const HTTP_GAP_MS = 20;
/** Maximum number of HTTP requests that may fail in the whole run. */
const MAX_HTTP_FAILURES = 0;
/** Maximum time from the start of an attack to its alert's timestamp and to its action in nftables. */
const MAX_DETECT_MS = 5_000;
/** After the action appears in nftables, the packets already queued to kapu drain for this long before the counts are taken. */
const SETTLE_MS = 500;
/** Length of the window in which the victim's packets are counted after an action. */
const MEASURE_MS = 1_000;

const ANOMALY_SID = { synFlood: 3, udpFlood: 4, portScan: 7 } as const;

const CONFIG = `vars:
  address-groups:
    HOME_NET: "[203.0.113.0/24,2001:db8:2::/64]"
    EXTERNAL_NET: "!$HOME_NET"
stats:
  interval: 1
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - stats
anomaly:
  enabled: yes
  home-networks: [203.0.113.0/24, 2001:db8:2::/64]
  actions:
    table: ${ANOMALY_TABLE}
    rate-limit-pps: ${RATE_LIMIT_PPS}
    rules:
      - { detector: syn_flood, action: drop, timeout: ${ACTION_TIMEOUT_S} }
      - { detector: udp_flood, action: rate-limit, timeout: ${ACTION_TIMEOUT_S} }
      - { detector: port_scan, action: rate-limit, timeout: ${ACTION_TIMEOUT_S} }
`;

// Counts, in the server namespace, the packets each attack delivers.
const SERVER_COUNTERS = `table inet lab {
  counter syn_victim {}
  counter udp_victim {}
  counter spoof_victim {}
  counter scan_syns {}
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr ${SYN_VICTIM} counter name syn_victim
    ip daddr ${UDP_VICTIM} counter name udp_victim
    ip daddr ${SPOOF_VICTIM} counter name spoof_victim
    ip saddr ${SCANNER} tcp flags & (syn | ack) == syn counter name scan_syns
  }
}
`;

type CounterName = 'syn_victim' | 'udp_victim' | 'spoof_victim' | 'scan_syns';

interface EveRecord {
  timestamp: string;
  event_type: string;
  src_ip?: string;
  dest_ip?: string;
  alert?: { gid: number; signature_id: number };
  kapu?: { anomaly?: { type: string; phase: string; sources_spoofed: boolean | null; distinct_sources: number } };
}

/** What one attack did, as the lab measured it. */
interface AttackSeen {
  startMs: number;
  /** Wall time from the attack's start to its element appearing in kapu's nftables set; -1 when it never did. */
  actionAfterMs: number;
  /** Packets a second the victim counter grew by before the action. */
  ppsBefore: number;
  /** Packets a second the victim counter grew by in the MEASURE_MS window after the action and SETTLE_MS. */
  ppsAfter: number;
  /** Whether the attack still ran at the end of that window, so the window measured it. */
  ranThroughWindow: boolean;
  /** Alert timestamp minus attack start, from the first matching gid 8200 alert; NaN when none. */
  alertAfterMs: number;
  alertSrc: string | null;
  alertSpoofed: boolean | null;
  alertSources: number;
  /** The attack program's summary line, or its output when it printed none. */
  summary: string;
}

function emptyAttack(): AttackSeen {
  return { startMs: 0, actionAfterMs: -1, ppsBefore: 0, ppsAfter: -1, ranThroughWindow: false, alertAfterMs: Number.NaN, alertSrc: null, alertSpoofed: null, alertSources: 0, summary: '' };
}

/** Returns why this machine cannot run the lab, or null. */
function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  if (run('nft', ['--version']).status !== 0) return 'nft not installed';
  if (run('hping3', ['--version']).status === null) return 'hping3 not installed';
  return null;
}

let skipReason = skipReasonOf();

describe('anomaly stage in a namespace lab', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('kan');
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-anomaly-lab-'));
  const outDir = join(scratch, 'out');
  const configPath = join(scratch, 'kapu.yaml');
  const children: ChildProcessWithoutNullStreams[] = [];
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let kapuOutput: () => string = () => '';

  const seen = {
    synFlood: emptyAttack(),
    spoofedFlood: emptyAttack(),
    udpFlood: emptyAttack(),
    portScan: emptyAttack(),
    http: { sent: 0, failed: -1, failures: [] as { atMs: number; reason: string }[] },
    actionsTaken: [] as string[],
  };

  const readCounter = (name: CounterName): number => {
    const listed = lab.exec('srv', ['nft', 'list', 'counter', 'inet', 'lab', name]).stdout;
    const match = /packets (\d+)/.exec(listed);
    assert.ok(match !== null, `counter ${name} not readable: ${listed}`);
    return Number(match[1]);
  };
  const isInSet = (set: string, address: string): boolean =>
    lab.exec('ips', ['nft', 'list', 'set', 'inet', ANOMALY_TABLE, set]).stdout.includes(`${address} `);

  /**
   * Starts an attack, waits for kapu's action on `address` in `set`, and
   * measures the victim's packet rate before the action and in a window
   * after it. Waits for the attack to end (it ends by itself) before it
   * returns.
   */
  async function measureAttack(target: AttackSeen, args: string[], set: string, address: string, counter: CounterName): Promise<void> {
    const beforeCount = readCounter(counter);
    target.startMs = Date.now();
    const attacker = lab.spawn('cli', args);
    children.push(attacker);
    const output = watchChild(attacker);

    const appeared = await waitUntil(() => isInSet(set, address), 100);
    const actionMs = Date.now();
    const countAtAction = readCounter(counter);
    if (appeared) {
      target.actionAfterMs = actionMs - target.startMs;
      target.ppsBefore = Math.round(((countAtAction - beforeCount) * 1000) / Math.max(1, actionMs - target.startMs));
      await sleep(SETTLE_MS);
      const windowStart = readCounter(counter);
      const windowStartMs = Date.now();
      await sleep(MEASURE_MS);
      const windowEnd = readCounter(counter);
      const windowEndMs = Date.now();
      target.ranThroughWindow = attacker.exitCode === null;
      target.ppsAfter = Math.round(((windowEnd - windowStart) * 1000) / (windowEndMs - windowStartMs));
    }

    const timer = setTimeout(() => attacker.kill('SIGKILL'), 20_000);
    await output.exited;
    clearTimeout(timer);
    target.summary = output.output().split('\n').find((line) => line.startsWith('{')) ?? output.output().trim().slice(-500);
  }

  before(async () => {
    writeFileSync(join(scratch, 'lab.rules'), '');
    writeFileSync(configPath, CONFIG);
    writeFileSync(join(scratch, 'counters.nft'), SERVER_COUNTERS);
    lab.setup();
    for (const address of [UDP_ATTACKER, SCANNER, SYN_ATTACKER]) {
      assert.equal(lab.exec('cli', ['ip', 'addr', 'add', `${address}/24`, 'dev', 'c0']).status, 0);
    }
    for (const address of [SYN_VICTIM, UDP_VICTIM, SPOOF_VICTIM]) {
      assert.equal(lab.exec('srv', ['ip', 'addr', 'add', `${address}/24`, 'dev', 's0']).status, 0);
    }
    const counters = lab.exec('srv', ['nft', '-f', join(scratch, 'counters.nft')]);
    assert.equal(counters.status, 0, counters.stderr);

    const printed = run(process.execPath, [KAPU, 'firewall-rules', '-q', String(QUEUE_NUM), '--iface', 'ic']);
    assert.equal(printed.status, 0, printed.stderr);
    for (const line of printed.stdout.split('\n').filter((l) => /^ip6?tables-nft /.test(l))) {
      const applied = lab.exec('ips', line.split(' '));
      if (applied.status !== 0) {
        skipReason = `NFQUEUE rule not accepted: ${applied.stderr.trim()}`;
        return;
      }
    }

    const server = lab.spawn('srv', [process.execPath, PEER, 'http-server', SERVER, String(HTTP_PORT)]);
    children.push(server);
    const serverOutput = watchChild(server).output;
    assert.ok(await waitUntil(() => serverOutput().includes('ready'), 50), `HTTP server did not start: ${serverOutput()}`);

    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', configPath, '-S', join(scratch, 'lab.rules'), '-l', outDir]);
    const watchedKapu = watchChild(kapu);
    kapuOutput = watchedKapu.output;
    const bound = await waitUntil(() => lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout
      .split('\n').some((line) => line.trim().split(/\s+/)[0] === String(QUEUE_NUM)), 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${kapuOutput()}`);
    const tableReady = await waitUntil(() => lab.exec('ips', ['nft', 'list', 'table', 'inet', ANOMALY_TABLE]).status === 0, 50);
    assert.ok(tableReady, `kapu did not create table ${ANOMALY_TABLE}: ${kapuOutput()}`);

    const client = lab.spawn('cli', [process.execPath, PEER, 'http-client', SERVER, String(HTTP_PORT), String(HTTP_GAP_MS)]);
    children.push(client);
    const clientOutput = watchChild(client);
    assert.ok(await waitUntil(() => clientOutput.output().includes('ready'), 50), `HTTP client got no first response: ${clientOutput.output()}`);
    await sleep(1_000);

    // 1. SYN flood from one source, hping3: 30000 SYNs 100 us apart at most, to one closed port.
    await measureAttack(seen.synFlood, ['hping3', '-q', '-S', '-p', '80', '-a', SYN_ATTACKER, '-c', '30000', '-i', 'u100', SYN_VICTIM], 'victims4', SYN_VICTIM, 'syn_victim');
    // 2. SYN flood from 240 forged sources in the client's /24, from the raw-socket sender: 40000 SYNs at about 8000 a second.
    await measureAttack(seen.spoofedFlood, [process.execPath, PEER, 'syn-flood', FORGED_PREFIX, String(FORGED_FIRST), String(FORGED_LAST), SPOOF_VICTIM, '80', '40000', '8000'], 'victims4', SPOOF_VICTIM, 'spoof_victim');
    // 3. UDP flood from one source: 30000 datagrams 100 us apart at most, to one port.
    await measureAttack(seen.udpFlood, ['hping3', '-q', '--udp', '-p', '9999', '-a', UDP_ATTACKER, '-c', '30000', '-i', 'u100', UDP_VICTIM], 'limited4', UDP_ATTACKER, 'udp_victim');
    // 4. Port scan: 500 connection attempts to ports 1-500 of the HTTP server, 8 ms apart.
    await measureAttack(seen.portScan, [process.execPath, PEER, 'scan', SCANNER, SERVER, '1', '500', '8'], 'limited4', SCANNER, 'scan_syns');

    await sleep(500);
    client.stdin.write('stop\n');
    await waitUntil(() => clientOutput.output().includes('"sent"'), 50);
    const httpLine = clientOutput.output().split('\n').find((line) => line.startsWith('{'));
    assert.ok(httpLine !== undefined, `HTTP client printed no summary: ${clientOutput.output()}`);
    const http = JSON.parse(httpLine) as { sent: number; failed: number; failures: { atMs: number; reason: string }[] };
    seen.http = { sent: http.sent, failed: http.failed, failures: http.failures };

    kapu.kill('SIGTERM');
    const timer = setTimeout(() => kapu?.kill('SIGKILL'), 10_000);
    await watchedKapu.exited;
    clearTimeout(timer);

    const alerts = readEve().filter((e) => e.event_type === 'alert' && e.alert?.gid === 8200);
    seen.actionsTaken = alerts.filter((e) => e.kapu?.anomaly?.phase === 'start').map((e) => `${e.kapu?.anomaly?.type} ${e.src_ip ?? '-'} -> ${e.dest_ip ?? '-'}`);
    const fillAlert = (target: AttackSeen, sid: number, victim: string): void => {
      const alert = alerts.find((e) => e.alert?.signature_id === sid && e.dest_ip === victim && e.kapu?.anomaly?.phase === 'start');
      if (alert === undefined) return;
      target.alertAfterMs = parseEveTimeUs(alert.timestamp) / 1000 - target.startMs;
      target.alertSrc = alert.src_ip ?? null;
      target.alertSpoofed = alert.kapu?.anomaly?.sources_spoofed ?? null;
      target.alertSources = alert.kapu?.anomaly?.distinct_sources ?? 0;
    };
    fillAlert(seen.synFlood, ANOMALY_SID.synFlood, SYN_VICTIM);
    fillAlert(seen.spoofedFlood, ANOMALY_SID.synFlood, SPOOF_VICTIM);
    fillAlert(seen.udpFlood, ANOMALY_SID.udpFlood, UDP_VICTIM);
    fillAlert(seen.portScan, ANOMALY_SID.portScan, SERVER);
  });

  after(() => {
    try {
      for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
      if (kapu !== null && kapu.exitCode === null) kapu.kill('SIGKILL');
    } finally {
      lab.teardown();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  function readEve(): EveRecord[] {
    const path = join(outDir, 'eve.json');
    assert.ok(existsSync(path), `no eve.json; kapu printed: ${kapuOutput()}`);
    return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as EveRecord);
  }

  /** Checks the alert's time and the action's time against MAX_DETECT_MS. */
  function assertDetectedInTime(attack: AttackSeen, label: string): void {
    assert.ok(!Number.isNaN(attack.alertAfterMs), `no gid 8200 start alert for the ${label}`);
    assert.ok(attack.alertAfterMs >= 0, `${label} alert ${attack.alertAfterMs} ms before the attack started`);
    assert.ok(attack.alertAfterMs <= MAX_DETECT_MS, `${label} alert ${attack.alertAfterMs} ms after the attack started`);
    assert.ok(attack.actionAfterMs >= 0, `no action for the ${label} in nftables`);
    assert.ok(attack.actionAfterMs <= MAX_DETECT_MS, `${label} action ${attack.actionAfterMs} ms after the attack started`);
  }

  test('syn flood detected and victim dropped', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    t.diagnostic(JSON.stringify(seen));
    const attack = seen.synFlood;
    assertDetectedInTime(attack, 'SYN flood');
    assert.equal(attack.alertSrc, SYN_ATTACKER);
    assert.ok(attack.ppsBefore >= 1_000, `flood reached the victim at ${attack.ppsBefore} packets/s only`);
    assert.ok(attack.ranThroughWindow, `hping3 ended before the measuring window: ${attack.summary}`);
    assert.equal(attack.ppsAfter, 0, 'the victim still received the flood after the drop');
  });

  test('spoofed syn flood dropped', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const attack = seen.spoofedFlood;
    assertDetectedInTime(attack, 'spoofed SYN flood');
    // Many sources: no single source to name, so the drop to the victim is the only action that fits.
    assert.equal(attack.alertSrc, null);
    assert.ok(attack.alertSources >= 20, `alert counted ${attack.alertSources} sources`);
    assert.ok(attack.ppsBefore >= 1_000, `flood reached the victim at ${attack.ppsBefore} packets/s only`);
    assert.ok(attack.ranThroughWindow, `the sender ended before the measuring window: ${attack.summary}`);
    assert.equal(attack.ppsAfter, 0, 'the victim still received the flood after the drop');
  });

  test('udp flood source rate limited', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const attack = seen.udpFlood;
    assertDetectedInTime(attack, 'UDP flood');
    assert.equal(attack.alertSrc, UDP_ATTACKER);
    assert.ok(attack.ppsBefore >= 1_000, `flood reached the victim at ${attack.ppsBefore} packets/s only`);
    assert.ok(attack.ranThroughWindow, `hping3 ended before the measuring window: ${attack.summary}`);
    // nft's limit passes RATE_LIMIT_PPS a second plus a burst of 5 packets.
    assert.ok(attack.ppsAfter >= RATE_LIMIT_PPS / 2, `victim received ${attack.ppsAfter} packets/s, below the limit of ${RATE_LIMIT_PPS}`);
    assert.ok(attack.ppsAfter <= RATE_LIMIT_PPS * 1.5 + 5, `victim received ${attack.ppsAfter} packets/s, above the limit of ${RATE_LIMIT_PPS}`);
  });

  test('port scan source rate limited', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const attack = seen.portScan;
    assertDetectedInTime(attack, 'port scan');
    assert.equal(attack.alertSrc, SCANNER);
    assert.ok(attack.ranThroughWindow, `the scan ended before the measuring window: ${attack.summary}`);
    assert.ok(attack.ppsBefore > RATE_LIMIT_PPS * 2, `scan reached the server at ${attack.ppsBefore} SYNs/s only`);
    // The scanner's SYNs (new attempts and their retransmissions) share the source's limit.
    assert.ok(attack.ppsAfter <= RATE_LIMIT_PPS * 1.5 + 5, `server received ${attack.ppsAfter} SYNs/s, above the limit of ${RATE_LIMIT_PPS}`);
  });

  test('http requests keep succeeding', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.ok(seen.http.sent >= 100, `only ${seen.http.sent} requests sent`);
    assert.ok(seen.http.failed <= MAX_HTTP_FAILURES, `${seen.http.failed} of ${seen.http.sent} requests failed: ${JSON.stringify(seen.http.failures)}`);
  });
});

