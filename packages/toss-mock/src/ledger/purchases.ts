/**
 * Purchases as the browser host drives them: the checkout sheet (begin, cancel, pay), the grant's ending,
 * `completeProductGrant` and the product list. The scenario queue decides each purchase's outcome.
 */
import {
  addMonths,
  type CatalogProduct,
  formatKrw,
  type IapProductListItem,
  type PurchaseResult,
  type SdkIapErrorCode,
  salePrice,
} from '@ait-iap/iap-contract';
import { listProducts, productPrice, sandboxProducts } from '../catalog';
import {
  type AfterPayment,
  type CheckoutRequest,
  type CheckoutResponse,
  type GrantEnding,
  type HostEnvironment,
  type PayResponse,
  type PurchaseOutcome,
  preCheckoutErrors,
  sdkErrorMessages,
} from '../protocol';
import { ensureUser } from './accounts';
import { setGrantEnding, settleGrant } from './orders';
import { newOrder } from './records';
import { takeOutcome } from './scenario';
import {
  type Checkout,
  fail,
  findProduct,
  type LedgerResult,
  type LedgerState,
  type MockOrder,
  nowIso,
  nowMs,
  type Payment,
  token,
} from './state';
import { settleSubscriptions } from './subscriptions';

/** ISO-8601 durations as offers use them: P7D, P2W, P1M, P1Y. Unknown forms count as one month. */
export function addPeriod(from: Date, period: string): Date {
  const match = /^P(\d+)([DWMY])$/.exec(period);
  if (!match) return addMonths(from, 1);
  const n = Number(match[1]);
  switch (match[2]) {
    case 'D':
      return new Date(from.getTime() + n * 86_400_000);
    case 'W':
      return new Date(from.getTime() + 7 * n * 86_400_000);
    case 'M':
      return addMonths(from, n);
    default:
      return addMonths(from, 12 * n);
  }
}

function ownsNow(s: LedgerState, userKey: number, product: CatalogProduct): boolean {
  if (product.type === 'CONSUMABLE') return false;
  if (product.type === 'SUBSCRIPTION') {
    settleSubscriptions(s);
    return [...s.subscriptions.values()].some(
      (sub) =>
        sub.userKey === userKey &&
        sub.sku === product.sku &&
        (sub.status === 'ACTIVE' || sub.status === 'IN_GRACE_PERIOD'),
    );
  }
  return [...s.orders.values()].some(
    (o) => o.userKey === userKey && o.sku === product.sku && o.payment === 'paid',
  );
}

type Priced = Pick<Checkout, 'product' | 'displayName' | 'catalogSku' | 'amount'>;

/** What the request buys and at what price, or why it cannot be bought (INVALID_PRODUCT_ID). */
function priceRequest(s: LedgerState, request: CheckoutRequest): Priced | null {
  if (request.environment === 'sandbox') {
    const test = sandboxProducts.find((p) => p.sku === request.sku);
    if (!test || request.kind !== 'one-time') return null;
    const catalogSku = s.catalog.sandboxSkuMap[test.sku] ?? test.sku;
    const amount = salePrice(test.supplyPrice, s.catalog.feeRateBps);
    return { product: findProduct(s, catalogSku), displayName: test.displayName, catalogSku, amount };
  }
  const product = findProduct(s, request.sku);
  if (!product?.visible) return null;
  const wrongKind = (product.type === 'SUBSCRIPTION') !== (request.kind === 'subscription');
  if (wrongKind && s.options.wrongKindPurchase === 'refused') return null;
  if (
    request.offerId &&
    !(product.type === 'SUBSCRIPTION' && product.offers.some((o) => o.offerId === request.offerId))
  ) {
    return null;
  }
  return {
    product,
    displayName: product.name,
    catalogSku: product.sku,
    amount: productPrice(s.catalog, product),
  };
}

export function beginCheckout(s: LedgerState, request: CheckoutRequest): CheckoutResponse {
  ensureUser(s, request.userKey);
  const reject = (code: SdkIapErrorCode): CheckoutResponse => ({
    ok: false,
    code,
    message: sdkErrorMessages[code],
  });
  const priced = priceRequest(s, request);
  if (!priced) return reject('INVALID_PRODUCT_ID');
  if (priced.product && ownsNow(s, request.userKey, priced.product)) return reject('ITEM_ALREADY_OWNED');
  const outcome = takeOutcome(s, request.userKey);
  if ((preCheckoutErrors as readonly string[]).includes(outcome)) return reject(outcome as SdkIapErrorCode);
  const checkoutId = token('checkout');
  s.checkouts.set(checkoutId, {
    checkoutId,
    userKey: request.userKey,
    clientSku: request.sku,
    ...priced,
    kind: request.kind,
    offerId: request.offerId ?? null,
    outcome,
    legacy: request.legacy === true,
  });
  const { displayName, amount } = priced;
  return { ok: true, checkoutId, displayName, displayAmount: formatKrw(amount), amount };
}

export function cancelCheckout(s: LedgerState, checkoutId: string): boolean {
  return s.checkouts.delete(checkoutId);
}

