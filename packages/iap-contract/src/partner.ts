/**
 * The Toss partner (server-to-server) API as this project uses it: envelopes, order statuses, login payloads,
 * and THE status policy — the one place that decides whether an order's status means "grant it".
 * Reference: shared/reference/partner-api.md. Both the server and toss-mock import these.
 */
import { z } from 'zod';

export const partnerPaths = {
  generateToken: '/api-partner/v1/apps-in-toss/user/oauth2/generate-token',
  refreshToken: '/api-partner/v1/apps-in-toss/user/oauth2/refresh-token',
  loginMe: '/api-partner/v1/apps-in-toss/user/oauth2/login-me',
  removeByAccessToken: '/api-partner/v1/apps-in-toss/user/oauth2/access/remove-by-access-token',
  getOrderStatus: '/api-partner/v1/apps-in-toss/order/get-order-status',
} as const;

export const PartnerFailure = z.object({
  resultType: z.literal('FAIL'),
  error: z.object({ errorCode: z.string(), reason: z.string().optional().default('') }),
});
export type PartnerFailure = z.infer<typeof PartnerFailure>;

/** `{ resultType: 'SUCCESS', success }` or `{ resultType: 'FAIL', error }`. */
export function partnerEnvelope<T extends z.ZodType>(success: T) {
  return z.discriminatedUnion('resultType', [
    z.object({ resultType: z.literal('SUCCESS'), success }),
    PartnerFailure,
  ]);
}

export const orderStatuses = [
  'PURCHASED',
  'PAYMENT_COMPLETED',
  'ORDER_IN_PROGRESS',
  'FAILED',
  'REFUNDED',
  'NOT_FOUND',
  'MINIAPP_MISMATCH',
  'ERROR',
] as const;
export const OrderStatus = z.enum(orderStatuses);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderStatusRequest = z.object({ orderId: z.string().min(1) });
export const OrderStatusSuccess = z.object({
  orderId: z.string(),
  status: OrderStatus,
  reason: z.string().nullable().optional(),
  /**
   * NOT documented: Toss's table lists only `orderId`, `status`, `reason`. toss-mock adds it only when a test opts in
   * (`POST /__mock/options { revealSku: true }`); the server must be correct without it.
   */
  sku: z.string().optional(),
});
export type OrderStatusSuccess = z.infer<typeof OrderStatusSuccess>;
export const OrderStatusResponse = partnerEnvelope(OrderStatusSuccess);

/**
 * The readings of "what status does a paid order have" (sources disagree, see shared/reference/partner-api.md).
 * toss-mock implements each; the money paths are tested under all three.
 * - `grant-failed` (DEFAULT; Toss staff, developer forum topic/1238): a paid order reads PAYMENT_COMPLETED until the
 *   grant callback answers; after `true` it stays PAYMENT_COMPLETED; after `false`, a throw, no answer by the grant
 *   deadline, or the app closing first, it reads FAILED — while the IAP guide says the order stays pending
 *   (`getPendingOrders`) and recoverable. The strictest reading: a paid order can read FAILED.
 * - `payment-completed` (developers' observation, forum thread server-api/545): a paid order reads PAYMENT_COMPLETED
 *   before and after the grant, whatever the callback answered.
 * - `purchased` (the Unity SDK doc): PAYMENT_COMPLETED until the grant callback answers `true`, PURCHASED after.
 */
export const statusReadings = ['grant-failed', 'payment-completed', 'purchased'] as const;
export const StatusReading = z.enum(statusReadings);
export type StatusReading = z.infer<typeof StatusReading>;
/** The reading toss-mock starts in: the strictest one. */
export const defaultStatusReading: StatusReading = 'grant-failed';

export type GrantDecision =
  /** Paid: grant (idempotently). */
  | 'grant'
  /** Not decided yet (in progress, upstream error): don't grant, keep the order recoverable, ask again later. */
  | 'retry'
  /** Not paid, not ours, or unknown: don't grant. */
  | 'refuse'
  /** Paid once, refunded since: don't grant, and revoke a grant already made. */
  | 'revoke'
  /**
   * FAILED: under the `grant-failed` reading a PAID order whose grant answer was false/late/missing reads FAILED, so
   * FAILED alone proves neither "paid" nor "not paid". Grant only with evidence recorded by this server that Toss read
   * the same order as paid before (PAYMENT_COMPLETED/PURCHASED); without it, hold the order for an operator — never
   * grant on the client's word, never drop it.
   */
  | 'hold';

/**
 * THE status policy. Paid is exactly PAYMENT_COMPLETED or PURCHASED; FAILED is held unless the server saw the order
 * paid (see `decideGrant`); everything else is not a grant.
 */
export const grantDecisionByStatus: Record<OrderStatus, GrantDecision> = {
  PAYMENT_COMPLETED: 'grant',
  PURCHASED: 'grant',
  ORDER_IN_PROGRESS: 'retry',
  ERROR: 'retry',
  FAILED: 'hold',
  NOT_FOUND: 'refuse',
  MINIAPP_MISMATCH: 'refuse',
  REFUNDED: 'revoke',
};

/** Evidence the server holds about one order: did Toss ever read it as paid (recorded on an earlier attempt)? */
export interface GrantEvidence {
  seenPaid: boolean;
}

/** THE decision for one reading of an order's status. FAILED + seen paid → grant; FAILED alone → hold. */
export function decideGrant(
  status: OrderStatus,
  evidence: GrantEvidence = { seenPaid: false },
): GrantDecision {
  const decision = grantDecisionByStatus[status];
  if (decision === 'hold' && evidence.seenPaid) return 'grant';
  return decision;
}

/** Statuses that are, on their own, Toss's word that the order was paid. */
export const paidStatuses: readonly OrderStatus[] = ['PAYMENT_COMPLETED', 'PURCHASED'];

export const TokenRequest = z.object({ authorizationCode: z.string().min(1), referrer: z.string().min(1) });
export const RefreshTokenRequest = z.object({ refreshToken: z.string().min(1) });
export const TokenSuccess = z.object({
  tokenType: z.string(),
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresIn: z.number(),
  scope: z.string().optional().default(''),
});
export type TokenSuccess = z.infer<typeof TokenSuccess>;
export const TokenResponse = partnerEnvelope(TokenSuccess);

/** login-me. Personal fields arrive encrypted (or null); this starter stores none of them. */
export const LoginMeSuccess = z
  .object({
    userKey: z.number().int(),
    scope: z.string().optional().default(''),
    agreedTerms: z.array(z.string()).optional().default([]),
  })
  .loose();
export type LoginMeSuccess = z.infer<typeof LoginMeSuccess>;
export const LoginMeResponse = partnerEnvelope(LoginMeSuccess);

export const RemoveTokenResponse = partnerEnvelope(z.unknown());

/** Error codes the partner API (and toss-mock) return in `error.errorCode`. */
export const partnerErrorCodes = {
  invalidCode: 'INVALID_AUTHORIZATION_CODE',
  invalidToken: 'INVALID_ACCESS_TOKEN',
  invalidRefreshToken: 'INVALID_REFRESH_TOKEN',
  invalidRequest: 'INVALID_REQUEST',
  missingUserKey: 'MISSING_USER_KEY',
} as const;
