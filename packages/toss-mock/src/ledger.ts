/**
 * THE ledger of the mock: users, login codes and tokens, orders, subscriptions, scenario queue and faults. Both the
 * partner API (Node) and the browser host (through the control port) read and change this one object, so what the
 * mini-app sees and what the server verifies always agree. Time comes from the mock clock only.
 * You probably don't need to edit this file unless you add a scenario (see protocol.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  addCycle,
  addMonths,
  type Catalog,
  type CatalogProduct,
  type CompletedOrRefundedPage,
  cycleEnd,
  formatKrw,
  type IapProductListItem,
  type OrderStatus,
  type PendingOrder,
  type PurchaseResult,
  type SdkIapErrorCode,
  type StatusReading,
  type SubscriptionInfo,
  type SubscriptionStatus,
  salePrice,
} from '@ait-iap/iap-contract';
import { listProducts, productPrice, sandboxProducts } from './catalog';
import type { MockClock } from './clock';
import {
  type AfterPayment,
  type CheckoutRequest,
  type CheckoutResponse,
  type GrantEnding,
  type HistoryReading,
  type HostEnvironment,
  type PayResponse,
  type PurchaseKind,
  type PurchaseOutcome,
  preCheckoutErrors,
  type StatusAfterComplete,
  sdkErrorMessages,
  type WrongKindPurchase,
} from './protocol';
import { uuidv7 } from './uuid';

/** The one `reason` every FAILED order carries. */
const FAILED_REASON = '실패한 주문이에요';

/** The answer Toss received for a grant ending (null: none reached it). */
const answerOf = (ending: GrantEnding | null): boolean | null =>
  ending === 'granted' ? true : ending === 'not-granted' ? false : null;

export const AUTH_CODE_TTL_MS = 10 * 60 * 1000;
export const ACCESS_TOKEN_TTL_MS = 60 * 60 * 1000;
export const REFRESH_TOKEN_TTL_MS = 14 * 24 * 60 * 60 * 1000;

export interface MockUser {
  userKey: number;
  createdAt: string;
}

interface AuthCode {
  code: string;
  userKey: number;
  referrer: 'DEFAULT' | 'SANDBOX';
  expiresAt: number;
  used: boolean;
}

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  userKey: number;
  accessExpiresAt: number;
  refreshExpiresAt: number;
  revoked: boolean;
}

/** Where the money is. `paid` reads PAYMENT_COMPLETED, PURCHASED or FAILED by the status reading (see `orderStatus`). */
export type Payment = 'paid' | 'failed' | 'in-progress' | 'refunded';

export interface MockOrder {
  orderId: string;
  userKey: number;
  /** The catalog SKU (a sandbox purchase is mapped through `sandboxSkuMap`). */
  sku: string;
  /** The SKU the mini-app saw and asked for (differs from `sku` only in the sandbox). */
  clientSku: string;
  /** The SKU is not in this app's catalog: the order belongs to another mini-app (MINIAPP_MISMATCH). */
  foreign: boolean;
  payment: Payment;
  /** The grant callback's answer as Toss received it: null = no answer received (yet). Follows `grantEnding`. */
  granted: boolean | null;
  /** How the grant ended; null = still open (in progress, or an order with no grant step: legacy apps, control API). */
  grantEnding: GrantEnding | null;
  /** When an open grant ends as 'no-answer' by itself (mock clock); null = no deadline. */
  grantDeadlineAt: string | null;
  /** `completeProductGrant` was called for it. */
  completed: boolean;
  amount: number;
  createdAt: string;
  paidAt: string | null;
  completedAt: string | null;
  refundedAt: string | null;
  subscriptionId: string | null;
  /** Renewal orders point at the subscription's first order. */
  renewalOf: string | null;
  /** How many upcoming `completeProductGrant` calls for this order fail ('complete-fails'). */
  completeFailures: number;
}

export interface MockSubscription {
  subscriptionId: string;
  orderId: string;
  userKey: number;
  sku: string;
  catalogId: number;
  status: SubscriptionStatus;
  expiresAt: string | null;
  isAutoRenew: boolean;
  gracePeriodExpiresAt: string | null;
  renewals: number;
  /** Day of month (UTC) periods end on, clamped to shorter months: Jan 31 → Feb 28 → Mar 31. */
  anchorDay: number;
  /**
   * Where the paid cycles are counted from (the first payment, the end of a free trial, or a restart after a lapse):
   * `expiresAt` = cycleEnd(anchorAt, cycle, paidCycles) — the contract's calendar, the one the server uses.
   */
  anchorAt: string;
  /** Paid cycles since `anchorAt` that still count: a refunded renewal no longer does (the team's reading). */
  paidCycles: number;
}

