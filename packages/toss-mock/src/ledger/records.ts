/**
 * New rows: an order, and the subscription the first order of a subscription SKU starts. Kept apart from the
 * readings (orders.ts) and the renewals (subscriptions.ts) because both of those create orders.
 */
import { type CatalogProduct, cycleEnd } from '@ait-iap/iap-contract';
import { productPrice } from '../catalog';
import type { GrantEnding } from '../protocol';
import { uuidv7 } from '../uuid';
import {
  answerOf,
  catalogId,
  findProduct,
  type LedgerState,
  type MockOrder,
  nowIso,
  type Payment,
} from './state';

export interface NewOrderFields {
  userKey: number;
  sku: string;
  clientSku?: string;
  payment: Payment;
  grantEnding?: GrantEnding | null;
  completed?: boolean;
  amount?: number;
  renewalOf?: string | null;
  /** False: a subscription SKU charged as a one-time purchase ('accepted' wrong-kind reading) starts nothing. */
  startsSubscription?: boolean;
}

export function newOrder(s: LedgerState, fields: NewOrderFields): MockOrder {
  const product = findProduct(s, fields.sku);
  const at = nowIso(s);
  const grantEnding = fields.grantEnding ?? null;
  const order: MockOrder = {
    orderId: uuidv7(s.clock.now()),
    userKey: fields.userKey,
    sku: fields.sku,
    clientSku: fields.clientSku ?? fields.sku,
    foreign: product === null,
    payment: fields.payment,
    granted: answerOf(grantEnding),
    grantEnding,
    grantDeadlineAt: null,
    completed: fields.completed ?? false,
    amount: fields.amount ?? (product ? productPrice(s.catalog, product) : 0),
    createdAt: at,
    paidAt: fields.payment === 'paid' || fields.payment === 'refunded' ? at : null,
    completedAt: fields.completed ? at : null,
    refundedAt: fields.payment === 'refunded' ? at : null,
    subscriptionId: null,
    renewalOf: fields.renewalOf ?? null,
    completeFailures: 0,
  };
  s.orders.set(order.orderId, order);
  const starts = fields.startsSubscription ?? true;
  if (product?.type === 'SUBSCRIPTION' && starts && order.renewalOf === null && order.payment !== 'failed') {
    startSubscription(s, order, product);
  }
  return order;
}

function startSubscription(
  s: LedgerState,
  order: MockOrder,
  product: CatalogProduct & { type: 'SUBSCRIPTION' },
): void {
  const subscriptionId = uuidv7(s.clock.now());
  const start = new Date(order.createdAt);
  order.subscriptionId = subscriptionId;
  s.subscriptions.set(subscriptionId, {
    subscriptionId,
    orderId: order.orderId,
    userKey: order.userKey,
    sku: product.sku,
    catalogId: catalogId(s, product.sku),
    status: order.payment === 'refunded' ? 'REVOKED' : 'ACTIVE',
    expiresAt: cycleEnd(start, product.renewalCycle, 1).toISOString(),
    isAutoRenew: order.payment === 'paid' || order.payment === 'in-progress',
    gracePeriodExpiresAt: null,
    renewals: 0,
    anchorDay: start.getUTCDate(),
    anchorAt: start.toISOString(),
    paidCycles: 1,
  });
}
