// End-to-end test of the rate-limit response with `kapu run -q` as the
// router between a client and a server namespace. The client has two
// addresses. After an alert of the rule named by the response, over a
// TCP connection from the first address, that address gets about `rate`
// ping replies a second out of 100, while the second address keeps all of
// them. The limit lifts after its timeout. Needs root, network
// namespaces, NFQUEUE and nft; skips with one line otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, waitUntil, watchChild } from '../capture/netlab-harness.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const QUEUE_NUM = 15;
const ECHO_PORT = 9000;
/** The limited client, and a second address of the same client host that stays untouched. */
const CLIENT = '198.51.100.2';
const OTHER_CLIENT = '198.51.100.3';
const SERVER = '203.0.113.2';
const TABLE = 'kapu_quarantine';
/** Packets per second of the limit. */
const RATE_PPS = 20;
/** Long enough for the trigger and two measurements of about 3 s to fit inside. */
const TIMEOUT_S = 10;
/**
 * Pings of one measurement, at least 10 ms apart. Through kapu's queue
 * ping sends about 60 a second here, so a measurement lasts about 3 s.
 */
const PING_COUNT = 200;

const RULES = `alert tcp any any -> $HOME_NET ${ECHO_PORT} (msg:"lab rate-limit trigger"; content:"RATE-LIMIT-ME"; sid:1000020; rev:1;)\n`;

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
  rate-limit:
    sid: 43
  responses:
    - { sid: 1000020, action: rate-limit, target: src, timeout: ${TIMEOUT_S}s, rate: ${RATE_PPS} }
