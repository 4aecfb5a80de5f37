/**
 * What the Apps in Toss SDK (`@apps-in-toss/web-framework` 2.10.8) hands the mini-app, as zod schemas.
 * The mock host produces exactly these shapes; the mini-app parses SDK results with them so a surprise
 * from a newer or older Toss app becomes a typed error instead of a crash.
 */
import { z } from 'zod';

export const productTypes = ['CONSUMABLE', 'NON_CONSUMABLE', 'SUBSCRIPTION'] as const;
export const ProductType = z.enum(productTypes);
export type ProductType = z.infer<typeof ProductType>;

export const RenewalCycle = z.enum(['WEEKLY', 'MONTHLY', 'YEARLY']);
export type RenewalCycle = z.infer<typeof RenewalCycle>;

/** Subscription offers as `getProductItemList` reports them. `period` is an ISO-8601 duration, e.g. `P7D`. */
export const Offer = z.discriminatedUnion('type', [
  z.object({ type: z.literal('FREE_TRIAL'), offerId: z.string().min(1), period: z.string().min(1) }),
  z.object({
    type: z.enum(['NEW_SUBSCRIPTION', 'RETURNING']),
    offerId: z.string().min(1),
    period: z.string().min(1),
    displayAmount: z.string().min(1),
  }),
]);
export type Offer = z.infer<typeof Offer>;

const productBase = {
  sku: z.string().min(1),
  displayAmount: z.string(),
  displayName: z.string(),
  iconUrl: z.string(),
  description: z.string(),
};

export const IapProductListItem = z.discriminatedUnion('type', [
  z.object({ ...productBase, type: z.literal('CONSUMABLE') }),
  z.object({ ...productBase, type: z.literal('NON_CONSUMABLE') }),
  z.object({
    ...productBase,
    type: z.literal('SUBSCRIPTION'),
    renewalCycle: RenewalCycle,
    offers: z.array(Offer).optional(),
  }),
]);
export type IapProductListItem = z.infer<typeof IapProductListItem>;

export const ProductItemListResult = z.object({ products: z.array(IapProductListItem) });
export type ProductItemListResult = z.infer<typeof ProductItemListResult>;

/** `onEvent({ type: 'success', data })` of a one-time or subscription purchase. */
export const PurchaseResult = z.object({
  orderId: z.string().min(1),
  displayName: z.string(),
  displayAmount: z.string(),
  amount: z.number(),
  currency: z.string(),
  fraction: z.number(),
  miniAppIconUrl: z.string().nullable(),
});
export type PurchaseResult = z.infer<typeof PurchaseResult>;

/** `processProductGrant`'s argument. `subscriptionId` only for subscriptions. */
export const GrantRequest = z.object({ orderId: z.string().min(1), subscriptionId: z.string().optional() });
export type GrantRequest = z.infer<typeof GrantRequest>;

/** Pending orders: paid, not yet acknowledged with `completeProductGrant`. The host may omit the date. */
export const PendingOrder = z.object({
  orderId: z.string().min(1),
  sku: z.string().min(1),
  paymentCompletedDate: z.string().optional(),
});
export type PendingOrder = z.infer<typeof PendingOrder>;
export const PendingOrdersResult = z.object({ orders: z.array(PendingOrder) });
export type PendingOrdersResult = z.infer<typeof PendingOrdersResult>;

export const CompletedOrderStatus = z.enum(['COMPLETED', 'REFUNDED']);
export type CompletedOrderStatus = z.infer<typeof CompletedOrderStatus>;
export const CompletedOrRefundedOrder = z.object({
  orderId: z.string().min(1),
  sku: z.string().min(1),
  status: CompletedOrderStatus,
  date: z.string(),
});
export type CompletedOrRefundedOrder = z.infer<typeof CompletedOrRefundedOrder>;

/** One page of `getCompletedOrRefundedOrders({ key })`; follow `nextKey` while `hasNext`. */
export const CompletedOrRefundedPage = z.object({
  hasNext: z.boolean(),
  nextKey: z.string().nullable().optional(),
  orders: z.array(CompletedOrRefundedOrder),
});
export type CompletedOrRefundedPage = z.infer<typeof CompletedOrRefundedPage>;

export const subscriptionStatuses = [
  'ACTIVE',
  'EXPIRED',
  'IN_GRACE_PERIOD',
  'ON_HOLD',
  'PAUSED',
  'REVOKED',
] as const;
export const SubscriptionStatus = z.enum(subscriptionStatuses);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

export const SubscriptionInfo = z.object({
  catalogId: z.number(),
  status: SubscriptionStatus,
  expiresAt: z.string().nullable(),
  isAutoRenew: z.boolean(),
  gracePeriodExpiresAt: z.string().nullable(),
  isAccessible: z.boolean(),
});
export type SubscriptionInfo = z.infer<typeof SubscriptionInfo>;
export const SubscriptionInfoResult = z.object({ subscription: SubscriptionInfo });
export type SubscriptionInfoResult = z.infer<typeof SubscriptionInfoResult>;

/** `appLogin()`: a one-time code (10 minutes) the server exchanges with Toss. */
export const LoginReferrer = z.enum(['DEFAULT', 'SANDBOX']);
export type LoginReferrer = z.infer<typeof LoginReferrer>;
export const AppLoginResult = z.object({ authorizationCode: z.string().min(1), referrer: LoginReferrer });
export type AppLoginResult = z.infer<typeof AppLoginResult>;

/**
 * Minimum Toss app versions per SDK function (Android / iOS). Older apps resolve `undefined`;
 * gate features with `isMinVersionSupported` and guard every result anyway.
 */
export const minTossAppVersions = {
  getProductItemList: { android: '5.219.0', ios: '5.219.0' },
  completeProductGrant: { android: '5.233.0', ios: '5.233.0' },
  getPendingOrders: { android: '5.234.0', ios: '5.231.0' },
  getCompletedOrRefundedOrders: { android: '5.231.0', ios: '5.231.0' },
  /** Below this the grant callback's return value is ignored (legacy path). */
  grantCallbackResult: { android: '5.231.1', ios: '5.230.0' },
  /** Below this `IAP.createOneTimePurchaseOrder` silently returns a no-op cleanup and never calls back. */
  createOneTimePurchaseOrder: { android: '5.219.0', ios: '5.219.0' },
  /** Below this `IAP.createSubscriptionPurchaseOrder` silently returns a no-op cleanup and never calls back. */
  createSubscriptionPurchaseOrder: { android: '5.248.0', ios: '5.249.0' },
} as const;
export type VersionGatedFeature = keyof typeof minTossAppVersions;
