/**
 * Production readiness, as a load balancer, an attacker and an operator see the server: batches refused cheaply,
 * login limits that one client cannot spend for everyone and a forged X-Forwarded-For cannot reset, the production
 * environment refusing the sandbox app, request ids on responses and log lines, /healthz, /readyz while draining,
 * and the Prometheus metrics.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { systemClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { createLogger, prettyLine, runWithLogFields } from '../src/log';
import type { TossClient } from '../src/toss/client';
import {
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  tempDir,
  testConfig,
  testDatabase,
} from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
const servers: ServerHarness[] = [];

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await mock?.close();
  await tmp?.remove();
});

async function serverWith(name: string, env: Record<string, string>, overrides = {}) {
  const server = await startServer(testConfig(mock.mock, await testDatabase(tmp.dir, name), env), overrides);
  servers.push(server);
  return server;
}

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  json(): { result?: { data: unknown }; error?: { data: { appCode: string } } };
}

/**
 * One HTTP request from a chosen loopback address (127.0.0.2, 127.0.0.3, …: every 127/8 address is this machine),
 * so tests can be several clients at once.
 */
function request(
  url: string,
  options: { from?: string; method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        headers: { 'content-type': 'application/json', ...options.headers },
        ...(options.from ? { localAddress: options.from } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers, json: () => JSON.parse(body) });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const login = (url: string, input: unknown, options: Parameters<typeof request>[1] = {}) =>
  request(`${url}/trpc/auth.login`, { ...options, body: JSON.stringify(input) });

const appCode = (reply: Reply) => reply.json().error?.data.appCode;

function tokenOf(reply: Reply): string {
  const data = reply.json().result?.data as { token?: string } | undefined;
  if (!data?.token) throw new Error(`no session in ${reply.status} ${reply.body}`);
  return data.token;
}

/** A login code as the sandbox app gets it (appLogin → referrer SANDBOX), from the mock's host side. */
async function sandboxLoginCode(userKey?: number): Promise<string> {
  const key = userKey ?? (await mock.control.newUser()).userKey;
  const response = await fetch(`${mock.mock.controlUrl}/__mock/host/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userKey: key, referrer: 'SANDBOX' }),
  });
  const body = (await response.json()) as { authorizationCode: string; referrer: string };
  expect(body.referrer).toBe('SANDBOX');
  return body.authorizationCode;
}

/**
 * A load balancer in front of `target`: it forwards each request and APPENDS the address it saw to whatever
 * X-Forwarded-For the client sent (what real proxies do), so the server must trust exactly one hop.
 */
async function loadBalancer(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const proxy = http.createServer((req, res) => {
    const seen = req.socket.remoteAddress ?? '';
    const forwarded = req.headers['x-forwarded-for'];
    const outbound = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': forwarded ? `${forwarded}, ${seen}` : seen },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outbound.on('error', () => res.writeHead(502).end());
    req.pipe(outbound);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

describe('batching is off, and refusing a batch costs almost nothing', () => {
  test('a batch of 1,000 logins gets one small 4xx, runs none of them, and the server keeps serving', async () => {
    // A URL limit above this batch's ~11 KB URL: the refusal must come from batching being off, not from the limit.
    const server = await serverWith('batch', { RATE_LIMIT_LOGIN_PER_MINUTE: '2', URL_LIMIT_BYTES: '65536' });
    const paths = Array.from({ length: 1000 }, () => 'auth.login').join(',');
    const inputs = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [i, { authorizationCode: `junk-${i}`, referrer: 'DEFAULT' }]),
    );
    const reply = await request(`${server.url}/trpc/${paths}?batch=1`, { body: JSON.stringify(inputs) });
    expect(reply.status).toBe(400);
    expect(appCode(reply)).toBe('BAD_REQUEST');
    expect(reply.body.length).toBeLessThan(1_000);
    // None of the 1,000 ran: the caller's 2 login tokens are still there (junk codes → 401, not 429).
    const first = await login(server.url, { authorizationCode: 'junk', referrer: 'DEFAULT' });
    const second = await login(server.url, { authorizationCode: 'junk', referrer: 'DEFAULT' });
    expect([first.status, second.status]).toEqual([401, 401]);
    expect((await request(`${server.url}/healthz`)).status).toBe(200);
  });

  test('a batch short enough for the URL limit is refused by tRPC itself, in one small answer', async () => {
    const server = await serverWith('batchurl', { URL_LIMIT_BYTES: '65536' });
    const paths = Array.from({ length: 1000 }, () => 'catalog.list').join(',');
    const reply = await request(`${server.url}/trpc/${paths}?batch=1`);
    expect([reply.status, appCode(reply)]).toEqual([400, 'BAD_REQUEST']);
    expect(reply.body.length).toBeLessThan(1_000);
    const two = await request(`${server.url}/trpc/catalog.list,catalog.list?batch=1`);
    expect([two.status, appCode(two)]).toEqual([400, 'BAD_REQUEST']);
    expect((await request(`${server.url}/trpc/catalog.list`)).status).toBe(200);
  });

  test('a URL over URL_LIMIT_BYTES → 414 with a typed code', async () => {
    const server = await serverWith('urllimit', { URL_LIMIT_BYTES: '1024' });
    const reply = await request(`${server.url}/trpc/catalog.list?input=${'x'.repeat(2000)}`);
    expect([reply.status, appCode(reply)]).toEqual([414, 'BAD_REQUEST']);
  });
});

describe('per-client limits', () => {
  test('catalog.list is limited per client address; another client still gets the catalog', async () => {
    const server = await serverWith('catalog', { RATE_LIMIT_PUBLIC_PER_MINUTE: '3' });
    const list = (from: string) => request(`${server.url}/trpc/catalog.list`, { from });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await list('127.0.0.2')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await list('127.0.0.3')).status).toBe(200);
  });

  test('20 junk logins from one client leave another client able to log in', async () => {
    const server = await serverWith('junk', { RATE_LIMIT_LOGIN_PER_MINUTE: '5' });
    const junk = [];
    for (let i = 0; i < 20; i++) {
      junk.push(
        (
          await login(
            server.url,
            { authorizationCode: `junk-${i}`, referrer: 'DEFAULT' },
            { from: '127.0.0.2' },
          )
        ).status,
      );
    }
    expect(junk.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(junk.slice(5))).toEqual(new Set([429]));
    const { authorizationCode } = await mock.control.newUser();
    const other = await login(server.url, { authorizationCode, referrer: 'DEFAULT' }, { from: '127.0.0.3' });
    expect(other.status).toBe(200);
  });

  test('malformed logins are refused by validation without spending the caller’s tokens', async () => {
    const server = await serverWith('malformed', { RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
    for (let i = 0; i < 20; i++) {
      const reply = await login(
        server.url,
        { authorizationCode: '', referrer: 'EVIL' },
        { from: '127.0.0.2' },
      );
      expect([reply.status, appCode(reply)]).toEqual([400, 'BAD_REQUEST']);
    }
    const { authorizationCode } = await mock.control.newUser();
    const real = await login(server.url, { authorizationCode, referrer: 'DEFAULT' }, { from: '127.0.0.2' });
    expect(real.status).toBe(200);
  });

  test('behind one load balancer (TRUST_PROXY_HOPS=1) a forged X-Forwarded-For per request does not reset the limit', async () => {
    const server = await serverWith('xff', { RATE_LIMIT_LOGIN_PER_MINUTE: '3', TRUST_PROXY_HOPS: '1' });
    const lb = await loadBalancer(server.url);
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        const reply = await login(
          lb.url,
          { authorizationCode: `junk-${i}`, referrer: 'DEFAULT' },
          { from: '127.0.0.2', headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } },
        );
        statuses.push(reply.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      // The limit is on the address the load balancer saw: another client behind it is unaffected.
      const { authorizationCode } = await mock.control.newUser();
      const other = await login(lb.url, { authorizationCode, referrer: 'DEFAULT' }, { from: '127.0.0.3' });
      expect(other.status).toBe(200);
    } finally {
      await lb.close();
    }
  });

  test('with no trusted proxy (the default) X-Forwarded-For is ignored', async () => {
    const server = await serverWith('noproxy', { RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const reply = await login(
        server.url,
        { authorizationCode: 'junk', referrer: 'DEFAULT' },
        { from: '127.0.0.2', headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } },
      );
      statuses.push(reply.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  test('the global login ceiling stops many clients that each stay under their own limit', async () => {
    const server = await serverWith('global', {
      RATE_LIMIT_LOGIN_PER_MINUTE: '2',
      RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE: '4',
    });
    const statuses = [];
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      for (let i = 0; i < 2; i++) {
        statuses.push(
          (await login(server.url, { authorizationCode: 'junk', referrer: 'DEFAULT' }, { from })).status,
        );
      }
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });
});

describe('TOSS_ENVIRONMENT=production', () => {
  test('a SANDBOX login is refused before Toss is asked; the live app logs in, stored as production', async () => {
    const server = await serverWith('prodenv', { TOSS_ENVIRONMENT: 'production' });
    const sandboxCode = await sandboxLoginCode();
    const sandbox = await login(server.url, { authorizationCode: sandboxCode, referrer: 'SANDBOX' });
    expect([sandbox.status, appCode(sandbox)]).toEqual([401, 'LOGIN_FAILED']);
    const { authorizationCode } = await mock.control.newUser();
    const live = await login(server.url, { authorizationCode, referrer: 'DEFAULT' });
    expect(live.status).toBe(200);
    const sessions = await server.server.deps.database.db
      .selectFrom('sessions')
      .select('environment')
      .execute();
    expect(sessions.map((s) => s.environment)).toEqual(['production']);
    // The refused code never reached Toss (codes are single-use): a sandbox server still accepts it.
    const sandboxServer = await serverWith('sandboxenv', {});
    const accepted = await login(sandboxServer.url, { authorizationCode: sandboxCode, referrer: 'SANDBOX' });
    expect(accepted.status).toBe(200);
  });

  test("the sandbox app's SKU aliases are ignored for production sessions", async () => {
    const server = await serverWith('prodalias', { TOSS_ENVIRONMENT: 'production' });
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    const reply = await server.api.mutation<{ granted: boolean; reason: string }>(
      'iap.fulfill',
      { orderId, sku: 'test_product_1' },
      user.token,
    );
    expect(reply.data).toMatchObject({ granted: false, reason: 'UNKNOWN_SKU' });
    const named = await server.api.mutation<{ granted: boolean }>(
      'iap.fulfill',
      { orderId, sku: 'coin_100' },
      user.token,
    );
    expect(named.data?.granted).toBe(true);
    const order = await server.server.deps.database.db
      .selectFrom('orders')
      .select('environment')
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
    expect(order.environment).toBe('production');
  });

  test('ALLOW_SANDBOX_IN_PRODUCTION=true lets the sandbox app in, as sandbox sessions that may use the aliases', async () => {
    const server = await serverWith('prodallow', {
      TOSS_ENVIRONMENT: 'production',
      ALLOW_SANDBOX_IN_PRODUCTION: 'true',
    });
    const { userKey } = await mock.control.newUser();
    const reply = await login(server.url, {
      authorizationCode: await sandboxLoginCode(userKey),
      referrer: 'SANDBOX',
    });
    expect(reply.status).toBe(200);
    const token = tokenOf(reply);
    const sessions = await server.server.deps.database.db
      .selectFrom('sessions')
      .select('environment')
      .execute();
    expect(sessions.map((s) => s.environment)).toEqual(['sandbox']);
    const { orderId } = await mock.control.order(userKey, 'coin_100');
    const fulfilled = await server.api.mutation<{ granted: boolean; sku: string }>(
      'iap.fulfill',
      { orderId, sku: 'test_product_1' },
      token,
    );
    expect(fulfilled.data).toMatchObject({ granted: true, sku: 'coin_100' });
    // The order remembers it was bought through the sandbox app: a test purchase, not revenue.
    const order = await server.server.deps.database.db
      .selectFrom('orders')
      .select('environment')
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
    expect(order.environment).toBe('sandbox');
  });
});

describe('request ids and logs', () => {
  test('a well-formed x-request-id is echoed; a malformed one is replaced by a fresh id', async () => {
    const server = await serverWith('reqid', {});
    const kept = await request(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-1234.abc_DEF' } });
    expect(kept.headers['x-request-id']).toBe('lb-1234.abc_DEF');
    const replaced = await request(`${server.url}/healthz`, {
      headers: { 'x-request-id': 'bad id\twith spaces' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await request(`${server.url}/trpc/catalog.list`);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("an internal error's log line carries the stack, the cause and the request id; the client sees no detail", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({
      level: 'info',
      clock: systemClock,
      sink: (line) => lines.push(JSON.parse(line)),
    });
    const failingToss: TossClient = {
      generateToken: async () => ({
        tokenType: 'Bearer',
        accessToken: 'a',
        refreshToken: 'r',
        expiresIn: 3600,
        scope: 'user_key',
      }),
      loginMe: async () => ({ userKey: 424242, scope: 'user_key', agreedTerms: [] }) as never,
      getOrderStatus: async () => {
        throw new TypeError('partner client bug', { cause: new Error('socket state lost') });
      },
      removeByAccessToken: async () => {},
      close: () => {},
    };
    const server = await serverWith('internal', {}, { log, toss: failingToss });
    const session = await login(server.url, { authorizationCode: 'any', referrer: 'DEFAULT' });
    const token = tokenOf(session);
    const reply = await request(`${server.url}/trpc/iap.fulfill`, {
      body: JSON.stringify({ orderId: '01900000-0000-7000-8000-0000000000ff', sku: 'coin_100' }),
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-internal-1' },
    });
    expect([reply.status, appCode(reply)]).toEqual([500, 'INTERNAL']);
    expect(reply.body).not.toContain('partner client bug');
    const line = lines.find((l) => l.event === 'trpc.internal_error');
    expect(line).toMatchObject({ level: 'error', requestId: 'req-internal-1', path: 'iap.fulfill' });
    const err = line?.err as {
      stack: string;
      cause: { message: string; stack: string; cause?: { message: string } };
    };
    // The TRPCError wraps what was thrown; its cause chain keeps the original stack and the original's own cause.
    const chain = JSON.stringify(err);
    expect(chain).toContain('partner client bug');
    expect(chain).toContain('socket state lost');
    expect(chain).toMatch(/at .*production\.test\.ts/);
    expect(typeof err.stack).toBe('string');
    // The line carries the session's user too; and an ordinary line (the login) carries ITS request's id, the one
    // that request's response echoed.
    expect(typeof line?.userId).toBe('string');
    const loginLine = lines.find((l) => l.event === 'auth.login');
    expect(loginLine?.requestId).toBe(session.headers['x-request-id']);
    expect(loginLine?.requestId).not.toBe('req-internal-1');
  });
});

describe('health, readiness, draining', () => {
  test('/healthz and /readyz are 200 on a migrated database', async () => {
    const server = await serverWith('ready', {});
    expect((await request(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await request(`${server.url}/readyz`);
    expect([ready.status, ready.body]).toEqual([200, '{"ok":true}']);
  });

  test('/readyz is 503 when a migration is missing', async () => {
    const server = await serverWith('unmigrated', {});
    await server.server.deps.database.db
      .deleteFrom('kysely_migration' as never)
      .where('name' as never, '=', '005_sessions_orders_environment' as never)
      .execute();
    const reply = await request(`${server.url}/readyz`);
    expect(reply.status).toBe(503);
    expect(reply.json()).toMatchObject({ ok: false, reason: 'migrations' });
  });

  test('on shutdown /readyz turns 503 while requests are still served, before the listener closes', async () => {
    const server = await startServer(
      testConfig(mock.mock, await testDatabase(tmp.dir, 'drain'), { SHUTDOWN_DRAIN_MS: '1500' }),
    );
    const closing = server.close();
    const ready = await request(`${server.url}/readyz`);
    expect([ready.status, ready.json()]).toEqual([503, { ok: false, reason: 'draining' }]);
    expect((await request(`${server.url}/trpc/catalog.list`)).status).toBe(200);
    await closing;
    await expect(request(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('metrics', () => {
  test('off by default: no listener, and /metrics is not on the public port', async () => {
    const server = await serverWith('nometrics', {});
    expect(server.server.deps.metrics.enabled).toBe(false);
    expect((await request(`${server.url}/metrics`)).status).toBe(404);
  });

  test('METRICS_PORT serves fulfill outcomes, partner latency, reconcile findings and held orders', async () => {
    const server = await serverWith('metrics', { METRICS_PORT: '0' });
    const metricsUrl = server.metricsUrl;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const user = await loginUser(server.api, mock.control);
    const { orderId } = await mock.control.order(user.userKey, 'coin_100');
    const granted = await server.api.mutation<{ reason: string }>(
      'iap.fulfill',
      { orderId, sku: 'coin_100' },
      user.token,
    );
    expect(granted.data?.reason).toBe('GRANTED');
    const db = server.server.deps.database.db;
    await db.updateTable('orders').set({ state: 'HELD' }).where('order_id', '=', orderId).execute();
    await mock.control.refund(orderId);
    const report = await server.server.reconcileOnce();
    const scrape = await request(String(metricsUrl));
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toContain('text/plain');
    const text = scrape.body;
    expect(text).toContain('ait_iap_fulfill_outcomes_total{reason="GRANTED",granted="true"} 1');
    expect(text).toMatch(
      /ait_iap_partner_request_duration_seconds_count\{operation="get_order_status",outcome="ok"\} [1-9]/,
    );
    expect(text).toMatch(/ait_iap_trpc_calls_total\{procedure="auth.login",outcome="ok"\} [1-9]/);
    expect(text).toContain('ait_iap_reconcile_runs_total{outcome="completed"} 1');
    expect(text).toContain(`ait_iap_reconcile_findings_total{kind="revoked"} ${report.revoked.length}`);
    expect(text).toMatch(/ait_iap_orders_held \d+/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('held orders are counted at scrape time', async () => {
    const server = await serverWith('held', { METRICS_PORT: '0' });
    const metricsUrl = String(server.metricsUrl);
    const user = await loginUser(server.api, mock.control);
    const held = async () => Number(/ait_iap_orders_held (\d+)/.exec((await request(metricsUrl)).body)?.[1]);
    expect(await held()).toBe(0);
    for (let i = 0; i < 2; i++) {
      const { orderId } = await mock.control.order(user.userKey, 'coin_100');
      await server.api.mutation('iap.fulfill', { orderId, sku: 'coin_100' }, user.token);
      await server.server.deps.database.db
        .updateTable('orders')
        .set({ state: 'HELD' })
        .where('order_id', '=', orderId)
        .execute();
    }
    expect(await held()).toBe(2);
  });
});

describe('config for production', () => {
  test('TRUST_PROXY is refused (true by name), a hop count or a subnet list is taken, never both', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY was replaced.*"true" is refused/s);
    expect(() => loadConfig({ TRUST_PROXY: 'false' })).toThrow(/TRUST_PROXY_HOPS/);
    expect(loadConfig({}).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY_HOPS: '1' }).trustProxy).toBe(1);
    expect(
      loadConfig({ TRUST_PROXY_SUBNETS: '10.0.0.0/8, 192.168.1.10,loopback,fd00::/8' }).trustProxy,
    ).toEqual(['10.0.0.0/8', '192.168.1.10', 'loopback', 'fd00::/8']);
    expect(() => loadConfig({ TRUST_PROXY_HOPS: 'true' })).toThrow(/TRUST_PROXY_HOPS must be a whole number/);
    expect(() => loadConfig({ TRUST_PROXY_SUBNETS: '10.0.0.0/33' })).toThrow(
      /TRUST_PROXY_SUBNETS: "10.0.0.0\/33"/,
    );
    expect(() => loadConfig({ TRUST_PROXY_SUBNETS: 'everyone' })).toThrow(/TRUST_PROXY_SUBNETS/);
    expect(() => loadConfig({ TRUST_PROXY_HOPS: '1', TRUST_PROXY_SUBNETS: '10.0.0.1' })).toThrow(/not both/);
  });

  test('TOSS_ENVIRONMENT defaults to sandbox in dev/test and must be set when NODE_ENV=production', () => {
    expect(loadConfig({}).environment).toBe('sandbox');
    expect(loadConfig({ NODE_ENV: 'test' }).environment).toBe('sandbox');
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /TOSS_ENVIRONMENT: required when NODE_ENV=production/,
    );
    // (Production also needs the mTLS pair: test/fail-closed.test.ts.)
    const prod = loadConfig({
      NODE_ENV: 'production',
      TOSS_ENVIRONMENT: 'production',
      TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
      TOSS_MTLS_KEY: mock.mock.certs.clientKeyPath,
    });
    expect([prod.environment, prod.allowSandbox]).toEqual(['production', false]);
    expect(
      loadConfig({ TOSS_ENVIRONMENT: 'production', ALLOW_SANDBOX_IN_PRODUCTION: 'true' }).allowSandbox,
    ).toBe(true);
    expect(() => loadConfig({ TOSS_ENVIRONMENT: 'live' })).toThrow(
      /TOSS_ENVIRONMENT must be production or sandbox/,
    );
    expect(() => loadConfig({ ALLOW_SANDBOX_IN_PRODUCTION: 'yes' })).toThrow(/ALLOW_SANDBOX_IN_PRODUCTION/);
  });

  test('metrics are off unless METRICS_PORT is set; LOG_FORMAT is checked', () => {
    expect(loadConfig({}).metrics).toBeNull();
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  test('the pretty log format is one readable line per event, with the request id and the error stack below', () => {
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      clock: systemClock,
      format: 'pretty',
      color: false,
      sink: (l) => lines.push(l),
    });
    runWithLogFields({ requestId: 'req-7' }, () =>
      log.error('trpc.internal_error', {
        path: 'iap.fulfill',
        err: new Error('boom', { cause: new Error('root') }),
      }),
    );
    const [head, ...stack] = (lines[0] ?? '').split('\n');
    expect(head).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} ERROR trpc\.internal_error \[req-7\] path=iap\.fulfill err="boom/,
    );
    expect(stack[0]).toBe('Error: boom');
    expect(stack.some((l) => l === 'caused by: Error: root')).toBe(true);
    expect(prettyLine('not json', false)).toBe('not json');
  });
});
