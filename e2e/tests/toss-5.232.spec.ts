// Scenario 16: the Toss versions in between — the grant answer, but no getPendingOrders and no completeProductGrant
// (Android 5.231.1–5.232.x, iOS 5.230.x; here Android 5.232.0, the mock's "grant-answer-no-pending" scenario). An
// order whose grant callback never ran is in no list the app can read and in no outbox, so every such purchase must
// either be granted or reach an operator's list (`ops intents`: the purchase intent the app recorded before the
// checkout, with the user, the SKU and what the app reported). Each runs under all three status readings.
import { partnerPaths, statusReadings } from '@ait-iap/iap-contract';
import { versionOf } from '@ait-iap/toss-mock/host';
import type { App } from '../harness/app';
import type { HarnessEnv } from '../harness/env';
import { expect, test } from '../harness/fixtures';
import type { MockControl } from '../harness/mock-control';
import { type ServerView, staleIntents } from '../harness/server-api';

const tossVersion = versionOf('grant-answer-no-pending', 'android');

/**
 * The paid order is not granted (nothing on the server, nothing in the wallet) and an operator's intent list shows
 * this user buying this SKU on this Toss version, with what the app reported (null: the app never got to report).
 */
async function expectOnOperatorList(
  harness: HarnessEnv,
  server: ServerView,
  report: { outcome: string; errorCode: string } | null,
) {
  expect(await server.balance('COIN')).toBe(0);
  expect(await server.orders()).toEqual([]);
  const mine = (await staleIntents(harness)).filter((intent) => intent.userId === server.userId);
  expect(mine).toEqual([
    expect.objectContaining({
      sku: 'coin_100',
      appVersion: `android ${tossVersion}`,
      reports: report ? [expect.objectContaining(report)] : [],
    }),
  ]);
}

async function paidOrder(mock: MockControl, userKey: number) {
  const orders = await mock.ordersOf(userKey);
  expect(orders).toEqual([expect.objectContaining({ sku: 'coin_100', payment: 'paid', completed: false })]);
  return orders[0]!;
}

/** Nothing the app can do on a later start changes it: no pending list, no outbox entry. */
async function reopenFindsNothing(app: App, server: ServerView) {
  await app.reopen();
  await app.settled();
  await app.expectBalance(0);
  expect(await server.orders()).toEqual([]);
}

for (const reading of statusReadings) {
  test.describe(`Toss ${tossVersion} (grant answer, no getPendingOrders), status reading "${reading}"`, () => {
    test.use({ statusReading: reading });

    test("a payment left pending that settles later: not granted by any app path, on the operator's intent list with the user, the SKU and PAYMENT_PENDING", async ({
      app,
      server,
      mock,
      user,
      harness,
    }) => {
      await app.openInTossVersion(tossVersion);
      await mock.nextPurchase(user.userKey, 'PAYMENT_PENDING');
      await app.buy('coin_100');
      await expect(app.error('PAYMENT_PENDING')).toBeVisible();
      const [pending] = await mock.ordersOf(user.userKey);
      if (!pending) throw new Error('no order in the mock after a pending payment');
      await mock.settle(pending.orderId, 'paid');
      await paidOrder(mock, user.userKey);

      await reopenFindsNothing(app, server);
      await expectOnOperatorList(harness, server, { outcome: 'ERROR', errorCode: 'PAYMENT_PENDING' });
    });

    test("Toss's server verification fails after payment: not granted by any app path, on the operator's intent list with TOSS_SERVER_VERIFICATION_FAILED", async ({
      app,
      server,
      mock,
      user,
      harness,
    }) => {
      await app.openInTossVersion(tossVersion);
      await mock.nextPurchase(user.userKey, 'TOSS_SERVER_VERIFICATION_FAILED');
      await app.buy('coin_100');
      await expect(app.error('TOSS_SERVER_VERIFICATION_FAILED')).toBeVisible();
      const order = await paidOrder(mock, user.userKey);
      // No grant step ran: the order reads paid under every reading.
      expect(order).toMatchObject({ grantEnding: null, status: 'PAYMENT_COMPLETED' });

      await reopenFindsNothing(app, server);
      await expectOnOperatorList(harness, server, {
        outcome: 'ERROR',
        errorCode: 'TOSS_SERVER_VERIFICATION_FAILED',
      });
    });

    test("the app is killed after payment, before the grant: not granted by any app path, on the operator's intent list (nothing reported: the app died)", async ({
      app,
      server,
      mock,
      user,
      harness,
    }) => {
      await app.openInTossVersion(tossVersion);
      await mock.nextPurchase(user.userKey, 'close-after-payment');
      await app.startPurchase('coin_100');
      await app.payAndWaitForRestart();
      const order = await paidOrder(mock, user.userKey);
      expect(order).toMatchObject({
        grantEnding: 'app-closed',
        status: reading === 'grant-failed' ? 'FAILED' : 'PAYMENT_COMPLETED',
      });

      await reopenFindsNothing(app, server);
      await expectOnOperatorList(harness, server, null);
    });

    test('Toss\'s partner API fails while granting (5xx): the callback asks again, Toss hears "granted", nothing is held and nothing is left on the operator\'s list', async ({
      app,
      server,
      mock,
      user,
      harness,
    }) => {
      await app.openInTossVersion(tossVersion);
      // The server's first grant attempt fails both of its calls to Toss (one retry): UPSTREAM_UNAVAILABLE.
      await mock.addFault({ kind: 'error5xx', path: partnerPaths.getOrderStatus, count: 2 });
      await app.buy('coin_100');

      await app.expectBalance(100);
      // Both failures were met on the way to the grant (the path the fault names is the one the grant takes).
      const armed = (await mock.state()).faults.reduce((left, fault) => left + (fault.count ?? 0), 0);
      expect(armed).toBe(0);
      await expect(app.error('PRODUCT_NOT_GRANTED_BY_PARTNER')).toHaveCount(0);
      expect(await mock.ordersOf(user.userKey)).toEqual([
        expect.objectContaining({
          sku: 'coin_100',
          grantEnding: 'granted',
          status: expect.not.stringMatching('FAILED'),
        }),
      ]);
      expect(await server.orders()).toEqual([expect.objectContaining({ sku: 'coin_100', state: 'GRANTED' })]);
      expect(await server.balance('COIN')).toBe(100);
      const mine = (await staleIntents(harness)).filter((intent) => intent.userId === server.userId);
      expect(mine).toEqual([]);
    });
  });
}
