import { partnerPaths } from '@ait-iap/iap-contract';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDevCerts, type TossMock } from '../src/index';
import { callPartner, control, newUser, startTestMock, tempDir } from './helpers';

let mock: TossMock;
beforeAll(async () => {
  mock = await startTestMock();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  await control(mock, 'POST', '/__mock/reset');
});

const orderStatus = (userKey: number | string, orderId: string) =>
  callPartner(mock, {
    path: partnerPaths.getOrderStatus,
    headers: { 'x-toss-user-key': String(userKey) },
    body: { orderId },
  });

async function login(referrer = 'DEFAULT') {
  const { userKey, authorizationCode } = await newUser(mock);
  const res = await callPartner(mock, {
    path: partnerPaths.generateToken,
    body: { authorizationCode, referrer },
  });
  return { userKey, authorizationCode, res, token: res.json?.success };
}

describe('mTLS', () => {
  it('refuses a handshake without a client certificate', async () => {
    await expect(
      callPartner(mock, { path: partnerPaths.getOrderStatus, body: {}, identity: 'none' }),
    ).rejects.toThrow();
  });

  it('refuses a client certificate signed by another CA', async () => {
    const other = await tempDir();
    try {
      const foreign = await ensureDevCerts(other.dir);
      await expect(
        callPartner(mock, {
          path: partnerPaths.getOrderStatus,
          body: {},
          identity: { cert: foreign.clientCert, key: foreign.clientKey },
        }),
      ).rejects.toThrow();
    } finally {
      await other.remove();
    }
  });

  it('refuses the mock server certificate presented as a client certificate (signed by the dev CA, but no clientAuth usage)', async () => {
    await expect(
      callPartner(mock, {
        path: partnerPaths.getOrderStatus,
        body: {},
        identity: { cert: mock.certs.serverCert, key: mock.certs.serverKey },
      }),
    ).rejects.toThrow();
  });

  it('serves localhost with a certificate the dev CA vouches for', async () => {
    const res = await orderStatus(1, 'x');
    expect(res.status).toBe(200);
    expect(mock.partnerUrl).toMatch(/^https:\/\/localhost:\d+$/);
  });
});

