/**
 * `kapu run -r --workers N`: the same capture gives the same events with
 * one thread and with four worker threads, also for rules whose state
 * crosses flows (thresholds by rule, source and destination, hostbits)
 * and flows (flowbits). The capture interleaves 96 connections frame by
 * frame, so connections of different address pairs, which go to
 * different workers, alternate all the time. The expected alerts are
 * worked out here from the order of the frames and the documented
 * semantics of each keyword.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from './run.js';
import { parseWorkers } from './main.js';
import { TcpConversation, writePcap } from '../test-support/packet-craft.js';
import { addressPairHash } from '../engine/workers/dispatch-hash.js';
import { tcpFrame, TcpFlag } from '../test-support/packet-craft.js';

const CLIENTS = 16;
const SERVERS = 4;

const RULES = `
alert tcp any any -> any 80 (msg:"login sets the host bit"; content:"LOGIN"; hostbits:set,logged_in,src; sid:1;)
alert tcp any any -> any 80 (msg:"data from a logged-in host"; content:"DATA"; hostbits:isset,logged_in,src; sid:2;)
alert tcp any any -> any 80 (msg:"first three data packets"; content:"DATA"; threshold:type limit, track by_rule, count 3, seconds 600; sid:3;)
alert tcp any any -> any 80 (msg:"every second ping of a source"; content:"PING"; threshold:type threshold, track by_src, count 2, seconds 600; sid:4;)
alert tcp any any -> any 80 (msg:"pings past five per target"; content:"PING"; detection_filter:track by_dst, count 5, seconds 600; sid:5;)
alert tcp any any -> any 80 (msg:"user seen"; content:"USER"; flowbits:set,user_seen; flowbits:noalert; sid:6;)
alert tcp any any -> any 80 (msg:"password after user"; content:"PASS"; flowbits:isset,user_seen; sid:7;)
`;

interface Conversation {
  client: string;
  server: string;
  /** Client payloads, in order. */
  messages: string[];
  frames: Uint8Array[];
}

const clientAddr = (c: number): string => `198.51.100.${c + 1}`;
const serverAddr = (s: number): string => `203.0.113.${s + 1}`;

/**
 * Builds the connections: every client pings every server; odd clients
 * log in at server 0; every client sends DATA to servers 1 to 3; USER
 * and PASS follow each other in the connections to server 2 of even
 * clients, while odd clients send PASS alone.
 */
function conversations(): Conversation[] {
  const list: Conversation[] = [];
  let port = 40000;
  const add = (c: number, s: number, messages: string[]): void => {
    const conv = new TcpConversation(clientAddr(c), serverAddr(s), port++, 80).handshake();
    let offset = 0;
    for (const m of messages) {
      conv.clientData(offset, m);
      offset += m.length;
      conv.serverAck(offset);
    }
    conv.close(offset);
    list.push({ client: clientAddr(c), server: serverAddr(s), messages, frames: conv.frames });
  };
  for (let c = 0; c < CLIENTS; c++) {
    for (let s = 0; s < SERVERS; s++) add(c, s, ['PING']);
    if (c % 2 === 1) add(c, 0, ['LOGIN']);
    for (let s = 1; s < SERVERS; s++) add(c, s, ['DATA']);
    add(c, 2, c % 2 === 0 ? ['USER', 'PASS'] : ['PASS']);
  }
  return list;
}

/** Interleaves the connections frame by frame and records which payload each frame carries. */
function interleave(list: Conversation[]): { frames: Uint8Array[]; payloads: Array<{ conv: Conversation; message: string } | null> } {
  const frames: Uint8Array[] = [];
  const payloads: Array<{ conv: Conversation; message: string } | null> = [];
  const maxFrames = Math.max(...list.map((c) => c.frames.length));
  for (let i = 0; i < maxFrames; i++) {
    for (const conv of list) {
      const frame = conv.frames[i];
      if (frame === undefined) continue;
      frames.push(frame);
      // Frames 3, 5, 7 ... of a connection carry its messages (after the handshake, each followed by an ACK).
      const m = i >= 3 && (i - 3) % 2 === 0 ? conv.messages[(i - 3) / 2] : undefined;
      payloads.push(m === undefined ? null : { conv, message: m });
    }
  }
  return { frames, payloads };
}

