// End-to-end tests of TLS and SSH detection and logging through runCapture:
// per-direction matches of the single handshake transaction, the legacy
// TLS keywords, flows passed by a rule, and the app_layer.tx counters.
// Expected values come from tshark and openssl on the captures under
// test/pcaps/app/ (see test/pcaps/SOURCES.md).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../cli/run.js';

const PCAPS = fileURLToPath(new URL('../../../test/pcaps/app/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kapu-tls-ssh-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type EveEvent = Record<string, unknown> & { event_type: string };

const CONFIG = `%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - tls
        - ssh
        - flow
        - stats
`;

let caseNumber = 0;

async function run(pcap: string, rules: string, mode: 'ids' | 'ips' = 'ids'): Promise<EveEvent[]> {
  const dir = join(scratch, String(++caseNumber));
  const rulesPath = join(scratch, `${caseNumber}.rules`);
  const configPath = join(scratch, `${caseNumber}.yaml`);
  writeFileSync(rulesPath, rules);
  writeFileSync(configPath, CONFIG);
  await runCapture({
    pcapPath: join(PCAPS, pcap),
    configPath,
    ruleFiles: [rulesPath],
    extraRuleFiles: [],
    logDir: dir,
    checksumMode: 'none',
    sets: [],
    mode,
    env: {},
    quiet: true,
  });
  return readFileSync(join(dir, 'eve.json'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EveEvent);
}

function alertsOf(events: EveEvent[], sid: number): EveEvent[] {
  return events.filter((e) => e.event_type === 'alert' && (e['alert'] as { signature_id: number }).signature_id === sid);
}

test('ssh banner rules alert per direction', async () => {
  // ssh-curve25519.pcap: client banner SSH-2.0-OpenSSH_7.4 (frame 4),
  // server banner SSH-2.0-OpenSSH_7.5 (frame 6), one flow.
  const events = await run('ssh/ssh-curve25519.pcap', [
    'alert ssh any any -> any any (ssh.software; content:"OpenSSH"; sid:1;)',
    'alert ssh any any -> any any (ssh.software; content:"OpenSSH_7.5"; sid:2;)',
    '',
  ].join('\n'));
  const both = alertsOf(events, 1);
  assert.equal(both.length, 2);
  assert.deepEqual(both.map((e) => e['direction']).sort(), ['to_client', 'to_server']);
  const server = alertsOf(events, 2);
  assert.equal(server.length, 1);
  assert.equal(server[0]?.['direction'], 'to_client');
});

test('tls legacy keywords alert to client once', async () => {
  // tls12-comodo-chain.pcap leaf: CN=*.taleo.net, SHA-1
  // 33:67:a1:82:..., notAfter 2016-07-04T23:59:59 (openssl x509);
  // both hellos are TLS 1.2 (tshark tls.handshake.version 0x0303).
  const events = await run('tls/tls12-comodo-chain.pcap', [
    'alert tls any any -> any any (tls.subject:"CN=*.taleo.net"; sid:1;)',
    'alert tls any any -> any any (tls.fingerprint:"33:67:A1:82:4A:60:13:C0:2A:3E:25:BB:E4:DA:86:33:87:FA:F1:34"; sid:2;)',
    'alert tls any any -> any any (tls_cert_notafter:2016-01-01<>2017-01-01; sid:3;)',
    'alert tcp any any -> any any (ssl_version:tls1.2; sid:4;)',
    'alert tls any any -> any any (tls.issuerdn:!"COMODO"; sid:5;)',
    '',
  ].join('\n'));
  for (const sid of [1, 2, 3]) {
    const alerts = alertsOf(events, sid);
    assert.equal(alerts.length, 1, `sid ${sid}`);
    assert.equal(alerts[0]?.['direction'], 'to_client', `sid ${sid}`);
  }
  // ssl_version reads the hello of each direction, so it alerts twice.
  assert.equal(alertsOf(events, 4).length, 2);
  assert.equal(alertsOf(events, 5).length, 0);
});

test('tls event of a passed flow', async () => {
  const events = await run('tls/tls12-comodo-chain.pcap', [
    'pass tcp any any -> any 443 (flags:S; sid:1;)',
    'alert tls any any -> any any (tls.cert_subject; content:"taleo"; sid:2;)',
    '',
  ].join('\n'), 'ips');
  assert.equal(alertsOf(events, 2).length, 0);
  const tls = events.filter((e) => e.event_type === 'tls');
  assert.equal(tls.length, 1);
  assert.equal((tls[0]?.['tls'] as { subject: string }).subject.endsWith('CN=*.taleo.net'), true);
  const flow = events.find((e) => e.event_type === 'flow');
  assert.equal((flow?.['flow'] as { action?: string }).action, 'pass');
});

test('app_layer tx counters in stats', async () => {
  const events = await run('tls/tls12-comodo-chain.pcap', '');
  const stats = events.find((e) => e.event_type === 'stats')?.['stats'] as { app_layer: { flow: Record<string, number>; tx: Record<string, number> } };
  assert.equal(stats.app_layer.flow['tls'], 1);
  // The handshake transaction exists from the state's start, so it is not counted.
  assert.equal(stats.app_layer.tx['tls'], 0);
});

test('app_layer tx counters of dns', async () => {
  // dns-tcp.pcapng: one query and its response over UDP (frames 1, 2) and
  // one over TCP (frames 6, 10), tshark -Y dns. Each DNS message is its
  // own transaction, as Suricata 8 logs request and response with tx_id 0 and 1.
  const events = await run('dns/dns-tcp.pcapng', '');
  const stats = events.find((e) => e.event_type === 'stats')?.['stats'] as { app_layer: { tx: Record<string, number> } };
  assert.equal(stats.app_layer.tx['dns_udp'], 2);
  assert.equal(stats.app_layer.tx['dns_tcp'], 2);
});

test('tls pass rule outranks packet drop', async () => {
  // The ClientHello packet (SNI certauth.idrix.fr, tshark) matches both the
  // packet rule sid 1 and the transaction rule sid 2. Pass comes first in
  // the default action order, so the drop is never reached.
  const events = await run('tls/tls12-client-certificate.pcap', [
    'drop tls any any -> any any (flow:to_server; sid:1;)',
    'pass tls any any -> any any (tls.sni; content:"certauth.idrix.fr"; alert; sid:2;)',
    '',
  ].join('\n'), 'ips');
  assert.equal(alertsOf(events, 1).length, 0);
  assert.equal(alertsOf(events, 2).length, 1);
  assert.equal(events.filter((e) => e.event_type === 'tls').length, 1);
  const flow = events.find((e) => e.event_type === 'flow');
  assert.equal((flow?.['flow'] as { action?: string }).action, 'pass');
});
