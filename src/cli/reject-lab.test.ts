// End-to-end test of the reject actions of `kapu run -q` as a router
// between a client and a server namespace (HOME_NET is the server side).
// Live TCP connections and UDP datagrams from the client carry markers,
// and each marker has its own reject rule. reject-lab-peer.js on both ends
// prints what its sockets observe, timed on the shared monotonic clock. Then the
// log rotation (SIGHUP) and the shutdown (SIGTERM) of the same run are
// checked. Needs root, network namespaces and NFQUEUE; skips with one line
// otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, sleep, waitUntil, watchChild } from '../capture/netlab-harness.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const PEER = fileURLToPath(new URL('./reject-lab-peer.js', import.meta.url));
const QUEUE_NUM = 13;
const PORT = 9000;
const CLIENT4 = '198.51.100.2';
const CLIENT6 = '2001:db8:1::2';
const SERVER4 = '203.0.113.2';
const SERVER6 = '2001:db8:2::2';
/** How long a client waits for an outcome after it sent its message. */
const CLIENT_WAIT_MS = 2_000;
/**
 * Upper bound for a reject response to reach an end, from the client's
 * send. TCP's first retransmission comes after at least 200 ms (the Linux
 * minimum RTO) and its initial RTO is 1 s (RFC 6298 section 2), so an end
 * that fails within this bound got the response at once, not after a timeout.
 */
const PROMPT_MS = 1_000;
/** How long the server end is watched after the client finished, for late data or resets. */
const SERVER_QUIET_MS = 1_000;

const SID_TCP_CONTROL = 2000010;
const SID_UDP_CONTROL = 2000011;
const SID_REJECT = 2000001;
const SID_REJECTDST = 2000002;
const SID_REJECTBOTH = 2000003;
const SID_REJECT_UDP = 2000004;

const RULES = `alert tcp $EXTERNAL_NET any -> $HOME_NET ${PORT} (msg:"lab tcp control"; flow:to_server,established; content:"HELLO"; sid:${SID_TCP_CONTROL}; rev:1;)
alert udp $EXTERNAL_NET any -> $HOME_NET ${PORT} (msg:"lab udp control"; content:"HELLO"; sid:${SID_UDP_CONTROL}; rev:1;)
reject tcp $EXTERNAL_NET any -> $HOME_NET ${PORT} (msg:"lab reject"; flow:to_server,established; content:"REJECT-SRC"; sid:${SID_REJECT}; rev:1;)
rejectdst tcp $EXTERNAL_NET any -> $HOME_NET ${PORT} (msg:"lab rejectdst"; flow:to_server,established; content:"REJECT-DST"; sid:${SID_REJECTDST}; rev:1;)
rejectboth tcp $EXTERNAL_NET any -> $HOME_NET ${PORT} (msg:"lab rejectboth"; flow:to_server,established; content:"REJECT-BOTH"; sid:${SID_REJECTBOTH}; rev:1;)
reject udp $EXTERNAL_NET any -> $HOME_NET ${PORT} (msg:"lab reject udp"; content:"REJECT-UDP"; sid:${SID_REJECT_UDP}; rev:1;)
`;

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
        - drop
        - stats
