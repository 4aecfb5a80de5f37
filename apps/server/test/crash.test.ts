/**
 * Crashes and shutdowns. The server runs as a real process (node + tsx, src/main.ts) against toss-mock over mTLS;
 * it is killed with SIGKILL in the middle of a stream of grants, then restarted on the same database file.
 * Also: a graceful close lets an in-flight grant finish before the database closes.
 */
import type { ChildProcess } from 'node:child_process';
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
async function startProcess(database: TestDatabase): Promise<ServerProcess> {
  const started = await startServerProcess(mock.mock, database);
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
