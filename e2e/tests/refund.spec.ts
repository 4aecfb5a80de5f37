// Scenario 9: a refund made in Toss reaches the server through refund sync; the grant is revoked.
import { expect, test } from '../harness/fixtures';
import { webCopy } from '../harness/web-copy';

test('a refunded non-consumable is revoked after refund sync and history shows it refunded', async ({
  app,
  server,
  mock,
  user,
}) => {
  await app.buy('remove_ads');
  await expect(app.testId('owned-remove_ads')).toBeVisible();
  const [order] = await mock.ordersOf(user.userKey);
  if (!order) throw new Error('no order in the mock after the purchase');
  await app.tab('history');
  const row = app.testId(`history-${order.orderId}`);
  await expect(row).toContainText(webCopy.history.granted);

  await mock.refund(order.orderId);
  // The next start syncs refunds (getCompletedOrRefundedOrders → iap.sync).
  await app.reopen();
  await app.tab('history');
  // A refund reads 환불됨 — never the operator's 지급 취소됨 — and offers no support prompt.
  await expect(row).toContainText(webCopy.history.refunded);
  await expect(row).not.toContainText(webCopy.history.cancelled);
  await expect(row.getByRole('link', { name: webCopy.actions.contact })).toHaveCount(0);
  await app.tab('inventory');
  await expect(app.testId('owned-remove_ads')).toHaveCount(0);

  expect(await server.entitlementSkus()).toEqual([]);
  const orders = await server.orders();
  expect(orders).toHaveLength(1);
  expect(orders[0]).toMatchObject({ orderId: order.orderId, state: 'REVOKED' });
});

test('a refunded consumable takes its coins back after refund sync', async ({ app, server, mock, user }) => {
  await app.buy('coin_550');
  await app.expectBalance(550);
  await app.buy('coin_100');
  await app.expectBalance(650);
  const refunded = (await mock.ordersOf(user.userKey)).find((o) => o.sku === 'coin_550');
  if (!refunded) throw new Error('no coin_550 order in the mock');

  await mock.refund(refunded.orderId);
  await app.reopen();
  await app.expectBalance(100);
  await app.tab('history');
  await expect(app.testId(`history-${refunded.orderId}`)).toContainText(webCopy.history.refunded);

  expect(await server.balance('COIN')).toBe(100);
  const states = Object.fromEntries((await server.orders()).map((o) => [o.sku, o.state]));
  expect(states).toEqual({ coin_550: 'REVOKED', coin_100: 'GRANTED' });
});
