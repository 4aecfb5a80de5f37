/**
 * Inputs and outputs of the server's tRPC procedures (no transformer: plain JSON), and the typed error codes the
 * server returns with Korean copy for the mini-app. The server validates with these; the web app reads the types.
 */
import { z } from 'zod';
import { LoginReferrer, Offer, ProductType, RenewalCycle, SubscriptionInfo, SubscriptionStatus } from './sdk';

/** Toss order ids are UUIDs (v7 in practice); anything else is refused before it reaches the partner API. */
export const OrderId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'orderId must be a UUID');
export const Sku = z.string().min(1).max(64);

// auth.login / auth.logout
export const LoginInput = z
  .object({ authorizationCode: z.string().min(1).max(512), referrer: LoginReferrer })
  .strict();
export type LoginInput = z.infer<typeof LoginInput>;
export const LoginOutput = z.object({
  token: z.string(),
  expiresAt: z.string(),
  user: z.object({ id: z.string() }),
});
export type LoginOutput = z.infer<typeof LoginOutput>;

// catalog.list
export const CatalogListItem = z.object({
  sku: z.string(),
  type: ProductType,
  name: z.string(),
  description: z.string(),
  salePrice: z.number().int(),
  displayAmount: z.string(),
  renewalCycle: RenewalCycle.optional(),
  offers: z.array(Offer).optional(),
  /** What a purchase grants, in words the UI can show: `{ currency: 'COIN', amount: 100 }` or `{ entitlement }`. */
  grant: z.union([
    z.object({ kind: z.literal('currency'), currency: z.string(), amount: z.number().int() }),
    z.object({ kind: z.literal('entitlement'), entitlement: z.string() }),
  ]),
});
export type CatalogListItem = z.infer<typeof CatalogListItem>;
export const CatalogListOutput = z.object({ products: z.array(CatalogListItem) });
export type CatalogListOutput = z.infer<typeof CatalogListOutput>;

// iap.fulfill
export const FulfillInput = z
  .object({ orderId: OrderId, sku: Sku, subscriptionId: z.string().min(1).max(128).optional() })
  .strict();
export type FulfillInput = z.infer<typeof FulfillInput>;

/** Why an order was or was not granted. `retryable` reasons keep the order recoverable. */
export const fulfillReasons = [
  'GRANTED', // granted now
  'ALREADY_GRANTED', // granted before, for this user: idempotent success
  'NOT_PAID', // Toss says the payment failed
  'PAYMENT_IN_PROGRESS', // Toss says not finished yet (retryable)
  'REFUNDED', // refunded: never granted, revoked if it was
  'ORDER_NOT_FOUND', // unknown to Toss for this user
  'MINIAPP_MISMATCH', // the order's product is not sold by this app
  'UNKNOWN_SKU', // not an active catalog SKU
  'SKU_MISMATCH', // the client named a SKU that contradicts the verified order
  'ORDER_CONFLICT', // this order already belongs to another user
  'UPSTREAM_UNAVAILABLE', // the partner API timed out / 5xx / malformed (retryable)
  'REVOKED', // granted once, revoked since (refund or operator)
  'UNDER_REVIEW', // Toss reads FAILED and this server never saw it paid: held for an operator (not retryable)
] as const;
export const FulfillReason = z.enum(fulfillReasons);
export type FulfillReason = z.infer<typeof FulfillReason>;
export const retryableFulfillReasons: readonly FulfillReason[] = [
  'PAYMENT_IN_PROGRESS',
  'UPSTREAM_UNAVAILABLE',
];

export const FulfillOutput = z.object({
  granted: z.boolean(),
  reason: FulfillReason,
  retryable: z.boolean(),
  orderId: z.string(),
  sku: z.string().optional(),
});
export type FulfillOutput = z.infer<typeof FulfillOutput>;

// iap.sync
export const SyncInput = z
  .object({
    orders: z
      .array(z.object({ orderId: OrderId, sku: Sku, status: z.enum(['COMPLETED', 'REFUNDED']) }).strict())
      .max(500),
  })
  .strict();
export type SyncInput = z.infer<typeof SyncInput>;
export const SyncOutput = z.object({
  checked: z.number().int(),
  /** Completed orders this server had not granted, granted now. */
  granted: z.array(z.string()),
  /** Refunded orders whose grant was revoked now. */
  revoked: z.array(z.string()),
  unchanged: z.number().int(),
  /** Orders that could not be checked now (upstream down); sync again later. */
  deferred: z.array(z.string()),
});
export type SyncOutput = z.infer<typeof SyncOutput>;

