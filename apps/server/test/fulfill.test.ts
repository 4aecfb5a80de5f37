/**
 * The purchase spine against toss-mock over real mTLS: grant once (repeated and concurrent), other users' orders,
 * the status policy under every status reading, SKU checks, upstream faults then recovery, refunds via sync.
 * Toss states no SKU here (its documented answer); tests that need the mock's undocumented `sku` opt in (revealSku).
 * FAILED, held orders and operators: held.test.ts.
 */
import { defaultStatusReading, statusReadings } from '@ait-iap/iap-contract';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  ledgerViolations,
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  tempDir,
  testConfig,
  testDatabase,
} from './helpers';

type Fulfill = { granted: boolean; reason: string; retryable: boolean; orderId: string; sku?: string };
type Inventory = {
  balances: Record<string, number>;
  entitlements: Array<{ entitlement: string; sku: string; status?: string; expiresAt?: string | null }>;
};
type Sync = { checked: number; granted: string[]; revoked: string[]; unchanged: number; deferred: string[] };

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
let impatient: ServerHarness;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  // Generous upstream timeouts: 50 concurrent mTLS calls on a busy 2-core machine must not look like an outage.
  server = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'app'), {
      TOSS_TIMEOUT_MS: '5000',
      TOSS_TOTAL_TIMEOUT_MS: '10000',
    }),
  );
  // Short ones for the outage tests, so a held-open request is given up quickly.
  impatient = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'impatient'), {
      TOSS_TIMEOUT_MS: '1000',
      TOSS_TOTAL_TIMEOUT_MS: '2500',
    }),
  );
});
beforeEach(async () => {
  await mock.control.revealSku(false);
});
afterEach(async () => {
  await mock.control.clearFaults();
  await mock.control.statusReading(defaultStatusReading);
  await mock.control.revealSku(false);
  expect(await ledgerViolations(server.server.deps.database)).toEqual([]);
  expect(await ledgerViolations(impatient.server.deps.database)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
  await impatient?.close();
  await mock?.close();
  await tmp?.remove();
});

const fulfill = (token: string, input: Record<string, unknown>) =>
  server.api.mutation<Fulfill>('iap.fulfill', input, token);
const inventory = async (token: string) =>
  (await server.api.query<Inventory>('me.inventory', undefined, token)).data!;
const walletEntries = (orderId: string) =>
  server.server.deps.database.db
    .selectFrom('wallet_entries')
    .selectAll()
    .where('order_id', '=', orderId)
    .execute();
const orderRow = (orderId: string) =>
  server.server.deps.database.db
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirst();

describe('granting', () => {
  test('grants once under 50 concurrent calls, and every caller is told granted', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => fulfill(user.token, { orderId, sku: 'coin_100' })),
    );
    const answers = new Set(
      replies.map((r) => (r.data?.granted ? 'granted' : (r.data?.reason ?? r.error?.data.appCode))),
    );
    expect(answers).toEqual(new Set(['granted']));
    expect(replies.filter((r) => r.data?.reason === 'GRANTED')).toHaveLength(1);
    expect(replies.filter((r) => r.data?.reason === 'ALREADY_GRANTED')).toHaveLength(49);
    expect(await walletEntries(orderId)).toHaveLength(1);
    expect((await inventory(user.token)).balances.COIN).toBe(100);
  });

  test('a repeated call answers ALREADY_GRANTED without a second credit', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_550');
    expect((await fulfill(user.token, { orderId, sku: 'coin_550' })).data?.reason).toBe('GRANTED');
    const again = await fulfill(user.token, { orderId, sku: 'coin_550' });
    expect(again.data).toEqual({
      granted: true,
      reason: 'ALREADY_GRANTED',
      retryable: false,
      orderId,
      sku: 'coin_550',
    });
    expect((await inventory(user.token)).balances.COIN).toBe(550);
  });

  test("another user's order is answered like an unknown one and grants nothing, before and after its owner claims it", async () => {
    const owner = await loginUser(server.api, mock.control);
    const thief = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(owner.userKey, 'coin_100');

    const early = await fulfill(thief.token, { orderId, sku: 'coin_100' });
    expect(early.data).toMatchObject({ granted: false, reason: 'ORDER_NOT_FOUND' });
    expect(await orderRow(orderId)).toBeUndefined(); // not bound to the thief

    expect((await fulfill(owner.token, { orderId, sku: 'coin_100' })).data?.reason).toBe('GRANTED');
    const late = await fulfill(thief.token, { orderId, sku: 'coin_100' });
    expect(late.data).toEqual({ granted: false, reason: 'ORDER_NOT_FOUND', retryable: false, orderId });
    expect((await inventory(thief.token)).balances.COIN).toBe(0);
    expect((await inventory(owner.token)).balances.COIN).toBe(100);
  });

  test('a non-consumable unlocks its entitlement', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'remove_ads');
    expect((await fulfill(user.token, { orderId, sku: 'remove_ads' })).data?.granted).toBe(true);
    const { entitlements } = await inventory(user.token);
    expect(entitlements).toEqual([
      expect.objectContaining({ entitlement: 'no_ads', sku: 'remove_ads', orderId }),
    ]);
  });

  test('a subscription grants an entitlement for one renewal cycle, and a renewal extends it', async () => {
    const user = await loginUser(server.api, mock.control);
    const first = await mock.control.order(user.userKey, 'premium_monthly');
    const reply = await fulfill(user.token, {
      orderId: first.orderId,
      sku: 'premium_monthly',
      subscriptionId: first.subscriptionId ?? 'sub-1',
    });
    expect(reply.data?.granted).toBe(true);
    const [premium] = (await inventory(user.token)).entitlements;
    expect(premium).toMatchObject({ entitlement: 'premium', type: 'SUBSCRIPTION', status: 'ACTIVE' });
    const days = (Date.parse(premium!.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(27);
    expect(days).toBeLessThan(32);

    const renewal = await mock.control.order(user.userKey, 'premium_monthly');
    expect(
      (await fulfill(user.token, { orderId: renewal.orderId, sku: 'premium_monthly' })).data?.granted,
    ).toBe(true);
    const [extended] = (await inventory(user.token)).entitlements;
    const extendedDays = (Date.parse(extended!.expiresAt!) - Date.now()) / 86_400_000;
    expect(extendedDays).toBeGreaterThan(56);
  });
});

