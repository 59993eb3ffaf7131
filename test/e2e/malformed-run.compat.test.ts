// Every capture of the corpus's malformed folder (tcpdump's and Zeek's
// regression and fuzzer captures) through the whole `kapu run` pipeline:
// no exception other than a CaptureError for files that are not captures,
// no hang, and heap growth bounded across the whole folder.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CaptureError } from '../../src/core/errors.js';
import { runCapture } from '../../src/cli/run.js';
import { CORPUS_DIR, REPO_ROOT } from '../corpus-path.js';

const MALFORMED = join(CORPUS_DIR, 'pcaps', 'malformed');
/** About 880 files run in under a minute on one core; the bound leaves room for a slow CI machine. */
const TIME_LIMIT_MS = 300_000;
/** Heap growth allowed across the folder: a run keeps nothing once it ends. */
const HEAP_GROWTH_LIMIT_BYTES = 128 * 1024 * 1024;

const scratch = mkdtempSync(join(tmpdir(), 'kapu-malformed-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function listFiles(dir: string, found: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listFiles(path, found);
    else found.push(path);
  }
}

test('malformed corpus runs through pipeline', { skip: existsSync(MALFORMED) ? false : `${MALFORMED} not found` }, async () => {
  const files: string[] = [];
  listFiles(MALFORMED, files);
  const rules = [join(REPO_ROOT, 'samples', 'et-demo.rules'), join(REPO_ROOT, 'samples', 'demo.rules')];
  const logDir = join(scratch, 'out');
  const started = Date.now();
  let heapBefore = 0;
  let runs = 0;
  let notCaptures = 0;
  let packets = 0;

  for (const path of files) {
    try {
      const summary = await runCapture({
        pcapPath: path, configPath: null, ruleFiles: rules, extraRuleFiles: [], logDir,
        checksumMode: null, sets: [], mode: 'ips', env: {}, quiet: true,
      });
      packets += summary.packets;
      runs++;
    } catch (err) {
      assert.ok(err instanceof CaptureError, `${path}: ${String(err)}`);
      notCaptures++;
    }
    rmSync(logDir, { recursive: true, force: true });
    // The first runs load modules and warm caches; measure growth after them.
    if (runs === 20) {
      global.gc?.();
      heapBefore = process.memoryUsage().heapUsed;
    }
  }

  const elapsedMs = Date.now() - started;
  global.gc?.();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(runs > 800, `only ${runs} captures ran`);
  assert.ok(notCaptures >= 2, `${notCaptures} files raised CaptureError`);
  assert.ok(packets > 10_000, `${packets} packets`);
  assert.ok(elapsedMs < TIME_LIMIT_MS, `took ${elapsedMs} ms`);
  assert.ok(heapGrowth < HEAP_GROWTH_LIMIT_BYTES, `heap grew by ${heapGrowth} bytes`);
});
