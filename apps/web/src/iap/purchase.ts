/**
 * THE PURCHASE — one checkout, start to finish. Where is the grant? `processProductGrant` below.
 *
 *   0. `iap.beginPurchase` records the intent on our server (intents.ts): if the order's grant callback never runs,
 *      an operator still finds the user and the SKU. Never blocks: no intent in time → the checkout opens anyway.
 *   1. IAP.createOneTimePurchaseOrder / createSubscriptionPurchaseOrder opens Toss's checkout.
 *   2. Toss calls processProductGrant({ orderId[, subscriptionId] }) after payment: we write the order to the
 *      device's outbox (outbox.ts), then ask OUR server to fulfill (`iap.fulfill`) — again with backoff while the
 *      request fails on the way (grant.ts) — catch everything and answer a boolean inside the grant window (25 s;
 *      Toss's limit is 30 s).
 *   3. onEvent 'success' → IAP.completeProductGrant so the order stops showing up as pending; then the outbox
 *      forgets it.
 *   4. cleanup() on every exit: success, error, cancel, a synchronous throw, and abort() (unmount).
 *   5. Every exit without a grant is reported against the intent (`iap.reportPurchase`: error code, order id if
 *      any), in the background: a failed report is not the user's problem.
 * Anything that goes wrong after payment leaves the order pending on Toss's side and in the outbox; recovery.ts
 * finishes it later.
 * You probably don't need to edit this file: it follows the Apps in Toss IAP guide step by step. Screens call it
 * through usePurchase.ts.
 */
import {
  type FulfillOutput,
  type IapError,
  type ProductType,
  PurchaseResult,
  type PurchaseResult as PurchaseResultType,
  toIapError,
} from '@ait-iap/iap-contract';
import { IAP } from '@apps-in-toss/web-framework';
import type { ShopApi } from '../api/types';
import { type Clock, systemClock } from './clock';
import { defaultGrantRetryPolicy, fulfillWithinWindow, type GrantRetryPolicy } from './grant';
import { noIntents, type PurchaseIntents, purchaseReport, reportedDropReasons } from './intents';
import { type Outbox, outboxAction } from './outbox';
import { acknowledgeGrant, hasTossHost, iapFailure, isFeatureSupported } from './sdk';

export interface PurchaseRequest {
  sku: string;
  type: ProductType;
  /** Subscription offer (e.g. a free trial) from getProductItemList, or null for the regular price. */
  offerId?: string | null;
}

export interface PurchaseDeps {
  api: Pick<ShopApi, 'fulfill'>;
  /** Purchase intents on our server (step 0 and 5). Default: none recorded. */
  intents?: PurchaseIntents;
  /** The device's record of paid orders not settled yet (never throws). */
  outbox: Outbox;
  /** processProductGrant answers Toss within this long from its start (Toss's limit is 30 s). */
  grantWindowMs: number;
  /** How iap.fulfill is retried inside the window (default: 10 s per attempt, 0.5 s → 4 s pauses). */
  grantRetry?: GrantRetryPolicy;
  completeTimeoutMs: number;
  clock?: Clock;
  /** Progress for the UI: the server is being asked to grant `orderId`. */
  onGranting?: (orderId: string) => void;
}

/** What our server said (or why it could not be asked) for the order Toss handed to processProductGrant. */
export interface GrantAttempt {
  orderId: string;
  granted: boolean;
  output: FulfillOutput | null;
  /** Set when the server gave no FulfillOutput (every attempt failed on the way, or a 4xx app error). */
  failure?: string;
  /** iap.fulfill requests sent for it inside the grant window. */
  attempts: number;
}

export type PurchaseOutcome =
  | {
      status: 'success';
      orderId: string;
      result: PurchaseResultType | null;
      /**
       * Toss is done with the order: completeProductGrant succeeded (or this Toss app has none). False when it
       * failed or timed out; recovery acknowledges the order later.
       */
      completed: boolean;
      grant: GrantAttempt | null;
    }
  | { status: 'failed'; error: IapError; grant: GrantAttempt | null }
  | { status: 'aborted'; grant: GrantAttempt | null };

export interface PurchaseHandle {
  done: Promise<PurchaseOutcome>;
  /** Stop listening (calls cleanup). A paid order stays pending and is picked up by recovery. */
  abort(): void;
}

