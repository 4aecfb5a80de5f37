/**
 * Server-side recovery and support tools: the reconcile job (refunds found without the app, paid-but-ungranted
 * orders retried and reported), operator re-grant/revoke with an audit trail, the ops CLI, and the logs.
 */

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { loadCatalogFile, syncCatalog } from '../src/catalog/sync';
import { isoAt, systemClock } from '../src/clock';
import { writeTransaction } from '../src/db/database';
import { addWalletEntry } from '../src/fulfillment/grants';
import { reconcile } from '../src/fulfillment/reconcile';
import { createLogger } from '../src/log';
import { operatorDeny, operatorRegrant, operatorRevoke } from '../src/ops/actions';
import {
  catalogPath,
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
} from './helpers';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
let database: TestDatabase;
const lines: string[] = [];

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  database = await testDatabase(tmp.dir, 'app');
  server = await startServer(testConfig(mock.mock, database), {
    log: createLogger({ level: 'debug', clock: systemClock, sink: (line) => lines.push(line) }),
  });
  await mock.control.revealSku(false); // Toss's documented answer: no SKU
});
afterEach(async () => {
  await mock.control.clearFaults();
  await mock.control.revealSku(false);
  expect(await ledgerViolations(server.server.deps.database)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const deps = () => server.server.deps;
const coins = async (token: string) =>
  (await server.api.query<{ balances: Record<string, number> }>('me.inventory', undefined, token)).data
    ?.balances.COIN;
const fulfill = (token: string, orderId: string, sku: string) =>
  server.api.mutation<{ granted: boolean; reason: string }>('iap.fulfill', { orderId, sku }, token);
const options = { lookbackDays: 30, alertAfterSeconds: 0 };

describe('reconcile', () => {
  test('finds a refund on its own and revokes the grant', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_550');
    await fulfill(user.token, orderId, 'coin_550');
    await mock.control.refund(orderId);
    const report = await reconcile(deps(), options);
    expect(report.revoked).toContain(orderId);
    expect(await coins(user.token)).toBe(0);
    expect((await reconcile(deps(), options)).revoked).not.toContain(orderId);
  });

  test('retries a paid order that could not be granted while Toss was down, and grants it once', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await mock.control.fault({ kind: 'error5xx' });
    expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('UPSTREAM_UNAVAILABLE');

    const stillDown = await reconcile(deps(), options);
    expect(stillDown.stuck).toEqual([
      expect.objectContaining({ orderId, sku: 'coin_100', lastOutcome: 'UPSTREAM_UNAVAILABLE' }),
    ]);
    expect(lines.some((l) => l.includes('"reconcile.paid_ungranted"') && l.includes(orderId))).toBe(true);

    await mock.control.clearFaults();
    const healed = await reconcile(deps(), options);
    expect(healed.granted).toEqual([orderId]);
    expect(healed.stuck).toEqual([]);
    expect(await coins(user.token)).toBe(100);
    expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('ALREADY_GRANTED');
    expect((await reconcile(deps(), options)).granted).toEqual([]);
  });

  test('orders settled without a ledger row never crowd a paid order out of the retry queue', async () => {
    // A server of its own: the retry queue is compared against `limit`, so no other test's attempts may be in it.
    const own = await startServer(testConfig(mock.mock, await testDatabase(tmp.dir, 'queue')));
    try {
      const user = await loginUser(own.api, mock.control);
      const claim = (orderId: string, sku: string) =>
        own.api.mutation<{ reason: string }>('iap.fulfill', { orderId, sku }, user.token);
      // Two claims of orders Toss does not know, first during an outage (retryable), then settled NOT_FOUND.
      const unknown = [randomUUID(), randomUUID()];
      await mock.control.fault({ kind: 'error5xx' });
      for (const orderId of unknown)
        expect((await claim(orderId, 'coin_100')).data?.reason).toBe('UPSTREAM_UNAVAILABLE');
      await mock.control.clearFaults();
      for (const orderId of unknown)
        expect((await claim(orderId, 'coin_100')).data?.reason).toBe('ORDER_NOT_FOUND');
      // Then a paid order whose grant could not be verified, and an app that never comes back.
      const { orderId } = await mock.control.order(user.userKey, 'coin_100');
      await mock.control.fault({ kind: 'error5xx' });
      expect((await claim(orderId, 'coin_100')).data?.reason).toBe('UPSTREAM_UNAVAILABLE');
      await mock.control.clearFaults();

      const report = await reconcile(own.server.deps, { ...options, limit: 1 });
      expect(report.granted).toEqual([orderId]);
    } finally {
      await own.close();
    }
  });

  test('never grants to a user who only claimed an order that is not theirs', async () => {
    const owner = await loginUser(server.api, mock.control);
    const other = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(owner.userKey, 'coin_100');
    await mock.control.fault({ kind: 'error5xx' });
    await fulfill(other.token, orderId, 'coin_100'); // UPSTREAM_UNAVAILABLE, recorded as an attempt by `other`
    await mock.control.clearFaults();
    const report = await reconcile(deps(), options);
    expect(report.granted).not.toContain(orderId);
    expect(await coins(other.token)).toBe(0);
  });

  test('an order that looked pending and then turned FAILED is held, listed by reconcile for an operator, never granted', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100', 'ORDER_IN_PROGRESS');
    await mock.control.fault({ kind: 'error5xx' });
    expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('UPSTREAM_UNAVAILABLE');
    await mock.control.clearFaults();
    await mock.control.settle(orderId, 'failed');
    // Retryable answers are not a paid reading: FAILED without evidence is held, not granted and not dropped.
    expect((await fulfill(user.token, orderId, 'coin_100')).data?.reason).toBe('UNDER_REVIEW');

    const report = await reconcile(deps(), options);
    expect(report.stuck).toEqual([]);
    expect(report.held).toEqual([
      expect.objectContaining({ orderId, sku: 'coin_100', holdReason: 'FAILED_NOT_SEEN_PAID' }),
    ]);
    expect(lines.filter((l) => l.includes('"reconcile.held"') && l.includes(orderId))).toHaveLength(1);
    expect(await coins(user.token)).toBe(0);
    // Keep later reports in this file clean: the operator looked at it.
    expect((await operatorDeny(deps(), { orderId, reason: 'payment failed', operator: 'kim' })).ok).toBe(
      true,
    );
    expect((await reconcile(deps(), options)).held).toEqual([]);
  });

  test('housekeeping deletes expired sessions and traces and runs past the refund horizon, in one write, and keeps the rest', async () => {
    const day = 86_400_000;
    const ago = (days: number) => isoAt(Date.now() - days * day);
    const userId = randomUUID();
    const tag = (name: string) => `${name}-${userId.slice(0, 8)}`;
    await writeTransaction(deps().database, async (trx) => {
      await trx
        .insertInto('users')
        .values({ id: userId, user_key: tag('k'), created_at: ago(300), updated_at: ago(300) })
        .execute();
      const session = (id: string, expires: string) =>
        ({
          id: tag(id),
          token_hash: tag(id),
          user_id: userId,
          created_at: ago(300),
          expires_at: expires,
          revoked_at: null,
          environment: 'sandbox',
        }) as const;
      await trx
        .insertInto('sessions')
        .values([session('s-old', ago(40)), session('s-live', ago(-1))])
        .execute();
      const intent = (id: string, at: string) => ({
        id: tag(id),
        user_id: userId,
        sku: 'coin_100',
        app_version: null,
        created_at: at,
      });
      await trx
        .insertInto('purchase_intents')
        .values([intent('i-old', ago(200)), intent('i-new', ago(1))])
        .execute();
      const report = (id: string, at: string) => ({
        ...{
          id: tag(id),
          user_id: userId,
          intent_id: null,
          order_id: null,
          sku: 'coin_100',
          outcome: 'ERROR' as const,
        },
        ...{ error_code: null, server_reason: null, created_at: at },
      });
      await trx
        .insertInto('purchase_reports')
        .values([report('r-old', ago(200)), report('r-new', ago(1))])
        .execute();
      await trx
        .insertInto('reconcile_runs')
        .values({ id: tag('run-old'), started_at: ago(200), finished_at: ago(200), result: '{}' })
        .execute();
    });
    await reconcile(deps(), { ...options, refundHorizonDays: 180 });
    const ids = async (table: 'sessions' | 'purchase_intents' | 'purchase_reports' | 'reconcile_runs') =>
      (await deps().database.db.selectFrom(table).select('id').execute())
        .map((r) => r.id)
        .filter((id) => id.endsWith(userId.slice(0, 8)));
    expect(await ids('sessions')).toEqual([tag('s-live')]);
    expect(await ids('purchase_intents')).toEqual([tag('i-new')]);
    expect(await ids('purchase_reports')).toEqual([tag('r-new')]);
    expect(await ids('reconcile_runs')).toEqual([]);
  });
});

