import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../config/load-config.js';
import { ConfigError } from '../core/errors.js';
import { Flow } from '../flow/flow.js';
import { PACKAGE_ROOT } from '../engine/build-pipeline.js';
import { TcpConversation, writePcap } from '../test-support/packet-craft.js';
import { packetAlertFacts } from './eve-alert.js';
import { EveWriter } from './eve-writer.js';
import { Notifier, notifyEveConfig } from './notifier.js';
import { formatSyslogMessage, parseSyslogServer } from './notify-syslog.js';
import { backoffDelayMs } from './notify-webhook.js';
import { makeSig, verifyPacket } from './test-fixtures.js';
import type { NotifyConfig } from '../config/types.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-notify-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ALERT_LINE = '{"timestamp":"2024-01-01T00:00:00.000000+0000","event_type":"alert","alert":{"action":"allowed","gid":1,"signature_id":7,"rev":1,"signature":"seven","category":"","severity":3}}';

/** Returns the notify section with `overrides` applied (from the schema defaults). */
function notifyConfig(sets: string[]): NotifyConfig {
  return loadConfig(null, sets).config.notify;
}

/** Waits until `check` is true, polling every 10 ms for at most `timeoutMs`. */
async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts a UDP socket on 127.0.0.1 that keeps every datagram it receives. */
async function udpServer(): Promise<{ socket: Socket; port: number; messages: string[] }> {
  const socket = createSocket('udp4');
  const messages: string[] = [];
  socket.on('message', (msg) => messages.push(msg.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: (socket.address() as AddressInfo).port, messages };
}

/** Starts an HTTP server on 127.0.0.1 that responds to each POST with the next status of `statuses` (then 200). */
async function httpServer(statuses: number[]): Promise<{ server: Server; url: string; bodies: string[]; timesMs: number[] }> {
  const bodies: string[] = [];
  const timesMs: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      timesMs.push(Date.now());
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, timesMs };
}

describe('syslog message', () => {
  it('rfc 5424 header', () => {
    // local5 (21) * 8 + warning (4, alert severity 3) = 172.
    const msg = formatSyslogMessage(ALERT_LINE, 21, 'kapu', new Date(Date.UTC(2024, 0, 1, 0, 0, 1, 500)), 2048, 'sensor1').toString('utf8');
    assert.equal(msg, `<172>1 2024-01-01T00:00:01.500Z sensor1 kapu ${process.pid} alert - ${ALERT_LINE}`);
  });

  it('cut to max bytes', () => {
    const msg = formatSyslogMessage(ALERT_LINE.replace('seven', 'x'.repeat(600)), 21, 'kapu', new Date(0), 480, 'h');
    assert.equal(msg.length, 480);
  });

  it('utf-8 message gets a bom', () => {
    const line = ALERT_LINE.replace('seven', 'sieben\u00e4');
    const msg = formatSyslogMessage(line, 1, 'kapu', new Date(0), 2048, 'h');
    const at = msg.indexOf(' - ') + 3;
    assert.deepEqual([...msg.subarray(at, at + 3)], [0xef, 0xbb, 0xbf]);
  });

  it('server address forms', () => {
    assert.deepEqual(parseSyslogServer('127.0.0.1:514'), { host: '127.0.0.1', port: 514, type: 'udp4' });
    assert.deepEqual(parseSyslogServer('[2001:db8::1]:6514'), { host: '2001:db8::1', port: 6514, type: 'udp6' });
    assert.equal(parseSyslogServer('2001:db8::1:514'), "'2001:db8::1:514' is not HOST:PORT (use [ADDRESS]:PORT for IPv6)");
  });
});

