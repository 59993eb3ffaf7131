/**
 * Evasions end to end: captures crafted here hide one HTTP request for
 * /evil.php by splitting it across segments, sending segments out of
 * order, overlapping them, fragmenting the IP packet or percent-encoding
 * the path. Each run goes through `runCapture`, and the alerts must be
 * those of the bytes the server would read.
 *
 * Overlap outcomes follow the target-based reassembly policies that
 * host-os-policy assigns to the server (its operating system decides
 * which copy of a byte it keeps):
 * - same start and same end: the new copy wins for old-linux, solaris and
 *   hpux11; the others keep the first copy;
 * - the new segment starts earlier and ends at the old end: the new copy
 *   wins for every policy except vista and old-solaris.
 * In IPS mode the first copy always wins, because it was inspected and
 * passed before the second arrived.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from '../cli/run.js';
import { HOST_OS_POLICIES } from '../config/schema.js';
import { TcpConversation, bytesOf, ipv4FragmentFrames, ipv4TcpPacket, writePcap } from '../test-support/packet-craft.js';

const CLIENT = '198.51.100.1';
const SERVER = '203.0.113.2';

const RULES = [
  'alert http any any -> any any (msg:"normalised uri"; flow:to_server; http.uri; content:"/evil.php"; sid:1;)',
  'alert tcp any any -> any 80 (msg:"raw stream"; flow:to_server; content:"evil.php"; sid:2;)',
  'alert http any any -> any any (msg:"benign uri"; flow:to_server; http.uri; content:"/good.php"; sid:3;)',
  'alert http any any -> any any (msg:"raw uri"; flow:to_server; http.uri.raw; content:"/evil.php"; sid:4;)',
  '',
].join('\n');

const REQUEST_TAIL = ' HTTP/1.1\r\nHost: www.example.com\r\n\r\n';
const EVIL_REQUEST = 'GET /evil.php' + REQUEST_TAIL;
const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** Alert counts by sid of one run. */
type SidCounts = Record<number, number>;