describe('login: generate-token, login-me, refresh-token, remove-by-access-token', () => {
  it('exchanges a fresh code for a Bearer token valid one hour, and login-me names the user', async () => {
    const { userKey, res, token } = await login();
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      resultType: 'SUCCESS',
      success: {
        tokenType: 'Bearer',
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 3600,
        scope: 'user_key',
      },
    });
    const me = await callPartner(mock, {
      method: 'GET',
      path: partnerPaths.loginMe,
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({
      resultType: 'SUCCESS',
      success: { userKey, scope: 'user_key', agreedTerms: [] },
    });
  });

  it('accepts a code only once', async () => {
    const { authorizationCode } = await login();
    const again = await callPartner(mock, {
      path: partnerPaths.generateToken,
      body: { authorizationCode, referrer: 'DEFAULT' },
    });
    expect(again.status).toBe(401);
    expect(again.json).toEqual({
      resultType: 'FAIL',
      error: { errorCode: 'INVALID_AUTHORIZATION_CODE', reason: 'authorization code already used' },
    });
  });

  it('accepts a code for 10 minutes and not after', async () => {
    const early = await newUser(mock);
    const late = await newUser(mock);
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 10 * 60 * 1000 - 1000 });
    const ok = await callPartner(mock, {
      path: partnerPaths.generateToken,
      body: { authorizationCode: early.authorizationCode, referrer: 'DEFAULT' },
    });
    expect(ok.status).toBe(200);
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 1000 });
    const expired = await callPartner(mock, {
      path: partnerPaths.generateToken,
      body: { authorizationCode: late.authorizationCode, referrer: 'DEFAULT' },
    });
    expect(expired.json).toMatchObject({
      resultType: 'FAIL',
      error: { errorCode: 'INVALID_AUTHORIZATION_CODE' },
    });
  });

  it('refuses an unknown code, a referrer that does not match, and a malformed body', async () => {
    const unknown = await callPartner(mock, {
      path: partnerPaths.generateToken,
      body: { authorizationCode: 'nope', referrer: 'DEFAULT' },
    });
    expect(unknown.json).toMatchObject({
      resultType: 'FAIL',
      error: { errorCode: 'INVALID_AUTHORIZATION_CODE' },
    });
    const { authorizationCode } = await newUser(mock);
    const sandbox = await callPartner(mock, {
      path: partnerPaths.generateToken,
      body: { authorizationCode, referrer: 'SANDBOX' },
    });
    expect(sandbox.json).toMatchObject({
      resultType: 'FAIL',
      error: { errorCode: 'INVALID_AUTHORIZATION_CODE' },
    });
    const bad = await callPartner(mock, { path: partnerPaths.generateToken, body: { code: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'INVALID_REQUEST' } });
  });

  it('expires the access token after an hour; refresh-token issues a new pair once', async () => {
    const { userKey, token } = await login();
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 3600 * 1000 });
    const me = await callPartner(mock, {
      method: 'GET',
      path: partnerPaths.loginMe,
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    expect(me.status).toBe(401);
    expect(me.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'INVALID_ACCESS_TOKEN' } });

    const refreshed = await callPartner(mock, {
      path: partnerPaths.refreshToken,
      body: { refreshToken: token.refreshToken },
    });
    expect(refreshed.json).toMatchObject({
      resultType: 'SUCCESS',
      success: { tokenType: 'Bearer', expiresIn: 3600 },
    });
    const fresh = refreshed.json.success;
    const me2 = await callPartner(mock, {
      method: 'GET',
      path: partnerPaths.loginMe,
      headers: { authorization: `Bearer ${fresh.accessToken}` },
    });
    expect(me2.json).toMatchObject({ success: { userKey } });

    const reused = await callPartner(mock, {
      path: partnerPaths.refreshToken,
      body: { refreshToken: token.refreshToken },
    });
    expect(reused.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'INVALID_REFRESH_TOKEN' } });
  });

  it('remove-by-access-token logs the token out', async () => {
    const { token } = await login();
    const auth = { authorization: `Bearer ${token.accessToken}` };
    const removed = await callPartner(mock, { path: partnerPaths.removeByAccessToken, headers: auth });
    expect(removed.json).toEqual({ resultType: 'SUCCESS', success: {} });
    const me = await callPartner(mock, { method: 'GET', path: partnerPaths.loginMe, headers: auth });
    expect(me.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'INVALID_ACCESS_TOKEN' } });
    const twice = await callPartner(mock, { path: partnerPaths.removeByAccessToken, headers: auth });
    expect(twice.status).toBe(401);
  });

  it('login-me without a Bearer token fails', async () => {
    const me = await callPartner(mock, { method: 'GET', path: partnerPaths.loginMe });
    expect(me.status).toBe(401);
    expect(me.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'INVALID_ACCESS_TOKEN' } });
  });
});

