// End-to-end tests of the packet path's IPS decisions: runCapture reads a
// capture with a small rule set, and the EVE events are compared with the
// checks of the suricata-verify cases the captures come from
// (test/pcaps/SOURCES.md names each case).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../cli/run.js';

const PCAPS = fileURLToPath(new URL('../../../test/pcaps/engine/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kapu-pipeline-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type EveEvent = Record<string, unknown> & { event_type: string; pcap_cnt?: number };

const IPS_CONFIG = `%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      pcap-file: yes
      types:
        - alert:
            verdict: yes
        - drop:
            alerts: yes
            flows: start
        - flow
action-order:
`;

/** Options of one run: mode, threshold.config text, and the config's action-order. */
interface RunSettings {
  mode?: 'ids' | 'ips';
  thresholdConfig?: string;
  actionOrder?: string[];
}

let caseNumber = 0;

/**
 * Runs `pcap` with `rules` (in IPS mode and action order drop, pass,
 * reject, alert unless `settings` says otherwise) and returns the EVE events.
 */
async function runIps(pcap: string, rules: string, settings: RunSettings = {}): Promise<EveEvent[]> {
  const mode = settings.mode ?? 'ips';
  const thresholdConfig = settings.thresholdConfig ?? null;
  const actionOrder = settings.actionOrder ?? ['drop', 'pass', 'reject', 'alert'];
  const dir = join(scratch, String(++caseNumber));
  const logDir = join(dir, 'log');
  const rulesPath = join(scratch, `${caseNumber}.rules`);
  const configPath = join(scratch, `${caseNumber}.yaml`);
  writeFileSync(rulesPath, rules);
  writeFileSync(configPath, IPS_CONFIG + actionOrder.map((action) => `  - ${action}\n`).join(''));
  const sets: string[] = [];
  if (thresholdConfig !== null) {
    const thresholdPath = join(scratch, `${caseNumber}.threshold.config`);
    writeFileSync(thresholdPath, thresholdConfig);
    sets.push(`threshold-file=${thresholdPath}`);
  }
  await runCapture({
    pcapPath: join(PCAPS, pcap),
    configPath,
    ruleFiles: [rulesPath],
    extraRuleFiles: [],
    logDir,
    checksumMode: 'none',
    sets,
    mode,
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

function countEvents(events: EveEvent[], match: Record<string, unknown>): number {
  return events.filter((e) => Object.entries(match).every(([path, value]) => field(e, path) === value)).length;
}

test('ip-only drop drops the flow', async () => {
  // flow-drop-iponly-01: the SYN is dropped by the rule, the SYN-ACK (the
  // first packet of the other direction) by the flow drop.
  const events = await runIps('iponly-tcp.pcap', 'drop ip 100.117.241.123 any -> any any (sid:1;)\n');
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1, 'alert.action': 'blocked' }), 1);
  assert.equal(countEvents(events, { event_type: 'drop', pcap_cnt: 1, 'drop.reason': 'rules', 'alert.signature_id': 1 }), 1);
  assert.equal(countEvents(events, { event_type: 'drop', pcap_cnt: 2, 'drop.reason': 'flow drop' }), 1);
  assert.equal(countEvents(events, { event_type: 'drop' }), 2);
  assert.equal(countEvents(events, { event_type: 'flow', 'flow.action': 'drop' }), 1);
});

test('payload drop drops only the packet', async () => {
  // util-action-06: every packet carries "Hi all", so the drop rule alerts
  // on each of the three, and the flow is never dropped as a whole.
  const rules = [
    'alert tcp any any -> any any (msg:"sig 1"; content:"Hi all"; sid:1;)',
    'pass tcp any any -> any any (msg:"sig 2"; content:"Hi all"; sid:2;)',
    'drop tcp any any -> any any (msg:"sig 3"; content:"Hi all"; sid:3;)',
  ].join('\n');
  const events = await runIps('hi-all-3pkts.pcap', rules + '\n');
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 3 }), 3);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 0);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 0);
  assert.equal(countEvents(events, { event_type: 'drop', 'drop.reason': 'flow drop' }), 0);
  assert.equal(countEvents(events, { event_type: 'flow', 'flow.alerted': true }), 1);
});