describe('operators', () => {
  test('revoke and re-grant an order, each with a reason in the audit log', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'remove_ads');
    await fulfill(user.token, orderId, 'remove_ads');
    expect(await operatorRevoke(deps(), { orderId, reason: '', operator: 'kim' })).toMatchObject({
      ok: false,
    });

    const revoked = await operatorRevoke(deps(), { orderId, reason: 'chargeback #123', operator: 'kim' });
    expect(revoked).toMatchObject({ ok: true, from: 'GRANTED', to: 'REVOKED' });
    const inv = () => server.api.query<{ entitlements: unknown[] }>('me.inventory', undefined, user.token);
    expect((await inv()).data?.entitlements).toEqual([]);
    expect(await operatorRevoke(deps(), { orderId, reason: 'again', operator: 'kim' })).toMatchObject({
      ok: false,
    });

    const regranted = await operatorRegrant(deps(), {
      orderId,
      reason: 'chargeback reversed',
      operator: 'lee',
    });
    expect(regranted).toMatchObject({ ok: true, from: 'REVOKED', to: 'GRANTED' });
    expect((await inv()).data?.entitlements).toHaveLength(1);
    const audit = await deps()
      .database.db.selectFrom('audit_log')
      .selectAll()
      .where('order_id', '=', orderId)
      .execute();
    expect(audit.map((a) => [a.action, a.operator, a.reason])).toEqual([
      ['revoke', 'kim', 'chargeback #123'],
      ['regrant', 'lee', 'chargeback reversed'],
    ]);
  });

  test('a refund of coins already spent leaves the balance owed; a goodwill re-grant is not undone by reconcile', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, orderId, 'coin_100');
    await writeTransaction(deps().database, (trx) =>
      addWalletEntry(trx, {
        user_id: user.userId,
        currency: 'COIN',
        amount: -80,
        order_id: null,
        kind: 'SPEND',
        idempotency_key: `spend-${orderId}`,
        now: Date.now(),
      }),
    );
    await mock.control.refund(orderId);
    await reconcile(deps(), options);
    expect(await coins(user.token)).toBe(-80);
    expect((await operatorRegrant(deps(), { orderId, reason: 'goodwill', operator: 'park' })).ok).toBe(true);
    expect((await reconcile(deps(), options)).revoked).not.toContain(orderId);
    expect(await coins(user.token)).toBe(20);
  });

  test('a re-grant after an unrelated operator revoke does not exempt a later refund from revocation', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, orderId, 'coin_100');
    expect((await operatorRevoke(deps(), { orderId, reason: 'suspected fraud', operator: 'kim' })).ok).toBe(
      true,
    );
    expect((await operatorRegrant(deps(), { orderId, reason: 'cleared', operator: 'kim' })).ok).toBe(true);
    expect(await coins(user.token)).toBe(100);
    await mock.control.refund(orderId);
    expect((await reconcile(deps(), options)).revoked).toContain(orderId);
    expect(await coins(user.token)).toBe(0);
  });

  test('re-grant refuses an order the ledger never verified', async () => {
    const result = await operatorRegrant(deps(), {
      orderId: '01900000-0000-7000-8000-00000000beef',
      reason: 'customer asked',
      operator: 'kim',
    });
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining('recheck') });
  });

  test('the ops CLI shows an order with its attempts', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, orderId, 'coin_100');
    const env = {
      PATH: process.env.PATH,
      ...database.env,
      LOG_LEVEL: 'silent',
      AIT_IAP_SETTINGS_ROOT: 'none',
    };
    const shown = await run(process.execPath, ['--import', 'tsx', 'src/ops/cli.ts', 'order', orderId], {
      cwd: serverDir,
      env,
    });
    const parsed = JSON.parse(shown.stdout) as { order: { state: string }; attempts: unknown[] };
    expect(parsed.order.state).toBe('GRANTED');
    expect(parsed.attempts).toHaveLength(1);
  });
});