describe('get-order-status', () => {
  async function order(userKey: number, sku: string, status?: string) {
    const res = await control(mock, 'POST', '/__mock/orders', {
      userKey,
      sku,
      ...(status ? { status } : {}),
    });
    expect(res.status).toBe(200);
    return res.body.orderId as string;
  }

  it('answers exactly the documented { orderId, status, reason } for a paid order, to its owner only', async () => {
    const a = await newUser(mock);
    const b = await newUser(mock);
    const orderId = await order(a.userKey, 'coin_100');
    expect(orderId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const mine = await orderStatus(a.userKey, orderId);
    expect(mine.json).toEqual({
      resultType: 'SUCCESS',
      success: { orderId, status: 'PAYMENT_COMPLETED', reason: null },
    });
    const theirs = await orderStatus(b.userKey, orderId);
    expect(theirs.json).toEqual({
      resultType: 'SUCCESS',
      success: { orderId, status: 'NOT_FOUND', reason: expect.any(String) },
    });
  });

  it('adds the undocumented sku only when opted in (SKU revealed), never for another user', async () => {
    const a = await newUser(mock);
    const b = await newUser(mock);
    const orderId = await order(a.userKey, 'coin_100');
    const options = await control(mock, 'POST', '/__mock/options', { revealSku: true });
    expect(options.body.options).toMatchObject({ revealSku: true });
    expect((await orderStatus(a.userKey, orderId)).json).toEqual({
      resultType: 'SUCCESS',
      success: { orderId, status: 'PAYMENT_COMPLETED', reason: null, sku: 'coin_100' },
    });
    expect((await orderStatus(b.userKey, orderId)).json.success.sku).toBeUndefined();
    await control(mock, 'POST', '/__mock/options', { revealSku: false });
    expect((await orderStatus(a.userKey, orderId)).json.success).toEqual({
      orderId,
      status: 'PAYMENT_COMPLETED',
      reason: null,
    });
  });

  it('reads each kind of order with its documented status', async () => {
    const { userKey } = await newUser(mock);
    const cases: [string, string | undefined, string][] = [
      ['coin_100', 'FAILED', 'FAILED'],
      ['coin_100', 'ORDER_IN_PROGRESS', 'ORDER_IN_PROGRESS'],
      ['coin_100', 'REFUNDED', 'REFUNDED'],
      ['another_apps_sku', undefined, 'MINIAPP_MISMATCH'],
    ];
    for (const [sku, status, expected] of cases) {
      const orderId = await order(userKey, sku, status);
      const res = await orderStatus(userKey, orderId);
      expect(res.json, `${sku} ${status}`).toMatchObject({
        resultType: 'SUCCESS',
        success: { status: expected },
      });
    }
    const unknown = await orderStatus(userKey, '0190a000-0000-7000-8000-000000000000');
    expect(unknown.json).toMatchObject({ success: { status: 'NOT_FOUND' } });
  });

  it('reads REFUNDED after a refund through the control API', async () => {
    const { userKey } = await newUser(mock);
    const orderId = await order(userKey, 'remove_ads');
    expect((await control(mock, 'POST', `/__mock/orders/${orderId}/refund`)).body).toEqual({ ok: true });
    expect((await orderStatus(userKey, orderId)).json).toMatchObject({ success: { status: 'REFUNDED' } });
  });

  it('requires a numeric x-toss-user-key and an orderId', async () => {
    const missing = await callPartner(mock, { path: partnerPaths.getOrderStatus, body: { orderId: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'MISSING_USER_KEY' } });
    const words = await orderStatus('abc', 'x');
    expect(words.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'MISSING_USER_KEY' } });
    const noOrder = await callPartner(mock, {
      path: partnerPaths.getOrderStatus,
      headers: { 'x-toss-user-key': '1' },
      body: {},
    });
    expect(noOrder.status).toBe(400);
    expect(noOrder.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'INVALID_REQUEST' } });
    const notJson = await callPartner(mock, {
      path: partnerPaths.getOrderStatus,
      headers: { 'x-toss-user-key': '1' },
      body: undefined,
    });
    expect(notJson.status).toBe(400);
  });

  it('answers unknown paths with 404 and wrong methods with 405, in the FAIL envelope', async () => {
    const unknown = await callPartner(mock, { path: '/api-partner/v1/nope', body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'NOT_FOUND' } });
    const wrong = await callPartner(mock, { method: 'GET', path: partnerPaths.getOrderStatus });
    expect(wrong.status).toBe(405);
    expect(wrong.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'METHOD_NOT_ALLOWED' } });
  });
});

