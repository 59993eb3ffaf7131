// More end-to-end tests of `kapu run -q` as a router in the namespace lab:
// queue bypass while kapu is stopped, fail-open and fail-closed when the
// kernel queue overflows, and a request split into overlapping TCP segments.
// Needs root, network namespaces and NFQUEUE; skips with one line otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { labSkipReason, NetLab, run, sleep, waitUntil, watchChild } from '../capture/netlab-harness.js';

const KAPU = fileURLToPath(new URL('../../../bin/kapu.js', import.meta.url));
const QUEUE_NUM = 11;
/** Queue of the contrast rule without --queue-bypass. No program ever binds it. */
const UNBOUND_QUEUE_NUM = 12;
const PORT = 8080;
const CLIENT4 = '198.51.100.2';
const SERVER4 = '203.0.113.2';
/** nfq.queue-maxlen of the overload runs, and the echo requests sent while kapu is stopped. */
const QUEUE_MAXLEN = 8;
const BURST = 20;

const RULES = `alert http any any -> any any (msg:"lab normal request"; flow:to_server,established; http.uri; content:"/ok.txt"; sid:1000001; rev:1;)
drop http any any -> any any (msg:"lab blocked request"; flow:to_server,established; http.uri; content:"/evil.txt"; sid:1000002; rev:1;)
`;

function configOf(failOpen: boolean): string {
  return `vars:
  address-groups:
    HOME_NET: "[203.0.113.0/24,2001:db8:2::/64]"
    EXTERNAL_NET: "!$HOME_NET"
  port-groups:
    HTTP_PORTS: "[80,${PORT}]"
nfq:
  fail-open: ${failOpen ? 'yes' : 'no'}
  queue-maxlen: ${QUEUE_MAXLEN}
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop
`;
}

// Sends one HTTP request over a hand-made TCP connection: the handshake,
// then the request as two segments, bytes [0, 7) and bytes [5, end), so the
// two overlap in bytes 5 and 6 with the same data. Neither segment contains
// the URI "/ok.txt" or "/evil.txt" whole; only the reassembled stream does.
// An optional sixth argument replaces the start of the second segment, so
// the overlapping bytes differ. Prints one JSON line with the server's
// acknowledgments and reply.
const CRAFT_SCRIPT = `import json, socket, struct, sys, time
src, dst, sport, dport, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
request = ('GET %s HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' % (path, dst)).encode()
second_payload = request[5:]
if len(sys.argv) > 6:
    second_payload = sys.argv[6].encode() + second_payload[len(sys.argv[6]):]

def checksum(data):
    if len(data) % 2:
        data += b'\\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff

def segment(seq, ack, flags, payload=b''):
    header = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(header) + len(payload))
    header = header[:16] + struct.pack('!H', checksum(pseudo + header + payload)) + header[18:]
    return header + payload

sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
sock.settimeout(0.2)
result = {'synack': False, 'ackAfterFirst': 0, 'ackAfterSecond': 0, 'reply': ''}
reply = b''

def receive(seconds):
    # Returns (seq, ack, flags) of the server segment with the highest ack seen within seconds, or None.
    global reply
    best = None
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            packet = sock.recv(65535)
        except socket.timeout:
            continue
        ihl = (packet[0] & 15) * 4
        if socket.inet_ntoa(packet[12:16]) != dst:
            continue
        tsport, tdport, tseq, tack, offset, flags = struct.unpack('!HHIIBB', packet[ihl:ihl + 14])
        if tsport != dport or tdport != sport:
            continue
        data = packet[ihl + (offset >> 4) * 4:]
        if data:
            reply += data
        best = (tseq, tack, flags) if best is None or tack - ISN > best[1] - ISN else best
    return best

ISN = 1000
sock.sendto(segment(ISN, 0, 0x02), (dst, 0))
synack = receive(2)
if synack is None or synack[2] & 0x12 != 0x12:
    print(json.dumps(result))
    sys.exit(0)
result['synack'] = True
server_next = (synack[0] + 1) & 0xffffffff
sock.sendto(segment(ISN + 1, server_next, 0x10), (dst, 0))
sock.sendto(segment(ISN + 1, server_next, 0x18, request[:7]), (dst, 0))
first = receive(1)
result['ackAfterFirst'] = 0 if first is None else (first[1] - ISN - 1) & 0xffffffff
sock.sendto(segment(ISN + 1 + 5, server_next, 0x18, second_payload), (dst, 0))
# With no new data to acknowledge the server may send nothing more.
second = receive(2) or first
result['ackAfterSecond'] = 0 if second is None else (second[1] - ISN - 1) & 0xffffffff
result['requestLength'] = len(request)
result['reply'] = reply.split(b'\\r\\n')[0].decode('latin-1')
sock.sendto(segment(ISN + 1 + len(request), server_next, 0x14), (dst, 0))
print(json.dumps(result))
`;

