// End-to-end test of the blocklists with `kapu run -q` as the router
// between a client and a server namespace. The server runs a small UDP
// DNS responder, an HTTP server and an HTTPS server (certificate made
// with openssl). A blocked name gets NXDOMAIN at once (or, with action
// drop, no answer), and cannot be reached by HTTP Host or TLS SNI even
// through the server's address, while other names resolve and load.
// Needs root, network namespaces, NFQUEUE and iptables-nft; skips with one
// line otherwise, and skips the TLS part without openssl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, waitUntil, watchChild } from '../capture/netlab-harness.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const QUEUE_NUM = 11;
const SERVER = '203.0.113.2';

const CONFIG = `vars:
  address-groups:
    HOME_NET: "[198.51.100.0/24,2001:db8:1::/64]"
    EXTERNAL_NET: "!$HOME_NET"
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
policy:
  blocklists:
    - { id: 1001, name: lab-nx, kind: domain, path: nx.txt, action: nxdomain }
    - { id: 1002, name: lab-drop, kind: domain, format: hosts, path: drop.hosts, action: drop }
`;

// Answers every A question with the server's address and other types
// with no records; ends itself after 5 minutes at the latest.
const DNS_SERVER = `const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (q, r) => {
  let at = 12; while (q[at] !== 0) at += q[at] + 1; at += 5;
  const isA = q[at - 4] === 0 && q[at - 3] === 1;
  const head = Buffer.from([q[0], q[1], 0x81, 0x80, 0, 1, 0, isA ? 1 : 0, 0, 0, 0, 0]);
  const rr = isA ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 203, 0, 113, 2]) : Buffer.alloc(0);
  s.send(Buffer.concat([head, q.subarray(12, at), rr]), r.port, r.address);
});
s.bind(53, '${SERVER}', () => console.log('dns listening'));
setTimeout(() => process.exit(0), 300000);
`;

const WEB_SERVER = `const http = require('node:http'); const https = require('node:https'); const fs = require('node:fs');
const reply = (q, r) => r.end('site ' + q.headers.host);
http.createServer(reply).listen(80, '${SERVER}', () => console.log('http listening'));
if (process.argv[2]) https.createServer({ key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3]) }, reply)
  .listen(443, '${SERVER}', () => console.log('https listening'));
setTimeout(() => process.exit(0), 300000);
`;

// One probe per run: "dns NAME", "http HOST" or "tls NAME"; prints one result line within 2 s.
const CLIENT = `const [kind, name] = process.argv.slice(2);
const done = (text) => { console.log(text); process.exit(0); };
setTimeout(() => done('timeout'), 2000);
const started = Date.now();
if (kind === 'dns') {
  const s = require('node:dgram').createSocket('udp4');
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const q = Buffer.concat([Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  s.on('message', (m) => done('rcode ' + (m[3] & 15) + ' answers ' + m.readUInt16BE(6) + (m.readUInt16BE(6) > 0 ? ' ' + [...m.subarray(m.length - 4)].join('.') : '') + ' ms ' + (Date.now() - started)));
  s.send(q, 53, '${SERVER}');
} else if (kind === 'http') {
  require('node:http').get({ host: '${SERVER}', port: 80, headers: { host: name } }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => done('status ' + r.statusCode + ' ' + b)); })
    .on('error', (e) => done('error ' + e.code));
} else {
  const t = require('node:tls').connect({ host: '${SERVER}', port: 443, servername: name, rejectUnauthorized: false }, () => done('secure'));
  t.on('error', (e) => done('error ' + e.code));
}
`;

interface EveRecord {
  event_type: string;
  alert?: { gid: number; signature_id: number; action: string };
  kapu?: { list: string; kind: string; entry: string; matched: string; protocol: string; action: string };
}

function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  return null;
}

let skipReason = skipReasonOf();
const hasOpenssl = run('openssl', ['version']).status === 0;