export type FaultKind = 'latency' | 'error5xx' | 'timeout' | 'malformed';
export interface Fault {
  id: number;
  kind: FaultKind;
  rate: number;
  ms: number;
  /** Remaining matches; null = unlimited. */
  count: number | null;
  path: string | null;
}

export interface QueuedOutcome {
  outcome: PurchaseOutcome;
  userKey: number | null;
}

interface Checkout {
  checkoutId: string;
  userKey: number;
  clientSku: string;
  product: CatalogProduct | null;
  catalogSku: string;
  kind: PurchaseKind;
  offerId: string | null;
  displayName: string;
  amount: number;
  outcome: PurchaseOutcome;
  /** A legacy (old Toss app) purchase: Toss never waits for a grant answer. */
  legacy: boolean;
}

export interface LedgerOptions {
  statusReading: StatusReading;
  grantDeadlineMs: number;
  /** Add the undocumented `sku` to get-order-status answers (default false: exactly `{ orderId, status, reason }`). */
  revealSku: boolean;
  /** Orders per page of getCompletedOrRefundedOrders. */
  pageSize: number;
  /** Undocumented rules, as named readings (protocol.ts). Defaults: the first of each. */
  historyReading: HistoryReading;
  statusAfterComplete: StatusAfterComplete;
  wrongKindPurchase: WrongKindPurchase;
}

export const defaultUndocumentedReadings = {
  historyReading: 'after-complete-grant',
  statusAfterComplete: 'unchanged',
  wrongKindPurchase: 'refused',
} as const satisfies Pick<LedgerOptions, 'historyReading' | 'statusAfterComplete' | 'wrongKindPurchase'>;

export type LedgerResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

function fail(code: string, message: string): { ok: false; code: string; message: string } {
  return { ok: false, code, message };
}

export interface CreateLedgerDeps {
  clock: MockClock;
  catalog: Catalog;
  options: LedgerOptions;
  /** Where product icons are served (the control API's URL); set once it listens (`setIconBaseUrl`). */
  iconBaseUrl?: string;
}

export type MockState = ReturnType<typeof createLedger>;

