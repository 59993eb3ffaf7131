/**
 * Learned baselines on disk: one SQLite row per (entity, metric, slot)
 * with the EWMA state, so a restart does not begin learning anew.
 *
 * The database runs in WAL mode, so readers (the dashboard, `sqlite3`) do
 * not block the writer. Each `saveBatch` call is one transaction: a batch
 * is stored whole or not at all. Saving runs off the packet path, at a
 * timer or at shutdown.
 *
 * Schema version: SQLite's `PRAGMA user_version`. 0 means a new file, which
 * gets the tables of BASELINE_SCHEMA_VERSION. A file of a newer version is
 * rejected, because this code cannot know its layout.
 */
import { createRequire } from 'node:module';
import type { EwmaBank, EwmaSlotState } from './ewma.js';

/** Layout version of the baselines database, stored in PRAGMA user_version. */
export const BASELINE_SCHEMA_VERSION = 1;

/** The parts of better-sqlite3's API used here (the package ships no type declarations). */
interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  pragma(source: string, options?: { simple: boolean }): unknown;
  exec(source: string): unknown;
  prepare(source: string): SqliteStatement;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  close(): unknown;
}
type SqliteDatabaseConstructor = new (path: string) => SqliteDatabase;

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as SqliteDatabaseConstructor;

const CREATE_TABLES = `
CREATE TABLE baselines (
  entity TEXT NOT NULL,
  metric TEXT NOT NULL,
  slot INTEGER NOT NULL CHECK (slot BETWEEN 0 AND 167),
  mean REAL NOT NULL,
  variance REAL NOT NULL CHECK (variance >= 0),
  count INTEGER NOT NULL CHECK (count >= 0),
  first_update_s REAL NOT NULL,
  last_update_s REAL NOT NULL,
  PRIMARY KEY (entity, metric, slot)
) WITHOUT ROWID;
CREATE INDEX baselines_last_update ON baselines (last_update_s);
`;

/**
 * One stored baseline: `entity` names what it describes (a host address,
 * a host group, `network`), `metric` the series (`packets_out`), `slot`
 * the hour of the week (0 = Monday 00:00) or 0. Times are Unix seconds of
 * capture time.
 */
export interface BaselineRow {
  entity: string;
  metric: string;
  slot: number;
  mean: number;
  variance: number;
  count: number;
  firstUpdateS: number;
  lastUpdateS: number;
}

interface StoredRow {
  entity: string;
  metric: string;
  slot: number;
  mean: number;
  variance: number;
  count: number;
  first_update_s: number;
  last_update_s: number;
}

/** A baselines database file. Not for the packet path: every call does disk I/O. */
export class BaselineStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly upsert: SqliteStatement;
  private readonly selectAll: SqliteStatement;
  private readonly selectEntity: SqliteStatement;
  private readonly deleteBefore: SqliteStatement;
  private readonly saveRows: (rows: readonly BaselineRow[]) => number;

  /**
   * Opens or creates the database at `path` in WAL mode. Throws when the
   * file is not a database or has a schema newer than this version.
   */
  constructor(path: string) {
    this.path = path;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.migrate();
    this.upsert = this.db.prepare(
      `INSERT INTO baselines (entity, metric, slot, mean, variance, count, first_update_s, last_update_s)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (entity, metric, slot) DO UPDATE SET
         mean = excluded.mean, variance = excluded.variance, count = excluded.count,
         first_update_s = excluded.first_update_s, last_update_s = excluded.last_update_s`,
    );
    this.selectAll = this.db.prepare('SELECT * FROM baselines ORDER BY entity, metric, slot');
    this.selectEntity = this.db.prepare('SELECT * FROM baselines WHERE entity = ? ORDER BY metric, slot');
    this.deleteBefore = this.db.prepare('DELETE FROM baselines WHERE last_update_s < ?');
    this.saveRows = this.db.transaction((rows: readonly BaselineRow[]): number => {
      for (const row of rows) {
        this.upsert.run(row.entity, row.metric, row.slot, row.mean, row.variance, row.count, row.firstUpdateS, row.lastUpdateS);
      }
      return rows.length;
    });
  }

  /** Returns the schema version stored in the file. */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Returns the journal mode in effect (`wal` for a file database). */
  journalMode(): string {
    return this.db.pragma('journal_mode', { simple: true }) as string;
  }

  /**
   * Inserts or replaces `rows` in one transaction and returns their number.
   * When a row is invalid (a slot outside 0..167, a negative variance, a
   * NaN, which SQLite stores as NULL) the whole batch is rolled back and
   * the SQLite error is thrown.
   */
  saveBatch(rows: readonly BaselineRow[]): number {
    return this.saveRows(rows);
  }

  /** Loads every stored baseline, ordered by entity, metric and slot. */
  loadAll(): BaselineRow[] {
    return (this.selectAll.all() as StoredRow[]).map(toBaselineRow);
  }

  /** Loads the baselines of one entity, ordered by metric and slot. */
  loadEntity(entity: string): BaselineRow[] {
    return (this.selectEntity.all(entity) as StoredRow[]).map(toBaselineRow);
  }

  /** Deletes baselines not updated since `timeS` (hosts gone from the network) and returns how many. */
  deleteStale(timeS: number): number {
    return this.deleteBefore.run(timeS).changes;
  }

  /** Closes the database; the object cannot be used afterwards. */
  close(): void {
    this.db.close();
  }

  private migrate(): void {
    const version = this.schemaVersion();
    if (version > BASELINE_SCHEMA_VERSION) {
      this.db.close();
      throw new Error(
        `baselines database ${this.path} has schema version ${version}, newer than the supported ${BASELINE_SCHEMA_VERSION}; use the kapu version that wrote it or move the file away`,
      );
    }
    if (version === 0) {
      this.db.exec(`BEGIN; ${CREATE_TABLES} PRAGMA user_version = ${BASELINE_SCHEMA_VERSION}; COMMIT;`);
    }
  }
}

function toBaselineRow(row: StoredRow): BaselineRow {
  return {
    entity: row.entity,
    metric: row.metric,
    slot: row.slot,
    mean: row.mean,
    variance: row.variance,
    count: row.count,
    firstUpdateS: row.first_update_s,
    lastUpdateS: row.last_update_s,
  };
}

/** Appends to `out` one row per slot of `series` that has learnt at least one value. */
export function exportEwmaSeries(bank: EwmaBank, series: number, entity: string, metric: string, out: BaselineRow[]): void {
  const state: EwmaSlotState = { mean: 0, variance: 0, count: 0, firstUpdateS: 0, lastUpdateS: 0 };
  for (let slot = 0; slot < bank.slotsPerSeries; slot++) {
    bank.readSlot(series, slot, state);
    if (state.count === 0) continue;
    out.push({ entity, metric, slot, ...state });
  }
}

/**
 * Writes stored rows into `series` of `bank` and returns how many were
 * used. Rows with a slot the bank does not have are skipped: they come
 * from a bank with hour-of-week slots loaded into one without, or back.
 */
export function importEwmaSeries(bank: EwmaBank, series: number, rows: readonly BaselineRow[]): number {
  let used = 0;
  for (const row of rows) {
    if (row.slot >= bank.slotsPerSeries) continue;
    bank.writeSlot(series, row.slot, row);
    used++;
  }
  return used;
}
