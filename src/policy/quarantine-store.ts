/**
 * Quarantine and rate-limit records in SQLite (better-sqlite3, WAL mode):
 * which address or prefix, which action (with the rate of a limit), why (the rule or finding and the policy entry), when it
 * began, when it expires and when it was released. kapu reads the active
 * records at start and puts them back into nftables, so a restart keeps
 * every quarantine. `kapu quarantine` and a running kapu may use the file
 * at the same time; WAL lets readers go on while one writes.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { ErrorCode, KapuError } from '../core/errors.js';
import type { RateLimitSpec, ResponseAction } from './quarantine-manager.js';

/** Origin of a quarantine: a command or an alert's response. */
export type QuarantineOrigin = 'manual' | 'automatic';

/** A quarantine to store. */
export interface NewQuarantineRecord {
  /** Canonical address or prefix (formatPrefix). */
  address: string;
  action: ResponseAction;
  /** The rate of a rate limit; null for a quarantine. */
  rate: RateLimitSpec | null;
  /** Text shown by `kapu quarantine list`. */
  reason: string;
  origin: QuarantineOrigin;
  /** The rule that triggered an automatic quarantine, as `gid:sid:rev`, else null. */
  rule: string | null;
  /** The policy entry that asked for it (`policy.responses.0`), else null. */
  policyEntry: string | null;
  /** Evidence as JSON text, else null. */
  evidence: string | null;
  createdMs: number;
  expiresMs: number;
}

/** A stored quarantine. */
export interface QuarantineRecord extends NewQuarantineRecord {
  id: number;
  /** Wall time of the release, or null while it lasts (or until it expired). */
  releasedMs: number | null;
  /** `manual`, or `replaced` when a new quarantine of the same address took its place. */
  releasedBy: string | null;
}

/** Milliseconds a writer waits for another process's lock on the file before the statement fails. */
export const QUARANTINE_STORE_BUSY_TIMEOUT_MS = 5_000;

/** The part of better-sqlite3's API this store uses (the package ships no types). */
interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple: boolean }): unknown;
  close(): void;
}
type SqliteConstructor = new (path: string, options?: { timeout?: number }) => SqliteDatabase;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  address TEXT NOT NULL,
  reason TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('manual', 'automatic')),
  rule TEXT,
  policy_entry TEXT,
  evidence TEXT,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  released_ms INTEGER,
  released_by TEXT
);
CREATE INDEX IF NOT EXISTS quarantine_active ON quarantine (released_ms, expires_ms);
`;

/** Columns added after the first schema, each with its definition; open() adds those a file lacks. */
const ADDED_COLUMNS: readonly [string, string][] = [
  ['action', "TEXT NOT NULL DEFAULT 'quarantine'"],
  ['rate_pps', 'INTEGER'],
  ['rate_bytes', 'INTEGER'],
];

const COLUMNS = 'id, address, action, rate_pps, rate_bytes, reason, origin, rule, policy_entry, evidence, created_ms, expires_ms, released_ms, released_by';

interface Row {
  id: number;
  address: string;
  action: ResponseAction;
  rate_pps: number | null;
  rate_bytes: number | null;
  reason: string;
  origin: QuarantineOrigin;
  rule: string | null;
  policy_entry: string | null;
  evidence: string | null;
  created_ms: number;
  expires_ms: number;
  released_ms: number | null;
  released_by: string | null;
}

function recordOf(row: Row): QuarantineRecord {
  return {
    id: row.id,
    address: row.address,
    action: row.action,
    rate: row.rate_pps !== null ? { packetsPerS: row.rate_pps, bytesPerS: row.rate_bytes } : null,
    reason: row.reason,
    origin: row.origin,
    rule: row.rule,
    policyEntry: row.policy_entry,
    evidence: row.evidence,
    createdMs: row.created_ms,
    expiresMs: row.expires_ms,
    releasedMs: row.released_ms,
    releasedBy: row.released_by,
  };
}

/** Wraps a better-sqlite3 error in KAPU_ERR_QUARANTINE_STORE_FAILED, naming the file. */
function storeError(path: string, what: string, err: unknown): KapuError {
  const reason = err instanceof Error ? err.message : String(err);
  return new KapuError(ErrorCode.QUARANTINE_STORE_FAILED, `quarantine database '${path}': cannot ${what} (${reason}); check the path (policy.quarantine.database) and its folder's permissions`, { cause: err });
}

