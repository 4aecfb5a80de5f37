/**
 * Group commit for SQLite: many `writeTransaction` calls made durable by ONE `COMMIT` (one fsync at
 * synchronous=FULL), none of them answered before it. You probably don't need to edit this file.
 *
 * The contract (README "Database"):
 *  1. Each caller's work runs atomically on its own, inside a SAVEPOINT: if it throws, only its savepoint is rolled
 *     back; the others in the group are untouched.
 *  2. No caller's promise settles before the group's COMMIT has returned. A failed COMMIT (or a transaction SQLite
 *     aborted) fails every member — none was answered, so their clients retry into idempotent fulfills.
 *  3. Members run one at a time (a callback runs to completion in its savepoint before the next starts), so a read
 *     inside a member is still true when it writes, exactly as with one BEGIN IMMEDIATE per call.
 *  4. Nothing else reads the connection while a group is open: the group holds Kysely's connection (its mutex) from
 *     BEGIN to COMMIT, so a read outside a transaction waits for the COMMIT and never sees a member's work before it
 *     is durable. Inside the group a member may see an earlier member's work; its own answer waits for the same
 *     COMMIT, so it is never told anything that is not durable either.
 *  5. A group closes when it holds `maxGroupSize` members or `maxGroupMs` after it opened, whichever comes first.
 *     It starts on the next turn of the event loop after its first member arrives (`setImmediate`), so the requests
 *     whose I/O finished in the same turn join it; a lone request waits for nothing but that turn. Under load (the
 *     last group had company) it first gathers, lock-free, until as many writers are queued as last time, for at
 *     most `maxGatherMs` (1 ms). Requests also queue while a group's sync runs, and the next group takes them all.
 *  6. The group's fsync runs off the event loop when `flush` is given (a file database): the COMMIT runs at
 *     synchronous=NORMAL (SQLite writes the WAL but syncs nothing), then `flush` fdatasyncs the WAL on libuv's thread
 *     pool — the one sync synchronous=FULL would have run inside that COMMIT, so what is answered is exactly as
 *     durable. The connection stays held until it returns (reads wait, as in 4), no member settles before it, and
 *     other requests' parsing, validation and Toss calls run meanwhile. A failed flush fails the group and every
 *     later write (`fault()` says why; /readyz reports it and trpc.ts refuses every call, reads included): after a
 *     failed fsync the file's state is unknown, so the server must restart rather than answer from pages that may
 *     never reach the disk.
 *  7. Another process (the ops CLI, `pnpm seed`) holding the write lock never blocks the event loop for long:
 *     `BEGIN IMMEDIATE` waits at most the connection's short busy timeout, then the group gives the connection back
 *     (reads go on) and retries with backoff, off the event loop, until `busyTimeoutMs`; then every queued member
 *     fails with `DatabaseBusyError` (retryable, nothing written).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { AppError } from '../errors';
import type { CrashHook } from './crash-hook';
import type { Database } from './schema';

type Conn = Kysely<Database>;

/** The write lock stayed with another process for longer than the bound: nothing was written; try again. */
export class DatabaseBusyError extends AppError {
  readonly kind = 'DATABASE_BUSY' as const;
  readonly retryable = true;
  constructor(waitedMs: number) {
    super('INTERNAL', `The database is busy (write lock held elsewhere for ${waitedMs} ms); try again`);
    this.name = 'DatabaseBusyError';
  }
}

