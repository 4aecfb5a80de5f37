/**
 * The HTTP surface as a browser or curl sees it: health, sessions (401 with typed codes), malformed input → 4xx
 * with a typed code while the server keeps serving, body limit, CORS allow-list, security headers, rate limits.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createManualClock } from '../src/clock';
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
let server: ServerHarness;
const clock = createManualClock(Date.now());

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  server = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'app'), {
      SESSION_TTL_SECONDS: '3600',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      BODY_LIMIT_BYTES: '65536',
    }),
    { clock },
  );
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const orderId = '01900000-0000-7000-8000-0000000000aa';

test('GET /healthz → 200 {"ok":true}', async () => {
  const response = await fetch(`${server.url}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true });
});

test('catalog.list shows active, visible products with Toss-style prices', async () => {
  const reply = await server.api.query<{ products: Array<Record<string, unknown>> }>('catalog.list');
  const skus = reply.data?.products.map((p) => p.sku);
  expect(skus).toEqual(expect.arrayContaining(['coin_100', 'coin_550', 'remove_ads', 'premium_monthly']));
  expect(skus).not.toContain('coin_1200_event'); // invisible in the console
  expect(reply.data?.products.find((p) => p.sku === 'coin_100')).toMatchObject({
    type: 'CONSUMABLE',
    salePrice: 1050,
    displayAmount: '1,050원',
    grant: { kind: 'currency', currency: 'COIN', amount: 100 },
  });
  expect(reply.data?.products.find((p) => p.sku === 'premium_monthly')).toMatchObject({
    renewalCycle: 'MONTHLY',
    offers: [{ type: 'FREE_TRIAL', offerId: 'premium_trial_7d', period: 'P7D' }],
  });
});

describe('sessions', () => {
  test('login returns our own session token; Toss tokens never reach the client', async () => {
    const { authorizationCode } = await mock.control.newUser();
    const reply = await server.api.mutation<Record<string, unknown>>('auth.login', {
      authorizationCode,
      referrer: 'DEFAULT',
    });
    expect(Object.keys(reply.data ?? {}).sort()).toEqual(['expiresAt', 'token', 'user']);
    expect(reply.data?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await server.server.deps.database.db.selectFrom('sessions').select('token_hash').execute();
    expect(stored.map((s) => s.token_hash)).not.toContain(reply.data?.token);
  });

  test('the same Toss user logging in twice is one user', async () => {
    const { userKey, authorizationCode } = await mock.control.newUser();
    const first = await server.api.mutation<{ user: { id: string } }>('auth.login', {
      authorizationCode,
      referrer: 'DEFAULT',
    });
    const { authorizationCode: second } = await mock.control.codeFor(userKey);
    const again = await server.api.mutation<{ user: { id: string } }>('auth.login', {
      authorizationCode: second,
      referrer: 'DEFAULT',
    });
    expect(again.data?.user.id).toBe(first.data?.user.id);
  });

  test('a used or invalid authorization code → LOGIN_FAILED', async () => {
    const { authorizationCode } = await mock.control.newUser();
    await server.api.mutation('auth.login', { authorizationCode, referrer: 'DEFAULT' });
    const reused = await server.api.mutation('auth.login', { authorizationCode, referrer: 'DEFAULT' });
    expect(reused.status).toBe(401);
    expect(reused.error?.data.appCode).toBe('LOGIN_FAILED');
  });

  test('no token, a bogus token, or a logged-out token → 401 UNAUTHORIZED', async () => {
    const none = await server.api.query('me.inventory');
    expect([none.status, none.error?.data.appCode]).toEqual([401, 'UNAUTHORIZED']);
    const bogus = await server.api.query('me.inventory', undefined, 'x'.repeat(43));
    expect([bogus.status, bogus.error?.data.appCode]).toEqual([401, 'UNAUTHORIZED']);
    const user = await loginUser(server.api, mock.control);
    expect((await server.api.mutation('auth.logout', undefined, user.token)).data).toEqual({ ok: true });
    const after = await server.api.query('me.inventory', undefined, user.token);
    expect([after.status, after.error?.data.appCode]).toEqual([401, 'UNAUTHORIZED']);
  });

  test('an expired session → 401 SESSION_EXPIRED', async () => {
    const user = await loginUser(server.api, mock.control);
    expect((await server.api.query('me.inventory', undefined, user.token)).status).toBe(200);
    clock.advance(3601 * 1000);
    const expired = await server.api.mutation('iap.fulfill', { orderId, sku: 'coin_100' }, user.token);
    expect([expired.status, expired.error?.data.appCode]).toEqual([401, 'SESSION_EXPIRED']);
  });

  test('a subscription is ACTIVE, then IN_GRACE_PERIOD, then gone as time passes', async () => {
    const user = await loginUser(server.api, mock.control);
    const { orderId: subOrder } = await mock.control.order(user.userKey, 'premium_monthly');
    await server.api.mutation('iap.fulfill', { orderId: subOrder, sku: 'premium_monthly' }, user.token);
    const statusAfter = async (ms: number) => {
      clock.advance(ms);
      // Sessions last an hour: log the same Toss user in again after moving time.
      const { authorizationCode } = await mock.control.codeFor(user.userKey);
      const login = await server.api.mutation<{ token: string }>('auth.login', {
        authorizationCode,
        referrer: 'DEFAULT',
      });
      const inv = await server.api.query<{ entitlements: Array<{ status?: string }> }>(
        'me.inventory',
        undefined,
        login.data?.token,
      );
      return inv.data?.entitlements.map((e) => e.status);
    };
    expect(await statusAfter(0)).toEqual(['ACTIVE']);
    expect(await statusAfter(32 * 86_400_000)).toEqual(['IN_GRACE_PERIOD']);
    expect(await statusAfter(4 * 86_400_000)).toEqual([]);
  });
});

describe('malformed input → 4xx with a typed code, and the server keeps serving', () => {
  const bad: Array<[string, unknown]> = [
    ['a non-UUID orderId', { orderId: 'not-a-uuid', sku: 'coin_100' }],
    ['wrong types', { orderId: 42, sku: ['coin_100'] }],
    ['an extra field', { orderId, sku: 'coin_100', grantTwice: true }],
    ['a missing field', { orderId }],
    ['an over-long sku', { orderId, sku: 'x'.repeat(500) }],
    ['not JSON at all', '{"orderId":'],
  ];
  for (const [name, input] of bad) {
    test(`iap.fulfill with ${name} → 400 BAD_REQUEST`, async () => {
      const user = await loginUser(server.api, mock.control);
      const reply = await server.api.mutation('iap.fulfill', input, user.token);
      expect(reply.status).toBe(400);
      expect(reply.error?.data.appCode).toBe('BAD_REQUEST');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });
  }

  test('a huge body → 413 with a typed code', async () => {
    const user = await loginUser(server.api, mock.control);
    const orders = Array.from({ length: 5000 }, () => ({ orderId, sku: 'coin_100', status: 'COMPLETED' }));
    const reply = await server.api.mutation('iap.sync', { orders }, user.token);
    expect(reply.status).toBe(413);
    expect(reply.error?.data.appCode).toBe('BAD_REQUEST');
    expect((await server.api.query('catalog.list')).status).toBe(200);
  });

  test('a sync of more than 500 orders is refused', async () => {
    const user = await loginUser(server.api, mock.control);
    const orders = Array.from({ length: 501 }, () => ({ orderId, sku: 'c', status: 'COMPLETED' }));
    expect((await server.api.mutation('iap.sync', { orders }, user.token)).status).toBe(400);
  });

  test('an unknown procedure → 404 with a typed code', async () => {
    const reply = await server.api.mutation('iap.grantEverything', {});
    expect(reply.status).toBe(404);
    expect(reply.error?.data.appCode).toBe('BAD_REQUEST');
  });

  test('a bad login referrer → 400', async () => {
    const reply = await server.api.mutation('auth.login', { authorizationCode: 'x', referrer: 'EVIL' });
    expect([reply.status, reply.error?.data.appCode]).toEqual([400, 'BAD_REQUEST']);
  });
});

describe('hardening', () => {
  test('security headers are set and the framework is not advertised', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  test('CORS: the dev web origin may call, another origin may not', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/trpc/iap.fulfill`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const denied = await preflight('https://evil.example');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('CORS: a tRPC answer still varies by Origin, so a shared cache never hands one origin another’s', async () => {
    const response = await fetch(`${server.url}/trpc/catalog.list`, {
      headers: { origin: 'http://localhost:5173' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const vary = (response.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());
    expect(vary).toContain('origin');
  });
});

test('rate limits: a burst of logins from one IP is cut off with RATE_LIMITED', async () => {
  const limitedClock = createManualClock(Date.now());
  const limited = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'limited'), {
      RATE_LIMIT_LOGIN_PER_MINUTE: '3',
      RATE_LIMIT_FULFILL_PER_MINUTE: '2',
    }),
    { clock: limitedClock },
  );
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await limited.api.mutation('auth.login', { authorizationCode: 'nope', referrer: 'DEFAULT' })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401]);
    const blocked = await limited.api.mutation('auth.login', {
      authorizationCode: 'nope',
      referrer: 'DEFAULT',
    });
    expect([blocked.status, blocked.error?.data.appCode]).toEqual([429, 'RATE_LIMITED']);
    limitedClock.advance(60_000);
    const user = await loginUser(limited.api, mock.control);
    const fulfills: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await limited.api.mutation<{ reason: string }>(
        'iap.fulfill',
        { orderId, sku: 'coin_100' },
        user.token,
      );
      fulfills.push(r.data?.reason ?? r.error?.data.appCode ?? '?');
    }
    expect(fulfills).toEqual(['ORDER_NOT_FOUND', 'ORDER_NOT_FOUND', 'RATE_LIMITED']);
  } finally {
    await limited.close();
  }
});

test('rate limits: iap.sync spends one token per partner call and defers the rest, ungranted orders first', async () => {
  const clock = createManualClock(Date.now());
  const limited = await startServer(
    testConfig(mock.mock, await testDatabase(tmp.dir, 'limitedsync'), { RATE_LIMIT_FULFILL_PER_MINUTE: '3' }),
    { clock },
  );
  try {
    const user = await loginUser(limited.api, mock.control);
    const orders: Array<{ orderId: string; sku: string; status: 'COMPLETED' }> = [];
    for (let i = 0; i < 5; i++) {
      const { orderId: id } = await mock.control.order(user.userKey, 'coin_100');
      orders.push({ orderId: id, sku: 'coin_100', status: 'COMPLETED' });
    }
    const attempts = async () =>
      (await limited.server.deps.database.db.selectFrom('fulfillment_attempts').select('id').execute())
        .length;
    type Sync = { checked: number; granted: string[]; deferred: string[]; unchanged: number };
    // 3 tokens: 1 for the request, 2 for partner calls; the other 3 orders wait for the next sync.
    const first = await limited.api.mutation<Sync>('iap.sync', { orders }, user.token);
    expect(first.data).toMatchObject({ checked: 5, unchanged: 0 });
    expect(first.data?.granted).toHaveLength(2);
    expect(first.data?.deferred).toHaveLength(3);
    expect(await attempts()).toBe(2);
    const spent = await limited.api.mutation('iap.sync', { orders }, user.token);
    expect(spent.error?.data.appCode).toBe('RATE_LIMITED');
    expect(await attempts()).toBe(2);
    // A minute later the budget goes to ungranted orders first, not to re-checking the two already granted.
    clock.advance(60_000);
    const second = await limited.api.mutation<Sync>('iap.sync', { orders }, user.token);
    expect(second.data).toMatchObject({ checked: 5, unchanged: 0 });
    expect(second.data?.granted).toHaveLength(2);
    for (const id of second.data?.granted ?? []) expect(first.data?.deferred).toContain(id);
    expect(second.data?.deferred).toHaveLength(3);
    expect(await attempts()).toBe(4);
  } finally {
    await limited.close();
  }
});
