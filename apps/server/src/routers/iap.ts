/**
 * `iap.fulfill` (grant callback + pending-order recovery), `iap.sync` (completed/refunded history) and
 * `iap.syncSubscriptions` (what Toss's getSubscriptionInfo told the app: expiry, hold, revoke, trial length).
 * The grant itself: src/fulfillment/fulfill.ts. What a SKU grants: src/fulfillment/grants.ts.
 */
import {
  FulfillInput,
  FulfillOutput,
  SyncInput,
  SyncOutput,
  SyncSubscriptionsInput,
  SyncSubscriptionsOutput,
} from '@ait-iap/iap-contract';
import { fulfill } from '../fulfillment/fulfill';
import { syncSubscriptions } from '../fulfillment/subscriptions';
import { syncOrders } from '../fulfillment/sync';
import { authedProcedure, rateLimited, router, takeOrRefuse } from '../trpc';

export const iapRouter = router({
  fulfill: authedProcedure
    .use(rateLimited((limits) => limits.fulfill))
    .input(FulfillInput)
    .output(FulfillOutput)
    .mutation(async ({ ctx, input }) => {
      const { output } = await fulfill(ctx.deps, {
        user: ctx.session,
        orderId: input.orderId,
        sku: input.sku,
        subscriptionId: input.subscriptionId,
        source: 'client',
      });
      return output;
    }),
  // One token per order checked (each is a partner call), not one per request: a 500-order sync costs 500 and is
  // refused whole (no partner call made) when fewer tokens are left.
  sync: authedProcedure
    .input(SyncInput)
    .output(SyncOutput)
    .mutation(({ ctx, input }) => {
      const checked = new Set(input.orders.map((order) => order.orderId)).size;
      takeOrRefuse(ctx, ctx.deps.limits.fulfill, Math.max(1, checked));
      return syncOrders(ctx.deps, ctx.session, input.orders);
    }),
  syncSubscriptions: authedProcedure
    .use(rateLimited((limits) => limits.fulfill))
    .input(SyncSubscriptionsInput)
    .output(SyncSubscriptionsOutput)
    .mutation(({ ctx, input }) => syncSubscriptions(ctx.deps, ctx.session, input.subscriptions)),
});
