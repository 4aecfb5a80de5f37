/**
 * The Toss partner API as the mock serves it: HTTPS that REQUIRES a client certificate signed by the dev CA (a
 * handshake without one fails), the real `{ resultType, success | error }` envelopes, user-key scoping, and the
 * faults the control API switches on (latency, 5xx, timeouts, malformed bodies).
 * FAIL envelopes come with a 4xx status (400 bad input, 401 bad code/token, 404 unknown path, 405 wrong method).
 * You probably don't need to edit this file unless Toss adds an endpoint your server calls.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import {
  OrderStatusRequest,
  partnerErrorCodes,
  partnerPaths,
  RefreshTokenRequest,
  TokenRequest,
} from '@ait-iap/iap-contract';
import { z } from 'zod';
import type { DevCerts } from './certs';
import { readJsonBody, sendJson } from './http';
import type { Fault, MockState } from './ledger';

export const removeByUserKeyPath = '/api-partner/v1/apps-in-toss/user/oauth2/access/remove-by-user-key';

export interface PartnerApiDeps {
  state: MockState;
  certs: DevCerts;
  random?: () => number;
  log?: (line: string) => void;
}

type Reply = { status: number; body: unknown };

const success = (body: unknown): Reply => ({ status: 200, body: { resultType: 'SUCCESS', success: body } });
const failure = (status: number, errorCode: string, reason: string): Reply => ({
  status,
  body: { resultType: 'FAIL', error: { errorCode, reason } },
});

/** A user key in logs: hashed, never the raw value. */
export function hashUserKey(userKey: unknown): string {
  return createHash('sha256').update(String(userKey)).digest('hex').slice(0, 10);
}

export function createPartnerServer(deps: PartnerApiDeps): Server {
  const { state, certs } = deps;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? (() => {});
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer(
    {
      key: certs.serverKey,
      cert: certs.serverCert,
      ca: certs.caCert,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        log(`partner: internal error ${(error as Error).message}`);
        sendJson(res, 500, failure(500, 'INTERNAL_SERVER_ERROR', 'toss-mock internal error').body);
      });
    },
  );
  server.on('close', () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  });
  server.on('tlsClientError', (error) => log(`partner: TLS handshake refused (${error.message})`));

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    const hits = state.faultsFor(path, random);
    const latency = hits.filter((f) => f.kind === 'latency').reduce((sum, f) => sum + f.ms, 0);
    if (latency > 0) await wait(latency);
    const blocking: Fault | undefined = hits.find((f) => f.kind !== 'latency');
    if (blocking?.kind === 'timeout') {
      log(`partner: ${req.method} ${path} → held open (timeout fault)`);
      req.resume();
      return; // never answered; the socket is destroyed when the mock closes
    }
    if (blocking?.kind === 'error5xx') {
      req.resume();
      log(`partner: ${req.method} ${path} → 503 (fault)`);
      sendJson(res, 503, failure(503, 'INTERNAL_SERVER_ERROR', '일시적인 오류가 발생했어요').body);
      return;
    }
    const reply = await route(req, path);
    log(`partner: ${req.method} ${path} → ${reply.status}`);
    if (blocking?.kind === 'malformed') {
      const text = JSON.stringify(reply.body);
      const broken = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(broken);
      return;
    }
    sendJson(res, reply.status, reply.body);
  }

  async function route(req: IncomingMessage, path: string): Promise<Reply> {
    const method = req.method ?? 'GET';
    const endpoint = endpoints[path];
    if (!endpoint) {
      req.resume();
      return failure(404, 'NOT_FOUND', `no endpoint ${path}`);
    }
    if (endpoint.method !== method) {
      req.resume();
      return failure(405, 'METHOD_NOT_ALLOWED', `${path} expects ${endpoint.method}`);
    }
    let body: unknown = {};
    if (method !== 'GET') {
      const read = await readJsonBody(req);
      if (!read.ok) return failure(400, partnerErrorCodes.invalidRequest, read.message);
      body = read.value;
    } else {
      req.resume();
    }
    return endpoint.run(req, body);
  }

  function bearer(req: IncomingMessage): string | null {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    return match ? match[1]! : null;
  }

  function invalid(error: z.ZodError): Reply {
    return failure(400, partnerErrorCodes.invalidRequest, z.prettifyError(error));
  }

  const tokenBody = (pair: { accessToken: string; refreshToken: string; accessExpiresAt: number }) => ({
    tokenType: 'Bearer',
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresIn: Math.round((pair.accessExpiresAt - state.clock.now().getTime()) / 1000),
    scope: 'user_key',
  });

  const endpoints: Record<string, { method: string; run: (req: IncomingMessage, body: unknown) => Reply }> = {
    [partnerPaths.generateToken]: {
      method: 'POST',
      run: (_req, body) => {
        const input = TokenRequest.safeParse(body);
        if (!input.success) return invalid(input.error);
        const result = state.exchangeCode(input.data.authorizationCode, input.data.referrer);
        if (!result.ok) return failure(401, result.code, result.message);
        log(`partner: token issued for user#${hashUserKey(result.value.userKey)}`);
        return success(tokenBody(result.value));
      },
    },
    [partnerPaths.refreshToken]: {
      method: 'POST',
      run: (_req, body) => {
        const input = RefreshTokenRequest.safeParse(body);
        if (!input.success) return invalid(input.error);
        const result = state.refresh(input.data.refreshToken);
        if (!result.ok) return failure(401, result.code, result.message);
        return success(tokenBody(result.value));
      },
    },
    [partnerPaths.loginMe]: {
      method: 'GET',
      run: (req) => {
        const accessToken = bearer(req);
        if (!accessToken)
          return failure(401, partnerErrorCodes.invalidToken, 'missing Authorization: Bearer <token>');
        const result = state.userForAccessToken(accessToken);
        if (!result.ok) return failure(401, result.code, result.message);
        return success({
          userKey: result.value.userKey,
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
        });
      },
    },
    [partnerPaths.removeByAccessToken]: {
      method: 'POST',
      run: (req) => {
        const accessToken = bearer(req);
        if (!accessToken)
          return failure(401, partnerErrorCodes.invalidToken, 'missing Authorization: Bearer <token>');
        const result = state.revokeAccessToken(accessToken);
        if (!result.ok) return failure(401, result.code, result.message);
        return success({});
      },
    },
    [removeByUserKeyPath]: {
      method: 'POST',
      run: (_req, body) => {
        const input = z.object({ userKey: z.number().int() }).safeParse(body);
        if (!input.success) return invalid(input.error);
        state.revokeUserTokens(input.data.userKey);
        return success({});
      },
    },
    [partnerPaths.getOrderStatus]: {
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
    },
  };

  return server;
}
