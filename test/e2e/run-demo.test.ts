// End-to-end tests of `kapu run` on the bundled demo: the command runs as a
// user runs it, and its EVE output is compared with samples/expected-alerts.json,
// whose frames were worked out with tshark display filters
// (samples/derive-expected.sh), independently of kapu.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const KAPU = join(ROOT, 'bin', 'kapu.js');
const scratch = mkdtempSync(join(tmpdir(), 'kapu-e2e-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface ExpectedAlert {
  gid: number;
  sid: number;
  rev: number;
  count: number;
  frames: number[];
  /** Frames of the alert in IDS mode when it matches the reassembled stream, if they differ from `frames`. */
  streamFrames?: number[];
}

interface ExpectedFile {
  totalAlerts: number;
  alerts: ExpectedAlert[];
  ipsDrops: { gid: number; sid: number; frames: number[] }[];
}

type EveEvent = Record<string, unknown> & { event_type: string; pcap_cnt?: number };

function runKapu(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [KAPU, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function readEve(dir: string): EveEvent[] {
  return readFileSync(join(dir, 'eve.json'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EveEvent);
}

function alertFrames(events: EveEvent[]): Map<number, number[]> {
  const frames = new Map<number, number[]>();
  for (const e of events) {
    if (e.event_type !== 'alert') continue;
    const sid = (e['alert'] as { signature_id: number }).signature_id;
    const list = frames.get(sid) ?? [];
    list.push(e.pcap_cnt as number);
    frames.set(sid, list);
  }
  for (const list of frames.values()) list.sort((a, b) => a - b);
  return frames;
}

const expected = JSON.parse(readFileSync(join(ROOT, 'samples', 'expected-alerts.json'), 'utf8')) as ExpectedFile;

test('run demo alerts on expected frames', () => {
  const out = join(scratch, 'ids');
  const result = runKapu(['run', '-c', 'samples/demo.yaml', '-r', 'samples/demo.pcap', '-l', out]);
  assert.equal(result.status, 0, result.stderr);

  const frames = alertFrames(readEve(out));
  for (const alert of expected.alerts) {
    assert.deepEqual(frames.get(alert.sid) ?? [], alert.streamFrames ?? alert.frames, `sid ${alert.sid}`);
  }
  const total = [...frames.values()].reduce((sum, list) => sum + list.length, 0);
  assert.equal(total, expected.totalAlerts);
  assert.match(result.stdout, new RegExp(`alerts\\s+${expected.totalAlerts}\\b`));
});

test('run demo writes fast.log lines', () => {
  const out = join(scratch, 'fast');
  const result = runKapu(['run', '-c', 'samples/demo.yaml', '-r', 'samples/demo.pcap', '-l', out, '--quiet']);
  assert.equal(result.status, 0, result.stderr);
  const lines = readFileSync(join(out, 'fast.log'), 'utf8').trim().split('\n');
  assert.equal(lines.length, expected.totalAlerts);
  const root = lines.find((line) => line.includes('[1:2100498:7]'));
  assert.ok(root !== undefined);
  assert.match(root, /\[\*\*\] \[1:2100498:7\] GPL ATTACK_RESPONSE id check returned root \[\*\*\] \[Classification: Potentially Bad Traffic\] \[Priority: 2\] \{TCP\} 203\.0\.113\.2:\d+ -> 198\.51\.100\.2:\d+$/);
});

test('run demo in ips mode blocks', () => {
  const out = join(scratch, 'ips');
  const result = runKapu(['run', '-c', 'samples/demo.yaml', '-r', 'samples/demo.pcap', '-l', out, '--simulate-ips', '--quiet']);
  assert.equal(result.status, 0, result.stderr);
  const events = readEve(out);

  for (const drop of expected.ipsDrops) {
    const alerts = events.filter((e) => e.event_type === 'alert' && (e['alert'] as { signature_id: number }).signature_id === drop.sid);
    assert.deepEqual(alerts.map((e) => e.pcap_cnt), drop.frames);
    for (const alert of alerts) assert.equal((alert['alert'] as { action: string }).action, 'blocked');

    const drops = events.filter((e) => e.event_type === 'drop' && drop.frames.includes(e.pcap_cnt as number));
    assert.equal(drops.length, drop.frames.length);
    assert.equal((drops[0]?.['drop'] as { reason: string }).reason, 'rules');
  }
  // The drop ends the flow: tshark -r samples/demo.pcap shows frames 161 to
  // 166 as the rest of the 50558 -> 4444 connection, each dropped unseen.
  const firstDrop = events.find((e) => e.event_type === 'drop' && e.pcap_cnt === 160);
  const flowId = firstDrop?.['flow_id'];
  const flowDrops = events.filter((e) => e.event_type === 'drop' && e['flow_id'] === flowId && e.pcap_cnt !== 160);
  assert.deepEqual(flowDrops.map((e) => e.pcap_cnt), [161, 162, 163, 164, 165, 166]);
  for (const drop of flowDrops) assert.equal((drop['drop'] as { reason: string }).reason, 'flow drop');
  const flowRecord = events.find((e) => e.event_type === 'flow' && e['flow_id'] === flowId);
  assert.equal((flowRecord?.['flow'] as { action?: string }).action, 'drop');

  // Alert rules never block: every other alert stays allowed.
  const allowed = events.filter((e) => e.event_type === 'alert' && (e['alert'] as { action: string }).action === 'allowed');
  assert.equal(allowed.length, expected.totalAlerts - expected.ipsDrops.length);
});

test('run demo drop rule only alerts in ids', () => {
  const out = join(scratch, 'ids-drop');
  const result = runKapu(['run', '-c', 'samples/demo.yaml', '-r', 'samples/demo.pcap', '-l', out, '--quiet']);
  assert.equal(result.status, 0, result.stderr);
  const events = readEve(out);
  assert.equal(events.filter((e) => e.event_type === 'drop').length, 0);
  const sled = events.find((e) => e.event_type === 'alert' && (e['alert'] as { signature_id: number }).signature_id === 1000004);
  assert.equal((sled?.['alert'] as { action: string }).action, 'allowed');
});

test('run writes flow and stats events', () => {
  const out = join(scratch, 'records');
  const result = runKapu(['run', '-c', 'samples/demo.yaml', '-r', 'samples/demo.pcap', '-l', out, '--quiet']);
  assert.equal(result.status, 0, result.stderr);
  const events = readEve(out);
  const stats = events.filter((e) => e.event_type === 'stats');
  assert.equal(stats.length, 1);
  const counters = stats[0]?.['stats'] as { decoder: { pkts: number }; detect: { alert: number } };
  // capinfos samples/demo.pcap: 176 packets.
  assert.equal(counters.decoder.pkts, 176);
  assert.equal(counters.detect.alert, expected.totalAlerts);
  const flows = events.filter((e) => e.event_type === 'flow');
  assert.ok(flows.length > 0);
});

test('run missing capture exits 1', () => {
  const result = runKapu(['run', '-r', join(scratch, 'missing.pcap'), '-l', join(scratch, 'missing'), '--quiet']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /missing\.pcap/);
});

test('run bad config value exits 2', () => {
  const result = runKapu(['run', '-r', 'samples/demo.pcap', '-l', join(scratch, 'badset'), '--set', 'flow.memcap=12 parsecs', '--quiet']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /flow\.memcap/);
  assert.match(result.stderr, /12 parsecs/);
});

test('run unknown option exits 2', () => {
  const result = runKapu(['run', '-r', 'samples/demo.pcap', '--no-such-option']);
  assert.equal(result.status, 2);
});

test('run bad rule keeps others', () => {
  const rules = join(scratch, 'mixed.rules');
  const text = [
    'alert icmp any any -> any any (msg:"echo request"; itype:8; sid:9000001; rev:1;)',
    'alert icmp any any -> any any (msg:"broken"; itype:eight; sid:9000002; rev:1;)',
  ].join('\n');
  writeFileSync(rules, text + '\n');
  const out = join(scratch, 'mixed');
  const result = runKapu(['run', '-r', 'samples/demo.pcap', '-S', rules, '-l', out]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /mixed\.rules:2:\d+: error: .*itype.*sid:9000002/);
  const frames = alertFrames(readEve(out));
  // tshark -r samples/demo.pcap -Y 'icmp.type == 8' lists frames 1, 3, 5, 91 and 93.
  assert.deepEqual(frames.get(9000001), [1, 3, 5, 91, 93]);
});

test('run log folder is file', () => {
  const file = join(scratch, 'not-a-folder');
  writeFileSync(file, '');
  const result = runKapu(['run', '-r', 'samples/demo.pcap', '-l', file, '--quiet']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /log folder '.*not-a-folder' is a file, not a folder; give another path with -l \[KAPU_ERR_OUTPUT_OPEN_FAILED\]/);
});

test('run missing config exits 2', () => {
  const result = runKapu(['run', '-r', 'samples/demo.pcap', '-c', join(scratch, 'none.yaml'), '-l', join(scratch, 'noconfig'), '--quiet']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /none\.yaml: config file not found \[KAPU_ERR_CONFIG_NOT_FOUND\]/);
});

test('run stops at corrupt record', () => {
  // samples/demo.pcap: 24-byte file header, then records of a 16-byte
  // header plus the frame. The third record's captured length (bytes 8 to
  // 11 of its header) is set to 0x7fffffff, past any valid record.
  const bytes = readFileSync(join(ROOT, 'samples', 'demo.pcap'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isLittleEndian = view.getUint32(0, true) === 0xa1b2c3d4;
  let at = 24;
  for (let i = 0; i < 2; i++) at += 16 + view.getUint32(at + 8, isLittleEndian);
  view.setUint32(at + 8, 0x7fffffff, isLittleEndian);
  const corrupt = join(scratch, 'corrupt.pcap');
  writeFileSync(corrupt, bytes);

  const out = join(scratch, 'corrupt');
  const result = runKapu(['run', '-r', corrupt, '-l', out]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /warning: .*corrupt\.pcap.*the capture ends there, after 2 packets/);
  assert.match(result.stdout, /packets\s+2 /);
});