describe('notifier', () => {
  it('syslog over udp', async () => {
    const udp = await udpServer();
    after(() => udp.socket.close());
    const notifier = new Notifier(notifyConfig(['notify.syslog.enabled=yes', `notify.syslog.server=127.0.0.1:${udp.port}`, 'notify.interval-ms=20']));
    notifier.writeLine(ALERT_LINE);
    await waitFor(() => udp.messages.length === 1);
    notifier.close();
    assert.match(udp.messages[0] ?? '', new RegExp(`^<172>1 \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\S+ kapu ${process.pid} alert - \\{`));
    assert.ok(udp.messages[0]?.endsWith(' - ' + ALERT_LINE));
    assert.equal(notifier.syslog?.counters.sent, 1);
  });

  it('webhook retries with back-off', async () => {
    const http = await httpServer([503, 503]);
    after(() => http.server.close());
    const notifier = new Notifier(notifyConfig(['notify.webhook.enabled=yes', `notify.webhook.url=${http.url}`, 'notify.webhook.backoff-ms=100', 'notify.interval-ms=10']));
    notifier.writeLine(ALERT_LINE);
    await waitFor(() => http.bodies.length === 3 && notifier.webhook?.isBusy === false);
    notifier.close();
    assert.deepEqual(http.bodies, [ALERT_LINE, ALERT_LINE, ALERT_LINE]);
    // Back-off 100 ms, then 200 ms.
    const gaps = [(http.timesMs[1] as number) - (http.timesMs[0] as number), (http.timesMs[2] as number) - (http.timesMs[1] as number)];
    assert.ok(gaps[0] as number >= 95, `first gap ${gaps[0]} ms`);
    assert.ok(gaps[1] as number >= 195, `second gap ${gaps[1]} ms`);
    const counters = new Map<string, number>();
    notifier.collectCounters(counters);
    assert.equal(counters.get('notify.webhook.sent'), 1);
    assert.equal(counters.get('notify.webhook.retries'), 2);
    assert.equal(counters.get('notify.webhook.failed'), 0);
  });

  it('webhook gives up after retries', async () => {
    const http = await httpServer([500, 500, 500, 500]);
    after(() => http.server.close());
    const notifier = new Notifier(notifyConfig(['notify.webhook.enabled=yes', `notify.webhook.url=${http.url}`, 'notify.webhook.retries=1', 'notify.webhook.backoff-ms=10', 'notify.interval-ms=10']));
    notifier.writeLine(ALERT_LINE);
    await waitFor(() => notifier.webhook?.counters.failed === 1);
    notifier.close();
    assert.equal(http.bodies.length, 2);
  });

  it('webhook client error not retried', async () => {
    const http = await httpServer([400]);
    after(() => http.server.close());
    const notifier = new Notifier(notifyConfig(['notify.webhook.enabled=yes', `notify.webhook.url=${http.url}`, 'notify.interval-ms=10']));
    notifier.writeLine(ALERT_LINE);
    await waitFor(() => notifier.webhook?.counters.failed === 1);
    notifier.close();
    assert.equal(http.bodies.length, 1);
    assert.equal(notifier.webhook?.counters.retries, 0);
  });

  it('bounded queue counts drops', () => {
    const notifier = new Notifier(notifyConfig(['notify.webhook.enabled=yes', 'notify.webhook.url=http://127.0.0.1:9/', 'notify.webhook.queue-size=2']));
    notifier.close();
    for (let i = 0; i < 5; i++) notifier.writeLine(ALERT_LINE);
    assert.equal(notifier.webhook?.queue.size, 2);
    assert.equal(notifier.webhook?.queue.dropped, 3);
  });

  it('webhook rate limit', async () => {
    const http = await httpServer([]);
    after(() => http.server.close());
    const notifier = new Notifier(notifyConfig(['notify.webhook.enabled=yes', `notify.webhook.url=${http.url}`, 'notify.webhook.rate-limit=2', 'notify.interval-ms=10']));
    const startedMs = Date.now();
    for (let i = 0; i < 4; i++) notifier.writeLine(ALERT_LINE);
    await waitFor(() => http.bodies.length === 4);
    notifier.close();
    // Two tokens at the start, then one every 500 ms: the fourth POST comes after at least 1 s.
    assert.ok((http.timesMs[3] as number) - startedMs >= 950, `fourth POST after ${(http.timesMs[3] as number) - startedMs} ms`);
  });

  it('severity and type filter', () => {
    const config = notifyConfig(['notify.webhook.enabled=yes', 'notify.webhook.url=http://127.0.0.1:9/', 'notify.min-severity=2']);
    const notifier = new Notifier(config);
    notifier.close();
    const writer = new EveWriter(scratch, notifyEveConfig(config), true, {}, undefined, notifier);
    writer.alertSeverityLimit = config.minSeverity;
    const p = verifyPacket();
    writer.alert(p, new Flow(), makeSig({ sid: 1, priority: 1 }), packetAlertFacts('allowed'));
    writer.alert(p, new Flow(), makeSig({ sid: 2, priority: 3 }), packetAlertFacts('allowed'));
    writer.anomaly(p, null, 'decode', 'decoder.ipv4.trunc_pkt', 'wire/pcap');
    assert.equal(notifier.webhook?.queue.size, 1);
    assert.match(notifier.webhook?.queue.peek() ?? '', /"signature_id":1,/);
  });

  it('back-off doubles to the maximum', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, 500, 3000)), [500, 1000, 2000, 3000, 3000]);
  });
});

