/**
 * The fulfillment server with the partner API answered IN-PROCESS: the real `createServer(loadConfig())`, its Toss
 * client given `fakePartner()` through the server's public `tossTransport` seam, so the figures are the server's own
 * cost (framework, validation, session, ledger transaction) without an upstream. Every order is paid for `coin_100`;
 * the authorization code `bench-<n>` logs in as userKey n. Not a faithful Toss: the mTLS target uses toss-mock.
 * Run as a process (servers.ts) it listens on PORT; SIGTERM closes it gracefully (the bench may SIGKILL it).
 */
import { pathToFileURL } from 'node:url';
import { partnerPaths } from '@ait-iap/iap-contract';
import { loadConfig } from '../../apps/server/src/config';
import { createServer } from '../../apps/server/src/server';

const ok = (success: unknown) => ({ status: 200, body: JSON.stringify({ resultType: 'SUCCESS', success }) });
const fail = (status: number, errorCode: string) => ({
  status,
  body: JSON.stringify({ resultType: 'FAIL', error: { errorCode, reason: errorCode } }),
});

/** This server built in THIS process on SQLite `file`, not listening yet: its migrations and catalog sync have run. */
export function inprocServer(file: string) {
  const env = {
    DATABASE_PATH: file,
    DATABASE_URL: file,
    LOG_LEVEL: 'silent',
    RECONCILE_INTERVAL_SECONDS: '0',
  };
  const config = loadConfig({ ...env, TOSS_API_BASE_URL: 'https://partner.bench.invalid' });
  return createServer(config, { tossTransport: fakePartner() });
}

export function fakePartner() {
  return async (request: { url: string; headers: Record<string, string>; body?: string }) => {
    const body = request.body ? JSON.parse(request.body) : {};
    switch (new URL(request.url).pathname) {
      case partnerPaths.generateToken: {
        const n = /^bench-(\d+)$/.exec(String(body.authorizationCode))?.[1];
        if (!n) return fail(400, 'INVALID_AUTHORIZATION_CODE');
        return ok({
          tokenType: 'Bearer',
          accessToken: `at-${n}`,
          refreshToken: `rt-${n}`,
          expiresIn: 3600,
          scope: 'user_key',
        });
      }
      case partnerPaths.loginMe: {
        const n = /^Bearer at-(\d+)$/.exec(request.headers.authorization ?? '')?.[1];
        return n
          ? ok({ userKey: Number(n), scope: 'user_key', agreedTerms: [] })
          : fail(401, 'INVALID_ACCESS_TOKEN');
      }
      case partnerPaths.getOrderStatus:
        return ok({
          orderId: String(body.orderId),
          status: 'PAYMENT_COMPLETED',
          reason: null,
          sku: 'coin_100',
        });
      case partnerPaths.removeByAccessToken:
        return ok({});
      default:
        return fail(404, 'NOT_FOUND');
    }
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfig(process.env);
  const server = await createServer(config, { tossTransport: fakePartner() });
  await server.listen(config.port, config.host);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