`;

// Echoes every byte back; ends itself after 5 minutes at the latest.
const ECHO_SERVER = `const net = require('node:net');
net.createServer((c) => { c.on('data', (d) => c.write(d)); c.on('error', () => {}); }).listen(${ECHO_PORT}, '::', () => console.log('listening'));
setTimeout(() => process.exit(0), 300000);
`;

// Connects from the address in argv[4], sends the rule's content and exits
// once it is echoed, or after 3 s with status 3.
const TRIGGER = `const s = require('node:net').connect({ host: process.argv[2], port: Number(process.argv[3]), localAddress: process.argv[4] });
s.on('connect', () => s.write('RATE-LIMIT-ME\\n'));
s.on('data', () => { console.log('echoed'); s.end(); process.exit(0); });
s.on('error', (e) => { console.log(e.message); process.exit(4); });
setTimeout(() => process.exit(3), 3000);
`;

interface EveRecord {
  event_type: string;
  alert?: { gid: number; signature_id: number; action: string; signature: string };
  kapu?: {
    rate_limit?: { address: string; applied: boolean; timeout: number; packets_per_second: number };
    trigger: { signature_id: number };
    policy: { action: string };
    evidence: { tcp_handshake: boolean };
  };
  stats?: { rate_limit?: Record<string, number> };
}

/** One ping measurement: replies received out of PING_COUNT, ping's run time, and replies per second over it. */
interface PingRate {
  received: number;
  timeMs: number;
  perSecond: number;
}

/** Returns why this machine cannot run the lab, or null. */
function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  if (run('nft', ['--version']).status !== 0) return 'nft not installed';
  return null;
}

let skipReason = skipReasonOf();

/** Defines the lab suite with kapu in one thread (`workers` 1) or on worker threads, which forward the requests. */
function labSuite(workers: number, prefix: string): void {
describe(`rate limit in a namespace lab${workers > 1 ? ` with --workers ${workers}` : ''}`, { skip: skipReason ?? false }, () => {
  const lab = new NetLab(prefix);
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-rate-limit-lab-'));
  const outDir = join(scratch, 'out');
  const configPath = join(scratch, 'kapu.yaml');
  const children: ChildProcessWithoutNullStreams[] = [];
  let kapuOutput: () => string = () => '';
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let kapuExit: Promise<number | null> | null = null;

  /** What the lab observed; the tests assert on it and print it. */
  const seen = {
    before: { client: { received: -1, timeMs: 0, perSecond: -1 } as PingRate },
    during: { client: { received: -1, timeMs: 0, perSecond: -1 } as PingRate, other: { received: -1, timeMs: 0, perSecond: -1 } as PingRate, appliedAfterMs: -1, listed: '' },
    after: { client: { received: -1, timeMs: 0, perSecond: -1 } as PingRate, liftedAfterMs: -1 },
    counters: {} as Record<string, number>,
  };

  const limitElements = () => lab.exec('ips', ['nft', 'list', 'set', 'inet', TABLE, 'ratelimit4_0']).stdout.match(/elements = \{[^}]*\}/)?.[0] ?? '';

  /** Sends PING_COUNT pings at least 10 ms apart from `source` to the server and returns the replies counted by ping. */
  function measure(source: string): PingRate {
    const result = lab.exec('cli', ['ping', '-q', '-n', '-i', '0.01', '-c', String(PING_COUNT), '-W', '1', '-I', source, SERVER], 15_000);
    const received = Number(result.stdout.match(/(\d+) received/)?.[1] ?? -1);
    const timeMs = Number(result.stdout.match(/time (\d+)ms/)?.[1] ?? 0);
    return { received, timeMs, perSecond: timeMs > 0 ? Math.round((received * 1000) / timeMs) : -1 };
  }

  async function startKapu(): Promise<void> {
    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', configPath, '-S', join(scratch, 'lab.rules'), '-l', outDir, ...(workers > 1 ? ['--workers', String(workers)] : [])]);
    const watched = watchChild(kapu);
    kapuExit = watched.exited;
    kapuOutput = watched.output;
    const ready = await waitUntil(() => kapuOutput().includes('quarantine table ready'), 100);
    assert.ok(ready, `kapu did not set up the quarantine table: ${kapuOutput()}`);
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
    writeFileSync(join(scratch, 'trigger.cjs'), TRIGGER);
    lab.setup();
    assert.equal(lab.exec('cli', ['ip', 'addr', 'add', `${OTHER_CLIENT}/24`, 'dev', 'c0']).status, 0);

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

    // 1. Before the alert the client gets every reply.
    seen.before.client = measure(CLIENT);

    // 2. The rule's content over a TCP connection from CLIENT, then the limit in force.
    const triggerAt = Date.now();
    const triggered = lab.exec('cli', [process.execPath, join(scratch, 'trigger.cjs'), SERVER, String(ECHO_PORT), CLIENT]);
    assert.equal(triggered.status, 0, `trigger connection failed: ${triggered.stdout}`);
    assert.ok(await waitUntil(() => limitElements().includes(CLIENT), 30), `no limit in nftables: ${kapuOutput()}`);
    const appliedAt = Date.now();
    seen.during.appliedAfterMs = appliedAt - triggerAt;
    seen.during.listed = lab.exec('ips', [process.execPath, KAPU, 'quarantine', 'list', '-c', configPath, '-l', outDir], 15_000).stdout;
    seen.during.client = measure(CLIENT);
    seen.during.other = measure(OTHER_CLIENT);

    // 3. The element expires with its timeout, and the client gets every reply again.
    await waitUntil(() => !limitElements().includes(CLIENT), 200);
    seen.after.liftedAfterMs = Date.now() - appliedAt;
    seen.after.client = measure(CLIENT);
    await stopKapu();

    for (const e of readEve()) {
      for (const [name, value] of Object.entries(e.stats?.rate_limit ?? {})) seen.counters[name] = Math.max(seen.counters[name] ?? 0, value);
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

  test('client unlimited before alert', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    t.diagnostic(JSON.stringify(seen));
    assert.ok(seen.before.client.received >= PING_COUNT * 0.95, `received ${seen.before.client.received} of ${PING_COUNT}`);
  });

  test('alert limits client to rate', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.ok(seen.during.appliedAfterMs < 3_000, `applied ${seen.during.appliedAfterMs} ms after the trigger`);
    // RATE_PPS a second over ping's run time, plus the kernel's burst of 5 packets.
    const client = seen.during.client;
    const expected = Math.round((RATE_PPS * client.timeMs) / 1000) + 5;
    assert.ok(Math.abs(client.received - expected) <= 10, `received ${client.received} of ${PING_COUNT} in ${client.timeMs} ms, expected about ${expected}`);
    assert.ok(client.perSecond >= RATE_PPS * 0.8, `${client.perSecond} replies a second`);
    assert.ok(client.perSecond <= RATE_PPS * 1.3, `${client.perSecond} replies a second`);
    assert.match(seen.during.listed, new RegExp(`^${CLIENT.replace(/\./g, '\\.')} +rate-limit ${RATE_PPS}/s .*lab rate-limit trigger \\[1:1000020:1\\] \\(policy\\.responses\\.0\\)$`, 'm'));
  });

  test('other client untouched', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.ok(seen.during.other.received >= PING_COUNT * 0.95, `received ${seen.during.other.received} of ${PING_COUNT}`);
  });

  test('limit lifts after timeout', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.ok(seen.after.liftedAfterMs >= TIMEOUT_S * 1000 - 1_000, `lifted after ${seen.after.liftedAfterMs} ms`);
    assert.ok(seen.after.liftedAfterMs <= TIMEOUT_S * 1000 + 3_000, `lifted after ${seen.after.liftedAfterMs} ms`);
    assert.ok(seen.after.client.received >= PING_COUNT * 0.95, `received ${seen.after.client.received} of ${PING_COUNT}`);
  });

  test('one gid 8100 alert per limit', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const alerts = readEve().filter((e) => e.alert?.gid === 8100);
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    const alert = alerts[0] as EveRecord;
    assert.equal(alert.alert?.signature_id, 43);
    assert.equal(alert.alert?.signature, 'KAPU POLICY host rate-limited');
    assert.equal(alert.alert?.action, 'blocked');
    assert.equal(alert.kapu?.rate_limit?.address, CLIENT);
    assert.equal(alert.kapu?.rate_limit?.packets_per_second, RATE_PPS);
    assert.equal(alert.kapu?.rate_limit?.timeout, TIMEOUT_S);
    assert.equal(alert.kapu?.rate_limit?.applied, true);
    assert.equal(alert.kapu?.trigger.signature_id, 1000020);
    assert.equal(alert.kapu?.policy.action, 'rate-limit');
    assert.equal(alert.kapu?.evidence.tcp_handshake, true);
    assert.equal(seen.counters['applied'], 1, JSON.stringify(seen.counters));
  });
});
}

labSuite(1, 'krl');
labSuite(2, 'krlw');
