// Scenario 2 (under both status readings, scenario 12) and scenario 11: consumables credit once per order.
import { statusReadings } from '@ait-iap/iap-contract';
import { expect, test } from '../harness/fixtures';

for (const reading of statusReadings) {
  test.describe(`status reading "${reading}"`, () => {
    test.use({ statusReading: reading });

    test('buying a consumable twice credits the balance once per order (two orders)', async ({
      app,
      server,
      mock,
      user,
    }) => {
      await app.expectBalance(0);

      await app.buy('coin_100');
      await app.expectBalance(100);
      expect(await server.balance('COIN')).toBe(100);

      await app.buy('coin_100');
      await app.expectBalance(200);
      expect(await server.balance('COIN')).toBe(200);

      const orders = await server.orders();
      expect(orders).toHaveLength(2);
      expect(new Set(orders.map((o) => o.orderId)).size).toBe(2);
      for (const order of orders) expect(order).toMatchObject({ sku: 'coin_100', state: 'GRANTED' });

      const tossOrders = await mock.ordersOf(user.userKey);
      expect(tossOrders).toHaveLength(2);
      for (const order of tossOrders) {
        expect(order).toMatchObject({ sku: 'coin_100', payment: 'paid', granted: true, completed: true });
      }
      expect(tossOrders.map((o) => o.orderId).sort()).toEqual(orders.map((o) => o.orderId).sort());

      // A fresh start finds nothing to recover and shows the same balance.
      await app.reopen();
      await app.expectBalance(200);
      expect(await server.balance('COIN')).toBe(200);
    });
  });
}

test('a double tap on buy opens one checkout and makes one order', async ({ app, server, mock, user }) => {
  await app.tab('shop');
  await app.buyButton('coin_100').dblclick();
  await expect(app.payButton()).toHaveCount(1);
  await app.pay();
  await app.expectBalance(100);
  // No second checkout shows up once the first is done.
  await expect(app.payButton()).toHaveCount(0);

  expect(await mock.ordersOf(user.userKey)).toHaveLength(1);
  expect(await server.orders()).toHaveLength(1);
  expect(await server.balance('COIN')).toBe(100);
});
