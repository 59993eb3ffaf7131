// Live test of the virtual-patch catalog in-line. `kapu run -q` on the
// router of a namespace lab loads the catalog (virtual-patches.enabled).
// The client sends every attempt and every normal request of
// test/virtual-patches/requests.json to a Node HTTP server behind it over
// IPv4, and the first of each list over IPv6.
// Each attempt must fail on the client and never reach the server, while
// each normal request gets its 200. Needs root, network namespaces and
// NFQUEUE; skips with one line otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, sleep, waitUntil, watchChild } from '../capture/netlab-harness.js';
import { BUNDLED_CATALOG_DIR, describePatches } from '../policy/virtual-patches.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const SERVER_JS = fileURLToPath(new URL('../../../scripts/lab/virtual-patch-server.js', import.meta.url));
const CLIENT_JS = fileURLToPath(new URL('../../../scripts/lab/virtual-patch-client.js', import.meta.url));
const REQUESTS = fileURLToPath(new URL('../../../test/virtual-patches/requests.json', import.meta.url));
const QUEUE_NUM = 9;
const PORT = 8080;
const SERVER = '203.0.113.2';
const SERVER6 = '2001:db8:2::2';
/** How long the client waits for a response before it counts the request as blocked. */
const CLIENT_TIMEOUT_MS = 1500;
/** Upper bound of one client run: every request of a list timing out, plus slack. */
const CLIENT_RUN_MAX_MS = 30_000;

interface LabRequest {
  method: string;
  target: string;
}

interface Outcome {
  /** Server address the request went to. */
  server: string;
  cve: string;
  kind: string;
  index: number;
  outcome: string;
  status: number;
}

const CATALOG = JSON.parse(readFileSync(REQUESTS, 'utf8')) as { patches: Record<string, { attempts: LabRequest[]; normal: LabRequest[] }> };

// The protected side is the server's network. rule-files is empty, so
// only the catalog loads.
const CONFIG = `vars:
  address-groups:
    HOME_NET: "[203.0.113.0/24,2001:db8:2::/64]"
    EXTERNAL_NET: "!$HOME_NET"
rule-files: []
virtual-patches:
  enabled: yes
  state-file: STATE_FILE
stats:
  interval: 1
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop
`;

function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  return null;
}

let skipReason = skipReasonOf();