test('logs: one JSON line per order state change, user keys only hashed', async () => {
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100');
  await fulfill(user.token, orderId, 'coin_100');
  await fulfill(user.token, orderId, 'coin_100');
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const changes = records.filter((r) => r.event === 'order.state_changed' && r.orderId === orderId);
  expect(changes).toEqual([
    expect.objectContaining({ from: null, to: 'GRANTED', sku: 'coin_100', userKeyHash: expect.any(String) }),
  ]);
  const rawKey = new RegExp(`[^0-9a-f]${user.userKey}[^0-9a-f]`);
  expect(lines.filter((line) => rawKey.test(line))).toEqual([]);
});

test('reconcile re-checks the least recently checked grants first, so every grant gets its turn', async () => {
  const user = await loginUser(server.api, mock.control);
  const orderIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await fulfill(user.token, orderId, 'coin_100');
    orderIds.push(orderId);
  }
  const checked = async () =>
    (
      await deps()
        .database.db.selectFrom('orders')
        .select(['order_id', 'checked_at'])
        .where('order_id', 'in', orderIds)
        .execute()
    ).filter((row) => row.checked_at !== null).length;
  // Batches of one: each run takes a grant nobody checked yet, until all of this user's have been checked.
  let runs = 0;
  while ((await checked()) < 3 && runs < 50) {
    await reconcile(deps(), { ...options, limit: 1 });
    runs += 1;
  }
  expect(await checked()).toBe(3);
  const before = (await deps().database.db.selectFrom('fulfillment_attempts').select('id').execute()).length;
  await reconcile(deps(), { ...options, limit: 5 });
  const after = (await deps().database.db.selectFrom('fulfillment_attempts').select('id').execute()).length;
  expect(after).toBe(before); // routine re-checks do not grow the attempts table
});