test('pass after drop keeps inspecting', async () => {
  // util-action-13: the pass rule comes after the drop in the action order,
  // so it ends each packet's inspection without passing the flow.
  const rules = [
    'pass tcp any any -> any any (msg:"sig 1"; sid:1;)',
    'drop tcp any any -> any any (msg:"sig 2"; content:"Hi all"; sid:2;)',
    'alert tcp any any -> any any (msg:"sig 3"; sid:3;)',
  ].join('\n');
  const events = await runIps('hi-all-3pkts.pcap', rules + '\n');
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 3);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 0);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 3 }), 0);
});

test('events name the capture file', async () => {
  const events = await runIps('iponly-tcp.pcap', 'drop ip 100.117.241.123 any -> any any (sid:1;)\n');
  for (const e of events) assert.equal(e['pcap_filename'], join(PCAPS, 'iponly-tcp.pcap'));
});

// The tag cases of suricata-verify (eve-tag-02 to eve-tag-07) on
// ssh-banner.pcap: the SYN of frame 8 (192.168.0.27 to 192.168.0.103)
// starts the tag and is logged as the alert, not as a tagged packet.
const TAG_CASES: { rule: string; packets: number }[] = [
  // The session's later frames: 9-15 and 18.
  { rule: 'tag:session;', packets: 8 },
  // Every later frame with 192.168.0.27 is of that session.
  { rule: 'tag:host,100,packets,src;', packets: 8 },
  // 192.168.0.103 is in frames 9-18 and 21-24.
  { rule: 'tag:host,100,packets,dst;', packets: 14 },
  // Nine packets counted, the first being the SYN itself.
  { rule: 'tag:host,9,packets,dst;', packets: 8 },
  { rule: 'tag:host,9,packets,src; tag:host,15,packets,dst;', packets: 14 },
  { rule: 'tag:host,2,packets,src; tag:session;', packets: 8 },
];

for (const { rule, packets } of TAG_CASES) {
  test(`tagged packets for ${rule}`, async () => {
    const events = await runIps('ssh-banner.pcap', `alert tcp any any -> any any (flags:S; ${rule} sid:1;)\n`, { mode: 'ids' });
    assert.equal(countEvents(events, { event_type: 'alert' }), 1);
    assert.equal(countEvents(events, { event_type: 'packet' }), packets);
  });
}

test('tagged packet event fields', async () => {
  const events = await runIps('ssh-banner.pcap', 'alert tcp any any -> any any (flags:S; tag:session; sid:1;)\n', { mode: 'ids' });
  const first = events.find((e) => e.event_type === 'packet');
  assert.ok(first !== undefined);
  assert.equal(first.pcap_cnt, 9);
  assert.equal(first['src_ip'], '192.168.0.103');
  assert.equal(first['src_port'], 22);
  assert.equal(typeof first['packet'], 'string');
  assert.equal(field(first, 'packet_info.linktype'), 1);
});

test('ipv6 in ipv4 tunnel events', async () => {
  // bug-4571-04: the inner TCP packet alerts with the outer IPv4 packet
  // as its tunnel; the outer packet has a flow of its own (protocol 41).
  const events = await runIps('ipv6-in-ipv4-tcp.pcap', 'alert tcp any any -> any any (msg:"found"; content:"hello"; sid:1;)\n');
  const alert = events.find((e) => e.event_type === 'alert');
  assert.ok(alert !== undefined);
  assert.equal(alert['pkt_src'], 'ipv4 tunnel');
  assert.equal(alert['proto'], 'TCP');
  assert.equal(alert['src_ip'], '2001:0db8:85a3:0000:0000:8a2e:0370:7334');
  assert.equal(field(alert, 'tunnel.src_ip'), '10.1.0.1');
  assert.equal(field(alert, 'tunnel.dest_ip'), '10.1.0.2');
  assert.equal(field(alert, 'tunnel.proto'), 'IPv6');
  assert.equal(field(alert, 'tunnel.depth'), 1);
  assert.equal(field(alert, 'tunnel.pkt_src'), 'wire/pcap');
  assert.equal(countEvents(events, { event_type: 'flow', proto: 'IPv6', src_ip: '10.1.0.1', ip_v: 4, 'flow.alerted': false }), 1);
  assert.equal(countEvents(events, { event_type: 'flow', proto: 'TCP', ip_v: 6, 'flow.alerted': true }), 1);
});

