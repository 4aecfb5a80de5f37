// Scenarios 6, 7 (under both status readings, scenario 12) and 8: a paid order that did not finish is recovered
// on the next start — granted exactly once and acknowledged to Toss.
import { iapErrorInfo, partnerPaths, statusReadings } from '@ait-iap/iap-contract';
import type { App } from '../harness/app';
import { expect, test } from '../harness/fixtures';
import type { MockControl } from '../harness/mock-control';
import type { ServerView } from '../harness/server-api';

/** After a reopen: the one order is granted once on the server and completed on Toss, and stays that way. */
async function expectRecoveredOnce(app: App, server: ServerView, mock: MockControl, userKey: number) {
  await app.expectBalance(100);
  await expect
    .poll(async () => (await mock.ordersOf(userKey)).map((o) => ({ sku: o.sku, completed: o.completed })))
    .toEqual([{ sku: 'coin_100', completed: true }]);
  const orders = await server.orders();
  expect(orders).toHaveLength(1);
  expect(orders[0]).toMatchObject({ sku: 'coin_100', state: 'GRANTED' });
  expect(await server.balance('COIN')).toBe(100);

  // Once more: nothing left to recover, nothing granted again.
  await app.reopen();
  await app.settled();
  await app.expectBalance(100);
  expect(await server.balance('COIN')).toBe(100);
  expect(await server.orders()).toHaveLength(1);
}

async function expectPendingOnToss(mock: MockControl, userKey: number) {
  const orders = await mock.ordersOf(userKey);
  expect(orders).toHaveLength(1);
  expect(orders[0]).toMatchObject({ sku: 'coin_100', payment: 'paid', completed: false });
}

for (const reading of statusReadings) {
  test.describe(`status reading "${reading}"`, () => {
    test.use({ statusReading: reading });

    test('the server cannot verify the payment: the user is told, the order stays pending, a reopen recovers it once', async ({
      app,
      server,
      mock,
      user,
    }) => {
      await mock.addFault({ kind: 'error5xx', path: partnerPaths.getOrderStatus });
      await app.buy('coin_100');

      const told = app.error('PRODUCT_NOT_GRANTED_BY_PARTNER');
      await expect(told).toBeVisible();
      await expect(told).toContainText(iapErrorInfo.PRODUCT_NOT_GRANTED_BY_PARTNER.title);
      await app.expectBalance(0);
      await expectPendingOnToss(mock, user.userKey);
      expect((await mock.ordersOf(user.userKey))[0]?.granted).toBe(false);
      expect(await server.balance('COIN')).toBe(0);

      await mock.clearFaults();
      await app.reopen();
      await expectRecoveredOnce(app, server, mock, user.userKey);
    });

    test('the server is down during the grant: the user is told, the order stays pending, a reopen recovers it once', async ({
      app,
      server,
      mock,
      user,
    }) => {
      const fulfill = (url: URL) => url.pathname.includes('iap.fulfill');
      await app.page.route(fulfill, (route) => route.abort('connectionrefused'));
      await app.buy('coin_100');

      await expect(app.error('PRODUCT_NOT_GRANTED_BY_PARTNER')).toBeVisible();
      await app.expectBalance(0);
      await expectPendingOnToss(mock, user.userKey);
      expect(await server.balance('COIN')).toBe(0);
      expect(await server.orders()).toEqual([]);

      await app.page.unroute(fulfill);
      await app.reopen();
      await expectRecoveredOnce(app, server, mock, user.userKey);
    });

    // The mock "closes the app" by reloading the page; the reload is the reopen.
    test('the app closes after payment, before the grant: the next start recovers the order once', async ({
      app,
      server,
      mock,
      user,
    }) => {
      await mock.nextPurchase(user.userKey, 'close-after-payment');
      await app.startPurchase('coin_100');
      await app.payAndWaitForRestart();
      await expectRecoveredOnce(app, server, mock, user.userKey);
      // Toss never received a grant answer for it: the grant came from recovery.
      expect((await mock.ordersOf(user.userKey))[0]?.granted).toBeNull();
    });

    test('the app closes while the grant answer is on its way: the next start completes it without a second grant', async ({
      app,
      server,
      mock,
      user,
    }) => {
      await mock.nextPurchase(user.userKey, 'close-during-grant');
      await app.startPurchase('coin_100');
      await app.payAndWaitForRestart();
      await expectRecoveredOnce(app, server, mock, user.userKey);
      expect((await mock.ordersOf(user.userKey))[0]?.granted).toBeNull();
    });
  });
}

// The app retries right away (recovery runs after any purchase that left an order pending), so the order is
// completed by the second completeProductGrant; what matters is that the first one failed and nothing was granted twice.
test('completeProductGrant fails: the item is granted once and the order is completed by a retry, not a second grant', async ({
  app,
  server,
  mock,
  user,
}) => {
  await mock.nextPurchase(user.userKey, 'complete-fails');
  await app.buy('coin_100');
  await app.expectBalance(100);
  const [order] = await mock.ordersOf(user.userKey);
  // The failure the mock was told to inject was used up: the first completeProductGrant did fail.
  expect(order).toMatchObject({ sku: 'coin_100', granted: true, completeFailures: 0 });
  await expectRecoveredOnce(app, server, mock, user.userKey);
});

test('the app closes after the grant, before completeProductGrant: the next start completes it without a second grant', async ({
  app,
  server,
  mock,
  user,
}) => {
  await mock.nextPurchase(user.userKey, 'close-after-grant');
  await app.startPurchase('coin_100');
  await app.payAndWaitForRestart();
  await expectRecoveredOnce(app, server, mock, user.userKey);
  expect((await mock.ordersOf(user.userKey))[0]?.granted).toBe(true);
});

test('a payment left pending at checkout that clears later is granted once on the next start', async ({
  app,
  server,
  mock,
  user,
}) => {
  await mock.nextPurchase(user.userKey, 'PAYMENT_PENDING');
  await app.buy('coin_100');
  await expect(app.error('PAYMENT_PENDING')).toBeVisible();
  const [order] = await mock.ordersOf(user.userKey);
  if (!order) throw new Error('no order in the mock after a pending payment');
  expect(order.payment).toBe('in-progress');
  await app.expectBalance(0);
  expect(await server.balance('COIN')).toBe(0);

  // The bank approves it later; Toss lists it as a pending (paid, not completed) order.
  await mock.settle(order.orderId, 'paid');
  await app.reopen();
  await expectRecoveredOnce(app, server, mock, user.userKey);
});