describe('virtual patches in-line', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('kvp');
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-vpatch-lab-'));
  const outDir = join(scratch, 'out');
  let server: ChildProcessWithoutNullStreams | null = null;
  let serverOutput: (() => string) | null = null;
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let kapuOutput: (() => string) | null = null;
  let kapuStatus: number | null = null;
  const outcomes: Outcome[] = [];
  /** Requests that the server had received when every attempt was sent: none, when all were dropped. */
  let receivedDuringAttempts: LabRequest[] = [];

  /**
   * Runs the client in the client host, one client per CVE at once: every
   * request of `kind` over IPv4, and the first one over IPv6.
   */
  async function sendAll(kind: 'attempts' | 'normal'): Promise<void> {
    const runs: Promise<void>[] = [];
    for (const cve of Object.keys(CATALOG.patches)) {
      runs.push(sendWith(SERVER, cve, kind, 'all'));
      runs.push(sendWith(SERVER6, cve, kind, '0'));
    }
    await Promise.all(runs);
  }

  async function sendWith(server: string, cve: string, kind: string, index: string): Promise<void> {
    const child = lab.spawn('cli', [process.execPath, CLIENT_JS, server, String(PORT), cve, kind, index, String(CLIENT_TIMEOUT_MS)]);
    const watched = watchChild(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_RUN_MAX_MS);
    await watched.exited;
    clearTimeout(timer);
    for (const line of watched.output().split('\n')) {
      if (line.startsWith('{')) outcomes.push({ ...(JSON.parse(line) as Omit<Outcome, 'server'>), server });
    }
  }

  before(async () => {
    // A state file of its own, so every patch of the catalog is enabled.
    writeFileSync(join(scratch, 'kapu.yaml'), CONFIG.replace('STATE_FILE', join(scratch, 'state.json')));
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

    server = lab.spawn('srv', [process.execPath, SERVER_JS, String(PORT), '120']);
    serverOutput = watchChild(server).output;
    assert.ok(await waitUntil(() => serverOutput?.().includes('listening') === true, 50), 'test HTTP server did not start');

    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', join(scratch, 'kapu.yaml'), '-l', outDir]);
    const watched = watchChild(kapu);
    kapuOutput = watched.output;
    const bound = await waitUntil(() => {
      const queues = lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout;
      return queues.split('\n').some((line) => line.trim().split(/\s+/)[0] === String(QUEUE_NUM));
    }, 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${kapuOutput()}`);

    await sendAll('attempts');
    receivedDuringAttempts = received();
    await sendAll('normal');
    await sleep(500);

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

  /** Returns the requests that the server received in full. */
  function received(): LabRequest[] {
    const lines = (serverOutput?.() ?? '').split('\n').filter((l) => l.startsWith('{"method"'));
    return lines.map((l) => {
      const parsed = JSON.parse(l) as { method: string; url: string };
      return { method: parsed.method, target: parsed.url };
    });
  }

  for (const cve of Object.keys(CATALOG.patches)) {
    test(`${cve} blocks live attempts`, (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const attempts = CATALOG.patches[cve]!.attempts;
      const results = outcomes.filter((o) => o.cve === cve && o.kind === 'attempts');
      assert.equal(results.length, attempts.length + 1, `client printed ${results.length} outcomes`);
      assert.equal(results.filter((r) => r.server === SERVER6).length, 1, 'one attempt over IPv6');
      // The dropped request gets no response, so the client times out.
      for (const r of results) assert.equal(r.outcome, 'timeout', `attempt ${r.index} to ${r.server} (${attempts[r.index]?.target}): ${r.outcome} ${r.status}`);
      // Attempts and normal requests share paths, so the server's log is
      // read before any normal request was sent.
      const got = receivedDuringAttempts.map((r) => r.target);
      for (const attempt of attempts) assert.ok(!got.includes(attempt.target), `server received ${attempt.target}`);
    });

    test(`${cve} passes live normal requests`, (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const normal = CATALOG.patches[cve]!.normal;
      const results = outcomes.filter((o) => o.cve === cve && o.kind === 'normal');
      assert.equal(results.length, normal.length + 1);
      for (const r of results) assert.equal(`${r.outcome} ${r.status}`, 'response 200', `normal ${r.index} to ${r.server} (${normal[r.index]?.target})`);
      const got = received().map((r) => r.target);
      for (const request of normal) assert.ok(got.includes(request.target), `server did not receive ${request.target}`);
    });
  }

  test('server receives no attempt', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.deepEqual(receivedDuringAttempts, []);
  });

  test('eve has a blocked alert per attempt', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(kapuStatus, 0, kapuOutput?.());
    const path = join(outDir, 'eve.json');
    assert.ok(existsSync(path), `no eve.json; kapu printed: ${kapuOutput?.()}`);
    const events = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event_type: string; flow_id: number; alert?: { action: string; signature_id: number } });
    const alerts = events.filter((e) => e.event_type === 'alert');
    for (const alert of alerts) assert.equal(alert.alert?.action, 'blocked');
    for (const patch of describePatches(BUNDLED_CATALOG_DIR, new Set())) {
      const sids = new Set(patch.sids);
      const flows = new Set(alerts.filter((e) => sids.has(e.alert?.signature_id ?? -1)).map((e) => e.flow_id));
      // Attempts of other patches can match this one too (a Log4j lookup
      // in the URI also carries "${"), so count at least its own attempts,
      // the IPv6 one included.
      assert.ok(flows.size >= CATALOG.patches[patch.cve]!.attempts.length + 1, `${patch.cve}: ${flows.size} blocked connections`);
    }
  });
});
