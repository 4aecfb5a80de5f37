// @vitest-environment happy-dom
/**
 * The REAL SDK against the mock host: login, constants and version gates, the product list as Toss shows it,
 * history paging, subscriptions, old Toss apps, the sandbox app and the device storage (`Storage`).
 */

import { partnerPaths } from '@ait-iap/iap-contract';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../../scripts/lib/processes.mjs';
import { DEVICE_STORAGE_PREFIX, installTossMockHost, type TossMockHost } from '../src/host/index';
import type { TossMock } from '../src/index';
import { callPartner, control, startTestMock } from './helpers';
import { messageTypes, type Recorded, recordError, recorder } from './host-helpers';

type Sdk = typeof import('@apps-in-toss/web-framework');
let mock: TossMock;
let host: TossMockHost;
let sdk: Sdk;
const closeApp = vi.fn();

function install(options: Partial<Parameters<typeof installTossMockHost>[0]> = {}): TossMockHost {
  host?.uninstall();
  host = installTossMockHost({ controlUrl: mock.controlUrl, checkout: 'auto', closeApp, ...options });
  return host;
}

beforeAll(async () => {
  mock = await startTestMock({ grantDeadlineMs: 1000 });
  install();
  sdk = await import('@apps-in-toss/web-framework');
});
afterAll(async () => {
  host.uninstall();
  await mock.close();
});
beforeEach(async () => {
  await control(mock, 'POST', '/__mock/reset');
  install();
  await host.ready;
});

function buy(sku: string, kind: 'one-time' | 'subscription' = 'one-time', offerId?: string) {
  const rec: Recorded = recorder();
  const from = host.messages.length;
  const finished = new Promise<void>((resolve) => {
    const common = {
      onEvent: (event: unknown) => {
        rec.events.push(event);
        resolve();
      },
      onError: (error: unknown) => {
        recordError(rec, error);
        resolve();
      },
    };
    if (kind === 'one-time') {
      sdk.IAP.createOneTimePurchaseOrder({
        options: {
          sku,
          processProductGrant: (args) => {
            rec.grants.push(args);
            return true;
          },
        },
        ...common,
      });
    } else {
      sdk.IAP.createSubscriptionPurchaseOrder({
        options: {
          sku,
          ...(offerId ? { offerId } : {}),
          processProductGrant: (args) => {
            rec.grants.push(args);
            return true;
          },
        },
        ...common,
      });
    }
  });
  return { rec, finished, sent: () => messageTypes(host, from) };
}

describe('login and identity', () => {
  it('appLogin gives a code our server can exchange for this user, once', async () => {
    const login = await sdk.appLogin();
    expect(login).toEqual({ authorizationCode: expect.any(String), referrer: 'DEFAULT' });
    const token = await callPartner(mock, {
      path: partnerPaths.generateToken,
      body: { authorizationCode: login.authorizationCode, referrer: 'DEFAULT' },
    });
    const me = await callPartner(mock, {
      method: 'GET',
      path: partnerPaths.loginMe,
      headers: { authorization: `Bearer ${token.json.success.accessToken}` },
    });
    expect(me.json.success.userKey).toBe(host.userKey());
  });

  it('acts as ?mockUser= from the URL, else the stored user, else a new one', async () => {
    window.history.replaceState(null, '', '/?mockUser=424242');
    expect(await install().ready).toBe(424242);
    window.history.replaceState(null, '', '/');
    expect(await install().ready).toBe(424242); // remembered in localStorage
    localStorage.clear();
    const fresh = await install().ready;
    expect(fresh).not.toBe(424242);
    expect(await install({ userKey: 777 }).ready).toBe(777);
  });
});

