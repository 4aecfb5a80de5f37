/**
 * FAILED orders, held orders and what operators do with them, under EVERY status reading of the contract (the sources
 * disagree on what a paid order reads; Toss staff's `grant-failed` reading turns a paid order FAILED after the app's
 * grant callback answered false). Plus the SKU policy when Toss states no SKU (the documented API, the mock's default
 * here), and another user's order answered exactly like an unknown one. Against toss-mock over real mTLS.
 */

import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { statusReadings } from '@ait-iap/iap-contract';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { reloadCatalogMemory } from '../src/catalog/products';
import { systemClock } from '../src/clock';
import type { AppDatabase } from '../src/db/database';
import { reconcile } from '../src/fulfillment/reconcile';
import { createLogger } from '../src/log';
import { listConflicts, listHeld, operatorApprove, operatorDeny, unverifiedGrants } from '../src/ops/actions';
import {
  ledgerViolations,
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  type TestDatabase,
  tempDir,
  testConfig,
  testDatabase,
  tossStatusOf,
} from './helpers';

type Fulfill = { granted: boolean; reason: string; retryable: boolean; orderId: string; sku?: string };

/**
 * Makes the next grant's wallet write fail inside its transaction: "the database failed mid-grant". The statement is
 * prepared (compiled once, run many times), so the plugin marks it when it is compiled and fails it when it runs.
 */
