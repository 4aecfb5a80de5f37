/**
 * Crashes and shutdowns. The server runs as a real process (node + tsx, src/main.ts) against toss-mock over mTLS;
 * it is killed with SIGKILL in the middle of a stream of grants, then restarted on the same database file.
 * Then killed INSIDE a grant, through the test crash hook (src/db/crash-hook.ts, IAP_TEST_CRASH_AT): between two of
 * its statements, and after its work is released but before the COMMIT (SQLite: the group's COMMIT).
 * Also: a graceful close lets an in-flight grant finish before the database closes.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  apiClient,
  ledgerViolations,
  loginUser,
  type MockHarness,
  type ServerProcess,
  startMock,
  startServer,
  startServerProcess,
  type TestDatabase,
  tempDir,
  testBackend,
  testConfig,
  testDatabase,
} from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await mock?.close();
  await tmp?.remove();
});

/** Start `src/main.ts` as its own process (killed in afterAll if still running). */
async function startProcess(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const started = await startServerProcess(mock.mock, database, env);
  children.add(started.child);
  return started;
}

test('SIGKILL in the middle of a stream of grants, then restart: every order granted at most once, wallets equal their ledgers, every paid order granted or recoverable', async () => {
  const database = await testDatabase(tmp.dir, 'crash');
  const first = await startProcess(database);
  const api = apiClient(first.url);
  const users = await Promise.all([1, 2, 3].map(() => loginUser(api, mock.control)));
  const skus = ['coin_100', 'coin_550', 'remove_ads'];
  const orders: Array<{ orderId: string; sku: string; user: (typeof users)[number] }> = [];
  for (let i = 0; i < 30; i++) {
    const user = users[i % users.length]!;
    const sku = skus[i % skus.length]!;
    orders.push({ orderId: (await mock.control.order(user.userKey, sku)).orderId, sku, user });
  }

  // A stream of grants (each order fulfilled twice, 6 at a time); kill -9 once some have landed.
  const queue = orders.flatMap((o) => [o, o]);
  let answered = 0;
  let killed = false;
  const worker = async () => {
    while (queue.length > 0) {
      const order = queue.shift()!;
      try {
        const reply = await api.mutation(
          'iap.fulfill',
          { orderId: order.orderId, sku: order.sku },
          order.user.token,
        );
        if (reply.data) answered += 1;
      } catch {
        // connection dropped by the crash
      }
      if (answered >= 15 && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  expect(killed).toBe(true);
  await first.exited;
  children.delete(first.child);

  // Right after the crash: the ledger is consistent, and no order was granted twice.
  const afterCrash = await database.open();
  expect(await ledgerViolations(afterCrash)).toEqual([]);
  const grantedAfterCrash = await afterCrash.db
    .selectFrom('orders')
    .select('order_id')
    .where('state', '=', 'GRANTED')
    .execute();
  expect(grantedAfterCrash.length).toBeGreaterThan(0);
  expect(grantedAfterCrash.length).toBeLessThan(orders.length);
  await afterCrash.close();

  // Restart; the app's recovery path (fulfill every pending order again) grants the rest, once.
  const second = await startProcess(database);
  const api2 = apiClient(second.url);
  for (const order of orders) {
    const reply = await api2.mutation<{ granted: boolean }>(
      'iap.fulfill',
      { orderId: order.orderId, sku: order.sku },
      order.user.token,
    );
    expect(reply.data?.granted).toBe(true);
  }
  const inventories = await Promise.all(
    users.map((u) => api2.query<{ balances: Record<string, number> }>('me.inventory', undefined, u.token)),
  );
  const expectedCoins = users.map((u) =>
    orders
      .filter((o) => o.user === u)
      .reduce((sum, o) => sum + (o.sku === 'coin_100' ? 100 : o.sku === 'coin_550' ? 550 : 0), 0),
  );
  expect(inventories.map((i) => i.data?.balances.COIN)).toEqual(expectedCoins);

  // Graceful stop: SIGTERM → exit code 0.
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  children.delete(second.child);

  const final = await database.open();
  expect(await ledgerViolations(final)).toEqual([]);
  const credits = await final.db.selectFrom('wallet_entries').select('order_id').execute();
  expect(new Set(credits.map((c) => c.order_id)).size).toBe(credits.length); // one credit per order
  expect(
    await final.db.selectFrom('orders').select('order_id').where('state', '=', 'GRANTED').execute(),
  ).toHaveLength(orders.length);
  await final.close();
});

/**
 * Start the server with the crash hook at `point`, log a user in and buy `coin_100`, arm the hook, fulfill: the
 * process dies inside that grant's transaction. Then: what the client got, and what the database holds.
 */
async function crashInsideGrant(name: string, point: string) {
  const database = await testDatabase(tmp.dir, name);
  const arm = `${tmp.dir}/${name}.arm`;
  const server = await startProcess(database, { IAP_TEST_CRASH_AT: point, IAP_TEST_CRASH_ARM: arm });
  const api = apiClient(server.url);
  const user = await loginUser(api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100');
  await writeFile(arm, '');
  const reply = await api
    .mutation<{ granted: boolean }>('iap.fulfill', { orderId, sku: 'coin_100' }, user.token)
    .catch((error: Error) => ({ dropped: error.message }));
  const exit = await server.exited;
  children.delete(server.child);
  const db = await database.open();
  const order = await db.db
    .selectFrom('orders')
    .select('state')
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  const credits = await db.db
    .selectFrom('wallet_entries')
    .select('amount')
    .where('order_id', '=', orderId)
    .execute();
  const violations = await ledgerViolations(db);
  await db.close();
  return { database, user, orderId, reply, exit, order, credits, violations };
}

/** Restart without the hook; the app's recovery fulfills the order again: granted once, 100 coins. */
async function recoverOnce(crash: Awaited<ReturnType<typeof crashInsideGrant>>) {
  const server = await startProcess(crash.database);
  const api = apiClient(server.url);
  const reply = await api.mutation<{ granted: boolean }>(
    'iap.fulfill',
    { orderId: crash.orderId, sku: 'coin_100' },
    crash.user.token,
  );
  const again = await api.mutation<{ granted: boolean; reason: string }>(
    'iap.fulfill',
    { orderId: crash.orderId, sku: 'coin_100' },
    crash.user.token,
  );
  const inventory = await api.query<{ balances: Record<string, number> }>(
    'me.inventory',
    undefined,
    crash.user.token,
  );
  server.child.kill('SIGKILL');
  await server.exited;
  children.delete(server.child);
  return { reply, again, coins: inventory.data?.balances.COIN };
}

test('SIGKILL between two statements of a grant (order row written, wallet not yet): nothing of it is left, and recovery grants it once', async () => {
  // The order's INSERT is the first statement on SQLite; on PostgreSQL the user's ledger lock comes first.
  const crash = await crashInsideGrant('mid-grant', `after-statement:${testBackend === 'postgres' ? 2 : 1}`);
  expect(crash.exit).toBeNull(); // killed by the signal, not exited
  expect(crash.reply).toHaveProperty('dropped');
  expect(crash.order).toBeUndefined();
  expect(crash.credits).toEqual([]);
  expect(crash.violations).toEqual([]);
  const recovered = await recoverOnce(crash);
  expect(recovered.reply.data?.granted).toBe(true);
  expect(recovered.again.data?.reason).toBe('ALREADY_GRANTED');
  expect(recovered.coins).toBe(100);
});

test("SIGKILL after a grant's work is released but before its COMMIT: the grant is absent, its client was never told, and recovery grants it once", async () => {
  const crash = await crashInsideGrant('before-commit', 'before-commit');
  expect(crash.exit).toBeNull();
  expect(crash.reply).toHaveProperty('dropped');
  expect(crash.order).toBeUndefined();
  expect(crash.credits).toEqual([]);
  expect(crash.violations).toEqual([]);
  const recovered = await recoverOnce(crash);
  expect(recovered.reply.data?.granted).toBe(true);
  expect(recovered.again.data?.reason).toBe('ALREADY_GRANTED');
  expect(recovered.coins).toBe(100);
});

test('a graceful close lets an in-flight grant finish, then closes the database', async () => {
  const graceful = await testDatabase(tmp.dir, 'graceful');
  const server = await startServer(
    testConfig(mock.mock, graceful, {
      TOSS_TIMEOUT_MS: '3000',
      TOSS_TOTAL_TIMEOUT_MS: '5000',
    }),
  );
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100');
  await mock.control.fault({
    kind: 'latency',
    ms: 400,
    path: '/api-partner/v1/apps-in-toss/order/get-order-status',
  });
  try {
    const pending = server.api.mutation<{ granted: boolean }>(
      'iap.fulfill',
      { orderId, sku: 'coin_100' },
      user.token,
    );
    while (server.server.inflight() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = server.close();
    const reply = await pending;
    await closing;
    expect(reply.data?.granted).toBe(true);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  } finally {
    await mock.control.clearFaults();
  }
  const database = await graceful.open();
  const row = await database.db
    .selectFrom('orders')
    .select('state')
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  expect(row?.state).toBe('GRANTED');
  await database.close();
});