test('a paid order for a SKU retired from the catalog (deactivated, still known) that Toss states (revealSku) is granted once', async () => {
  await mock.control.revealSku(true);
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_1200_event');
  const catalog = await loadCatalogFile(catalogPath);
  const without = { ...catalog, products: catalog.products.filter((p) => p.sku !== 'coin_1200_event') };
  expect((await syncCatalog(deps().database, without)).deactivated).toEqual(['coin_1200_event']);
  try {
    expect((await fulfill(user.token, orderId, 'coin_1200_event')).data).toMatchObject({
      granted: true,
      reason: 'GRANTED',
    });
    expect((await fulfill(user.token, orderId, 'coin_1200_event')).data?.reason).toBe('ALREADY_GRANTED');
    expect(await coins(user.token)).toBe(1200);
    // A SKU never in the catalog is still refused.
    const other = await mock.control.order(user.userKey, 'coin_100');
    expect((await fulfill(user.token, other.orderId, 'never_sold')).data?.reason).toBe('UNKNOWN_SKU');
  } finally {
    await syncCatalog(deps().database, catalog);
  }
});

test('a grant whose SKU Toss stated (revealSku) and that was retired since is still reported as granted on re-check', async () => {
  await mock.control.revealSku(true);
  const user = await loginUser(server.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_1200_event');
  expect((await fulfill(user.token, orderId, 'coin_1200_event')).data?.reason).toBe('GRANTED');
  await deps()
    .database.db.updateTable('products')
    .set({ active: 0 })
    .where('sku', '=', 'coin_1200_event')
    .execute();
  try {
    const sync = await server.api.mutation<{ unchanged: number; revoked: string[] }>(
      'iap.sync',
      { orders: [{ orderId, sku: 'coin_1200_event', status: 'COMPLETED' }] },
      user.token,
    );
    expect(sync.data).toMatchObject({ unchanged: 1, revoked: [] });
    const attempts = await deps()
      .database.db.selectFrom('fulfillment_attempts')
      .select('outcome')
      .where('order_id', '=', orderId)
      .orderBy('created_at')
      .execute();
    expect(attempts.map((a) => a.outcome)).toEqual(['GRANTED', 'ALREADY_GRANTED']);
    expect(await coins(user.token)).toBe(1200);
  } finally {
    await deps()
      .database.db.updateTable('products')
      .set({ active: 1 })
      .where('sku', '=', 'coin_1200_event')
      .execute();
  }
});