test('ip in ip drop and outer alert', async () => {
  // bug-7725-01: the outer packet and the inner one are inspected apart.
  // The inner drop drops both flows, so only the first outer packet alerts
  // and the inner flow's first reply is a flow drop.
  const rules = [
    'alert ip any any -> 10.0.0.0/8 any (msg:"outer"; sid:60000000; rev:1;)',
    'drop ip any any -> 192.168.0.0/16 any (msg:"inner"; sid:60000001; rev:1;)',
  ].join('\n');
  const events = await runIps('ip-in-ip-icmp.pcap', rules + '\n');
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 60000000, pkt_src: 'wire/pcap', proto: 'IP-in-IP', src_ip: '10.0.0.94' }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 60000001, pkt_src: 'ipv4 tunnel', proto: 'ICMP', 'tunnel.proto': 'IP-in-IP' }), 1);
  assert.equal(countEvents(events, { event_type: 'drop', pkt_src: 'ipv4 tunnel', proto: 'ICMP' }), 2);
  assert.equal(countEvents(events, { event_type: 'drop', 'alert.signature_id': 60000001, pkt_src: 'ipv4 tunnel' }), 1);
  assert.equal(countEvents(events, { event_type: 'flow', proto: 'IP-in-IP', src_ip: '10.0.0.94', 'flow.alerted': true }), 1);
  assert.equal(countEvents(events, { event_type: 'flow', proto: 'ICMP', src_ip: '192.168.0.94', 'flow.alerted': true, 'flow.action': 'drop' }), 1);
});

const HI_ALL_DROP = 'drop tcp any any -> any any (msg:"sig 3"; content:"Hi all"; sid:3;)\n';

test('suppressed drop rule still drops', async () => {
  // threshold-config-suppress-*: a suppress entry removes the alerts, and
  // the rule's action still applies to every matching packet.
  const events = await runIps('hi-all-3pkts.pcap', HI_ALL_DROP, { thresholdConfig: 'suppress gen_id 1, sig_id 3\n' });
  assert.equal(countEvents(events, { event_type: 'alert' }), 0);
  assert.equal(countEvents(events, { event_type: 'drop', 'drop.reason': 'rules' }), 3);
});

test('rate filter turns drop into alert', async () => {
  // threshold-config-rate-filter-alert-rule: the first match drops, and
  // once the count of 1 is passed the new action (alert) applies.
  const config = 'rate_filter gen_id 1, sig_id 3, track by_rule, count 1, seconds 60, new_action alert, timeout 1000\n';
  const events = await runIps('hi-all-3pkts.pcap', HI_ALL_DROP, { thresholdConfig: config });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 3 }), 3);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.action': 'blocked' }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.action': 'allowed' }), 2);
  assert.equal(countEvents(events, { event_type: 'drop' }), 1);
  assert.equal(countEvents(events, { event_type: 'drop', pcap_cnt: 1, 'drop.reason': 'rules' }), 1);
});

