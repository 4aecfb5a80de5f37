// Scenario 1: the shop lists exactly the catalog's visible products, priced as Toss shows them.
import { readFileSync } from 'node:fs';
import { Catalog, formatKrw, salePrice } from '@ait-iap/iap-contract';
import { expect, test } from '../harness/fixtures';

const catalog = Catalog.parse(
  JSON.parse(readFileSync(new URL('../../catalog/products.json', import.meta.url), 'utf8')),
);
const visible = catalog.products.filter((p) => p.visible);
const hidden = catalog.products.filter((p) => !p.visible);

test('the shop lists exactly the visible catalog products with Toss-formatted prices', async ({
  app,
  server,
}) => {
  const rows = app.page.locator('[data-testid^="product-"]');
  await expect(rows).toHaveCount(visible.length);
  for (const product of visible) {
    const row = app.product(product.sku);
    await expect(row).toBeVisible();
    await expect(row).toContainText(product.name);
    await expect(row).toContainText(formatKrw(salePrice(product.supplyPrice, catalog.feeRateBps)));
  }
  for (const product of hidden) await expect(app.product(product.sku)).toHaveCount(0);
  // Sanity on the arithmetic the console uses (supply + 5%): 1,050원, 5,250원, 3,150원, 4,200원.
  expect(visible.map((p) => formatKrw(salePrice(p.supplyPrice, catalog.feeRateBps)))).toEqual([
    '1,050원',
    '5,250원',
    '3,150원',
    '4,200원',
  ]);

  // The server's view of a brand-new user: nothing owned, nothing ordered.
  expect(await server.inventory()).toEqual({ balances: expect.any(Object), entitlements: [] });
  expect(await server.balance('COIN')).toBe(0);
  expect(await server.orders()).toEqual([]);
});
