/**
 * `iap.syncSubscriptions` against toss-mock over real mTLS: what Toss's getSubscriptionInfo says (as the mock's host
 * answers it, or as a lying client forges it) reaches the inventory only under the trust policy — reports end or
 * shorten access, never extend it past what the paid orders cover (derived: anchor + paid cycles, plus one grace);
 * other users' orders, refunds and outages are safe.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createManualClock } from '../src/clock';
import { reconcile } from '../src/fulfillment/reconcile';
import { createLogger } from '../src/log';
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

type SubscriptionInfo = {
  catalogId: number;
  status: string;
  expiresAt: string | null;
  isAutoRenew: boolean;
  gracePeriodExpiresAt: string | null;
  isAccessible: boolean;
};
type SyncSubscriptions = {
  updated: string[];
  unchanged: number;
  refused: { orderId: string; reason: string }[];
  deferred: string[];
};
type Inventory = {
  entitlements: Array<{
    entitlement: string;
    sku: string;
    orderId: string;
    status?: string;
    expiresAt?: string | null;
    graceExpiresAt?: string | null;
    autoRenew?: boolean;
  }>;
};

const day = 86_400_000;
const hour = 3_600_000;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
const clock = createManualClock();
const lines: Array<Record<string, unknown>> = [];
let mockClockMoved = 0;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  // Sessions outlive the days these tests move the server's clock by.
  server = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'subscriptions'), {
      SESSION_TTL_SECONDS: String(3 * 365 * 86_400),
    }),
    {
      clock,
      log: createLogger({ level: 'info', clock, sink: (line) => lines.push(JSON.parse(line)) }),
    },
  );
});
// Each test starts with the server's clock on the mock's (Toss's) clock; tests move either one on purpose.
beforeEach(async () => {
  clock.set(Date.parse((await mockControl<{ clock: { now: string } }>('GET', 'state')).clock.now));
});
afterEach(async () => {
  await mock.control.clearFaults();
  if (mockClockMoved !== 0) await mockControl('POST', 'clock', { advanceMs: -mockClockMoved });
  mockClockMoved = 0;
  expect(await ledgerViolations(server.server.deps.database)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

async function mockControl<T = Record<string, unknown>>(method: string, route: string, body?: unknown) {
  const response = await fetch(`${mock.mock.controlUrl}/__mock/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`mock ${route} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
/** What `IAP.getSubscriptionInfo({ params: { orderId } })` resolves to in the mini-app, from the mock's host. */
const subscriptionInfo = async (userKey: number, orderId: string) =>
  (await mockControl<{ subscription: SubscriptionInfo }>('POST', 'host/subscription', { userKey, orderId }))
    .subscription;
const subscriptionAction = (orderId: string, action: 'renew' | 'expire' | 'grace' | 'revoke') =>
  mockControl('POST', `subscriptions/${orderId}/${action}`, {});
const moveMockClock = async (ms: number) => {
  mockClockMoved += ms;
  await mockControl('POST', 'clock', { advanceMs: ms });
};

const report = (token: string, subscriptions: Array<{ orderId: string; subscription: SubscriptionInfo }>) =>
  server.api.mutation<SyncSubscriptions>('iap.syncSubscriptions', { subscriptions }, token);
const inventory = async (token: string) =>
  (await server.api.query<Inventory>('me.inventory', undefined, token)).data!;
const iso = (ms: number) => new Date(ms).toISOString();
/** Calendar months, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29), same time of day. */
const addMonths = (ms: number, months: number) => {
  const date = new Date(ms);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return (
    ms -
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) +
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(date.getUTCDate(), lastDay))
  );
};
const forged = (overrides: Partial<SubscriptionInfo>): SubscriptionInfo => ({
  catalogId: 1,
  status: 'ACTIVE',
  expiresAt: iso(clock.now() + 30 * day),
  isAutoRenew: true,
  gracePeriodExpiresAt: null,
  isAccessible: true,
  ...overrides,
});

/**
 * Toss renews the user's subscription `count` times now (the mock's `renew`), and the app hands the renewal orders
 * to `iap.sync` as its completed-orders page would. Returns the renewal order ids, oldest first.
 */
