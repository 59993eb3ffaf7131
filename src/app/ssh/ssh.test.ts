import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Direction, IpProto } from '../../core/packet.js';
import { readCaptureFlows, splitPlans } from '../dns/test-support.js';
import { asciiBytes } from '../dns/json-text.js';
import { SshEvent, findSshEvent } from './events.js';
import { MAX_SSH_BANNER_BYTES, MAX_SSH_PRE_BANNER_LINES, parseBannerLine } from './parser.js';
import { SshState } from './state.js';
import { buildSshEve } from './eve.js';
import { getSshBuffer, SshBuffer, SshProtoVersionMatch, SshSoftwareVersionMatch, SSH_KEYWORDS } from './detect.js';
import { probeSsh } from './probe.js';

const PCAP = join(process.cwd(), 'test', 'pcaps', 'app', 'ssh', 'ssh-curve25519.pcap');
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('latin1'));

function feed(state: SshState, direction: number, bytes: Uint8Array, plan: number[]): void {
  let at = 0;
  for (const n of plan) {
    state.handleData(direction, bytes, at, n, 0);
    at += n;
  }
}

function summary(state: SshState): string {
  const tx = state.tx;
  return JSON.stringify([buildSshEve(tx), tx.isToServerEncrypted, tx.isToClientEncrypted, state.counters.packets, tx.events]);
}

test('ssh banners and newkeys from capture', () => {
  // tshark -r ssh-curve25519.pcap -Y ssh.protocol -T fields -e ssh.protocol:
  // client SSH-2.0-OpenSSH_7.4, server SSH-2.0-OpenSSH_7.5. Message codes
  // before encryption (-e ssh.message_code): client 20, 30, 21; server 20, 31, 21.
  const flow = readCaptureFlows(PCAP).find((f) => f.ipProto === IpProto.TCP)!;
  let expected: string | null = null;
  for (const d of [Direction.TO_SERVER, Direction.TO_CLIENT]) assert.ok(flow.streams[d].length > 0);
  const plans = [0, 1, 2, 3, 4, 5, 6].map((i) => [splitPlans(flow.streams[0].length, 7, 5)[i], splitPlans(flow.streams[1].length, 8, 5)[i]]);
  for (const [toServer, toClient] of plans) {
    const state = new SshState();
    feed(state, Direction.TO_SERVER, flow.streams[0], toServer);
    feed(state, Direction.TO_CLIENT, flow.streams[1], toClient);
    const got = summary(state);
    if (expected === null) expected = got;
    assert.equal(got, expected);
  }
  assert.equal(
    expected,
    JSON.stringify([
      '{"client":{"proto_version":"2.0","software_version":"OpenSSH_7.4"},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.5"}}',
      true,
      true,
      6,
      [],
    ]),
  );
});

test('ssh banner with comments', () => {
  const b = parseBannerLine(asciiBytes('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1'))!;
  assert.equal(text(b.protoVersion), '2.0');
  assert.equal(text(b.softwareVersion), 'OpenSSH_8.9p1');
  assert.equal(text(b.comments), 'Ubuntu-3ubuntu0.1');
  assert.equal(parseBannerLine(asciiBytes('SSH-2.0')), null);
  assert.equal(parseBannerLine(asciiBytes('SSH--x')), null);
});

test('ssh server lines before banner', () => {
  const state = new SshState();
  const bytes = asciiBytes('hello there\r\nSSH-1.99-OpenSSH_3.9p1\r\n');
  state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
  assert.equal(text(state.tx.server!.protoVersion), '1.99');
  assert.deepEqual(state.tx.events, []);
});

test('ssh client line before banner is invalid', () => {
  const state = new SshState();
  const bytes = asciiBytes('GET / HTTP/1.1\r\n');
  state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, [SshEvent.INVALID_BANNER]);
  assert.equal(state.tx.client, null);
});

test('ssh server pre-banner line limit', () => {
  const state = new SshState();
  const bytes = asciiBytes('x\n'.repeat(MAX_SSH_PRE_BANNER_LINES + 1));
  state.handleData(Direction.TO_CLIENT, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, [SshEvent.INVALID_BANNER]);
});

test('ssh banner above length limit', () => {
  const state = new SshState();
  const bytes = asciiBytes('SSH-2.0-' + 'A'.repeat(MAX_SSH_BANNER_BYTES) + '\r\n');
  state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, [SshEvent.LONG_BANNER]);
  assert.equal(state.tx.client!.softwareVersion.length, MAX_SSH_BANNER_BYTES - 8);
});

test('ssh packet length invalid', () => {
  const state = new SshState();
  const bytes = Uint8Array.from([...asciiBytes('SSH-2.0-x\r\n'), 0xff, 0xff, 0xff, 0xff, 4, 20]);
  state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, [SshEvent.INVALID_RECORD]);
});

