/**
 * `writeTransaction`'s contract (src/db/database.ts, src/db/group-commit.ts): every call all-or-nothing on its own,
 * answered only once durable; on SQLite, calls grouped under one COMMIT, a failed COMMIT failing them all, reads never
 * seeing a write before its COMMIT, and another process's write lock never freezing the server.
 * The contract tests run on both backends; the lock and group tests exist only where SQLite is (the PostgreSQL run
 * has no single write lock and no groups).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { crashHookFromEnv } from '../src/db/crash-hook';
import {
  type AppDatabase,
  DatabaseBusyError,
  GroupCommitError,
  groupCommitStats,
  openDatabase,
  writeTransaction,
} from '../src/db/database';
import { fileWalSync, type WalSync } from '../src/db/wal-sync';
import { checkReadiness } from '../src/http/health';
import { createHttpsTransport, type Transport } from '../src/toss/client';
import {
  type MockHarness,
  startMock,
  startServer,
  type TestDatabase,
  tempDir,
  testBackend,
  testConfig,
  testDatabase,
} from './helpers';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let tmp: Awaited<ReturnType<typeof tempDir>>;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await tmp?.remove();
});

const addUser = (trx: AppDatabase['db'], userKey: string) =>
  trx
    .insertInto('users')
    .values({ id: randomUUID(), user_key: userKey, created_at: 'now', updated_at: 'now' })
    .execute();

/** The user keys another connection (another pool, or a second SQLite handle) can read right now. */
function committedReader(test: TestDatabase): Promise<{
  keys(): Promise<Set<string>>;
  keysNow?: () => Set<string>;
  close(): Promise<void>;
}> {
  if (test.backend === 'sqlite') {
    const reader = new BetterSqlite3(test.options.databasePath as string, { readonly: true });
    const statement = reader.prepare('select user_key from users').pluck();
    const keysNow = () => new Set(statement.all() as string[]);
    return Promise.resolve({ keysNow, keys: async () => keysNow(), close: async () => void reader.close() });
  }
  return test.open().then((other) => ({
    keys: async () =>
      new Set((await other.db.selectFrom('users').select('user_key').execute()).map((r) => r.user_key)),
    close: () => other.close(),
  }));
}

test('30 concurrent writes: each is answered only once another connection can read it', async () => {
  const test = await testDatabase(tmp.dir, 'durable');
  const database = await test.open();
  const reader = await committedReader(test);
  try {
    const keys = Array.from({ length: 30 }, (_, i) => `durable-${i}`);
    const seenAtAnswer = await Promise.all(
      keys.map((key) =>
        writeTransaction(database, (trx) => addUser(trx, key)).then(async () => {
          // SQLite: read synchronously, at the very moment the promise settled.
          const visible = reader.keysNow ? reader.keysNow() : await reader.keys();
          return visible.has(key);
        }),
      ),
    );
    expect(seenAtAnswer).toEqual(keys.map(() => true));
    const stats = groupCommitStats(database);
    if (test.backend === 'sqlite') {
      // Grouped: fewer COMMITs than writes.
      expect(stats?.members).toBe(30);
      expect(stats?.groups).toBeLessThan(30);
    } else {
      expect(stats).toBeNull();
    }
  } finally {
    await reader.close();
    await database.close();
  }
});

