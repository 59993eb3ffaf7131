// End-to-end test of the blocklists with `kapu run -q` as the router
// between a client and a server namespace. The server runs a small UDP
// DNS responder, an HTTP server and an HTTPS server (certificate made
// with openssl), and serves one list over HTTP to kapu. A blocked name
// gets NXDOMAIN at once (or, with action drop, no answer, or a sinkhole
// address), and cannot be reached by HTTP Host or TLS SNI even through
// the server's address, while other names resolve and load. A listed
// server address is unreachable. A rule reload downloads the served list
// again with a conditional request and enforces its new entry.
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
const SERVER6 = '2001:db8:2::2';
/** A second server address, on the ip list. */
const LISTED6 = '2001:db8:2::3';
const LIST_PORT = 8080;

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
    - { id: 1003, name: lab-sink, kind: domain, path: sink.txt, action: sinkhole, sinkhole: [203.0.113.250, "2001:db8:2::250"] }
    - { id: 1004, name: lab-ips, kind: ip, path: ips.txt }
    - { id: 1005, name: lab-remote, kind: url, url: "http://${SERVER}:${LIST_PORT}/urls.txt" }
`;

// Answers every A question with the server's address and other types
// with no records; ends itself after 5 minutes at the latest.
const DNS_SERVER = `const dgram = require('node:dgram');
const answer = (s) => (q, r) => {
  let at = 12; while (q[at] !== 0) at += q[at] + 1; at += 5;
  const isA = q[at - 4] === 0 && q[at - 3] === 1;
  const head = Buffer.from([q[0], q[1], 0x81, 0x80, 0, 1, 0, isA ? 1 : 0, 0, 0, 0, 0]);
  const rr = isA ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 203, 0, 113, 2]) : Buffer.alloc(0);
  s.send(Buffer.concat([head, q.subarray(12, at), rr]), r.port, r.address);
};
const s4 = dgram.createSocket('udp4');
s4.on('message', answer(s4));
s4.bind(53, '${SERVER}', () => console.log('dns listening'));
const s6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
s6.on('message', answer(s6));
s6.bind(53, '::');
setTimeout(() => process.exit(0), 300000);
`;

// Serves every site on port 80 and 443, and the list file on ${LIST_PORT}
// with an ETag, printing each list request's If-None-Match and status.
const WEB_SERVER = `const http = require('node:http'); const https = require('node:https'); const fs = require('node:fs');
const reply = (q, r) => r.end('site ' + q.headers.host);
http.createServer(reply).listen(80, '::', () => console.log('http listening'));
if (process.argv[4]) https.createServer({ key: fs.readFileSync(process.argv[3]), cert: fs.readFileSync(process.argv[4]) }, reply)
  .listen(443, '::', () => console.log('https listening'));
