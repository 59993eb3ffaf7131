import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LinkType, Packet } from '../core/packet.js';
import { FlowEndReason } from '../flow/flow.js';
import { bytesOf, TcpFlag, tcpFrame } from '../test-support/packet-craft.js';
import { changedKeys, reloadRules } from './rule-reload.js';
import { loadRunEngine, RunPipeline, type RunPipelineOptions } from './run-pipeline.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-rule-reload-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const CONFIG = `%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert
        - stats
`;

const OLD_RULES = 'alert tcp any any -> any 8080 (msg:"first part"; content:"AAA"; flowbits:set,seen; sid:1;)\n';
// The new rule's flowbit name comes first, so a fresh load would give
// `seen` another id than the running rules gave it.
const NEW_RULES = 'alert tcp any any -> any 8080 (msg:"other"; content:"ZZZ"; flowbits:set,other; sid:3;)\n'
  + OLD_RULES
  + 'drop tcp any any -> any 8080 (msg:"second part"; content:"BBB"; flowbits:isset,seen; sid:2;)\n';

let caseNumber = 0;

/** Opens a run with `rules` in IPS mode and returns it with its options and paths. */
function openRun(rules: string): { run: RunPipeline; opts: RunPipelineOptions; rulesPath: string; configPath: string; logDir: string } {
  const dir = join(scratch, String(++caseNumber));
  const rulesPath = join(scratch, `${caseNumber}.rules`);
  const configPath = join(scratch, `${caseNumber}.yaml`);
  writeFileSync(rulesPath, rules);
  writeFileSync(configPath, CONFIG);
  const opts: RunPipelineOptions = {
    configPath, ruleFiles: [rulesPath], extraRuleFiles: [], logDir: join(dir, 'log'),
    checksumMode: 'none', sets: [], mode: 'ips', env: {}, quiet: true,
  };
  return { run: new RunPipeline(loadRunEngine(opts), opts), opts, rulesPath, configPath, logDir: join(dir, 'log') };
}

/** One TCP connection from 198.51.100.2:`sport` to 203.0.113.2:`dport`, segment by segment. */
class Connection {
  private clientSeq = 1000;
  private readonly serverSeq = 5000;
  private frame = 0;
  constructor(private readonly run: RunPipeline, private readonly sport: number, private readonly dport = 8080) {}

  handshake(): void {
    this.send('198.51.100.2', '203.0.113.2', this.sport, this.dport, this.clientSeq, 0, TcpFlag.SYN);
    this.send('203.0.113.2', '198.51.100.2', this.dport, this.sport, this.serverSeq, this.clientSeq + 1, TcpFlag.SYN | TcpFlag.ACK);
    this.clientSeq++;
    this.send('198.51.100.2', '203.0.113.2', this.sport, this.dport, this.clientSeq, this.serverSeq + 1, TcpFlag.ACK);
  }

  /** Sends `text` from the client and returns the packet after the pipeline. */
  data(text: string): Packet {
    const p = this.send('198.51.100.2', '203.0.113.2', this.sport, this.dport, this.clientSeq, this.serverSeq + 1, TcpFlag.ACK | TcpFlag.PSH, text);
    this.clientSeq += text.length;
    return p;
  }

  private send(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, text?: string): Packet {
    const frame = tcpFrame({ src, dst, sport, dport, seq, ack, flags, ...(text === undefined ? {} : { payload: bytesOf(text) }) });
    const p = new Packet();
    p.reset(frame, 1_700_000_000_000_000 + ++this.frame * 1000, frame.length, LinkType.ETHERNET, this.frame);
    this.run.pipeline.processPacket(p);
    return p;
  }
}

function alertCount(run: RunPipeline, sid: number): number {
  return run.pipeline.counters.alertsBySignature.get(`1:${sid}:0`)?.count ?? 0;
}

describe('rule reload', () => {
  it('keeps open flow and its flowbits', () => {
    const { run, opts, rulesPath } = openRun(OLD_RULES);
    const flow = new Connection(run, 40000);
    flow.handshake();
    assert.equal(flow.data('AAA').isDropped, false);
    assert.equal(alertCount(run, 1), 1);
    assert.equal(flow.data('CCC').isDropped, false);
    const flowsBefore = run.flows.counters.created;

    writeFileSync(rulesPath, NEW_RULES);
    const outcome = reloadRules(run, opts, new Set());
    assert.equal(outcome.isApplied, true, outcome.message);
    assert.equal(outcome.message, 'rules reloaded: 3 loaded, 0 failed, 0 skipped');
    assert.deepEqual(outcome.restartKeys, []);
    assert.equal(run.engine.rules.summary.loaded, 3);
    assert.equal(run.flows.counters.created, flowsBefore);

    assert.equal(run.flows.counters.created, flowsBefore, "the old flow goes on");
    // The flowbit set before the reload is still set, so the new drop rule fires on the old flow.
    assert.equal(flow.data('BBB').isDropped, true);
    assert.equal(alertCount(run, 2), 1);
    // A new flow without the flowbit is not dropped.
    const fresh = new Connection(run, 40001);
    fresh.handshake();
    assert.equal(fresh.data('BBB').isDropped, false);
    assert.equal(alertCount(run, 2), 1);
    run.close();
  });

  it('runs new IP-only rules on an open flow', () => {
    const { run, opts, rulesPath } = openRun(OLD_RULES);
    const flow = new Connection(run, 40003);
    flow.handshake();
    flow.data('AAA');
    writeFileSync(rulesPath, OLD_RULES + 'alert ip 198.51.100.2 any -> 203.0.113.2 any (msg:"ip only"; sid:4;)\n');
    assert.equal(reloadRules(run, opts, new Set()).isApplied, true);
    flow.data('CCC');
    assert.equal(alertCount(run, 4), 1);
    run.close();
  });

  it('inspects an open transaction with the new rules', () => {
    const uriRule = (sid: number): string => `alert http any any -> any any (msg:"uri ${sid}"; flow:to_server; http.uri; content:"/one"; sid:${sid};)\n`;
    const { run, opts, rulesPath } = openRun(uriRule(11));
    const flow = new Connection(run, 40004, 80);
    flow.handshake();
    flow.data('GET /one HTTP/1.1\r\nHost: lab\r\n\r\n');
    assert.equal(alertCount(run, 11), 1);
    // The new rule comes first, so it takes the index that sid 11 had.
    writeFileSync(rulesPath, uriRule(12) + uriRule(11));
    assert.equal(reloadRules(run, opts, new Set()).isApplied, true);
    // No response came, so the transaction is still open when the flow ends.
    run.pipeline.finish(FlowEndReason.SHUTDOWN);
    assert.equal(alertCount(run, 12), 1);
    run.close();
  });

  it('warns of rules needing restart', () => {
    const { run, opts, rulesPath } = openRun(OLD_RULES);
    writeFileSync(rulesPath, OLD_RULES + 'alert http any any -> any any (msg:"both"; http.uri; content:"/x"; pkt_data; content:"GET"; sid:20;)\n');
    const outcome = reloadRules(run, opts, new Set());
    assert.equal(outcome.isApplied, true, outcome.message);
    assert.deepEqual(outcome.warnings, ['app-layer rules that also inspect packet data (pkt_data) take effect after a restart']);
    run.close();
  });

  it('keeps the old rules when a rule file is missing', () => {
    const { run, opts, rulesPath } = openRun(NEW_RULES);
    unlinkSync(rulesPath);
    const outcome = reloadRules(run, opts, new Set());
    assert.equal(outcome.isApplied, false);
    assert.match(outcome.message, /^rule reload failed, the old rules stay: .*rule file cannot be read/);
    assert.equal(run.engine.rules.summary.loaded, 3);
    const flow = new Connection(run, 40002);
    flow.handshake();
    flow.data('AAA');
    assert.equal(flow.data('BBB').isDropped, true);
    run.close();
  });

  it('keeps the old rules on an invalid config', () => {
    const { run, opts, configPath } = openRun(NEW_RULES);
    writeFileSync(configPath, 'stream: [unclosed\n');
    const outcome = reloadRules(run, opts, new Set());
    assert.equal(outcome.isApplied, false);
    assert.match(outcome.message, /^rule reload failed, the old rules stay: config cannot be read/);
    assert.equal(run.engine.rules.summary.loaded, 3);
    run.close();
  });

  it('reports a changed config key that needs a restart once', () => {
    const { run, opts, configPath } = openRun(OLD_RULES);
    writeFileSync(configPath, CONFIG + 'stream:\n  midstream: true\nvars:\n  address-groups:\n    HOME_NET: "[10.0.0.0/8]"\n');
    const reported = new Set<string>();
    const first = reloadRules(run, opts, reported);
    assert.equal(first.isApplied, true, first.message);
    assert.deepEqual(first.restartKeys, ['stream.midstream']);
    assert.equal(run.engine.config.stream.midstream, false);
    assert.equal(run.engine.config.vars.addressGroups['HOME_NET'], '[10.0.0.0/8]');
    assert.deepEqual(reloadRules(run, opts, reported).restartKeys, []);
    run.close();
  });

  it('writes the reload time and rule counts in the stats event', () => {
    const { run, opts, rulesPath, logDir } = openRun(OLD_RULES);
    writeFileSync(rulesPath, NEW_RULES + 'alert tcp any any -> any any (msg:"bad"; nosuchkeyword; sid:9;)\n');
    const beforeUs = Date.now() * 1000;
    assert.equal(reloadRules(run, opts, new Set()).isApplied, true);
    run.writeStats(Date.now() * 1000, 1);
    run.close();
    const stats = readFileSync(join(logDir, 'eve.json'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>)
      .filter((e) => e['event_type'] === 'stats');
    const engine = stats.at(-1)?.['stats']['detect']['engines'][0];
    assert.equal(engine['rules_loaded'], 3);
    assert.equal(engine['rules_failed'], 1);
    assert.ok(Date.parse(engine['last_reload']) >= Math.floor(beforeUs / 1000), engine['last_reload']);
  });
});

describe('changedKeys', () => {
  it('lists changed leaves by dotted path and leaves out reloaded keys', () => {
    const before = { vars: { a: 1 }, stream: { midstream: false, reassembly: { depth: 1 } }, actionOrder: ['pass', 'drop'] };
    const after = { vars: { a: 2 }, stream: { midstream: false, reassembly: { depth: 2 } }, actionOrder: ['drop', 'pass'] };
    assert.deepEqual(changedKeys(before, after, ''), ['stream.reassembly.depth', 'actionOrder']);
  });
});
