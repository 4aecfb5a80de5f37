/**
 * Bench-only instrumentation of better-sqlite3 (the server's own copy), installed in a process before the server
 * opens its database. Two users:
 *  - `statements.ts` counts the statements SQLite executes for one request (and how many it had to prepare);
 *  - the CPU-profiled pass (`server-inproc.ts` with BENCH_CPU_PROFILE) routes every execution through two named
 *    functions, `sqliteCommit` and `sqliteStatement`, so the profile can tell a COMMIT (WAL append + fsync) from the
 *    other statements, and times COMMITs on the thread's CPU clock, so the fsync wait can be told from CPU.
 * Never loaded by the server itself: nothing here runs in production or in the measured passes.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Method = (...args: unknown[]) => unknown;
interface StatementPrototype extends Record<string, unknown> {
  source?: string;
}
interface DatabaseClass {
  new (file: string): { prepare(sql: string): StatementPrototype; close(): void };
  prototype: Record<string, unknown>;
}

export interface SqliteObserver {
  /** A statement execution (`run`, `get`, `all`, `iterate`, or `exec` of a script). */
  onExecute?(sql: string): void;
  /** `db.prepare(sql)`: SQLite compiling a statement (the server keeps a cache, so this should be rare). */
  onPrepare?(sql: string): void;
}

const executeMethods = ['run', 'get', 'all', 'iterate'] as const;

let installed: { observers: Set<SqliteObserver>; timing: CommitTiming } | null = null;

interface CommitTiming {
  enabled: boolean;
  commits: number;
  commitWallUs: number;
  statements: number;
  statementWallUs: number;
}

const isCommit = (sql: string) => /^\s*(commit|end)\b/i.test(sql);

// Named, so a CPU profile shows SQLite's native time under one of them. Not arrow functions, kept out of line.
function sqliteCommit(original: Method, self: unknown, args: unknown[]): unknown {
  return original.apply(self, args);
}
function sqliteStatement(original: Method, self: unknown, args: unknown[]): unknown {
  return original.apply(self, args);
}

// Read once: `process.hrtime` is a lazy getter, which showed in the profile as `get (node:bootstrap)` per statement.
const hrtime = process.hrtime.bigint;

function timed(timing: CommitTiming, commit: boolean, run: () => unknown): unknown {
  if (!timing.enabled) return run();
  const wall0 = hrtime();
  try {
    return run();
  } finally {
    const wallUs = Number(hrtime() - wall0) / 1000;
    if (commit) {
      timing.commits += 1;
      timing.commitWallUs += wallUs;
    } else {
      timing.statements += 1;
      timing.statementWallUs += wallUs;
    }
  }
}

/** Patch better-sqlite3's prototypes once per process; later calls only return the shared state. */
function install() {
  if (installed) return installed;
  const Database = createRequire(path.join(repoRoot, 'apps/server/package.json'))(
    'better-sqlite3',
  ) as DatabaseClass;
  const probe = new Database(':memory:');
  const statementPrototype = Object.getPrototypeOf(probe.prepare('select 1')) as StatementPrototype;
  probe.close();
  const observers = new Set<SqliteObserver>();
  const timing: CommitTiming = {
    enabled: false,
    commits: 0,
    commitWallUs: 0,
    statements: 0,
    statementWallUs: 0,
  };
  for (const name of executeMethods) {
    const original = statementPrototype[name] as Method;
    statementPrototype[name] = function (this: StatementPrototype, ...args: unknown[]) {
      const sql = this.source ?? '';
      for (const observer of observers) observer.onExecute?.(sql);
      const commit = isCommit(sql);
      return timed(timing, commit, () =>
        commit ? sqliteCommit(original, this, args) : sqliteStatement(original, this, args),
      );
    };
  }
  const prepare = Database.prototype.prepare as Method;
  Database.prototype.prepare = function (this: unknown, ...args: unknown[]) {
    for (const observer of observers) observer.onPrepare?.(String(args[0]));
    return prepare.apply(this, args);
  };
  const exec = Database.prototype.exec as Method;
  Database.prototype.exec = function (this: unknown, ...args: unknown[]) {
    const sql = String(args[0]);
    for (const observer of observers) observer.onExecute?.(sql);
    const commit = isCommit(sql);
    return timed(timing, commit, () =>
      commit ? sqliteCommit(exec, this, args) : sqliteStatement(exec, this, args),
    );
  };
  installed = { observers, timing };
  return installed;
}

/** Call `observer` for every statement any better-sqlite3 connection in this process executes; returns "stop". */
export function observeSqlite(observer: SqliteObserver): () => void {
  const { observers } = install();
  observers.add(observer);
  return () => observers.delete(observer);
}

export interface SqliteTimings {
  commits: number;
  /** Wall time inside COMMIT: appending the transaction's pages to the WAL, then the fsync. */
  commitWallMs: number;
  statements: number;
  statementWallMs: number;
}

/** Start (or restart from zero) timing every statement on the wall clock. */
export function startSqliteTimings(): void {
  const { timing } = install();
  Object.assign(timing, { enabled: true, commits: 0, commitWallUs: 0, statements: 0, statementWallUs: 0 });
}

export function stopSqliteTimings(): SqliteTimings {
  const { timing } = install();
  timing.enabled = false;
  return {
    commits: timing.commits,
    commitWallMs: timing.commitWallUs / 1000,
    statements: timing.statements,
    statementWallMs: timing.statementWallUs / 1000,
  };
}

/** Make the routing functions visible to the profile summarizer (by name). */
export const sqliteFrameNames = { commit: sqliteCommit.name, statement: sqliteStatement.name } as const;
