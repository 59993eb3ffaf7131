/**
 * The quarantine action of anomaly.actions acts only on a scanner that
 * completed TCP handshakes through kapu: a connect scan (handshakes) is
 * quarantined, a SYN scan from a source that never completed one is not,
 * since its address may be forged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Packet } from '../core/packet.js';
import { loadRunEngine, RunPipeline } from './run-pipeline.js';
import { TcpConversation, TcpFlag, tcpFrame } from '../test-support/packet-craft.js';

const CONFIG = `anomaly:
  enabled: yes
  home-networks: [198.51.100.0/24]
  actions:
    rules:
      - { detector: port_scan, action: quarantine, timeout: 10m }
`;

/** Runs one scan of 60 ports from `scanner` and returns the anomaly action counters. */
function scan(completesHandshakes: boolean): { taken: number; noHandshake: number; findings: number } {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-anomaly-quarantine-'));
  try {
    const configPath = join(dir, 'kapu.yaml');
    writeFileSync(configPath, CONFIG);
    const options = { configPath, ruleFiles: [] as string[], extraRuleFiles: [] as string[], logDir: dir, checksumMode: 'none' as const, sets: [] as string[], mode: 'ips' as const, env: {}, quiet: true };
    const engine = loadRunEngine(options);
    const run = new RunPipeline(engine, options);
    const p = new Packet();
    let timeUs = 1_704_067_200_000_000;
    const feed = (frame: Uint8Array): void => {
      p.reset(frame, (timeUs += 2000), frame.length, 1, 0);
      run.pipeline.processPacket(p);
    };
    for (let port = 1000; port < 1060; port++) {
      if (completesHandshakes) {
        for (const frame of new TcpConversation('203.0.113.9', '198.51.100.5', 40000 + port, port).handshake().frames) feed(frame);
      } else {
        feed(tcpFrame({ src: '203.0.113.9', dst: '198.51.100.5', sport: 40000 + port, dport: port, seq: 1, ack: 0, flags: TcpFlag.SYN }));
      }
    }
    // Two more seconds of capture time close the measuring intervals.
    for (let i = 0; i < 3; i++) {
      timeUs += 1_000_000;
      feed(tcpFrame({ src: '198.51.100.7', dst: '198.51.100.8', sport: 5000 + i, dport: 80, seq: 1, ack: 0, flags: TcpFlag.SYN }));
    }
    const actions = run.pipeline.parts.anomalyActions;
    assert.ok(actions !== null && actions !== undefined, 'anomaly actions are built');
    const result = { taken: actions.counters.taken, noHandshake: actions.counters.noHandshake, findings: run.pipeline.counters.anomalyFindings };
    run.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('connect scanner is quarantined', () => {
  const result = scan(true);
  assert.ok(result.findings >= 1, `findings ${result.findings}`);
  assert.equal(result.taken, 1);
  assert.equal(result.noHandshake, 0);
});

test('SYN scanner is not quarantined', () => {
  const result = scan(false);
  assert.ok(result.findings >= 1, `findings ${result.findings}`);
  assert.equal(result.taken, 0);
  assert.equal(result.noHandshake, 1);
});