describe('status readings: what a paid order reads after its grant', () => {
  const paid = async (userKey: number) =>
    (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' })).body.orderId as string;
  const endGrant = (orderId: string, ending: string) =>
    control(mock, 'POST', `/__mock/orders/${orderId}/grant`, { ending });
  const statusOf = async (userKey: number, orderId: string) =>
    (await orderStatus(userKey, orderId)).json.success.status as string;
  const pendingIds = async (userKey: number) =>
    (await control(mock, 'POST', '/__mock/host/pending', { userKey })).body.orders.map(
      (o: { orderId: string }) => o.orderId,
    );

  const endings = ['open', 'granted', 'not-granted', 'no-answer', 'app-closed'] as const;
  const table: Record<string, Record<(typeof endings)[number], string>> = {
    'grant-failed': {
      open: 'PAYMENT_COMPLETED',
      granted: 'PAYMENT_COMPLETED',
      'not-granted': 'FAILED',
      'no-answer': 'FAILED',
      'app-closed': 'FAILED',
    },
    'payment-completed': {
      open: 'PAYMENT_COMPLETED',
      granted: 'PAYMENT_COMPLETED',
      'not-granted': 'PAYMENT_COMPLETED',
      'no-answer': 'PAYMENT_COMPLETED',
      'app-closed': 'PAYMENT_COMPLETED',
    },
    purchased: {
      open: 'PAYMENT_COMPLETED',
      granted: 'PURCHASED',
      'not-granted': 'PAYMENT_COMPLETED',
      'no-answer': 'PAYMENT_COMPLETED',
      'app-closed': 'PAYMENT_COMPLETED',
    },
  };

  it("starts in 'grant-failed', the strictest reading", async () => {
    expect((await control(mock, 'GET', '/__mock/state')).body.reading).toBe('grant-failed');
  });

  for (const [reading, expected] of Object.entries(table)) {
    it(`'${reading}': each way the grant ends reads as in the README, and the order stays pending`, async () => {
      expect((await control(mock, 'POST', '/__mock/status-reading', { reading })).body).toEqual({ reading });
      expect((await control(mock, 'GET', '/__mock/state')).body.reading).toBe(reading);
      const { userKey } = await newUser(mock);
      const seen: Record<string, string> = {};
      const ids: string[] = [];
      for (const ending of endings) {
        const orderId = await paid(userKey);
        ids.push(orderId);
        if (ending !== 'open') {
          expect((await endGrant(orderId, ending)).body).toEqual({ ok: true, ending });
        }
        seen[ending] = await statusOf(userKey, orderId);
      }
      expect(seen).toEqual(expected);
      expect((await pendingIds(userKey)).sort()).toEqual([...ids].sort());
    });
  }

  it("'grant-failed': FAILED carries the same reason as a failed payment (nothing tells them apart)", async () => {
    const { userKey } = await newUser(mock);
    const grantFailed = await paid(userKey);
    await endGrant(grantFailed, 'not-granted');
    const paymentFailed = (
      await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100', status: 'FAILED' })
    ).body.orderId;
    const a = (await orderStatus(userKey, grantFailed)).json.success;
    const b = (await orderStatus(userKey, paymentFailed)).json.success;
    expect([a.status, b.status]).toEqual(['FAILED', 'FAILED']);
    expect(a.reason).toBe(b.reason);
  });

  it("'grant-failed': completeProductGrant takes a FAILED order out of pending but leaves it FAILED", async () => {
    const { userKey } = await newUser(mock);
    const orderId = await paid(userKey);
    await endGrant(orderId, 'no-answer');
    const completed = await control(mock, 'POST', '/__mock/host/complete', { userKey, orderId });
    expect(completed.body).toEqual({ ok: true, value: true });
    expect(await pendingIds(userKey)).toEqual([]);
    expect(await statusOf(userKey, orderId)).toBe('FAILED');
  });

  it('a refund reads REFUNDED under every reading, whatever the grant did', async () => {
    const { userKey } = await newUser(mock);
    const orderId = await paid(userKey);
    await endGrant(orderId, 'not-granted');
    await control(mock, 'POST', `/__mock/orders/${orderId}/refund`);
    for (const reading of Object.keys(table)) {
      await control(mock, 'POST', '/__mock/status-reading', { reading });
      expect(await statusOf(userKey, orderId), reading).toBe('REFUNDED');
    }
  });

  it('only the first ending counts: a later answer changes nothing', async () => {
    const { userKey } = await newUser(mock);
    const orderId = await paid(userKey);
    await endGrant(orderId, 'app-closed');
    expect((await endGrant(orderId, 'granted')).body).toEqual({ ok: true, ending: 'app-closed' });
    expect(await statusOf(userKey, orderId)).toBe('FAILED');
    expect(mock.state.orders.get(orderId)).toMatchObject({ grantEnding: 'app-closed', granted: null });
  });

  it('a purchase whose grant nobody answers by the deadline reads FAILED, even if the page is gone', async () => {
    const { userKey } = await newUser(mock);
    await control(mock, 'POST', '/__mock/options', { grantDeadlineMs: 30_000 });
    const started = await control(mock, 'POST', '/__mock/host/checkout', {
      userKey,
      sku: 'coin_100',
      kind: 'one-time',
      environment: 'toss',
    });
    const pay = await control(mock, 'POST', `/__mock/host/checkout/${started.body.checkoutId}/pay`);
    expect(pay.body).toMatchObject({ ok: true, after: 'grant', grantDeadlineMs: 30_000 });
    const { orderId } = pay.body;
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 29_000 });
    expect(await statusOf(userKey, orderId)).toBe('PAYMENT_COMPLETED');
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 1_000 });
    expect(await statusOf(userKey, orderId)).toBe('FAILED');
    const late = await control(mock, 'POST', '/__mock/host/grant', { userKey, orderId, ending: 'granted' });
    expect(late.body).toEqual({ ok: true, ending: 'no-answer' });
    expect(await pendingIds(userKey)).toEqual([orderId]);
  });

  it('a legacy (old Toss app) purchase has no grant step: it never times out into FAILED', async () => {
    const { userKey } = await newUser(mock);
    const started = await control(mock, 'POST', '/__mock/host/checkout', {
      userKey,
      sku: 'coin_100',
      kind: 'one-time',
      environment: 'toss',
      legacy: true,
    });
    const { orderId } = (await control(mock, 'POST', `/__mock/host/checkout/${started.body.checkoutId}/pay`))
      .body;
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 86_400_000 });
    expect(await statusOf(userKey, orderId)).toBe('PAYMENT_COMPLETED');
  });

  it('refuses an unknown ending and an unknown order', async () => {
    const { userKey } = await newUser(mock);
    const orderId = await paid(userKey);
    expect((await endGrant(orderId, 'maybe')).status).toBe(400);
    expect((await endGrant('0190a000-0000-7000-8000-000000000000', 'granted')).status).toBe(404);
  });
});

