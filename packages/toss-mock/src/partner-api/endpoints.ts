/**
 * The partner API's endpoints, one small handler each, in the real `{ resultType, success | error }` envelopes:
 * OAuth (token, refresh, login-me, the two removals) and get-order-status, scoped to the user key header.
 * Add an endpoint here when Toss adds one your server calls.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  OrderStatusRequest,
  partnerErrorCodes,
  partnerPaths,
  RefreshTokenRequest,
  TokenRequest,
} from '@ait-iap/iap-contract';
import { z } from 'zod';
import type { MockState } from '../ledger';

export const removeByUserKeyPath = '/api-partner/v1/apps-in-toss/user/oauth2/access/remove-by-user-key';

export type Reply = { status: number; body: unknown };
export interface Endpoint {
  method: string;
  run: (req: IncomingMessage, body: unknown) => Reply;
}

const success = (body: unknown): Reply => ({ status: 200, body: { resultType: 'SUCCESS', success: body } });
export const failure = (status: number, errorCode: string, reason: string): Reply => ({
  status,
  body: { resultType: 'FAIL', error: { errorCode, reason } },
});
const invalid = (error: z.ZodError): Reply =>
  failure(400, partnerErrorCodes.invalidRequest, z.prettifyError(error));

/** A user key in logs: hashed, never the raw value. */
export function hashUserKey(userKey: unknown): string {
  return createHash('sha256').update(String(userKey)).digest('hex').slice(0, 10);
}

function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}

const noBearer = () => failure(401, partnerErrorCodes.invalidToken, 'missing Authorization: Bearer <token>');

/** What login-me answers besides the user key: the mock's users agreed to nothing and share nothing. */
const noPersonalData = {
  scope: 'user_key',
  agreedTerms: [],
  name: null,
  phone: null,
  birthday: null,
  ci: null,
  di: null,
  gender: null,
  nationality: null,
  email: null,
};

function oauthEndpoints(state: MockState, log: (line: string) => void): Record<string, Endpoint> {
  const tokenBody = (pair: { accessToken: string; refreshToken: string; accessExpiresAt: number }) => ({
    tokenType: 'Bearer',
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: Math.round((pair.accessExpiresAt - state.clock.now().getTime()) / 1000),
    scope: 'user_key',
  });
  const post = (run: Endpoint['run']): Endpoint => ({ method: 'POST', run });
  return {
    [partnerPaths.generateToken]: post((_req, body) => {
      const input = TokenRequest.safeParse(body);
      if (!input.success) return invalid(input.error);
      const result = state.exchangeCode(input.data.authorizationCode, input.data.referrer);
      if (!result.ok) return failure(401, result.code, result.message);
      log(`partner: token issued for user#${hashUserKey(result.value.userKey)}`);
      return success(tokenBody(result.value));
    }),
    [partnerPaths.refreshToken]: post((_req, body) => {
      const input = RefreshTokenRequest.safeParse(body);
      if (!input.success) return invalid(input.error);
      const result = state.refresh(input.data.refreshToken);
      if (!result.ok) return failure(401, result.code, result.message);
      return success(tokenBody(result.value));
    }),
    [partnerPaths.loginMe]: {
      method: 'GET',
      run: (req) => {
        const accessToken = bearer(req);
        if (!accessToken) return noBearer();
        const result = state.userForAccessToken(accessToken);
        if (!result.ok) return failure(401, result.code, result.message);
        return success({ userKey: result.value.userKey, ...noPersonalData });
      },
    },
    [partnerPaths.removeByAccessToken]: post((req) => {
      const accessToken = bearer(req);
      if (!accessToken) return noBearer();
      const result = state.revokeAccessToken(accessToken);
      if (!result.ok) return failure(401, result.code, result.message);
      return success({});
    }),
    [removeByUserKeyPath]: post((_req, body) => {
      const input = z.object({ userKey: z.number().int() }).safeParse(body);
      if (!input.success) return invalid(input.error);
      state.revokeUserTokens(input.data.userKey);
      return success({});
    }),
  };
}

/** get-order-status: the user is the `x-toss-user-key` header (another user's order is NOT_FOUND). */
function orderStatusEndpoint(state: MockState): Endpoint {
  return {
    method: 'POST',
    run: (req, body) => {
      const raw = req.headers['x-toss-user-key'];
      const userKey = typeof raw === 'string' && /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : null;
      if (userKey === null) {
        return failure(
          400,
          partnerErrorCodes.missingUserKey,
          'x-toss-user-key header (a number) is required',
        );
      }
      const input = OrderStatusRequest.safeParse(body);
      if (!input.success) return invalid(input.error);
      const status = state.orderStatus(input.data.orderId, userKey);
      return success({ orderId: input.data.orderId, ...status });
    },
  };
}

/** Every endpoint by path. */
export function createEndpoints(state: MockState, log: (line: string) => void): Record<string, Endpoint> {
  return { ...oauthEndpoints(state, log), [partnerPaths.getOrderStatus]: orderStatusEndpoint(state) };
}