describe('the mock starts after the page', () => {
  it('creates the user on the first call once the control API answers', async () => {
    const port = await freePort();
    const late = install({ controlUrl: `http://127.0.0.1:${port}` });
    await expect(late.ready).rejects.toThrow();
    const second = await startTestMock({ controlPort: port });
    try {
      expect(await sdk.appLogin()).toMatchObject({ referrer: 'DEFAULT' });
      expect(second.state.users.has(late.userKey()!)).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('constants and version gates', () => {
  it('reports environment, app version and platform the way isMinVersionSupported reads them', () => {
    install({ appVersion: '5.233.0', platform: 'ios' });
    expect(sdk.getOperationalEnvironment()).toBe('toss');
    expect(sdk.getTossAppVersion()).toBe('5.233.0');
    expect(sdk.getPlatformOS()).toBe('ios');
    expect(sdk.isMinVersionSupported({ android: '5.240.0', ios: '5.233.0' })).toBe(true);
    expect(sdk.isMinVersionSupported({ android: '5.200.0', ios: '5.234.0' })).toBe(false);
  });

  it('answers asynchronously, never inside postMessage', async () => {
    const emitter = (window as unknown as { __GRANITE_NATIVE_EMITTER: { emit: (...a: unknown[]) => void } })
      .__GRANITE_NATIVE_EMITTER;
    const spy = vi.spyOn(emitter, 'emit');
    const pending = sdk.IAP.getProductItemList();
    expect(spy).not.toHaveBeenCalled();
    await pending;
    expect(spy).toHaveBeenCalledWith(
      expect.stringMatching(/^iapGetProductItemList\/resolve\//),
      expect.anything(),
    );
    spy.mockRestore();
  });

  it('an old Toss app resolves undefined below each minimum version (Android)', async () => {
    install({ appVersion: '5.218.0' });
    expect(await sdk.IAP.getProductItemList()).toBeUndefined();
    expect(await sdk.IAP.getCompletedOrRefundedOrders()).toBeUndefined();
    install({ appVersion: '5.231.0' });
    expect(await sdk.IAP.getProductItemList()).toMatchObject({ products: expect.any(Array) });
    expect(await sdk.IAP.getCompletedOrRefundedOrders()).toMatchObject({ orders: [] });
    expect(await sdk.IAP.getPendingOrders()).toBeUndefined();
    expect(await sdk.IAP.completeProductGrant({ params: { orderId: 'x' } })).toBeUndefined();
    install({ appVersion: '5.234.0' });
    expect(await sdk.IAP.getPendingOrders()).toEqual({ orders: [] });
  });

  it('iOS has its own minimum for getPendingOrders (5.231.0)', async () => {
    install({ appVersion: '5.231.0', platform: 'ios' });
    expect(await sdk.IAP.getPendingOrders()).toEqual({ orders: [] });
    install({ appVersion: '5.230.9', platform: 'ios' });
    expect(await sdk.IAP.getPendingOrders()).toBeUndefined();
  });

  it('below 5.219.0 a purchase is a silent no-op in the SDK: nothing reaches the host', async () => {
    install({ appVersion: '5.218.0' });
    const from = host.messages.length;
    const cleanup = sdk.IAP.createOneTimePurchaseOrder({
      options: { sku: 'coin_100', processProductGrant: () => true },
      onEvent: () => {},
      onError: () => {},
    });
    cleanup();
    expect(host.messages.length).toBe(from);
  });

  it('below 5.231.1 the legacy purchase runs: success even without a grant answer, the order stays pending', async () => {
    install({ appVersion: '5.231.0' });
    const purchase = buy('coin_100');
    await purchase.finished;
    expect(purchase.sent()).toEqual(['method iapCreateOneTimePurchaseOrder']);
    const [order] = [...mock.state.orders.values()];
    expect(purchase.rec.grants).toEqual([{ orderId: order!.orderId }]);
    expect(purchase.rec.events).toMatchObject([
      { type: 'success', data: { orderId: order!.orderId, amount: 1050 } },
    ]);
    expect(order).toMatchObject({ payment: 'paid', granted: null, grantEnding: null, completed: false });
    // Toss never waited for an answer, so no deadline turns it FAILED under the staff's reading.
    await control(mock, 'POST', '/__mock/clock', { advanceMs: 3_600_000 });
    expect(mock.state.orderStatus(order!.orderId, host.userKey()!).status).toBe('PAYMENT_COMPLETED');
  });

  it('below 5.248.0 (Android) a subscription purchase is a silent no-op in the SDK', () => {
    install({ appVersion: '5.247.0' });
    const from = host.messages.length;
    sdk.IAP.createSubscriptionPurchaseOrder({
      options: { sku: 'premium_monthly', processProductGrant: () => true },
      onEvent: () => {},
      onError: () => {},
    });
    expect(host.messages.length).toBe(from);
  });
});

describe('the product list', () => {
  it('lists only visible products, priced as Toss shows them (supply + 5% fee)', async () => {
    expect(await sdk.IAP.getProductItemList()).toEqual({
      products: [
        {
          sku: 'coin_100',
          type: 'CONSUMABLE',
          displayAmount: '1,050원',
          displayName: '코인 100개',
          iconUrl: expect.stringContaining('coin_100'),
          description: '테마와 스티커를 살 수 있는 코인 100개',
        },
        expect.objectContaining({ sku: 'coin_550', type: 'CONSUMABLE', displayAmount: '5,250원' }),
        expect.objectContaining({ sku: 'remove_ads', type: 'NON_CONSUMABLE', displayAmount: '3,150원' }),
        {
          sku: 'premium_monthly',
          type: 'SUBSCRIPTION',
          displayAmount: '4,200원',
          displayName: '프리미엄 월간 구독',
          iconUrl: expect.any(String),
          description: '모든 프리미엄 테마와 클라우드 백업',
          renewalCycle: 'MONTHLY',
          offers: [{ type: 'FREE_TRIAL', offerId: 'premium_trial_7d', period: 'P7D' }],
        },
      ],
    });
  });
});

describe('purchase history', () => {
  it('pages getCompletedOrRefundedOrders with nextKey and shows refunds as REFUNDED', async () => {
    await control(mock, 'POST', '/__mock/options', { pageSize: 2 });
    const userKey = host.userKey()!;
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push(
        (await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100', status: 'COMPLETED' }))
          .body.orderId,
      );
      await control(mock, 'POST', '/__mock/clock', { advanceMs: 1000 });
    }
    await control(mock, 'POST', `/__mock/orders/${made[0]}/refund`);
    await control(mock, 'POST', '/__mock/orders', { userKey, sku: 'coin_100' }); // pending: not history

    const first = await sdk.IAP.getCompletedOrRefundedOrders();
    expect(first.hasNext).toBe(true);
    expect(first.orders.map((o) => [o.orderId, o.status])).toEqual([
      [made[0], 'REFUNDED'],
      [made[2], 'COMPLETED'],
    ]);
    const getPage = sdk.IAP.getCompletedOrRefundedOrders as unknown as (p: {
      key: string;
    }) => Promise<typeof first>;
    const second = await getPage({ key: first.nextKey! });
    expect(second).toEqual({
      hasNext: false,
      nextKey: null,
      orders: [{ orderId: made[1], sku: 'coin_100', status: 'COMPLETED', date: expect.any(String) }],
    });
    expect(host.messages.at(-1)?.args).toEqual([{ key: first.nextKey }]);
  });
});

describe('subscriptions', () => {
  it('passes orderId and subscriptionId to the grant callback; getSubscriptionInfo follows renew/grace/expire', async () => {
    const purchase = buy('premium_monthly', 'subscription');
    await purchase.finished;
    const [order] = [...mock.state.orders.values()];
    expect(purchase.sent()).toEqual([
      'addEventListener requestSubscriptionPurchase',
      'method processProductGrant',
    ]);
    expect(host.messages.find((m) => m.functionName === 'requestSubscriptionPurchase')?.args).toEqual({
      sku: 'premium_monthly',
      offerId: null,
    });
    expect(purchase.rec.grants).toEqual([{ orderId: order!.orderId, subscriptionId: order!.subscriptionId }]);
    expect(purchase.rec.events).toMatchObject([
      { type: 'success', data: { orderId: order!.orderId, amount: 4200 } },
    ]);

    const info = () => sdk.IAP.getSubscriptionInfo({ params: { orderId: order!.orderId } });
    expect((await info()).subscription).toMatchObject({
      status: 'ACTIVE',
      isAutoRenew: true,
      isAccessible: true,
    });
    await control(mock, 'POST', `/__mock/subscriptions/${order!.orderId}/grace`);
    expect((await info()).subscription).toMatchObject({ status: 'IN_GRACE_PERIOD', isAccessible: true });
    await control(mock, 'POST', `/__mock/subscriptions/${order!.orderId}/renew`);
    expect((await info()).subscription).toMatchObject({ status: 'ACTIVE', gracePeriodExpiresAt: null });
    await control(mock, 'POST', `/__mock/subscriptions/${order!.orderId}/expire`);
    expect((await info()).subscription).toMatchObject({ status: 'EXPIRED', isAccessible: false });
  });

  it('a free-trial offer ends after its period; a second purchase while active is ITEM_ALREADY_OWNED', async () => {
    const purchase = buy('premium_monthly', 'subscription', 'premium_trial_7d');
    await purchase.finished;
    const [order] = [...mock.state.orders.values()];
    const { subscription } = await sdk.IAP.getSubscriptionInfo({ params: { orderId: order!.orderId } });
    const days = (Date.parse(subscription.expiresAt!) - Date.parse(order!.createdAt)) / 86_400_000;
    expect(days).toBe(7);
    const again = buy('premium_monthly', 'subscription');
    await again.finished;
    expect(again.rec.errors.map((e) => e.code)).toEqual(['ITEM_ALREADY_OWNED']);
  });

  it('getSubscriptionInfo for an unknown order rejects', async () => {
    await expect(sdk.IAP.getSubscriptionInfo({ params: { orderId: 'nope' } })).rejects.toBeInstanceOf(Error);
  });
});

describe('the sandbox app', () => {
  it('logs in with referrer SANDBOX and lists only the two test products', async () => {
    install({ environment: 'sandbox', appVersion: '5.0.0' });
    expect(sdk.getOperationalEnvironment()).toBe('sandbox');
    expect((await sdk.appLogin()).referrer).toBe('SANDBOX');
    const list = await sdk.IAP.getProductItemList();
    expect(list.products.map((p) => [p.sku, p.displayName])).toEqual([
      ['test_product_1', '테스트 상품 - 1'],
      ['test_product_2', '테스트 상품 - 2'],
    ]);
  });

  it('a test product purchase lands in the ledger as the mapped catalog sku (SKU revealed)', async () => {
    await control(mock, 'POST', '/__mock/options', { revealSku: true });
    install({ environment: 'sandbox', appVersion: '5.0.0' });
    await host.ready;
    const purchase = buy('test_product_1');
    await purchase.finished;
    expect(purchase.rec.events).toMatchObject([
      { type: 'success', data: { displayName: '테스트 상품 - 1' } },
    ]);
    const [order] = [...mock.state.orders.values()];
    expect(order).toMatchObject({ sku: 'coin_100', clientSku: 'test_product_1' });
    expect(mock.state.orderStatus(order!.orderId, host.userKey()!)).toMatchObject({ sku: 'coin_100' });
    expect((await sdk.IAP.getPendingOrders()).orders).toMatchObject([{ sku: 'test_product_1' }]);
  });
});

describe('the device storage (Storage over the bridge)', () => {
  it('sets, gets, removes and clears items through the real SDK, answering asynchronously', async () => {
    const { Storage } = sdk;
    const from = host.messages.length;
    expect(await Storage.getItem('theme')).toBeNull();
    await expect(Storage.setItem('theme', 'dark')).resolves.toBeUndefined();
    await Storage.setItem('onboarded', '{"step":3}');
    expect(await Storage.getItem('theme')).toBe('dark');
    expect(await Storage.getItem('onboarded')).toBe('{"step":3}');
    await expect(Storage.removeItem('theme')).resolves.toBeUndefined();
    expect(await Storage.getItem('theme')).toBeNull();
    await expect(Storage.clearItems()).resolves.toBeUndefined();
    expect(await Storage.getItem('onboarded')).toBeNull();
    expect(messageTypes(host, from)).toEqual([
      'method getStorageItem',
      'method setStorageItem',
      'method setStorageItem',
      'method getStorageItem',
      'method getStorageItem',
      'method removeStorageItem',
      'method getStorageItem',
      'method clearItems',
      'method getStorageItem',
    ]);
    expect(host.messages[from + 1]?.args).toEqual(['theme', 'dark']);

    const emitter = (window as unknown as { __GRANITE_NATIVE_EMITTER: { emit: (...a: unknown[]) => void } })
      .__GRANITE_NATIVE_EMITTER;
    const spy = vi.spyOn(emitter, 'emit');
    const pending = Storage.getItem('x');
    expect(spy).not.toHaveBeenCalled();
    await pending;
    expect(spy).toHaveBeenCalledWith(expect.stringMatching(/^getStorageItem\/resolve\//), null);
    spy.mockRestore();
  });

  it('survives a reload of the page (a new host on the same origin), like the device storage survives a restart', async () => {
    await sdk.Storage.setItem('coupon', 'WELCOME10');
    install(); // the page reloads: a fresh host, same localStorage
    expect(await sdk.Storage.getItem('coupon')).toBe('WELCOME10');
    expect(localStorage.getItem(`${DEVICE_STORAGE_PREFIX}coupon`)).toBe('WELCOME10');
  });

  it("keeps to its own namespace: clearItems leaves the page's own localStorage and the mock's user alone", async () => {
    localStorage.setItem('app-own', 'kept');
    localStorage.setItem('coupon', 'not the SDK storage');
    await sdk.Storage.setItem('coupon', 'WELCOME10');
    await sdk.Storage.clearItems();
    expect(await sdk.Storage.getItem('coupon')).toBeNull();
    expect(localStorage.getItem('app-own')).toBe('kept');
    expect(localStorage.getItem('coupon')).toBe('not the SDK storage');
    expect(localStorage.getItem('toss-mock:userKey')).toBe(String(host.userKey()));
  });

  it('rejects a key or value that is not a string, storing nothing', async () => {
    const setItem = sdk.Storage.setItem as unknown as (key: unknown, value: unknown) => Promise<void>;
    await expect(setItem('n', 42)).rejects.toMatchObject({ code: 'INVALID_PARAMETER', __isError: true });
    await expect(setItem(undefined, 'v')).rejects.toBeInstanceOf(Error);
    expect(await sdk.Storage.getItem('n')).toBeNull();
  });
});
