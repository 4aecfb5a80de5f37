/** Subscriptions over mock time: renewals, expiry, grace periods, the control actions and `getSubscriptionInfo`. */
import { cycleEnd, type SubscriptionInfo } from '@ait-iap/iap-contract';
import { newOrder } from './records';
import {
  fail,
  findProduct,
  type LedgerResult,
  type LedgerState,
  type MockSubscription,
  nowIso,
  nowMs,
  type SubscriptionAction,
} from './state';

export function subscriptionProduct(s: LedgerState, sub: MockSubscription) {
  const product = findProduct(s, sub.sku);
  return product?.type === 'SUBSCRIPTION' ? product : null;
}

function renewOnce(s: LedgerState, sub: MockSubscription): void {
  const product = subscriptionProduct(s, sub);
  const cycle = product?.renewalCycle ?? 'MONTHLY';
  // An active subscription extends from its end; a lapsed one starts a new period (and day of month) now.
  const continues = sub.status === 'ACTIVE' && sub.expiresAt !== null && Date.parse(sub.expiresAt) > 0;
  if (continues) {
    sub.paidCycles++;
  } else {
    sub.anchorAt = nowIso(s);
    sub.anchorDay = s.clock.now().getUTCDate();
    sub.paidCycles = 1;
  }
  sub.expiresAt = cycleEnd(new Date(sub.anchorAt), cycle, sub.paidCycles).toISOString();
  sub.status = 'ACTIVE';
  sub.gracePeriodExpiresAt = null;
  sub.isAutoRenew = true;
  sub.renewals++;
  const renewal = newOrder(s, {
    userKey: sub.userKey,
    sku: sub.sku,
    payment: 'paid',
    grantEnding: 'granted',
    completed: true,
    renewalOf: sub.orderId,
  });
  renewal.subscriptionId = sub.subscriptionId;
}

/** Apply the passage of time: auto-renew what is due, expire what is not renewed, end grace periods. */
export function settleSubscriptions(s: LedgerState): void {
  const now = nowMs(s);
  for (const sub of s.subscriptions.values()) {
    if (sub.status === 'ACTIVE' && sub.expiresAt && Date.parse(sub.expiresAt) <= now) {
      if (!sub.isAutoRenew) {
        sub.status = 'EXPIRED';
        continue;
      }
      for (let i = 0; i < 1000 && sub.expiresAt && Date.parse(sub.expiresAt) <= now; i++) renewOnce(s, sub);
    }
    if (
      sub.status === 'IN_GRACE_PERIOD' &&
      sub.gracePeriodExpiresAt &&
      Date.parse(sub.gracePeriodExpiresAt) <= now
    ) {
      sub.status = 'ON_HOLD';
    }
  }
}

export function subscriptionAction(
  s: LedgerState,
  orderId: string,
  action: SubscriptionAction,
): LedgerResult<MockSubscription> {
  const order = s.orders.get(orderId);
  const sub = order?.subscriptionId ? s.subscriptions.get(order.subscriptionId) : undefined;
  if (!order || !sub) return fail('NOT_FOUND', `no subscription for order ${orderId}`);
  settleSubscriptions(s);
  const now = s.clock.now();
  switch (action) {
    case 'renew':
      renewOnce(s, sub);
      break;
    case 'expire':
      sub.status = 'EXPIRED';
      sub.isAutoRenew = false;
      sub.gracePeriodExpiresAt = null;
      if (!sub.expiresAt || Date.parse(sub.expiresAt) > now.getTime()) sub.expiresAt = now.toISOString();
      break;
    case 'grace': {
      const days = Math.max(1, subscriptionProduct(s, sub)?.gracePeriodDays ?? 1);
      sub.status = 'IN_GRACE_PERIOD';
      sub.expiresAt = now.toISOString();
      sub.gracePeriodExpiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
      break;
    }
    case 'revoke': {
      sub.status = 'REVOKED';
      sub.isAutoRenew = false;
      sub.gracePeriodExpiresAt = null;
      const first = s.orders.get(sub.orderId);
      if (first && first.payment === 'paid') {
        first.payment = 'refunded';
        first.refundedAt = now.toISOString();
      }
      break;
    }
  }
  return { ok: true, value: sub };
}

export function subscriptionInfo(s: LedgerState, orderId: string, userKey: number): SubscriptionInfo | null {
  settleSubscriptions(s);
  const order = s.orders.get(orderId);
  if (!order || order.userKey !== userKey || !order.subscriptionId) return null;
  const sub = s.subscriptions.get(order.subscriptionId);
  if (!sub) return null;
  const now = nowMs(s);
  const accessible =
    (sub.status === 'ACTIVE' && (!sub.expiresAt || Date.parse(sub.expiresAt) > now)) ||
    (sub.status === 'IN_GRACE_PERIOD' &&
      !!sub.gracePeriodExpiresAt &&
      Date.parse(sub.gracePeriodExpiresAt) > now);
  return {
    catalogId: sub.catalogId,
    status: sub.status,
    expiresAt: sub.expiresAt,
    isAutoRenew: sub.isAutoRenew,
    gracePeriodExpiresAt: sub.gracePeriodExpiresAt,
    isAccessible: accessible,
  };
}

/**
 * A refunded renewal: its cycle no longer counts, so Toss's paid end shrinks by one cycle (undocumented; the
 * team's reading, shared with the server — see the README's "Subscriptions"). Access ends at once if that end has
 * passed; later renewals still need the subscription to be active.
 */
export function refundRenewal(s: LedgerState, sub: MockSubscription): void {
  const product = subscriptionProduct(s, sub);
  if (sub.paidCycles <= 0 || !product) return;
  sub.paidCycles--;
  sub.expiresAt = cycleEnd(new Date(sub.anchorAt), product.renewalCycle, sub.paidCycles).toISOString();
  if (sub.status === 'ACTIVE' && Date.parse(sub.expiresAt) <= nowMs(s)) {
    sub.status = 'EXPIRED';
    sub.isAutoRenew = false;
  }
}
