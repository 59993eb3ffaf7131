// End-to-end test of a rule reload (SIGUSR2) in `kapu run -q`, in the
// namespace lab of inline-lab.test.ts: a keep-alive HTTP connection stays
// open across the reload, and a drop rule added to the rule file blocks
// a later request on that connection. Needs root, network namespaces and
// NFQUEUE; skips with one line otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, waitUntil, watchChild } from '../capture/netlab-harness.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const QUEUE_NUM = 9;
const PORT = 8080;
const SERVER4 = '203.0.113.2';

const RULES = `alert http any any -> any any (msg:"lab normal request"; flow:to_server,established; http.uri; content:"/ok.txt"; sid:1000001; rev:1;)
`;
const ADDED_RULE = `drop http any any -> any any (msg:"lab rule added by reload"; flow:to_server,established; http.uri; content:"/late.txt"; sid:1000010; rev:1;)
`;

const CONFIG = `vars:
  address-groups:
    HOME_NET: "[203.0.113.0/24,2001:db8:2::/64]"
    EXTERNAL_NET: "!$HOME_NET"
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop
        - stats
`;

// An HTTP/1.1 server, so connections stay open between requests
// (http.server responds with HTTP/1.0 and closes them by default).
const SERVER_SCRIPT = `import functools, http.server, sys
http.server.SimpleHTTPRequestHandler.protocol_version = 'HTTP/1.1'
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
http.server.ThreadingHTTPServer(('0.0.0.0', int(sys.argv[2])), handler).serve_forever()
`;

// Sends one GET per path read from stdin over one connection and prints
// "PATH STATUS LOCALPORT", or "PATH error NAME" when the request failed.
// http.client opens a new connection when the server closed the old one,
// so an unchanged local port shows that the connection stayed open.
const CLIENT_SCRIPT = `import http.client, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=3)
for line in sys.stdin:
    path = line.strip()
    try:
        conn.request('GET', path)
        response = conn.getresponse()
        response.read()
        print(path, response.status, conn.sock.getsockname()[1], flush=True)
    except Exception as err:
        print(path, 'error', type(err).__name__, flush=True)
`;

interface EveRecord {
  event_type: string;
  alert?: { action: string; signature_id: number };
  stats?: {
    detect?: { engines?: Array<{ id: number; last_reload: string; rules_loaded: number; rules_failed: number }> };
    nfq?: Record<string, Record<string, number>>;
  };
}

/** Returns why this machine cannot run the lab, or null. */
function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  if (run('python3', ['--version']).status !== 0) return 'python3 not installed (test HTTP server and client)';
  if (run('curl', ['--version']).status !== 0) return 'curl not installed';
  return null;
}

let skipReason = skipReasonOf();