describe('the status policy, under every status reading', () => {
  const cases: Array<{ status: string; granted: boolean; reason: string; retryable: boolean }> = [
    { status: 'PAYMENT_COMPLETED', granted: true, reason: 'GRANTED', retryable: false },
    { status: 'PURCHASED', granted: true, reason: 'GRANTED', retryable: false },
    { status: 'COMPLETED', granted: true, reason: 'GRANTED', retryable: false },
    { status: 'ORDER_IN_PROGRESS', granted: false, reason: 'PAYMENT_IN_PROGRESS', retryable: true },
    // Never seen paid: held for an operator (held.test.ts), neither granted nor refused.
    { status: 'FAILED', granted: false, reason: 'UNDER_REVIEW', retryable: false },
    { status: 'REFUNDED', granted: false, reason: 'REFUNDED', retryable: false },
  ];
  for (const reading of statusReadings) {
    for (const c of cases) {
      test(`${reading}: an order created as ${c.status} → ${c.reason}`, async () => {
        await mock.control.statusReading(reading);
        const user = await loginUser(server.api, mock.control);
        const { orderId } = await mock.control.order(user.userKey, 'coin_100', c.status);
        const reply = await fulfill(user.token, { orderId, sku: 'coin_100' });
        expect(reply.data).toMatchObject({ granted: c.granted, reason: c.reason, retryable: c.retryable });
        expect((await inventory(user.token)).balances.COIN).toBe(c.granted ? 100 : 0);
      });
    }
  }

  test('an order unknown to Toss → ORDER_NOT_FOUND', async () => {
    const user = await loginUser(server.api, mock.control);
    const reply = await fulfill(user.token, {
      orderId: '01900000-0000-7000-8000-000000000000',
      sku: 'coin_100',
    });
    expect(reply.data).toMatchObject({ granted: false, reason: 'ORDER_NOT_FOUND', retryable: false });
  });

  test("an order of another mini-app's product → MINIAPP_MISMATCH", async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'someone_elses_product');
    const reply = await fulfill(user.token, { orderId, sku: 'coin_100' });
    expect(reply.data).toMatchObject({ granted: false, reason: 'MINIAPP_MISMATCH' });
  });

  test('an order still in progress is granted once the payment settles', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100', 'ORDER_IN_PROGRESS');
    expect((await fulfill(user.token, { orderId, sku: 'coin_100' })).data?.reason).toBe(
      'PAYMENT_IN_PROGRESS',
    );
    await mock.control.settle(orderId, 'paid');
    expect((await fulfill(user.token, { orderId, sku: 'coin_100' })).data?.reason).toBe('GRANTED');
  });
});

