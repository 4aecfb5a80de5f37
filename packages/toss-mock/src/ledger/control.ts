/** What the control API changes besides scenarios: orders made outside the app, catalog, options, reset, snapshot. */
import type { Catalog } from '@ait-iap/iap-contract';
import { ensureUser } from './accounts';
import { orderStatus } from './orders';
import { newOrder } from './records';
import {
  type ControlOrderStatus,
  findProduct,
  type LedgerOptions,
  type LedgerState,
  type MockOrder,
  nowIso,
} from './state';
import { settleSubscriptions, subscriptionInfo } from './subscriptions';

type Shape = Pick<MockOrder, 'payment' | 'grantEnding' | 'completed'>;
const shapes: Record<ControlOrderStatus, Shape> = {
  PAYMENT_COMPLETED: { payment: 'paid', grantEnding: null, completed: false },
  PURCHASED: { payment: 'paid', grantEnding: 'granted', completed: false },
  COMPLETED: { payment: 'paid', grantEnding: 'granted', completed: true },
  ORDER_IN_PROGRESS: { payment: 'in-progress', grantEnding: null, completed: false },
  FAILED: { payment: 'failed', grantEnding: null, completed: false },
  REFUNDED: { payment: 'refunded', grantEnding: null, completed: false },
};

/** `POST /__mock/orders`: an order made outside the app (or of another mini-app when the SKU is unknown). */
export function createOrder(
  s: LedgerState,
  input: { userKey: number; sku: string; status?: ControlOrderStatus },
): MockOrder {
  ensureUser(s, input.userKey);
  const status = input.status ?? 'PAYMENT_COMPLETED';
  return newOrder(s, { userKey: input.userKey, sku: input.sku, ...shapes[status] });
}

export function setCatalog(s: LedgerState, next: Catalog): void {
  s.catalog = next;
  for (const order of s.orders.values()) order.foreign = findProduct(s, order.sku) === null;
}

export function setIconBaseUrl(s: LedgerState, url: string): void {
  s.iconBaseUrl = url;
}

export function setOptions(s: LedgerState, next: Partial<LedgerOptions>): LedgerOptions {
  Object.assign(s.options, next);
  return { ...s.options };
}

export function reset(s: LedgerState): void {
  s.users.clear();
  s.codes.clear();
  s.tokens.length = 0;
  s.orders.clear();
  s.subscriptions.clear();
  s.checkouts.clear();
  s.outcomes.length = 0;
  s.faults.length = 0;
  s.clock.reset();
  Object.assign(s.options, s.initialOptions);
}

export function snapshot(s: LedgerState) {
  settleSubscriptions(s);
  return {
    clock: { now: nowIso(s), offsetMs: s.clock.offsetMs() },
    reading: s.options.statusReading,
    options: { ...s.options },
    users: [...s.users.values()],
    orders: [...s.orders.values()].map((o) => ({
      ...o,
      status: orderStatus(s, o.orderId, o.userKey).status,
    })),
    subscriptions: [...s.subscriptions.values()].map((sub) => ({
      ...sub,
      isAccessible: subscriptionInfo(s, sub.orderId, sub.userKey)?.isAccessible ?? false,
    })),
    nextPurchase: [...s.outcomes],
    faults: s.faults.map((f) => ({ ...f })),
    catalog: { products: s.catalog.products.length, feeRateBps: s.catalog.feeRateBps },
  };
}
