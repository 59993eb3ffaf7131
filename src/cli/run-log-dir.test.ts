import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCapture } from './run.js';
import { REPO_ROOT } from '../../test/corpus-path.js';

test('log folder from default-log-dir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-log-dir-'));
  try {
    const configured = join(dir, 'configured');
    writeFileSync(join(dir, 'kapu.yaml'), `default-log-dir: ${configured}\n`);
    writeFileSync(join(dir, 'empty.rules'), '');
    const options = {
      pcapPath: join(REPO_ROOT, 'samples', 'demo.pcap'),
      configPath: join(dir, 'kapu.yaml'),
      ruleFiles: [join(dir, 'empty.rules')],
      extraRuleFiles: [],
      checksumMode: null,
      sets: [],
      mode: null,
      env: {},
      quiet: true,
    };
    // Without -l the config's folder is used.
    await runCapture({ ...options, logDir: null });
    assert.equal(existsSync(join(configured, 'eve.json')), true);
    // -l wins over the config.
    const explicitDir = join(dir, 'explicit');
    await runCapture({ ...options, logDir: explicitDir });
    assert.equal(existsSync(join(explicitDir, 'eve.json')), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
