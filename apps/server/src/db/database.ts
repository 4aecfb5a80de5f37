/**
 * Opening the database, migrated to the latest version, behind Kysely so every query is shared by both backends:
 *  - SQLite (better-sqlite3), the embedded default: WAL, foreign keys, a busy timeout, synchronous=FULL (a group
 *    commit's sync runs off the event loop: wal-sync.ts).
 *  - PostgreSQL (`pg` pool, opened by drivers.ts) when `databaseUrl` is a postgres:// URL: for several server
 *    instances on one database.
 * `writeTransaction` is the one way to write. SQLite: group commit (group-commit.ts) — each call in its own SAVEPOINT
 * inside a shared BEGIN IMMEDIATE (the write lock up front, so the server and the ops CLI never deadlock on a
 * read-then-write upgrade), one COMMIT for the group, nobody answered before it. PostgreSQL: one READ COMMITTED
 * transaction per call, with the rows it decides on locked explicitly (`lockLedgerRows`, `forUpdate`) — see README
 * "PostgreSQL".
 * You probably don't need to edit this file.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresAdapter, type SelectQueryBuilder, SqliteDialect, sql } from 'kysely';
import { type CrashHook, crashHookFromEnv } from './crash-hook';
import { openPostgres } from './drivers';
import { type GroupCommitStats, GroupCommitter } from './group-commit';
import { fileWalSync, type WalSync } from './wal-sync';

export { DatabaseBusyError, GroupCommitError, groupSizeSummary } from './group-commit';
export { describePostgresUrl } from './url';

import { migrateToLatest } from './migrations';
import type { Database, Db, Tx } from './schema';

export type DatabaseDialect = 'sqlite' | 'postgres';

export interface AppDatabase {
  db: Db;
  dialect: DatabaseDialect;
  close(): Promise<void>;
  /**
   * SQLite only: a number that changes whenever ANOTHER connection (another process: `pnpm seed`, the ops CLI, a
   * second server) has committed since the last call (`PRAGMA data_version`, read from shared memory, no disk I/O).
   * This connection's own commits don't change it. What in-memory caches check to know they are still true.
   */
  externalChanges?: () => number;
  /** SQLite only: why writes fail for good (the WAL could not be synced; the server must restart), or null. */
  writeFault?: () => string | null;
}

export interface DatabaseOptions {
  /** SQLite: a file path, or ':memory:'. Used unless `databaseUrl` is a postgres:// URL. */
  databasePath?: string;
  /** PostgreSQL: `postgres://user:password@host:5432/db` (wins over `databasePath`). */
  databaseUrl?: string | null;
  /**
   * SQLite: milliseconds a write waits for another process's lock before failing with `DatabaseBusyError` (default
   * 5000). Waited off the event loop (retries with backoff); the loop itself never blocks longer than
   * `SQLITE_STALL_MS` on a lock.
   */
  busyTimeoutMs?: number;
  /** SQLite group commit: most `writeTransaction` calls per COMMIT (default 64). */
  maxGroupSize?: number;
  /** SQLite group commit: no call joins a group this many ms after it opened (default 2). */
  maxGroupMs?: number;
  /** SQLite group commit: under load, how long a group may wait for more writers before it opens (default 1). */
  maxGatherMs?: number;
  /**
   * SQLite: what makes each group commit durable off the event loop (default: `fileWalSync` of the file; an in-memory
   * database has none). Tests wrap it to delay or fail it; null commits at synchronous=FULL on the loop instead.
   */
  walSync?: (defaults: WalSync | null) => WalSync | null;
  /** Tests: the crash hook (default: from IAP_TEST_CRASH_AT / IAP_TEST_CRASH_ARM, never in production). */
  crashHook?: CrashHook | null;
  /** PostgreSQL: most connections this process opens (pg pool `max`). Default 10. */
  poolSize?: number;
  /** PostgreSQL: longest wait for a pooled connection (pg `connectionTimeoutMillis`). Default 5 000. */
  acquireTimeoutMs?: number;
  /**
   * PostgreSQL: `statement_timeout` (and `idle_in_transaction_session_timeout`, `lock_timeout`) of every connection:
   * no query, lock wait or forgotten open transaction outlives it. Default 10 000.
   */
  statementTimeoutMs?: number;
}

