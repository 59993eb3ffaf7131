import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNfQueueKernelStats } from './nfqueue.js';
import { ipv4At, labSkipReason, NetLab, sleep, type LabSummary } from './netlab-harness.js';

test('kernel queue stats parse', () => {
  // Two bound queues as /proc/net/netfilter/nfnetlink_queue lists them.
  const text = '    3  15140     0 2 65531     0     0        6  1\n    4  15141    12 2 65531    17     2      900  1\n';
  const stats = parseNfQueueKernelStats(text);
  assert.equal(stats.length, 2);
  assert.deepEqual(stats[0], {
    queueNum: 3,
    portId: 15140,
    queueTotal: 0,
    copyMode: 2,
    copyRange: 65531,
    queueDropped: 0,
    userDropped: 0,
    idSequence: 6,
  });
  assert.equal(stats[1].queueNum, 4);
  assert.equal(stats[1].queueTotal, 12);
  assert.equal(stats[1].queueDropped, 17);
  assert.equal(stats[1].userDropped, 2);
  assert.equal(stats[1].idSequence, 900);
});

test('kernel queue stats empty file', () => {
  assert.deepEqual(parseNfQueueKernelStats(''), []);
});

const QUEUE_NUM = 3;
const UDP_PORT = 9999;
const MARKER = 'KAPUMARK';
const ICMP = 1;
const UDP = 17;
/** NF_INET_FORWARD from linux/netfilter.h. */
const HOOK_FORWARD = 2;

// Listens on the server for a bounded time and prints every datagram as a line.
const UDP_SERVER = `const s = require('dgram').createSocket('udp4');
s.on('message', (m) => process.stdout.write(m.toString() + '\\n'));
s.bind(${UDP_PORT}, '203.0.113.2', () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), 8000);`;

// Sends three plain and three marked datagrams, 50 ms apart, then exits.
const UDP_CLIENT = `const s = require('dgram').createSocket('udp4');
const messages = ['plain-1', '${MARKER}-1', 'plain-2', '${MARKER}-2', 'plain-3', '${MARKER}-3'];
let i = 0;
const send = () => {
  if (i === messages.length) { s.close(); return; }
  s.send(messages[i++], ${UDP_PORT}, '203.0.113.2', () => setTimeout(send, 50));
};
send();`;

const skipReason = labSkipReason();

const TCP_PORT = 8080;
const TCP_BYTES = 2 * 1024 * 1024;

// Counts the bytes of one TCP connection and prints the total when it ends.
const TCP_SERVER = `const server = require('net').createServer((socket) => {
  let total = 0;
  socket.on('data', (chunk) => { total += chunk.length; });
  socket.on('end', () => { process.stdout.write('received ' + total + '\\n'); process.exit(0); });
});
server.listen(${TCP_PORT}, '203.0.113.2', () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(1), 8000);`;

// Sends TCP_BYTES in 64 KiB writes, then closes the connection.
const TCP_CLIENT = `const socket = require('net').connect(${TCP_PORT}, '203.0.113.2', () => {
  const chunk = Buffer.alloc(65536, 0x61);
  for (let i = 0; i < ${TCP_BYTES} / 65536; i++) socket.write(chunk);
  socket.end();
});
setTimeout(() => process.exit(1), 8000);`;

/** Sends TCP_BYTES over one TCP connection from cli to srv and returns the server's output. */
async function transferTcp(lab: NetLab): Promise<string> {
  const server = lab.spawn('srv', [process.execPath, '-e', TCP_SERVER]);
  let serverOutput = '';
  server.stdout.on('data', (chunk: Buffer) => {
    serverOutput += chunk.toString();
  });
  const serverExited = new Promise((resolve) => server.on('exit', resolve));
  for (let i = 0; i < 50 && !serverOutput.includes('ready\n'); i++) await sleep(20);
  lab.exec('cli', [process.execPath, '-e', TCP_CLIENT], 10_000);
  const timer = setTimeout(() => server.kill('SIGTERM'), 5_000);
  await serverExited;
  clearTimeout(timer);
  return serverOutput;
}

