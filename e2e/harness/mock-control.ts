/**
 * A small client for toss-mock's scenario control API (`/__mock/*`), typed with just the fields the scenarios read.
 * See packages/toss-mock/README.md for every route.
 */
import type { PurchaseResult, SdkIapErrorCode, StatusReading } from '@ait-iap/iap-contract';

/** How Toss saw a grant end (`GET /__mock/state`); under `grant-failed` anything but `granted` reads FAILED. */
export type GrantEnding = 'granted' | 'not-granted' | 'no-answer' | 'app-closed';

export type PurchaseOutcome =
  | 'success'
  | 'close-after-payment'
  | 'close-during-grant'
  | 'close-after-grant'
  | 'complete-fails'
  | SdkIapErrorCode;

export interface MockOrderView {
  orderId: string;
  userKey: number;
  sku: string;
  /** 'paid' | 'failed' | 'in-progress' | 'refunded' */
  payment: string;
  /** The grant callback's answer as Toss received it (null: never answered). */
  granted: boolean | null;
  /** How the grant ended for Toss (null: still open, or an order with no grant step). */
  grantEnding: GrantEnding | null;
  /** `completeProductGrant` was called for it. */
  completed: boolean;
  /** What get-order-status answers for it now. */
  status: string;
  subscriptionId: string | null;
  renewalOf: string | null;
  /** `completeProductGrant` calls still to fail for it ('complete-fails' sets 1; each failed call uses one). */
  completeFailures: number;
}

export interface MockSubscriptionView {
  subscriptionId: string;
  orderId: string;
  userKey: number;
  sku: string;
  status: string;
  expiresAt: string | null;
  isAccessible: boolean;
}

export interface MockSnapshot {
  clock: { now: string; offsetMs: number };
  reading: StatusReading;
  orders: MockOrderView[];
  subscriptions: MockSubscriptionView[];
  /** Faults still armed; `count` goes down as calls consume them. */
  faults: Fault[];
}

export interface Fault {
  kind: 'latency' | 'error5xx' | 'timeout' | 'malformed';
  rate?: number;
  ms?: number;
  count?: number;
  path?: string;
}

export type SubscriptionAction = 'renew' | 'expire' | 'grace' | 'revoke';

export function createMockControl(controlUrl: string) {
  async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${controlUrl}${path}`, {
      method,
      // The control API takes JSON only: a POST/DELETE without this header is refused (415).
      headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`toss-mock ${method} ${path} → ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  return {
    /** A new Toss user with a first login code. */
    createUser: () => call<{ userKey: number; authorizationCode: string }>('POST', '/__mock/users', {}),
    /** A fresh one-time login code for an existing user (what `appLogin()` would return). */
    loginCode: async (userKey: number) =>
      (await call<{ authorizationCode: string }>('POST', '/__mock/users', { userKey })).authorizationCode,
    /** How this user's next purchase ends. */
    nextPurchase: (userKey: number, outcome: PurchaseOutcome) =>
      call<unknown>('POST', '/__mock/next-purchase', { outcome, userKey }),
    clearNextPurchases: () => call<unknown>('DELETE', '/__mock/next-purchase'),
    /** An order paid outside the app (default PAYMENT_COMPLETED). */
    createOrder: (userKey: number, sku: string, status?: string) =>
      call<{ orderId: string }>('POST', '/__mock/orders', { userKey, sku, ...(status ? { status } : {}) }),
    /** A PAYMENT_PENDING order clears later: paid or failed. */
    settle: (orderId: string, to: 'paid' | 'failed') =>
      call<{ ok: true }>('POST', `/__mock/orders/${encodeURIComponent(orderId)}/settle`, { to }),
    refund: (orderId: string) =>
      call<{ ok: true }>('POST', `/__mock/orders/${encodeURIComponent(orderId)}/refund`, {}),
    addFault: (fault: Fault) => call<unknown>('POST', '/__mock/faults', fault),
    clearFaults: () => call<unknown>('DELETE', '/__mock/faults'),
    setStatusReading: (reading: StatusReading) =>
      call<unknown>('POST', '/__mock/status-reading', { reading }),
    /**
     * `revealSku: true` adds the order's SKU to get-order-status answers — NOT documented by Toss (default false):
     * a test that needs it says so in its name.
     */
    setOptions: (options: {
      grantDeadlineMs?: number;
      statusReading?: StatusReading;
      pageSize?: number;
      revealSku?: boolean;
    }) => call<unknown>('POST', '/__mock/options', options),
    /** End the grant of an order made with createOrder (it has no grant step otherwise). */
    endGrant: (orderId: string, ending: GrantEnding) =>
      call<unknown>('POST', `/__mock/orders/${encodeURIComponent(orderId)}/grant`, { ending }),
    advanceClock: (advanceMs: number) => call<{ now: string }>('POST', '/__mock/clock', { advanceMs }),
    subscription: (orderId: string, action: SubscriptionAction) =>
      call<{ subscription: MockSubscriptionView }>(
        'POST',
        `/__mock/subscriptions/${encodeURIComponent(orderId)}/${action}`,
        {},
      ),
    state: () => call<MockSnapshot>('GET', '/__mock/state'),
    /** This user's orders (first purchases and renewals), oldest first. */
    ordersOf: async (userKey: number) =>
      (await call<MockSnapshot>('GET', '/__mock/state')).orders.filter((o) => o.userKey === userKey),
    subscriptionsOf: async (userKey: number) =>
      (await call<MockSnapshot>('GET', '/__mock/state')).subscriptions.filter((s) => s.userKey === userKey),
  };
}
export type MockControl = ReturnType<typeof createMockControl>;
export type { PurchaseResult };