/** The quarantine table of one SQLite file. */
export class QuarantineStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly insert: SqliteStatement;
  private readonly selectActive: SqliteStatement;
  private readonly selectRecent: SqliteStatement;
  private readonly releaseActive: SqliteStatement;
  private readonly releaseActiveOfAction: SqliteStatement;

  private constructor(path: string, db: SqliteDatabase) {
    this.path = path;
    this.db = db;
    this.insert = db.prepare(`INSERT INTO quarantine (address, action, rate_pps, rate_bytes, reason, origin, rule, policy_entry, evidence, created_ms, expires_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.selectActive = db.prepare(`SELECT ${COLUMNS} FROM quarantine WHERE released_ms IS NULL AND expires_ms > ? ORDER BY created_ms, id`);
    this.selectRecent = db.prepare(`SELECT ${COLUMNS} FROM quarantine ORDER BY id DESC LIMIT ?`);
    this.releaseActive = db.prepare('UPDATE quarantine SET released_ms = ?, released_by = ? WHERE address = ? AND released_ms IS NULL AND expires_ms > ?');
    this.releaseActiveOfAction = db.prepare('UPDATE quarantine SET released_ms = ?, released_by = ? WHERE address = ? AND action = ? AND released_ms IS NULL AND expires_ms > ?');
  }

  /**
   * Opens (or creates, with its folder) the database at `path` in WAL
   * mode. Throws KapuError (KAPU_ERR_QUARANTINE_STORE_FAILED) when it
   * cannot.
   */
  static open(path: string): QuarantineStore {
    let db: SqliteDatabase | null = null;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteConstructor;
      db = new Database(path, { timeout: QUARANTINE_STORE_BUSY_TIMEOUT_MS });
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across a kapu crash in WAL mode; only a power loss can lose the last commits.
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      const present = new Set((db.prepare('PRAGMA table_info(quarantine)').all() as { name: string }[]).map((c) => c.name));
      for (const [name, definition] of ADDED_COLUMNS) {
        if (!present.has(name)) db.exec(`ALTER TABLE quarantine ADD COLUMN ${name} ${definition}`);
      }
      return new QuarantineStore(path, db);
    } catch (err) {
      db?.close();
      throw storeError(path, 'open', err);
    }
  }

  /** Returns the journal mode SQLite reports (`wal` once open). */
  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }));
  }

  /**
   * Stores a quarantine or rate limit and returns its id. An active record
   * of the same address and action is released as `replaced` in the same
   * transaction, so one address has at most one active record per action.
   */
  add(record: NewQuarantineRecord): number {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.releaseActiveOfAction.run(record.createdMs, 'replaced', record.address, record.action, record.createdMs);
        const rate = record.rate;
        const result = this.insert.run(record.address, record.action, rate !== null ? rate.packetsPerS : null, rate !== null ? rate.bytesPerS : null, record.reason, record.origin, record.rule, record.policyEntry, record.evidence, record.createdMs, record.expiresMs);
        this.db.exec('COMMIT');
        return Number(result.lastInsertRowid);
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      throw storeError(this.path, `store the quarantine of ${record.address}`, err);
    }
  }

  /** Returns the records neither released nor expired at `nowMs`, oldest first. */
  active(nowMs: number): QuarantineRecord[] {
    try {
      return (this.selectActive.all(nowMs) as Row[]).map(recordOf);
    } catch (err) {
      throw storeError(this.path, 'read the quarantines', err);
    }
  }

  /** Returns the newest `limit` records of any state, newest first. */
  recent(limit: number): QuarantineRecord[] {
    try {
      return (this.selectRecent.all(limit) as Row[]).map(recordOf);
    } catch (err) {
      throw storeError(this.path, 'read the quarantines', err);
    }
  }

  /** Marks the active records of `address` (of every action) released at `nowMs` by `by`; returns whether one was active. */
  release(address: string, nowMs: number, by = 'manual'): boolean {
    try {
      return this.releaseActive.run(nowMs, by, address, nowMs).changes > 0;
    } catch (err) {
      throw storeError(this.path, `release ${address}`, err);
    }
  }

  close(): void {
    this.db.close();
  }
}
