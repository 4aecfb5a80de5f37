/**
 * What the Node side and the browser side of the mock share: the scenario names and the shapes of the internal
 * `/__mock/host/*` calls. Browser-safe (no Node imports). Add a scenario here, then teach the ledger and host.
 */
import { iapErrorCodes, type PurchaseResult, type SdkIapErrorCode } from '@ait-iap/iap-contract';

/**
 * How the next purchase ends. Besides 'success' and the 11 SDK error codes:
 * - 'close-after-payment': paid, then the app closes before `processProductGrant` runs (nothing granted yet).
 * - 'close-during-grant': paid, the grant callback runs, but the app closes before Toss receives its answer.
 * - 'close-after-grant': the grant answer (true) reaches Toss, the app closes before `completeProductGrant`.
 * - 'complete-fails': the purchase succeeds, the first `completeProductGrant` for it rejects (NETWORK_ERROR).
 */
export const extraOutcomes = [
  'success',
  'close-after-payment',
  'close-during-grant',
  'close-after-grant',
  'complete-fails',
] as const;
export const purchaseOutcomes = [...extraOutcomes, ...iapErrorCodes] as const;
export type PurchaseOutcome = (typeof extraOutcomes)[number] | SdkIapErrorCode;

/** Errors Toss reports before the checkout sheet opens. */
export const preCheckoutErrors: readonly SdkIapErrorCode[] = [
  'INVALID_PRODUCT_ID',
  'ITEM_ALREADY_OWNED',
  'INVALID_USER_ENVIRONMENT',
  'KOREAN_ACCOUNT_ONLY',
  'USER_CANCELED',
];

/**
 * How the grant of a paid order ended, as Toss saw it:
 * - 'granted': the grant callback's `true` reached Toss.
 * - 'not-granted': its `false` (or no value) reached Toss.
 * - 'no-answer': nothing reached Toss by the grant deadline (the callback threw, was too slow, or the answer was lost).
 * - 'app-closed': the app closed or the page unloaded before an answer reached Toss.
 * Only the first ending counts; a later one changes nothing (like a late answer in Toss).
 */
export const grantEndings = ['granted', 'not-granted', 'no-answer', 'app-closed'] as const;
export type GrantEnding = (typeof grantEndings)[number];

/**
 * Three rules no Toss document states, each a named reading the mock can be switched to (`POST /__mock/options`, the
 * panel, `startTossMock` options). The first value is the default: the stricter one for the mini-app.
 * - `historyReading`: when `getCompletedOrRefundedOrders` lists a paid order as COMPLETED —
 *   'after-complete-grant' (only once `completeProductGrant` was called) or 'after-payment' (as soon as it is paid).
 * - `statusAfterComplete`: what get-order-status reads once `completeProductGrant` was called for an order whose
 *   grant did not reach Toss as "granted" (a recovered order) — 'unchanged' (what the status reading says: FAILED
 *   under `grant-failed`, while the history lists it COMPLETED) or 'reads-paid' (it reads paid again, agreeing with
 *   the history).
 * - `wrongKindPurchase`: a one-time purchase of a subscription SKU, or a subscription purchase of a one-time SKU —
 *   'refused' (INVALID_PRODUCT_ID before the checkout) or 'accepted' (charged once as asked: a plain paid order, no
 *   subscription started).
 */
export const historyReadings = ['after-complete-grant', 'after-payment'] as const;
export type HistoryReading = (typeof historyReadings)[number];
export const statusAfterCompleteReadings = ['unchanged', 'reads-paid'] as const;
export type StatusAfterComplete = (typeof statusAfterCompleteReadings)[number];
export const wrongKindPurchaseReadings = ['refused', 'accepted'] as const;
export type WrongKindPurchase = (typeof wrongKindPurchaseReadings)[number];

export type PurchaseKind = 'one-time' | 'subscription';
export type HostEnvironment = 'toss' | 'sandbox';

/** `POST /__mock/host/checkout` */
export interface CheckoutRequest {
  userKey: number;
  sku: string;
  kind: PurchaseKind;
  offerId?: string | null;
  environment: HostEnvironment;
  /** The legacy one-call purchase of old Toss apps: Toss never waits for a grant answer. */
  legacy?: boolean;
}
export type CheckoutResponse =
  | { ok: false; code: SdkIapErrorCode; message: string }
  | { ok: true; checkoutId: string; displayName: string; displayAmount: string; amount: number };

/** What the host does after payment. */
export type AfterPayment =
  | 'grant'
  | 'close-after-payment'
  | 'close-during-grant'
  | 'close-after-grant'
  | 'not-granted';

/** `POST /__mock/host/checkout/:id/pay` */
export type PayResponse =
  | { ok: false; code: SdkIapErrorCode; message: string; orderId?: string }
  | {
      ok: true;
      orderId: string;
      subscriptionId?: string;
      result: PurchaseResult;
      after: AfterPayment;
      /** How long Toss waits for the grant answer of this order. */
      grantDeadlineMs: number;
    };

export interface GrantRecorded {
  ok: true;
  ending: GrantEnding;
}

export const sdkErrorMessages: Record<SdkIapErrorCode, string> = {
  INVALID_PRODUCT_ID: '유효하지 않은 상품 ID이거나, 해당 상품이 존재하지 않아요.',
  PAYMENT_PENDING: '사용자가 요청한 결제가 아직 승인을 기다리고 있어요.',
  NETWORK_ERROR: '서버 내부 문제로 요청을 처리할 수 없어요.',
  INVALID_USER_ENVIRONMENT: '특정 기기, 계정 또는 설정 환경에서 구매할 수 없는 상품이에요.',
  ITEM_ALREADY_OWNED: '사용자가 이미 구매한 상품이에요.',
  APP_MARKET_VERIFICATION_FAILED: '결제를 완료했지만, 앱스토어에서 사용자 정보 검증에 실패했어요.',
  TOSS_SERVER_VERIFICATION_FAILED: '결제를 완료했지만, 서버 전송에 실패해서 결제 정보를 저장할 수 없어요.',
  INTERNAL_ERROR: '서버 내부 문제로 요청을 처리할 수 없어요.',
  KOREAN_ACCOUNT_ONLY: '한국 계정이 아니에요.',
  USER_CANCELED: '사용자가 결제를 완료하지 않고 주문서 페이지를 이탈했어요.',
  PRODUCT_NOT_GRANTED_BY_PARTNER: '파트너사의 상품 지급이 실패했어요.',
};