class FailNextGrant implements KyselyPlugin {
  armed = false;
  private readonly walletWrites = new WeakSet<QueryId>();
  transformQuery(args: PluginTransformQueryArgs) {
    const node = args.node;
    if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'wallet_entries')
      this.walletWrites.add(args.queryId);
    return node;
  }
  async transformResult(args: PluginTransformResultArgs) {
    if (this.armed && this.walletWrites.has(args.queryId)) {
      this.armed = false;
      throw new Error('injected: the database failed mid-grant');
    }
    return args.result;
  }
}

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
let database: TestDatabase;
const failNextGrant = new FailNextGrant();
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  database = await testDatabase(tmp.dir, 'held');
  const opened = await database.open();
  const wrapped: AppDatabase = {
    db: opened.db.withPlugin(failNextGrant),
    dialect: opened.dialect,
    close: () => opened.close(),
  };
  // Generous upstream timeouts: 50 concurrent mTLS calls on a busy 2-core machine must not look like an outage.
  server = await startServer(
    testConfig(mock.mock, database, { TOSS_TIMEOUT_MS: '5000', TOSS_TOTAL_TIMEOUT_MS: '10000' }),
    {
      database: wrapped,
      log: createLogger({ level: 'info', clock: systemClock, sink: (line) => lines.push(JSON.parse(line)) }),
    },
  );
});
beforeEach(async () => {
  await mock.control.revealSku(false); // Toss's documented answer: no SKU
});
afterEach(async () => {
  failNextGrant.armed = false;
  await mock.control.clearFaults();
  expect(await ledgerViolations(server.server.deps.database)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const deps = () => server.server.deps;
const fulfill = (token: string, orderId: string, sku: string) =>
  server.api.mutation<Fulfill>('iap.fulfill', { orderId, sku }, token);
const coins = async (token: string) =>
  (await server.api.query<{ balances: Record<string, number> }>('me.inventory', undefined, token)).data
    ?.balances.COIN;
const orderRow = (orderId: string) =>
  deps().database.db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
const walletEntries = (orderId: string) =>
  deps().database.db.selectFrom('wallet_entries').selectAll().where('order_id', '=', orderId).execute();
const auditRows = (orderId: string) =>
  deps().database.db.selectFrom('audit_log').selectAll().where('order_id', '=', orderId).execute();
const heldIds = async () => (await listHeld(deps())).map((held) => held.orderId);
const underReview = (orderId: string) => ({
  granted: false,
  reason: 'UNDER_REVIEW',
  retryable: false,
  orderId,
  sku: 'coin_100',
});
const reconcileOptions = { lookbackDays: 30, alertAfterSeconds: 0 };
const operator = { operator: 'kim', reason: 'settlement shows 1,050 KRW paid' };

describe.each(statusReadings)('under the %s reading', (reading) => {
  beforeEach(async () => {
    await mock.control.statusReading(reading);
  });

  test('a paid order whose grant failed mid-way (the app then answered false) is granted exactly once under 50 concurrent recovery claims', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    failNextGrant.armed = true;
    const failed = await fulfill(user.token, orderId, 'coin_100');
    expect(failed.error?.data.appCode).toBe('INTERNAL');
    await mock.control.endGrant(orderId, 'not-granted');
    // Toss staff's reading: FAILED now. The server saw it PAYMENT_COMPLETED on the failed attempt: that is the evidence.
    expect(tossStatusOf(mock.mock, orderId, user.userKey)).toBe(
      reading === 'grant-failed' ? 'FAILED' : 'PAYMENT_COMPLETED',
    );

    const replies = await Promise.all(
      Array.from({ length: 50 }, () => fulfill(user.token, orderId, 'coin_100')),
    );
    expect(new Set(replies.map((r) => r.data?.granted))).toEqual(new Set([true]));
    expect(replies.filter((r) => r.data?.reason === 'GRANTED')).toHaveLength(1);
    expect(await walletEntries(orderId)).toHaveLength(1);
    expect(await coins(user.token)).toBe(100);
    expect(await heldIds()).not.toContain(orderId);
  });

  test('a FAILED order the server never saw paid is held, never granted; repeated and concurrent claims keep one held record', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100', 'FAILED');
    expect((await fulfill(user.token, orderId, 'coin_100')).data).toEqual(underReview(orderId));
    const first = await orderRow(orderId);
    expect(first).toMatchObject({
      user_id: user.userId,
      sku: 'coin_100',
      state: 'HELD',
      hold_reason: 'FAILED_NOT_SEEN_PAID',
      last_reason: 'UNDER_REVIEW',
    });

    const again = await Promise.all(
      Array.from({ length: 10 }, () => fulfill(user.token, orderId, 'coin_100')),
    );
    for (const reply of again) expect(reply.data).toEqual(underReview(orderId));
    expect(await orderRow(orderId)).toEqual(first);
    expect((await heldIds()).filter((id) => id === orderId)).toHaveLength(1);
    expect(await walletEntries(orderId)).toEqual([]);
    expect(await coins(user.token)).toBe(0);
    const held = lines.filter((l) => l.event === 'order.state_changed' && l.orderId === orderId);
    expect(held).toEqual([expect.objectContaining({ level: 'warn', from: null, to: 'HELD' })]);

    const report = await reconcile(deps(), reconcileOptions);
    expect(report.granted).not.toContain(orderId);
    expect(report.held).toContainEqual(
      expect.objectContaining({
        orderId,
        userId: user.userId,
        sku: 'coin_100',
        holdReason: 'FAILED_NOT_SEEN_PAID',
      }),
    );
    expect((await orderRow(orderId))?.state).toBe('HELD');
    expect(await coins(user.token)).toBe(0);
    await operatorDeny(deps(), { orderId, operator: 'kim', reason: 'payment failed at the store' });
  });

  test.each(['not-granted', 'no-answer', 'app-closed'] as const)(
    'the grant ended %s before the server ever heard of a paid order: held under grant-failed, granted under the others',
    async (ending) => {
      const user = await loginUser(server.api, mock.control);
      const { orderId } = await mock.control.order(user.userKey, 'coin_100');
      await mock.control.endGrant(orderId, ending);
      const reply = await fulfill(user.token, orderId, 'coin_100');
      if (reading === 'grant-failed') {
        expect(reply.data).toEqual(underReview(orderId));
        expect(await coins(user.token)).toBe(0);
        // The operator checked the settlement: approve.
        expect(await operatorApprove(deps(), { orderId, ...operator })).toMatchObject({
          ok: true,
          to: 'GRANTED',
        });
      } else {
        expect(reply.data).toMatchObject({ granted: true, reason: 'GRANTED' });
      }
      expect(await coins(user.token)).toBe(100);
    },
  );

  test('approve grants a held order once, with an audit row; a second approve grants nothing', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100', 'FAILED');
    expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('UNDER_REVIEW');
    expect(await operatorApprove(deps(), { orderId, operator: 'kim', reason: '' })).toMatchObject({
      ok: false,
    });

    const [a, b] = await Promise.all([
      operatorApprove(deps(), { orderId, ...operator }),
      operatorApprove(deps(), { orderId, ...operator }),
    ]);
    expect([a, b].filter((r) => r.ok)).toHaveLength(1);
    expect(await operatorApprove(deps(), { orderId, ...operator })).toMatchObject({
      ok: false,
      error: expect.stringContaining('GRANTED'),
    });
    expect(await walletEntries(orderId)).toEqual([
      expect.objectContaining({ kind: 'OPERATOR_GRANT', amount: 100 }),
    ]);
    expect(await coins(user.token)).toBe(100);
    expect((await auditRows(orderId)).map((row) => [row.action, row.operator])).toEqual([['approve', 'kim']]);
    expect((await fulfill(user.token, orderId, 'coin_100')).data).toMatchObject({
      granted: true,
      reason: 'ALREADY_GRANTED',
    });
    expect(await heldIds()).not.toContain(orderId);
  });

  test('deny keeps a held order refused: later claims answer NOT_PAID and never grant, reconcile leaves it', async () => {
    const user = await loginUser(server.api, mock.control);
    // Paid for coin_100, claims the hidden coin_1200_event: Toss reads it paid, the SKU only the client vouches for.
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    const claim = await fulfill(user.token, orderId, 'coin_1200_event');
    expect(claim.data).toMatchObject({ granted: false, reason: 'UNDER_REVIEW', retryable: false });
    expect(
      await operatorDeny(deps(), { orderId, operator: 'lee', reason: 'settlement: 1,050 KRW, not 10,500' }),
    ).toMatchObject({ ok: true, from: 'HELD', to: 'REFUSED' });
    for (let i = 0; i < 3; i++) {
      expect((await fulfill(user.token, orderId, 'coin_1200_event')).data).toEqual({
        granted: false,
        reason: 'NOT_PAID',
        retryable: false,
        orderId,
        sku: 'coin_1200_event',
      });
    }
    const sync = await server.api.mutation<{ granted: string[] }>(
      'iap.sync',
      { orders: [{ orderId, sku: 'coin_1200_event', status: 'COMPLETED' }] },
      user.token,
    );
    expect(sync.data?.granted).toEqual([]);
    expect((await reconcile(deps(), reconcileOptions)).granted).not.toContain(orderId);
    expect(await operatorApprove(deps(), { orderId, ...operator })).toMatchObject({ ok: false });
    expect((await orderRow(orderId))?.state).toBe('REFUSED');
    expect(await heldIds()).not.toContain(orderId);
    expect(await coins(user.token)).toBe(0);
  });

  test('a held order that Toss later reads REFUNDED: nothing to revoke, and it leaves the review list', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_1200_event');
    expect((await fulfill(user.token, orderId, 'coin_1200_event')).data?.reason).toBe('UNDER_REVIEW');
    expect(await heldIds()).toContain(orderId);
    await mock.control.refund(orderId);
    const report = await reconcile(deps(), reconcileOptions);
    expect(report.revoked).not.toContain(orderId);
    expect(report.held.map((h) => h.orderId)).not.toContain(orderId);
    expect(await orderRow(orderId)).toMatchObject({ state: 'REFUSED', last_reason: 'REFUNDED' });
    expect(await walletEntries(orderId)).toEqual([]);
    expect((await fulfill(user.token, orderId, 'coin_1200_event')).data).toMatchObject({
      granted: false,
      reason: 'REFUNDED',
    });
    expect(await operatorApprove(deps(), { orderId, ...operator })).toMatchObject({ ok: false });
    expect(await coins(user.token)).toBe(0);
  });
});