test('rate filter drop has threshold reason', async () => {
  // threshold-config-rate-filter-drop-rule: an alert rule whose rate_filter
  // switches to drop drops with reason threshold detection_filter.
  const rules = 'alert tcp any any -> any any (content:"Hi all"; sid:3;)\n';
  const config = 'rate_filter gen_id 1, sig_id 3, track by_rule, count 1, seconds 60, new_action drop, timeout 1000\n';
  const events = await runIps('hi-all-3pkts.pcap', rules, { thresholdConfig: config });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.action': 'allowed' }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.action': 'blocked' }), 2);
  assert.equal(countEvents(events, { event_type: 'drop', 'drop.reason': 'threshold detection_filter' }), 2);
});

test('rate filter pass removes alert', async () => {
  const rules = 'alert tcp any any -> any any (content:"Hi all"; sid:3;)\n';
  const config = 'rate_filter gen_id 1, sig_id 3, track by_rule, count 1, seconds 60, new_action pass, timeout 1000\n';
  const events = await runIps('hi-all-3pkts.pcap', rules, { thresholdConfig: config });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 3 }), 1);
  assert.equal(countEvents(events, { event_type: 'drop' }), 0);
});

test('alert verdict follows packet drop', async () => {
  // An alert rule on a packet that a drop rule drops: the alert stays
  // allowed (its own action) but its verdict is the packet's, drop.
  const rules = 'alert tcp any any -> any any (content:"Hi all"; sid:1;)\n' + HI_ALL_DROP;
  const events = await runIps('hi-all-3pkts.pcap', rules);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1, 'alert.action': 'allowed', 'verdict.action': 'drop' }), 3);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 3, 'alert.action': 'blocked', 'verdict.action': 'drop' }), 3);
});

test('alert verdict pass after pass rule', async () => {
  // With alert before pass in the action order, the alert is written and
  // the pass rule then ends the packet's inspection: the verdict is pass.
  // The pass rule matched packet payload outside a session, so it passes
  // each packet alone, and each of the three alerts again.
  const rules = [
    'alert tcp any any -> any any (content:"Hi all"; sid:1;)',
    'pass tcp any any -> any any (content:"Hi all"; sid:2;)',
  ].join('\n');
  const events = await runIps('hi-all-3pkts.pcap', rules + '\n', { actionOrder: ['alert', 'pass', 'drop', 'reject'] });
  const alerts = events.filter((e) => e.event_type === 'alert');
  assert.equal(alerts.length, 3);
  for (const alert of alerts) assert.equal(field(alert, 'verdict.action'), 'pass');
  assert.equal(countEvents(events, { event_type: 'flow', 'flow.action': 'pass' }), 0);
});

test('ip-only pass passes the flow', async () => {
  // util-action-05: an IP-only pass rule ends the inspection of the whole
  // flow on its first packet.
  const rules = 'alert ip any any -> any any (sid:1;)\npass ip any any -> any any (sid:2;)\n';
  const events = await runIps('hi-all-3pkts.pcap', rules, { mode: 'ids', actionOrder: ['pass', 'drop', 'reject', 'alert'] });
  assert.equal(countEvents(events, { event_type: 'alert' }), 0);
  assert.equal(countEvents(events, { event_type: 'flow', 'flow.action': 'pass' }), 1);
});

test('packet pass rule passes one packet', async () => {
  // issue-5466-alert-then-pass-02: a pass rule with header keywords only
  // (flow:) passes the packets it matches, and the flow goes on being
  // inspected. Here the three packets never establish a session. So each
  // one matches the pass rule and raises its alert, and none reaches the
  // drop rule.
  const rules = [
    'pass tcp any any -> any any (alert; flow:not_established; sid:1;)',
    'drop ip any any -> any any (sid:2;)',
  ].join('\n');
  const events = await runIps('hi-all-3pkts.pcap', rules + '\n', { actionOrder: ['pass', 'drop', 'reject', 'alert'] });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 3);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 0);
  assert.equal(countEvents(events, { event_type: 'drop' }), 0);
  assert.equal(countEvents(events, { event_type: 'flow', 'flow.action': 'pass' }), 0);
});

