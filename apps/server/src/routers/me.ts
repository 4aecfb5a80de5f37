/** `me.inventory` (balances + entitlements usable now) and `me.orders` (history). Logic: src/fulfillment/inventory.ts. */
import { HistoryOutput, InventoryOutput } from '@ait-iap/iap-contract';
import { getHistory, getInventory } from '../fulfillment/inventory';
import { authedProcedure, router } from '../trpc';

export const meRouter = router({
  inventory: authedProcedure
    .output(InventoryOutput)
    .query(({ ctx }) => getInventory(ctx.deps, ctx.session.userId)),
  orders: authedProcedure.output(HistoryOutput).query(({ ctx }) => getHistory(ctx.deps, ctx.session.userId)),
});