test('a held order that a later check reads paid is granted normally', async () => {
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100', 'ORDER_IN_PROGRESS');
  // Toss first reads it FAILED (as under the grant-failed reading), then paid: stand-in for a status Toss corrects.
  const order = mock.mock.state.orders.get(orderId);
  if (!order) throw new Error('mock order missing');
  order.payment = 'failed';
  expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('UNDER_REVIEW');
  order.payment = 'paid';
  const report = await reconcile(deps(), reconcileOptions);
  expect(report.granted).toContain(orderId);
  expect(await coins(user.token)).toBe(100);
  expect((await orderRow(orderId))?.state).toBe('GRANTED');
});

describe.each(statusReadings)(
  'SKUs Toss does not state (the documented API), under the %s reading',
  (reading) => {
    beforeEach(async () => {
      await mock.control.statusReading(reading);
    });

    test('a paid coin_100 order claimed as the hidden coin_1200_event is held, not granted', async () => {
      const user = await loginUser(server.api, mock.control);
      const { orderId } = await mock.control.order(user.userKey, 'coin_100');
      expect((await fulfill(user.token, orderId, 'coin_1200_event')).data).toEqual({
        granted: false,
        reason: 'UNDER_REVIEW',
        retryable: false,
        orderId,
        sku: 'coin_1200_event',
      });
      expect(await orderRow(orderId)).toMatchObject({
        state: 'HELD',
        hold_reason: 'UNVERIFIED_SKU',
        sku_verified: 0,
      });
      expect(await coins(user.token)).toBe(0);
      // Claiming the true SKU afterwards does not unlock it either: the order is bound to what was claimed.
      expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('SKU_MISMATCH');
      expect(await coins(user.token)).toBe(0);
      await operatorDeny(deps(), { orderId, operator: 'kim', reason: 'claimed a SKU it did not pay for' });
    });

    test('an operator approves a held claim with the SKU the settlement shows (--sku): that SKU is granted, audited', async () => {
      const user = await loginUser(server.api, mock.control);
      const { orderId } = await mock.control.order(user.userKey, 'coin_100');
      expect((await fulfill(user.token, orderId, 'coin_1200_event')).data?.reason).toBe('UNDER_REVIEW');
      expect(
        await operatorApprove(deps(), {
          orderId,
          sku: 'coin_100',
          operator: 'kim',
          reason: 'settlement: 1,050 KRW',
        }),
      ).toMatchObject({ ok: true, to: 'GRANTED' });
      expect(await coins(user.token)).toBe(100);
      expect(await orderRow(orderId)).toMatchObject({ state: 'GRANTED', sku: 'coin_100' });
      expect((await auditRows(orderId))[0]?.detail).toContain('sku coin_1200_event -> coin_100');
      expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('ALREADY_GRANTED');
    });

    test('a SKU retired from the catalog is held, not granted', async () => {
      const user = await loginUser(server.api, mock.control);
      const { orderId } = await mock.control.order(user.userKey, 'coin_550');
      await deps()
        .database.db.updateTable('products')
        .set({ active: 0 })
        .where('sku', '=', 'coin_550')
        .execute();
      // The server answers from its catalog memory: a write outside syncCatalog says so (catalog/products.ts).
      await reloadCatalogMemory(deps().database);
      try {
        expect((await fulfill(user.token, orderId, 'coin_550')).data?.reason).toBe('UNDER_REVIEW');
        expect(await orderRow(orderId)).toMatchObject({ state: 'HELD', hold_reason: 'UNVERIFIED_SKU' });
        expect(await coins(user.token)).toBe(0);
        const approvedBefore =
          (await unverifiedGrants(deps())).bySku.find((s) => s.sku === 'coin_550')?.approved ?? 0;
        expect(await operatorApprove(deps(), { orderId, ...operator })).toMatchObject({ ok: true });
        expect(await coins(user.token)).toBe(550);
        // The settlement audit counts it as granted on an operator's word.
        const approvedAfter = (await unverifiedGrants(deps())).bySku.find(
          (s) => s.sku === 'coin_550',
        )?.approved;
        expect(approvedAfter).toBe(approvedBefore + 1);
      } finally {
        await deps()
          .database.db.updateTable('products')
          .set({ active: 1 })
          .where('sku', '=', 'coin_550')
          .execute();
        await reloadCatalogMemory(deps().database);
      }
    });

    test('an active, visible SKU is granted and reported as unverified (count and sale prices per SKU)', async () => {
      const before = await unverifiedGrants(deps());
      const user = await loginUser(server.api, mock.control);
      const { orderId } = await mock.control.order(user.userKey, 'coin_550');
      expect((await fulfill(user.token, orderId, 'coin_550')).data).toMatchObject({
        granted: true,
        reason: 'GRANTED',
      });
      expect(await orderRow(orderId)).toMatchObject({ state: 'GRANTED', sku_verified: 0 });
      const price = (
        await deps()
          .database.db.selectFrom('products')
          .select('sale_price')
          .where('sku', '=', 'coin_550')
          .executeTakeFirstOrThrow()
      ).sale_price;
      const after = await unverifiedGrants(deps(), { orders: true });
      const sku = (report: typeof after) => report.bySku.find((s) => s.sku === 'coin_550');
      expect(sku(after)?.count).toBe((sku(before)?.count ?? 0) + 1);
      expect(sku(after)?.saleTotal).toBe((sku(before)?.saleTotal ?? 0) + price);
      expect(after.orders).toContainEqual(
        expect.objectContaining({ orderId, sku: 'coin_550', salePrice: price }),
      );
      expect((await reconcile(deps(), reconcileOptions)).unverified.bySku).toContainEqual(
        expect.objectContaining({ sku: 'coin_550', count: sku(after)?.count }),
      );
    });

    test("a hidden SKU that Toss states (revealSku) is granted on Toss's word", async () => {
      await mock.control.revealSku(true);
      const user = await loginUser(server.api, mock.control);
      const { orderId } = await mock.control.order(user.userKey, 'coin_1200_event');
      expect((await fulfill(user.token, orderId, 'coin_1200_event')).data?.reason).toBe('GRANTED');
      expect(await orderRow(orderId)).toMatchObject({ sku_verified: 1 });
      expect(await coins(user.token)).toBe(1200);
    });
  },
);