describe('SKU checks', () => {
  test('a SKU that contradicts the SKU Toss states (revealSku) is refused, and the true SKU still grants', async () => {
    await mock.control.revealSku(true);
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    const lie = await fulfill(user.token, { orderId, sku: 'coin_550' });
    expect(lie.data).toMatchObject({ granted: false, reason: 'SKU_MISMATCH' });
    expect((await inventory(user.token)).balances.COIN).toBe(0);
    expect((await fulfill(user.token, { orderId, sku: 'coin_100' })).data?.reason).toBe('GRANTED');
    expect((await fulfill(user.token, { orderId, sku: 'coin_550' })).data?.reason).toBe('SKU_MISMATCH');
    expect((await inventory(user.token)).balances.COIN).toBe(100);
  });

  test('an unknown SKU is refused without granting', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    expect((await fulfill(user.token, { orderId, sku: 'gold_bar' })).data).toMatchObject({
      granted: false,
      reason: 'UNKNOWN_SKU',
    });
  });

  test("the sandbox app's test SKU maps onto the catalog SKU", async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    expect((await fulfill(user.token, { orderId, sku: 'test_product_1' })).data).toMatchObject({
      granted: true,
      sku: 'coin_100',
    });
  });

  test('when Toss does not say the SKU, an active client SKU is used and recorded as unverified', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_550');
    expect((await fulfill(user.token, { orderId, sku: 'coin_550' })).data?.reason).toBe('GRANTED');
    expect((await orderRow(orderId))?.sku_verified).toBe(0);
    const other = await mock.control.order(user.userKey, 'coin_100');
    expect((await fulfill(user.token, { orderId: other.orderId, sku: 'gold_bar' })).data?.reason).toBe(
      'UNKNOWN_SKU',
    );
  });
});

test('TOSS_REQUIRE_VERIFIED_SKU: a paid order whose SKU Toss did not state is held for an operator, not granted; once Toss states it (revealSku) it is granted', async () => {
  const strict = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'strictsku'), {
      TOSS_REQUIRE_VERIFIED_SKU: 'true',
      TOSS_TIMEOUT_MS: '5000',
      TOSS_TOTAL_TIMEOUT_MS: '10000',
    }),
  );
  try {
    const user = await loginUser(strict.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_550');
    const refused = await strict.api.mutation<Fulfill>(
      'iap.fulfill',
      { orderId, sku: 'coin_550' },
      user.token,
    );
    expect(refused.data).toMatchObject({ granted: false, reason: 'UNDER_REVIEW', retryable: false });
    const held = await strict.server.deps.database.db
      .selectFrom('orders')
      .select(['state', 'hold_reason'])
      .where('order_id', '=', orderId)
      .executeTakeFirst();
    expect(held).toEqual({ state: 'HELD', hold_reason: 'UNVERIFIED_SKU' });
    await mock.control.revealSku(true);
    const granted = await strict.api.mutation<Fulfill>(
      'iap.fulfill',
      { orderId, sku: 'coin_550' },
      user.token,
    );
    expect(granted.data).toMatchObject({ granted: true, reason: 'GRANTED' });
    const row = await strict.server.deps.database.db
      .selectFrom('orders')
      .select('sku_verified')
      .where('order_id', '=', orderId)
      .executeTakeFirst();
    expect(row?.sku_verified).toBe(1);
    expect(await ledgerViolations(strict.server.deps.database)).toEqual([]);
  } finally {
    await strict.close();
  }
});

