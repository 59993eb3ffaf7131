import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../engine/build-pipeline.js';
import { TcpConversation, writePcap } from '../test-support/packet-craft.js';
import { runExplain } from './explain-command.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-explain-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const RULES = [
  'drop tcp any any -> any any (msg:"shadowed drop"; content:"WORSE"; sid:1000002; rev:3;)',
  'drop tcp any any -> any any (msg:"blocked drop"; content:"KEPT"; sid:2000001;)',
  'drop tcp any any -> any any (msg:"quiet drop"; content:"QUIET"; sid:1000005;)',
];

const CONFIG = `policy:
  shadow: [1000002]
  suppress:
    - { sid: 1000005 }
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - drop
        - flow
`;

/**
 * Three connections: A (port 40001) sends the shadowed pattern, B (40002)
 * the blocked one and then more data, C (40003) the suppressed one.
 * pcap_cnt: A 1-8, B 9-11 handshake, 12 KEPT, 13 more, C from 14.
 */
function writeCapture(path: string): void {
  const a = new TcpConversation('198.51.100.2', '203.0.113.2', 40001, 8080).handshake().clientData(0, 'xxWORSExx').serverAck(9).close(9);
  const b = new TcpConversation('198.51.100.2', '203.0.113.2', 40002, 8080).handshake().clientData(0, 'KEPT').clientData(4, 'more');
  const c = new TcpConversation('198.51.100.2', '203.0.113.2', 40003, 8080).handshake().clientData(0, 'QUIET');
  writePcap(path, [...a.frames, ...b.frames, ...c.frames]);
}

function runKapu(mode: 'ips' | 'ids'): string {
  const logDir = join(scratch, mode);
  execFileSync(process.execPath, [
    join(PACKAGE_ROOT, 'bin', 'kapu.js'), 'run', '-r', join(scratch, 'run.pcap'), '-c', join(scratch, 'kapu.yaml'),
    '-S', join(scratch, 'local.rules'), '-l', logDir, '--mode', mode, '--quiet',
  ], { timeout: 60_000 });
  return logDir;
}

/** Returns the flow_id of the first alert or drop event of `sid`, as written in the file. */
function flowIdOf(logDir: string, sid: number): string {
  for (const line of readFileSync(join(logDir, 'eve.json'), 'utf8').split('\n')) {
    if (!line.includes(`"signature_id":${sid},`)) continue;
    const m = /"flow_id":(\d+)/.exec(line);
    if (m !== null) return m[1] as string;
  }
  assert.fail(`no event of sid ${sid}`);
}

async function explain(logDir: string, id: string): Promise<{ status: number; text: string }> {
  let text = '';
  const status = await runExplain({ logDir, eve: null, id }, { write: (chunk: string) => (text += chunk) });
  return { status, text };
}

describe('kapu explain', () => {
  let ipsDir = '';
  let idsDir = '';
  before(() => {
    writeFileSync(join(scratch, 'kapu.yaml'), CONFIG);
    writeFileSync(join(scratch, 'local.rules'), RULES.join('\n') + '\n');
    writeCapture(join(scratch, 'run.pcap'));
    ipsDir = runKapu('ips');
    idsDir = runKapu('ids');
  });

  it('shadowed rule in a flow', async () => {
    const { status, text } = await explain(ipsDir, flowIdOf(ipsDir, 1000002));
    assert.equal(status, 0);
    assert.match(text, /^flow \d+: TCP 198\.51\.100\.2:40001 -> 203\.0\.113\.2:8080\n/);
    assert.match(text, /\n  packet 4 at [^\n]+ \(to_server\):\n    matched: rule 1:1000002 rev 3 "shadowed drop"\n/);
    assert.match(text, /\n    allowed: rule is in shadow mode \(policy\.shadow\[0\]\); its configured action drop was not applied\n/);
  });

  it('drop in ips mode by packet', async () => {
    const { status, text } = await explain(ipsDir, '12');
    assert.equal(status, 0);
    assert.match(text, /^packet 12: TCP 198\.51\.100\.2:40002 -> 203\.0\.113\.2:8080 \(flow \d+\)\n/);
    assert.match(text, /\n  matched: rule 1:2000001 rev \d+ "blocked drop"\n  dropped: rule 1:2000001 drop in IPS mode\n/);
  });

  it('dropped flow lists the rule drop', async () => {
    const { text } = await explain(ipsDir, flowIdOf(ipsDir, 2000001));
    assert.match(text, /\n  packet 12 at [^\n]+:\n    matched: rule 1:2000001 rev \d+ "blocked drop"\n    dropped: rule 1:2000001 drop in IPS mode\n/);
    // With drop flows: start, later packets of the dropped flow write no event (as in Suricata).
    assert.doesNotMatch(text, /packet 13/);
  });

  it('suppressed drop rule', async () => {
    const { text } = await explain(ipsDir, flowIdOf(ipsDir, 1000005));
    assert.match(text, /\n    dropped: rule 1:1000005 drop in IPS mode; its alert was suppressed \(policy\.suppress\[0\]\)\n/);
    assert.doesNotMatch(text, /matched:/);
  });

  it('drop rule in ids mode', async () => {
    const { text } = await explain(idsDir, flowIdOf(idsDir, 2000001));
    assert.match(text, /\n    matched: rule 1:2000001 rev \d+ "blocked drop"\n    alert only: IDS mode \(the rule's action drop blocks in IPS mode only\)\n/);
  });

  it('unknown id and bad input', async () => {
    assert.equal((await explain(ipsDir, '999999')).status, 1);
    assert.equal((await explain(ipsDir, 'abc')).status, 2);
    assert.equal((await explain(join(scratch, 'missing'), '1')).status, 2);
  });
});