test('middle tunnel layer is inspected', async () => {
  // bug-6402-01: TCP inside GRE inside Geneve, 12 frames. The outer UDP
  // packets are passed one by one. The middle IPv4/GRE layer of each frame
  // is a packet of its own without a flow, so IP-only rules alert on all
  // 12. The inner TCP flow gets the IP-only rules once per direction.
  const rules = [
    'alert udp any any -> any 6081 (msg:"geneve udp"; sid:2;)',
    'pass udp any any -> any 6081 (sid:1;)',
    'alert ip any any -> any any (msg:"all IP"; sid:5554;)',
    'alert tcp any any -> any any (msg:"all TCP"; sid:5553;)',
    'alert ip any any -> any any (ip_proto:47; sid:5555;)',
  ].join('\n');
  const events = await runIps('geneve-gre-tcp.pcap', rules + '\n', { mode: 'ids', actionOrder: ['pass', 'drop', 'reject', 'alert'] });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 0);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 5554, proto: 'GRE' }), 12);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 5554, proto: 'TCP' }), 2);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 5553 }), 2);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 5555 }), 12);
  assert.equal(countEvents(events, { event_type: 'flow' }), 2);
  assert.equal(countEvents(events, { event_type: 'flow', proto: 'UDP', 'flow.alerted': false }), 1);
  assert.equal(countEvents(events, { event_type: 'flow', proto: 'TCP', 'flow.alerted': true }), 1);
});

test('bypass stops inspecting the flow', async () => {
  // Three echo requests and three replies inside IP-in-IP. Without bypass
  // each request and each reply alerts; the bypass on the first request
  // leaves the rest of the inner ICMP flow uninspected, though counted.
  const rules = [
    'alert icmp any any -> any any (itype:8; bypass; sid:1;)',
    'alert icmp any any -> any any (itype:0; sid:2;)',
  ].join('\n');
  const events = await runIps('ip-in-ip-icmp.pcap', rules + '\n', { mode: 'ids' });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 0);
  assert.equal(countEvents(events, { event_type: 'flow', proto: 'ICMP', 'flow.pkts_toserver': 3, 'flow.pkts_toclient': 3 }), 1);

  const unbypassed = await runIps('ip-in-ip-icmp.pcap', rules.replace('bypass; ', '') + '\n', { mode: 'ids' });
  assert.equal(countEvents(unbypassed, { event_type: 'alert', 'alert.signature_id': 1 }), 3);
  assert.equal(countEvents(unbypassed, { event_type: 'alert', 'alert.signature_id': 2 }), 3);
});

test('flow_start hook first packets', async () => {
  // One TCP connection: the SYN is the client's first packet and the
  // SYN/ACK the server's; every later packet is past the flow start.
  const rules = [
    'alert tcp:flow_start any any -> any any (sid:1;)',
    'alert ip:flow_start any any -> any any (flow:to_server; sid:2;)',
    'alert tcp:flow_start any any -> any any (dsize:>0; sid:3;)',
  ].join('\n');
  const events = await runIps('iponly-tcp.pcap', rules + '\n', { mode: 'ids' });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 2);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1, pcap_cnt: 1 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1, pcap_cnt: 2 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2, pcap_cnt: 1 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 3 }), 0);
});

test('tls hooks wait for the hello', async () => {
  // The client hello is packet 4 and the server hello packet 6. A drop at
  // client_hello_done drops the flow only once the hello is parsed.
  const rules = [
    'alert tls:client_hello_done any any -> any any (sid:1;)',
    'alert tls:server_hello any any -> any any (sid:2;)',
  ].join('\n');
  const events = await runIps('iponly-tcp.pcap', rules + '\n', { mode: 'ids' });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1, direction: 'to_server' }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2, direction: 'to_client' }), 1);

  const drop = await runIps('iponly-tcp.pcap', 'drop tls:client_hello_done any any -> any any (sid:3;)\n');
  const firstDrop = drop.find((e) => e.event_type === 'drop');
  assert.equal(countEvents(drop, { event_type: 'alert', 'alert.signature_id': 3 }), 1);
  // In-line, the hello is parsed as packet 4 arrives: packets 1 to 3 pass.
  assert.equal(firstDrop?.pcap_cnt, 4);
});