/** The options for the database a loaded `Config` names. */
export function databaseOptions(config: {
  databasePath: string;
  databaseUrl: string | null;
  databasePoolSize: number;
  databaseAcquireTimeoutMs?: number;
  databaseStatementTimeoutMs?: number;
}): DatabaseOptions {
  return config.databaseUrl
    ? {
        databaseUrl: config.databaseUrl,
        poolSize: config.databasePoolSize,
        ...(config.databaseAcquireTimeoutMs ? { acquireTimeoutMs: config.databaseAcquireTimeoutMs } : {}),
        ...(config.databaseStatementTimeoutMs
          ? { statementTimeoutMs: config.databaseStatementTimeoutMs }
          : {}),
      }
    : { databasePath: config.databasePath };
}

/** True for the URLs that select PostgreSQL (`classifyDatabaseUrl` has refused malformed ones by then). */
export function isPostgresUrl(value: string | null | undefined): value is string {
  return typeof value === 'string' && /^postgres(ql)?:\/\//i.test(value.trim());
}

/** Open (creating the SQLite file and its folder if needed), configure and migrate the database. */
export async function openDatabase(options: DatabaseOptions): Promise<AppDatabase> {
  const crashHook = options.crashHook === undefined ? crashHookFromEnv() : options.crashHook;
  let walSync: WalSync | null = null;
  const sqlite = isPostgresUrl(options.databaseUrl) ? null : openSqliteFile(options);
  const { db, dialect } = sqlite
    ? { db: sqliteKysely(sqlite), dialect: 'sqlite' as const }
    : {
        db: openPostgres(options.databaseUrl as string, options),
        dialect: 'postgres' as const,
      };
  try {
    // PostgreSQL: Kysely's migrator holds a session advisory lock (pg_advisory_lock) and runs the pending migrations
    // in one transaction, so instances starting together migrate once; the others wait, then find nothing to do.
    if (sqlite) {
      await migrateSqlite(sqlite, db);
      const writes = sqliteWrites(sqlite, db, options, crashHook);
      walSync = writes.walSync;
      committers.set(db, writes.committer);
    } else {
      await migrateToLatest(db as unknown as Kysely<unknown>);
      if (crashHook) crashHooks.set(db, crashHook);
    }
  } catch (error) {
    await db.destroy();
    await walSync?.close();
    throw error;
  }
  let closed = false;
  const committer = committers.get(db);
  const dataVersion = sqlite?.prepare('pragma data_version').pluck();
  return {
    db,
    dialect,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await walSync?.close();
    },
    ...(dataVersion ? { externalChanges: () => dataVersion.get() as number } : {}),
    ...(committer ? { writeFault: () => committer.fault() } : {}),
  };
}

/**
 * SQLite: Kysely takes no lock there, so two processes opening a new file together would both run 001. Hold the
 * write lock (BEGIN IMMEDIATE, waiting up to busy_timeout) around the whole migration instead.
 */
async function migrateSqlite(sqlite: BetterSqlite3.Database, db: Db): Promise<void> {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
    sqlite.exec('COMMIT');
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw error;
  }
}

/** How a migrated SQLite database is written from now on: the group committer, and the WAL sync it runs per group. */
function sqliteWrites(
  sqlite: BetterSqlite3.Database,
  db: Db,
  options: DatabaseOptions,
  crashHook: CrashHook | null,
): { committer: GroupCommitter; walSync: WalSync | null } {
  // From now on the loop never waits long on a lock: writes retry off the loop (group-commit.ts).
  sqlite.pragma(`busy_timeout = ${SQLITE_STALL_MS}`);
  const defaults =
    sqlite.pragma('journal_mode', { simple: true }) === 'wal' ? fileWalSync(sqlite.name) : null;
  const walSync = options.walSync ? options.walSync(defaults) : defaults;
  const committer = new GroupCommitter(db, {
    flush: walSync && (() => walSync.sync()),
    busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
    ...(options.maxGroupSize === undefined ? {} : { maxGroupSize: options.maxGroupSize }),
    ...(options.maxGroupMs === undefined ? {} : { maxGroupMs: options.maxGroupMs }),
    ...(options.maxGatherMs === undefined ? {} : { maxGatherMs: options.maxGatherMs }),
    crashHook,
  });
  return { committer, walSync };
}