describe('notify config', () => {
  it('bad url and missing server', () => {
    const path = join(scratch, 'bad-notify.yaml');
    writeFileSync(path, 'notify:\n  types: [alert, flow]\n  syslog:\n    enabled: yes\n  webhook:\n    enabled: yes\n    url: ftp://example\n');
    let problems: string[] = [];
    try {
      loadConfig(path, []);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      problems = err.problems;
    }
    assert.deepEqual(problems, [
      "bad-notify.yaml:1: notify.types[1]: 'flow' is not a notification type (expected alert, drop, anomaly)",
      'bad-notify.yaml:1: notify.syslog: enabled without server or socket (set notify.syslog.server to HOST:PORT or notify.syslog.socket to /dev/log)',
      "bad-notify.yaml:1: notify.webhook.url: 'ftp://example' is not an http:// or https:// URL",
    ]);
  });
});

describe('kapu run with notify', () => {
  it('alert reaches syslog and webhook', async () => {
    const udp = await udpServer();
    const http = await httpServer([503]);
    after(() => {
      udp.socket.close();
      http.server.close();
    });
    writeFileSync(join(scratch, 'run.rules'), 'drop tcp any any -> any any (msg:"notify me"; content:"EVIL"; priority:1; sid:1000001;)\n');
    writeFileSync(join(scratch, 'run.yaml'), `policy:
  mode: ips
notify:
  types: [alert, drop]
  syslog:
    enabled: yes
    server: 127.0.0.1:${udp.port}
  webhook:
    enabled: yes
    url: ${http.url}
    backoff-ms: 50
`);
    const conversation = new TcpConversation('198.51.100.2', '203.0.113.2', 40001, 8080).handshake().clientData(0, 'xxEVILxx');
    writePcap(join(scratch, 'run.pcap'), conversation.frames);
    // execFile, not execFileSync: the servers of this test run on this event loop.
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kapu.js'), 'run', '-r', join(scratch, 'run.pcap'), '-c', join(scratch, 'run.yaml'), '-S', join(scratch, 'run.rules'), '-l', join(scratch, 'out'), '--quiet'], { timeout: 60_000 }, (err) => (err ? reject(err) : resolve()));
    });
    // One alert and one drop event; the webhook's first POST failed and was retried.
    assert.deepEqual(udp.messages.map((m) => /^<(\d+)>1 \S+ \S+ kapu \d+ (\w+) - /.exec(m)?.slice(1)), [['170', 'alert'], ['172', 'drop']]);
    assert.equal(http.bodies.length, 3);
    assert.deepEqual(http.bodies.map((b) => (JSON.parse(b) as { event_type: string }).event_type), ['alert', 'alert', 'drop']);
    assert.match(http.bodies[0] ?? '', /"kapu":\{"mode":"ips","configured_action":"drop","final_action":"drop"\}/);
  });

  it('worker threads forward to syslog', async () => {
    const udp = await udpServer();
    after(() => udp.socket.close());
    writeFileSync(join(scratch, 'workers.rules'), 'alert tcp any any -> any any (msg:"notify me"; content:"EVIL"; priority:1; sid:1000001;)\n');
    writeFileSync(join(scratch, 'workers.yaml'), `notify:\n  syslog:\n    enabled: yes\n    server: 127.0.0.1:${udp.port}\n`);
    const frames = [];
    for (let i = 0; i < 4; i++) frames.push(...new TcpConversation('198.51.100.2', '203.0.113.2', 41000 + i, 8080).handshake().clientData(0, 'xxEVILxx').frames);
    writePcap(join(scratch, 'workers.pcap'), frames);
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [join(PACKAGE_ROOT, 'bin', 'kapu.js'), 'run', '-r', join(scratch, 'workers.pcap'), '-c', join(scratch, 'workers.yaml'), '-S', join(scratch, 'workers.rules'), '-l', join(scratch, 'out-workers'), '--workers', '2', '--quiet'], { timeout: 60_000 }, (err) => (err ? reject(err) : resolve()));
    });
    // Four connections, one alert each, whichever worker ran them.
    assert.equal(udp.messages.filter((m) => / kapu \d+ alert - /.test(m)).length, 4);
    const stats = readFileSync(join(scratch, 'out-workers', 'eve.json'), 'utf8').split('\n').filter((l) => l.includes('"event_type":"stats"'));
    assert.match(stats[stats.length - 1] ?? '', /"notify":\{"syslog":\{"sent":4,"errors":0,"dropped":0,"queued":0\}\}/);
  });
});
