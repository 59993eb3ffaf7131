/**
 * `outputs: - fast: append: no` (samples/demo.yaml) starts fast.log afresh
 * on every run, in one thread and on worker threads, which share the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runCapture } from './run.js';

const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));

function fastLines(logDir: string): number {
  return readFileSync(join(logDir, 'fast.log'), 'utf8').split('\n').filter((line) => line !== '').length;
}

for (const workers of [1, 2]) {
  test(`fast.log without append, ${workers} worker(s)`, async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'kapu-fast-append-'));
    try {
      const options = {
        pcapPath: join(SAMPLES, 'demo.pcap'), configPath: join(SAMPLES, 'demo.yaml'), ruleFiles: null, extraRuleFiles: [],
        logDir, checksumMode: null, sets: [], mode: null, env: {}, quiet: true, workers,
      };
      const first = await runCapture(options);
      assert.equal(fastLines(logDir), first.alerts);
      await runCapture(options);
      assert.equal(fastLines(logDir), first.alerts, 'the second run replaced the first run\'s lines');
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  });
}
