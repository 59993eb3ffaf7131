import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCapture } from '../cli/run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CAPTURE = join(ROOT, 'test', 'pcaps', 'defrag', 'overlap-udp.pcap');

const RULES = [
  'alert udp any any -> any any (msg:"benign bytes"; content:"benign-payload-1"; sid:1;)',
  'alert udp any any -> any any (msg:"attack bytes"; content:"ATTACK-payload-2"; sid:2;)',
  'alert pkthdr any any -> any any (msg:"v4 overlap"; decode-event:ipv4.frag_overlap; sid:3;)',
  'alert pkthdr any any -> any any (msg:"v6 overlap"; decode-event:ipv6.frag_overlap; sid:4;)',
].join('\n');

type EveRecord = Record<string, unknown> & { alert?: { signature_id: number }; stats?: { defrag: Record<string, unknown> } };

async function run(config: string | null, sets: string[] = [], mode: 'ids' | 'ips' | null = null): Promise<EveRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-defrag-'));
  try {
    const rulesPath = join(dir, 'test.rules');
    writeFileSync(rulesPath, RULES);
    let configPath: string | null = null;
    if (config !== null) {
      configPath = join(dir, 'kapu.yaml');
      writeFileSync(configPath, config);
    }
    await runCapture({
      pcapPath: CAPTURE,
      configPath,
      ruleFiles: [rulesPath],
      extraRuleFiles: [],
      logDir: join(dir, 'log'),
      checksumMode: null,
      sets,
      mode,
      env: {},
      quiet: true,
    });
    const lines = readFileSync(join(dir, 'log', 'eve.json'), 'utf8').trim().split('\n');
    return lines.map((line) => JSON.parse(line) as EveRecord);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function alertCounts(records: EveRecord[]): Map<number, number[]> {
  const bySid = new Map<number, number[]>();
  for (const r of records) {
    if (r['event_type'] !== 'alert') continue;
    const sid = r.alert!.signature_id;
    const list = bySid.get(sid) ?? [];
    list.push(r['pcap_cnt'] as number);
    bySid.set(sid, list);
  }
  return bySid;
}

test('capture overlap default policies', async () => {
  // Default host-os-policy: windows for IPv4 (0.0.0.0/0), bsd for IPv6.
  // Both keep the first bytes at offset 16, as tshark's reassembly shows.
  const records = await run(null);
  const alerts = alertCounts(records);
  assert.deepEqual(alerts.get(1), [4, 8]);
  assert.equal(alerts.get(2), undefined);
  assert.deepEqual(alerts.get(3), [2]);
  assert.deepEqual(alerts.get(4), [6]);
  const pktSrcOf = (sid: number) => records.filter((r) => r.alert?.signature_id === sid).map((r) => r['pkt_src']);
  assert.deepEqual(pktSrcOf(1), ['defrag', 'defrag']);
  assert.deepEqual(pktSrcOf(3), ['wire/pcap']);

  const stats = records.filter((r) => r['event_type'] === 'stats').at(-1)!.stats!.defrag as {
    ipv4: { fragments: number; reassembled: number };
    ipv6: { fragments: number; reassembled: number };
  };
  assert.equal(stats.ipv4.fragments, 4);
  assert.equal(stats.ipv4.reassembled, 1);
  assert.equal(stats.ipv6.fragments, 4);
  assert.equal(stats.ipv6.reassembled, 1);

  const flows = records.filter((r) => r['event_type'] === 'flow');
  assert.equal(flows.length, 2);
  for (const flow of flows) assert.equal((flow['flow'] as { pkts_toserver: number }).pkts_toserver, 1);
});

test('capture overlap linux policy', async () => {
  const config = ['host-os-policy:', '  windows: []', '  linux: [203.0.113.0/24, "2001:db8::/32"]', ''].join('\n');
  const alerts = alertCounts(await run(config));
  assert.equal(alerts.get(1), undefined);
  assert.deepEqual(alerts.get(2), [4, 8]);
});

test('capture defrag memcap drops in ips', async () => {
  // 100 bytes leave no room for a tracker, so every fragment meets the
  // memcap; auto in IPS mode drops it.
  const records = await run(null, ['defrag.memcap=100', 'defrag.hash-size=1'], 'ips');
  const stats = records.filter((r) => r['event_type'] === 'stats').at(-1)!.stats!.defrag as {
    ipv4: { reassembled: number };
    memcap_exception_policy: { drop_packet: number };
  };
  assert.equal(stats.ipv4.reassembled, 0);
  assert.equal(stats.memcap_exception_policy.drop_packet, 8);
  const ips = records.filter((r) => r['event_type'] === 'stats').at(-1)!.stats! as unknown as { ips: { blocked: number; drop_reason: Record<string, number> } };
  assert.equal(ips.ips.blocked, 8);
  assert.equal(ips.ips.drop_reason['defrag_memcap'], 8);
});