/** Sends the datagrams of UDP_CLIENT from cli to srv and returns the lines the server received. */
async function exchangeUdp(lab: NetLab): Promise<string[]> {
  const server = lab.spawn('srv', [process.execPath, '-e', UDP_SERVER]);
  let serverOutput = '';
  server.stdout.on('data', (chunk: Buffer) => {
    serverOutput += chunk.toString();
  });
  const serverExited = new Promise((resolve) => server.on('exit', resolve));
  for (let i = 0; i < 50 && !serverOutput.includes('ready\n'); i++) await sleep(20);
  lab.exec('cli', [process.execPath, '-e', UDP_CLIENT], 10_000);
  await sleep(300);
  server.kill('SIGTERM');
  await serverExited;
  return serverOutput.split('\n').filter((line) => line !== '' && line !== 'ready');
}

describe('nfqueue in namespace lab', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('kq');
  let summary: LabSummary;
  let pingOutput = '';
  let pingStatus: number | null = null;
  let serverLines: string[] = [];
  let tcpOutput = '';

  before(async () => {
    lab.teardown();
    lab.setup();
    const rule = lab.exec('ips', ['iptables-nft', '-A', 'FORWARD', '-j', 'NFQUEUE', '--queue-num', String(QUEUE_NUM), '--queue-bypass']);
    assert.equal(rule.status, 0, rule.stderr);

    const reader = await lab.startReader('ips', ['nfqueue', String(QUEUE_NUM), 'drop-marker', MARKER, '15000']);
    try {
      const ping = lab.exec('cli', ['ping', '-c', '3', '-i', '0.2', '-W', '1', '203.0.113.2'], 10_000);
      pingStatus = ping.status;
      pingOutput = ping.stdout;

      serverLines = await exchangeUdp(lab);
      tcpOutput = await transferTcp(lab);
    } finally {
      summary = await reader.stop();
    }
  });

  after(() => {
    lab.teardown();
  });

  test('tcp transfer passes whole', () => {
    assert.match(tcpOutput, new RegExp(`received ${TCP_BYTES}\\b`));
  });

  test('gso packets arrive whole', () => {
    // With NFQA_CFG_F_GSO the kernel queues segmentation-offload packets
    // unsplit, so some exceed the 1500-byte MTU of the lab's veths.
    assert.ok((summary.maxCapturedLength ?? 0) > 1500, `largest packet ${summary.maxCapturedLength}`);
    assert.ok((summary.gsoPackets ?? 0) > 0);
  });

  test('accept lets ping through', () => {
    assert.equal(pingStatus, 0, pingOutput);
    assert.match(pingOutput, /3 received/);
  });

  test('echo requests arrive with addresses', () => {
    const requests = summary.records.filter((r) => r.hex.slice(18, 20) === '01' && ipv4At(r.hex, 12) === '198.51.100.2');
    assert.equal(requests.length, 3);
    for (const r of requests) {
      // ping's default 56 data bytes: 20 IPv4 + 8 ICMP + 56 = 84.
      assert.equal(r.capturedLength, 84);
      assert.equal(r.originalLength, 84);
      assert.equal(r.hwProtocol, 0x0800);
      assert.equal(r.hook, HOOK_FORWARD);
      assert.equal(ipv4At(r.hex, 16), '203.0.113.2');
      assert.equal(parseInt(r.hex.slice(18, 20), 16), ICMP);
      assert.equal(r.verdict, 'accept');
    }
  });

  test('echo replies arrive with addresses', () => {
    const replies = summary.records.filter((r) => r.hex.slice(18, 20) === '01' && ipv4At(r.hex, 12) === '203.0.113.2');
    assert.equal(replies.length, 3);
    for (const r of replies) {
      assert.equal(r.capturedLength, 84);
      assert.equal(ipv4At(r.hex, 16), '198.51.100.2');
    }
  });

  test('udp datagrams arrive with lengths', () => {
    const datagrams = summary.records.filter((r) => parseInt(r.hex.slice(18, 20), 16) === UDP);
    assert.equal(datagrams.length, 6);
    const plain = datagrams.filter((r) => r.verdict === 'accept');
    const marked = datagrams.filter((r) => r.verdict === 'drop');
    assert.equal(plain.length, 3);
    assert.equal(marked.length, 3);
    // 20 IPv4 + 8 UDP + 7 ('plain-1') and + 10 ('KAPUMARK-1').
    for (const r of plain) assert.equal(r.capturedLength, 35);
    for (const r of marked) assert.equal(r.capturedLength, 38);
    for (const r of datagrams) {
      assert.equal(ipv4At(r.hex, 12), '198.51.100.2');
      assert.equal(ipv4At(r.hex, 16), '203.0.113.2');
    }
  });

  test('drop stops marked datagrams', () => {
    assert.deepEqual(serverLines.sort(), ['plain-1', 'plain-2', 'plain-3']);
    assert.equal(summary.dropped, 3);
  });

  test('kernel drops nothing from queue', () => {
    const queue = summary.kernelStats?.find((q) => q.queueNum === QUEUE_NUM);
    assert.ok(queue !== undefined, 'queue missing from /proc/net/netfilter/nfnetlink_queue');
    assert.equal(queue.queueDropped, 0);
    assert.equal(queue.userDropped, 0);
    assert.equal(queue.idSequence, summary.packets);
    assert.equal(summary.stats.enobufs, 0);
    assert.equal(summary.stats.verdictErrors, 0);
  });
});