describe('upstream failures', () => {
  const api = () => impatient.api;
  const call = (token: string, input: Record<string, unknown>) =>
    impatient.api.mutation<Fulfill>('iap.fulfill', input, token);
  const coinsOf = async (token: string) =>
    (await impatient.api.query<Inventory>('me.inventory', undefined, token)).data?.balances.COIN;
  const db = () => impatient.server.deps.database.db;
  for (const kind of ['timeout', 'error5xx', 'malformed'] as const) {
    test(`${kind}: no grant and a retryable answer, then a later call grants exactly once`, async () => {
      const user = await loginUser(api(), mock.control);
      const { orderId } = await mock.control.order(user.userKey, 'coin_100');
      await mock.control.fault({ kind, path: '/api-partner/v1/apps-in-toss/order/get-order-status' });
      const down = await call(user.token, { orderId, sku: 'coin_100' });
      expect(down.data).toEqual({ granted: false, reason: 'UPSTREAM_UNAVAILABLE', retryable: true, orderId });
      expect(
        await db().selectFrom('orders').select('state').where('order_id', '=', orderId).executeTakeFirst(),
      ).toBeUndefined();
      const attempts = await db()
        .selectFrom('fulfillment_attempts')
        .selectAll()
        .where('order_id', '=', orderId)
        .execute();
      expect(attempts).toEqual([expect.objectContaining({ outcome: 'UPSTREAM_UNAVAILABLE', retryable: 1 })]);
      expect(await coinsOf(user.token)).toBe(0);

      await mock.control.clearFaults();
      const [a, b] = await Promise.all([
        call(user.token, { orderId, sku: 'coin_100' }),
        call(user.token, { orderId, sku: 'coin_100' }),
      ]);
      expect([a.data?.granted, b.data?.granted]).toEqual([true, true]);
      expect(
        await db().selectFrom('wallet_entries').select('id').where('order_id', '=', orderId).execute(),
      ).toHaveLength(1);
      expect(await coinsOf(user.token)).toBe(100);
    });
  }

  test('a transient 5xx is retried inside one call and the user is granted without noticing', async () => {
    const user = await loginUser(api(), mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await mock.control.fault({ kind: 'error5xx', count: 1 });
    expect((await call(user.token, { orderId, sku: 'coin_100' })).data?.reason).toBe('GRANTED');
  });

  test('an already granted order is confirmed even while Toss is down', async () => {
    const user = await loginUser(api(), mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    expect((await call(user.token, { orderId, sku: 'coin_100' })).data?.reason).toBe('GRANTED');
    await mock.control.fault({ kind: 'error5xx' });
    expect((await call(user.token, { orderId, sku: 'coin_100' })).data?.reason).toBe('ALREADY_GRANTED');
  });
});

describe('refunds and sync', () => {
  test('refund → sync → revoked, and the balance shows what is owed', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, { orderId, sku: 'coin_100' });
    await mock.control.refund(orderId);
    const sync = await server.api.mutation<Sync>(
      'iap.sync',
      { orders: [{ orderId, sku: 'coin_100', status: 'REFUNDED' }] },
      user.token,
    );
    expect(sync.data).toEqual({ checked: 1, granted: [], revoked: [orderId], unchanged: 0, deferred: [] });
    expect((await inventory(user.token)).balances.COIN).toBe(0);
    expect((await orderRow(orderId))?.state).toBe('REVOKED');
    const again = await server.api.mutation<Sync>(
      'iap.sync',
      { orders: [{ orderId, sku: 'coin_100', status: 'REFUNDED' }] },
      user.token,
    );
    expect(again.data).toMatchObject({ revoked: [], unchanged: 1 });
    expect((await fulfill(user.token, { orderId, sku: 'coin_100' })).data).toMatchObject({
      granted: false,
      reason: 'REVOKED',
    });
  });

  test("sync never trusts the client's status: a refunded order reported COMPLETED is still revoked", async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'remove_ads');
    await fulfill(user.token, { orderId, sku: 'remove_ads' });
    await mock.control.refund(orderId);
    const sync = await server.api.mutation<Sync>(
      'iap.sync',
      { orders: [{ orderId, sku: 'remove_ads', status: 'COMPLETED' }] },
      user.token,
    );
    expect(sync.data?.revoked).toEqual([orderId]);
    expect((await inventory(user.token)).entitlements).toEqual([]);
  });

  test('sync grants a completed order this server never saw, and defers what it cannot check', async () => {
    const user = await loginUser(server.api, mock.control);
    const seen = await mock.control.order(user.userKey, 'coin_100', 'COMPLETED');
    const unseen = await mock.control.order(user.userKey, 'coin_550', 'COMPLETED');
    const fake = await mock.control.order(user.userKey, 'coin_100', 'FAILED');
    await fulfill(user.token, { orderId: seen.orderId, sku: 'coin_100' });
    const sync = await server.api.mutation<Sync>(
      'iap.sync',
      {
        orders: [
          { orderId: seen.orderId, sku: 'coin_100', status: 'COMPLETED' },
          { orderId: unseen.orderId, sku: 'coin_550', status: 'COMPLETED' },
          { orderId: fake.orderId, sku: 'coin_100', status: 'COMPLETED' },
        ],
      },
      user.token,
    );
    expect(sync.data).toEqual({
      checked: 3,
      granted: [unseen.orderId],
      revoked: [],
      unchanged: 2,
      deferred: [],
    });
    expect((await inventory(user.token)).balances.COIN).toBe(650);

    await mock.control.fault({ kind: 'error5xx' });
    const down = await server.api.mutation<Sync>(
      'iap.sync',
      { orders: [{ orderId: seen.orderId, sku: 'coin_100', status: 'REFUNDED' }] },
      user.token,
    );
    expect(down.data).toMatchObject({ deferred: [seen.orderId], revoked: [] });
    expect((await inventory(user.token)).balances.COIN).toBe(650);
  });

  test('me.orders lists the history as the server recorded it', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, { orderId, sku: 'coin_100' });
    const history = await server.api.query<{ orders: Array<Record<string, unknown>> }>(
      'me.orders',
      undefined,
      user.token,
    );
    expect(history.data?.orders).toEqual([
      expect.objectContaining({
        orderId,
        sku: 'coin_100',
        name: '코인 100개',
        state: 'GRANTED',
        lastReason: 'GRANTED',
      }),
    ]);
  });
});