export function createLedger(deps: CreateLedgerDeps) {
  const { clock } = deps;
  let catalog = deps.catalog;
  let iconBaseUrl = deps.iconBaseUrl ?? 'http://127.0.0.1:3101';
  const initialOptions = { ...deps.options };
  const options: LedgerOptions = { ...deps.options };
  const users = new Map<number, MockUser>();
  const codes = new Map<string, AuthCode>();
  const tokens: TokenPair[] = [];
  const orders = new Map<string, MockOrder>();
  const subscriptions = new Map<string, MockSubscription>();
  const checkouts = new Map<string, Checkout>();
  const outcomes: QueuedOutcome[] = [];
  const faults: Fault[] = [];
  // A random 9-digit start, kept across resets: a browser that remembers user 123456789 from an earlier run
  // never silently becomes the user a test or the seed script just created.
  let nextUserKey = 100_000_000 + (randomBytes(4).readUInt32BE(0) % 800_000_000);
  let nextFaultId = 1;

  const nowMs = () => clock.now().getTime();
  const nowIso = () => clock.now().toISOString();
  const token = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;
  const findProduct = (sku: string) => catalog.products.find((p) => p.sku === sku) ?? null;
  const catalogId = (sku: string) => catalog.products.findIndex((p) => p.sku === sku) + 1;

  // ── users and login ────────────────────────────────────────────────────────────────────────────────────────
  function ensureUser(userKey?: number): MockUser {
    if (userKey !== undefined) {
      const existing = users.get(userKey);
      if (existing) return existing;
      const user = { userKey, createdAt: nowIso() };
      users.set(userKey, user);
      nextUserKey = Math.max(nextUserKey, userKey + 1);
      return user;
    }
    const user = { userKey: nextUserKey++, createdAt: nowIso() };
    users.set(user.userKey, user);
    return user;
  }

  /** A one-time authorization code, valid 10 minutes (what `appLogin()` returns). */
  function issueAuthorizationCode(userKey: number, referrer: 'DEFAULT' | 'SANDBOX' = 'DEFAULT'): string {
    ensureUser(userKey);
    const code = token('code');
    codes.set(code, { code, userKey, referrer, expiresAt: nowMs() + AUTH_CODE_TTL_MS, used: false });
    return code;
  }

  function newTokenPair(userKey: number): TokenPair {
    const pair = {
      accessToken: token('at'),
      refreshToken: token('rt'),
      userKey,
      accessExpiresAt: nowMs() + ACCESS_TOKEN_TTL_MS,
      refreshExpiresAt: nowMs() + REFRESH_TOKEN_TTL_MS,
      revoked: false,
    };
    tokens.push(pair);
    return pair;
  }

  function exchangeCode(code: string, referrer: string): LedgerResult<TokenPair> {
    const record = codes.get(code);
    if (!record) return fail('INVALID_AUTHORIZATION_CODE', 'unknown authorization code');
    if (record.used) return fail('INVALID_AUTHORIZATION_CODE', 'authorization code already used');
    if (record.expiresAt <= nowMs()) return fail('INVALID_AUTHORIZATION_CODE', 'authorization code expired');
    if (record.referrer !== referrer) {
      return fail(
        'INVALID_AUTHORIZATION_CODE',
        `referrer ${referrer} does not match the code (${record.referrer})`,
      );
    }
    record.used = true;
    return { ok: true, value: newTokenPair(record.userKey) };
  }

  function refresh(refreshToken: string): LedgerResult<TokenPair> {
    const pair = tokens.find((t) => t.refreshToken === refreshToken);
    if (!pair || pair.revoked) return fail('INVALID_REFRESH_TOKEN', 'unknown or revoked refresh token');
    if (pair.refreshExpiresAt <= nowMs()) return fail('INVALID_REFRESH_TOKEN', 'refresh token expired');
    pair.revoked = true;
    return { ok: true, value: newTokenPair(pair.userKey) };
  }

  function userForAccessToken(accessToken: string): LedgerResult<TokenPair> {
    const pair = tokens.find((t) => t.accessToken === accessToken);
    if (!pair || pair.revoked) return fail('INVALID_ACCESS_TOKEN', 'unknown or revoked access token');
    if (pair.accessExpiresAt <= nowMs()) return fail('INVALID_ACCESS_TOKEN', 'access token expired');
    return { ok: true, value: pair };
  }

  function revokeAccessToken(accessToken: string): LedgerResult<true> {
    const found = userForAccessToken(accessToken);
    if (!found.ok) return found;
    found.value.revoked = true;
    return { ok: true, value: true };
  }

  function revokeUserTokens(userKey: number): number {
    let n = 0;
    for (const pair of tokens) {
      if (pair.userKey === userKey && !pair.revoked) {
        pair.revoked = true;
        n++;
      }
    }
    return n;
  }

  // ── orders ─────────────────────────────────────────────────────────────────────────────────────────────────
  function newOrder(fields: {
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
  }): MockOrder {
    const product = findProduct(fields.sku);
    const at = nowIso();
    const grantEnding = fields.grantEnding ?? null;
    const order: MockOrder = {
      orderId: uuidv7(clock.now()),
      userKey: fields.userKey,
      sku: fields.sku,
      clientSku: fields.clientSku ?? fields.sku,
      foreign: product === null,
      payment: fields.payment,
      granted: answerOf(grantEnding),
      grantEnding,
      grantDeadlineAt: null,
      completed: fields.completed ?? false,
      amount: fields.amount ?? (product ? productPrice(catalog, product) : 0),
      createdAt: at,
      paidAt: fields.payment === 'paid' || fields.payment === 'refunded' ? at : null,
      completedAt: fields.completed ? at : null,
      refundedAt: fields.payment === 'refunded' ? at : null,
      subscriptionId: null,
      renewalOf: fields.renewalOf ?? null,
      completeFailures: 0,
    };
    orders.set(order.orderId, order);
    const starts = fields.startsSubscription ?? true;
    if (
      product?.type === 'SUBSCRIPTION' &&
      starts &&
      order.renewalOf === null &&
      order.payment !== 'failed'
    ) {
      startSubscription(order, product);
    }
    return order;
  }

  /** `POST /__mock/orders`: an order made outside the app (or of another mini-app when the SKU is unknown). */
  function createOrder(input: { userKey: number; sku: string; status?: ControlOrderStatus }): MockOrder {
    ensureUser(input.userKey);
    const status = input.status ?? 'PAYMENT_COMPLETED';
    type Shape = Pick<MockOrder, 'payment' | 'grantEnding' | 'completed'>;
    const shape: Record<ControlOrderStatus, Shape> = {
      PAYMENT_COMPLETED: { payment: 'paid', grantEnding: null, completed: false },
      PURCHASED: { payment: 'paid', grantEnding: 'granted', completed: false },
      COMPLETED: { payment: 'paid', grantEnding: 'granted', completed: true },
      ORDER_IN_PROGRESS: { payment: 'in-progress', grantEnding: null, completed: false },
      FAILED: { payment: 'failed', grantEnding: null, completed: false },
      REFUNDED: { payment: 'refunded', grantEnding: null, completed: false },
    };
    return newOrder({ userKey: input.userKey, sku: input.sku, ...shape[status] });
  }

  /** An open grant past its deadline ends as 'no-answer' (Toss stops waiting whether or not the page is still there). */
  function settleGrant(order: MockOrder): void {
    if (order.grantEnding !== null || order.grantDeadlineAt === null) return;
    if (Date.parse(order.grantDeadlineAt) <= nowMs()) setGrantEnding(order, 'no-answer');
  }

  function setGrantEnding(order: MockOrder, ending: GrantEnding): void {
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
  function paidStatus(order: MockOrder): 'PAYMENT_COMPLETED' | 'PURCHASED' | 'FAILED' {
    settleGrant(order);
    // 'reads-paid': a recovered order (completeProductGrant called) reads as if its grant had reached Toss.
    const ending =
      order.completed && options.statusAfterComplete === 'reads-paid' ? 'granted' : order.grantEnding;
    switch (options.statusReading) {
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
  function orderStatus(
    orderId: string,
    userKey: number,
  ): { status: OrderStatus; reason: string | null; sku?: string } {
    const order = orders.get(orderId);
    if (!order || order.userKey !== userKey) return { status: 'NOT_FOUND', reason: '주문을 찾을 수 없어요' };
    const withSku = <T extends object>(v: T) => (options.revealSku ? { ...v, sku: order.sku } : v);
    if (order.foreign) return withSku({ status: 'MINIAPP_MISMATCH', reason: '이 미니앱의 상품이 아니에요' });
    switch (order.payment) {
      case 'refunded':
        return withSku({ status: 'REFUNDED', reason: '환불된 주문이에요' });
      case 'failed':
        return withSku({ status: 'FAILED', reason: FAILED_REASON });
      case 'in-progress':
        return withSku({ status: 'ORDER_IN_PROGRESS', reason: '결제가 진행 중이에요' });
      case 'paid': {
        const status = paidStatus(order);
        return withSku({ status, reason: status === 'FAILED' ? FAILED_REASON : null });
      }
    }
  }

  function refund(orderId: string): LedgerResult<MockOrder> {
    const order = orders.get(orderId);
    if (!order) return fail('NOT_FOUND', `no order ${orderId}`);
    if (order.payment !== 'paid' && order.payment !== 'refunded') {
      return fail('NOT_REFUNDABLE', `order ${orderId} was never paid (${order.payment})`);
    }
    if (order.payment === 'paid') {
      order.payment = 'refunded';
      order.refundedAt = nowIso();
      const sub = order.subscriptionId ? subscriptions.get(order.subscriptionId) : undefined;
      if (sub && sub.orderId === order.orderId) {
        sub.status = 'REVOKED';
        sub.isAutoRenew = false;
      } else if (sub) {
        refundRenewal(sub);
      }
    }
    return { ok: true, value: order };
  }

  /**
   * A refunded renewal: its cycle no longer counts, so Toss's paid end shrinks by one cycle (undocumented; the
   * team's reading, shared with the server — see the README's "Subscriptions"). Access ends at once if that end has
   * passed; later renewals still need the subscription to be active.
   */
  function refundRenewal(sub: MockSubscription): void {
    const product = subscriptionProduct(sub);
    if (sub.paidCycles <= 0 || !product) return;
    sub.paidCycles--;
    sub.expiresAt = cycleEnd(new Date(sub.anchorAt), product.renewalCycle, sub.paidCycles).toISOString();
    if (sub.status === 'ACTIVE' && Date.parse(sub.expiresAt) <= nowMs()) {
      sub.status = 'EXPIRED';
      sub.isAutoRenew = false;
    }
  }

  /** `PAYMENT_PENDING` orders can be settled later: paid or failed. */
  function settlePayment(orderId: string, to: 'paid' | 'failed'): LedgerResult<MockOrder> {
    const order = orders.get(orderId);
    if (!order) return fail('NOT_FOUND', `no order ${orderId}`);
    if (order.payment !== 'in-progress')
      return fail('NOT_IN_PROGRESS', `order ${orderId} is ${order.payment}`);
    order.payment = to;
    if (to === 'paid') order.paidAt = nowIso();
    return { ok: true, value: order };
  }

  function pendingOrders(userKey: number): PendingOrder[] {
    return [...orders.values()]
      .filter(
        (o) => o.userKey === userKey && o.payment === 'paid' && !o.completed && !o.foreign && !o.renewalOf,
      )
      .map((o) => ({ orderId: o.orderId, sku: o.clientSku, paymentCompletedDate: o.paidAt ?? o.createdAt }));
  }

  /** A paid order is in the history as COMPLETED after completeProductGrant, or at once (`historyReading`). */
  function listedCompleted(order: MockOrder): boolean {
    return order.completed || options.historyReading === 'after-payment';
  }

  function completedOrRefunded(
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
    const all = [...orders.values()]
      .filter((o) => o.userKey === userKey && !o.foreign)
      .filter((o) => o.payment === 'refunded' || (o.payment === 'paid' && listedCompleted(o)))
      .sort((a, b) => dateOf(b).localeCompare(dateOf(a)) || b.orderId.localeCompare(a.orderId));
    const page = all.slice(offset, offset + options.pageSize);
    const next = offset + options.pageSize;
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

  // ── purchases (driven by the browser host) ─────────────────────────────────────────────────────────────────
  function queueOutcome(outcome: PurchaseOutcome, userKey: number | null): void {
    outcomes.push({ outcome, userKey });
  }

  function takeOutcome(userKey: number): PurchaseOutcome {
    let index = outcomes.findIndex((o) => o.userKey === userKey);
    if (index < 0) index = outcomes.findIndex((o) => o.userKey === null);
    if (index < 0) return 'success';
    const [taken] = outcomes.splice(index, 1);
    return taken!.outcome;
  }

  function ownsNow(userKey: number, product: CatalogProduct): boolean {
    if (product.type === 'CONSUMABLE') return false;
    if (product.type === 'SUBSCRIPTION') {
      settleSubscriptions();
      return [...subscriptions.values()].some(
        (s) =>
          s.userKey === userKey &&
          s.sku === product.sku &&
          (s.status === 'ACTIVE' || s.status === 'IN_GRACE_PERIOD'),
      );
    }
    return [...orders.values()].some(
      (o) => o.userKey === userKey && o.sku === product.sku && o.payment === 'paid',
    );
  }

  function beginCheckout(request: CheckoutRequest): CheckoutResponse {
    ensureUser(request.userKey);
    const reject = (code: SdkIapErrorCode): CheckoutResponse => ({
      ok: false,
      code,
      message: sdkErrorMessages[code],
    });
    let product: CatalogProduct | null;
    let displayName: string;
    let catalogSku: string;
    let amount: number;
    if (request.environment === 'sandbox') {
      const test = sandboxProducts.find((p) => p.sku === request.sku);
      if (!test || request.kind !== 'one-time') return reject('INVALID_PRODUCT_ID');
      catalogSku = catalog.sandboxSkuMap[test.sku] ?? test.sku;
      product = findProduct(catalogSku);
      displayName = test.displayName;
      amount = salePrice(test.supplyPrice, catalog.feeRateBps);
    } else {
      product = findProduct(request.sku);
      if (!product?.visible) return reject('INVALID_PRODUCT_ID');
      const wrongKind = (product.type === 'SUBSCRIPTION') !== (request.kind === 'subscription');
      if (wrongKind && options.wrongKindPurchase === 'refused') return reject('INVALID_PRODUCT_ID');
      if (
        request.offerId &&
        !(product.type === 'SUBSCRIPTION' && product.offers.some((o) => o.offerId === request.offerId))
      ) {
        return reject('INVALID_PRODUCT_ID');
      }
      catalogSku = product.sku;
      displayName = product.name;
      amount = productPrice(catalog, product);
    }
    if (product && ownsNow(request.userKey, product)) return reject('ITEM_ALREADY_OWNED');
    const outcome = takeOutcome(request.userKey);
    if ((preCheckoutErrors as readonly string[]).includes(outcome)) return reject(outcome as SdkIapErrorCode);
    const checkoutId = token('checkout');
    checkouts.set(checkoutId, {
      checkoutId,
      userKey: request.userKey,
      clientSku: request.sku,
      product,
      catalogSku,
      kind: request.kind,
      offerId: request.offerId ?? null,
      displayName,
      amount,
      outcome,
      legacy: request.legacy === true,
    });
    return { ok: true, checkoutId, displayName, displayAmount: formatKrw(amount), amount };
  }

  function cancelCheckout(checkoutId: string): boolean {
    return checkouts.delete(checkoutId);
  }

  function payCheckout(checkoutId: string): LedgerResult<PayResponse> {
    const checkout = checkouts.get(checkoutId);
    if (!checkout) return fail('UNKNOWN_CHECKOUT', 'unknown or finished checkout');
    checkouts.delete(checkoutId);
    const { outcome } = checkout;
    const reject = (code: SdkIapErrorCode, orderId?: string): LedgerResult<PayResponse> => ({
      ok: true,
      value: { ok: false, code, message: sdkErrorMessages[code], ...(orderId ? { orderId } : {}) },
    });
    const make = (payment: Payment) =>
      newOrder({
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
    if (checkout.product?.type === 'SUBSCRIPTION' && order.subscriptionId && checkout.offerId) {
      const sub = subscriptions.get(order.subscriptionId);
      const offer = checkout.product.offers.find((o) => o.offerId === checkout.offerId);
      if (sub && offer) {
        // The offer's period is free: the paid cycles start counting at its end.
        const end = addPeriod(new Date(order.createdAt), offer.period);
        sub.expiresAt = end.toISOString();
        sub.anchorDay = end.getUTCDate();
        sub.anchorAt = end.toISOString();
        sub.paidCycles = 0;
      }
    }
    if (outcome === 'TOSS_SERVER_VERIFICATION_FAILED') return reject(outcome, order.orderId);
    if (outcome === 'complete-fails') order.completeFailures = 1;
    const after: AfterPayment =
      outcome === 'close-after-payment' || outcome === 'close-during-grant' || outcome === 'close-after-grant'
        ? outcome
        : outcome === 'PRODUCT_NOT_GRANTED_BY_PARTNER'
          ? 'not-granted'
          : 'grant';
    // The grant step starts now: Toss waits `grantDeadlineMs` for the answer (legacy apps: Toss never asks).
    if (!checkout.legacy) {
      order.grantDeadlineAt = new Date(nowMs() + options.grantDeadlineMs).toISOString();
    }
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
      value: {
        ok: true,
        orderId: order.orderId,
        ...(order.subscriptionId ? { subscriptionId: order.subscriptionId } : {}),
        result,
        after,
        grantDeadlineMs: options.grantDeadlineMs,
      },
    };
  }

  /**
   * How the grant ended (the host reports every path: an answer, no answer by the deadline, the app closing).
   * Only the first ending counts, and an answer after the deadline is too late: the order keeps 'no-answer'.
   */
  function endGrant(orderId: string, ending: GrantEnding, userKey?: number): LedgerResult<MockOrder> {
    const order = orders.get(orderId);
    if (!order || (userKey !== undefined && order.userKey !== userKey)) {
      return fail('NOT_FOUND', `no order ${orderId}${userKey === undefined ? '' : ' for this user'}`);
    }
    settleGrant(order);
    if (order.grantEnding === null) setGrantEnding(order, ending);
    return { ok: true, value: order };
  }

  type CompleteResult = { ok: true; value: boolean } | { ok: false; code: SdkIapErrorCode; message: string };
  function completeGrant(orderId: string, userKey: number): CompleteResult {
    const order = orders.get(orderId);
    if (!order || order.userKey !== userKey) return { ok: true, value: false };
    if (order.completeFailures > 0) {
      order.completeFailures--;
      return { ok: false, code: 'NETWORK_ERROR', message: sdkErrorMessages.NETWORK_ERROR };
    }
    if (order.payment !== 'paid') return { ok: true, value: false };
    if (!order.completed) {
      order.completed = true;
      order.completedAt = nowIso();
    }
    return { ok: true, value: true };
  }

  function products(environment: HostEnvironment): IapProductListItem[] {
    return listProducts(catalog, environment, iconBaseUrl);
  }

  // ── subscriptions ──────────────────────────────────────────────────────────────────────────────────────────
  function startSubscription(order: MockOrder, product: CatalogProduct & { type: 'SUBSCRIPTION' }): void {
    const subscriptionId = uuidv7(clock.now());
    const start = new Date(order.createdAt);
    order.subscriptionId = subscriptionId;
    subscriptions.set(subscriptionId, {
      subscriptionId,
      orderId: order.orderId,
      userKey: order.userKey,
      sku: product.sku,
      catalogId: catalogId(product.sku),
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

  function subscriptionProduct(sub: MockSubscription) {
    const product = findProduct(sub.sku);
    return product?.type === 'SUBSCRIPTION' ? product : null;
  }

  function renewOnce(sub: MockSubscription): void {
    const product = subscriptionProduct(sub);
    const cycle = product?.renewalCycle ?? 'MONTHLY';
    // An active subscription extends from its end; a lapsed one starts a new period (and day of month) now.
    const continues = sub.status === 'ACTIVE' && sub.expiresAt !== null && Date.parse(sub.expiresAt) > 0;
    if (continues) {
      sub.paidCycles++;
    } else {
      sub.anchorAt = nowIso();
      sub.anchorDay = clock.now().getUTCDate();
      sub.paidCycles = 1;
    }
    sub.expiresAt = cycleEnd(new Date(sub.anchorAt), cycle, sub.paidCycles).toISOString();
    sub.status = 'ACTIVE';
    sub.gracePeriodExpiresAt = null;
    sub.isAutoRenew = true;
    sub.renewals++;
    const renewal = newOrder({
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
  function settleSubscriptions(): void {
    const now = nowMs();
    for (const sub of subscriptions.values()) {
      if (sub.status === 'ACTIVE' && sub.expiresAt && Date.parse(sub.expiresAt) <= now) {
        if (!sub.isAutoRenew) {
          sub.status = 'EXPIRED';
          continue;
        }
        for (let i = 0; i < 1000 && sub.expiresAt && Date.parse(sub.expiresAt) <= now; i++) renewOnce(sub);
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

  function subscriptionAction(orderId: string, action: SubscriptionAction): LedgerResult<MockSubscription> {
    const order = orders.get(orderId);
    const sub = order?.subscriptionId ? subscriptions.get(order.subscriptionId) : undefined;
    if (!order || !sub) return fail('NOT_FOUND', `no subscription for order ${orderId}`);
    settleSubscriptions();
    const now = clock.now();
    switch (action) {
      case 'renew':
        renewOnce(sub);
        break;
      case 'expire':
        sub.status = 'EXPIRED';
        sub.isAutoRenew = false;
        sub.gracePeriodExpiresAt = null;
        if (!sub.expiresAt || Date.parse(sub.expiresAt) > now.getTime()) sub.expiresAt = now.toISOString();
        break;
      case 'grace': {
        const days = Math.max(1, subscriptionProduct(sub)?.gracePeriodDays ?? 1);
        sub.status = 'IN_GRACE_PERIOD';
        sub.expiresAt = now.toISOString();
        sub.gracePeriodExpiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
        break;
      }
      case 'revoke': {
        sub.status = 'REVOKED';
        sub.isAutoRenew = false;
        sub.gracePeriodExpiresAt = null;
        const first = orders.get(sub.orderId);
        if (first && first.payment === 'paid') {
          first.payment = 'refunded';
          first.refundedAt = now.toISOString();
        }
        break;
      }
    }
    return { ok: true, value: sub };
  }

  function subscriptionInfo(orderId: string, userKey: number): SubscriptionInfo | null {
    settleSubscriptions();
    const order = orders.get(orderId);
    if (!order || order.userKey !== userKey || !order.subscriptionId) return null;
    const sub = subscriptions.get(order.subscriptionId);
    if (!sub) return null;
    const now = nowMs();
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

  // ── faults ─────────────────────────────────────────────────────────────────────────────────────────────────
  function addFault(input: {
    kind: FaultKind;
    rate?: number;
    ms?: number;
    count?: number;
    path?: string;
  }): Fault {
    const fault: Fault = {
      id: nextFaultId++,
      kind: input.kind,
      rate: input.rate ?? 1,
      ms: input.ms ?? (input.kind === 'latency' ? 500 : 0),
      count: input.count ?? null,
      path: input.path ?? null,
    };
    faults.push(fault);
    return fault;
  }

  /** Faults that hit this request (their counts are used up). `random` decides the rate. */
  function faultsFor(path: string, random: () => number): Fault[] {
    const hits: Fault[] = [];
    for (const fault of faults) {
      if (fault.path !== null && fault.path !== path) continue;
      if (fault.count !== null && fault.count <= 0) continue;
      if (fault.rate < 1 && random() >= fault.rate) continue;
      if (fault.count !== null) fault.count--;
      hits.push(fault);
    }
    return hits;
  }

  // ── control ────────────────────────────────────────────────────────────────────────────────────────────────
  function setCatalog(next: Catalog): void {
    catalog = next;
    for (const order of orders.values()) order.foreign = findProduct(order.sku) === null;
  }

  function setOptions(next: Partial<LedgerOptions>): LedgerOptions {
    Object.assign(options, next);
    return { ...options };
  }

  function reset(): void {
    users.clear();
    codes.clear();
    tokens.length = 0;
    orders.clear();
    subscriptions.clear();
    checkouts.clear();
    outcomes.length = 0;
    faults.length = 0;
    clock.reset();
    Object.assign(options, initialOptions);
  }

  function snapshot() {
    settleSubscriptions();
    return {
      clock: { now: nowIso(), offsetMs: clock.offsetMs() },
      reading: options.statusReading,
      options: { ...options },
      users: [...users.values()],
      orders: [...orders.values()].map((o) => ({ ...o, status: orderStatus(o.orderId, o.userKey).status })),
      subscriptions: [...subscriptions.values()].map((s) => ({
        ...s,
        isAccessible: subscriptionInfo(s.orderId, s.userKey)?.isAccessible ?? false,
      })),
      nextPurchase: [...outcomes],
      faults: faults.map((f) => ({ ...f })),
      catalog: { products: catalog.products.length, feeRateBps: catalog.feeRateBps },
    };
  }

  return {
    // data, for tests
    users,
    orders,
    subscriptions,
    faults,
    outcomes,
    options,
    get catalog() {
      return catalog;
    },
    clock,
    // users and login
    ensureUser,
    issueAuthorizationCode,
    exchangeCode,
    refresh,
    userForAccessToken,
    revokeAccessToken,
    revokeUserTokens,
    // orders
    createOrder,
    orderStatus,
    refund,
    settlePayment,
    pendingOrders,
    completedOrRefunded,
    // purchases
    queueOutcome,
    beginCheckout,
    cancelCheckout,
    payCheckout,
    endGrant,
    completeGrant,
    products,
    // subscriptions
    settleSubscriptions,
    subscriptionAction,
    subscriptionInfo,
    // faults and control
    addFault,
    faultsFor,
    clearFaults: () => {
      faults.length = 0;
    },
    setCatalog,
    setIconBaseUrl: (url: string) => {
      iconBaseUrl = url;
    },
    setOptions,
    reset,
    snapshot,
  };
}

export const controlOrderStatuses = [
  'PAYMENT_COMPLETED',
  'PURCHASED',
  'COMPLETED',
  'ORDER_IN_PROGRESS',
  'FAILED',
  'REFUNDED',
] as const;
export type ControlOrderStatus = (typeof controlOrderStatuses)[number];
export const subscriptionActions = ['renew', 'expire', 'grace', 'revoke'] as const;
export type SubscriptionAction = (typeof subscriptionActions)[number];

/** The calendar arithmetic lives in the contract (the server uses the same); re-exported for the mock's callers. */
export { addCycle, addMonths };

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