describe('blocklists in a namespace lab', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('kbl');
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-blocklist-lab-'));
  const outDir = join(scratch, 'out');
  const children: ChildProcessWithoutNullStreams[] = [];
  let kapu: ChildProcessWithoutNullStreams | null = null;
  let kapuOutput: () => string = () => '';
  const seen: Record<string, string> = {};

  const probe = (kind: string, name: string): string =>
    lab.exec('cli', [process.execPath, join(scratch, 'client.cjs'), kind, name], 10_000).stdout.trim();

  before(async () => {
    writeFileSync(join(scratch, 'kapu.yaml'), CONFIG);
    writeFileSync(join(scratch, 'nx.txt'), '# lab\nblocked.example\n');
    writeFileSync(join(scratch, 'drop.hosts'), '0.0.0.0 dropped.example\n');
    writeFileSync(join(scratch, 'empty.rules'), '');
    writeFileSync(join(scratch, 'dns.cjs'), DNS_SERVER);
    writeFileSync(join(scratch, 'web.cjs'), WEB_SERVER);
    writeFileSync(join(scratch, 'client.cjs'), CLIENT);
    const keyArgs: string[] = [];
    if (hasOpenssl) {
      const made = run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=lab.example',
        '-keyout', join(scratch, 'key.pem'), '-out', join(scratch, 'cert.pem')], 30_000);
      if (made.status === 0) keyArgs.push(join(scratch, 'key.pem'), join(scratch, 'cert.pem'));
    }
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
    const dns = lab.spawn('srv', [process.execPath, join(scratch, 'dns.cjs')]);
    const web = lab.spawn('srv', [process.execPath, join(scratch, 'web.cjs'), ...keyArgs]);
    children.push(dns, web);
    const dnsOutput = watchChild(dns).output;
    const webOutput = watchChild(web).output;
    assert.ok(await waitUntil(() => dnsOutput().includes('dns listening') && webOutput().includes('http listening'), 50), `servers did not start: ${dnsOutput()} ${webOutput()}`);

    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', join(scratch, 'kapu.yaml'), '-S', join(scratch, 'empty.rules'), '-l', outDir]);
    kapuOutput = watchChild(kapu).output;
    const bound = await waitUntil(() => lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout
      .split('\n').some((line) => line.trim().split(/\s+/)[0] === String(QUEUE_NUM)), 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${kapuOutput()}`);

    seen['dnsBlocked'] = probe('dns', 'www.blocked.example');
    seen['dnsDropped'] = probe('dns', 'dropped.example');
    seen['dnsOther'] = probe('dns', 'fine.example');
    seen['httpBlocked'] = probe('http', 'blocked.example');
    seen['httpOther'] = probe('http', 'fine.example');
    if (keyArgs.length > 0) {
      seen['tlsBlocked'] = probe('tls', 'shop.blocked.example');
      seen['tlsOther'] = probe('tls', 'fine.example');
    }
    kapu.kill('SIGTERM');
    await waitUntil(() => kapu?.exitCode !== null, 100);
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
    return readFileSync(path, 'utf8').trim().split('\n').filter((l) => l !== '').map((line) => JSON.parse(line) as EveRecord);
  }

  test('blocked name gets nxdomain at once', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    t.diagnostic(JSON.stringify(seen));
    assert.match(seen['dnsBlocked'] ?? '', /^rcode 3 answers 0 ms \d+$/);
    assert.ok(Number(/ms (\d+)/.exec(seen['dnsBlocked'] ?? '')?.[1]) < 1000);
  });

  test('drop list leaves query unanswered', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(seen['dnsDropped'], 'timeout');
  });

  test('other names resolve', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.match(seen['dnsOther'] ?? '', /^rcode 0 answers 1 203\.0\.113\.2 /);
  });

  test('http host blocked by address', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.doesNotMatch(seen['httpBlocked'] ?? '', /^status/);
    assert.equal(seen['httpOther'], 'status 200 site fine.example');
  });

  test('tls sni blocked by address', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    if (seen['tlsBlocked'] === undefined) return t.skip('openssl not available for the test certificate');
    assert.notEqual(seen['tlsBlocked'], 'secure');
    assert.equal(seen['tlsOther'], 'secure');
  });

  test('each block writes one alert', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const alerts = readEve().filter((e) => e.alert?.gid === 8100).map((e) => [e.alert?.signature_id, e.alert?.action, e.kapu?.protocol, e.kapu?.entry, e.kapu?.matched]);
    const expected: unknown[] = [
      [1001, 'blocked', 'dns', 'blocked.example', 'www.blocked.example'],
      [1002, 'blocked', 'dns', 'dropped.example', 'dropped.example'],
      [1001, 'blocked', 'http', 'blocked.example', 'blocked.example/'],
    ];
    if (seen['tlsBlocked'] !== undefined) expected.push([1001, 'blocked', 'tls', 'blocked.example', 'shop.blocked.example']);
    assert.deepEqual(alerts, expected);
  });
});
