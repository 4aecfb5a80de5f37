/**
 * Opening the database: SQLite (better-sqlite3) with WAL, foreign keys and a busy timeout, migrated to the latest
 * version, behind Kysely so a PostgreSQL backend (`PostgresDialect` over `pg`) can share every query.
 * `writeTransaction` is the one way to write: on SQLite it takes the write lock up front (BEGIN IMMEDIATE), so two
 * processes (server + ops CLI) never deadlock on a read-then-write upgrade. You probably don't need to edit this file.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { migrateToLatest } from './migrations';
import type { Database, Db } from './schema';

export interface AppDatabase {
  db: Db;
  dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A file path, or ':memory:'. */
  databasePath: string;
  /** Milliseconds a writer waits for another process's lock before failing. */
  busyTimeoutMs?: number;
}

/** Open (creating the file and its folder if needed), configure and migrate the database. */
export async function openDatabase(config: DatabaseOptions): Promise<AppDatabase> {
  if (config.databasePath !== ':memory:')
    mkdirSync(path.dirname(path.resolve(config.databasePath)), { recursive: true });
  const sqlite = new BetterSqlite3(config.databasePath);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${config.busyTimeoutMs ?? 5_000}`);
  // FULL, not NORMAL: in WAL mode NORMAL survives a process crash but can roll back the last commits on power loss,
  // and a grant acknowledged to Toss (then completed) and lost here would be a paid order nobody can recover.
  sqlite.pragma('synchronous = FULL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  let closed = false;
  return {
    db,
    dialect: 'sqlite',
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/**
 * Run `fn` in one write transaction: all of it commits, or none of it does.
 * SQLite: BEGIN IMMEDIATE (take the write lock first, wait up to busy_timeout for other processes).
 * PostgreSQL: Kysely's transaction (the queries inside rely on unique keys + ON CONFLICT, not on locks).
 */
export async function writeTransaction<T>(database: AppDatabase, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (database.dialect !== 'sqlite') return database.db.transaction().execute((trx) => fn(trx));
  return database.db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}
