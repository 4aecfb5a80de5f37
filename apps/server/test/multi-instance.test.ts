/**
 * Several server instances on ONE database (the PostgreSQL deployment: N instances behind a load balancer; on SQLite
 * the same holds for processes sharing one file). Two real server processes start together on a fresh database
 * (migrations and catalog sync must not collide), then the same orders are fulfilled concurrently through both:
 * every order has exactly one effect. And two instances reconciling at the same moment do the work once.
 */
import type { ChildProcess } from 'node:child_process';
import { cycleEnd } from '@ait-iap/iap-contract';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { reconcile } from '../src/fulfillment/reconcile';
import {
  apiClient,
  ledgerViolations,
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

const coins: Record<string, number> = { coin_100: 100, coin_550: 550 };

test('two server processes on one database: started together, then concurrent fulfills of the same orders through both → exactly one effect each', async () => {
  const database = await testDatabase(tmp.dir, 'shared');
  // Both start at once on an empty database: one migrates and syncs the catalog, the other waits and finds it done.
  const [a, b] = await Promise.all([
    startServerProcess(mock.mock, database),
    startServerProcess(mock.mock, database),
  ]);
  children.add(a.child);
  children.add(b.child);
  const apiA = apiClient(a.url);
  const apiB = apiClient(b.url);

  // A session made on one instance works on the other (sessions live in the shared database).
  const users = [await loginUser(apiA, mock.control), await loginUser(apiB, mock.control)];
  const plan = [
    ...['coin_100', 'premium_monthly', 'coin_550', 'premium_monthly', 'remove_ads', 'premium_monthly'].map(
      (sku) => ({ user: 0, sku }),
    ),
    ...['premium_monthly', 'coin_100'].map((sku) => ({ user: 0, sku })),
    ...['coin_550', 'coin_100', 'remove_ads', 'coin_100'].map((sku) => ({ user: 1, sku })),
  ];
  const orders = [];
  for (const { user, sku } of plan) {
    const owner = users[user]!;
    orders.push({ orderId: (await mock.control.order(owner.userKey, sku)).orderId, sku, owner });
  }

  // Every order: 3 calls through each instance, all 72 in flight at once.
  const replies = await Promise.all(
    orders.flatMap((order) =>
      [apiA, apiB, apiA, apiB, apiA, apiB].map((api) =>
        api.mutation<{ granted: boolean; reason: string }>(
          'iap.fulfill',
          { orderId: order.orderId, sku: order.sku },
          order.owner.token,
        ),
      ),
    ),
  );
  expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
  expect(replies.filter((r) => r.data?.granted !== true)).toEqual([]);

  // Balances seen through either instance: each coin order credited once.
  for (const [index, user] of users.entries()) {
    const expected = orders.filter((o) => o.owner === user).reduce((sum, o) => sum + (coins[o.sku] ?? 0), 0);
    const inventory = await (index === 0 ? apiB : apiA).query<{ balances: Record<string, number> }>(
      'me.inventory',
      undefined,
      user.token,
    );
    expect(inventory.data?.balances.COIN).toBe(expected);
  }

  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  children.clear();

  const shared = await database.open();
  try {
    expect(await ledgerViolations(shared)).toEqual([]);
    const rows = await shared.db.selectFrom('orders').select(['order_id', 'state']).execute();
    expect(rows.filter((row) => row.state === 'GRANTED')).toHaveLength(orders.length);
    // Exactly one call per order made the grant; every other call was told ALREADY_GRANTED.
    const grants = await shared.db
      .selectFrom('fulfillment_attempts')
      .select('order_id')
      .where('outcome', '=', 'GRANTED')
      .execute();
    expect(grants.map((g) => g.order_id).sort()).toEqual(orders.map((o) => o.orderId).sort());
    const credits = await shared.db.selectFrom('wallet_entries').select('order_id').execute();
    expect(credits.map((c) => c.order_id).sort()).toEqual(
      orders
        .filter((o) => coins[o.sku])
        .map((o) => o.orderId)
        .sort(),
    );
    // Four subscription orders of one user, granted concurrently on two instances: the periods follow each other
    // (each grant saw the ones before it: on PostgreSQL that is the lock on the user's ledger), never overlap, and
    // the access end is the derived one — the first cycle's start + four months — on every row.
    const periods = await shared.db
      .selectFrom('entitlements')
      .select(['starts_at', 'expires_at'])
      .where('user_id', '=', users[0]!.userId)
      .where('sku', '=', 'premium_monthly')
      .orderBy('starts_at')
      .execute();
    expect(periods).toHaveLength(4);
    const anchor = new Date(periods[0]!.starts_at);
    expect(periods.map((p) => p.starts_at)).toEqual(
      [0, 1, 2, 3].map((k) => cycleEnd(anchor, 'MONTHLY', k).toISOString()),
    );
    expect(new Set(periods.map((p) => p.expires_at))).toEqual(
      new Set([cycleEnd(anchor, 'MONTHLY', 4).toISOString()]),
    );
  } finally {
    await shared.close();
  }
}, 120_000); // two processes + 72 concurrent calls: allow for a busy shared machine

test('two instances reconciling at the same moment: on PostgreSQL one runs and the other skips its turn; each grant is re-checked', async () => {
  const database = await testDatabase(tmp.dir, 'reconcile');
  const first = await startServer(testConfig(mock.mock, database));
  const second = await startServer(testConfig(mock.mock, database));
  try {
    const user = await loginUser(first.api, mock.control);
    for (const sku of ['coin_100', 'remove_ads', 'coin_550']) {
      const { orderId } = await mock.control.order(user.userKey, sku);
      const reply = await first.api.mutation<{ granted: boolean }>(
        'iap.fulfill',
        { orderId, sku },
        user.token,
      );
      expect(reply.data?.granted).toBe(true);
    }
    // Slow Toss answers keep the first run busy while the second one starts.
    await mock.control.fault({
      kind: 'latency',
      ms: 300,
      path: '/api-partner/v1/apps-in-toss/order/get-order-status',
    });
    const options = { lookbackDays: 30, alertAfterSeconds: 600 };
    const reports = await Promise.all([
      reconcile(first.server.deps, options),
      reconcile(second.server.deps, options),
    ]);
    if (testBackend === 'postgres') {
      expect(reports.filter((r) => r.skipped)).toHaveLength(1);
      expect(reports.find((r) => !r.skipped)?.rechecked).toBe(3);
    } else {
      // SQLite is one instance's database: no cross-instance lock, both runs re-check (harmlessly: fulfill is idempotent).
      expect(reports.map((r) => r.rechecked)).toEqual([3, 3]);
    }
    expect(reports.flatMap((r) => r.revoked)).toEqual([]);
    expect(await ledgerViolations(first.server.deps.database)).toEqual([]);
  } finally {
    await mock.control.clearFaults();
    await first.close();
    await second.close();
  }
});
