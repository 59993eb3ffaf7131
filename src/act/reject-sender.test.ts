/**
 * Sends real resets between two network namespaces joined by a veth pair.
 * A client connects to a server, and reject-lab-sender.js captures the
 * client's data segment on the server's side. The reset that reject.ts
 * builds for it must end the client's connection at once with ECONNRESET.
 * Needs root and the native addon, and skips otherwise.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isNativeAddonBuilt } from '../capture/native-addon.js';

const LAB_SENDER = fileURLToPath(new URL('./reject-lab-sender.js', import.meta.url));
const CLIENT_NS = `kapurej${process.pid}c`;
const SERVER_NS = `kapurej${process.pid}s`;
const PORT = 8080;
/** Maximum run time of a child process before it is killed. */
const CHILD_LIMIT_MS = 10_000;
/** Maximum delay between sending the reset and the client's error that still counts as "at once". */
const MAX_RESET_DELAY_MS = 1_000;

// The UDP sockets take the datagrams, so the server's stack sends no port unreachable of its own.
const SERVER_SCRIPT = `
const net = require('net');
const dgram = require('dgram');
dgram.createSocket('udp4').bind(${PORT}, '192.0.2.2');
dgram.createSocket({ type: 'udp6', ipv6Only: true }).bind(${PORT}, '2001:db8::2');
const server = net.createServer((c) => c.on('error', () => {}));
server.listen(${PORT}, '::', () => console.log('ready'));
setTimeout(() => process.exit(0), ${CHILD_LIMIT_MS - 1000});
`;

const CLIENT_SCRIPT = `
const net = require('net');
const report = (code) => { console.log(JSON.stringify({ code, atMs: Date.now() })); process.exit(0); };
const c = net.connect(${PORT}, process.argv[1], () => c.write('hello'));
c.on('error', (e) => report(e.code));
c.on('close', () => report('close'));
setTimeout(() => report('timeout'), ${CHILD_LIMIT_MS - 2000});
`;

// A connected UDP socket gets the ICMP error as a failed receive.
const UDP_CLIENT_SCRIPT = `
const dgram = require('dgram');
const report = (code) => { console.log(JSON.stringify({ code, atMs: Date.now() })); process.exit(0); };
const host = process.argv[1];
const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
s.on('error', (e) => report(e.code));
s.connect(${PORT}, host, () => s.send('hello'));
setTimeout(() => report('timeout'), ${CHILD_LIMIT_MS - 2000});
`;

function run(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stderr: result.stderr ?? '' };
}

function mustRun(args: string[]): void {
  const result = run(args);
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.trim()}`);
}

/** A child process in a namespace whose output lines are collected. */
class Child {
  readonly process: ChildProcessWithoutNullStreams;
  output = '';
  private readonly timer: NodeJS.Timeout;
  readonly exited: Promise<void>;

  constructor(namespace: string, args: string[]) {
    this.process = spawn('ip', ['netns', 'exec', namespace, ...args]);
    this.process.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.process.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.process.on('exit', () => resolve()));
    this.timer = setTimeout(() => this.process.kill('SIGKILL'), CHILD_LIMIT_MS);
    void this.exited.then(() => clearTimeout(this.timer));
  }

  async waitFor(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (Date.now() > deadline || this.process.exitCode !== null) throw new Error(`no '${text}' from child: ${this.output.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits for the child to exit and returns its first JSON line. */
  async result(): Promise<Record<string, unknown>> {
    await this.exited;
    const line = this.output.split('\n').find((l) => l.startsWith('{'));
    if (line === undefined) throw new Error(`child printed no result: ${this.output.trim()}`);
    return JSON.parse(line) as Record<string, unknown>;
  }

  stop(): void {
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
  }
}

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces and raw sockets';
  if (!isNativeAddonBuilt()) return 'native addon not built (node scripts/build-native.js)';
  const probe = `kapurej${process.pid}p`;
  if (run(['ip', 'netns', 'add', probe]).status !== 0) return 'network namespaces are not available';
  run(['ip', 'netns', 'del', probe]);
  return null;
}