// iap.syncSubscriptions
/**
 * The mini-app reports what `IAP.getSubscriptionInfo({ params: { orderId } })` said for each subscription it owns.
 * The server does not trust it: a report may only shorten access (or end it); it never extends access past what the
 * verified paid orders cover plus one bounded grace (see apps/server/README.md, "Subscriptions").
 */
export const SyncSubscriptionsInput = z
  .object({
    subscriptions: z.array(z.object({ orderId: OrderId, subscription: SubscriptionInfo }).strict()).max(50),
  })
  .strict();
export type SyncSubscriptionsInput = z.infer<typeof SyncSubscriptionsInput>;

/** Why a subscription report was not applied. */
export const subscriptionSyncRefusals = [
  'ORDER_NOT_FOUND', // no order with this id for this user (another user's order reads the same)
  'NOT_GRANTED', // the order was never granted here
  'NOT_A_SUBSCRIPTION', // the order is for a one-time product
  'REVOKED', // the order's grant was revoked (refunded, now or before)
] as const;
export const SubscriptionSyncRefusal = z.enum(subscriptionSyncRefusals);
export type SubscriptionSyncRefusal = z.infer<typeof SubscriptionSyncRefusal>;

export const SyncSubscriptionsOutput = z.object({
  /** Orders whose subscription access (expiry, status or auto-renew) changed now. */
  updated: z.array(z.string()),
  unchanged: z.number().int(),
  refused: z.array(z.object({ orderId: z.string(), reason: SubscriptionSyncRefusal })),
  /** Orders that could not be re-verified with Toss now (upstream down); nothing changed, report again later. */
  deferred: z.array(z.string()),
});
export type SyncSubscriptionsOutput = z.infer<typeof SyncSubscriptionsOutput>;

// iap.beginPurchase / iap.reportPurchase — purchase intents
/**
 * Before opening Toss's checkout the app records an intent (user from the session, SKU, time, app version; no order
 * id yet), so a paid order whose grant callback never ran still leaves a trace an operator can find. Every path
 * that ends without a grant reports what it knows against the intent. Intents never move money: they feed the
 * operator lists only (apps/server/README.md, "Purchase intents").
 */
export const IntentId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'intentId must be a UUID');
export const BeginPurchaseInput = z
  .object({ sku: Sku, appVersion: z.string().max(64).nullable().optional() })
  .strict();
export type BeginPurchaseInput = z.infer<typeof BeginPurchaseInput>;
export const BeginPurchaseOutput = z.object({ intentId: z.string() });
export type BeginPurchaseOutput = z.infer<typeof BeginPurchaseOutput>;

/**
 * How a purchase ended without a grant: `ERROR` — the SDK's `onError` (its code in `errorCode`); `NOT_GRANTED` — the
 * server answered a grant with `granted: false` and the app stopped (the reason in `serverReason`);
 * `OUTBOX_DROPPED` — the app dropped an outbox entry because the server answered `ORDER_NOT_FOUND` / `UNKNOWN_SKU`.
 */
export const purchaseReportOutcomes = ['ERROR', 'NOT_GRANTED', 'OUTBOX_DROPPED'] as const;
export const PurchaseReportOutcome = z.enum(purchaseReportOutcomes);
export type PurchaseReportOutcome = z.infer<typeof PurchaseReportOutcome>;
export const ReportPurchaseInput = z
  .object({
    intentId: IntentId.optional(),
    orderId: OrderId.optional(),
    sku: Sku,
    outcome: PurchaseReportOutcome,
    errorCode: z.string().min(1).max(128).optional(),
    serverReason: z.string().min(1).max(128).optional(),
  })
  .strict();
export type ReportPurchaseInput = z.infer<typeof ReportPurchaseInput>;
export const ReportPurchaseOutput = z.object({ ok: z.literal(true) });
export type ReportPurchaseOutput = z.infer<typeof ReportPurchaseOutput>;

// me.inventory
export const Entitlement = z.object({
  entitlement: z.string(),
  sku: z.string(),
  type: z.enum(['NON_CONSUMABLE', 'SUBSCRIPTION']),
  orderId: z.string(),
  grantedAt: z.string(),
  /** Subscriptions only. */
  expiresAt: z.string().nullable().optional(),
  status: SubscriptionStatus.optional(),
  autoRenew: z.boolean().optional(),
  graceExpiresAt: z.string().nullable().optional(),
});
export type Entitlement = z.infer<typeof Entitlement>;
export const InventoryOutput = z.object({
  balances: z.record(z.string(), z.number().int()),
  entitlements: z.array(Entitlement),
});
export type InventoryOutput = z.infer<typeof InventoryOutput>;

