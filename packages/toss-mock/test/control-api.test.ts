import { copyFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultCatalogPath, type TossMock } from '../src/index';
import { control, newUser, startTestMock, tempDir } from './helpers';

let mock: TossMock;
let catalogDir: Awaited<ReturnType<typeof tempDir>>;
let catalogPath: string;
beforeAll(async () => {
  catalogDir = await tempDir();
  catalogPath = join(catalogDir.dir, 'products.json');
  await copyFile(defaultCatalogPath, catalogPath);
  mock = await startTestMock({ catalogPath, now: () => new Date('2026-01-01T00:00:00.000Z') });
});
afterAll(async () => {
  await mock.close();
  await catalogDir.remove();
});
beforeEach(async () => {
  await control(mock, 'POST', '/__mock/reset');
});

describe('bad input never crashes the mock', () => {
  const cases: [string, 'POST' | 'DELETE' | 'GET', string, unknown][] = [
    ['users with a string userKey', 'POST', '/__mock/users', { userKey: 'abc' }],
    ['users with an unknown field', 'POST', '/__mock/users', { userKey: 1, admin: true }],
    ['orders without a sku', 'POST', '/__mock/orders', { userKey: 1 }],
    [
      'orders with an unknown status',
      'POST',
      '/__mock/orders',
      { userKey: 1, sku: 'coin_100', status: 'PAID?' },
    ],
    ['faults of an unknown kind', 'POST', '/__mock/faults', { kind: 'explode' }],
    ['faults with a rate above 1', 'POST', '/__mock/faults', { kind: 'error5xx', rate: 2 }],
    ['clock with a date that is not ISO', 'POST', '/__mock/clock', { set: 'tomorrow' }],
    ['clock with nothing to do', 'POST', '/__mock/clock', {}],
    ['status-reading with an unknown reading', 'POST', '/__mock/status-reading', { reading: 'maybe' }],
    ['next-purchase with an unknown outcome', 'POST', '/__mock/next-purchase', { outcome: 'EXPLODE' }],
    ['options with a negative page size', 'POST', '/__mock/options', { pageSize: -1 }],
    ['a body that is not JSON', 'POST', '/__mock/users', '{"userKey":'],
    ['a body that is a JSON string', 'POST', '/__mock/orders', '"coin_100"'],
    ['a host checkout without a kind', 'POST', '/__mock/host/checkout', { userKey: 1, sku: 'coin_100' }],
    ['a host payment of an unknown checkout', 'POST', '/__mock/host/checkout/unknown/pay', undefined],
    ['a history page key that is not one', 'POST', '/__mock/host/completed', { userKey: 1, key: 'bm9wZQ' }],
    ['an order id that is not valid percent-encoding', 'POST', '/__mock/orders/%E0%A4%A/refund', undefined],
    ['a body over 256 KB', 'POST', '/__mock/users', JSON.stringify({ pad: 'x'.repeat(300_000) })],
  ];
  for (const [name, method, path, body] of cases) {
    it(`answers 400 with a message: ${name}`, async () => {
      const res = await control(mock, method, path, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toMatch(/^[A-Z_]+$/);
      expect(res.body.error.message.length).toBeGreaterThan(5);
    });
  }

  it('answers 404 to unknown routes, orders and subscription actions', async () => {
    expect((await control(mock, 'GET', '/__mock/nope')).status).toBe(404);
    expect((await control(mock, 'GET', '/elsewhere')).status).toBe(404);
    expect((await control(mock, 'POST', '/__mock/orders/unknown/refund')).status).toBe(404);
    expect((await control(mock, 'POST', '/__mock/subscriptions/unknown/renew')).status).toBe(404);
    const ending = { ending: 'granted' };
    expect((await control(mock, 'POST', '/__mock/orders/unknown/grant', ending)).status).toBe(404);
    const { userKey } = await newUser(mock);
    const hostGrant = { userKey, orderId: 'unknown', ...ending };
    expect((await control(mock, 'POST', '/__mock/host/grant', hostGrant)).status).toBe(404);
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'premium_monthly' }))
      .body;
    const res = await control(mock, 'POST', `/__mock/subscriptions/${orderId}/cancel-everything`);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('renew');
    expect((await control(mock, 'GET', '/__mock/health')).body).toEqual({ ok: true });
  });

  it('refuses to refund an order that was never paid', async () => {
    const { userKey } = await newUser(mock);
    const { orderId } = (
      await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100', status: 'FAILED' })
    ).body;
    const res = await control(mock, 'POST', `/__mock/orders/${orderId}/refund`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('NOT_REFUNDABLE');
  });
});

