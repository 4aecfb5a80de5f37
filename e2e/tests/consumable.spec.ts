// Scenario 2 (under all three status readings, scenario 12) and scenario 11: consumables credit once per order.
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
  // Every checkout the mock host opens starts with one POST /__mock/host/checkout.
  let checkouts = 0;
  app.page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/__mock/host/checkout')
      checkouts += 1;
  });
  await app.tab('shop');

  // A real double tap.
  await app.buyButton('coin_100').dblclick();
  await expect(app.payButton()).toHaveCount(1);
  await app.pay();
  await app.expectBalance(100);
  await app.settled();
  await expect(app.payButton()).toHaveCount(0);
  expect(checkouts).toBe(1);

  // Two taps inside one frame, before React can re-render the button as busy: the purchase guard itself holds.
  await app.buyButton('coin_100').evaluate((button: HTMLElement) => {
    button.click();
    button.click();
  });
  await expect(app.payButton()).toHaveCount(1);
  await app.pay();
  await app.expectBalance(200);
  await app.settled();
  await expect(app.payButton()).toHaveCount(0);
  expect(checkouts).toBe(2);

  expect(await mock.ordersOf(user.userKey)).toHaveLength(2);
  expect(await server.orders()).toHaveLength(2);
  expect(await server.balance('COIN')).toBe(200);
});