test('ssh buffers and value keywords', () => {
  const state = new SshState();
  const c = asciiBytes('SSH-2.0-OpenSSH_for_Windows_7.7\r\n');
  const s = asciiBytes('SSH-1.99-OpenSSH_7.4\r\n');
  state.handleData(Direction.TO_SERVER, c, 0, c.length, 0);
  state.handleData(Direction.TO_CLIENT, s, 0, s.length, 0);
  const tx = state.tx;
  assert.equal(text(getSshBuffer(tx, SshBuffer.PROTO, Direction.TO_SERVER)), '2.0');
  assert.equal(text(getSshBuffer(tx, SshBuffer.SOFTWARE, Direction.TO_CLIENT)), 'OpenSSH_7.4');
  assert.equal(new SshProtoVersionMatch(asciiBytes('2.0'), false).matchTx(tx, Direction.TO_SERVER), true);
  assert.equal(new SshProtoVersionMatch(asciiBytes('2.0'), false).matchTx(tx, Direction.TO_CLIENT), false);
  assert.equal(new SshProtoVersionMatch(asciiBytes('2_compat'), true).matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(new SshSoftwareVersionMatch(asciiBytes('OpenSSH')).matchTx(tx, Direction.TO_CLIENT), true);
  assert.equal(new SshSoftwareVersionMatch(asciiBytes('PuTTY')).matchTx(tx, Direction.TO_CLIENT), false);
  const names = SSH_KEYWORDS.flatMap((k) => [k.name, ...(k.aliases ?? [])]).sort();
  assert.deepEqual(names, [
    'ssh.hassh',
    'ssh.hassh.server',
    'ssh.hassh.server.string',
    'ssh.hassh.string',
    'ssh.proto',
    'ssh.protoversion',
    'ssh.software',
    'ssh.softwareversion',
    'ssh_proto',
    'ssh_software',
  ]);
});

test('ssh eve one side only', () => {
  const state = new SshState();
  const c = asciiBytes('SSH-2.0-OpenSSH_for_Windows_7.7\r\n');
  state.handleData(Direction.TO_SERVER, c, 0, c.length, 0);
  assert.equal(buildSshEve(state.tx), '{"client":{"proto_version":"2.0","software_version":"OpenSSH_for_Windows_7.7"}}');
});

test('ssh event names match the rules file', () => {
  for (const name of ['invalid_banner', 'long_banner', 'invalid_record']) assert.ok(findSshEvent(name) >= 0, name);
});

test('ssh probe', () => {
  assert.equal(probeSsh(asciiBytes('SSH-2.0-x'), 0, 9, 0), 'yes');
  assert.equal(probeSsh(asciiBytes('SS'), 0, 2, 0), 'need_more');
  assert.equal(probeSsh(asciiBytes('GET /'), 0, 5, 0), 'no');
});

test('ssh hassh from capture', () => {
  // tshark -r ssh-curve25519.pcap -Y ssh.message_code==20 -T fields
  //   -e ssh.kex.hassh -e ssh.kex.hasshserver -e ssh.kex.hasshserver_algorithms
  const flow = readCaptureFlows(PCAP).find((f) => f.ipProto === IpProto.TCP)!;
  for (const plan of ['whole', 'bytes'] as const) {
    const state = new SshState();
    for (const d of [Direction.TO_SERVER, Direction.TO_CLIENT]) {
      const stream = flow.streams[d];
      feed(state, d, stream, plan === 'whole' ? [stream.length] : new Array<number>(stream.length).fill(1));
    }
    const tx = state.tx;
    assert.equal(tx.clientHassh, '0df0d56bb50c6b2426d8d40234bf1826');
    assert.equal(tx.serverHassh, 'a95c22bf8e9b19ed0a5dc74bb2f9c613');
    assert.equal(tx.serverHasshString, 'curve25519-sha256;chacha20-poly1305@openssh.com;hmac-sha2-512-etm@openssh.com;none,zlib@openssh.com');
    assert.equal(text(getSshBuffer(tx, SshBuffer.HASSH, Direction.TO_SERVER)), '0df0d56bb50c6b2426d8d40234bf1826');
    assert.equal(getSshBuffer(tx, SshBuffer.HASSH, Direction.TO_CLIENT), null);
    assert.equal(text(getSshBuffer(tx, SshBuffer.HASSH_SERVER, Direction.TO_CLIENT)), 'a95c22bf8e9b19ed0a5dc74bb2f9c613');
    const eve = JSON.parse(buildSshEve(tx, true));
    assert.equal(eve.client.hassh.hash, '0df0d56bb50c6b2426d8d40234bf1826');
    assert.equal(eve.server.hassh.string, tx.serverHasshString);
    assert.equal(JSON.parse(buildSshEve(tx)).client.hassh, undefined);
  }
});

test('ssh kexinit with broken name-list', () => {
  // KEXINIT (code 20) whose first name-list claims 0xffff bytes.
  const payload = [20, ...new Array<number>(16).fill(0), 0, 0, 0xff, 0xff, 0x61];
  const padding = 4;
  const packetLength = 1 + payload.length + padding;
  const bytes = Uint8Array.from([
    ...asciiBytes('SSH-2.0-x\r\n'),
    0, 0, packetLength >> 8, packetLength & 0xff, padding, ...payload, 0, 0, 0, 0,
  ]);
  const state = new SshState();
  state.handleData(Direction.TO_SERVER, bytes, 0, bytes.length, 0);
  assert.deepEqual(state.tx.events, [SshEvent.INVALID_RECORD]);
  assert.equal(state.tx.clientHassh, null);
});