describe('who may call the control API (loopback pages and no-Origin callers, JSON only)', () => {
  it('lets loopback pages read it (CORS) and passes their JSON preflight; refuses other origins with 403', async () => {
    for (const origin of [
      'http://localhost:5173',
      'http://127.0.0.1:4173',
      'https://localhost',
      'http://[::1]:5173',
    ]) {
      const res = await control(mock, 'GET', '/__mock/state', undefined, { origin });
      expect(res.status, origin).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    }
    const preflight = await control(mock, 'OPTIONS', '/__mock/users', undefined, {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    for (const origin of [
      'https://evil.example',
      'http://localhost.evil.example',
      'null',
      'http://10.0.0.5:5173',
    ]) {
      const res = await control(mock, 'GET', '/__mock/state', undefined, { origin });
      expect(res.status, origin).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN_ORIGIN');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('a cross-origin text/plain POST (no preflight in a browser) is refused and changes nothing', async () => {
    const { userKey } = await newUser(mock);
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' })).body;
    const before = (await control(mock, 'GET', '/__mock/state')).body;
    const attacks = [
      ['POST', `/__mock/orders/${orderId}/refund`, '{}'],
      ['POST', '/__mock/reset', ''],
      ['POST', '/__mock/status-reading', '{"reading":"payment-completed"}'],
    ] as const;
    for (const [method, path, body] of attacks) {
      const res = await control(mock, method, path, body, {
        origin: 'https://evil.example',
        'content-type': 'text/plain;charset=UTF-8',
      });
      expect(res.status, path).toBe(403);
    }
    expect((await control(mock, 'GET', '/__mock/state')).body).toEqual(before);
    expect(mock.state.orders.get(orderId)?.payment).toBe('paid');
  });

  it('a DNS-rebinding page (its own Host, no Origin on a GET) cannot read or change the mock', async () => {
    const { port } = new URL(mock.controlUrl);
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/__mock/state', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get(`evil.example:${port}`)).toBe(403);
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`)).toBe(200);
  });

  it('a foreign origin is refused even with a JSON body', async () => {
    const { userKey } = await newUser(mock);
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' })).body;
    const res = await control(
      mock,
      'POST',
      `/__mock/orders/${orderId}/refund`,
      {},
      { origin: 'https://evil.example' },
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: { code: 'FORBIDDEN_ORIGIN', message: expect.stringContaining('evil') },
    });
    expect(mock.state.orders.get(orderId)?.payment).toBe('paid');
  });

  it('refuses a POST or DELETE that is not application/json with 415, from any origin, changing nothing', async () => {
    const { userKey } = await newUser(mock);
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' })).body;
    await control(mock, 'POST', '/__mock/faults', { kind: 'error5xx' });
    const cases = [
      ['POST', `/__mock/orders/${orderId}/refund`, 'text/plain', {}],
      ['POST', '/__mock/reset', 'application/x-www-form-urlencoded', {}],
      ['POST', '/__mock/users', 'multipart/form-data; boundary=x', { origin: 'http://localhost:5173' }],
      ['DELETE', '/__mock/faults', 'text/plain', {}],
    ] as const;
    for (const [method, path, type, extra] of cases) {
      const res = await control(mock, method, path, '{}', { 'content-type': type, ...extra });
      expect(res.status, `${method} ${path} ${type}`).toBe(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const noType = await fetch(`${mock.controlUrl}/__mock/reset`, { method: 'POST' });
    expect(noType.status).toBe(415);
    const state = mock.state.snapshot();
    expect(state.orders.map((o) => o.payment)).toEqual(['paid']);
    expect(state.faults).toHaveLength(1);
    const json = await control(mock, 'POST', `/__mock/orders/${orderId}/refund`, undefined, {
      'content-type': 'application/json; charset=utf-8',
      origin: 'http://127.0.0.1:5173',
    });
    expect(json.status).toBe(200);
  });
});

describe('users, orders and the ledger', () => {
  it('creates numbered users and fresh codes for an existing one', async () => {
    const a = await newUser(mock);
    expect(typeof a.userKey).toBe('number');
    const again = (await control(mock, 'POST', '/__mock/users', { userKey: a.userKey })).body;
    expect(again.userKey).toBe(a.userKey);
    expect(again.authorizationCode).not.toBe(a.authorizationCode);
    const b = await newUser(mock);
    expect(b.userKey).not.toBe(a.userKey);
  });

  it('shows orders with their status and flags in the state', async () => {
    const { userKey } = await newUser(mock);
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' })).body;
    const state = (await control(mock, 'GET', '/__mock/state')).body;
    expect(state.orders).toEqual([
      expect.objectContaining({
        orderId,
        userKey,
        sku: 'coin_100',
        status: 'PAYMENT_COMPLETED',
        granted: null,
        grantEnding: null,
        completed: false,
        amount: 1050,
      }),
    ]);
    expect(state.reading).toBe('grant-failed');
    expect(state.options).toMatchObject({ statusReading: 'grant-failed', revealSku: false });
    expect(state.clock.now).toBe('2026-01-01T00:00:00.000Z');
  });

  it('moves the clock by an amount or to a moment, and reset puts it back', async () => {
    const moved = await control(mock, 'POST', '/__mock/clock', { advanceMs: 86_400_000 });
    expect(moved.body).toEqual({ now: '2026-01-02T00:00:00.000Z' });
    const set = await control(mock, 'POST', '/__mock/clock', { set: '2027-03-01T09:00:00+09:00' });
    expect(set.body).toEqual({ now: '2027-03-01T00:00:00.000Z' });
    await control(mock, 'POST', '/__mock/reset');
    expect((await control(mock, 'GET', '/__mock/state')).body.clock.now).toBe('2026-01-01T00:00:00.000Z');
  });

  it('reset forgets users, orders, faults and queued outcomes', async () => {
    const { userKey } = await newUser(mock);
    await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' });
    await control(mock, 'POST', '/__mock/faults', { kind: 'error5xx' });
    await control(mock, 'POST', '/__mock/next-purchase', { outcome: 'USER_CANCELED' });
    await control(mock, 'POST', '/__mock/reset');
    const state = (await control(mock, 'GET', '/__mock/state')).body;
    expect([state.users, state.orders, state.faults, state.nextPurchase]).toEqual([[], [], [], []]);
  });

  it('queues next-purchase outcomes, optionally per user', async () => {
    await control(mock, 'POST', '/__mock/next-purchase', { outcome: 'NETWORK_ERROR' });
    await control(mock, 'POST', '/__mock/next-purchase', { outcome: 'close-after-grant', userKey: 7 });
    expect((await control(mock, 'GET', '/__mock/state')).body.nextPurchase).toEqual([
      { outcome: 'NETWORK_ERROR', userKey: null },
      { outcome: 'close-after-grant', userKey: 7 },
    ]);
  });

  it('reloads the catalog file, and refuses an invalid one with the violation named', async () => {
    expect((await control(mock, 'POST', '/__mock/catalog')).body).toEqual({ products: 5 });
    await writeFile(
      catalogPath,
      JSON.stringify({
        feeRateBps: 500,
        products: [
          {
            sku: 'gem_10',
            type: 'CONSUMABLE',
            name: '보석 10개',
            description: '보석',
            supplyPrice: 1000,
            image: 'catalog/images/gem_10.png',
            minAppVersion: '1.0.0',
            visible: true,
            grant: { kind: 'currency', currency: 'GEM', amount: 10 },
          },
        ],
      }),
    );
    expect((await control(mock, 'POST', '/__mock/catalog')).body).toEqual({ products: 1 });
    await writeFile(
      catalogPath,
      JSON.stringify({ feeRateBps: 500, products: [{ sku: 'x', supplyPrice: 1 }] }),
    );
    const bad = await control(mock, 'POST', '/__mock/catalog');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('x:');
    await copyFile(defaultCatalogPath, catalogPath);
    expect((await control(mock, 'POST', '/__mock/catalog')).body).toEqual({ products: 5 });
  });
});

describe('subscriptions', () => {
  async function subscribe() {
    const { userKey } = await newUser(mock);
    const { orderId, subscriptionId } = (
      await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'premium_monthly' })
    ).body;
    const info = async () =>
      (await control(mock, 'POST', '/__mock/host/subscription', { userKey, orderId })).body.subscription;
    return { userKey, orderId, subscriptionId, info };
  }

  it('starts ACTIVE for a month and auto-renews when the clock passes the end', async () => {
    const { subscriptionId, info } = await subscribe();
    expect(subscriptionId).toBeTruthy();
    expect(await info()).toEqual({
      catalogId: 4,
      status: 'ACTIVE',
      expiresAt: '2026-02-01T00:00:00.000Z',
      isAutoRenew: true,
      gracePeriodExpiresAt: null,
      isAccessible: true,
    });
    await control(mock, 'POST', '/__mock/clock', { set: '2026-02-15T00:00:00Z' });
    expect(await info()).toMatchObject({ status: 'ACTIVE', expiresAt: '2026-03-01T00:00:00.000Z' });
  });

  it('a month from Jan 31 ends on the last day of February, then back on the 31st (clamped, not drifting)', async () => {
    await control(mock, 'POST', '/__mock/clock', { set: '2026-01-31T09:30:00Z' });
    const { info } = await subscribe();
    expect((await info()).expiresAt).toBe('2026-02-28T09:30:00.000Z');
    await control(mock, 'POST', '/__mock/clock', { set: '2026-03-01T00:00:00Z' });
    expect((await info()).expiresAt).toBe('2026-03-31T09:30:00.000Z');
    await control(mock, 'POST', '/__mock/clock', { set: '2026-04-01T00:00:00Z' });
    expect((await info()).expiresAt).toBe('2026-04-30T09:30:00.000Z');
    await control(mock, 'POST', '/__mock/clock', { set: '2028-01-31T12:00:00Z' });
    const leap = await subscribe();
    expect((await leap.info()).expiresAt).toBe('2028-02-29T12:00:00.000Z');
  });

  it('grace, then on hold when grace runs out; renew brings it back', async () => {
    const { orderId, info } = await subscribe();
    await control(mock, 'POST', `/__mock/subscriptions/${orderId}/grace`);
    expect(await info()).toMatchObject({
      status: 'IN_GRACE_PERIOD',
      gracePeriodExpiresAt: '2026-01-04T00:00:00.000Z',
      isAccessible: true,
    });
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 3 * 86_400_000 });
    expect(await info()).toMatchObject({ status: 'ON_HOLD', isAccessible: false });
    await control(mock, 'POST', `/__mock/subscriptions/${orderId}/renew`);
    expect(await info()).toMatchObject({
      status: 'ACTIVE',
      isAccessible: true,
      expiresAt: '2026-02-04T00:00:00.000Z',
    });
  });

  it('expire ends access and stops renewing; revoke also refunds the order', async () => {
    const first = await subscribe();
    await control(mock, 'POST', `/__mock/subscriptions/${first.orderId}/expire`);
    expect(await first.info()).toMatchObject({ status: 'EXPIRED', isAutoRenew: false, isAccessible: false });
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 90 * 86_400_000 });
    expect(await first.info()).toMatchObject({ status: 'EXPIRED' });

    const second = await subscribe();
    await control(mock, 'POST', `/__mock/subscriptions/${second.orderId}/revoke`);
    expect(await second.info()).toMatchObject({ status: 'REVOKED', isAccessible: false });
    const state = (await control(mock, 'GET', '/__mock/state')).body;
    expect(state.orders.find((o: { orderId: string }) => o.orderId === second.orderId).status).toBe(
      'REFUNDED',
    );
  });
});