async function renew(user: { userKey: number; token: string; orderId: string }, count: number) {
  const before = new Set(await ordersOf(user.userKey));
  for (let i = 0; i < count; i++) await subscriptionAction(user.orderId, 'renew');
  const renewals = (await ordersOf(user.userKey)).filter((orderId) => !before.has(orderId));
  expect(renewals).toHaveLength(count);
  const synced = await server.api.mutation<{ granted: string[] }>(
    'iap.sync',
    { orders: renewals.map((orderId) => ({ orderId, sku: 'premium_monthly', status: 'COMPLETED' })) },
    user.token,
  );
  expect(synced.data?.granted).toHaveLength(count);
  return renewals;
}
const ordersOf = async (userKey: number) =>
  (await mockControl<{ orders: Array<{ orderId: string; userKey: number }> }>('GET', 'state')).orders
    .filter((order) => order.userKey === userKey)
    .map((order) => order.orderId);

/** A logged-in user who bought premium_monthly (3 grace days in the catalog), granted now on the server's clock. */
async function subscriber() {
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'premium_monthly');
  const granted = await server.api.mutation<{ reason: string }>(
    'iap.fulfill',
    { orderId, sku: 'premium_monthly' },
    user.token,
  );
  expect(granted.data?.reason).toBe('GRANTED');
  const [premium] = (await inventory(user.token)).entitlements;
  expect(premium).toMatchObject({ sku: 'premium_monthly', status: 'ACTIVE', orderId });
  expect(premium?.expiresAt).toBe(iso(addMonths(clock.now(), 1)));
  return { ...user, orderId };
}

describe('Toss ending a subscription ends access', () => {
  test('expired on Toss → the report drops premium from the inventory now, with one log line', async () => {
    const user = await subscriber();
    await subscriptionAction(user.orderId, 'expire');
    const info = await subscriptionInfo(user.userKey, user.orderId);
    expect(info).toMatchObject({ status: 'EXPIRED', isAccessible: false });

    lines.length = 0;
    const reply = await report(user.token, [{ orderId: user.orderId, subscription: info }]);
    expect(reply.data).toEqual({ updated: [user.orderId], unchanged: 0, refused: [], deferred: [] });
    expect((await inventory(user.token)).entitlements).toEqual([]);

    const changes = lines.filter((line) => line.event === 'subscription.reported');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      orderId: user.orderId,
      sku: 'premium_monthly',
      ended: true,
      to: { status: 'EXPIRED' },
    });
    expect(JSON.stringify(changes[0])).not.toContain(String(user.userKey));

    // Reporting the same thing again changes nothing.
    const again = await report(user.token, [{ orderId: user.orderId, subscription: info }]);
    expect(again.data).toEqual({ updated: [], unchanged: 1, refused: [], deferred: [] });
  });

  test('grace period is kept within the catalog grace; when Toss puts it on hold, access ends', async () => {
    const user = await subscriber();
    await subscriptionAction(user.orderId, 'grace');
    const grace = await subscriptionInfo(user.userKey, user.orderId);
    expect(grace).toMatchObject({ status: 'IN_GRACE_PERIOD', isAccessible: true });
    expect(
      (await report(user.token, [{ orderId: user.orderId, subscription: grace }])).data?.updated,
    ).toEqual([user.orderId]);
    const [inGrace] = (await inventory(user.token)).entitlements;
    expect(inGrace?.status).toBe('IN_GRACE_PERIOD');
    expect(Date.parse(inGrace?.graceExpiresAt ?? '')).toBeLessThanOrEqual(
      Date.parse(inGrace?.expiresAt ?? '') + 3 * day,
    );

    await moveMockClock(4 * day); // past Toss's grace: ON_HOLD
    const hold = await subscriptionInfo(user.userKey, user.orderId);
    expect(hold).toMatchObject({ status: 'ON_HOLD', isAccessible: false });
    await report(user.token, [{ orderId: user.orderId, subscription: hold }]);
    expect((await inventory(user.token)).entitlements).toEqual([]);
  });

  test('paused, or ACTIVE but not accessible → access ends and premium is not listed', async () => {
    const paused = await subscriber();
    await report(paused.token, [{ orderId: paused.orderId, subscription: forged({ status: 'PAUSED' }) }]);
    expect((await inventory(paused.token)).entitlements).toEqual([]);

    const blocked = await subscriber();
    await report(blocked.token, [
      { orderId: blocked.orderId, subscription: forged({ isAccessible: false }) },
    ]);
    expect((await inventory(blocked.token)).entitlements).toEqual([]);
  });

  test('revoked on Toss after a renewal → the renewal order ends too, the refunded first order is revoked', async () => {
    const user = await subscriber();
    await subscriptionAction(user.orderId, 'renew');
    const orders = (
      await mockControl<{ orders: Array<{ orderId: string; userKey: number }> }>('GET', 'state')
    ).orders;
    const renewal = orders.find((o) => o.userKey === user.userKey && o.orderId !== user.orderId);
    if (!renewal) throw new Error('the mock made no renewal order');
    const synced = await server.api.mutation<{ granted: string[] }>(
      'iap.sync',
      { orders: [{ orderId: renewal.orderId, sku: 'premium_monthly', status: 'COMPLETED' }] },
      user.token,
    );
    expect(synced.data?.granted).toEqual([renewal.orderId]);
    expect((await inventory(user.token)).entitlements[0]?.orderId).toBe(renewal.orderId);

    await subscriptionAction(user.orderId, 'revoke'); // REVOKED, and Toss refunds the first order
    const info = await subscriptionInfo(user.userKey, renewal.orderId);
    expect(info).toMatchObject({ status: 'REVOKED', isAccessible: false });
    const reply = await report(user.token, [
      { orderId: renewal.orderId, subscription: info },
      { orderId: user.orderId, subscription: info },
    ]);
    expect(reply.data).toEqual({
      updated: [renewal.orderId],
      unchanged: 0,
      refused: [{ orderId: user.orderId, reason: 'REVOKED' }],
      deferred: [],
    });
    expect((await inventory(user.token)).entitlements).toEqual([]);
  });
});

