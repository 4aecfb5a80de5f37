// @vitest-environment happy-dom
/**
 * The REAL SDK (`@apps-in-toss/web-framework`, imported after the host is installed) against the mock host: the
 * exact sequence and payloads a mini-app sees for one-time purchases and every scenario the mock offers.
 */

import { iapErrorCodes } from '@ait-iap/iap-contract';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { installTossMockHost, type TossMockHost } from '../src/host/index';
import type { TossMock } from '../src/index';
import type { PurchaseOutcome } from '../src/protocol';
import { EXPECTED_UNHANDLED } from './expected';
import { control, startTestMock } from './helpers';
import { eventually, messageTypes, type Recorded, recordError, recorder } from './host-helpers';

type Sdk = typeof import('@apps-in-toss/web-framework');
let mock: TossMock;
let host: TossMockHost;
let sdk: Sdk;
const closeApp = vi.fn();

beforeAll(async () => {
  mock = await startTestMock({ grantDeadlineMs: 1000 });
  host = installTossMockHost({ controlUrl: mock.controlUrl, checkout: 'auto', closeApp });
  sdk = await import('@apps-in-toss/web-framework');
  await host.ready;
});
afterAll(async () => {
  host.uninstall();
  await mock.close();
});
beforeEach(async () => {
  closeApp.mockReset();
  host.setCheckout('auto');
  host.setAppVersion('5.250.0');
  await control(mock, 'POST', '/__mock/reset');
  await host.switchUser();
});

type Grant = (args: { orderId: string }) => boolean | Promise<boolean>;

function buy(sku: string, grant: Grant = () => true) {
  const rec: Recorded = recorder();
  let cleanup: () => void = () => {};
  const from = host.messages.length;
  const finished = new Promise<void>((resolve) => {
    cleanup = sdk.IAP.createOneTimePurchaseOrder({
      options: {
        sku,
        processProductGrant: (args) => {
          rec.grants.push(args);
          return grant(args);
        },
      },
      onEvent: (event) => {
        rec.events.push(event);
        resolve();
      },
      onError: (error) => {
        recordError(rec, error);
        resolve();
      },
    });
  });
  return { rec, finished, cleanup: () => cleanup(), sent: () => messageTypes(host, from) };
}

const next = (outcome: PurchaseOutcome | string) =>
  control(mock, 'POST', '/__mock/next-purchase', { outcome, userKey: host.userKey() });
const ordersOfUser = () => [...mock.state.orders.values()].filter((o) => o.userKey === host.userKey());
/** What get-order-status says about the order now (under the reading in force). */
const statusOf = (orderId: string) => mock.state.orderStatus(orderId, host.userKey()!).status;
const pendingIds = async () => (await sdk.IAP.getPendingOrders()).orders.map((o) => o.orderId);
const grantError = {
  code: 'PRODUCT_NOT_GRANTED_BY_PARTNER',
  message: '파트너사의 상품 지급이 실패했어요.',
  name: 'Error',
  isError: true,
};

