// Runs every virtual patch of the bundled catalog in IPS mode over its own
// captures (test/pcaps/virtual-patches/), as `kapu run -r -S --mode ips`
// does. The expected requests come from test/virtual-patches/requests.json,
// the list that the client sent when the captures were recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCapture } from './run.js';
import { runPatchesList, runPatchesSetEnabled, runPatchesTest } from './patches-command.js';
import { BUNDLED_CAPTURES_DIR } from './patches-test.js';
import { BUNDLED_CATALOG_DIR, listPatchFiles } from '../policy/virtual-patches.js';
import { UsageError } from '../core/errors.js';

const REQUESTS = fileURLToPath(new URL('../../../test/virtual-patches/requests.json', import.meta.url));

interface LabRequest {
  method: string;
  target: string;
}

const CATALOG = JSON.parse(readFileSync(REQUESTS, 'utf8')) as { patches: Record<string, { attempts: LabRequest[]; normal: LabRequest[] }> };

const CONFIG = `vars:
  address-groups:
    HOME_NET: "[203.0.113.0/24]"
    EXTERNAL_NET: "!$HOME_NET"
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types: [alert, drop, flow]
`;

interface EveEvent {
  event_type: string;
  flow_id: number;
  pcap_cnt?: number;
  proto?: string;
  alert?: { action: string; signature_id: number };
  http?: { url: string; http_method: string };
  drop?: { reason: string };
}

/** Collects what a command writes. */
function collector(): { write(text: string): boolean; text: () => string } {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), text: () => text };
}

async function runIps(pcap: string, rules: string): Promise<EveEvent[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-run-'));
  try {
    writeFileSync(join(dir, 'kapu.yaml'), CONFIG);
    await runCapture({
      pcapPath: pcap,
      configPath: join(dir, 'kapu.yaml'),
      ruleFiles: [rules],
      extraRuleFiles: [],
      logDir: join(dir, 'out'),
      checksumMode: null,
      sets: [],
      mode: 'ips',
      env: {},
      quiet: true,
    });
    const text = readFileSync(join(dir, 'out', 'eve.json'), 'utf8').trim();
    return text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as EveEvent);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tcpFlowCount(events: EveEvent[]): number {
  return events.filter((e) => e.event_type === 'flow' && e.proto === 'TCP').length;
}

test('requests list covers the catalog', () => {
  assert.deepEqual(Object.keys(CATALOG.patches).sort(), listPatchFiles(BUNDLED_CATALOG_DIR).map((p) => p.cve));
});

for (const { cve, file } of listPatchFiles(BUNDLED_CATALOG_DIR)) {
  const name = cve.toLowerCase();
  const requests = CATALOG.patches[cve]!;

  test(`${cve} drops every attempt`, async () => {
    const events = await runIps(join(BUNDLED_CAPTURES_DIR, `${name}-attempts.pcap`), file);
    assert.equal(tcpFlowCount(events), requests.attempts.length, 'one connection per attempt');

    const alerts = events.filter((e) => e.event_type === 'alert');
    for (const alert of alerts) assert.equal(alert.alert?.action, 'blocked', `sid ${alert.alert?.signature_id}`);
    // Each connection alerts on one packet: the drop ends the flow. Two
    // rules of a patch may both match that packet.
    const byFlow = new Map(alerts.map((e) => [e.flow_id, `${e.http?.http_method} ${e.http?.url}`]));
    const urls = [...byFlow.values()].sort();
    for (const flow of byFlow.keys()) {
      const packets = new Set(alerts.filter((e) => e.flow_id === flow).map((e) => e.pcap_cnt));
      assert.equal(packets.size, 1, `${byFlow.get(flow)}: alerts on packets ${[...packets].join(',')}`);
    }
    assert.deepEqual(urls, requests.attempts.map((r) => `${r.method} ${r.target}`).sort());

    // The packet that completed the request is the one dropped by the rule.
    for (const alert of alerts) {
      const drop = events.find((e) => e.event_type === 'drop' && e.flow_id === alert.flow_id && e.pcap_cnt === alert.pcap_cnt);
      assert.equal(drop?.drop?.reason, 'rules', `${alert.http?.url}: no drop event for packet ${alert.pcap_cnt}`);
    }
  });

  test(`${cve} passes normal requests`, async () => {
    const events = await runIps(join(BUNDLED_CAPTURES_DIR, `${name}-normal.pcap`), file);
    assert.equal(tcpFlowCount(events), requests.normal.length, 'one connection per request');
    assert.deepEqual(events.filter((e) => e.event_type === 'alert').map((e) => e.http?.url), []);
    assert.equal(events.filter((e) => e.event_type === 'drop').length, 0);
  });
}

test('patches test passes the catalog', async () => {
  const out = collector();
  const status = await runPatchesTest({ configPath: null, sets: [], cves: ['cve-2021-44228', 'CVE-2014-6271'], capturesDir: null, corpusDir: '/nonexistent' }, out);
  assert.equal(status, 0, out.text());
  const lines = out.text().split('\n');
  assert.match(lines[1] ?? '', /^CVE-2021-44228\s+8\/8\s+0\/5\s+-\s+ok$/);
  assert.match(lines[2] ?? '', /^CVE-2014-6271\s+5\/5\s+0\/4\s+-\s+ok$/);
  assert.match(out.text(), /benign corpus: not found/);
  assert.match(out.text(), /2 of 2 patches passed/);
});

test('patches test fails a leaky patch', async () => {
  // A copy of the Shellshock patch that only looks at User-Agent lets
  // the attempts in other headers through.
  const dir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-leaky-'));
  const captures = mkdtempSync(join(tmpdir(), 'kapu-vpatch-captures-'));
  for (const kind of ['attempts', 'normal']) copyFileSync(join(BUNDLED_CAPTURES_DIR, `cve-2014-6271-${kind}.pcap`), join(captures, `cve-2014-6271-${kind}.pcap`));
  writeFileSync(join(dir, 'cve-2014-6271.rules'), 'drop http any any -> $HOME_NET any (msg:"user agent only"; flow:established,to_server; http.user_agent; content:"() {"; startswith; sid:9100021; rev:1;)\n');
  const out = collector();
  const status = await runPatchesTest({ configPath: null, sets: [`virtual-patches.path=${dir}`], cves: [], capturesDir: captures, corpusDir: '/nonexistent' }, out);
  assert.equal(status, 1);
  assert.match(out.text(), /CVE-2014-6271\s+1\/5\s+0\/4\s+-\s+FAIL/);
});

test('patches test fails without captures', async () => {
  const out = collector();
  const empty = mkdtempSync(join(tmpdir(), 'kapu-vpatch-empty-'));
  const status = await runPatchesTest({ configPath: null, sets: [], cves: ['CVE-2017-9841'], capturesDir: empty, corpusDir: '/nonexistent' }, out);
  assert.equal(status, 1);
  assert.match(out.text(), /CVE-2017-9841\s+no capture\s+no capture\s+-\s+FAIL/);
});

test('patches test rejects unknown cve', async () => {
  await assert.rejects(runPatchesTest({ configPath: null, sets: [], cves: ['CVE-1999-0001'], capturesDir: null, corpusDir: null }, collector()), UsageError);
});

test('patches list shows the catalog', () => {
  // A state file that does not exist enables every patch, whatever the
  // bundled catalog's state file says on this machine.
  const out = collector();
  const state = join(mkdtempSync(join(tmpdir(), 'kapu-vpatch-list-')), 'state.json');
  assert.equal(runPatchesList({ configPath: null, sets: [`virtual-patches.state-file=${state}`] }, out), 0);
  const lines = out.text().trim().split('\n');
  assert.match(lines[0] ?? '', /^CVE\s+PRODUCT\s+SIDS\s+ENABLED\s+FILE$/);
  assert.equal(lines.length, 1 + 10 + 1);
  const log4j = lines.find((l) => l.startsWith('CVE-2021-44228'));
  assert.match(log4j ?? '', /Apache Log4j 2\s+9100011,9100012,9100013\s+yes\s+\S+cve-2021-44228\.rules$/);
  assert.equal(lines[11], '10 patches, 10 enabled; catalog off (virtual-patches.enabled: no)');
});

test('disable and enable persist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-cli-'));
  copyFileSync(join(BUNDLED_CATALOG_DIR, 'cve-2017-9841.rules'), join(dir, 'cve-2017-9841.rules'));
  const sets = [`virtual-patches.path=${dir}`, 'virtual-patches.enabled=yes'];
  const state = join(dir, 'state.json');

  const out = collector();
  assert.equal(runPatchesSetEnabled({ configPath: null, sets, cve: 'cve-2017-9841', isEnabled: false }, out), 0);
  assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')), { disabled: ['CVE-2017-9841'] });
  assert.match(out.text(), /^CVE-2017-9841 disabled in .*state\.json; it takes effect when kapu starts or reloads its rules/);

  const listed = collector();
  runPatchesList({ configPath: null, sets }, listed);
  assert.match(listed.text(), /CVE-2017-9841\s+PHPUnit\s+9100101\s+no\s/);

  assert.equal(runPatchesSetEnabled({ configPath: null, sets, cve: 'CVE-2017-9841', isEnabled: true }, collector()), 0);
  assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')), { disabled: [] });
  assert.throws(() => runPatchesSetEnabled({ configPath: null, sets, cve: 'CVE-2021-44228', isEnabled: false }, collector()), UsageError);
  assert.ok(existsSync(state));
});