export function startPurchase(deps: PurchaseDeps, request: PurchaseRequest): PurchaseHandle {
  let resolveDone!: (outcome: PurchaseOutcome) => void;
  const done = new Promise<PurchaseOutcome>((resolve) => {
    resolveDone = resolve;
  });
  let cleanup: (() => void) | null = null;
  let cleanedUp = false;
  let settled = false;
  let grant: GrantAttempt | null = null;
  const intents = deps.intents ?? noIntents;
  /** Set once the checkout was asked for (gating failures before it leave nothing to report). */
  let intent: { id: string | null } | null = null;
  /** An order id Toss gave with an error (not documented; kept when present). */
  let errorOrderId: string | null = null;

  function runCleanup() {
    if (cleanedUp || cleanup === null) return;
    cleanedUp = true;
    try {
      cleanup();
    } catch (error) {
      console.warn('[iap] cleanup threw', error);
    }
  }

  function finish(outcome: PurchaseOutcome) {
    if (settled) return;
    settled = true;
    runCleanup();
    resolveDone(outcome);
    reportUnlessGranted(outcome);
  }

  // Step 5. In the background, after the outcome is out: bookkeeping never holds the user.
  function reportUnlessGranted(outcome: PurchaseOutcome) {
    if (intent === null || outcome.status === 'success') return;
    void intents.report(
      purchaseReport({
        intentId: intent.id,
        sku: request.sku,
        orderId: outcome.grant?.orderId ?? errorOrderId,
        errorCode: outcome.status === 'failed' ? outcome.error.code : 'ABORTED',
        output: outcome.grant?.output ?? null,
      }),
    );
  }

  // Step 2. Never throws (a throw here would leave Toss without an answer) and always answers in time.
  async function processProductGrant(params: { orderId: string; subscriptionId?: string }): Promise<boolean> {
    const { orderId, subscriptionId } = params;
    const clock = deps.clock ?? systemClock;
    const deadline = clock.now() + deps.grantWindowMs;
    try {
      deps.onGranting?.(orderId);
      const order = { orderId, sku: request.sku, ...(subscriptionId ? { subscriptionId } : {}) };
      // First on the device: if the app dies or the server is out of reach, recovery still knows the order.
      await deps.outbox.add(order);
      const call = await fulfillWithinWindow(
        () => deps.api.fulfill(order),
        deadline,
        deps.grantRetry ?? defaultGrantRetryPolicy,
        clock,
      );
      if (call.kind !== 'answered') {
        grant = { orderId, granted: false, output: null, failure: call.failure, attempts: call.attempts };
        return false;
      }
      const { output } = call;
      grant = { orderId, granted: output.granted, output, attempts: call.attempts };
      // Granted: forgotten once Toss is told (step 3). Refused for good: forget it — except an order the server could
      // not find or sell (ORDER_NOT_FOUND / UNKNOWN_SKU): recovery, right after, reports it to operators before it
      // drops it. Held: remember it is held.
      const action = outboxAction(output, false);
      if (action === 'remove' && !reportedDropReasons.includes(output.reason))
        await deps.outbox.remove(orderId);
      if (action === 'hold') await deps.outbox.markHeld(order);
      return output.granted;
    } catch (error) {
      console.error('[iap] processProductGrant failed unexpectedly', error);
      grant = {
        orderId,
        granted: false,
        output: null,
        failure: error instanceof Error ? error.message : String(error),
        attempts: grant?.attempts ?? 0,
      };
      return false;
    }
  }

  // Step 3.
  async function onEvent(event: { type: 'success'; data: unknown }) {
    if (event.type !== 'success') return;
    const parsed = PurchaseResult.safeParse(event.data);
    const orderId = parsed.data?.orderId ?? grant?.orderId ?? '';
    // Old Toss apps (legacy path) report success whatever processProductGrant answered. Not granted by our
    // server = not done: never acknowledge it, leave it to recovery.
    if (grant !== null && !grant.granted) {
      finish({ status: 'failed', error: iapFailure('PRODUCT_NOT_GRANTED_BY_PARTNER').error, grant });
      return;
    }
    let completed = false;
    if (orderId !== '') {
      const ack = await acknowledgeGrant(orderId, deps.completeTimeoutMs);
      completed = ack.settled;
      if (ack.settled && grant?.granted) await deps.outbox.remove(orderId);
    }
    finish({ status: 'success', orderId, result: parsed.data ?? null, completed, grant });
  }

  function onError(error: unknown) {
    const orderId = (error as { orderId?: unknown } | null)?.orderId;
    if (typeof orderId === 'string') errorOrderId = orderId;
    finish({ status: 'failed', error: toIapError(error), grant });
  }

  // Steps 0 and 1.
  async function openCheckout() {
    intent = { id: null };
    intent.id = await intents.begin(request.sku);
    if (settled) return; // aborted while the intent was being recorded: no checkout
    try {
      cleanup =
        request.type === 'SUBSCRIPTION'
          ? IAP.createSubscriptionPurchaseOrder({
              options: { sku: request.sku, offerId: request.offerId ?? null, processProductGrant },
              onEvent,
              onError,
            })
          : IAP.createOneTimePurchaseOrder({
              options: { sku: request.sku, processProductGrant },
              onEvent,
              onError,
            });
    } catch (error) {
      onError(error);
    }
    // An exit that happened before `cleanup` was assigned still gets its cleanup (step 4).
    if (settled) runCleanup();
  }

  // The SDK silently returns a no-op below its minimum version, so gate first.
  const feature =
    request.type === 'SUBSCRIPTION' ? 'createSubscriptionPurchaseOrder' : 'createOneTimePurchaseOrder';
  if (!hasTossHost()) {
    finish({ status: 'failed', error: iapFailure('HOST_UNAVAILABLE').error, grant: null });
    return { done, abort: () => {} };
  }
  if (!isFeatureSupported(feature)) {
    finish({ status: 'failed', error: iapFailure('UNSUPPORTED_APP_VERSION', feature).error, grant: null });
    return { done, abort: () => {} };
  }
  void openCheckout();

  return {
    done,
    abort: () => finish({ status: 'aborted', grant }),
  };
}
