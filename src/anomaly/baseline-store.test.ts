import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BASELINE_SCHEMA_VERSION, BaselineStore, exportEwmaSeries, importEwmaSeries, type BaselineRow } from './baseline-store.js';
import { EwmaBank, defaultEwmaConfig } from './ewma.js';

const folder = mkdtempSync(join(tmpdir(), 'kapu-baselines-'));
after(() => rmSync(folder, { recursive: true, force: true }));
let fileNumber = 0;
const newPath = (): string => join(folder, `baselines-${++fileNumber}.db`);

function row(entity: string, metric: string, slot: number, mean: number): BaselineRow {
  return { entity, metric, slot, mean, variance: mean / 2, count: 10, firstUpdateS: 1000, lastUpdateS: 2000 + slot };
}

test('baseline store round trip', () => {
  const path = newPath();
  const store = new BaselineStore(path);
  const rows = [row('198.51.100.5', 'packets_out', 0, 12.5), row('198.51.100.5', 'packets_out', 167, 3), row('network', 'syn_in', 62, 400)];
  assert.equal(store.saveBatch(rows), 3);
  store.close();

  const reopened = new BaselineStore(path);
  assert.deepEqual(reopened.loadAll(), rows, 'ordered by entity, metric, slot');
  assert.deepEqual(reopened.loadEntity('198.51.100.5'), [rows[0], rows[1]]);
  assert.deepEqual(reopened.loadEntity('198.51.100.6'), []);
  reopened.close();
});

test('baseline store wal and version', () => {
  const store = new BaselineStore(newPath());
  assert.equal(store.journalMode(), 'wal');
  assert.equal(store.schemaVersion(), BASELINE_SCHEMA_VERSION);
  assert.equal(store.schemaVersion(), 1);
  store.close();
});

test('baseline store upsert replaces row', () => {
  const store = new BaselineStore(newPath());
  store.saveBatch([row('lan', 'bytes_in', 5, 100)]);
  store.saveBatch([row('lan', 'bytes_in', 5, 250)]);
  const loaded = store.loadAll();
  assert.equal(loaded.length, 1);
  assert.equal(loaded[0].mean, 250);
  store.close();
});

test('baseline store batch is atomic', () => {
  // The second row's slot 168 breaks CHECK (slot BETWEEN 0 AND 167), so the
  // first row of the batch must not be stored either.
  const store = new BaselineStore(newPath());
  assert.throws(() => store.saveBatch([row('a', 'm', 1, 1), row('a', 'm', 168, 1)]), /CHECK constraint failed/);
  assert.deepEqual(store.loadAll(), []);
  assert.throws(() => store.saveBatch([row('a', 'm', 1, NaN)]), /NOT NULL constraint failed/);
  store.close();
});

test('baseline store deletes stale rows', () => {
  // lastUpdateS is 2000 + slot: slots 0 and 1 are older than 2001.5.
  const store = new BaselineStore(newPath());
  store.saveBatch([row('a', 'm', 0, 1), row('a', 'm', 1, 1), row('a', 'm', 2, 1)]);
  assert.equal(store.deleteStale(2001.5), 2);
  assert.deepEqual(store.loadAll().map((r) => r.slot), [2]);
  store.close();
});

test('baseline store rejects newer schema', () => {
  const path = newPath();
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => {
    pragma(source: string): unknown;
    close(): unknown;
  };
  const db = new Database(path);
  db.pragma('user_version = 9');
  db.close();
  assert.throws(() => new BaselineStore(path), /schema version 9, newer than the supported 1/);
});

test('baseline store keeps ewma state', () => {
  // Values 10, 20, 10 at 60 s spacing with a 60 s half-life give mean 12.5
  // and variance 18.75 (worked out in ewma.test.ts); they must come back
  // from the file into another series and score alike.
  const config = { ...defaultEwmaConfig(), halfLifeS: 60, maxGapS: 600, minSamples: 3, minLearningS: 0 };
  const bank = new EwmaBank(config, 2);
  bank.update(0, 10, 0);
  bank.update(0, 20, 60);
  bank.update(0, 10, 120);
  const rows: BaselineRow[] = [];
  exportEwmaSeries(bank, 0, '198.51.100.5', 'packets_out', rows);
  exportEwmaSeries(bank, 1, '198.51.100.6', 'packets_out', rows);
  assert.equal(rows.length, 1, 'series 1 has learnt nothing');

  const path = newPath();
  const store = new BaselineStore(path);
  store.saveBatch(rows);
  store.close();

  const loaded = new BaselineStore(path);
  const restored = new EwmaBank(config, 2);
  assert.equal(importEwmaSeries(restored, 1, loaded.loadEntity('198.51.100.5')), 1);
  loaded.close();
  const state = restored.readSlot(1, 0, { mean: 0, variance: 0, count: 0, firstUpdateS: 0, lastUpdateS: 0 });
  assert.equal(state.mean, 12.5);
  assert.equal(state.variance, 18.75);
  assert.equal(state.count, 3);
  assert.equal(state.lastUpdateS, 120);
  assert.ok(Math.abs(restored.zScore(1, 30, 180) - 17.5 / Math.sqrt(18.75)) < 1e-12);
});
