/**
 * The purchase, as a React hook: one checkout at a time (a double tap never opens two), recovery before every new
 * purchase, the checkout itself (purchase.ts), then inventory refresh — and recovery again when a paid order was
 * left unfinished; after a subscription, Toss's subscription state is reported (AppState's runRefundSync).
 * cleanup() runs on every exit, including unmount.
 * You probably don't need to edit this file; screens call `buy()` and render `state`.
 */
import type { IapError, IapErrorCode } from '@ait-iap/iap-contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useAppState } from '../app/AppState';
import { type GrantAttempt, type PurchaseHandle, type PurchaseRequest, startPurchase } from './purchase';

/** Failures that happen before any payment: no order can be pending, so no recovery run afterwards. */
const nothingPaidCodes: readonly IapErrorCode[] = [
  'USER_CANCELED',
  'INVALID_PRODUCT_ID',
  'ITEM_ALREADY_OWNED',
  'INVALID_USER_ENVIRONMENT',
  'KOREAN_ACCOUNT_ONLY',
  'HOST_UNAVAILABLE',
  'UNSUPPORTED_APP_VERSION',
];

export type PurchaseState =
  | { phase: 'idle' }
  /** Finishing earlier paid orders first. */
  | { phase: 'preparing'; sku: string }
  /** Toss's checkout is open. */
  | { phase: 'checkout'; sku: string }
  /** Paid; our server is granting. */
  | { phase: 'granting'; sku: string; orderId: string }
  | { phase: 'succeeded'; sku: string; orderId: string; completed: boolean }
  /**
   * `held`: the paid order is being checked by an operator (the server answered UNDER_REVIEW, in the grant callback
   * or in the recovery run right after): the app shows that instead of promising an automatic grant.
   */
  | { phase: 'failed'; sku: string; error: IapError; grant: GrantAttempt | null; held: boolean };

export function usePurchase() {
  const app = useAppState();
  const { services } = app;
  const [state, setState] = useState<PurchaseState>({ phase: 'idle' });
  const busy = useRef(false);
  const handle = useRef<PurchaseHandle | null>(null);
  const mounted = useRef(true);
  const appRef = useRef(app);
  appRef.current = app;

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      handle.current?.abort(); // cleanup() on unmount
      handle.current = null;
      busy.current = false;
      appRef.current.setPurchaseInFlight(false);
    };
  }, []);

  const buy = useCallback(
    async (request: PurchaseRequest) => {
      if (busy.current) return; // the double-tap guard: set synchronously, before any await
      busy.current = true;
      const current = appRef.current;
      current.setPurchaseInFlight(true);
      try {
        setState({ phase: 'preparing', sku: request.sku });
        await current.runRecovery();
        if (!mounted.current) return;
        setState({ phase: 'checkout', sku: request.sku });
        const purchase = startPurchase(
          {
            api: services.api,
            intents: services.intents,
            outbox: services.outbox,
            grantWindowMs: services.config.grantWindowMs,
            ...(services.config.grantRetry ? { grantRetry: services.config.grantRetry } : {}),
            completeTimeoutMs: services.config.completeTimeoutMs,
            onGranting: (orderId) => {
              if (mounted.current) setState({ phase: 'granting', sku: request.sku, orderId });
            },
          },
          request,
        );
        handle.current = purchase;
        const outcome = await purchase.done;
        handle.current = null;
        if (!mounted.current || outcome.status === 'aborted') return;

        if (outcome.status === 'success') {
          setState({
            phase: 'succeeded',
            sku: request.sku,
            orderId: outcome.orderId,
            completed: outcome.completed,
          });
        } else {
          setState({
            phase: 'failed',
            sku: request.sku,
            error: outcome.error,
            grant: outcome.grant,
            held: outcome.grant?.output?.reason === 'UNDER_REVIEW',
          });
          if (outcome.error.code === 'ITEM_ALREADY_OWNED') appRef.current.markOwned(request.sku);
        }
        // A paid order may be left unfinished (grant failed, completeProductGrant failed, Toss-side verification
        // failed after payment): recover it now instead of waiting for the next start.
        const leftPending =
          outcome.status === 'success' ? !outcome.completed : !nothingPaidCodes.includes(outcome.error.code);
        if (leftPending) {
          const report = await appRef.current.runRecovery();
          const orderId = outcome.grant?.orderId;
          if (
            outcome.status === 'failed' &&
            orderId &&
            mounted.current &&
            report.held.some((order) => order.orderId === orderId)
          ) {
            setState((prev) =>
              prev.phase === 'failed' && prev.sku === request.sku ? { ...prev, held: true } : prev,
            );
          }
        }
        await appRef.current.refreshInventory();
        // A new subscription: ask Toss for its real period right away (a free trial is shorter than the cycle the
        // server grants by default) and report it (getSubscriptionInfo → iap.syncSubscriptions → inventory).
        if (outcome.status === 'success' && request.type === 'SUBSCRIPTION')
          await appRef.current.runRefundSync();
      } catch (error) {
        console.error('[iap] purchase flow failed unexpectedly', error);
      } finally {
        busy.current = false;
        if (mounted.current) appRef.current.setPurchaseInFlight(false);
      }
    },
    [services],
  );

  const dismiss = useCallback(() => setState({ phase: 'idle' }), []);

  const inProgress = state.phase === 'preparing' || state.phase === 'checkout' || state.phase === 'granting';
  return { state, buy, dismiss, inProgress };
}
