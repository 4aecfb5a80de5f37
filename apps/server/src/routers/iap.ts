/**
 * `iap.fulfill` (grant callback + pending-order recovery), `iap.sync` (completed/refunded history),
 * `iap.syncSubscriptions` (what Toss's getSubscriptionInfo told the app: expiry, hold, revoke, trial length), and
 * `iap.beginPurchase` / `iap.reportPurchase` (purchase intents and reports: traces for operators, never money —
 * src/fulfillment/intents.ts).
 * The grant itself: src/fulfillment/fulfill.ts. What a SKU grants: src/fulfillment/grants.ts.
 */
import {
  BeginPurchaseInput,
  BeginPurchaseOutput,
  FulfillInput,
  FulfillOutput,
  ReportPurchaseInput,
  ReportPurchaseOutput,
  SyncInput,
  SyncOutput,
  SyncSubscriptionsInput,
  SyncSubscriptionsOutput,
} from '@ait-iap/iap-contract';
import { fulfill } from '../fulfillment/fulfill';
import { beginPurchase, reportPurchase } from '../fulfillment/intents';
import { syncSubscriptions } from '../fulfillment/subscriptions';
import { syncOrders } from '../fulfillment/sync';
import { authedProcedure, rateLimited, router, takeUpTo } from '../trpc';

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
  // One token per partner call (an order that needs checking), not one per request: what the tokens left don't
  // cover is answered as `deferred` and checked on the next sync; with no token left at all → RATE_LIMITED.
  sync: authedProcedure
    .use(rateLimited((limits) => limits.fulfill))
    .input(SyncInput)
    .output(SyncOutput)
    .mutation(({ ctx, input }) =>
      syncOrders(ctx.deps, ctx.session, input.orders, (wanted) =>
        takeUpTo(ctx, ctx.deps.limits.fulfill, wanted),
      ),
    ),
  syncSubscriptions: authedProcedure
    .use(rateLimited((limits) => limits.fulfill))
    .input(SyncSubscriptionsInput)
    .output(SyncSubscriptionsOutput)
    .mutation(({ ctx, input }) => syncSubscriptions(ctx.deps, ctx.session, input.subscriptions)),
  // Traces, not money: one token each from the user's bucket (after validation, so a malformed call costs none).
  beginPurchase: authedProcedure
    .input(BeginPurchaseInput)
    .use(rateLimited((limits) => limits.fulfill))
    .output(BeginPurchaseOutput)
    .mutation(({ ctx, input }) => beginPurchase(ctx.deps, ctx.session, input)),
  reportPurchase: authedProcedure
    .input(ReportPurchaseInput)
    .use(rateLimited((limits) => limits.fulfill))
    .output(ReportPurchaseOutput)
    .mutation(({ ctx, input }) => reportPurchase(ctx.deps, ctx.session, input)),
});
