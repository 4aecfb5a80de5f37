/**
 * Every wait is bounded, and a fault is logged once, not once per hit: /readyz stays cheap, opaque and rate-limited
 * while the database is down; the catalog reload does not log every second; lookups of requests whose client has
 * gone do not queue unbounded behind a lock (PostgreSQL: acquire, statement and lock timeouts); a shutdown with a
 * reconcile stuck on a slow partner exits within SHUTDOWN_GRACE_MS.
 */
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createManualClock } from '../src/clock';
import { openDatabase } from '../src/db/database';
import { createLogger } from '../src/log';
import {
  apiClient,
  loginUser,
  type MockHarness,
  startMock,
  startServer,
  startServerProcess,
  tempDir,
  testBackend,
  testConfig,
  testDatabase,
} from './helpers';
import { postgresClient } from './postgres';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
});
afterAll(async () => {
  await mock?.close();
  await tmp?.remove();
});

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const clock = createManualClock(Date.now());
  const log = createLogger({ level: 'info', clock, sink: (line) => lines.push(JSON.parse(line)) });
  return { lines, log, clock, events: (event: string) => lines.filter((line) => line.event === event) };
}

describe('/readyz', () => {
  test('with the database gone: 503 naming only the reason, logged once however often it is probed, then 429', async () => {
    const { log, clock, events } = capturedLog();
    const server = await startServer(
      testConfig(mock.mock, await testDatabase(tmp.dir, 'readyz-down'), {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '8',
      }),
      { log, clock },
    );
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      await server.server.deps.database.close();
      const answers: Array<[number, string]> = [];
      for (let i = 0; i < 7; i++) {
        clock.advance(2_000); // past the answer's reuse window: every probe checks the database again
        const reply = await fetch(`${server.url}/readyz`);
        answers.push([reply.status, await reply.text()]);
      }
      expect(new Set(answers.map(([status, body]) => `${status} ${body}`))).toEqual(
        new Set(['503 {"ok":false,"reason":"database"}']),
      );
      const notReady = events('server.not_ready');
      expect(notReady).toHaveLength(1);
      expect(String(notReady[0]?.detail)).not.toBe('');
      // A flood of probes from one client is cut off by RATE_LIMIT_PUBLIC_PER_MINUTE (8), still with one log line.
      const flood: number[] = [];
      for (let i = 0; i < 10; i++) flood.push((await fetch(`${server.url}/readyz`)).status);
      expect(flood.at(-1)).toBe(429);
      expect(events('server.not_ready')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  test('once every migration has been seen applied, probes no longer read the migration table', async () => {
    const { clock } = capturedLog();
    const server = await startServer(testConfig(mock.mock, await testDatabase(tmp.dir, 'readyz-cache')), {
      clock,
    });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      // Drop the table the readiness check read: a probe that still read it would now fail.
      await server.server.deps.database.db.schema.dropTable('kysely_migration').execute();
      clock.advance(5_000);
      const reply = await fetch(`${server.url}/readyz`);
      expect([reply.status, await reply.text()]).toEqual([200, '{"ok":true}']);
    } finally {
      await server.close();
    }
  });
});

if (testBackend === 'sqlite')
  test('after a failed WAL sync every call is refused, reads included, and /readyz says database, until a restart', async () => {
    const { clock } = capturedLog();
    const test = await testDatabase(tmp.dir, 'sync-fault');
    let failing = false;
    const database = await openDatabase({
      ...test.options,
      walSync: (real) =>
        real && {
          sync: () => (failing ? Promise.reject(new Error('EIO: i/o error, fdatasync')) : real.sync()),
          close: () => real.close(),
        },
    });
    const server = await startServer(testConfig(mock.mock, test), { clock, database });
    try {
      const user = await loginUser(server.api, mock.control);
      const inventory = () => server.api.query('me.inventory', undefined, user.token);
      expect((await inventory()).status).toBe(200);
      failing = true;
      const { orderId } = await mock.control.order(user.userKey, 'coin_100');
      const fulfill = await server.api.mutation('iap.fulfill', { orderId, sku: 'coin_100' }, user.token);
      expect([fulfill.status, fulfill.error?.data.appCode]).toEqual([500, 'INTERNAL']);
      failing = false; // the disk is back: nothing is trusted until the server restarts
      expect((await inventory()).error?.data.appCode).toBe('INTERNAL');
      clock.advance(5_000);
      const ready = await fetch(`${server.url}/readyz`);
      expect([ready.status, await ready.text()]).toEqual([503, '{"ok":false,"reason":"database"}']);
      // Nor does the reconcile job write anything (its answers for orders record attempts outside the group commit).
      const attempts = () => database.db.selectFrom('fulfillment_attempts').select('id').execute();
      const before = (await attempts()).length;
      await expect(server.server.reconcileOnce()).rejects.toThrow(
        /reconcile skipped: .*WAL could not be synced/,
      );
      expect((await attempts()).length).toBe(before);
    } finally {
      await server.close();
    }
  });

test('the catalog reload failing every second while the database is down is logged once', async () => {
  const { log, events } = capturedLog();
  const server = await startServer(testConfig(mock.mock, await testDatabase(tmp.dir, 'catalog-down')), {
    log,
  });
  try {
    await server.server.deps.database.close();
    // The reload timer ticks every second: wait for several ticks.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(events('catalog.reload_failed')).toHaveLength(1);
  } finally {
    await server.close();
  }
});

test('requests whose session lookup is blocked by a lock fail within the bound instead of queueing', async () => {
  const database = await testDatabase(tmp.dir, 'locked');
  const server = await startServer(
    testConfig(mock.mock, database, {
      DATABASE_POOL_SIZE: '2',
      DATABASE_ACQUIRE_TIMEOUT_MS: '500',
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
    }),
  );
  const api = apiClient(server.url);
  const bogus = () =>
    api.query('me.inventory', undefined, `bogus-token-${Math.random().toString(36).slice(2)}xx`);
  const release = await lockSessions(database.env);
  try {
    const replies = await Promise.all(Array.from({ length: 20 }, bogus));
    if (testBackend === 'postgres') {
      // Every lookup gave up (acquire or lock timeout): an error each, none still waiting.
      expect(new Set(replies.map((r) => r.status))).toEqual(new Set([500]));
    } else {
      // SQLite (WAL): a reader never waits for another connection's write lock: each bogus token is refused at once.
      expect(new Set(replies.map((r) => r.error?.data.appCode))).toEqual(new Set(['UNAUTHORIZED']));
    }
    if (testBackend === 'postgres') expect(await lookupsStillRunning(database.env)).toBe(0);
  } finally {
    await release();
    await server.close();
  }
});

/** Hold a lock on the sessions table from another connection (PostgreSQL: ACCESS EXCLUSIVE; SQLite: the write lock). */
async function lockSessions(env: Record<string, string>): Promise<() => Promise<void>> {
  if (env.DATABASE_URL) {
    const client = await postgresClient(env.DATABASE_URL);
    await client.query('begin');
    await client.query('lock table sessions in access exclusive mode');
    return async () => {
      await client.query('rollback');
      await client.end();
    };
  }
  const other = new BetterSqlite3(env.DATABASE_PATH as string);
  other.exec('begin immediate');
  other.prepare("update sessions set revoked_at = 'x' where 0").run();
  return async () => {
    other.exec('rollback');
    other.close();
  };
}

/** Queries of the server's pool still running or waiting (pg_stat_activity), once every request has answered. */
async function lookupsStillRunning(env: Record<string, string>): Promise<number> {
  const client = await postgresClient(env.DATABASE_URL as string);
  try {
    const rows = await client.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity
       where application_name = 'ait-iap-server' and datname = current_database() and state = 'active'`,
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

test('SIGTERM with a reconcile stuck on a slow partner: the process exits within SHUTDOWN_GRACE_MS, not after it', async () => {
  const database = await testDatabase(tmp.dir, 'shutdown');
  const server = await startServerProcess(mock.mock, database, {
    RECONCILE_INTERVAL_SECONDS: '1',
    SHUTDOWN_GRACE_MS: '1000',
    // Longer than the test's own timeout: a shutdown that waited for the reconcile run would never pass.
    TOSS_TIMEOUT_MS: '60000',
    TOSS_TOTAL_TIMEOUT_MS: '120000',
  });
  const events: string[] = [];
  createInterface({ input: server.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('{')) events.push(String((JSON.parse(line) as { event?: string }).event));
  });
  try {
    // A granted order for the reconcile job to re-check; then the partner takes 60 s per status call.
    const api = apiClient(server.url);
    const user = await loginUser(api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    const granted = await api.mutation<{ granted: boolean }>(
      'iap.fulfill',
      { orderId, sku: 'coin_100' },
      user.token,
    );
    expect(granted.data?.granted).toBe(true);
    await mock.control.fault({
      kind: 'latency',
      ms: 60_000,
      count: 100,
      path: '/api-partner/v1/apps-in-toss/order/get-order-status',
    });
    await until(async () => (await faultsLeft()) < 100); // the reconcile run is waiting on the partner now
    server.child.kill('SIGTERM');
    const code = await server.exited;
    // The reconcile run was still waiting on the partner: the grace ran out and the process exited without it.
    expect(events).toContain('server.grace_expired');
    expect(code).toBe(1);
  } finally {
    server.child.kill('SIGKILL');
    await mock.control.clearFaults();
  }
});

async function faultsLeft(): Promise<number> {
  const state = (await (await fetch(`${mock.mock.controlUrl}/__mock/state`)).json()) as {
    faults: Array<{ count: number | null }>;
  };
  return state.faults.reduce((sum, fault) => sum + (fault.count ?? 0), 0);
}

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