/** The group's COMMIT failed (or SQLite aborted its transaction): nothing in the group was written. */
export class GroupCommitError extends Error {
  readonly retryable: boolean = true;
  constructor(cause: unknown, what = 'write not committed') {
    super(`${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'GroupCommitError';
  }
}

/**
 * The group's COMMIT returned but the WAL's sync failed (see 6): its rows are in the WAL and may or may not reach the
 * disk, so whether they were written is unknown until a restart, and no later write is tried until then.
 */
export class WalSyncError extends GroupCommitError {
  override readonly retryable = false;
  constructor(cause: unknown) {
    super(cause, 'write not known durable: the WAL could not be synced (restart the server)');
    this.name = 'WalSyncError';
  }
}

export interface GroupCommitOptions {
  /** Most members in one group. Default 64. */
  maxGroupSize?: number;
  /** No member joins a group this long after it opened (only matters when callbacks await real I/O). Default 2. */
  maxGroupMs?: number;
  /** How long a group keeps retrying another process's write lock before failing its members. */
  busyTimeoutMs: number;
  /** Under load, how long a group may wait for the writers on their way (see `gather`). Default 1. */
  maxGatherMs?: number;
  crashHook?: CrashHook | null;
  /** Makes a committed group durable off the event loop (wal-sync.ts); absent: the COMMIT syncs (synchronous=FULL). */
  flush?: (() => Promise<void>) | null;
}

/** Counts of the groups committed so far: what the bench and `/metrics` report. */
export interface GroupCommitStats {
  groups: number;
  members: number;
  /** `bySize[n]` = groups committed with n members. */
  bySize: number[];
}

interface Member {
  fn: (trx: Conn) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

const BUSY_BACKOFF_MS = [1, 2, 5, 10, 20, 50, 100];

export class GroupCommitter {
  private readonly queue: Member[] = [];
  private draining = false;
  private readonly maxGroupSize: number;
  private readonly maxGroupMs: number;
  private readonly maxGatherMs: number;
  private lastGroupSize = 1;
  /** While a group gathers: called on each arrival (`false`) and at the time bound (`true`). */
  private gathered: ((done: boolean) => void) | null = null;
  readonly stats: GroupCommitStats;
  /** Set when a flush failed: every later write fails with it (see 6). */
  private broken: GroupCommitError | null = null;
  /** Called after each committed group with its size (metrics). */
  onGroup: ((size: number) => void) | null = null;

  constructor(
    private readonly db: Conn,
    private readonly options: GroupCommitOptions,
  ) {
    this.maxGroupSize = options.maxGroupSize ?? 64;
    this.maxGroupMs = options.maxGroupMs ?? 2;
    this.maxGatherMs = options.maxGatherMs ?? 1;
    this.stats = { groups: 0, members: 0, bySize: new Array(this.maxGroupSize + 1).fill(0) };
  }

  /** Queue `fn` for the next group; settles after that group's COMMIT. */
  run<T>(fn: (trx: Conn) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.gathered?.(false);
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.gather();
      const group: Member[] = [];
      let failure: unknown = null;
      try {
        await this.commitGroup(group);
      } catch (error) {
        failure = error;
      }
      // After the connection is released: the COMMIT returned (or the group failed as a whole).
      if (failure !== null) for (const member of group) member.reject(failure);
      else for (const member of group) settle(member);
    }
    this.draining = false;
  }

  /**
   * One group on the connection. While another process holds the write lock, the connection is released between
   * attempts (reads run meanwhile) and the retries back off, off the event loop, until `busyTimeoutMs`; then every
   * queued member fails with `DatabaseBusyError` (nobody got in; later arrivals start afresh).
   */
  private async commitGroup(group: Member[]): Promise<void> {
    if (this.broken) {
      group.push(...this.queue.splice(0));
      throw this.broken;
    }
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const ran = await this.db.connection().execute((conn) => this.runGroup(conn, group));
      if (ran) return;
      const waited = performance.now() - started;
      if (waited >= this.options.busyTimeoutMs) {
        group.push(...this.queue.splice(0));
        throw new DatabaseBusyError(Math.round(waited));
      }
      const pause = BUSY_BACKOFF_MS[Math.min(attempt, BUSY_BACKOFF_MS.length - 1)] as number;
      await sleep(Math.min(pause, Math.max(1, this.options.busyTimeoutMs - waited)));
    }
  }

  /**
   * Under load — the last group had company — let the writers already on their way join before the group opens:
   * wait (the event loop free meanwhile) until as many are queued as last time, for at most `maxGatherMs`. A lone
   * writer (the last group had one member) never waits; nothing is locked while a group gathers.
   */
  private gather(): Promise<void> {
    const target = Math.min(this.lastGroupSize, this.maxGroupSize);
    if (this.queue.length >= target || this.maxGatherMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.gathered?.(true), this.maxGatherMs);
      this.gathered = (done: boolean) => {
        if (!done && this.queue.length < target) return;
        clearTimeout(timer);
        this.gathered = null;
        resolve();
      };
    });
  }

  /** Why writes fail for good (a flush failed), or null. */
  fault(): string | null {
    return this.broken?.message ?? null;
  }

  /**
   * The group on the held connection, then (with `flush`) its sync before the connection is given back. SQLite
   * refuses to change `synchronous` inside a transaction, so NORMAL is set before BEGIN and FULL restored after it.
   */
  private async runGroup(conn: Conn, group: Member[]): Promise<boolean> {
    const flush = this.options.flush;
    if (flush) await sql`pragma synchronous = normal`.execute(conn);
    let committed: boolean;
    try {
      committed = await this.commitMembers(conn, group);
    } finally {
      if (flush) await sql`pragma synchronous = full`.execute(conn);
    }
    if (!committed) return false;
    try {
      await flush?.();
    } catch (error) {
      this.broken = new WalSyncError(error);
      throw this.broken;
    }
    this.count(group.length);
    return true;
  }

  /**
   * BEGIN, the members one by one in savepoints, COMMIT. False (nothing done) if another process holds the write
   * lock; throws (failing the whole group) if it cannot commit.
   */
  private async commitMembers(conn: Conn, group: Member[]): Promise<boolean> {
    try {
      await sql`begin immediate`.execute(conn);
    } catch (error) {
      if (isBusy(error)) return false; // another process holds the write lock: try again later
      group.push(...this.queue.splice(0));
      throw error;
    }
    const opened = performance.now();
    try {
      while (
        this.queue.length > 0 &&
        group.length < this.maxGroupSize &&
        (group.length === 0 || performance.now() - opened < this.maxGroupMs)
      ) {
        const member = this.queue.shift() as Member;
        group.push(member);
        await this.runMember(conn, member);
      }
      // Tests: die here, every member's work released, the group's COMMIT not run (crash-hook.ts).
      this.options.crashHook?.reached('before-commit');
      await sql`commit`.execute(conn);
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw new GroupCommitError(error);
    }
    return true;
  }

  /** One member in its own savepoint. Throws only if the whole transaction is gone (SQLite aborted it). */
  private async runMember(conn: Conn, member: Member): Promise<void> {
    await sql`savepoint member`.execute(conn);
    try {
      member.outcome = { ok: true, value: await member.fn(this.options.crashHook?.wrap(conn) ?? conn) };
    } catch (error) {
      member.outcome = { ok: false, error };
      // Undo this member only. If SQLite already rolled the whole transaction back (disk full, I/O error), there is
      // no savepoint left: this throws, and the group fails as a whole.
      await sql`rollback to member`.execute(conn);
    }
    await sql`release member`.execute(conn);
  }

  private count(size: number): void {
    this.lastGroupSize = size;
    this.stats.groups += 1;
    this.stats.members += size;
    this.stats.bySize[size] = (this.stats.bySize[size] ?? 0) + 1;
    this.onGroup?.(size);
  }
}

function settle(member: Member): void {
  const outcome = member.outcome;
  if (!outcome) member.reject(new GroupCommitError('member did not run'));
  else if (outcome.ok) member.resolve(outcome.value);
  else member.reject(outcome.error);
}

/** SQLITE_BUSY (another connection holds the lock), as better-sqlite3 reports it. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** Mean and 99th percentile of the group sizes so far (null before the first group). */
export function groupSizeSummary(stats: GroupCommitStats): { mean: number; p99: number } | null {
  if (stats.groups === 0) return null;
  const target = Math.ceil(stats.groups * 0.99);
  let seen = 0;
  let p99 = 0;
  for (let size = 1; size < stats.bySize.length; size++) {
    seen += stats.bySize[size] ?? 0;
    if (seen >= target) {
      p99 = size;
      break;
    }
  }
  return { mean: stats.members / stats.groups, p99 };
}
