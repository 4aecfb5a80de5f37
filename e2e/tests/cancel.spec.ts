// Scenario 5: the user cancels at checkout.
import { expect, test } from '../harness/fixtures';

test('cancelling at checkout grants nothing and the shop is usable at once', async ({
  app,
  server,
  mock,
  user,
}) => {
  await app.startPurchase('coin_100');
  await app.cancel();
  await app.expectBalance(0);
  expect(await mock.ordersOf(user.userKey)).toEqual([]);
  expect(await server.orders()).toEqual([]);
  expect(await server.balance('COIN')).toBe(0);

  // Straight away, the same product can be bought.
  await expect(app.buyButton('coin_100')).toBeEnabled();
  await app.buy('coin_100');
  await app.expectBalance(100);
  expect(await server.balance('COIN')).toBe(100);
  expect(await mock.ordersOf(user.userKey)).toHaveLength(1);
});