interface EveRecord {
  event_type: string;
  src_ip?: string;
  alert?: { action: string; signature_id: number };
}

interface CraftResult {
  synack: boolean;
  ackAfterFirst: number;
  ackAfterSecond: number;
  requestLength: number;
  reply: string;
}

interface BurstResult {
  transmitted: number;
  received: number;
  queueDroppedBefore: number;
  queueDroppedAfter: number;
}

/** Returns why this machine cannot run the lab, or null. */
function skipReasonOf(): string | null {
  const reason = labSkipReason();
  if (reason !== null) return reason;
  if (run('iptables-nft', ['--version']).status !== 0) return 'iptables-nft not installed';
  if (run('python3', ['--version']).status !== 0) return 'python3 not installed (test HTTP server, segment crafting)';
  if (run('curl', ['--version']).status !== 0) return 'curl not installed';
  if (run('ping', ['-V']).status !== 0) return 'ping not installed';
  return null;
}

let skipReason = skipReasonOf();

describe('kapu run -q bypass, overload and overlap', { skip: skipReason ?? false }, () => {
  const lab = new NetLab('kinx');
  const scratch = mkdtempSync(join(tmpdir(), 'kapu-inline-extra-'));
  let server: ChildProcessWithoutNullStreams | null = null;
  let serverLog: (() => string) | null = null;
  let kapu: ChildProcessWithoutNullStreams | null = null;
  const kapuOutputs: (() => string)[] = [];
  const curls: Record<string, { status: number | null; code: string }> = {};
  const crafted: Record<string, CraftResult> = {};
  const bursts: Record<string, BurstResult> = {};

  /** Returns [queue_dropped, queue_user_dropped] of `queueNum`, or null when no program binds it. */
  function queueCounters(queueNum: number): [number, number] | null {
    const lines = lab.exec('ips', ['cat', '/proc/net/netfilter/nfnetlink_queue']).stdout.split('\n');
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // queue_num peer_portid queue_total copy_mode copy_range queue_dropped queue_user_dropped id_sequence 1
      if (fields[0] === String(queueNum)) return [Number(fields[5]), Number(fields[6])];
    }
    return null;
  }

  async function startKapu(failOpen: boolean, outDir: string): Promise<void> {
    const configPath = join(scratch, failOpen ? 'fail-open.yaml' : 'fail-closed.yaml');
    writeFileSync(configPath, configOf(failOpen));
    const child = lab.spawn('ips', [process.execPath, KAPU, 'run', '-q', String(QUEUE_NUM), '-c', configPath, '-S', join(scratch, 'lab.rules'), '-l', outDir]);
    kapu = child;
    const watched = watchChild(child);
    const bound = await waitUntil(() => queueCounters(QUEUE_NUM) !== null, 100);
    assert.ok(bound, `kapu did not bind queue ${QUEUE_NUM}: ${watched.output()}`);
    kapuOutputs.push(watched.output);
  }

  /** Stops kapu by its PID with SIGTERM and waits at most 10 s before SIGKILL. */
  async function stopKapu(): Promise<number | null> {
    const child = kapu;
    if (child === null) return null;
    const exited = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.on('exit', (code) => resolve(code));
    });
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const status = await exited;
    clearTimeout(timer);
    kapu = null;
    return status;
  }

  function curl(name: string, path: string, timeoutS: string): void {
    const result = lab.exec('cli', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', timeoutS, `http://${SERVER4}:${PORT}${path}`], 10_000);
    curls[name] = { status: result.status, code: result.stdout.trim() };
  }

  function craft(name: string, path: string, sourcePort: number, overlapReplacement = ''): void {
    // The client kernel has no socket for this port and would reset the
    // connection with RST segments without ACK; the script ends it with RST+ACK.
    const blockResets = ['OUTPUT', '-p', 'tcp', '--sport', String(sourcePort), '--tcp-flags', 'RST,ACK', 'RST', '-j', 'DROP'];
    assert.equal(lab.exec('cli', ['iptables-nft', '-I', ...blockResets]).status, 0);
    const result = lab.exec('cli', ['python3', join(scratch, 'craft.py'), CLIENT4, SERVER4, String(sourcePort), String(PORT), path, ...(overlapReplacement === '' ? [] : [overlapReplacement])], 15_000);
    lab.exec('cli', ['iptables-nft', '-D', ...blockResets]);
    assert.equal(result.status, 0, result.stderr);
    crafted[name] = JSON.parse(result.stdout.trim()) as CraftResult;
  }

  /** Sends BURST echo requests while kapu is stopped (SIGSTOP), so the queue fills at QUEUE_MAXLEN. */
  async function burst(name: string): Promise<void> {
    const child = kapu;
    assert.ok(child !== null);
    const before = queueCounters(QUEUE_NUM);
    assert.ok(before !== null);
    child.kill('SIGSTOP');
    await sleep(200);
    try {
      // -W 2: after the last request, ping waits 2 s for replies.
      const result = lab.exec('cli', ['ping', '-n', '-q', '-c', String(BURST), '-i', '0.01', '-W', '2', SERVER4], 10_000);
      const summary = /(\d+) packets transmitted, (\d+) received/.exec(result.stdout);
      assert.ok(summary !== null, `ping printed no summary: ${result.stdout} ${result.stderr}`);
      const afterCounters = queueCounters(QUEUE_NUM);
      assert.ok(afterCounters !== null);
      bursts[name] = {
        transmitted: Number(summary[1]),
        received: Number(summary[2]),
        queueDroppedBefore: before[0],
        queueDroppedAfter: afterCounters[0],
      };
    } finally {
      child.kill('SIGCONT');
    }
    // The QUEUE_MAXLEN held packets get their verdicts now, and their replies pass before the next step.
    await sleep(500);
  }

  before(async () => {
    const www = join(scratch, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'ok.txt'), 'fine\n');
    writeFileSync(join(www, 'evil.txt'), 'must not be served\n');
    writeFileSync(join(scratch, 'lab.rules'), RULES);
    writeFileSync(join(scratch, 'craft.py'), CRAFT_SCRIPT);
    lab.setup();

    const printed = run(process.execPath, [KAPU, 'firewall-rules', '-q', String(QUEUE_NUM), '--iface', 'ic']);
    assert.equal(printed.status, 0, printed.stderr);
    const ruleLines = printed.stdout.split('\n').filter((line) => /^ip6?tables-nft /.test(line));
    assert.equal(ruleLines.length, 4);
    for (const line of ruleLines) {
      assert.match(line, /--queue-bypass$/);
      const applied = lab.exec('ips', line.split(' '));
      if (applied.status !== 0) {
        skipReason = `NFQUEUE rule not accepted: ${applied.stderr.trim()}`;
        return;
      }
    }

    server = lab.spawn('srv', ['python3', '-m', 'http.server', '--bind', '::', '--directory', www, String(PORT)]);
    serverLog = watchChild(server).output;
    const listening = await waitUntil(() => lab.exec('srv', ['ss', '-lnt']).stdout.includes(`:${PORT} `), 50);
    assert.ok(listening, 'test HTTP server did not start');

    // Run 1: fail-closed. Overlapping segments, then the overload.
    await startKapu(false, join(scratch, 'out-closed'));
    craft('ok', '/ok.txt', 41001);
    craft('evil', '/evil.txt', 41002);
    // The second segment carries "Xv" where the first carried "ev": the
    // server keeps the first data and kapu in-line does too.
    craft('evilConflict', '/evil.txt', 41003, 'X');
    await burst('closed');
    curl('afterBurst', '/ok.txt', '5');
    assert.equal(await stopKapu(), 0, kapuOutputs[0]?.());

    // Kapu is stopped and queue QUEUE_NUM has no program: bypass lets traffic through.
    curl('bypass', '/ok.txt', '5');
    // Unguarded, the server shows which of two different overlapping bytes it keeps.
    craft('okConflictBypassed', '/ok.txt', 41004, 'X');
    const noBypass = ['FORWARD', '-i', 'ic', '-p', 'tcp', '--dport', String(PORT), '-j', 'NFQUEUE', '--queue-num', String(UNBOUND_QUEUE_NUM)];
    assert.equal(lab.exec('ips', ['iptables-nft', '-I', ...noBypass]).status, 0);
    curl('noBypass', '/ok.txt', '3');
    assert.equal(lab.exec('ips', ['iptables-nft', '-D', ...noBypass]).status, 0);
    curl('bypassAgain', '/ok.txt', '5');

    // Run 2: fail-open.
    await startKapu(true, join(scratch, 'out-open'));
    await burst('open');
    assert.equal(await stopKapu(), 0, kapuOutputs[1]?.());
  });

  after(() => {
    try {
      if (kapu !== null && kapu.exitCode === null) {
        kapu.kill('SIGCONT');
        kapu.kill('SIGKILL');
      }
      if (server !== null && server.exitCode === null) server.kill('SIGTERM');
    } finally {
      lab.teardown();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  function readEve(outDir: string): EveRecord[] {
    const path = join(scratch, outDir, 'eve.json');
    assert.ok(existsSync(path), `no eve.json in ${outDir}`);
    return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as EveRecord);
  }

  test('queue bypass while kapu stopped', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    assert.equal(curls['afterBurst']?.code, '200');
    assert.equal(curls['bypass']?.status, 0);
    assert.equal(curls['bypass']?.code, '200');
    assert.equal(curls['bypassAgain']?.code, '200');
  });

  test('unbound queue without bypass blocks', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    // curl exit 28: timed out, because the kernel drops what it cannot queue.
    assert.equal(curls['noBypass']?.status, 28);
    assert.equal(curls['noBypass']?.code, '000');
  });

  test('fail-closed drops past queue length', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const result = bursts['closed'];
    assert.ok(result !== undefined);
    t.diagnostic(JSON.stringify(result));
    assert.equal(result.transmitted, BURST);
    // The first QUEUE_MAXLEN requests wait in the queue until ping has ended,
    // and the kernel drops every later one and counts it in queue_dropped.
    assert.equal(result.received, 0);
    assert.equal(result.queueDroppedAfter - result.queueDroppedBefore, BURST - QUEUE_MAXLEN);
  });

  test('fail-open accepts past queue length', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const result = bursts['open'];
    assert.ok(result !== undefined);
    t.diagnostic(JSON.stringify(result));
    assert.equal(result.transmitted, BURST);
    // Requests past the queue length, and their replies, pass unqueued. The
    // kernel counts a fail-open accept nowhere, so queue_dropped stays put
    // (Linux commit fdb694a01f1f, "netfilter: Add fail-open support").
    assert.equal(result.received, BURST - QUEUE_MAXLEN);
    assert.equal(result.queueDroppedAfter, result.queueDroppedBefore);
  });

  test('overlapping segments reach server', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const result = crafted['ok'];
    assert.ok(result !== undefined);
    t.diagnostic(JSON.stringify(result));
    assert.equal(result.synack, true);
    assert.equal(result.ackAfterFirst, 7);
    assert.equal(result.ackAfterSecond, result.requestLength);
    assert.match(result.reply, /^HTTP\/1\.[01] 200 /);
    assert.match(serverLog?.() ?? '', /"GET \/ok\.txt HTTP\/1\.1" 200/);
  });

  test('server keeps first overlapping data', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const result = crafted['okConflictBypassed'];
    assert.ok(result !== undefined);
    t.diagnostic(JSON.stringify(result));
    // The second segment read "Xk.txt", so a server that took the later data
    // would have looked for /Xk.txt and replied 404.
    assert.match(result.reply, /^HTTP\/1\.[01] 200 /);
    assert.doesNotMatch(serverLog?.() ?? '', /Xk\.txt/);
  });

  test('overlapping segments attack blocked', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    for (const name of ['evil', 'evilConflict']) {
      const result = crafted[name];
      assert.ok(result !== undefined);
      t.diagnostic(`${name}: ${JSON.stringify(result)}`);
      assert.equal(result.synack, true);
      // The server got the first 7 bytes, never the segment that completes the URI.
      assert.equal(result.ackAfterFirst, 7, name);
      assert.equal(result.ackAfterSecond, 7, name);
      assert.equal(result.reply, '', name);
    }
    assert.doesNotMatch(serverLog?.() ?? '', /evil/);
  });

  test('eve has blocked overlap alerts', (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const eve = readEve('out-closed');
    const alerts = eve.filter((e) => e.event_type === 'alert');
    const blocked = alerts.filter((e) => e.alert?.signature_id === 1000002);
    assert.equal(blocked.length, 2, 'one blocked alert per overlapping /evil.txt request');
    for (const alert of blocked) {
      assert.equal(alert.alert?.action, 'blocked');
      assert.equal(alert.src_ip, CLIENT4);
    }
    const allowed = alerts.filter((e) => e.alert?.signature_id === 1000001);
    assert.ok(allowed.length >= 1, 'the overlapping /ok.txt request alerts as allowed');
    for (const alert of allowed) assert.equal(alert.alert?.action, 'allowed');
    assert.ok(eve.some((e) => e.event_type === 'drop' && e.src_ip === CLIENT4), 'drop event');
  });
});