`;

interface PeerEvent {
  event: string;
  t: number;
  proto?: string;
  peer?: string;
  code?: string;
  text?: string;
  localPort?: number;
}

interface ClientCase {
  name: string;
  proto: 'tcp' | 'udp';
  family: 4 | 6;
  message: string;
}

const CASES: ClientCase[] = [];
for (const family of [4, 6] as const) {
  CASES.push(
    { name: `tcpControl${family}`, proto: 'tcp', family, message: 'HELLO' },
    { name: `udpControl${family}`, proto: 'udp', family, message: 'HELLO' },
    { name: `reject${family}`, proto: 'tcp', family, message: 'REJECT-SRC' },
    { name: `rejectdst${family}`, proto: 'tcp', family, message: 'REJECT-DST' },
    { name: `rejectboth${family}`, proto: 'tcp', family, message: 'REJECT-BOTH' },
    { name: `rejectUdp${family}`, proto: 'udp', family, message: 'REJECT-UDP' },
  );
}

/** What one client printed, and the server's events for its connection. */
interface CaseResult {
  client: PeerEvent[];
  server: PeerEvent[];
  sendT: number;
}

interface EveRecord {
  event_type: string;
  src_ip?: string;
  proto?: string;
  alert?: { action: string; signature_id: number };
  stats?: { ips?: Record<string, number>; nfq?: Record<string, Record<string, number>> };
}

function parseLines(text: string): PeerEvent[] {
  return text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as PeerEvent);
}

function readEve(path: string): EveRecord[] {
  if (!existsSync(path)) return [];
  // The last line may still be half written while kapu runs.
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.endsWith('}')).map((line) => JSON.parse(line) as EveRecord);
}

/** Returns why this machine cannot run the lab, or null. */
function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  return null;
}

let skipReason = skipReasonOf();

describe('kapu run -q reject actions', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('krj');
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-reject-'));
  const outDir = join(scratch, 'out');
  const evePath = join(outDir, 'eve.json');
  const rotatedPath = join(outDir, 'eve.json.1');
  let server: ChildProcessWithoutNullStreams | null = null;
  let serverOutput: () => string = () => '';
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let kapuOutput: () => string = () => '';
  let kapuStatus: number | null = null;
  const results: Record<string, CaseResult> = {};
  let isReopened = false;
  let afterHangupClient: PeerEvent[] = [];

  function runClient(c: ClientCase, message = c.message): PeerEvent[] {
    const host = c.family === 4 ? SERVER4 : SERVER6;
    const result = lab.exec('cli', [process.execPath, PEER, `${c.proto}-client`, host, String(PORT), message, String(CLIENT_WAIT_MS)], CLIENT_WAIT_MS + 8_000);
    assert.equal(result.status, 0, `${c.name}: ${result.stderr}`);
    return parseLines(result.stdout);
  }

  before(async () => {
    writeFileSync(join(scratch, 'lab.rules'), RULES);
    writeFileSync(join(scratch, 'kapu.yaml'), CONFIG);
    lab.setup();

    const printed = run(process.execPath, [KAPU, 'firewall-rules', '-q', String(QUEUE_NUM), '--iface', 'ic']);
    assert.equal(printed.status, 0, printed.stderr);
    for (const line of printed.stdout.split('\n').filter((l) => /^ip6?tables-nft /.test(l))) {
      const applied = lab.exec('ips', line.split(' '));
      if (applied.status !== 0) {
        skipReason = `NFQUEUE rule not accepted: ${applied.stderr.trim()}`;
        return;
      }
    }

    server = lab.spawn('srv', [process.execPath, PEER, 'server', String(PORT)]);
    serverOutput = watchChild(server).output;
    assert.ok(await waitUntil(() => serverOutput().includes('ready\n'), 50), `test server did not start: ${serverOutput()}`);

    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', join(scratch, 'kapu.yaml'), '-S', join(scratch, 'lab.rules'), '-l', outDir]);
    const watched = watchChild(kapu);
    kapuOutput = watched.output;
    const bound = await waitUntil(() => {
      const queues = lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout;
      return queues.split('\n').some((line) => line.trim().split(/\s+/)[0] === String(QUEUE_NUM));
    }, 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${kapuOutput()}`);

    for (const c of CASES) {
      const client = runClient(c);
      const localPort = client.find((e) => e.event === 'connect')?.localPort;
      const sendT = client.find((e) => e.event === 'send')?.t ?? Number.NaN;
      // Late resets or data of the server's socket show up within this time.
      await sleep(c.proto === 'tcp' ? SERVER_QUIET_MS : 100);
      const peer = `${c.family === 4 ? `::ffff:${CLIENT4}` : CLIENT6} ${localPort}`;
      const serverEvents = parseLines(serverOutput()).filter((e) => e.proto === c.proto && e.peer === peer);
      results[c.name] = { client, server: serverEvents, sendT };
    }

    // Log rotation: move eve.json aside, then SIGHUP makes kapu open a new one.
    renameSync(evePath, rotatedPath);
    kapu.kill('SIGHUP');
    isReopened = await waitUntil(() => existsSync(evePath), 50);
    afterHangupClient = runClient({ name: 'afterHangup', proto: 'tcp', family: 4, message: 'HELLO-AFTER-HUP' });
    await waitUntil(() => readEve(evePath).some((e) => e.event_type === 'alert'), 50);

    kapu.kill('SIGTERM');
    const timer = setTimeout(() => kapu?.kill('SIGKILL'), 10_000);
    kapuStatus = await watched.exited;
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

  /** Returns the result of case `name`, with its events as a test diagnostic. */
  function resultOf(t: { diagnostic(message: string): void }, name: string): CaseResult {
    const result = results[name];
    assert.ok(result !== undefined, `no result for ${name}`);
    const relative = (events: PeerEvent[]): string => events.map((e) => `${e.event}${e.code !== undefined ? ` ${e.code}` : ''} +${(e.t - result.sendT).toFixed(1)} ms`).join(', ');
    t.diagnostic(`${name}: client [${relative(result.client)}] server [${relative(result.server)}]`);
    return result;
  }

  /** Returns the milliseconds from the client's send to the first event named `event` with `code`, or Infinity. */
  function delayOf(result: CaseResult, events: PeerEvent[], event: string, code: string): number {
    const found = events.find((e) => e.event === event && e.code === code);
    return found === undefined ? Number.POSITIVE_INFINITY : found.t - result.sendT;
  }

  test('control messages reach server', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    for (const family of [4, 6]) {
      for (const proto of ['tcp', 'udp']) {
        const result = resultOf(t, `${proto}Control${family}`);
        assert.ok(result.client.some((e) => e.event === 'data' && e.text === 'echo:HELLO'), `${proto}${family}: no echo`);
        assert.ok(result.server.some((e) => e.event === (proto === 'tcp' ? 'data' : 'message') && e.text === 'HELLO'), `${proto}${family}: server got nothing`);
      }
    }
  });

  test('reject resets the client only', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    for (const family of [4, 6]) {
      const result = resultOf(t, `reject${family}`);
      const delay = delayOf(result, result.client, 'error', 'ECONNRESET');
      assert.ok(delay < PROMPT_MS, `IPv${family}: client reset after ${delay} ms`);
      assert.ok(!result.client.some((e) => e.event === 'data'), `IPv${family}: client got data`);
      // The server accepted the connection and then saw nothing: no data, no reset.
      assert.deepEqual(result.server.map((e) => e.event), ['accept'], `IPv${family}`);
    }
  });

  test('rejectdst resets the server only', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    for (const family of [4, 6]) {
      const result = resultOf(t, `rejectdst${family}`);
      const delay = delayOf(result, result.server, 'error', 'ECONNRESET');
      assert.ok(delay < PROMPT_MS, `IPv${family}: server reset after ${delay} ms`);
      assert.ok(!result.server.some((e) => e.event === 'data'), `IPv${family}: request reached the server`);
      // The client's request is dropped and it gets no reset, so it waits in vain until it gives up.
      assert.deepEqual(result.client.map((e) => e.event), ['connect', 'send', 'done'], `IPv${family}`);
      const done = result.client.find((e) => e.event === 'done') as PeerEvent;
      assert.ok(done.t - result.sendT >= CLIENT_WAIT_MS - 50, `IPv${family}: client ended early`);
    }
  });

  test('rejectboth resets both ends', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    for (const family of [4, 6]) {
      const result = resultOf(t, `rejectboth${family}`);
      const clientDelay = delayOf(result, result.client, 'error', 'ECONNRESET');
      const serverDelay = delayOf(result, result.server, 'error', 'ECONNRESET');
      assert.ok(clientDelay < PROMPT_MS, `IPv${family}: client reset after ${clientDelay} ms`);
      assert.ok(serverDelay < PROMPT_MS, `IPv${family}: server reset after ${serverDelay} ms`);
      assert.ok(!result.client.some((e) => e.event === 'data'), `IPv${family}: client got data`);
      assert.ok(!result.server.some((e) => e.event === 'data'), `IPv${family}: request reached the server`);
    }
  });

  test('reject udp sends ICMP unreachable', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    // Suricata sends destination unreachable, code "administratively
    // prohibited" (src/respond-reject-libnet11.c, 6.x to 8.x). Linux reports
    // ICMP code 10 on a connected UDP socket as EHOSTUNREACH and ICMPv6
    // code 1 as EACCES (icmp_err_convert in net/ipv4/icmp.c, tab_unreach in
    // net/ipv6/icmp.c), not as ECONNREFUSED, which port unreachable gives.
    for (const [family, code] of [[4, 'EHOSTUNREACH'], [6, 'EACCES']] as const) {
      const result = resultOf(t, `rejectUdp${family}`);
      const delay = delayOf(result, result.client, 'error', code);
      assert.ok(delay < PROMPT_MS, `IPv${family}: client error ${code} after ${delay} ms`);
      assert.ok(!result.client.some((e) => e.event === 'data'), `IPv${family}: client got data`);
      assert.deepEqual(result.server, [], `IPv${family}: datagram reached the server`);
    }
  });

  test('eve has blocked reject alerts', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const alerts = [...readEve(rotatedPath), ...readEve(evePath)].filter((e) => e.event_type === 'alert');
    for (const sid of [SID_REJECT, SID_REJECTDST, SID_REJECTBOTH, SID_REJECT_UDP]) {
      const matched = alerts.filter((e) => e.alert?.signature_id === sid);
      assert.equal(matched.length, 2, `sid ${sid}: one alert per address family`);
      for (const alert of matched) assert.equal(alert.alert?.action, 'blocked', `sid ${sid}`);
    }
    for (const sid of [SID_TCP_CONTROL, SID_UDP_CONTROL]) {
      for (const alert of alerts.filter((e) => e.alert?.signature_id === sid)) assert.equal(alert.alert?.action, 'allowed', `sid ${sid}`);
    }
  });

  test('stats count reject responses', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const stats = readEve(evePath).filter((e) => e.event_type === 'stats');
    const ips = stats[stats.length - 1]?.stats?.ips;
    t.diagnostic(JSON.stringify(ips));
    // Per address family: reject 1, rejectdst 1, rejectboth 2, UDP reject 1.
    assert.equal(ips?.['reject_responses_sent'], 10);
    assert.equal(ips?.['reject_responses_failed'], 0);
  });

  test('SIGHUP starts a new eve.json', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.ok(isReopened, `no new eve.json after SIGHUP: ${kapuOutput()}`);
    assert.ok(afterHangupClient.some((e) => e.event === 'data' && e.text === 'echo:HELLO-AFTER-HUP'), JSON.stringify(afterHangupClient));
    const rotated = readEve(rotatedPath);
    assert.ok(rotated.some((e) => e.event_type === 'alert' && e.alert?.signature_id === SID_REJECT), 'earlier alerts stay in the moved file');
    const current = readEve(evePath);
    const alerts = current.filter((e) => e.event_type === 'alert');
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.equal(alerts[0]?.alert?.signature_id, SID_TCP_CONTROL);
    assert.equal(alerts[0]?.src_ip, CLIENT4);
  });

  test('SIGTERM exits 0 with final stats', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(kapuStatus, 0, kapuOutput());
    const current = readEve(evePath);
    const last = current[current.length - 1];
    assert.equal(last?.event_type, 'stats');
    const queue = last?.stats?.nfq?.[`queue_${QUEUE_NUM}`];
    assert.ok(queue !== undefined, 'last stats event has the queue counters');
    assert.equal(queue['packets'], queue['accepted']! + queue['dropped']!);
    assert.ok(queue['dropped']! >= 8, `dropped ${queue['dropped']}`);
  });
});