describe('kapu run -q rule reload in a namespace lab', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('krld');
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-reload-'));
  const outDir = join(scratch, 'out');
  const rulesPath = join(scratch, 'lab.rules');
  const children: ChildProcessWithoutNullStreams[] = [];
  let kapuOutput: (() => string) | null = null;
  let kapuStatus: number | null = null;
  let serverLog: (() => string) | null = null;
  /** Lines of the keep-alive client, split into words. */
  const answers: string[][] = [];
  let lateCurl: { status: number | null; code: string } | null = null;
  let reloadSentUs = 0;

  before(async () => {
    const www = join(scratch, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'ok.txt'), 'fine\n');
    writeFileSync(join(www, 'late.txt'), 'must not be served after the reload\n');
    writeFileSync(rulesPath, RULES);
    writeFileSync(join(scratch, 'kapu.yaml'), CONFIG);
    lab.setup();

    const printed = run(process.execPath, [KAPU, 'firewall-rules', '-q', String(QUEUE_NUM), '--iface', 'ic']);
    assert.equal(printed.status, 0, printed.stderr);
    for (const line of printed.stdout.split('\n').filter((text) => /^ip6?tables-nft /.test(text))) {
      const applied = lab.exec('ips', line.split(' '));
      if (applied.status !== 0) {
        skipReason = `NFQUEUE rule not accepted: ${applied.stderr.trim()}`;
        return;
      }
    }

    const server = lab.spawn('srv', ['python3', '-c', SERVER_SCRIPT, www, String(PORT)]);
    children.push(server);
    serverLog = watchChild(server).output;
    const listening = await waitUntil(() => lab.exec('srv', ['ss', '-lnt']).stdout.includes(`:${PORT} `), 50);
    assert.ok(listening, 'test HTTP server did not start');

    const kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', join(scratch, 'kapu.yaml'), '-S', rulesPath, '-l', outDir]);
    children.push(kapu);
    const watched = watchChild(kapu);
    kapuOutput = watched.output;
    const bound = await waitUntil(() => {
      const queues = lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout;
      return queues.split('\n').some((line) => line.trim().split(/\s+/)[0] === String(QUEUE_NUM));
    }, 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${kapuOutput()}`);

    const client = lab.spawn('cli', ['python3', '-u', '-c', CLIENT_SCRIPT, SERVER4, String(PORT)]);
    children.push(client);
    let clientText = '';
    client.stdout.on('data', (chunk: Buffer) => (clientText += chunk.toString()));
    const ask = async (path: string): Promise<void> => {
      const seen = answers.length;
      client.stdin.write(path + '\n');
      await waitUntil(() => clientText.split('\n').length - 1 > seen, 60);
      const lines = clientText.split('\n').filter((line) => line.length > 0);
      answers.length = 0;
      for (const line of lines) answers.push(line.split(' '));
    };

    await ask('/ok.txt');
    appendFileSync(rulesPath, ADDED_RULE);
    reloadSentUs = Date.now() * 1000;
    // Sent to kapu's PID, as `kill -USR2 PID` does.
    kapu.kill('SIGUSR2');
    const reloaded = await waitUntil(() => /rules reloaded/.test(kapuOutput?.() ?? ''), 100);
    assert.ok(reloaded, `no reload line: ${kapuOutput()}`);
    await ask('/ok.txt');
    await ask('/late.txt');
    client.stdin.end();

    const curl = lab.exec('cli', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', `http://${SERVER4}:${PORT}/late.txt`], 10_000);
    lateCurl = { status: curl.status, code: curl.stdout.trim() };

    kapu.kill('SIGTERM');
    const timer = setTimeout(() => kapu.kill('SIGKILL'), 10_000);
    kapuStatus = await watched.exited;
    clearTimeout(timer);
  });

  after(() => {
    try {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
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

  test('connection survives the reload', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.deepEqual(answers[0]?.slice(0, 2), ['/ok.txt', '200'], JSON.stringify(answers));
    assert.deepEqual(answers[1]?.slice(0, 2), ['/ok.txt', '200'], JSON.stringify(answers));
    // Same local port: the client did not have to open a new connection.
    assert.equal(answers[1]?.[2], answers[0]?.[2]);
  });

  test('added rule blocks request on open connection', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.deepEqual(answers[2], ['/late.txt', 'error', 'TimeoutError'], JSON.stringify(answers));
    // curl exit 28: the operation timed out with no response.
    assert.equal(lateCurl?.status, 28);
    assert.equal(lateCurl?.code, '000');
    assert.doesNotMatch(serverLog?.() ?? '', /late\.txt/);
    const blocked = readEve().filter((e) => e.event_type === 'alert' && e.alert?.signature_id === 1000010);
    assert.equal(blocked.length, 2);
    for (const alert of blocked) assert.equal(alert.alert?.action, 'blocked');
  });

  test('reload is logged and in stats', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(kapuStatus, 0, kapuOutput?.());
    assert.match(kapuOutput?.() ?? '', /kapu: SIGUSR2 received, rules reloaded: 2 loaded, 0 failed, 0 skipped/);
    const engines = readEve().filter((e) => e.event_type === 'stats').map((e) => e.stats?.detect?.engines?.[0]);
    const reloaded = engines.find((engine) => engine !== undefined && Date.parse(engine.last_reload) * 1000 >= reloadSentUs - 1000);
    assert.ok(reloaded !== undefined, JSON.stringify(engines));
    assert.equal(reloaded.rules_loaded, 2);
    assert.equal(reloaded.rules_failed, 0);
  });

  test('every queued packet got a verdict', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const stats = readEve().filter((e) => e.event_type === 'stats');
    const queue = stats[stats.length - 1]?.stats?.nfq?.[`queue_${QUEUE_NUM}`];
    assert.ok(queue !== undefined, 'stats event has the queue counters');
    assert.equal(queue['packets'], queue['accepted']! + queue['dropped']!);
    assert.equal(queue['queue_dropped'], 0);
    assert.equal(queue['user_dropped'], 0);
  });
});
