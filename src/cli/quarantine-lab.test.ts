// End-to-end test of the quarantine with `kapu run -q` as the router
// between a client and a server namespace. A client host that is
// quarantined, by `kapu quarantine add` and by an alert whose rule has a
// quarantine response, loses all traffic at once and gets it back on
// release and on timeout, while a management address still reaches it.
// A forged-source flood that matches the rule gets no host quarantined.
// Needs root, network namespaces, NFQUEUE, nft and hping3; skips with one
// line otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, sleep, waitUntil, watchChild } from '../capture/netlab-harness.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const QUEUE_NUM = 9;
const ECHO_PORT = 9000;
const CLIENT = '198.51.100.2';
const SERVER = '203.0.113.2';
/** A second server-side address, listed in policy.management. */
const MANAGEMENT = '203.0.113.9';
/** Forged sources of the flood: an innocent host, and a DNS server on the never-block list. */
const INNOCENT = '198.51.100.77';
const DNS_SERVER = '198.51.100.53';
const TABLE = 'kapu_quarantine';
const TIMEOUT_S = 3;
const FLOOD_PACKETS = 200;

const RULES = `alert tcp any any -> $HOME_NET ${ECHO_PORT} (msg:"lab quarantine trigger"; content:"QUARANTINE-ME"; sid:1000010; rev:1;)\n`;

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
policy:
  management: [${MANAGEMENT}]
  dns-servers: [${DNS_SERVER}]
  quarantine:
    sid: 42
  responses:
    - { sid: 1000010, action: quarantine, target: src, timeout: ${TIMEOUT_S}s }