describe("another user's order", () => {
  test('is answered exactly like an unknown order, and the claim is recorded and logged for operators', async () => {
    const owner = await loginUser(server.api, mock.control);
    const thief = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(owner.userKey, 'coin_100');
    expect((await fulfill(owner.token, orderId, 'coin_100')).data?.reason).toBe('GRANTED');

    const unknownId = '01900000-0000-7000-8000-0000000c0ffe';
    const unknown = await fulfill(thief.token, unknownId, 'coin_100');
    const stolen = await fulfill(thief.token, orderId, 'coin_100');
    expect(stolen.status).toBe(unknown.status);
    expect(stolen.data).toEqual({ ...unknown.data, orderId });
    expect(stolen.data).toEqual({ granted: false, reason: 'ORDER_NOT_FOUND', retryable: false, orderId });
    // An unknown SKU is answered the same way for both, too.
    const unknownSku = await fulfill(thief.token, unknownId, 'gold_bar');
    expect((await fulfill(thief.token, orderId, 'gold_bar')).data).toEqual({ ...unknownSku.data, orderId });

    expect(await coins(thief.token)).toBe(0);
    expect(await coins(owner.token)).toBe(100);
    expect(await listConflicts(deps())).toContainEqual(
      expect.objectContaining({ orderId, claimedBy: thief.userId, ownerId: owner.userId }),
    );
    expect(
      lines.filter(
        (l) => l.event === 'fulfill.attempt' && l.orderId === orderId && l.outcome === 'ORDER_CONFLICT',
      ),
    ).toEqual([
      expect.objectContaining({ level: 'warn', userId: thief.userId, answered: 'ORDER_NOT_FOUND' }),
      expect.objectContaining({ level: 'warn', userId: thief.userId, answered: 'UNKNOWN_SKU' }),
    ]);
  });
});

