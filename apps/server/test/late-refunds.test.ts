/**
 * Refunds found whenever they come: a refund made long after the purchase — past RECONCILE_LOOKBACK_DAYS, inside
 * RECONCILE_REFUND_HORIZON_DAYS — is revoked by the reconcile job alone (no app sync), at a bounded number of Toss
 * calls a run; coins already spent stay owed (a negative balance operators can list); every run is recorded with how
 * far its walk got. Toss's clock (the mock's) and the server's move together.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createManualClock } from '../src/clock';
import { writeTransaction } from '../src/db/database';
import { addWalletEntry } from '../src/fulfillment/grants';
import { type ReconcileReport, reconcile } from '../src/fulfillment/reconcile';
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
} from './helpers';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const day = 86_400_000;
const clock = createManualClock();
let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let database: TestDatabase;
let server: ServerHarness;
let mockClockMoved = 0;

/** Sessions outlive the months these tests move the clocks by. */
const longSessions = { SESSION_TTL_SECONDS: String(3 * 365 * 86_400) };

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  database = await testDatabase(tmp.dir, 'late_refunds');
  server = await startServer(testConfig(mock.mock, database, longSessions), { clock });
});
beforeEach(async () => {
  clock.set(Date.parse((await mockClock()).clock.now));
});
afterEach(async () => {
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
const mockClock = () => mockControl<{ clock: { now: string } }>('GET', 'state');
/** Days pass for Toss and for the server alike. */
async function daysPass(days: number) {
  mockClockMoved += days * day;
  await mockControl('POST', 'clock', { advanceMs: days * day });
  clock.advance(days * day);
}

const coins = async (target: ServerHarness, token: string) =>
  (await target.api.query<{ balances: Record<string, number> }>('me.inventory', undefined, token)).data
    ?.balances.COIN;

/** A user who bought coin_100 (granted now) and spent `spent` of it. */
async function buyer(target: ServerHarness, spent = 0) {
  const user = await loginUser(target.api, mock.control);
  const { orderId } = await mock.control.order(user.userKey, 'coin_100');
  const granted = await target.api.mutation<{ reason: string }>(
    'iap.fulfill',
    { orderId, sku: 'coin_100' },
    user.token,
  );
  expect(granted.data?.reason).toBe('GRANTED');
  if (spent > 0) {
    await writeTransaction(target.server.deps.database, (trx) =>
      addWalletEntry(trx, {
        user_id: user.userId,
        currency: 'COIN',
        amount: -spent,
        order_id: null,
        kind: 'SPEND',
        idempotency_key: `spend-${orderId}`,
        now: clock.now(),
      }),
    );
  }
  expect(await coins(target, user.token)).toBe(100 - spent);
  return { ...user, orderId };
}

const runReconcile = (target: ServerHarness, overrides: { limit?: number } = {}) =>
  reconcile(target.server.deps, { ...target.server.deps.config.reconcile, ...overrides });

/** What an operator runs: `pnpm --filter @ait-iap/server ops <args>`, against this test's database. */
async function ops<T>(target: TestDatabase, ...args: string[]): Promise<T> {
  const env = { PATH: process.env.PATH, ...target.env, LOG_LEVEL: 'silent' };
  const shown = await run(process.execPath, ['--import', 'tsx', 'src/ops/cli.ts', ...args], {
    cwd: serverDir,
    env,
  });
  return JSON.parse(shown.stdout) as T;
}

describe('a refund months after the purchase is revoked by reconcile alone', () => {
  test.each([31, 120, 179])(
    'refunded on day %i → the coins are taken back by the next reconcile run',
    async (days) => {
      const user = await buyer(server);
      await daysPass(days);
      await mock.control.refund(user.orderId);
      expect(await coins(server, user.token)).toBe(100); // nobody has looked yet

      await runReconcile(server);
      expect(await coins(server, user.token)).toBe(0);
      const order = await server.server.deps.database.db
        .selectFrom('orders')
        .select(['state', 'last_reason'])
        .where('order_id', '=', user.orderId)
        .executeTakeFirstOrThrow();
      expect(order).toEqual({ state: 'REVOKED', last_reason: 'REFUNDED' });
    },
  );

  test('coins spent before a day-120 refund stay owed: a negative balance, listed by `ops negative`', async () => {
    const user = await buyer(server, 70);
    await daysPass(120);
    await mock.control.refund(user.orderId);
    await runReconcile(server);
    expect(await coins(server, user.token)).toBe(-70);
    const owed = await ops<Array<{ userId: string; currency: string; balance: number }>>(
      database,
      'negative',
    );
    expect(owed).toContainEqual(
      expect.objectContaining({ userId: user.userId, currency: 'COIN', balance: -70 }),
    );
  });

  test('a refund past the horizon (day 181 of 180) is not found by reconcile: the horizon is a real bound', async () => {
    const user = await buyer(server);
    await daysPass(181);
    await mock.control.refund(user.orderId);
    await runReconcile(server);
    expect(await coins(server, user.token)).toBe(100);
  });
});

describe('the horizon walk is bounded and reports how far it got', () => {
  test('two Toss calls a run: three old grants take two runs, the refunded one is found, and each run is recorded', async () => {
    // A server of its own, so the walk sees only this test's grants.
    const ownDatabase = await testDatabase(tmp.dir, 'horizon_walk');
    const own = await startServer(testConfig(mock.mock, ownDatabase, longSessions), { clock });
    try {
      // Bought a minute apart: the walk takes the newest first, so the oldest (refunded) waits for the second run.
      const users = [];
      for (let i = 0; i < 3; i++) {
        users.push(await buyer(own));
        clock.advance(60_000);
      }
      await daysPass(60);
      const refunded = users[0] as (typeof users)[number];
      await mock.control.refund(refunded.orderId);

      await runReconcile(own, { limit: 2 });
      const [first] = await ops<Array<{ result: ReconcileReport }>>(ownDatabase, 'reconcile-runs');
      expect(first?.result.horizon).toMatchObject({ checked: 2, grants: 3, neverChecked: 1 });

      clock.advance(60_000);
      await runReconcile(own, { limit: 2 });
      expect(await coins(own, refunded.token)).toBe(0);
      for (const user of users.slice(1)) expect(await coins(own, user.token)).toBe(100);
      const runs = await own.server.deps.database.db
        .selectFrom('reconcile_runs')
        .select(['started_at', 'result'])
        .orderBy('started_at', 'desc')
        .execute();
      expect(runs).toHaveLength(2);
      const last = JSON.parse(runs[0]?.result ?? '{}') as ReconcileReport;
      expect(last.horizon).toMatchObject({ grants: 2, neverChecked: 0 });
      expect(first?.result.revoked).toEqual([]);
      expect(last.revoked).toEqual([refunded.orderId]);
      expect(runs[0]?.started_at).toBe(new Date(clock.now()).toISOString());
    } finally {
      await own.close();
    }
  });
});