/** The offer's period is free: the paid cycles start counting at its end. */
function applyOffer(s: LedgerState, checkout: Checkout, order: MockOrder): void {
  if (checkout.product?.type !== 'SUBSCRIPTION' || !order.subscriptionId || !checkout.offerId) return;
  const sub = s.subscriptions.get(order.subscriptionId);
  const offer = checkout.product.offers.find((o) => o.offerId === checkout.offerId);
  if (!sub || !offer) return;
  const end = addPeriod(new Date(order.createdAt), offer.period);
  sub.expiresAt = end.toISOString();
  sub.anchorDay = end.getUTCDate();
  sub.anchorAt = end.toISOString();
  sub.paidCycles = 0;
}

/** What the host does once the payment went through. */
function afterPaymentOf(outcome: PurchaseOutcome): AfterPayment {
  if (
    outcome === 'close-after-payment' ||
    outcome === 'close-during-grant' ||
    outcome === 'close-after-grant'
  ) {
    return outcome;
  }
  return outcome === 'PRODUCT_NOT_GRANTED_BY_PARTNER' ? 'not-granted' : 'grant';
}

function paidResponse(s: LedgerState, checkout: Checkout, order: MockOrder): PayResponse {
  const result: PurchaseResult = {
    orderId: order.orderId,
    displayName: checkout.displayName,
    displayAmount: formatKrw(checkout.amount),
    amount: checkout.amount,
    currency: 'KRW',
    fraction: 0,
    miniAppIconUrl: null,
  };
  return {
    ok: true,
    orderId: order.orderId,
    ...(order.subscriptionId ? { subscriptionId: order.subscriptionId } : {}),
    result,
    after: afterPaymentOf(checkout.outcome),
    grantDeadlineMs: s.options.grantDeadlineMs,
  };
}

export function payCheckout(s: LedgerState, checkoutId: string): LedgerResult<PayResponse> {
  const checkout = s.checkouts.get(checkoutId);
  if (!checkout) return fail('UNKNOWN_CHECKOUT', 'unknown or finished checkout');
  s.checkouts.delete(checkoutId);
  const { outcome } = checkout;
  const reject = (code: SdkIapErrorCode, orderId?: string): LedgerResult<PayResponse> => ({
    ok: true,
    value: { ok: false, code, message: sdkErrorMessages[code], ...(orderId ? { orderId } : {}) },
  });
  const make = (payment: Payment) =>
    newOrder(s, {
      userKey: checkout.userKey,
      sku: checkout.catalogSku,
      clientSku: checkout.clientSku,
      payment,
      amount: checkout.amount,
      startsSubscription: checkout.kind === 'subscription',
    });
  if (outcome === 'NETWORK_ERROR' || outcome === 'INTERNAL_ERROR') return reject(outcome);
  if (outcome === 'PAYMENT_PENDING') return reject(outcome, make('in-progress').orderId);
  if (outcome === 'APP_MARKET_VERIFICATION_FAILED') return reject(outcome, make('failed').orderId);
  const order = make('paid');
  applyOffer(s, checkout, order);
  if (outcome === 'TOSS_SERVER_VERIFICATION_FAILED') return reject(outcome, order.orderId);
  if (outcome === 'complete-fails') order.completeFailures = 1;
  // The grant step starts now: Toss waits `grantDeadlineMs` for the answer (legacy apps: Toss never asks).
  if (!checkout.legacy) order.grantDeadlineAt = new Date(nowMs(s) + s.options.grantDeadlineMs).toISOString();
  return { ok: true, value: paidResponse(s, checkout, order) };
}

/**
 * How the grant ended (the host reports every path: an answer, no answer by the deadline, the app closing).
 * Only the first ending counts, and an answer after the deadline is too late: the order keeps 'no-answer'.
 */
export function endGrant(
  s: LedgerState,
  orderId: string,
  ending: GrantEnding,
  userKey?: number,
): LedgerResult<MockOrder> {
  const order = s.orders.get(orderId);
  if (!order || (userKey !== undefined && order.userKey !== userKey)) {
    return fail('NOT_FOUND', `no order ${orderId}${userKey === undefined ? '' : ' for this user'}`);
  }
  settleGrant(s, order);
  if (order.grantEnding === null) setGrantEnding(order, ending);
  return { ok: true, value: order };
}

type CompleteResult = { ok: true; value: boolean } | { ok: false; code: SdkIapErrorCode; message: string };

export function completeGrant(s: LedgerState, orderId: string, userKey: number): CompleteResult {
  const order = s.orders.get(orderId);
  if (!order || order.userKey !== userKey) return { ok: true, value: false };
  if (order.completeFailures > 0) {
    order.completeFailures--;
    return { ok: false, code: 'NETWORK_ERROR', message: sdkErrorMessages.NETWORK_ERROR };
  }
  if (order.payment !== 'paid') return { ok: true, value: false };
  if (!order.completed) {
    order.completed = true;
    order.completedAt = nowIso(s);
  }
  return { ok: true, value: true };
}

export function products(s: LedgerState, environment: HostEnvironment): IapProductListItem[] {
  return listProducts(s.catalog, environment, s.iconBaseUrl);
}