/** Runs the frames with RULES and returns how often each sid alerted. */
async function alertCounts(frames: readonly Uint8Array[], mode: 'ids' | 'ips', configLines: string[] = []): Promise<SidCounts> {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-evasion-'));
  try {
    const config = [
      'outputs:',
      '  - eve-log:',
      '      enabled: yes',
      '      filename: eve.json',
      '      types:',
      '        - alert',
      ...configLines,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'kapu.yaml'), config);
    writeFileSync(join(dir, 'test.rules'), RULES);
    writePcap(join(dir, 'input.pcap'), frames);
    await runCapture({
      pcapPath: join(dir, 'input.pcap'),
      configPath: join(dir, 'kapu.yaml'),
      ruleFiles: [join(dir, 'test.rules')],
      extraRuleFiles: [],
      logDir: dir,
      checksumMode: 'all',
      sets: [],
      mode,
      env: {},
      quiet: true,
    });
    const counts: SidCounts = { 1: 0, 2: 0, 3: 0, 4: 0 };
    for (const line of readFileSync(join(dir, 'eve.json'), 'utf8').split('\n')) {
      if (line === '') continue;
      const event = JSON.parse(line) as { event_type: string; alert?: { signature_id: number } };
      if (event.event_type !== 'alert' || event.alert === undefined) continue;
      counts[event.alert.signature_id] = (counts[event.alert.signature_id] ?? 0) + 1;
    }
    return counts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds a connection whose client sends `request` through `send`, then the response and the close. */
function conversation(request: string, send: (c: TcpConversation) => void): Uint8Array[] {
  const c = new TcpConversation(CLIENT, SERVER, 40000, 80).handshake();
  send(c);
  c.serverAck(request.length).serverData(RESPONSE, request.length).close(request.length, RESPONSE.length);
  return c.frames;
}

test('evasion pattern split into single bytes', async () => {
  const frames = conversation(EVIL_REQUEST, (c) => {
    for (let i = 0; i < EVIL_REQUEST.length; i++) c.clientData(i, EVIL_REQUEST[i]!);
  });
  const counts = await alertCounts(frames, 'ids');
  assert.equal(counts[1], 1);
  assert.equal(counts[2], 1);
  assert.equal(counts[3], 0);
  assert.equal(counts[4], 1);
});

test('evasion segments out of order', async () => {
  // Four pieces are sent in the order 3, 1, 2, 0, and the split points cut "evil.php" twice.
  const cuts = [0, 6, 10, 20, EVIL_REQUEST.length];
  const frames = conversation(EVIL_REQUEST, (c) => {
    for (const piece of [3, 1, 2, 0]) c.clientData(cuts[piece]!, EVIL_REQUEST.slice(cuts[piece], cuts[piece + 1]));
  });
  const counts = await alertCounts(frames, 'ids');
  assert.equal(counts[1], 1);
  assert.equal(counts[2], 1);
  assert.equal(counts[3], 0);
});

/** Returns the host-os-policy section that gives the server `policy`. */
function policyConfig(policy: string): string[] {
  return ['host-os-policy:', `  ${policy}: [${SERVER}]`];
}

/** Sends "GET ", then `/good.php` at offset 4, then `/evil.php` over it, then the rest. */
function exactOverlapFrames(): Uint8Array[] {
  return conversation(EVIL_REQUEST, (c) => {
    c.clientData(0, 'GET ');
    c.clientData(4, '/good.php');
    c.clientData(4, '/evil.php');
    c.clientData(13, REQUEST_TAIL);
  });
}

/** Sends "GET /" minus the slash, `good.php` at offset 5, then `/evil.php` from offset 4 over it, then the rest. */
function earlierStartOverlapFrames(): Uint8Array[] {
  return conversation(EVIL_REQUEST, (c) => {
    c.clientData(0, 'GET ');
    c.clientData(5, 'good.php');
    c.clientData(4, '/evil.php');
    c.clientData(13, REQUEST_TAIL);
  });
}

const NEW_WINS_SAME_RANGE: ReadonlySet<string> = new Set(['old-linux', 'solaris', 'hpux11']);
const OLD_WINS_EARLIER_START: ReadonlySet<string> = new Set(['vista', 'old-solaris']);

for (const policy of HOST_OS_POLICIES) {
  test(`evasion exact overlap under ${policy}`, async () => {
    const counts = await alertCounts(exactOverlapFrames(), 'ids', policyConfig(policy));
    const evilWins = NEW_WINS_SAME_RANGE.has(policy);
    assert.equal(counts[1], evilWins ? 1 : 0);
    assert.equal(counts[3], evilWins ? 0 : 1);
    assert.equal(counts[2], evilWins ? 1 : 0);
  });

  test(`evasion earlier start overlap under ${policy}`, async () => {
    const counts = await alertCounts(earlierStartOverlapFrames(), 'ids', policyConfig(policy));
    const evilWins = !OLD_WINS_EARLIER_START.has(policy);
    assert.equal(counts[1], evilWins ? 1 : 0);
    assert.equal(counts[3], evilWins ? 0 : 1);
  });
}

test('evasion overlap in ips keeps first copy', async () => {
  const counts = await alertCounts(exactOverlapFrames(), 'ips', policyConfig('solaris'));
  assert.equal(counts[1], 0);
  assert.equal(counts[2], 0);
  assert.equal(counts[3], 1);
});

test('evasion ip fragments in order', async () => {
  const frames = conversation(EVIL_REQUEST, (c) => {
    c.frames.push(...ipv4FragmentFrames(ipv4TcpPacket(c.clientSegment(0, bytesOf(EVIL_REQUEST))), 8));
  });
  const counts = await alertCounts(frames, 'ids');
  assert.equal(counts[1], 1);
  assert.equal(counts[2], 1);
});

test('evasion ip fragments reversed', async () => {
  const frames = conversation(EVIL_REQUEST, (c) => {
    c.frames.push(...ipv4FragmentFrames(ipv4TcpPacket(c.clientSegment(0, bytesOf(EVIL_REQUEST))), 16).reverse());
  });
  const counts = await alertCounts(frames, 'ids');
  assert.equal(counts[1], 1);
  assert.equal(counts[2], 1);
});

// Each target is one the server's path normalisation turns into /evil.php
// (percent and %u escapes decoded, backslashes and repeated slashes made
// one slash, dot segments removed), while the raw bytes do not contain it.
const ENCODED_TARGETS = ['/%65vil%2ephp', '/%u0065vil.php', '/x/..%2fevil.php', '/%2Fevil.php', '/.\\evil.php'];

for (const target of ENCODED_TARGETS) {
  test(`evasion encoded path ${target}`, async () => {
    const request = `GET ${target}${REQUEST_TAIL}`;
    const frames = conversation(request, (c) => {
      c.clientData(0, request);
    });
    const counts = await alertCounts(frames, 'ids');
    assert.equal(counts[1], 1);
    assert.equal(counts[4], 0);
  });
}
