/**
 * Every paid order leaves a trace an operator can find: the app records a purchase intent before Toss's checkout
 * opens (`iap.beginPurchase`) and reports every purchase that ended without a grant (`iap.reportPurchase`). Operators
 * list the intents that never became a granted order after INTENT_STALE_AFTER_MINUTES, and the outbox entries the app
 * dropped on ORDER_NOT_FOUND / UNKNOWN_SKU. Intents are bounded per user and never move money.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createManualClock } from '../src/clock';
import { listDroppedOrders, listStaleIntents, maxIntentsPerUser } from '../src/fulfillment/intents';
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

const minute = 60_000;
const clock = createManualClock();
let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  server = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'intents'), { INTENT_STALE_AFTER_MINUTES: '30' }),
    { clock },
  );
});
beforeEach(() => {
  clock.set(Date.now());
});
afterEach(async () => {
  expect(await ledgerViolations(server.server.deps.database)).toEqual([]);
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const deps = () => server.server.deps;
const begin = (token: string, sku: string, appVersion: string | null = '5.232.0') =>
  server.api.mutation<{ intentId: string }>('iap.beginPurchase', { sku, appVersion }, token);
const reportPurchase = (token: string, input: Record<string, unknown>) =>
  server.api.mutation<{ ok: true }>('iap.reportPurchase', input, token);
/** What `ops intents` shows for this user now. */
const staleFor = async (userId: string) =>
  (await listStaleIntents(deps(), { staleAfterMinutes: deps().config.intents.staleAfterMinutes })).filter(
    (intent) => intent.userId === userId,
  );
const coins = async (token: string) =>
  (await server.api.query<{ balances: Record<string, number> }>('me.inventory', undefined, token)).data
    ?.balances.COIN;

describe('purchase intents', () => {
  test('an intent with no order is listed for operators only after the configured age, with what the app reported', async () => {
    const user = await loginUser(server.api, mock.control);
    const intent = await begin(user.token, 'coin_100');
    expect(intent.data?.intentId).toEqual(expect.any(String));
    await reportPurchase(user.token, {
      intentId: intent.data?.intentId,
      sku: 'coin_100',
      outcome: 'ERROR',
      errorCode: 'TOSS_SERVER_VERIFICATION_FAILED',
    });

    clock.advance(29 * minute);
    expect(await staleFor(user.userId)).toEqual([]);
    clock.advance(minute);
    expect(await staleFor(user.userId)).toEqual([
      expect.objectContaining({
        intentId: intent.data?.intentId,
        sku: 'coin_100',
        appVersion: '5.232.0',
        reports: [
          expect.objectContaining({ outcome: 'ERROR', errorCode: 'TOSS_SERVER_VERIFICATION_FAILED' }),
        ],
      }),
    ]);
    expect(await coins(user.token)).toBe(0); // an intent or a report never moves money
  });

  test('an intent followed by a granted order is not listed, even once it is old', async () => {
    const user = await loginUser(server.api, mock.control);
    await begin(user.token, 'coin_100');
    clock.advance(minute);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await server.api.mutation('iap.fulfill', { orderId, sku: 'coin_100' }, user.token);
    expect(await coins(user.token)).toBe(100);
    clock.advance(2 * 60 * minute);
    expect(await staleFor(user.userId)).toEqual([]);
  });

  test('of two intents for one SKU, an order after the second settles only the second', async () => {
    const user = await loginUser(server.api, mock.control);
    const abandoned = await begin(user.token, 'coin_100');
    clock.advance(minute);
    await begin(user.token, 'coin_100');
    clock.advance(minute);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    await server.api.mutation('iap.fulfill', { orderId, sku: 'coin_100' }, user.token);
    clock.advance(60 * minute);
    expect((await staleFor(user.userId)).map((intent) => intent.intentId)).toEqual([
      abandoned.data?.intentId,
    ]);
  });

  test(`a user keeps at most ${maxIntentsPerUser} intents: the oldest go first`, async () => {
    const user = await loginUser(server.api, mock.control);
    const ids: string[] = [];
    for (let i = 0; i < maxIntentsPerUser + 5; i++) {
      ids.push((await begin(user.token, 'coin_100')).data?.intentId as string);
      clock.advance(1_000);
    }
    clock.advance(60 * minute);
    const listed = (await staleFor(user.userId)).map((intent) => intent.intentId);
    expect(listed).toEqual(ids.slice(5));
  });

  test('needs a session, refuses bad input with BAD_REQUEST, and is rate limited per user', async () => {
    expect((await server.api.mutation('iap.beginPurchase', { sku: 'coin_100' })).error?.data.appCode).toBe(
      'UNAUTHORIZED',
    );
    const user = await loginUser(server.api, mock.control);
    const bad = await server.api.mutation('iap.beginPurchase', { sku: 'coin_100', userId: 'x' }, user.token);
    expect(bad.error?.data.appCode).toBe('BAD_REQUEST');
    const badReport = await reportPurchase(user.token, { sku: 'coin_100', outcome: 'GRANTED' });
    expect(badReport.error?.data.appCode).toBe('BAD_REQUEST');

    const limited = await startServer(
      testConfig(mock.mock, await testDatabase(tmp.dir, 'intents_limited'), {
        RATE_LIMIT_FULFILL_PER_MINUTE: '3',
      }),
      { clock },
    );
    try {
      const other = await loginUser(limited.api, mock.control);
      const answers = [];
      for (let i = 0; i < 4; i++)
        answers.push(await limited.api.mutation('iap.beginPurchase', { sku: 'coin_100' }, other.token));
      expect(answers.map((answer) => answer.error?.data.appCode ?? 'OK')).toEqual([
        'OK',
        'OK',
        'OK',
        'RATE_LIMITED',
      ]);
    } finally {
      await limited.close();
    }
  });
});

describe('purchase reports', () => {
  test('an outbox entry dropped on ORDER_NOT_FOUND is listed for operators with the user, SKU and order', async () => {
    const user = await loginUser(server.api, mock.control);
    const intent = await begin(user.token, 'coin_550');
    const orderId = '0190a6c2-7c4e-7b1a-9f3e-2a1b3c4d5e6f';
    const reply = await reportPurchase(user.token, {
      intentId: intent.data?.intentId,
      orderId,
      sku: 'coin_550',
      outcome: 'OUTBOX_DROPPED',
      serverReason: 'ORDER_NOT_FOUND',
    });
    expect(reply.data).toEqual({ ok: true });
    const dropped = (await listDroppedOrders(deps())).filter((entry) => entry.userId === user.userId);
    expect(dropped).toEqual([
      expect.objectContaining({
        orderId,
        sku: 'coin_550',
        serverReason: 'ORDER_NOT_FOUND',
        intentId: intent.data?.intentId,
        ledgerState: null,
      }),
    ]);
    expect(await coins(user.token)).toBe(0);
  });

  test("a report naming another user's intent is kept, but not linked to that intent", async () => {
    const owner = await loginUser(server.api, mock.control);
    const intent = await begin(owner.token, 'coin_100');
    const other = await loginUser(server.api, mock.control);
    await reportPurchase(other.token, {
      intentId: intent.data?.intentId,
      sku: 'coin_100',
      outcome: 'OUTBOX_DROPPED',
      serverReason: 'UNKNOWN_SKU',
    });
    const dropped = (await listDroppedOrders(deps())).filter((entry) => entry.userId === other.userId);
    expect(dropped).toEqual([expect.objectContaining({ intentId: null, serverReason: 'UNKNOWN_SKU' })]);
    clock.advance(60 * minute);
    expect((await staleFor(owner.userId))[0]?.reports).toEqual([]);
  });
});