/**
 * SQLite's busy timeout once the database is open: the longest the event loop ever blocks on another process's lock
 * (a read during that process's WAL recovery, a stray autocommit write). Writes through `writeTransaction` wait for
 * the lock off the loop, up to `busyTimeoutMs`.
 */
export const SQLITE_STALL_MS = 20;

/** The group committer of each SQLite database `openDatabase` opened (keyed by its Kysely instance). */
const committers = new WeakMap<Db, GroupCommitter>();
/** PostgreSQL: the test crash hook, when one is set. */
const crashHooks = new WeakMap<Db, CrashHook>();

function openSqliteFile(options: DatabaseOptions): BetterSqlite3.Database {
  const databasePath = options.databasePath;
  if (!databasePath)
    throw new Error('openDatabase: databasePath (SQLite) or a postgres:// databaseUrl is required');
  if (databasePath !== ':memory:') mkdirSync(path.dirname(path.resolve(databasePath)), { recursive: true });
  const sqlite = new BetterSqlite3(databasePath);
  // First, so every later statement (even switching to WAL) waits for another process's lock instead of failing.
  // Opening and migrating happen before the server serves anything, so this wait may block; lowered after.
  sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5_000}`);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  // FULL, not NORMAL: in WAL mode NORMAL survives a process crash but can roll back the last commits on power loss,
  // and a grant acknowledged to Toss (then completed) and lost here would be a paid order nobody can recover.
  sqlite.pragma('synchronous = FULL');
  // Each member of a commit group runs in a SAVEPOINT (group-commit.ts), and SQLite keeps the pages it changes there
  // in a sub-journal, so one member can be rolled back alone. Past 64 KiB (a group of a few grants) that sub-journal
  // spills to a temp file, a system call for each page, on the event loop: each insert cost 2-3x. In memory it is a
  // page copy, bounded by the pages one group changes, and never needed after a restart (the WAL is the record).
  // The pragma also keeps SQLite's other temporary storage (a sort or temp index too big for the cache) in memory;
  // this schema's queries are indexed and paged, so none of them builds a large one.
  sqlite.pragma('temp_store = MEMORY');
  return sqlite;
}

function sqliteKysely(sqlite: BetterSqlite3.Database): Db {
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/**
 * Kysely's SQLite driver calls `prepare(sql)` for every query; compiling the same few statements again on each
 * request was ~10% of a grant's CPU. Prepared statements are reusable in better-sqlite3 (each `.all`/`.run`
 * finishes synchronously on the one connection), so keep the most recent ones by SQL text.
 */
function withStatementCache(sqlite: BetterSqlite3.Database, capacity = 256): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (source: string) => {
    const cached = cache.get(source);
    if (cached) {
      cache.delete(source); // re-insert: most recently used last
      cache.set(source, cached);
      return cached;
    }
    const statement = sqlite.prepare(source);
    cache.set(source, statement);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    return statement;
  };
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The dialect of a bare Kysely instance (for helpers that accept `database.db`). */
export function dialectOf(db: Db): DatabaseDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Wrap a bare Kysely instance as an `AppDatabase` (closing it stays the caller's job). */
export function asAppDatabase(db: Db | AppDatabase): AppDatabase {
  if ('dialect' in db) return db;
  return { db, dialect: dialectOf(db), close: async () => undefined };
}

/**
 * Run `fn` in one write transaction: all of it commits, or none of it does; the promise settles only once that is
 * durable (or known not to have happened).
 * SQLite: group commit (group-commit.ts). `fn` runs in its own SAVEPOINT inside a BEGIN IMMEDIATE shared with the
 * calls queued at the same moment; one COMMIT (one fsync) makes the group durable, and no call's promise settles
 * before it returns; a failed COMMIT fails them all. Calls run one at a time, so a read inside `fn` is still true when
 * `fn` writes. Another process's write lock is waited for off the event loop, up to `busyTimeoutMs`, then
 * `DatabaseBusyError` (retryable, nothing written).
 * PostgreSQL: one READ COMMITTED transaction per call (set explicitly, whatever the database's default). Writers run
 * concurrently, so `fn` must lock what it decides on before reading it: `lockLedgerRows` (the user's ledger) and
 * `forUpdate` (the order row); unique keys + ON CONFLICT make concurrent inserts of the same row wait for, then see,
 * the first.
 */
export async function writeTransaction<T>(database: AppDatabase, fn: (trx: Db) => Promise<T>): Promise<T> {
  if (database.dialect === 'postgres') {
    const hook = crashHooks.get(database.db);
    return database.db
      .transaction()
      .setIsolationLevel('read committed')
      .execute(async (trx) => {
        const result = await fn(hook ? hook.wrap(trx) : trx);
        hook?.reached('before-commit');
        return result;
      });
  }
  const committer = committers.get(database.db);
  if (committer) return committer.run(fn);
  // A Kysely instance this module did not open (tests that build their own): one BEGIN IMMEDIATE per call.
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

/**
 * Take (and at once give back) the write lock: resolves when a write could start now, rejects with
 * `DatabaseBusyError` when another process kept the lock past the bound. What a login checks BEFORE spending
 * Toss's one-time authorization code. Writes nothing (SQLite: an empty member of a group costs no fsync).
 */
export async function ensureWritable(database: AppDatabase): Promise<void> {
  await writeTransaction(database, async () => undefined);
}

/** SQLite: the group commit counts so far (null on PostgreSQL or a database this module did not open). */
export function groupCommitStats(database: AppDatabase): GroupCommitStats | null {
  return committers.get(database.db)?.stats ?? null;
}

/** SQLite: call `listener(size)` after each committed group (metrics). No-op on PostgreSQL. */
export function onGroupCommit(database: AppDatabase, listener: (size: number) => void): void {
  const committer = committers.get(database.db);
  if (committer) committer.onGroup = listener;
}

/**
 * Inside `writeTransaction`: serialize changes to one user's ledger (wallets, entitlements, their orders) until the
 * transaction ends. PostgreSQL: `SELECT … FROM users … FOR NO KEY UPDATE` (does not block inserts that merely
 * reference the user, e.g. sessions). SQLite: nothing to do, BEGIN IMMEDIATE already serializes every writer.
 * Lock order everywhere: the user first, then the order row (`forUpdate`), so two transactions never deadlock.
 */
export async function lockLedgerRows(database: AppDatabase, trx: Tx, userId: string): Promise<void> {
  if (database.dialect !== 'postgres') return;
  await trx.selectFrom('users').select('id').where('id', '=', userId).forNoKeyUpdate().execute();
}

/** `.$call(forUpdate(database))`: on PostgreSQL lock the selected rows until the transaction ends (no-op on SQLite). */
export function forUpdate(database: AppDatabase) {
  // biome-ignore lint/suspicious/noExplicitAny: any table/selection; the builder's type is returned unchanged
  return <QB extends SelectQueryBuilder<Database, any, any>>(qb: QB): QB =>
    database.dialect === 'postgres' ? (qb.forUpdate() as QB) : qb;
}

/**
 * Inside `writeTransaction`: an exclusive lock on a name until the transaction ends (PostgreSQL
 * `pg_advisory_xact_lock`), e.g. so two instances starting together don't sync the catalog at the same time.
 * SQLite: nothing to do (BEGIN IMMEDIATE).
 */
export async function transactionLock(database: AppDatabase, trx: Tx, name: string): Promise<void> {
  if (database.dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(trx);
}

/**
 * Run `fn` only if no other process is running the job `name` right now; otherwise return `{ ran: false }` at once.
 * PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) held on one pooled connection for the whole run
 * (released by `pg_advisory_unlock`, or by PostgreSQL if the process dies). SQLite: runs `fn` (one instance).
 */
export async function exclusiveJob<T>(
  database: AppDatabase,
  name: string,
  fn: () => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false }> {
  if (database.dialect !== 'postgres') return { ran: true, result: await fn() };
  return database.db.connection().execute(async (conn) => {
    const got = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_lock(hashtext(${name})) as locked`.execute(conn);
    if (!got.rows[0]?.locked) return { ran: false as const };
    try {
      return { ran: true as const, result: await fn() };
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(conn);
    }
  });
}