describe('nfqueue repeat with mark', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('kr');
  let summary: LabSummary;
  let serverLines: string[] = [];
  let markRuleOutput = '';

  before(async () => {
    lab.teardown();
    lab.setup();
    // A repeated packet passes the forward hook again: this rule, before the
    // queue rule, drops the ones that came back with mark 0x1.
    const markRule = lab.exec('ips', ['iptables-nft', '-A', 'FORWARD', '-m', 'mark', '--mark', '0x1/0x1', '-j', 'DROP']);
    assert.equal(markRule.status, 0, markRule.stderr);
    const rule = lab.exec('ips', ['iptables-nft', '-A', 'FORWARD', '-j', 'NFQUEUE', '--queue-num', String(QUEUE_NUM), '--queue-bypass']);
    assert.equal(rule.status, 0, rule.stderr);

    const reader = await lab.startReader('ips', ['nfqueue', String(QUEUE_NUM), 'repeat-marker', MARKER, '15000']);
    try {
      serverLines = await exchangeUdp(lab);
    } finally {
      summary = await reader.stop();
    }
    markRuleOutput = lab.exec('ips', ['iptables-nft', '-L', 'FORWARD', '-v', '-x', '-n']).stdout;
  });

  after(() => {
    lab.teardown();
  });

  test('repeated packets meet mark rule', () => {
    assert.deepEqual(serverLines.sort(), ['plain-1', 'plain-2', 'plain-3']);
    // iptables -L -v -x: the first column of the DROP rule is its packet count.
    const dropLine = markRuleOutput.split('\n').find((line) => /\bDROP\b/.test(line) && /mark match 0x1\/0x1/.test(line));
    assert.ok(dropLine !== undefined, markRuleOutput);
    assert.equal(Number(dropLine.trim().split(/\s+/)[0]), 3);
  });

  test('each marked packet queued once', () => {
    const repeated = summary.records.filter((r) => r.verdict === 'repeat');
    assert.equal(repeated.length, 3);
    const udp = summary.records.filter((r) => parseInt(r.hex.slice(18, 20), 16) === UDP);
    assert.equal(udp.length, 6);
  });
});

describe('nfqueue full queue', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('kf');
  // The reader binds the queue and never reads it, so the queue stays full
  // after its first MAX_LENGTH packets; the kernel drops those when the
  // queue closes.
  const MAX_LENGTH = 2;
  let failClosedReceived = -1;
  let failOpenReceived = -1;

  /** Pings 6 times through a stalled queue and returns the replies received. */
  async function pingThroughStalledQueue(flags: string[]): Promise<number> {
    const reader = await lab.startReader('ips', ['nfqueue', String(QUEUE_NUM), 'stall', MARKER, '15000', `max-length=${MAX_LENGTH}`, ...flags]);
    try {
      const ping = lab.exec('cli', ['ping', '-c', '6', '-i', '0.2', '-W', '1', '203.0.113.2'], 10_000);
      const match = /(\d+) received/.exec(ping.stdout);
      return match === null ? -1 : Number(match[1]);
    } finally {
      await reader.stop();
    }
  }

  before(async () => {
    lab.teardown();
    lab.setup();
    const rule = lab.exec('ips', ['iptables-nft', '-A', 'FORWARD', '-j', 'NFQUEUE', '--queue-num', String(QUEUE_NUM), '--queue-bypass']);
    assert.equal(rule.status, 0, rule.stderr);
    failClosedReceived = await pingThroughStalledQueue([]);
    failOpenReceived = await pingThroughStalledQueue(['fail-open']);
  });

  after(() => {
    lab.teardown();
  });

  test('full queue drops by default', () => {
    assert.equal(failClosedReceived, 0);
  });

  test('full queue accepts with fail-open', () => {
    // The first two echo requests fill the queue and are lost; the other
    // four requests and all replies pass while it is full.
    assert.equal(failOpenReceived, 4);
  });
});
