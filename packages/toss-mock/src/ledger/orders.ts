/**
 * Orders as the partner API reads them: the three status readings, refunds, pending payments settling, the pending
 * list and the completed-or-refunded history. Orders are created in records.ts.
 */
import type { CompletedOrRefundedPage, OrderStatus, PendingOrder } from '@ait-iap/iap-contract';
import type { GrantEnding } from '../protocol';
import { answerOf, fail, type LedgerResult, type LedgerState, type MockOrder, nowIso, nowMs } from './state';
import { refundRenewal } from './subscriptions';

/** The one `reason` every FAILED order carries. */
const FAILED_REASON = '실패한 주문이에요';

/** An open grant past its deadline ends as 'no-answer' (Toss stops waiting whether or not the page is still there). */
export function settleGrant(s: LedgerState, order: MockOrder): void {
  if (order.grantEnding !== null || order.grantDeadlineAt === null) return;
  if (Date.parse(order.grantDeadlineAt) <= nowMs(s)) setGrantEnding(order, 'no-answer');
}

export function setGrantEnding(order: MockOrder, ending: GrantEnding): void {
  order.grantEnding = ending;
  order.granted = answerOf(ending);
}

/**
 * What a paid order reads under each status reading (see the README's tables):
 * - 'grant-failed' (Toss staff): PAYMENT_COMPLETED until the grant ends; FAILED after `false`, no answer, a late
 *   answer or the app closing; PAYMENT_COMPLETED after `true`.
 * - 'payment-completed' (developers' observation): PAYMENT_COMPLETED whatever the grant callback answered.
 * - 'purchased' (Unity SDK doc): PURCHASED after `true`, else PAYMENT_COMPLETED.
 * completeProductGrant changes nothing (`statusAfterComplete: 'unchanged'`), or makes it read as granted
 * (`'reads-paid'`).
 */
function paidStatus(s: LedgerState, order: MockOrder): 'PAYMENT_COMPLETED' | 'PURCHASED' | 'FAILED' {
  settleGrant(s, order);
  // 'reads-paid': a recovered order (completeProductGrant called) reads as if its grant had reached Toss.
  const ending =
    order.completed && s.options.statusAfterComplete === 'reads-paid' ? 'granted' : order.grantEnding;
  switch (s.options.statusReading) {
    case 'grant-failed':
      return ending === null || ending === 'granted' ? 'PAYMENT_COMPLETED' : 'FAILED';
    case 'payment-completed':
      return 'PAYMENT_COMPLETED';
    case 'purchased':
      return ending === 'granted' ? 'PURCHASED' : 'PAYMENT_COMPLETED';
  }
}

/**
 * get-order-status as the partner API answers it, scoped to the user (another user's order is NOT_FOUND):
 * exactly the documented `{ status, reason }` (the caller adds `orderId`); `sku` only with `revealSku`.
 * One `reason` for every FAILED, so it never tells a failed payment from a failed grant (Toss documents no such hint).
 */
export function orderStatus(
  s: LedgerState,
  orderId: string,
  userKey: number,
): { status: OrderStatus; reason: string | null; sku?: string } {
  const order = s.orders.get(orderId);
  if (!order || order.userKey !== userKey) return { status: 'NOT_FOUND', reason: '주문을 찾을 수 없어요' };
  const withSku = <T extends object>(v: T) => (s.options.revealSku ? { ...v, sku: order.sku } : v);
  if (order.foreign) return withSku({ status: 'MINIAPP_MISMATCH', reason: '이 미니앱의 상품이 아니에요' });
  switch (order.payment) {
    case 'refunded':
      return withSku({ status: 'REFUNDED', reason: '환불된 주문이에요' });
    case 'failed':
      return withSku({ status: 'FAILED', reason: FAILED_REASON });
    case 'in-progress':
      return withSku({ status: 'ORDER_IN_PROGRESS', reason: '결제가 진행 중이에요' });
    case 'paid': {
      const status = paidStatus(s, order);
      return withSku({ status, reason: status === 'FAILED' ? FAILED_REASON : null });
    }
  }
}

export function refund(s: LedgerState, orderId: string): LedgerResult<MockOrder> {
  const order = s.orders.get(orderId);
  if (!order) return fail('NOT_FOUND', `no order ${orderId}`);
  if (order.payment !== 'paid' && order.payment !== 'refunded') {
    return fail('NOT_REFUNDABLE', `order ${orderId} was never paid (${order.payment})`);
  }
  if (order.payment === 'paid') {
    order.payment = 'refunded';
    order.refundedAt = nowIso(s);
    const sub = order.subscriptionId ? s.subscriptions.get(order.subscriptionId) : undefined;
    if (sub && sub.orderId === order.orderId) {
      sub.status = 'REVOKED';
      sub.isAutoRenew = false;
    } else if (sub) {
      refundRenewal(s, sub);
    }
  }
  return { ok: true, value: order };
}

/** `PAYMENT_PENDING` orders can be settled later: paid or failed. */
export function settlePayment(
  s: LedgerState,
  orderId: string,
  to: 'paid' | 'failed',
): LedgerResult<MockOrder> {
  const order = s.orders.get(orderId);
  if (!order) return fail('NOT_FOUND', `no order ${orderId}`);
  if (order.payment !== 'in-progress') return fail('NOT_IN_PROGRESS', `order ${orderId} is ${order.payment}`);
  order.payment = to;
  if (to === 'paid') order.paidAt = nowIso(s);
  return { ok: true, value: order };
}

export function pendingOrders(s: LedgerState, userKey: number): PendingOrder[] {
  return [...s.orders.values()]
    .filter(
      (o) => o.userKey === userKey && o.payment === 'paid' && !o.completed && !o.foreign && !o.renewalOf,
    )
    .map((o) => ({ orderId: o.orderId, sku: o.clientSku, paymentCompletedDate: o.paidAt ?? o.createdAt }));
}

/** A paid order is in the history as COMPLETED after completeProductGrant, or at once (`historyReading`). */
function listedCompleted(s: LedgerState, order: MockOrder): boolean {
  return order.completed || s.options.historyReading === 'after-payment';
}

export function completedOrRefunded(
  s: LedgerState,
  userKey: number,
  key: string | null | undefined,
): LedgerResult<CompletedOrRefundedPage> {
  let offset = 0;
  if (key !== null && key !== undefined && key !== '') {
    const parsed = Number.parseInt(Buffer.from(key, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(parsed) || parsed < 0) return fail('INVALID_KEY', 'unknown page key');
    offset = parsed;
  }
  const dateOf = (o: MockOrder) => o.refundedAt ?? o.completedAt ?? o.paidAt ?? o.createdAt;
  const all = [...s.orders.values()]
    .filter((o) => o.userKey === userKey && !o.foreign)
    .filter((o) => o.payment === 'refunded' || (o.payment === 'paid' && listedCompleted(s, o)))
    .sort((a, b) => dateOf(b).localeCompare(dateOf(a)) || b.orderId.localeCompare(a.orderId));
  const page = all.slice(offset, offset + s.options.pageSize);
  const next = offset + s.options.pageSize;
  const hasNext = next < all.length;
  return {
    ok: true,
    value: {
      hasNext,
      nextKey: hasNext ? Buffer.from(String(next), 'utf8').toString('base64url') : null,
      orders: page.map((o) => ({
        orderId: o.orderId,
        sku: o.clientSku,
        status: o.payment === 'refunded' ? 'REFUNDED' : 'COMPLETED',
        date: dateOf(o),
      })),
    },
  };
}
