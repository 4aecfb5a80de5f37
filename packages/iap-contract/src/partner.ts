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
  /** Not documented; present in toss-mock so a SKU contradiction can be detected. Treated as optional. */
  sku: z.string().optional(),
});
export type OrderStatusSuccess = z.infer<typeof OrderStatusSuccess>;
export const OrderStatusResponse = partnerEnvelope(OrderStatusSuccess);

/**
 * The two readings of "what status does a paid order have" (sources disagree, see partner-api.md).
 * - `payment-completed` (default; Toss staff on the developer forum, and what developers observed inside
 *   processProductGrant): a paid order reads PAYMENT_COMPLETED before and after the grant.
 * - `purchased` (the Unity SDK doc): a paid order reads PAYMENT_COMPLETED until the grant succeeds, PURCHASED after.
 * The policy below is correct under both; toss-mock can switch between them.
 */
export const statusReadings = ['payment-completed', 'purchased'] as const;
export const StatusReading = z.enum(statusReadings);
export type StatusReading = z.infer<typeof StatusReading>;

export type GrantDecision =
  /** Paid: grant (idempotently). */
  | 'grant'
  /** Not decided yet (in progress, upstream error): don't grant, keep the order recoverable, ask again later. */
  | 'retry'
  /** Not paid, not ours, or unknown: don't grant. */
  | 'refuse'
  /** Paid once, refunded since: don't grant, and revoke a grant already made. */
  | 'revoke';

/** THE status policy. Paid is exactly PAYMENT_COMPLETED or PURCHASED; everything else is not a grant. */
export const grantDecisionByStatus: Record<OrderStatus, GrantDecision> = {
  PAYMENT_COMPLETED: 'grant',
  PURCHASED: 'grant',
  ORDER_IN_PROGRESS: 'retry',
  ERROR: 'retry',
  FAILED: 'refuse',
  NOT_FOUND: 'refuse',
  MINIAPP_MISMATCH: 'refuse',
  REFUNDED: 'revoke',
};

export function decideGrant(status: OrderStatus): GrantDecision {
  return grantDecisionByStatus[status];
}

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
