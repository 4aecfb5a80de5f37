/**
 * The partner API answered IN-PROCESS, as a `Transport` for the server's Toss client: no network, no TLS, no
 * mock ledger. It lets the bench measure the fulfillment server's own overhead (framework, validation, session,
 * ledger transaction) without an upstream. Every order is paid (`PAYMENT_COMPLETED`) for `coin_100`; the
 * authorization code `bench-<n>` logs in as userKey n. Not a faithful Toss — use toss-mock for that.
 */
import { partnerPaths } from '@ait-iap/iap-contract';

export interface FakeTransportRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

const ok = (success: unknown) => ({ status: 200, body: JSON.stringify({ resultType: 'SUCCESS', success }) });
const fail = (status: number, errorCode: string) => ({
  status,
  body: JSON.stringify({ resultType: 'FAIL', error: { errorCode, reason: errorCode } }),
});

export const benchSku = 'coin_100';

export function createFakePartnerTransport() {
  return async (request: FakeTransportRequest): Promise<{ status: number; body: string }> => {
    const path = new URL(request.url).pathname;
    const body = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
    switch (path) {
      case partnerPaths.generateToken: {
        const code = String(body.authorizationCode ?? '');
        const match = /^bench-(\d+)$/.exec(code);
        if (!match) return fail(400, 'INVALID_AUTHORIZATION_CODE');
        return ok({
          tokenType: 'Bearer',
          accessToken: `at-${match[1]}`,
          refreshToken: `rt-${match[1]}`,
          expiresIn: 3600,
          scope: 'user_key',
        });
      }
      case partnerPaths.loginMe: {
        const match = /^Bearer at-(\d+)$/.exec(request.headers.authorization ?? '');
        if (!match) return fail(401, 'INVALID_ACCESS_TOKEN');
        return ok({ userKey: Number(match[1]), scope: 'user_key', agreedTerms: [] });
      }
      case partnerPaths.getOrderStatus:
        if (!request.headers['x-toss-user-key']) return fail(400, 'MISSING_USER_KEY');
        return ok({
          orderId: String(body.orderId),
          status: 'PAYMENT_COMPLETED',
          reason: null,
          sku: benchSku,
        });
      case partnerPaths.removeByAccessToken:
        return ok({});
      default:
        return fail(404, 'NOT_FOUND');
    }
  };
}
