import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ErrorCode, KapuError } from '../core/errors.js';
import { QuarantineStore, type NewQuarantineRecord } from './quarantine-store.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-qstore-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 11, 5, 3, 0, 0);

function record(address: string, createdMs: number, timeoutS: number, extra: Partial<NewQuarantineRecord> = {}): NewQuarantineRecord {
  return { address, action: 'quarantine', rate: null, reason: 'manual', origin: 'manual', rule: null, policyEntry: null, evidence: null, createdMs, expiresMs: createdMs + timeoutS * 1000, ...extra };
}

test('store opens in wal mode', () => {
  const path = join(scratch, 'sub', 'wal.db');
  const store = QuarantineStore.open(path);
  assert.equal(store.journalMode(), 'wal');
  store.close();
  assert.ok(existsSync(path));
});

test('store add and list active', () => {
  const store = QuarantineStore.open(join(scratch, 'add.db'));
  const id = store.add(record('198.51.100.2', T0, 60, { origin: 'automatic', reason: 'lab trigger [1:1000010:1]', rule: '1:1000010:1', policyEntry: 'policy.responses.0', evidence: '{"handshake":true}' }));
  store.add(record('2001:db8:1::/64', T0 + 1000, 3600));
  const active = store.active(T0 + 2000);
  assert.equal(active.length, 2);
  assert.deepEqual(active[0], {
    id, address: '198.51.100.2', action: 'quarantine', rate: null, reason: 'lab trigger [1:1000010:1]', origin: 'automatic', rule: '1:1000010:1', policyEntry: 'policy.responses.0',
    evidence: '{"handshake":true}', createdMs: T0, expiresMs: T0 + 60_000, releasedMs: null, releasedBy: null,
  });
  assert.equal(active[1]?.address, '2001:db8:1::/64');
  store.close();
});

test('store keeps rate limit beside quarantine', () => {
  const store = QuarantineStore.open(join(scratch, 'limit.db'));
  store.add(record('198.51.100.2', T0, 60));
  store.add(record('198.51.100.2', T0 + 1000, 30, { action: 'rate-limit', rate: { packetsPerS: 20, bytesPerS: null } }));
  // A second limit of the same address replaces the first, and leaves the quarantine alone.
  store.add(record('198.51.100.2', T0 + 2000, 30, { action: 'rate-limit', rate: { packetsPerS: 50, bytesPerS: 125_000 } }));
  const active = store.active(T0 + 3000);
  assert.deepEqual(active.map((r) => [r.action, r.rate]), [['quarantine', null], ['rate-limit', { packetsPerS: 50, bytesPerS: 125_000 }]]);
  // A release ends both.
  assert.equal(store.release('198.51.100.2', T0 + 4000), true);
  assert.deepEqual(store.active(T0 + 5000), []);
  store.close();
});

test('store adds columns to old file', () => {
  const path = join(scratch, 'old.db');
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => { exec(sql: string): void; close(): void };
  const db = new Database(path);
  // The table as the first release created it, with one quarantine in it.
  db.exec(`CREATE TABLE quarantine (id INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT NOT NULL, reason TEXT NOT NULL,
    origin TEXT NOT NULL, rule TEXT, policy_entry TEXT, evidence TEXT, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
    released_ms INTEGER, released_by TEXT);
    INSERT INTO quarantine (address, reason, origin, created_ms, expires_ms) VALUES ('198.51.100.9', 'old', 'manual', ${T0}, ${T0 + 60_000});`);
  db.close();
  const store = QuarantineStore.open(path);
  const [old] = store.active(T0);
  assert.equal(old?.action, 'quarantine');
  assert.equal(old?.rate, null);
  store.add(record('198.51.100.10', T0, 60, { action: 'rate-limit', rate: { packetsPerS: 5, bytesPerS: null } }));
  assert.equal(store.active(T0).length, 2);
  store.close();
});

test('store skips expired records', () => {
  const store = QuarantineStore.open(join(scratch, 'expire.db'));
  store.add(record('198.51.100.2', T0, 3));
  store.add(record('198.51.100.3', T0, 10));
  assert.deepEqual(store.active(T0 + 2999).map((r) => r.address), ['198.51.100.2', '198.51.100.3']);
  // Expiry is exclusive: at created + timeout the record is over.
  assert.deepEqual(store.active(T0 + 3000).map((r) => r.address), ['198.51.100.3']);
  assert.deepEqual(store.active(T0 + 10_000), []);
  // Expired records stay in the history.
  assert.equal(store.recent(10).length, 2);
  store.close();
});

test('store release ends record', () => {
  const store = QuarantineStore.open(join(scratch, 'release.db'));
  store.add(record('198.51.100.2', T0, 60));
  assert.equal(store.release('198.51.100.2', T0 + 5000), true);
  assert.equal(store.release('198.51.100.2', T0 + 6000), false);
  assert.deepEqual(store.active(T0 + 7000), []);
  const [released] = store.recent(1);
  assert.equal(released?.releasedMs, T0 + 5000);
  assert.equal(released?.releasedBy, 'manual');
  store.close();
});

test('store re-add replaces active record', () => {
  const store = QuarantineStore.open(join(scratch, 'replace.db'));
  store.add(record('198.51.100.2', T0, 60, { reason: 'first' }));
  store.add(record('198.51.100.2', T0 + 1000, 600, { reason: 'second' }));
  const active = store.active(T0 + 2000);
  assert.equal(active.length, 1);
  assert.equal(active[0]?.reason, 'second');
  assert.equal(active[0]?.expiresMs, T0 + 601_000);
  assert.equal(store.recent(2)[1]?.releasedBy, 'replaced');
  store.close();
});

test('store restore after reopen', () => {
  const path = join(scratch, 'restart.db');
  const first = QuarantineStore.open(path);
  first.add(record('198.51.100.2', T0, 60));
  first.add(record('198.51.100.3', T0, 2));
  first.close();
  const second = QuarantineStore.open(path);
  assert.deepEqual(second.active(T0 + 5000).map((r) => r.address), ['198.51.100.2']);
  second.close();
});

test('store open failure names path', () => {
  const file = join(scratch, 'not-a-folder');
  writeFileSync(file, 'x');
  assert.throws(() => QuarantineStore.open(join(file, 'q.db')), (err: unknown) => {
    assert.ok(err instanceof KapuError);
    assert.equal(err.code, ErrorCode.QUARANTINE_STORE_FAILED);
    assert.match(err.message, /^quarantine database '.*not-a-folder\/q\.db': cannot open \(.*\); check the path \(policy\.quarantine\.database\)/);
    return true;
  });
});