describe('reports are bounded', () => {
  test('a 7-day free trial report shortens the expiry to the trial end, grace within the catalog days', async () => {
    const user = await subscriber();
    const trialEnd = clock.now() + 7 * day;
    const reply = await report(user.token, [
      { orderId: user.orderId, subscription: forged({ expiresAt: iso(trialEnd), isAutoRenew: false }) },
    ]);
    expect(reply.data?.updated).toEqual([user.orderId]);
    expect((await inventory(user.token)).entitlements).toEqual([
      expect.objectContaining({
        orderId: user.orderId,
        status: 'ACTIVE',
        expiresAt: iso(trialEnd),
        graceExpiresAt: iso(trialEnd + 3 * day),
        autoRenew: false,
      }),
    ]);
    clock.advance(8 * day); // trial over, inside the grace days
    expect((await inventory(user.token)).entitlements[0]?.status).toBe('IN_GRACE_PERIOD');
    clock.advance(3 * day);
    expect((await inventory(user.token)).entitlements).toEqual([]);
  });

  test.each([1, 3, 12])(
    'a forged far-future expiry on the first order and on each of %i renewals → access ends at the paid end plus one grace',
    async (renewals) => {
      const user = await subscriber();
      const renewalIds = await renew(user, renewals);
      const orderIds = [user.orderId, ...renewalIds];
      // The paid end: the first order's day + (renewals + 1) months — what Toss itself says (its clock runs on by
      // the milliseconds these calls take, hence the minute).
      const paidEnd = addMonths(clock.now(), renewals + 1);
      const honest = await subscriptionInfo(user.userKey, renewalIds.at(-1) as string);
      expect(honest.expiresAt?.slice(0, 16)).toBe(iso(paidEnd).slice(0, 16));

      const lie = forged({ expiresAt: '2099-01-01T00:00:00Z', gracePeriodExpiresAt: '2099-02-01T00:00:00Z' });
      lines.length = 0;
      for (let round = 0; round < 3; round++) {
        await report(
          user.token,
          orderIds.map((orderId) => ({ orderId, subscription: lie })),
        );
        clock.advance(day);
      }
      const [premium] = (await inventory(user.token)).entitlements;
      expect(premium?.expiresAt).toBe(iso(paidEnd));
      expect(premium?.graceExpiresAt).toBe(iso(paidEnd + 3 * day));
      expect(lines.some((line) => line.event === 'subscription.reported' && line.capped === true)).toBe(true);

      clock.set(paidEnd + 3 * day - 1); // the last millisecond of the one grace
      expect((await inventory(user.token)).entitlements[0]?.status).toBe('IN_GRACE_PERIOD');
      clock.set(paidEnd + 3 * day);
      expect((await inventory(user.token)).entitlements).toEqual([]);
    },
  );

  test('a refunded renewal shrinks access by its cycle, and no later report of the first order restores it', async () => {
    const user = await subscriber();
    const [r1] = await renew(user, 1);
    const bought = clock.now();
    expect((await inventory(user.token)).entitlements[0]?.expiresAt).toBe(iso(addMonths(bought, 2)));

    await mock.control.refund(r1 as string);
    const synced = await server.api.mutation<{ revoked: string[] }>(
      'iap.sync',
      { orders: [{ orderId: r1, sku: 'premium_monthly', status: 'REFUNDED' }] },
      user.token,
    );
    expect(synced.data?.revoked).toEqual([r1]);
    const shrunk = (await inventory(user.token)).entitlements[0];
    expect(shrunk?.orderId).toBe(user.orderId);
    expect(shrunk?.expiresAt).toBe(iso(addMonths(bought, 1)));
    expect(shrunk?.graceExpiresAt).toBe(iso(addMonths(bought, 1) + 3 * day));

    // The app reports the first order as still ACTIVE until the refunded cycle's end (and then beyond), in its grace.
    clock.set(addMonths(bought, 1) + day);
    for (const expiresAt of [iso(addMonths(bought, 2)), '2099-01-01T00:00:00Z']) {
      await report(user.token, [{ orderId: user.orderId, subscription: forged({ expiresAt }) }]);
      const [premium] = (await inventory(user.token)).entitlements;
      expect(premium?.expiresAt).toBe(iso(addMonths(bought, 1)));
      expect(premium?.status).toBe('IN_GRACE_PERIOD');
    }
    // A sync of the completed first order changes nothing either.
    await server.api.mutation(
      'iap.sync',
      { orders: [{ orderId: user.orderId, sku: 'premium_monthly', status: 'COMPLETED' }] },
      user.token,
    );
    expect((await inventory(user.token)).entitlements[0]?.expiresAt).toBe(iso(addMonths(bought, 1)));
    clock.set(addMonths(bought, 1) + 3 * day);
    expect((await inventory(user.token)).entitlements).toEqual([]);
  });
});

