// End-to-end tests of app-layer frames: runCapture reads a small SSH, TLS
// or DNS capture with frame rules and frame events on, and the offsets and
// lengths are compared with what tshark prints for the capture
// (test/pcaps/SOURCES.md names the captures' origins).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../cli/run.js';

const PCAPS = fileURLToPath(new URL('../../../test/pcaps/app/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kapu-frames-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type EveEvent = Record<string, unknown> & { event_type: string };

const CONFIG_WITH_FRAMES = `%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - frame
`;

const CONFIG_WITHOUT_FRAMES = `%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
`;

let caseNumber = 0;

/** Runs `pcap` (under test/pcaps/app/) with `rules` and returns the EVE events. */
async function run(pcap: string, rules: string, config = CONFIG_WITH_FRAMES): Promise<EveEvent[]> {
  const dir = join(scratch, String(++caseNumber));
  const logDir = join(dir, 'log');
  const rulesPath = join(scratch, `${caseNumber}.rules`);
  const configPath = join(scratch, `${caseNumber}.yaml`);
  writeFileSync(rulesPath, rules);
  writeFileSync(configPath, config);
  await runCapture({
    pcapPath: join(PCAPS, pcap),
    configPath,
    ruleFiles: [rulesPath],
    extraRuleFiles: [],
    logDir,
    checksumMode: 'none',
    sets: [],
    mode: 'ids',
    env: {},
    quiet: true,
  });
  return readFileSync(join(logDir, 'eve.json'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EveEvent);
}

function field(e: EveEvent, path: string): unknown {
  let node: unknown = e;
  for (const key of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

function select(events: EveEvent[], match: Record<string, unknown>): EveEvent[] {
  return events.filter((e) => Object.entries(match).every(([path, value]) => field(e, path) === value));
}

test('ssh newkeys header frames', async () => {
  // `tshark -r ssh-curve25519.pcap -Y ssh.message_code -T fields -e tcp.srcport
  // -e tcp.seq -e ssh.message_code -e ssh.packet_length`: the client's KEXINIT
  // (packet_length 1428) at relative seq 22, so stream offset 21, and its
  // NEWKEYS at offset 1501; the server's KEX reply (500) at offset 317 and its
  // NEWKEYS right after it, at 317 + 4 + 500 = 821.
  const events = await run('ssh/ssh-curve25519.pcap', 'alert ssh any any -> any any (frame:ssh.record.hdr; content:"|15|"; endswith; bsize:6; sid:1;)\n');
  const alerts = select(events, { event_type: 'alert', 'alert.signature_id': 1 });
  assert.equal(alerts.length, 2);
  assert.deepEqual(alerts.map((e) => [field(e, 'frame.direction'), field(e, 'frame.stream_offset'), field(e, 'frame.length')]).sort(), [
    ['toclient', 821, 6],
    ['toserver', 1501, 6],
  ]);
  assert.equal(select(events, { event_type: 'frame', 'frame.type': 'record.pdu', 'frame.stream_offset': 21, 'frame.length': 1432, 'frame.direction': 'toserver' }).length, 1);
  assert.equal(select(events, { event_type: 'frame', 'frame.type': 'record.pdu', 'frame.stream_offset': 821, 'frame.length': 16, 'frame.complete': true }).length, 1);
});

test('tls record frames and payload', async () => {
  // `tshark -r tls13-wolfssl.pcap -Y tls -T fields -e tcp.srcport -e tcp.seq
  // -e tls.record.length`: the ClientHello record (199) at offset 0, the
  // server's records of 123 and 23 bytes at offsets 0 and 128.
  const events = await run('tls/tls13-wolfssl.pcap', 'alert tls any any -> any any (flow:to_client; frame:tls.pdu; content:"|17 03 03 00 17|"; startswith; sid:1;)\n');
  assert.equal(select(events, { event_type: 'frame', 'frame.type': 'pdu', 'frame.direction': 'toserver', 'frame.stream_offset': 0, 'frame.length': 204 }).length, 1);
  assert.equal(select(events, { event_type: 'frame', 'frame.type': 'hdr', 'frame.direction': 'toclient', 'frame.stream_offset': 128, 'frame.length': 5 }).length, 1);
  const alerts = select(events, { event_type: 'alert', 'alert.signature_id': 1 });
  assert.equal(alerts.length, 1);
  assert.equal(field(alerts[0] as EveEvent, 'frame.stream_offset'), 128);
  assert.equal(field(alerts[0] as EveEvent, 'frame.length'), 28);
  const payload = Buffer.from(field(alerts[0] as EveEvent, 'frame.payload') as string, 'base64');
  assert.deepEqual([...payload.subarray(0, 5)], [0x17, 0x03, 0x03, 0x00, 0x17]);
  assert.equal(payload.length, 28);
});

test('dns frames over udp and tcp', async () => {
  // `tshark -r dns-tcp.pcapng -Y dns -T fields -e tcp.srcport -e dns.id`:
  // query 0xdf22 over UDP, then 0xb4c3 over TCP. The TCP frame starts after
  // the 2-byte length, so both rules read the id at offset 0.
  const rules = [
    'alert udp any any -> any any (flow:to_server; frame:dns.pdu; content:"|df 22|"; depth:2; sid:1;)',
    'alert tcp any any -> any any (flow:to_server; frame:dns.pdu; content:"|b4 c3|"; depth:2; sid:2;)',
  ].join('\n');
  const events = await run('dns/dns-tcp.pcapng', rules + '\n', CONFIG_WITHOUT_FRAMES);
  assert.equal(select(events, { event_type: 'alert', 'alert.signature_id': 1 }).length, 1);
  const tcp = select(events, { event_type: 'alert', 'alert.signature_id': 2 });
  assert.equal(tcp.length, 1);
  assert.equal(field(tcp[0] as EveEvent, 'frame.stream_offset'), 2);
  assert.equal(select(events, { event_type: 'frame' }).length, 0);
});
