// Scenario 3: a non-consumable is owned once; buying it again takes the already-owned path.
import { iapErrorInfo } from '@ait-iap/iap-contract';
import { App } from '../harness/app';
import { expect, test } from '../harness/fixtures';

test('buying a non-consumable makes it owned; buying again charges and grants nothing twice', async ({
  app,
  server,
  mock,
  user,
  harness,
}) => {
  // A second copy of the app opened before the purchase: its shop still offers the item.
  const stale = new App(await app.page.context().newPage(), harness.webUrl, user.userKey);
  await stale.open();
  await stale.tab('shop');
  await expect(stale.buyButton('remove_ads')).toBeEnabled();

  await app.buy('remove_ads');
  await expect(app.testId('owned-remove_ads')).toBeVisible();
  expect(await server.entitlementSkus()).toEqual(['remove_ads']);
  // The app that knows offers no second purchase.
  await app.tab('shop');
  await expect(app.buyButton('remove_ads')).not.toBeEnabled();

  // The stale copy tries anyway: Toss answers ITEM_ALREADY_OWNED before any checkout.
  await stale.buyButton('remove_ads').click();
  const owned = stale.error('ITEM_ALREADY_OWNED');
  await expect(owned).toBeVisible();
  await expect(owned).toContainText(iapErrorInfo.ITEM_ALREADY_OWNED.title);
  await expect(stale.payButton()).toHaveCount(0);
  await expect(stale.testId('owned-remove_ads')).toBeVisible();

  expect(await mock.ordersOf(user.userKey)).toHaveLength(1);
  const orders = await server.orders();
  expect(orders).toHaveLength(1);
  expect(orders[0]).toMatchObject({ sku: 'remove_ads', state: 'GRANTED' });
  const inventory = await server.inventory();
  expect(inventory.entitlements.filter((e) => e.sku === 'remove_ads')).toHaveLength(1);
});