/** The alerts each rule must raise, as `sid src dst` lines, worked out from the frame order. */
function expectedAlerts(payloads: ReturnType<typeof interleave>['payloads']): string[] {
  const out: string[] = [];
  const loggedIn = new Set<string>();
  let dataSeen = 0;
  const pingsBySource = new Map<string, number>();
  const pingsByTarget = new Map<string, number>();
  for (const entry of payloads) {
    if (entry === null) continue;
    const { conv, message } = entry;
    const key = `${conv.client} ${conv.server}`;
    if (message === 'LOGIN') {
      loggedIn.add(conv.client);
      out.push(`1 ${key}`);
    } else if (message === 'DATA') {
      if (loggedIn.has(conv.client)) out.push(`2 ${key}`);
      dataSeen++;
      // limit, by_rule, count 3: the first three matches of the rule alert, from any source.
      if (dataSeen <= 3) out.push(`3 ${key}`);
    } else if (message === 'PING') {
      const bySource = (pingsBySource.get(conv.client) ?? 0) + 1;
      pingsBySource.set(conv.client, bySource);
      // type threshold, count 2: every second match of a source alerts.
      if (bySource % 2 === 0) out.push(`4 ${key}`);
      const byTarget = (pingsByTarget.get(conv.server) ?? 0) + 1;
      pingsByTarget.set(conv.server, byTarget);
      // detection_filter count 5: matches past the fifth alert.
      if (byTarget > 5) out.push(`5 ${key}`);
    } else if (message === 'PASS') {
      if (conv.messages.includes('USER')) out.push(`7 ${key}`);
    }
  }
  return out.sort();
}

function alertKeys(logDir: string): { bySid: string[]; records: string[] } {
  const lines = readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n').filter((l) => l !== '');
  const alerts = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((e) => e['event_type'] === 'alert');
  return {
    bySid: alerts.map((e) => `${e['alert'].signature_id} ${e['src_ip']} ${e['dest_ip']}`).sort(),
    // The comparison key of the two runs: pcap_cnt, gid, sid, flow_id.
    records: alerts.map((e) => [e['pcap_cnt'], e['alert'].gid, e['alert'].signature_id, e['flow_id']].join(' ')).sort(),
  };
}

function eventLines(logDir: string): string[] {
  const lines = readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n').filter((l) => l !== '');
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e['event_type'] !== 'stats')
    .map((e) => JSON.stringify(e))
    .sort();
}

test('workers 1 and 4: same alerts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-workers-'));
  try {
    const { frames, payloads } = interleave(conversations());
    const pcap = join(dir, 'interleaved.pcap');
    writePcap(pcap, frames);
    const rules = join(dir, 'cross-flow.rules');
    writeFileSync(rules, RULES);
    const options = { pcapPath: pcap, configPath: null, ruleFiles: [rules], extraRuleFiles: [], checksumMode: null, sets: [], mode: null, env: {}, quiet: true };

    const one = await runCapture({ ...options, logDir: join(dir, 'one') });
    const four = await runCapture({ ...options, logDir: join(dir, 'four'), workers: 4 });

    const expected = expectedAlerts(payloads);
    const oneAlerts = alertKeys(join(dir, 'one'));
    const fourAlerts = alertKeys(join(dir, 'four'));
    assert.deepEqual(oneAlerts.bySid, expected);
    assert.deepEqual(fourAlerts.bySid, expected);
    assert.deepEqual(fourAlerts.records, oneAlerts.records);
    assert.equal(four.alerts, one.alerts);
    assert.equal(four.packets, frames.length);
    assert.equal(four.flows, one.flows);
    // Every event but the stats, field for field.
    assert.deepEqual(eventLines(join(dir, 'four')), eventLines(join(dir, 'one')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the four workers all get connections, so the comparison crosses threads', () => {
  const used = new Set<number>();
  for (const conv of conversations()) {
    const frame = conv.frames[0] as Uint8Array;
    used.add(addressPairHash(frame, 1) % 4);
  }
  assert.equal(used.size, 4);
});

test('both directions of a connection go to the same worker', () => {
  const there = tcpFrame({ src: '198.51.100.7', dst: '203.0.113.9', sport: 1234, dport: 80, seq: 1, ack: 0, flags: TcpFlag.SYN });
  const back = tcpFrame({ src: '203.0.113.9', dst: '198.51.100.7', sport: 80, dport: 1234, seq: 1, ack: 2, flags: TcpFlag.SYN | TcpFlag.ACK });
  const other = tcpFrame({ src: '198.51.100.8', dst: '203.0.113.9', sport: 1234, dport: 80, seq: 1, ack: 0, flags: TcpFlag.SYN });
  assert.equal(addressPairHash(there, 1), addressPairHash(back, 1));
  assert.notEqual(addressPairHash(there, 1), addressPairHash(other, 1));
});

test('--workers takes a count from 1 to 64 or auto', () => {
  assert.equal(parseWorkers('4'), 4);
  assert.ok(parseWorkers('auto') >= 1);
  assert.throws(() => parseWorkers('0'), /--workers '0' is not valid; give a whole number from 1 to 64, or auto/);
  assert.throws(() => parseWorkers('2.5'), /--workers '2.5' is not valid/);
  assert.throws(() => parseWorkers('65'), /--workers '65' is not valid/);
});