function setupNamespaces(): void {
  for (const ns of [CLIENT_NS, SERVER_NS]) {
    mustRun(['ip', 'netns', 'add', ns]);
    mustRun(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    // Without duplicate address detection the IPv6 addresses work at once.
    mustRun(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  }
  mustRun(['ip', 'link', 'add', 'rc0', 'netns', CLIENT_NS, 'type', 'veth', 'peer', 'name', 'rs0', 'netns', SERVER_NS]);
  mustRun(['ip', '-n', CLIENT_NS, 'addr', 'add', '192.0.2.1/24', 'dev', 'rc0']);
  mustRun(['ip', '-n', CLIENT_NS, 'addr', 'add', '2001:db8::1/64', 'dev', 'rc0', 'nodad']);
  mustRun(['ip', '-n', SERVER_NS, 'addr', 'add', '192.0.2.2/24', 'dev', 'rs0']);
  mustRun(['ip', '-n', SERVER_NS, 'addr', 'add', '2001:db8::2/64', 'dev', 'rs0', 'nodad']);
  mustRun(['ip', '-n', CLIENT_NS, 'link', 'set', 'rc0', 'up']);
  mustRun(['ip', '-n', SERVER_NS, 'link', 'set', 'rs0', 'up']);
}

/** Ends every process left in the namespaces, by PID, then deletes them (which removes the veth pair). */
function teardownNamespaces(): void {
  for (const ns of [CLIENT_NS, SERVER_NS]) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5_000 }).stdout ?? '';
    for (const pid of pids.split('\n').map(Number).filter((n) => n > 0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    run(['ip', 'netns', 'del', ns]);
  }
}

const reason = skipReason();

describe('reject sender in namespaces', { skip: reason ?? false }, () => {
  let server: Child | null = null;

  before(async () => {
    setupNamespaces();
    server = new Child(SERVER_NS, [process.execPath, '-e', SERVER_SCRIPT]);
    await server.waitFor('ready', 5_000);
  });

  after(() => {
    server?.stop();
    teardownNamespaces();
  });

  for (const serverAddress of ['192.0.2.2', '2001:db8::2']) {
    it(`reset ends a connection to ${serverAddress}`, async () => {
      const sender = new Child(SERVER_NS, [process.execPath, LAB_SENDER, 'rs0', String(PORT), 'tcp']);
      let client: Child | null = null;
      try {
        await sender.waitFor('ready', 5_000);
        client = new Child(CLIENT_NS, [process.execPath, '-e', CLIENT_SCRIPT, serverAddress]);
        const sent = await sender.result();
        const seen = await client.result();

        assert.equal(sent.errno, 0, JSON.stringify(sent));
        assert.equal(seen.code, 'ECONNRESET');
        const delayMs = (seen.atMs as number) - (sent.sentAtMs as number);
        assert.ok(delayMs < MAX_RESET_DELAY_MS, `the client saw the reset ${delayMs} ms after it was sent`);

        // The reset takes its sequence number from the segment's ACK field.
        const segment = Buffer.from(sent.packet as string, 'hex');
        const reset = Buffer.from(sent.response as string, 'hex');
        const ipBytes = serverAddress.includes(':') ? 40 : 20;
        assert.equal(reset.readUInt32BE(ipBytes + 4), segment.readUInt32BE(ipBytes + 8));
        assert.equal(reset.readUInt32BE(ipBytes + 8), segment.readUInt32BE(ipBytes + 4) + 5);
        assert.equal(reset[ipBytes + 13], 0x14);
      } finally {
        sender.stop();
        client?.stop();
      }
    });
  }

  // Host prohibited (ICMP code 10) reads as EHOSTUNREACH, administratively
  // prohibited (ICMPv6 code 1) as EACCES, in Linux's ICMP error tables.
  for (const [serverAddress, code] of [['192.0.2.2', 'EHOSTUNREACH'], ['2001:db8::2', 'EACCES']] as const) {
    it(`icmp unreachable reaches a udp client of ${serverAddress}`, async () => {
      const sender = new Child(SERVER_NS, [process.execPath, LAB_SENDER, 'rs0', String(PORT), 'udp']);
      let client: Child | null = null;
      try {
        await sender.waitFor('ready', 5_000);
        client = new Child(CLIENT_NS, [process.execPath, '-e', UDP_CLIENT_SCRIPT, serverAddress]);
        const sent = await sender.result();
        const seen = await client.result();

        assert.equal(sent.errno, 0, JSON.stringify(sent));
        assert.equal(seen.code, code);
        const delayMs = (seen.atMs as number) - (sent.sentAtMs as number);
        assert.ok(delayMs < MAX_RESET_DELAY_MS, `the client saw the error ${delayMs} ms after it was sent`);
      } finally {
        sender.stop();
        client?.stop();
      }
    });
  }
});