describe('a one-time purchase that succeeds', () => {
  it('runs purchased → grant answer → success, then completeProductGrant clears the pending order', async () => {
    const purchase = buy('coin_100');
    await purchase.finished;
    const [order] = ordersOfUser();
    expect(purchase.rec.grants).toEqual([{ orderId: order!.orderId }]);
    expect(purchase.rec.errors).toEqual([]);
    expect(purchase.rec.events).toEqual([
      {
        type: 'success',
        data: {
          orderId: order!.orderId,
          displayName: '코인 100개',
          displayAmount: '1,050원',
          amount: 1050,
          currency: 'KRW',
          fraction: 0,
          miniAppIconUrl: null,
        },
      },
    ]);
    expect(purchase.sent()).toEqual([
      'addEventListener requestOneTimePurchase',
      'method processProductGrant',
    ]);
    expect(host.messages.at(-1)?.args).toEqual([{ orderId: order!.orderId, isProductGranted: true }]);
    expect(order).toMatchObject({ payment: 'paid', granted: true, grantEnding: 'granted', completed: false });

    expect(await sdk.IAP.getPendingOrders()).toEqual({
      orders: [{ orderId: order!.orderId, sku: 'coin_100', paymentCompletedDate: order!.paidAt }],
    });
    expect(await sdk.IAP.completeProductGrant({ params: { orderId: order!.orderId } })).toBe(true);
    expect(await sdk.IAP.getPendingOrders()).toEqual({ orders: [] });
    const history = await sdk.IAP.getCompletedOrRefundedOrders();
    expect(history).toEqual({
      hasNext: false,
      nextKey: null,
      orders: [{ orderId: order!.orderId, sku: 'coin_100', status: 'COMPLETED', date: expect.any(String) }],
    });
    purchase.cleanup();
    expect(messageTypes(host).at(-1)).toBe('removeEventListener requestOneTimePurchase');
  });

  it('reads PAYMENT_COMPLETED during and after a true grant, except PURCHASED after it under the Unity reading', async () => {
    const seen: string[] = [];
    const purchase = buy('coin_100', ({ orderId }) => {
      seen.push(statusOf(orderId));
      return true;
    });
    await purchase.finished;
    const [order] = ordersOfUser();
    for (const reading of ['grant-failed', 'payment-completed', 'purchased']) {
      await control(mock, 'POST', '/__mock/status-reading', { reading });
      seen.push(statusOf(order!.orderId));
    }
    expect(seen).toEqual(['PAYMENT_COMPLETED', 'PAYMENT_COMPLETED', 'PAYMENT_COMPLETED', 'PURCHASED']);
  });

  it('asks the user on a checkout sheet showing the product and price; 결제하기 pays', async () => {
    host.setCheckout('sheet');
    const purchase = buy('coin_550');
    const pay = await eventually(() => {
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent === '결제하기');
      if (!button) throw new Error('no sheet yet');
      return button;
    });
    const sheet = document.querySelector('[role="dialog"]')!;
    expect(sheet.getAttribute('aria-label')).toBe('토스 결제');
    expect(sheet.textContent).toContain('코인 550개 (10% 보너스)');
    expect(sheet.textContent).toContain('5,250원');
    expect([...sheet.querySelectorAll('button')].map((b) => b.textContent)).toEqual(['취소', '결제하기']);
    (pay as HTMLButtonElement).click();
    await purchase.finished;
    expect(purchase.rec.events).toMatchObject([
      { type: 'success', data: { displayAmount: '5,250원', amount: 5250 } },
    ]);
    expect(document.querySelector('[role="dialog"]')).toBeNull();
  });
});