`;

// Echoes every byte back; ends itself after 5 minutes at the latest.
const ECHO_SERVER = `const net = require('node:net');
net.createServer((c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); }).listen(${ECHO_PORT}, '::', () => console.log('listening'));
setTimeout(() => process.exit(0), 300000);
`;

// Keeps one TCP connection open, writes a line every 50 ms and prints the
// wall time of every echo. "trigger" on stdin sends the rule's content over
// the same connection. Ends itself after 5 minutes at the latest.
const PROBE = `const net = require('node:net');
const s = net.connect({ host: process.argv[2], port: Number(process.argv[3]) }, () => console.log('connected ' + Date.now()));
let n = 0;
setInterval(() => s.write('tick ' + (n++) + '\\n'), 50);
s.on('data', () => console.log('echo ' + Date.now()));
s.on('error', (e) => console.log('error ' + e.message));
process.stdin.on('data', (d) => { if (String(d).includes('trigger')) s.write('QUARANTINE-ME\\n'); });
setTimeout(() => process.exit(0), 300000);
`;

// Opens one new TCP connection with a 1 s limit; exit 0 when it connects.
const CONNECT_ONCE = `const s = require('node:net').connect({ host: process.argv[2], port: Number(process.argv[3]), timeout: 1000 });
s.on('connect', () => { console.log('connected'); process.exit(0); });
s.on('timeout', () => { console.log('timed out'); process.exit(3); });
s.on('error', (e) => { console.log(e.message); process.exit(4); });
`;

interface EveRecord {
  event_type: string;
  src_ip?: string;
  alert?: { gid: number; signature_id: number; action: string };
  kapu?: { quarantine: { address: string; applied: boolean; timeout: number }; trigger: { signature_id: number }; evidence: { tcp_handshake: boolean } };
  stats?: { quarantine?: Record<string, number> };
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

/** The lab run with kapu in one thread (`workers` 1) or on worker threads, which forward quarantine requests. */
function labSuite(workers: number, prefix: string): void {
describe(`quarantine in a namespace lab${workers > 1 ? ` with --workers ${workers}` : ''}`, { skip: skipReason ?? false }, () => {
  const lab = new NetLab(prefix);
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-quarantine-lab-'));
  const outDir = join(scratch, 'out');
  const configPath = join(scratch, 'kapu.yaml');
  const children: ChildProcessWithoutNullStreams[] = [];
  let kapuOutput: () => string = () => '';
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let kapuExit: Promise<number | null> | null = null;
  let probeOutput: () => string = () => '';
  let probe: ChildProcessWithoutNullStreams | null = null;

  /** What the lab observed; the tests assert on it and print it. */
  const seen = {
    manual: { lastEchoMs: 0, stallMs: -1, pingDuring: -1, connectDuring: -1, managementPing: -1, resumeAfterTimeoutMs: -1, pingAfter: -1 },
    release: { stallMs: -1, resumeAfterReleaseMs: -1, pingAfter: -1 },
    automatic: { appliedAfterMs: -1, stallMs: -1, pingDuring: -1, resumeAfterTimeoutMs: -1, listed: '' },
    flood: { alerts: 0, quarantineAlerts: 0, setElements: '', pingAfter: -1, counters: {} as Record<string, number> },
    prefix6: { pingDuring: -1, ping4During: -1, pingAfter: -1 },
    restore: { elementAfterRestart: '' },
  };

  const kapuCli = (args: string[]) => lab.exec('ips', [process.execPath, KAPU, 'quarantine', ...args, '-c', configPath, '-l', outDir], 15_000);
  const ping = (host: 'cli' | 'srv', target: string, source: string | null = null) =>
    lab.exec(host, ['ping', '-c', '1', '-W', '1', ...(source !== null ? ['-I', source] : []), target]).status ?? -1;
  const connectOnce = () => lab.exec('cli', [process.execPath, join(scratch, 'connect-once.cjs'), SERVER, String(ECHO_PORT)]).status ?? -1;
  const setElements = () => lab.exec('ips', ['nft', 'list', 'set', 'inet', TABLE, 'quarantine4']).stdout.match(/elements = \{[^}]*\}/)?.[0] ?? '';
  const echoTimes = (): number[] => [...probeOutput().matchAll(/^echo (\d+)$/gm)].map((m) => Number(m[1]));
  const firstEchoAfter = (ms: number): number => echoTimes().find((t) => t > ms) ?? -1;
  /** Milliseconds from `fromMs` to the first echo after it, waiting up to `limitMs`; -1 when none came. */
  const waitForEcho = async (fromMs: number, limitMs: number): Promise<number> => {
    await waitUntil(() => firstEchoAfter(fromMs) > 0, Math.ceil(limitMs / 100));
    const at = firstEchoAfter(fromMs);
    return at > 0 ? at - fromMs : -1;
  };
  /** Milliseconds before `untilMs` during which no echo arrived, counted from `fromMs`. */
  const silentSince = (fromMs: number): number => {
    const late = echoTimes().filter((t) => t > fromMs);
    return late.length === 0 ? Date.now() - fromMs : late[0]! - fromMs;
  };

  async function startKapu(): Promise<void> {
    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', configPath, '-S', join(scratch, 'lab.rules'), '-l', outDir, ...(workers > 1 ? ['--workers', String(workers)] : [])]);
    const watched = watchChild(kapu);
    kapuExit = watched.exited;
    kapuOutput = watched.output;
    const ready = await waitUntil(() => kapuOutput().includes('quarantine table ready'), 100);
    assert.ok(ready, `kapu did not set up the quarantine: ${kapuOutput()}`);
    const bound = await waitUntil(() => lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout
      .split('\n').some((line) => line.trim().split(/\s+/)[0] === String(QUEUE_NUM)), 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${kapuOutput()}`);
  }

  async function stopKapu(): Promise<void> {
    if (kapu === null || kapuExit === null) return;
    kapu.kill('SIGTERM');
    const timer = setTimeout(() => kapu?.kill('SIGKILL'), 10_000);
    await kapuExit;
    clearTimeout(timer);
  }

  before(async () => {
    writeFileSync(join(scratch, 'lab.rules'), RULES);
    writeFileSync(configPath, CONFIG);
    writeFileSync(join(scratch, 'echo-server.cjs'), ECHO_SERVER);
    writeFileSync(join(scratch, 'probe.cjs'), PROBE);
    writeFileSync(join(scratch, 'connect-once.cjs'), CONNECT_ONCE);
    writeFileSync(join(scratch, 'payload'), 'QUARANTINE-ME');
    lab.setup();
    assert.equal(lab.exec('srv', ['ip', 'addr', 'add', `${MANAGEMENT}/24`, 'dev', 's0']).status, 0);

    const printed = run(process.execPath, [KAPU, 'firewall-rules', '-q', String(QUEUE_NUM), '--iface', 'ic']);
    assert.equal(printed.status, 0, printed.stderr);
    for (const line of printed.stdout.split('\n').filter((l) => /^ip6?tables-nft /.test(l))) {
      const applied = lab.exec('ips', line.split(' '));
      if (applied.status !== 0) {
        skipReason = `NFQUEUE rule not accepted: ${applied.stderr.trim()}`;
        return;
      }
    }

    const server = lab.spawn('srv', [process.execPath, join(scratch, 'echo-server.cjs')]);
    children.push(server);
    const serverOutput = watchChild(server).output;
    assert.ok(await waitUntil(() => serverOutput().includes('listening'), 50), 'echo server did not start');
    await startKapu();

    probe = lab.spawn('cli', [process.execPath, join(scratch, 'probe.cjs'), SERVER, String(ECHO_PORT)]);
    children.push(probe);
    probeOutput = watchChild(probe).output;
    assert.ok(await waitUntil(() => echoTimes().length >= 5, 50), `probe got no echoes: ${probeOutput()}`);

    // 1. kapu quarantine add, ended by its timeout.
    const added = kapuCli(['add', CLIENT, '--timeout', `${TIMEOUT_S}s`, '--reason', 'lab manual']);
    assert.equal(added.status, 0, added.stderr);
    const addedAt = Date.now();
    const startedAt = addedAt - 5_000;
    seen.manual.pingDuring = ping('cli', SERVER);
    seen.manual.connectDuring = connectOnce();
    seen.manual.managementPing = ping('srv', CLIENT, MANAGEMENT);
    seen.manual.stallMs = silentSince(addedAt + 100);
    // The last echo relative to the end of the add command (negative: before it ended).
    seen.manual.lastEchoMs = Math.max(...echoTimes().filter((t) => t > startedAt && t < addedAt + 1_000)) - addedAt;
    seen.manual.resumeAfterTimeoutMs = await waitForEcho(addedAt, 15_000);
    seen.manual.pingAfter = ping('cli', SERVER);

    // 2. kapu quarantine add with a long timeout, ended by release.
    assert.equal(kapuCli(['add', CLIENT, '--timeout', '1h']).status, 0);
    const longAt = Date.now();
    await sleep(1_500);
    seen.release.stallMs = silentSince(longAt + 100);
    const released = kapuCli(['release', CLIENT]);
    assert.equal(released.status, 0, released.stderr);
    const releasedAt = Date.now();
    seen.release.resumeAfterReleaseMs = await waitForEcho(releasedAt, 15_000);
    seen.release.pingAfter = ping('cli', SERVER);

    // 3. An IPv6 prefix: the client's /64 loses IPv6 and keeps IPv4.
    assert.equal(kapuCli(['add', '2001:db8:1::/64', '--timeout', '1h']).status, 0);
    seen.prefix6.pingDuring = lab.exec('cli', ['ping', '-6', '-c', '1', '-W', '1', '2001:db8:2::2']).status ?? -1;
    seen.prefix6.ping4During = ping('cli', SERVER);
    assert.equal(kapuCli(['release', '2001:db8:1::/64']).status, 0);
    seen.prefix6.pingAfter = lab.exec('cli', ['ping', '-6', '-c', '1', '-W', '1', '2001:db8:2::2']).status ?? -1;

    // 4. The automatic path: the rule's content over the probe's own connection.
    const triggerAt = Date.now();
    probe.stdin.write('trigger\n');
    await waitUntil(() => setElements().includes(CLIENT), 30);
    const appliedAt = Date.now();
    seen.automatic.appliedAfterMs = appliedAt - triggerAt;
    seen.automatic.listed = kapuCli(['list']).stdout;
    seen.automatic.pingDuring = ping('cli', SERVER);
    seen.automatic.stallMs = silentSince(appliedAt + 100);
    seen.automatic.resumeAfterTimeoutMs = await waitForEcho(appliedAt + 100, 15_000) + 100 + seen.automatic.appliedAfterMs;

    // 5. A flood with forged sources that matches the rule, bounded in count.
    for (const forged of [INNOCENT, DNS_SERVER]) {
      lab.exec('cli', ['hping3', '-S', '-p', String(ECHO_PORT), '-a', forged, '-c', String(FLOOD_PACKETS), '-i', 'u1000',
        '-d', '13', '-E', join(scratch, 'payload'), SERVER], 30_000);
    }
    await sleep(1_500);
    seen.flood.setElements = setElements();
    seen.flood.pingAfter = ping('cli', SERVER);

    // 6. A restart restores the stored quarantine into an empty ruleset.
    assert.equal(kapuCli(['add', CLIENT, '--timeout', '1h', '--reason', 'kept across restart']).status, 0);
    await stopKapu();
    assert.equal(lab.exec('ips', ['nft', 'delete', 'table', 'inet', TABLE]).status, 0);
    await startKapu();
    seen.restore.elementAfterRestart = setElements();
    assert.equal(kapuCli(['release', CLIENT]).status, 0);
    await stopKapu();

    const eve = readEve();
    seen.flood.alerts = eve.filter((e) => e.alert?.signature_id === 1000010 && (e.src_ip === INNOCENT || e.src_ip === DNS_SERVER)).length;
    seen.flood.quarantineAlerts = eve.filter((e) => e.alert?.gid === 8100 && e.kapu?.quarantine.address !== CLIENT).length;
    // The restart starts the counters again, so each one's highest value is kept.
    for (const e of eve) {
      for (const [name, value] of Object.entries(e.stats?.quarantine ?? {})) seen.flood.counters[name] = Math.max(seen.flood.counters[name] ?? 0, value);
    }
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

  test('manual quarantine cuts all traffic', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    t.diagnostic(JSON.stringify(seen));
    assert.notEqual(seen.manual.pingDuring, 0, 'ping passed while quarantined');
    assert.notEqual(seen.manual.connectDuring, 0, 'new connection opened while quarantined');
    // The pings and the connection attempt above took about 2 s with no echo.
    assert.ok(seen.manual.stallMs >= 1_500, `open connection stalled only ${seen.manual.stallMs} ms`);
  });

  test('management address still reaches it', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(seen.manual.managementPing, 0);
  });

  test('traffic returns after timeout', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    // The element expires after 3 s; TCP's retransmission backoff adds a few seconds at most.
    assert.ok(seen.manual.resumeAfterTimeoutMs >= TIMEOUT_S * 1000 - 200, `resumed after ${seen.manual.resumeAfterTimeoutMs} ms`);
    assert.ok(seen.manual.resumeAfterTimeoutMs < 12_000, `resumed after ${seen.manual.resumeAfterTimeoutMs} ms`);
    assert.equal(seen.manual.pingAfter, 0);
  });

  test('traffic returns on release', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.ok(seen.release.stallMs >= 1_300, `stalled only ${seen.release.stallMs} ms`);
    assert.ok(seen.release.resumeAfterReleaseMs >= 0, 'no echo after the release');
    assert.ok(seen.release.resumeAfterReleaseMs < 10_000, `resumed after ${seen.release.resumeAfterReleaseMs} ms`);
    assert.equal(seen.release.pingAfter, 0);
  });

  test('ipv6 prefix quarantined and released', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.notEqual(seen.prefix6.pingDuring, 0, 'IPv6 ping passed while the /64 was quarantined');
    assert.equal(seen.prefix6.ping4During, 0);
    assert.equal(seen.prefix6.pingAfter, 0);
  });

  test('rule alert quarantines client', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.match(seen.automatic.listed, new RegExp(`^${CLIENT.replace(/\./g, '\\.')} .*lab quarantine trigger \\[1:1000010:1\\] \\(policy\\.responses\\.0\\)$`, 'm'));
    assert.ok(seen.automatic.appliedAfterMs < 3_000, `applied ${seen.automatic.appliedAfterMs} ms after the trigger`);
    assert.notEqual(seen.automatic.pingDuring, 0);
    assert.ok(seen.automatic.stallMs >= 1_000, `stalled only ${seen.automatic.stallMs} ms`);
    assert.ok(seen.automatic.resumeAfterTimeoutMs >= TIMEOUT_S * 1000 - 400, `resumed after ${seen.automatic.resumeAfterTimeoutMs} ms`);
    assert.ok(seen.automatic.resumeAfterTimeoutMs < 12_000, `resumed after ${seen.automatic.resumeAfterTimeoutMs} ms`);
    const alerts = readEve().filter((e) => e.alert?.gid === 8100);
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.equal(alerts[0]?.alert?.signature_id, 42);
    assert.equal(alerts[0]?.alert?.action, 'blocked');
    assert.equal(alerts[0]?.kapu?.quarantine.address, CLIENT);
    assert.equal(alerts[0]?.kapu?.quarantine.applied, true);
    assert.equal(alerts[0]?.kapu?.trigger.signature_id, 1000010);
    assert.equal(alerts[0]?.kapu?.evidence.tcp_handshake, true);
  });

  test('forged flood quarantines nobody', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.ok(seen.flood.alerts > 0, 'the forged packets matched the rule');
    assert.equal(seen.flood.quarantineAlerts, 0);
    assert.equal(seen.flood.setElements, '', `set holds ${seen.flood.setElements}`);
    assert.equal(seen.flood.pingAfter, 0);
    assert.ok((seen.flood.counters['refused_no_handshake'] ?? 0) > 0, JSON.stringify(seen.flood.counters));
    assert.ok((seen.flood.counters['refused_never_block'] ?? 0) > 0, JSON.stringify(seen.flood.counters));
  });

  test('restart restores quarantine', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.match(seen.restore.elementAfterRestart, new RegExp(`${CLIENT.replace(/\./g, '\\.')} timeout `));
  });
});
}

labSuite(1, 'kqr');
labSuite(2, 'kqw');