test('the ops CLI: review lists held orders as JSON, approve and deny decide them', async () => {
  const user = await loginUser(server.api, mock.control);
  const approveMe = await mock.control.order(user.userKey, 'coin_100', 'FAILED');
  const denyMe = await mock.control.order(user.userKey, 'coin_100', 'FAILED');
  for (const { orderId } of [approveMe, denyMe]) {
    expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('UNDER_REVIEW');
  }
  const env = {
    PATH: process.env.PATH,
    ...database.env,
    TOSS_API_BASE_URL: mock.mock.partnerUrl,
    TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
    TOSS_MTLS_KEY: mock.mock.certs.clientKeyPath,
    TOSS_MTLS_CA: mock.mock.certs.caPath,
    LOG_LEVEL: 'silent',
    AIT_IAP_SETTINGS_ROOT: 'none',
  };
  const ops = async (...args: string[]) =>
    JSON.parse(
      (await run(process.execPath, ['--import', 'tsx', 'src/ops/cli.ts', ...args], { cwd: serverDir, env }))
        .stdout,
    );

  const review = (await ops('review')) as Array<{ orderId: string; userId: string; sku: string }>;
  expect(review).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ orderId: approveMe.orderId, userId: user.userId, sku: 'coin_100' }),
      expect.objectContaining({ orderId: denyMe.orderId, userId: user.userId, sku: 'coin_100' }),
    ]),
  );
  // --operator (the older --as) names an operator account: an approver created first.
  expect(await ops('operator', 'add', 'park', '--role', 'approver', '--json')).toMatchObject({
    name: 'park',
  });
  expect(await ops('approve', approveMe.orderId, '--reason', 'settled', '--operator', 'park')).toMatchObject({
    ok: true,
    to: 'GRANTED',
  });
  expect(await ops('deny', denyMe.orderId, '--reason', 'no settlement', '--operator', 'park')).toMatchObject({
    ok: true,
    to: 'REFUSED',
  });
  const after = (await ops('review')) as Array<{ orderId: string }>;
  expect(after.map((h) => h.orderId)).not.toContain(approveMe.orderId);
  expect(after.map((h) => h.orderId)).not.toContain(denyMe.orderId);
  expect(await coins(user.token)).toBe(100);
  expect((await auditRows(approveMe.orderId)).map((r) => [r.action, r.operator])).toEqual([
    ['approve', 'park'],
  ]);
});