describe('who and what may be reported', () => {
  test("another user's order, an unknown order and a one-time order are refused and change nothing", async () => {
    const owner = await subscriber();
    const thief = await loginUser(server.api, mock.control);
    const { orderId: coinOrder } = await mock.control.order(thief.userKey, 'coin_100');
    await server.api.mutation('iap.fulfill', { orderId: coinOrder, sku: 'coin_100' }, thief.token);
    const unknown = '0190a6c2-7c4e-7b1a-9f3e-2a1b3c4d5e6f';
    const before = await inventory(owner.token);

    const reply = await report(thief.token, [
      { orderId: owner.orderId, subscription: forged({ status: 'EXPIRED', isAccessible: false }) },
      { orderId: unknown, subscription: forged({}) },
      { orderId: coinOrder, subscription: forged({}) },
    ]);
    expect(reply.data).toEqual({
      updated: [],
      unchanged: 0,
      refused: [
        { orderId: owner.orderId, reason: 'ORDER_NOT_FOUND' },
        { orderId: unknown, reason: 'ORDER_NOT_FOUND' },
        { orderId: coinOrder, reason: 'NOT_A_SUBSCRIPTION' },
      ],
      deferred: [],
    });
    expect(await inventory(owner.token)).toEqual(before);
    expect((await inventory(thief.token)).entitlements).toEqual([]);
  });

  test('a refunded order reported ACTIVE far into the future is revoked, not extended', async () => {
    const user = await subscriber();
    await mock.control.refund(user.orderId);
    const reply = await report(user.token, [
      { orderId: user.orderId, subscription: forged({ expiresAt: '2099-01-01T00:00:00Z' }) },
    ]);
    expect(reply.data?.refused).toEqual([{ orderId: user.orderId, reason: 'REVOKED' }]);
    expect((await inventory(user.token)).entitlements).toEqual([]);
    const order = await server.server.deps.database.db
      .selectFrom('orders')
      .select('state')
      .where('order_id', '=', user.orderId)
      .executeTakeFirst();
    expect(order?.state).toBe('REVOKED');
  });

  test('Toss unreachable → deferred and nothing changes; the next report applies', async () => {
    const user = await subscriber();
    const before = await inventory(user.token);
    const ended = forged({ status: 'EXPIRED', isAccessible: false });
    await mock.control.fault({ kind: 'error5xx' });
    const reply = await report(user.token, [{ orderId: user.orderId, subscription: ended }]);
    expect(reply.data).toEqual({ updated: [], unchanged: 0, refused: [], deferred: [user.orderId] });
    expect(await inventory(user.token)).toEqual(before);

    await mock.control.clearFaults();
    expect(
      (await report(user.token, [{ orderId: user.orderId, subscription: ended }])).data?.updated,
    ).toEqual([user.orderId]);
    expect((await inventory(user.token)).entitlements).toEqual([]);
  });

  test('a bad report is a BAD_REQUEST, and a report needs a session', async () => {
    const user = await subscriber();
    const tooMany = Array.from({ length: 51 }, () => ({ orderId: user.orderId, subscription: forged({}) }));
    expect((await report(user.token, tooMany)).error?.data.appCode).toBe('BAD_REQUEST');
    expect(
      (await report('', [{ orderId: user.orderId, subscription: forged({}) }])).error?.data.appCode,
    ).toBe('UNAUTHORIZED');
  });
});

