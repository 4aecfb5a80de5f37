/**
 * PURCHASE INTENTS — the trace a paid order leaves on our server even when its grant callback never runs (Toss
 * versions without `getPendingOrders`, a payment that settles later, the app killed after payment).
 *
 *   - `begin(sku)` → `iap.beginPurchase` BEFORE Toss's checkout opens (purchase.ts): user (the session), SKU, time,
 *     Toss app version. No order id exists yet.
 *   - `report(...)` → `iap.reportPurchase` for every purchase that ends without a grant (error code, order id if any),
 *     and for an outbox entry the server answered ORDER_NOT_FOUND / UNKNOWN_SKU before it is dropped (recovery.ts).
 *
 * Bookkeeping never blocks a paying user: every call has a short deadline, never throws, and a purchase whose intent
 * could not be recorded still opens the checkout (logged, and its report goes out without an intent id).
 * You probably don't need to edit this file; operators read the intents with `ops intents` (apps/server/README.md).
 */
import { type FulfillOutput, type IapError, OrderId, type ReportPurchaseInput } from '@ait-iap/iap-contract';
import type { ShopApi } from '../api/types';
import { type Clock, systemClock, within } from './clock';

export interface PurchaseIntents {
  /** Record the intent; its id, or null when it could not be recorded in time (the purchase goes on). */
  begin(sku: string): Promise<string | null>;
  /** Report how a purchase ended without a grant. True when the server took the report. Never throws. */
  report(input: ReportPurchaseInput): Promise<boolean>;
}

export interface PurchaseIntentsOptions {
  api: Pick<ShopApi, 'beginPurchase' | 'reportPurchase'>;
  /** The Toss app the purchase runs in, e.g. "android 5.232.0" (null when unknown). */
  appVersion?: () => string | null;
  /** Deadline for one call (default 3 s): a slow server delays a checkout by at most this long. */
  timeoutMs?: number;
  clock?: Clock;
}

export function createPurchaseIntents(options: PurchaseIntentsOptions): PurchaseIntents {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const clock = options.clock ?? systemClock;
  return {
    async begin(sku) {
      try {
        const appVersion = options.appVersion?.() ?? null;
        const out = await within(
          options.api.beginPurchase({ sku, appVersion }),
          timeoutMs,
          'iap.beginPurchase',
          clock,
        );
        return out.intentId;
      } catch (error) {
        console.warn('[iap] the purchase intent was not recorded (the purchase goes on without it)', error);
        return null;
      }
    },
    async report(input) {
      try {
        await within(options.api.reportPurchase(input), timeoutMs, 'iap.reportPurchase', clock);
        return true;
      } catch (error) {
        console.warn('[iap] the purchase report was not delivered', input, error);
        return false;
      }
    },
  };
}

/** Intents off (tests and forks that call startPurchase without a server for them). */
export const noIntents: PurchaseIntents = {
  begin: async () => null,
  report: async () => true,
};

/** An order id the server's schema accepts (a Toss order id is a UUID); anything else is left out of a report. */
export function reportableOrderId(orderId: string | null | undefined): { orderId?: string } {
  return OrderId.safeParse(orderId).success ? { orderId: orderId as string } : {};
}

/** What a purchase that ended without a grant reports: the server's refusal, or the SDK's error. */
export function purchaseReport(fields: {
  intentId: string | null;
  sku: string;
  orderId: string | null;
  /** The SDK's error (or ABORTED: the screen went away mid-purchase). */
  errorCode: IapError['code'] | 'ABORTED';
  /** The server's answer to the grant, when it gave one. */
  output: FulfillOutput | null;
}): ReportPurchaseInput {
  const base = {
    ...(fields.intentId ? { intentId: fields.intentId } : {}),
    ...reportableOrderId(fields.orderId),
    sku: fields.sku,
    errorCode: fields.errorCode,
  };
  if (fields.output && !fields.output.granted)
    return { ...base, outcome: 'NOT_GRANTED', serverReason: fields.output.reason };
  return { ...base, outcome: 'ERROR' };
}

/** Server answers after which the outbox drops an entry, reported first (OUTBOX_DROPPED) so an operator sees it. */
export const reportedDropReasons: readonly FulfillOutput['reason'][] = ['ORDER_NOT_FOUND', 'UNKNOWN_SKU'];