describe('faults', () => {
  it('answers 503 to the next n requests on a path, then recovers', async () => {
    await control(mock, 'POST', '/__mock/faults', {
      kind: 'error5xx',
      count: 2,
      path: partnerPaths.getOrderStatus,
    });
    const first = await orderStatus(1, 'x');
    const second = await orderStatus(1, 'x');
    const third = await orderStatus(1, 'x');
    expect([first.status, second.status, third.status]).toEqual([503, 503, 200]);
    expect(first.json).toMatchObject({ resultType: 'FAIL', error: { errorCode: 'INTERNAL_SERVER_ERROR' } });
  });

  it('limits a fault to its path', async () => {
    await control(mock, 'POST', '/__mock/faults', { kind: 'error5xx', path: partnerPaths.loginMe });
    expect((await orderStatus(1, 'x')).status).toBe(200);
    expect((await callPartner(mock, { method: 'GET', path: partnerPaths.loginMe })).status).toBe(503);
  });

  it('sends a body that is not JSON when malformed', async () => {
    await control(mock, 'POST', '/__mock/faults', { kind: 'malformed', count: 1 });
    const broken = await orderStatus(1, 'x');
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.text)).toThrow();
    expect((await orderStatus(1, 'x')).json).toMatchObject({ resultType: 'SUCCESS' });
  });

  it('holds a request open without answering on timeout', async () => {
    await control(mock, 'POST', '/__mock/faults', { kind: 'timeout', count: 1 });
    await expect(
      callPartner(mock, {
        path: partnerPaths.getOrderStatus,
        headers: { 'x-toss-user-key': '1' },
        body: { orderId: 'x' },
        timeoutMs: 300,
      }),
    ).rejects.toThrow('client timeout');
    expect((await orderStatus(1, 'x')).status).toBe(200);
  });

  it('still answers correctly behind latency', async () => {
    await control(mock, 'POST', '/__mock/faults', { kind: 'latency', ms: 50, count: 1 });
    expect((await orderStatus(1, 'x')).json).toMatchObject({
      resultType: 'SUCCESS',
      success: { status: 'NOT_FOUND' },
    });
  });

  it('fires at the given rate, decided by the injected random source', async () => {
    const rolls = [0.1, 0.9, 0.4, 0.6];
    const seeded = await startTestMock({ random: () => rolls.shift() ?? 0.99 });
    try {
      const { body } = await control(seeded, 'POST', '/__mock/faults', { kind: 'error5xx', rate: 0.5 });
      expect(body.fault).toMatchObject({ kind: 'error5xx', rate: 0.5, count: null, path: null });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await callPartner(seeded, {
          path: partnerPaths.getOrderStatus,
          headers: { 'x-toss-user-key': '1' },
          body: { orderId: 'x' },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([503, 200, 503, 200, 200]);
    } finally {
      await seeded.close();
    }
  });

  it('rate 0 never fires; DELETE clears every fault', async () => {
    await control(mock, 'POST', '/__mock/faults', { kind: 'error5xx', rate: 0 });
    expect((await orderStatus(1, 'x')).status).toBe(200);
    await control(mock, 'POST', '/__mock/faults', { kind: 'error5xx' });
    expect((await orderStatus(1, 'x')).status).toBe(503);
    await control(mock, 'DELETE', '/__mock/faults');
    expect((await orderStatus(1, 'x')).status).toBe(200);
  });
});
