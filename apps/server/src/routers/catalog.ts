/**
 * `catalog.list`: active, visible products with sale price and display amount. Logic: src/catalog/products.ts.
 * Public, so limited per client address (RATE_LIMIT_PUBLIC_PER_MINUTE).
 */
import { CatalogListOutput } from '@ait-iap/iap-contract';
import { listShopProducts } from '../catalog/products';
import { publicProcedure, rateLimited, router } from '../trpc';

export const catalogRouter = router({
  list: publicProcedure
    .use(rateLimited((limits) => limits.publicRead))
    .output(CatalogListOutput)
    .query(({ ctx }) => listShopProducts(ctx.deps.database.db)),
});