test('a write that throws is undone alone: the writes queued with it commit, and it gets its own error', async () => {
  const test = await testDatabase(tmp.dir, 'alone');
  const database = await test.open();
  try {
    const outcomes = await Promise.allSettled([
      writeTransaction(database, (trx) => addUser(trx, 'alone-a')),
      writeTransaction(database, async (trx) => {
        await addUser(trx, 'alone-b');
        throw new Error('the second write changed its mind');
      }),
      writeTransaction(database, (trx) => addUser(trx, 'alone-c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe('the second write changed its mind');
    const keys = await database.db.selectFrom('users').select('user_key').orderBy('user_key').execute();
    expect(keys.map((k) => k.user_key)).toEqual(['alone-a', 'alone-c']);
  } finally {
    await database.close();
  }
});

test('the crash hook is off in production and without both variables, and refuses an unknown point', () => {
  const armed = { IAP_TEST_CRASH_AT: 'before-commit', IAP_TEST_CRASH_ARM: `${tmp.dir}/arm` };
  expect(crashHookFromEnv({ ...armed, NODE_ENV: 'production' })).toBeNull();
  expect(crashHookFromEnv({ IAP_TEST_CRASH_AT: 'before-commit' })).toBeNull();
  expect(crashHookFromEnv({ ...armed, NODE_ENV: 'test' })).not.toBeNull();
  expect(() => crashHookFromEnv({ ...armed, IAP_TEST_CRASH_AT: 'whenever' })).toThrow(/unknown point/);
});

// SQLite only from here: groups, one connection shared by reads, and a file lock another process can hold.
if (testBackend === 'sqlite') {
  describe('SQLite group commit', () => {
    test('a COMMIT that fails fails every write in its group, and none of them is written', async () => {
      const test = await testDatabase(tmp.dir, 'commit-fails');
      // One group for all three, however slow the machine: the 2 ms time bound must not split them.
      const database = await openDatabase({ ...test.options, maxGroupMs: 60_000 });
      try {
        const outcomes = await Promise.allSettled([
          writeTransaction(database, (trx) => addUser(trx, 'before')),
          writeTransaction(database, async (trx) => {
            // Foreign keys checked at COMMIT instead of per statement: this dangling session fails the COMMIT.
            await sql`pragma defer_foreign_keys = on`.execute(trx);
            await trx
              .insertInto('sessions')
              .values({
                id: 'dangling',
                token_hash: 'x',
                user_id: 'no-such-user',
                created_at: 'now',
                expires_at: 'later',
                revoked_at: null,
                environment: 'sandbox',
              })
              .execute();
          }),
          writeTransaction(database, (trx) => addUser(trx, 'after')),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
        for (const outcome of outcomes)
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(GroupCommitError);
        expect(await database.db.selectFrom('users').select('user_key').execute()).toEqual([]);
        // The connection is usable again: the next write commits.
        await writeTransaction(database, (trx) => addUser(trx, 'next'));
        expect(await database.db.selectFrom('users').select('user_key').execute()).toEqual([
          { user_key: 'next' },
        ]);
      } finally {
        await database.close();
      }
    });

    test('temp_store is MEMORY (the savepoint journal spilled to a temp file), and a member still rolls back alone', async () => {
      const test = await testDatabase(tmp.dir, 'temp-store');
      const database = await test.open();
      try {
        // 2 = MEMORY: past 64 KiB the members' sub-journal would otherwise spill to a temp file on the event loop.
        const { rows } = await sql<{ temp_store: number }>`pragma temp_store`.execute(database.db);
        expect(rows).toEqual([{ temp_store: 2 }]);
        // A group far over 64 KiB of changed pages, one member failing: the others commit, it alone rolls back.
        const big = 'x'.repeat(8_000);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) =>
            writeTransaction(database, async (trx) => {
              await addUser(trx, `${i}-${big}`);
              if (i === 7) throw new Error('member 7 fails');
            }),
          ),
        );
        expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
        const keys = await database.db.selectFrom('users').select('user_key').execute();
        expect(keys).toHaveLength(39);
        expect(keys.some((k) => k.user_key.startsWith('7-'))).toBe(false);
      } finally {
        await database.close();
      }
    });

    test('a read issued while a group is open returns only committed rows', async () => {
      const test = await testDatabase(tmp.dir, 'read-open-group');
      const database = await test.open();
      const reader = await committedReader(test);
      try {
        let inserted!: () => void;
        const insertedYet = new Promise<void>((resolve) => {
          inserted = resolve;
        });
        const write = writeTransaction(database, async (trx) => {
          await addUser(trx, 'in-flight');
          inserted();
          // Keep the group open across event-loop turns, as a slow callback would.
          await new Promise((resolve) => setTimeout(resolve, 100));
        });
        await insertedYet;
        const read = database.db
          .selectFrom('users')
          .select('user_key')
          .execute()
          .then((rows) => ({
            rows: rows.map((r) => r.user_key),
            committed: [...(reader.keysNow?.() ?? [])],
          }));
        const [seen] = await Promise.all([read, write]);
        // Whatever the read returned was already committed when it returned.
        expect(seen.rows).toEqual(seen.committed);
        expect(seen.rows).toEqual(['in-flight']);
      } finally {
        await reader.close();
        await database.close();
      }
    });
  });

  describe("SQLite: the group's sync off the event loop (wal-sync.ts)", () => {
    /** The file's own WAL sync, held at a gate until the test opens it (or failing, when `fail` is set). */
    function gatedSync(fail?: Error) {
      let opened!: () => void;
      const gate = new Promise<void>((resolve) => {
        opened = resolve;
      });
      let started = 0;
      let startedOnce!: () => void;
      const firstStart = new Promise<void>((resolve) => {
        startedOnce = resolve;
      });
      const wrap = (real: WalSync | null): WalSync => {
        if (!real) throw new Error('a file database in WAL mode has a WAL to sync');
        return {
          async sync() {
            started += 1;
            startedOnce();
            await gate;
            if (fail) throw fail;
            await real.sync();
          },
          close: () => real.close(),
        };
      };
      return { wrap, open: opened, firstStart, started: () => started };
    }

    test('no write is answered, and no read answered, before the group is synced; FULL is back after it', async () => {
      const test = await testDatabase(tmp.dir, 'sync-gate');
      const gated = gatedSync();
      const database = await openDatabase({ ...test.options, walSync: gated.wrap });
      try {
        const answered: string[] = [];
        const levels: number[] = [];
        const writes = ['gate-a', 'gate-b'].map((key) =>
          writeTransaction(database, async (trx) => {
            // Inside the group the COMMIT will run at NORMAL (1): the sync is ours, not SQLite's (else it is twice).
            const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(trx);
            levels.push(rows[0]?.synchronous ?? -1);
            await addUser(trx, key);
          }).then(() => answered.push(key)),
        );
        await gated.firstStart;
        const read = database.db
          .selectFrom('users')
          .select('user_key')
          .execute()
          .then((rows) => answered.push(`read ${rows.length}`));
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(answered).toEqual([]);
        gated.open();
        await Promise.all([...writes, read]);
        expect(answered.slice(0, 2).sort()).toEqual(['gate-a', 'gate-b']);
        expect(answered[2]).toBe('read 2');
        expect(gated.started()).toBe(1);
        expect(levels).toEqual([1, 1]);
        const level = await sql<{ synchronous: number }>`pragma synchronous`.execute(database.db);
        expect(level.rows[0]?.synchronous).toBe(2); // FULL, for anything written outside a group
      } finally {
        await database.close();
      }
    });

    test('a failed sync fails its group and every later write, and /readyz says the database is not ready', async () => {
      const test = await testDatabase(tmp.dir, 'sync-fails');
      const gated = gatedSync(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      const database = await openDatabase({ ...test.options, walSync: gated.wrap });
      try {
        gated.open();
        const outcomes = await Promise.allSettled(
          ['eio-a', 'eio-b'].map((key) => writeTransaction(database, (trx) => addUser(trx, key))),
        );
        for (const outcome of outcomes) {
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(GroupCommitError);
          // Committed to the WAL but not known durable: not "nothing written", and no retry helps before a restart.
          expect((outcome as PromiseRejectedResult).reason).toMatchObject({
            name: 'WalSyncError',
            retryable: false,
          });
        }
        await expect(writeTransaction(database, (trx) => addUser(trx, 'later'))).rejects.toThrow(
          /WAL could not be synced .*EIO/,
        );
        expect(gated.started()).toBe(1); // the later write never reached the disk's sync: it was refused first
        expect(database.writeFault?.()).toMatch(/restart the server/);
        expect(await checkReadiness(database, 1_000, { migrationsKnownApplied: true })).toMatchObject({
          ok: false,
          reason: 'database',
        });
      } finally {
        await database.close();
      }
    });

    test('a file database syncs its own WAL; an in-memory one has none; a missing WAL is an error, not a guess', async () => {
      const test = await testDatabase(tmp.dir, 'sync-default');
      let given: WalSync | null | undefined;
      const database = await openDatabase({
        ...test.options,
        walSync: (real) => {
          given = real;
          return real;
        },
      });
      try {
        await writeTransaction(database, (trx) => addUser(trx, 'synced'));
        expect(given).not.toBeNull();
      } finally {
        await database.close();
      }
      const memory = await openDatabase({
        databasePath: ':memory:',
        walSync: (real) => {
          given = real;
          return real;
        },
      });
      await memory.close();
      expect(given).toBeNull();
      const missing = fileWalSync(path.join(tmp.dir, 'never-opened.db'));
      await expect(missing.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe("another process holding SQLite's write lock", () => {
    let mock: MockHarness;
    beforeAll(async () => {
      mock = await startMock(`${tmp.dir}/certs`);
    });
    afterAll(async () => {
      await mock?.close();
    });

    test('/healthz and reads (of memory and of the database) answer while the lock is held; a write waits for it, then commits', async () => {
      const test = await testDatabase(tmp.dir, 'lock-wait');
      const database = await openDatabase({ ...test.options, busyTimeoutMs: 20_000 });
      const server = await startServer(testConfig(mock.mock, test), { database });
      try {
        const holder = await holdWriteLock(test.options.databasePath as string);
        let writeDone = false;
        const write = writeTransaction(database, (trx) => addUser(trx, 'waited')).finally(() => {
          writeDone = true;
        });
        const health = await fetch(`${server.url}/healthz`);
        expect(health.status).toBe(200);
        const catalog = await server.api.query<{ products: unknown[] }>('catalog.list');
        expect(catalog.data?.products.length).toBeGreaterThan(0);
        // A read of the database itself (the other process's uncommitted row is not in it).
        expect(await database.db.selectFrom('users').select('user_key').execute()).toEqual([]);
        // Both answered while the write was still waiting for the lock the other process holds.
        expect(writeDone).toBe(false);
        await holder.release();
        await write;
        expect(await database.db.selectFrom('users').select('user_key').execute()).toEqual([
          { user_key: 'waited' },
        ]);
      } finally {
        await server.close();
      }
    });

    test('a write fails with a retryable DatabaseBusyError once the lock outlasts the bound, writing nothing', async () => {
      const test = await testDatabase(tmp.dir, 'lock-bound');
      const database = await openDatabase({ ...test.options, busyTimeoutMs: 300 });
      const holder = await holdWriteLock(test.options.databasePath as string);
      try {
        const error = await writeTransaction(database, (trx) => addUser(trx, 'never')).catch((e) => e);
        expect(error).toBeInstanceOf(DatabaseBusyError);
        expect(error.retryable).toBe(true);
        expect(error.appCode).toBe('INTERNAL');
        expect(holder.holding()).toBe(true);
      } finally {
        await holder.release();
      }
      expect(await database.db.selectFrom('users').select('user_key').execute()).toEqual([]);
      await writeTransaction(database, (trx) => addUser(trx, 'later'));
      await database.close();
    });

    test("a purchase's traces wait for the lock like every write (an autocommit gave up after 20 ms)", async () => {
      const test = await testDatabase(tmp.dir, 'lock-traces');
      const database = await openDatabase({ ...test.options, busyTimeoutMs: 20_000 });
      const server = await startServer(testConfig(mock.mock, test), { database });
      try {
        const { authorizationCode } = await mock.control.newUser();
        const login = await server.api.mutation<{ token: string }>('auth.login', {
          authorizationCode,
          referrer: 'DEFAULT',
        });
        const token = login.data?.token as string;
        const holder = await holdWriteLock(test.options.databasePath as string);
        const begin = server.api.mutation<{ intentId: string }>(
          'iap.beginPurchase',
          { sku: 'coin_100' },
          token,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(holder.holding()).toBe(true);
        await holder.release();
        const { intentId } = (await begin).data ?? {};
        expect(intentId).toBeTruthy();
        const report = await server.api.mutation(
          'iap.reportPurchase',
          { intentId, sku: 'coin_100', outcome: 'ERROR', errorCode: 'USER_CANCELED' },
          token,
        );
        expect(report.data).toEqual({ ok: true });
        const rows = await database.db.selectFrom('purchase_reports').select('intent_id').execute();
        expect(rows).toEqual([{ intent_id: intentId }]);
      } finally {
        await server.close();
      }
    });

    test('a login while the lock outlasts the bound never calls Toss (the one-time code stays usable)', async () => {
      const test = await testDatabase(tmp.dir, 'lock-login');
      const database = await openDatabase({ ...test.options, busyTimeoutMs: 300 });
      const https = createHttpsTransport({
        cert: mock.mock.certs.clientCert,
        key: mock.mock.certs.clientKey,
        ca: mock.mock.certs.caCert,
      });
      let generateTokenCalls = 0;
      const counting: Transport = (request) => {
        if (request.url.includes('generate-token')) generateTokenCalls += 1;
        return https(request);
      };
      const server = await startServer(testConfig(mock.mock, test), { database, tossTransport: counting });
      try {
        const { authorizationCode } = await mock.control.newUser();
        const holder = await holdWriteLock(test.options.databasePath as string);
        const refused = await server.api.mutation('auth.login', { authorizationCode, referrer: 'DEFAULT' });
        expect(holder.holding()).toBe(true);
        await holder.release();
        expect(refused.data).toBeUndefined();
        expect(refused.error?.data?.appCode).toBe('INTERNAL');
        expect(generateTokenCalls).toBe(0);
        // The same code, once the lock is gone: it was never spent.
        const login = await server.api.mutation<{ token: string }>('auth.login', {
          authorizationCode,
          referrer: 'DEFAULT',
        });
        expect(login.data?.token).toBeTruthy();
        expect(generateTokenCalls).toBe(1);
      } finally {
        await server.close();
        https.close();
      }
    });
  });
}

/** Another process (node + better-sqlite3) takes the write lock and holds it until `release()`. */
async function holdWriteLock(databasePath: string) {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1]);
    db.exec('begin immediate');
    db.exec("insert into users values ('holder', 'holder', 'now', 'now')");
    console.log('locked');
    process.stdin.once('data', () => { db.exec('rollback'); db.close(); console.log('released'); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script, databasePath], {
    cwd: serverDir,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  let state: 'starting' | 'locked' | 'released' = 'starting';
  const released = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line === 'locked') state = 'locked';
      if (line === 'released') {
        state = 'released';
        resolve();
      }
    });
  });
  while (state === 'starting') {
    if (child.exitCode !== null) throw new Error('the lock holder exited before locking');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    holding: () => state === 'locked' && child.exitCode === null,
    async release() {
      child.stdin?.write('release\n');
      await released;
      children.delete(child);
    },
  };
}
