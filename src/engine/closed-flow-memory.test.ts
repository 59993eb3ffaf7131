/**
 * A TCP session that closed gives its reassembly memory back at once,
 * not when its flow times out: many short connections must not fill
 * stream.reassembly.memcap while their closed flows wait the 60 s closed
 * timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Packet } from '../core/packet.js';
import { loadRunEngine, RunPipeline } from './run-pipeline.js';
import { TcpConversation } from '../test-support/packet-craft.js';

const REQUEST = 'GET /index.html HTTP/1.1\r\nHost: www.example\r\n\r\n';
const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';

test('closed sessions hold no reassembly memory', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'kapu-closed-'));
  try {
    const options = { configPath: null, ruleFiles: [], extraRuleFiles: [], logDir, checksumMode: 'none', sets: [], mode: null, env: {}, quiet: true } as const;
    const engine = loadRunEngine({ ...options, ruleFiles: [], extraRuleFiles: [], sets: [] });
    const run = new RunPipeline(engine, { ...options, ruleFiles: [], extraRuleFiles: [], sets: [] });
    const memory = engine.stream.reassemblyMemory;
    const p = new Packet();
    let timeUs = 1_704_067_200_000_000;
    let openPeak = 0;
    for (let i = 0; i < 20; i++) {
      const conv = new TcpConversation('198.51.100.1', '203.0.113.2', 40000 + i, 80).handshake().clientData(0, REQUEST).serverData(RESPONSE, REQUEST.length);
      for (const frame of conv.frames) {
        p.reset(frame, (timeUs += 1000), frame.length, 1, 0);
        run.pipeline.processPacket(p);
      }
      openPeak = Math.max(openPeak, memory.used);
      conv.frames.length = 0;
      conv.close(REQUEST.length, RESPONSE.length);
      for (const frame of conv.frames) {
        p.reset(frame, (timeUs += 1000), frame.length, 1, 0);
        run.pipeline.processPacket(p);
      }
    }
    // An open session with data holds buffers, so the check below is not vacuous.
    assert.ok(openPeak > 0, 'an open session holds stream buffers');
    // All 20 sessions closed within 1 s of capture time and none timed out yet.
    assert.equal(run.flows.counters.active, 20);
    assert.equal(memory.used, 0);
    run.close();
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
});
