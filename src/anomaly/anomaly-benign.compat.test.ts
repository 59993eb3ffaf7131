/**
 * False alarms on benign traffic: baselines are learnt from the captures
 * that test/expected/anomaly-benign-split.tsv marks `baseline` (one run
 * each, learn-only, stored in one baseline file), then every `check`
 * capture runs with that file loaded and all detectors on, and must raise
 * no gid 8200 alert. Each alert that remains is listed with its capture.
 *
 * The benign captures are short (most under a minute), so the learning
 * period is shortened to 30 intervals and 30 s of capture time; with the
 * defaults (100 intervals, 600 s) no baseline would ever score and the
 * baseline detector would not be tested at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR, REPO_ROOT } from '../../test/corpus-path.js';
import { runAnomalyCapture } from './anomaly-run.js';
import { BaselineStore } from './baseline-store.js';

const SPLIT = join(REPO_ROOT, 'test', 'expected', 'anomaly-benign-split.tsv');
const PCAPS = join(CORPUS_DIR, 'pcaps');
const SKIP = existsSync(join(PCAPS, 'benign')) ? false : `${join(PCAPS, 'benign')} not found (set KAPU_CORPUS)`;
const LEARNING = ['anomaly.baseline.min-samples=30', 'anomaly.baseline.learning-period=30'];

function readSplit(): Array<{ capture: string; role: string }> {
  const lines = readFileSync(SPLIT, 'utf8').split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return { capture: cells[0], role: cells[1] };
  });
}

test('benign check captures raise no anomaly', { skip: SKIP }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-benign-'));
  try {
    const db = join(dir, 'baselines.db');
    const split = readSplit();
    for (const row of split.filter((r) => r.role === 'baseline')) {
      await runAnomalyCapture(join(PCAPS, row.capture), [...LEARNING, 'anomaly.learn-only=yes', `anomaly.baseline.file=${db}`, 'anomaly.baseline.save=yes']);
    }
    const store = new BaselineStore(db);
    const stored = store.loadAll();
    store.close();
    const network = stored.filter((r) => r.entity === 'network');
    t.diagnostic(`baselines stored: ${stored.length} rows, network rows ${network.length}, network pps_in count ${network.find((r) => r.metric === 'pps_in')?.count ?? 0}`);
    assert.ok(network.length > 0, 'the network baseline was learnt');

    const alarms: string[] = [];
    for (const row of split.filter((r) => r.role === 'check')) {
      const alerts = await runAnomalyCapture(join(PCAPS, row.capture), [...LEARNING, `anomaly.baseline.file=${db}`]);
      for (const a of alerts.filter((x) => x.phase === 'start')) {
        alarms.push(`${row.capture}: sid ${a.sid} ${a.type} ${a.srcIp ?? '-'} -> ${a.destIp ?? '-'} ${a.metric}=${a.observed}`);
      }
    }
    for (const alarm of alarms) t.diagnostic(alarm);
    assert.deepEqual(alarms, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