// me.orders (purchase history as the server recorded it)
/** HELD: Toss read FAILED and the server never saw the order paid; an operator approves (→ GRANTED) or denies (→ REFUSED). */
export const orderStates = ['RECEIVED', 'GRANTED', 'REFUSED', 'REVOKED', 'HELD'] as const;
export const OrderState = z.enum(orderStates);
export type OrderState = z.infer<typeof OrderState>;
export const HistoryOrder = z.object({
  orderId: z.string(),
  sku: z.string(),
  name: z.string(),
  state: OrderState,
  lastReason: FulfillReason.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type HistoryOrder = z.infer<typeof HistoryOrder>;
export const HistoryOutput = z.object({ orders: z.array(HistoryOrder) });
export type HistoryOutput = z.infer<typeof HistoryOutput>;

/** Typed error codes on tRPC errors (`error.data.appCode`), each with Korean copy for the UI. */
export const appErrorCodes = [
  'UNAUTHORIZED',
  'SESSION_EXPIRED',
  'BAD_REQUEST',
  'LOGIN_FAILED',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'INTERNAL',
] as const;
export const AppErrorCode = z.enum(appErrorCodes);
export type AppErrorCode = z.infer<typeof AppErrorCode>;

export const appErrorCopy: Record<AppErrorCode, string> = {
  UNAUTHORIZED: '로그인이 필요해요. 다시 로그인해 주세요.',
  SESSION_EXPIRED: '로그인이 만료됐어요. 다시 로그인할게요.',
  BAD_REQUEST: '요청이 올바르지 않아요.',
  LOGIN_FAILED: '토스 로그인에 실패했어요. 다시 시도해 주세요.',
  RATE_LIMITED: '요청이 너무 많아요. 잠시 후 다시 시도해 주세요.',
  UPSTREAM_UNAVAILABLE: '토스 서버와 연결이 원활하지 않아요. 잠시 후 다시 시도해 주세요.',
  INTERNAL: '일시적인 오류가 생겼어요. 잠시 후 다시 시도해 주세요.',
};

/**
 * Korean copy for a fulfillment answer, shown after a failed purchase or recovery (and UNDER_REVIEW / NOT_PAID on the
 * held notice and in the history). Each promises only what will happen under every status reading of the mock
 * (apps/web/README.md, "Outcome × reading"): "앱이 다시 확인해요" is true (recovery asks again), "지급돼요" is not
 * (under `grant-failed` a paid order whose grant answer was lost is held for an operator instead).
 */
export const fulfillReasonCopy: Record<FulfillReason, string> = {
  GRANTED: '구매한 상품을 지급했어요.',
  ALREADY_GRANTED: '이미 지급된 주문이에요.',
  NOT_PAID:
    '결제가 확인되지 않아 상품을 지급하지 않았어요. 결제된 금액이 있다면 주문 참조 번호와 함께 고객센터로 문의해 주세요.',
  PAYMENT_IN_PROGRESS: '결제가 아직 끝나지 않았어요. 앱이 이 결제를 다시 확인해요.',
  REFUNDED: '환불된 주문이라 상품을 지급하지 않아요.',
  ORDER_NOT_FOUND: '토스에서 이 주문을 찾을 수 없어요. 주문 참조 번호와 함께 고객센터로 문의해 주세요.',
  MINIAPP_MISMATCH: '이 앱에서 판매하지 않는 상품이에요. 결제된 금액이 있다면 고객센터로 문의해 주세요.',
  UNKNOWN_SKU: '지금은 판매하지 않는 상품이에요. 결제된 금액이 있다면 고객센터로 문의해 주세요.',
  SKU_MISMATCH: '주문 정보가 일치하지 않아요. 주문 참조 번호와 함께 고객센터로 문의해 주세요.',
  ORDER_CONFLICT: '다른 계정의 주문이에요. 고객센터로 문의해 주세요.',
  UPSTREAM_UNAVAILABLE: '토스와 연결이 원활하지 않아 결제를 확인하지 못했어요. 앱이 이 결제를 다시 확인해요.',
  REVOKED: '환불됐거나 지급이 취소된 주문이라 상품을 지급하지 않아요. 궁금한 점은 고객센터로 문의해 주세요.',
  UNDER_REVIEW:
    '토스에서 결제 결과를 확정하지 못해 아직 상품을 지급하지 않았어요. 담당자가 확인하면 지급 여부를 구매 내역에 표시해요. 궁금한 점은 주문 참조 번호와 함께 고객센터로 문의해 주세요.',
};