describe('the user cancels', () => {
  it('취소 on the sheet ends in USER_CANCELED with no order and no grant call', async () => {
    host.setCheckout('sheet');
    const purchase = buy('coin_100');
    const cancel = await eventually(() => {
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent === '취소');
      if (!button) throw new Error('no sheet yet');
      return button;
    });
    (cancel as HTMLButtonElement).click();
    await purchase.finished;
    expect(purchase.rec.errors).toEqual([
      {
        code: 'USER_CANCELED',
        message: '사용자가 결제를 완료하지 않고 주문서 페이지를 이탈했어요.',
        name: 'Error',
        isError: true,
      },
    ]);
    expect(purchase.rec.grants).toEqual([]);
    expect(ordersOfUser()).toEqual([]);
  });

  it('cleanup right away (before the sheet could open) shows no sheet and makes no order', async () => {
    host.setCheckout('sheet');
    const purchase = buy('coin_100');
    purchase.cleanup();
    await eventually(() => expect(mock.state.snapshot().orders).toEqual([]));
    await new Promise((r) => setTimeout(r, 100));
    expect(document.querySelector('[role="dialog"]')).toBeNull();
    expect(purchase.rec).toEqual({ events: [], errors: [], grants: [] });
  });

  it('cleanup while the sheet is open closes it and nothing more is emitted', async () => {
    host.setCheckout('sheet');
    const purchase = buy('coin_100');
    await eventually(() => {
      if (!document.querySelector('[role="dialog"]')) throw new Error('no sheet yet');
    });
    purchase.cleanup();
    await eventually(() => {
      if (document.querySelector('[role="dialog"]')) throw new Error('sheet still open');
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(purchase.rec).toEqual({ events: [], errors: [], grants: [] });
    expect(purchase.sent()).toEqual([
      'addEventListener requestOneTimePurchase',
      'removeEventListener requestOneTimePurchase',
    ]);
    expect(ordersOfUser()).toEqual([]);
  });
});

describe('the grant callback does not say yes', () => {
  it('false → PRODUCT_NOT_GRANTED_BY_PARTNER; reads FAILED (staff reading) and stays pending', async () => {
    const purchase = buy('coin_100', () => false);
    await purchase.finished;
    expect(purchase.rec.events).toEqual([]);
    expect(purchase.rec.errors).toEqual([grantError]);
    const [order] = ordersOfUser();
    expect(order).toMatchObject({
      payment: 'paid',
      granted: false,
      grantEnding: 'not-granted',
      completed: false,
    });
    expect(statusOf(order!.orderId)).toBe('FAILED');
    expect(await pendingIds()).toEqual([order!.orderId]);
  });

  it('throws → no answer reaches Toss; after the deadline PRODUCT_NOT_GRANTED_BY_PARTNER, FAILED, pending', async () => {
    const purchase = buy('coin_100', () => {
      throw new Error(EXPECTED_UNHANDLED);
    });
    await purchase.finished;
    expect(purchase.rec.errors).toEqual([grantError]);
    expect(purchase.sent()).toEqual(['addEventListener requestOneTimePurchase']);
    const [order] = ordersOfUser();
    expect(order).toMatchObject({
      payment: 'paid',
      granted: null,
      grantEnding: 'no-answer',
      completed: false,
    });
    expect(statusOf(order!.orderId)).toBe('FAILED');
    expect(await pendingIds()).toEqual([order!.orderId]);
  });

  it('never answers by the deadline → PRODUCT_NOT_GRANTED_BY_PARTNER, FAILED; a late answer changes nothing', async () => {
    let answer: (v: boolean) => void = () => {};
    const seen: string[] = [];
    const purchase = buy('coin_100', ({ orderId }) => {
      seen.push(statusOf(orderId)); // while Toss waits: not failed yet
      return new Promise<boolean>((resolve) => (answer = resolve));
    });
    await purchase.finished;
    expect(purchase.rec.errors).toEqual([grantError]);
    answer(true);
    await eventually(() => expect(messageTypes(host).at(-1)).toBe('method processProductGrant'));
    await new Promise((r) => setTimeout(r, 50));
    expect(purchase.rec.events).toEqual([]);
    const [order] = ordersOfUser();
    expect(order).toMatchObject({ payment: 'paid', granted: null, grantEnding: 'no-answer' });
    seen.push(statusOf(order!.orderId));
    expect(seen).toEqual(['PAYMENT_COMPLETED', 'FAILED']);
  });

  it('returns nothing → counted as not granted', async () => {
    const purchase = buy('coin_100', () => undefined as unknown as boolean);
    await purchase.finished;
    expect(purchase.rec.errors).toEqual([grantError]);
    expect(ordersOfUser()).toMatchObject([{ granted: false, grantEnding: 'not-granted' }]);
  });

  it('the other readings: PAYMENT_COMPLETED after a false answer, whatever the reading', async () => {
    await buy('coin_100', () => false).finished;
    const [order] = ordersOfUser();
    const seen: string[] = [];
    for (const reading of ['payment-completed', 'purchased']) {
      await control(mock, 'POST', '/__mock/status-reading', { reading });
      seen.push(statusOf(order!.orderId));
    }
    expect(seen).toEqual(['PAYMENT_COMPLETED', 'PAYMENT_COMPLETED']);
  });

  it('a later completeProductGrant takes the FAILED order out of pending; it still reads FAILED', async () => {
    await buy('coin_100', () => false).finished;
    const [order] = ordersOfUser();
    expect(await sdk.IAP.completeProductGrant({ params: { orderId: order!.orderId } })).toBe(true);
    expect(await pendingIds()).toEqual([]);
    expect(statusOf(order!.orderId)).toBe('FAILED');
    await control(mock, 'POST', `/__mock/orders/${order!.orderId}/refund`);
    expect(statusOf(order!.orderId)).toBe('REFUNDED');
  });
});

describe('next purchase ends in an SDK error code', () => {
  const noGrantCall = iapErrorCodes.filter((c) => c !== 'PRODUCT_NOT_GRANTED_BY_PARTNER');
  for (const code of noGrantCall) {
    it(`${code}: onError with that code, no grant call`, async () => {
      await next(code);
      const purchase = buy('coin_100');
      await purchase.finished;
      expect(purchase.rec.events).toEqual([]);
      expect(purchase.rec.grants).toEqual([]);
      expect(purchase.rec.errors).toEqual([
        { code, message: expect.stringMatching(/.+/), name: 'Error', isError: true },
      ]);
    });
  }

  it('leaves the ledger as Toss would: pending for PAYMENT_PENDING, FAILED for the market, recoverable for Toss', async () => {
    const statusAfter = async (code: string) => {
      await next(code);
      await buy('coin_100').finished;
      const order = ordersOfUser().at(-1);
      return order ? mock.state.orderStatus(order.orderId, host.userKey()!).status : 'no order';
    };
    expect(await statusAfter('NETWORK_ERROR')).toBe('no order');
    expect(await statusAfter('PAYMENT_PENDING')).toBe('ORDER_IN_PROGRESS');
    expect(await statusAfter('APP_MARKET_VERIFICATION_FAILED')).toBe('FAILED');
    expect(await statusAfter('TOSS_SERVER_VERIFICATION_FAILED')).toBe('PAYMENT_COMPLETED');
    const pending = await sdk.IAP.getPendingOrders();
    expect(pending.orders).toHaveLength(1);
  });

  it('PRODUCT_NOT_GRANTED_BY_PARTNER: the callback runs, Toss still reports the grant failed (FAILED, pending)', async () => {
    await next('PRODUCT_NOT_GRANTED_BY_PARTNER');
    const purchase = buy('coin_100');
    await purchase.finished;
    expect(purchase.rec.grants).toHaveLength(1);
    expect(purchase.rec.errors).toEqual([grantError]);
    const [order] = ordersOfUser();
    expect(order).toMatchObject({ granted: null, grantEnding: 'no-answer' });
    expect(statusOf(order!.orderId)).toBe('FAILED');
    expect(await pendingIds()).toEqual([order!.orderId]);
  });

  it('an outcome queued for another user leaves this user alone', async () => {
    await control(mock, 'POST', '/__mock/next-purchase', { outcome: 'INTERNAL_ERROR', userKey: 999_999 });
    const purchase = buy('coin_100');
    await purchase.finished;
    expect(purchase.rec.events).toMatchObject([{ type: 'success' }]);
  });

  it('INVALID_PRODUCT_ID for an unknown or hidden sku, ITEM_ALREADY_OWNED for a second remove_ads', async () => {
    for (const sku of ['nope', 'coin_1200_event', 'premium_monthly']) {
      const purchase = buy(sku);
      await purchase.finished;
      expect(
        purchase.rec.errors.map((e) => e.code),
        sku,
      ).toEqual(['INVALID_PRODUCT_ID']);
    }
    await buy('remove_ads').finished;
    const again = buy('remove_ads');
    await again.finished;
    expect(again.rec.errors.map((e) => e.code)).toEqual(['ITEM_ALREADY_OWNED']);
  });
});

describe('the app closes mid-purchase', () => {
  it('after payment, before the grant callback: nothing granted, the order waits in getPendingOrders', async () => {
    await next('close-after-payment');
    const purchase = buy('coin_100');
    await eventually(() => expect(closeApp).toHaveBeenCalledTimes(1));
    expect(purchase.rec).toEqual({ events: [], errors: [], grants: [] });
    const [order] = ordersOfUser();
    expect(order).toMatchObject({
      payment: 'paid',
      granted: null,
      grantEnding: 'app-closed',
      completed: false,
    });
    expect(statusOf(order!.orderId)).toBe('FAILED');
    expect((await sdk.IAP.getPendingOrders()).orders).toEqual([
      expect.objectContaining({ orderId: order!.orderId }),
    ]);
  });

  it('during the grant: the callback ran but its answer never reached Toss (FAILED, pending)', async () => {
    await next('close-during-grant');
    const purchase = buy('coin_100');
    await eventually(() => expect(closeApp).toHaveBeenCalledTimes(1));
    expect(purchase.rec.grants).toHaveLength(1);
    expect(purchase.rec.events).toEqual([]);
    const [order] = ordersOfUser();
    expect(order).toMatchObject({ granted: null, grantEnding: 'app-closed', completed: false });
    expect(statusOf(order!.orderId)).toBe('FAILED');
    expect(await pendingIds()).toEqual([order!.orderId]);
  });

  it('the page unloads while the grant callback runs: the grant ends app-closed (FAILED, pending)', async () => {
    let answer: (v: boolean) => void = () => {};
    const purchase = buy('coin_100', () => new Promise<boolean>((resolve) => (answer = resolve)));
    await eventually(() => expect(purchase.rec.grants).toHaveLength(1));
    const [order] = ordersOfUser();
    expect(statusOf(order!.orderId)).toBe('PAYMENT_COMPLETED');
    window.dispatchEvent(new Event('pagehide'));
    await eventually(() => expect(mock.state.orders.get(order!.orderId)?.grantEnding).toBe('app-closed'));
    expect(statusOf(order!.orderId)).toBe('FAILED');
    answer(true); // too late: the page that would have sent it is gone
    await purchase.finished;
    expect(purchase.rec.errors).toEqual([grantError]);
    expect(mock.state.orders.get(order!.orderId)).toMatchObject({ grantEnding: 'app-closed', granted: null });
    expect(await pendingIds()).toEqual([order!.orderId]);
  });

  it('the app closes itself (closeView) during the grant: the grant ends app-closed', async () => {
    let answer: (v: boolean) => void = () => {};
    const purchase = buy('coin_100', () => new Promise<boolean>((resolve) => (answer = resolve)));
    await eventually(() => expect(purchase.rec.grants).toHaveLength(1));
    await sdk.closeView();
    expect(closeApp).toHaveBeenCalledTimes(1);
    const [order] = ordersOfUser();
    expect(order).toMatchObject({ grantEnding: 'app-closed' });
    expect(statusOf(order!.orderId)).toBe('FAILED');
    answer(true);
    await purchase.finished;
    expect(purchase.rec.events).toEqual([]);
  });

  it('after the grant, before completeProductGrant: granted, still pending until completed', async () => {
    await next('close-after-grant');
    const purchase = buy('coin_100');
    await eventually(() => expect(closeApp).toHaveBeenCalledTimes(1));
    expect(purchase.rec.events).toEqual([]);
    const [order] = ordersOfUser();
    expect(order).toMatchObject({ granted: true, grantEnding: 'granted', completed: false });
    expect(statusOf(order!.orderId)).toBe('PAYMENT_COMPLETED');
    expect((await sdk.IAP.getPendingOrders()).orders.map((o) => o.orderId)).toEqual([order!.orderId]);
    expect(await sdk.IAP.completeProductGrant({ params: { orderId: order!.orderId } })).toBe(true);
    expect((await sdk.IAP.getPendingOrders()).orders).toEqual([]);
  });

  it.each([
    ['close-after-payment', 0, 'app-closed'],
    ['close-during-grant', 1, 'app-closed'],
    ['close-after-grant', 1, 'granted'],
  ] as const)(
    '%s with a closeApp that throws: the grant has ended (%s callbacks, %s), then onError INTERNAL_ERROR',
    async (outcome, callbacks, ending) => {
      closeApp.mockImplementation(() => {
        throw new Error('the app cannot close');
      });
      await next(outcome);
      const purchase = buy('coin_100');
      await purchase.finished;
      expect(closeApp).toHaveBeenCalledTimes(1);
      expect(purchase.rec.grants).toHaveLength(callbacks);
      expect(purchase.rec.events).toEqual([]);
      expect(purchase.rec.errors).toEqual([
        { code: 'INTERNAL_ERROR', message: 'Error: the app cannot close', name: 'Error', isError: true },
      ]);
      const [order] = ordersOfUser();
      expect(order).toMatchObject({ payment: 'paid', grantEnding: ending, completed: false });
    },
  );
});

describe('completeProductGrant', () => {
  it('fails once under complete-fails (NETWORK_ERROR), the order stays pending, a retry succeeds', async () => {
    await next('complete-fails');
    const purchase = buy('coin_100');
    await purchase.finished;
    const [order] = ordersOfUser();
    const first = await sdk.IAP.completeProductGrant({ params: { orderId: order!.orderId } }).catch(
      (e: unknown) => e,
    );
    expect(first).toBeInstanceOf(Error);
    expect(first).toMatchObject({ code: 'NETWORK_ERROR', __isError: true });
    expect((await sdk.IAP.getPendingOrders()).orders).toHaveLength(1);
    expect(await sdk.IAP.completeProductGrant({ params: { orderId: order!.orderId } })).toBe(true);
    expect((await sdk.IAP.getPendingOrders()).orders).toHaveLength(0);
  });

  it("answers false for another user's order and leaves it pending", async () => {
    const other = (await control(mock, 'POST', '/__mock/users', {})).body.userKey;
    const { orderId } = (await control(mock, 'POST', '/__mock/orders', { userKey: other, sku: 'coin_100' }))
      .body;
    expect(await sdk.IAP.completeProductGrant({ params: { orderId } })).toBe(false);
    expect(mock.state.orders.get(orderId)?.completed).toBe(false);
  });
});
