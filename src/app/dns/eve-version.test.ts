// The eve-log `dns` type's options end to end: runCapture reads
// test/pcaps/app/dns/dns-z-bit.pcap (one query and its answer) with a
// kapu.yaml that sets them, and the dns events are compared with the
// values tshark 4.0 prints for the capture:
//
//   frame 1  10.16.1.11:42150 -> 8.8.8.8:53  id 0x0001 flags 0x0140 (RD, Z)  www.google.com A
//   frame 2  8.8.8.8:53 -> 10.16.1.11:42150  id 0x0001 flags 0x8180 (QR, RD, RA)  A 142.251.32.68 ttl 58
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../../cli/run.js';
import { loadConfig } from '../../config/load-config.js';

const PCAP = fileURLToPath(new URL('../../../../test/pcaps/app/dns/dns-z-bit.pcap', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kapu-dns-eve-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type EveEvent = Record<string, unknown> & { event_type: string };

/** Returns a kapu.yaml whose eve-log writes dns events with `dnsOptions` (YAML lines under `- dns:`). */
function configText(dnsOptions: string): string {
  return ['outputs:', '  - eve-log:', '      filename: eve.json', '      types:', '        - alert', '        - dns:', dnsOptions, ''].join('\n');
}

let caseNumber = 0;

const Z_BIT_RULE = 'alert dns any any -> any any (msg:"z"; app-layer-event:dns.z_flag_set; sid:1;)\n';

/** Runs the capture with `config` and `rules` (the Z-bit rule by default), and returns the EVE events. */
async function run(config: string, env: Record<string, string> = {}, rules = Z_BIT_RULE, sets: string[] = []): Promise<EveEvent[]> {
  const n = ++caseNumber;
  const configPath = join(scratch, `${n}.yaml`);
  const rulesPath = join(scratch, `${n}.rules`);
  const logDir = join(scratch, String(n));
  writeFileSync(configPath, config);
  writeFileSync(rulesPath, rules);
  await runCapture({
    pcapPath: PCAP,
    configPath,
    ruleFiles: [rulesPath],
    extraRuleFiles: [],
    logDir,
    checksumMode: 'none',
    sets,
    mode: 'ids',
    env,
    quiet: true,
  });
  return readFileSync(join(logDir, 'eve.json'), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EveEvent);
}

function ofType(events: EveEvent[], type: string): EveEvent[] {
  return events.filter((e) => e.event_type === type);
}

test('dns version 2 from kapu.yaml', async () => {
  const events = await run(configText('            version: 2'));
  const dns = ofType(events, 'dns');
  assert.equal(dns.length, 2);

  // Both events go client to server (frame 1's direction), as version 2 logged them.
  for (const e of dns) {
    assert.equal(e['src_ip'], '10.16.1.11');
    assert.equal(e['src_port'], 42150);
    assert.equal(e['dest_ip'], '8.8.8.8');
    assert.equal(e['dest_port'], 53);
  }
  assert.equal(dns[0]['pcap_cnt'], 1);
  assert.deepEqual(dns[0]['dns'], { type: 'query', id: 1, rrname: 'www.google.com', rrtype: 'A', tx_id: 0, z: true, opcode: 0 });

  assert.equal(dns[1]['pcap_cnt'], 2);
  assert.equal(dns[1]['tx_id'], 1);
  assert.deepEqual(dns[1]['dns'], {
    version: 2,
    type: 'answer',
    id: 1,
    flags: '8180',
    qr: true,
    rd: true,
    ra: true,
    opcode: 0,
    rrname: 'www.google.com',
    rrtype: 'A',
    rcode: 'NOERROR',
    answers: [{ rrname: 'www.google.com', rrtype: 'A', ttl: 58, rdata: '142.251.32.68' }],
    grouped: { A: ['142.251.32.68'] },
  });
});

test('dns alert keeps version 3 object', async () => {
  const events = await run(configText('            version: 2'));
  const alerts = ofType(events, 'alert');
  assert.equal(alerts.length, 1);
  const dns = alerts[0]['dns'] as Record<string, unknown>;
  assert.equal(dns['version'], 3);
  assert.equal(dns['type'], 'request');
  assert.equal(dns['z'], true);
});

test('dns version from environment wins', async () => {
  const fromEnv = await run(configText('            version: 3'), { SURICATA_EVE_DNS_VERSION: '2' });
  assert.deepEqual(
    ofType(fromEnv, 'dns').map((e) => (e['dns'] as Record<string, unknown>)['type']),
    ['query', 'answer'],
  );
  const byDefault = await run(configText('            enabled: yes'));
  assert.deepEqual(
    ofType(byDefault, 'dns').map((e) => (e['dns'] as Record<string, unknown>)['type']),
    ['request', 'response'],
  );
});

test('dns grouped format and responses only', async () => {
  const events = await run(configText('            version: 2\n            requests: no\n            formats: [grouped]'));
  const dns = ofType(events, 'dns');
  assert.equal(dns.length, 1);
  const answer = dns[0]['dns'] as Record<string, unknown>;
  assert.equal(answer['type'], 'answer');
  assert.equal(answer['answers'], undefined);
  assert.deepEqual(answer['grouped'], { A: ['142.251.32.68'] });
});

test('dns type options in config', () => {
  const path = join(scratch, 'options.yaml');
  writeFileSync(path, configText('            version: 2\n            formats: [detailed]'));
  const { config, warnings } = loadConfig(path, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.outputs.eveLogs[0].types.dns, { version: 2, requests: true, responses: true, formats: ['detailed'] });
  assert.ok(config.outputs.eveLogs[0].types.protocols.includes('dns'));
});

test('dns type bad version and format', () => {
  const path = join(scratch, 'bad.yaml');
  writeFileSync(path, configText('            version: 4\n            formats: [detailed, compact]'));
  assert.throws(
    () => loadConfig(path, []),
    (err: Error & { problems?: string[] }) => {
      const problems = (err.problems ?? []).join('\n');
      assert.match(problems, /outputs\.0\.eve-log\.types\.1\.dns\.version/);
      assert.match(problems, /'compact' is not an answer format \(expected detailed or grouped\)/);
      return true;
    },
  );
});

test('payload alert with guessed dns tx', async () => {
  // "google" is in the query (frame 1) and the response (frame 2), each
  // the only message of its direction when the alert is raised.
  const rules = 'alert dns any any -> any any (msg:"payload"; content:"google"; sid:2;)\n';
  const guessed = ofType(await run(configText('            version: 2'), {}, rules, ['detect.guess-applayer-tx=true']), 'alert');
  assert.deepEqual(guessed.map((e) => e['tx_id']), [0, 1]);
  assert.deepEqual(guessed.map((e) => (e['dns'] as Record<string, unknown>)['type']), ['request', 'response']);

  const plain = ofType(await run(configText('            version: 2'), {}, rules), 'alert');
  assert.equal(plain.length, 2);
  assert.equal(plain[0]['tx_id'], undefined);
  assert.equal(plain[0]['dns'], undefined);
});

test('guess applayer tx option in config', () => {
  assert.equal(loadConfig(null, []).config.detect.guessApplayerTx, false);
  assert.equal(loadConfig(null, ['detect.guess-applayer-tx=true']).config.detect.guessApplayerTx, true);
});