test('disabled patch does not block', async () => {
  // The run loads the catalog from the config, minus the disabled patch.
  const dir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-run-'));
  for (const name of ['cve-2017-9841.rules', 'cve-2022-26134.rules']) copyFileSync(join(BUNDLED_CATALOG_DIR, name), join(dir, name));
  writeFileSync(join(dir, 'state.json'), '{"disabled": ["CVE-2017-9841"]}\n');
  const rulesDir = mkdtempSync(join(tmpdir(), 'kapu-vpatch-rules-'));
  writeFileSync(join(rulesDir, 'local.rules'), '');
  writeFileSync(join(rulesDir, 'kapu.yaml'), `${CONFIG}default-rule-path: ${rulesDir}\nrule-files: [local.rules]\nvirtual-patches:\n  enabled: yes\n  path: ${dir}\n`);
  const run = async (pcap: string) => {
    const summary = await runCapture({
      pcapPath: join(BUNDLED_CAPTURES_DIR, pcap),
      configPath: join(rulesDir, 'kapu.yaml'),
      ruleFiles: null,
      extraRuleFiles: [],
      logDir: join(rulesDir, 'out'),
      checksumMode: null,
      sets: [],
      mode: 'ips',
      env: {},
      quiet: true,
    });
    return summary;
  };
  const phpunit = await run('cve-2017-9841-attempts.pcap');
  assert.equal(phpunit.rulesLoaded, 1);
  assert.equal(phpunit.alerts, 0);
  assert.equal(phpunit.drops, 0);
  const confluence = await run('cve-2022-26134-attempts.pcap');
  assert.equal(confluence.alerts, 5);
});