describe('dates written before the derivation', () => {
  test('a subscription carrying an unpaid extra cycle (as older servers wrote it) is cut to the paid end by the next reconcile', async () => {
    const user = await subscriber();
    const paidEnd = addMonths(clock.now(), 1);
    // What the old "one extra cycle per forged report" left in the ledger.
    await server.server.deps.database.db
      .updateTable('entitlements')
      .set({ expires_at: iso(addMonths(paidEnd, 1)), grace_expires_at: iso(addMonths(paidEnd, 1) + 3 * day) })
      .where('order_id', '=', user.orderId)
      .execute();
    expect((await inventory(user.token)).entitlements[0]?.expiresAt).toBe(iso(addMonths(paidEnd, 1)));

    await reconcile(server.server.deps, server.server.deps.config.reconcile);
    const [premium] = (await inventory(user.token)).entitlements;
    expect(premium?.expiresAt).toBe(iso(paidEnd));
    expect(premium?.graceExpiresAt).toBe(iso(paidEnd + 3 * day));
  });
});

describe('renewals found late', () => {
  test('a renewal the app syncs a month after Toss charged it lands on its own cycle, not on the day it was found', async () => {
    const user = await subscriber();
    const bought = clock.now();
    // Toss renews an hour before the first period ends; the app is not opened then.
    await moveMockClock(addMonths(bought, 1) - hour - bought);
    const before = new Set(await ordersOf(user.userKey));
    await subscriptionAction(user.orderId, 'renew');
    const [renewal] = (await ordersOf(user.userKey)).filter((orderId) => !before.has(orderId));
    // A month later the app comes back and syncs its completed orders.
    await moveMockClock(addMonths(bought, 2) - hour - (addMonths(bought, 1) - hour));
    clock.set(addMonths(bought, 2) - hour);
    const synced = await server.api.mutation<{ granted: string[] }>(
      'iap.sync',
      { orders: [{ orderId: renewal, sku: 'premium_monthly', status: 'COMPLETED' }] },
      user.token,
    );
    expect(synced.data?.granted).toEqual([renewal]);
    const [premium] = (await inventory(user.token)).entitlements;
    expect(premium?.expiresAt).toBe(iso(addMonths(bought, 2)));
    expect(premium?.graceExpiresAt).toBe(iso(addMonths(bought, 2) + 3 * day));
  });
});

describe('calendar months', () => {
  test('a monthly subscription bought on Jan 31 ends Feb 28, renewed Mar 31, then Apr 30 — the anchor day kept', async () => {
    // Toss's clock and the server's both on Jan 31.
    await moveMockClock(Date.parse('2027-01-31T09:30:00.000Z') - clock.now());
    clock.set(Date.parse('2027-01-31T09:30:00.000Z'));
    const user = await subscriber();
    const [premium] = (await inventory(user.token)).entitlements;
    expect(premium?.expiresAt).toBe('2027-02-28T09:30:00.000Z');
    expect(premium?.graceExpiresAt).toBe('2027-03-03T09:30:00.000Z');

    // Each renewal is charged an hour before the period ends.
    for (const [renewedAt, expected] of [
      ['2027-02-28T08:30:00.000Z', '2027-03-31T09:30:00.000Z'],
      ['2027-03-31T08:30:00.000Z', '2027-04-30T09:30:00.000Z'],
    ] as const) {
      await moveMockClock(Date.parse(renewedAt) - clock.now());
      clock.set(Date.parse(renewedAt));
      await renew(user, 1);
      expect((await inventory(user.token)).entitlements[0]?.expiresAt).toBe(expected);
      expect((await subscriptionInfo(user.userKey, user.orderId)).expiresAt?.slice(0, 16)).toBe(
        expected.slice(0, 16),
      );
    }
  });
});