http.createServer((q, r) => {
  const body = fs.readFileSync(process.argv[2]);
  const etag = '"' + require('node:crypto').createHash('sha256').update(body).digest('hex').slice(0, 16) + '"';
  const status = q.headers['if-none-match'] === etag ? 304 : 200;
  console.log('list ' + (q.headers['if-none-match'] || '-') + ' ' + status);
  r.writeHead(status, { etag });
  r.end(status === 200 ? body : undefined);
}).listen(${LIST_PORT}, '${SERVER}', () => console.log('list listening'));
setTimeout(() => process.exit(0), 300000);
`;

// One probe per run: "dns NAME QTYPE SERVER", "http HOST PATH SERVER" or
// "tls NAME SERVER"; prints one result line within 2 s.
const CLIENT = `const [kind, name, arg, arg2] = process.argv.slice(2);
const done = (text) => { console.log(text); process.exit(0); };
setTimeout(() => done('timeout'), 2000);
const started = Date.now();
if (kind === 'dns') {
  const qtype = Number(arg);
  const s = require('node:dgram').createSocket(arg2.includes(':') ? 'udp6' : 'udp4');
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const q = Buffer.concat([Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, qtype, 0, 1])]);
  const data = (m) => qtype === 28 ? m.subarray(m.length - 16).toString('hex') : [...m.subarray(m.length - 4)].join('.');
  s.on('message', (m) => done('rcode ' + (m[3] & 15) + ' answers ' + m.readUInt16BE(6) + (m.readUInt16BE(6) > 0 ? ' ' + data(m) : '') + ' ms ' + (Date.now() - started)));
  s.send(q, 53, arg2);
} else if (kind === 'http') {
  require('node:http').get({ host: arg2, port: 80, path: arg, headers: { host: name } }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => done('status ' + r.statusCode + ' ' + b)); })
    .on('error', (e) => done('error ' + e.code));
} else {
  const t = require('node:tls').connect({ host: arg, port: 443, servername: name, rejectUnauthorized: false }, () => done('secure'));
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

  const probe = (...args: string[]): string =>
    lab.exec('cli', [process.execPath, join(scratch, 'client.cjs'), ...args], 10_000).stdout.trim();
  const dns = (name: string, qtype = 1, server = SERVER) => probe('dns', name, String(qtype), server);
  const get = (host: string, path = '/', server = SERVER) => probe('http', host, path, server);
  let webOutput: () => string = () => '';
  const listRequests = () => [...webOutput().matchAll(/^list (\S+) (\d+)$/gm)].map((m) => `${m[1] === '-' ? 'unconditional' : 'conditional'} ${m[2]}`);

  before(async () => {
    writeFileSync(join(scratch, 'kapu.yaml'), CONFIG);
    writeFileSync(join(scratch, 'nx.txt'), '# lab\nblocked.example\n');
    writeFileSync(join(scratch, 'drop.hosts'), '0.0.0.0 dropped.example\n');
    writeFileSync(join(scratch, 'sink.txt'), 'sink.example\n');
    writeFileSync(join(scratch, 'ips.txt'), `${LISTED6}\n`);
    writeFileSync(join(scratch, 'urls.txt'), 'http://fine.example/secret/\n');
    writeFileSync(join(scratch, 'empty.rules'), '');
    writeFileSync(join(scratch, 'dns.cjs'), DNS_SERVER);
    writeFileSync(join(scratch, 'web.cjs'), WEB_SERVER);
    writeFileSync(join(scratch, 'client.cjs'), CLIENT);
    const keyArgs: string[] = [join(scratch, 'urls.txt')];
    if (hasOpenssl) {
      const made = run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=lab.example',
        '-keyout', join(scratch, 'key.pem'), '-out', join(scratch, 'cert.pem')], 30_000);
      if (made.status === 0) keyArgs.push(join(scratch, 'key.pem'), join(scratch, 'cert.pem'));
    }
    lab.setup();
    assert.equal(lab.exec('srv', ['ip', 'addr', 'add', `${LISTED6}/64`, 'dev', 's0', 'nodad']).status, 0);
    const printed = run(process.execPath, [KAPU, 'firewall-rules', '-q', String(QUEUE_NUM), '--iface', 'ic']);
    assert.equal(printed.status, 0, printed.stderr);
    for (const line of printed.stdout.split('\n').filter((l) => /^ip6?tables-nft /.test(l))) {
      const applied = lab.exec('ips', line.split(' '));
      if (applied.status !== 0) {
        skipReason = `NFQUEUE rule not accepted: ${applied.stderr.trim()}`;
        return;
      }
    }
    const dnsServer = lab.spawn('srv', [process.execPath, join(scratch, 'dns.cjs')]);
    const web = lab.spawn('srv', [process.execPath, join(scratch, 'web.cjs'), ...keyArgs]);
    children.push(dnsServer, web);
    const dnsOutput = watchChild(dnsServer).output;
    webOutput = watchChild(web).output;
    assert.ok(await waitUntil(() => dnsOutput().includes('dns listening') && webOutput().includes('list listening'), 50), `servers did not start: ${dnsOutput()} ${webOutput()}`);

    kapu = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', join(scratch, 'kapu.yaml'), '-S', join(scratch, 'empty.rules'), '-l', outDir]);
    kapuOutput = watchChild(kapu).output;
    const bound = await waitUntil(() => lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout
      .split('\n').some((line) => line.trim().split(/\s+/)[0] === String(QUEUE_NUM)), 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${kapuOutput()}`);

    seen['dnsBlocked'] = dns('www.blocked.example');
    seen['dnsBlocked6'] = dns('blocked.example', 1, SERVER6);
    seen['dnsBlocked6Again'] = dns('blocked.example', 1, SERVER6);
    seen['dnsDropped'] = dns('dropped.example');
    seen['dnsOther'] = dns('fine.example');
    seen['sinkA'] = dns('sink.example', 1);
    seen['sinkAaaa'] = dns('sink.example', 28);
    seen['httpBlocked'] = get('blocked.example');
    seen['httpOther'] = get('fine.example');
    seen['httpListed6'] = get('fine.example', '/', LISTED6);
    seen['httpOther6'] = get('fine.example', '/', SERVER6);
    seen['urlBlocked'] = get('fine.example', '/secret/plans.txt');
    seen['lateBefore'] = get('late.example');
    if (keyArgs.length > 1) {
      seen['tlsBlocked'] = probe('tls', 'shop.blocked.example', SERVER);
      seen['tlsOther'] = probe('tls', 'fine.example', SERVER);
    }

    // A reload downloads the changed list; a second one gets 304 Not Modified.
    writeFileSync(join(scratch, 'urls.txt'), 'http://fine.example/secret/\nlate.example/\n');
    kapu.kill('SIGUSR2');
    const reloaded = await waitUntil(() => /blocklists reloaded: 5 of 5 loaded/.test(kapuOutput()), 100);
    assert.ok(reloaded, `no blocklist reload line: ${kapuOutput()}`);
    seen['lateAfter'] = get('late.example');
    kapu.kill('SIGUSR2');
    await waitUntil(() => (kapuOutput().match(/blocklists reloaded/g) ?? []).length >= 2, 100);
    seen['lateAfterSecond'] = get('late.example');
    seen['listRequests'] = listRequests().join(', ');

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

  test('nxdomain answer over ipv6', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.match(seen['dnsBlocked6'] ?? '', /^rcode 3 answers 0 ms \d+$/);
  });

  test('sinkhole answers a and aaaa', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.match(seen['sinkA'] ?? '', /^rcode 0 answers 1 203\.0\.113\.250 ms \d+$/);
    assert.match(seen['sinkAaaa'] ?? '', /^rcode 0 answers 1 20010db8000200000000000000000250 ms \d+$/);
  });

  test('listed address unreachable', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.doesNotMatch(seen['httpListed6'] ?? '', /^status/);
    assert.equal(seen['httpOther6'], 'status 200 site fine.example');
  });

  test('url path prefix blocked', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.doesNotMatch(seen['urlBlocked'] ?? '', /^status/);
  });

  test('reload enforces downloaded entry', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(seen['lateBefore'], 'status 200 site late.example');
    assert.doesNotMatch(seen['lateAfter'] ?? '', /^status/);
    assert.doesNotMatch(seen['lateAfterSecond'] ?? '', /^status/);
    assert.equal(seen['listRequests'], 'unconditional 200, conditional 200, conditional 304');
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
      [1001, 'blocked', 'dns', 'blocked.example', 'blocked.example'],
      [1001, 'blocked', 'dns', 'blocked.example', 'blocked.example'],
      [1002, 'blocked', 'dns', 'dropped.example', 'dropped.example'],
      [1003, 'blocked', 'dns', 'sink.example', 'sink.example'],
      [1003, 'blocked', 'dns', 'sink.example', 'sink.example'],
      [1001, 'blocked', 'http', 'blocked.example', 'blocked.example/'],
      [1004, 'blocked', 'address', LISTED6, LISTED6],
      [1005, 'blocked', 'http', 'http://fine.example/secret/', 'fine.example/secret/plans.txt'],
    ];
    if (seen['tlsBlocked'] !== undefined) expected.push([1001, 'blocked', 'tls', 'blocked.example', 'shop.blocked.example']);
    expected.push([1005, 'blocked', 'http', 'late.example/', 'late.example/'], [1005, 'blocked', 'http', 'late.example/', 'late.example/']);
    assert.deepEqual(alerts, expected);
  });
});
