/**
 * Stream reassembly end to end: captures from test/pcaps/stream/ (copied
 * from suricata-verify) through `runCapture`, with the rules and alert
 * options of the suricata-verify cases they come from. Expected alerts are
 * those cases' test.yaml checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../cli/run.js';

const PCAPS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'pcaps', 'stream');

const CONFIG = [
  'outputs:',
  '  - eve-log:',
  '      enabled: yes',
  '      filename: eve.json',
  '      types:',
  '        - alert:',
  '            payload: yes',
  '            payload-printable: yes',
  '            packet: yes',
  '        - drop',
  '        - stats',
  '',
].join('\n');

interface Alert {
  sid: number;
  pcapCnt: number | undefined;
  stream: number;
  payload: string;
  pktSrc: string;
  packet: string;
}

/** Runs `pcap` with `rules` in `mode` and returns the alerts in output order. */
async function alertsOf(pcap: string, rules: string, mode: 'ids' | 'ips'): Promise<Alert[]> {
  return (await eventsOf(pcap, rules, mode, [])).alerts;
}

interface RunEvents {
  alerts: Alert[];
  /** drop.reason and pcap_cnt of each drop event. */
  drops: string[];
  stats: Record<string, unknown>;
}

/** Runs `pcap` and returns its alerts, drops and the final stats object. */
async function eventsOf(pcap: string, rules: string, mode: 'ids' | 'ips', sets: string[]): Promise<RunEvents> {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-stream-'));
  try {
    writeFileSync(join(dir, 'kapu.yaml'), CONFIG);
    writeFileSync(join(dir, 'test.rules'), rules);
    await runCapture({
      pcapPath: join(PCAPS, pcap),
      configPath: join(dir, 'kapu.yaml'),
      ruleFiles: [join(dir, 'test.rules')],
      extraRuleFiles: [],
      logDir: dir,
      checksumMode: 'none',
      sets,
      mode,
      env: {},
      quiet: true,
    });
    const alerts: Alert[] = [];
    const drops: string[] = [];
    let stats: Record<string, unknown> = {};
    for (const line of readFileSync(join(dir, 'eve.json'), 'utf8').split('\n')) {
      if (line === '') continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      if (event['event_type'] === 'drop') drops.push((event['drop'] as { reason: string }).reason + '@' + String(event['pcap_cnt']));
      if (event['event_type'] === 'stats') stats = event['stats'] as Record<string, unknown>;
      if (event['event_type'] !== 'alert') continue;
      const alert = event['alert'] as { signature_id: number };
      alerts.push({
        sid: alert.signature_id,
        pcapCnt: event['pcap_cnt'] as number | undefined,
        stream: event['stream'] as number,
        payload: event['payload_printable'] as string,
        pktSrc: event['pkt_src'] as string,
        packet: event['packet'] as string,
      });
    }
    return { alerts, drops, stats };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const OVERLAP_RULES = [
  'alert tcp-stream any any -> any any (content:"EVIL"; sid:1;)',
  'alert tcp-stream any any -> any any (content:"GOOD"; sid:2;)',
  'alert tcp-pkt any any -> any any (content:"EVIL"; sid:3;)',
  'alert tcp-pkt any any -> any any (content:"GOOD"; sid:4;)',
  '',
].join('\n');
/** The frame of the first segment ("GOOD" at seq 2), as suricata-verify's checks quote it. */
const GOOD_FRAME = 'BQQDAgEAAAECAwQFgQAABggARQAALAABAABABnTGAQEBAQICAgIwOR+QAAAAAgAAA+lQEBAAr4MAAEdPT0Q=';

test('capture exact overlap in ids', async () => {
  // eve-overlap-payload-01: "GOOD" then "EVIL" at the same sequence number;
  // the default policy keeps "GOOD", inspected at flow end.
  const alerts = await alertsOf('tcp-overlap-exact.pcap', OVERLAP_RULES, 'ids');
  assert.deepEqual(alerts.map((a) => a.sid).sort(), [2, 3, 4]);
  const stream = alerts.find((a) => a.sid === 2) as Alert;
  assert.equal(stream.stream, 1);
  assert.equal(stream.payload, 'GOOD');
  assert.equal(stream.pktSrc, 'stream (flow timeout)');
  assert.equal(stream.pcapCnt, undefined);
  const evil = alerts.find((a) => a.sid === 3) as Alert;
  assert.equal(evil.pcapCnt, 6);
  assert.equal(evil.stream, 0);
});

test('capture exact overlap in ips', async () => {
  // eve-overlap-payload-03-ips: the first data wins and the retransmission
  // is rewritten to it, so "EVIL" is never seen and "GOOD" alerts twice.
  const alerts = await alertsOf('tcp-overlap-exact.pcap', OVERLAP_RULES, 'ips');
  assert.deepEqual(alerts.map((a) => a.sid + '@' + a.pcapCnt + '/' + a.stream), ['2@5/1', '4@5/0', '2@6/1', '4@6/0']);
  for (const alert of alerts) {
    assert.equal(alert.payload, 'GOOD');
    assert.equal(alert.packet, GOOD_FRAME);
  }
});

test('capture gap at flow end', async () => {
  // eve-overlap-payload-05-gap: "VERY", 4 bytes never seen, "DATA".
  const rules = [
    'alert tcp-stream any any -> any any (content:"VERY"; sid:1;)',
    'alert tcp-stream any any -> any any (content:"DATA"; sid:3;)',
    'alert tcp-stream any any -> any any (content:"VERYGOODDATA"; sid:7;)',
    '',
  ].join('\n');
  const alerts = await alertsOf('tcp-gap.pcap', rules, 'ids');
  assert.deepEqual(alerts.map((a) => a.sid).sort(), [1, 3]);
  for (const alert of alerts) {
    assert.equal(alert.payload, 'VERY[4 bytes missing]DATA');
    assert.equal(alert.pktSrc, 'stream (flow timeout)');
  }
});

test('capture reassembly memcap by mode', async () => {
  // A 1-byte stream.reassembly.memcap leaves no room for the first 4 KiB buffer step.
  const sets = ['stream.reassembly.memcap=1'];
  const ids = await eventsOf('tcp-overlap-exact.pcap', OVERLAP_RULES, 'ids', sets);
  const idsTcp = ids.stats['tcp'] as Record<string, unknown>;
  assert.equal(idsTcp['segment_memcap_drop'], 2, 'both data segments are not stored');
  assert.deepEqual(idsTcp['reassembly_exception_policy'], {
    ignore: 2, drop_packet: 0, drop_flow: 0, pass_packet: 0, pass_flow: 0, bypass: 0, reject: 0,
  });
  assert.deepEqual(ids.drops, []);
  // Without stream data, packet rules still see both payloads; stream rules see nothing.
  assert.deepEqual(ids.alerts.map((a) => a.sid).sort(), [3, 4]);

  // In IPS mode auto means drop-flow: the first data packet and the rest of the flow are dropped.
  const ips = await eventsOf('tcp-overlap-exact.pcap', OVERLAP_RULES, 'ips', sets);
  const ipsTcp = ips.stats['tcp'] as Record<string, unknown>;
  assert.equal((ipsTcp['reassembly_exception_policy'] as Record<string, number>)['drop_flow'], 1);
  // The drop log writes the first dropped packet of each flow direction (flows: start).
  assert.deepEqual(ips.drops, ['stream memcap@5', 'flow drop@7']);
  assert.equal((ips.stats['ips'] as Record<string, number>)['blocked'], 3);
  assert.deepEqual(ips.alerts, []);
});
