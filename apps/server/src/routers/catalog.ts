/** `catalog.list`: active, visible products with sale price and display amount. Logic: src/catalog/products.ts. */
import { CatalogListOutput } from '@ait-iap/iap-contract';
import { listShopProducts } from '../catalog/products';
import { publicProcedure, router } from '../trpc';

export const catalogRouter = router({
  list: publicProcedure.output(CatalogListOutput).query(({ ctx }) => listShopProducts(ctx.deps.database.db)),
});