test('protocol mismatch between directions', async () => {
  // An HTTP request to an SSH server: the client's direction is detected
  // as HTTP (the flow's protocol) and the server's banner as SSH, which
  // raises the mismatch event on the banner packet (packet 6).
  const rules = [
    'alert ip any any -> any any (app-layer-event:applayer_mismatch_protocol_both_directions; sid:1;)',
    'alert tcp any any -> any any (flow:to_client; app-layer-protocol:http1,to_server; app-layer-protocol:ssh,to_client; sid:2;)',
    'alert tcp any any -> any any (app-layer-protocol:ssh; sid:3;)',
    'alert tcp any any -> any any (app-layer-protocol:ssh,final; sid:4;)',
  ].join('\n');
  const events = await runIps('http-to-ssh-server.pcap', rules + '\n', { mode: 'ids' });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1, pcap_cnt: 6 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 1);
  // Rules that check protocols alone match on the packet that detected one.
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2, pcap_cnt: 6 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 3 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 4 }), 0);
  assert.equal(countEvents(events, { event_type: 'flow', app_proto: 'http', app_proto_tc: 'ssh' }), 1);
  assert.equal(countEvents(events, { event_type: 'flow', app_proto_ts: 'http' }), 0);
});

test('config rule keeps tx out of eve', async () => {
  // One HTTP exchange for www.abcdefghij.com. A config rule matching its
  // host neither alerts nor lets the http event be written; one matching
  // nothing changes nothing.
  const run = async (rules: string): Promise<EveEvent[]> => {
    const dir = join(scratch, String(++caseNumber));
    const rulesPath = join(scratch, `${caseNumber}.rules`);
    const configPath = join(scratch, `${caseNumber}.yaml`);
    writeFileSync(rulesPath, rules);
    writeFileSync(configPath, '%YAML 1.1\n---\noutputs:\n  - eve-log:\n      enabled: yes\n      filename: eve.json\n      types:\n        - alert\n        - http\n');
    await runCapture({
      pcapPath: join(PCAPS, '../flow/http-fin-close.pcap'), configPath, ruleFiles: [rulesPath], extraRuleFiles: [],
      logDir: join(dir, 'log'), checksumMode: 'none', sets: [], mode: 'ids', env: {}, quiet: true,
    });
    return readFileSync(join(dir, 'log', 'eve.json'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as EveEvent);
  };
  const matched = await run('config http any any -> any any (http.host; content:"abcdefghij"; config:logging disable, type tx, scope tx; sid:1;)\n');
  assert.equal(countEvents(matched, { event_type: 'alert' }), 0);
  assert.equal(countEvents(matched, { event_type: 'http' }), 0);
  const unmatched = await run('config http any any -> any any (http.host; content:"other"; config:logging disable, type tx, scope tx; sid:1;)\n');
  assert.equal(countEvents(unmatched, { event_type: 'http' }), 1);
});

test('app-layer-state once per direction', async () => {
  // IDS mode: the client hello is parsed when packet 5 acknowledges it and
  // inspected on the client's next packet (7), and the server's hello and
  // certificates on the server's packet 9, once the client has sent its
  // ChangeCipherSpec (packet 8). A state rule may match each direction once.
  const rules = [
    'alert tls any any -> any any (app-layer-state:client_hello_done; sid:1;)',
    'alert tls any any -> any any (app-layer-state:>=server_hello; sid:2;)',
  ].join('\n');
  const events = await runIps('iponly-tcp.pcap', rules + '\n', { mode: 'ids' });
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1 }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 1, pcap_cnt: 7, direction: 'to_server' }), 1);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2 }), 2);
  assert.equal(countEvents(events, { event_type: 'alert', 'alert.signature_id': 2, pcap_cnt: 9, direction: 'to_client' }), 1);
});
