/**
 * The money paths under each reading of the three rules no Toss document states (toss-mock's protocol.ts):
 *   - historyReading: does the history list a paid order COMPLETED before completeProductGrant? (refund sync hands
 *     what it lists to the server, which may grant an order it missed);
 *   - statusAfterComplete: does a recovered order still read FAILED? (the server must never revoke a paid grant for
 *     it);
 *   - wrongKindPurchase: may a one-time purchase buy a subscription SKU? (the server must not give more than was paid).
 * Real SDK → toss-mock host → real server.
 */
import type { InventoryOutput } from '@ait-iap/iap-contract';
import { DEFAULT_APP_VERSION, type TossMockHost } from '@ait-iap/toss-mock/host';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { balance, renderApp, setVisibility } from './app';
import { installHost, type Stack, sent, setStatusReading, startStack } from './harness';

let stack: Stack;
let host: TossMockHost;

beforeAll(async () => {
  stack = await startStack();
  host = await installHost(stack);
}, 60_000);
afterAll(async () => {
  host?.uninstall();
  await stack?.close();
});
afterEach(async () => {
  cleanup();
  await stack.control('POST', '/__mock/options', {
    historyReading: 'after-complete-grant',
    statusAfterComplete: 'unchanged',
    wrongKindPurchase: 'refused',
  });
});
beforeEach(async () => {
  host.setAppVersion(DEFAULT_APP_VERSION);
  await host.switchUser();
  await stack.control('DELETE', '/__mock/next-purchase');
  await stack.control('DELETE', '/__mock/faults');
  await setStatusReading(stack);
  setVisibility('visible');
});

const ordersOfUser = () => [...stack.mock.state.orders.values()].filter((o) => o.userKey === host.userKey());
const nextPurchase = (outcome: string) =>
  stack.control('POST', '/__mock/next-purchase', { outcome, userKey: host.userKey() });
const returnToApp = () => {
  setVisibility('hidden');
  setVisibility('visible');
};

/**
 * Back to the foreground until the app has read Toss's history again (it ignores a return while the purchase that
 * just failed is still finishing up).
 */
async function syncedAfterPurchase() {
  const from = host.messages.length;
  await waitFor(() => {
    returnToApp();
    expect(sent(host, from, 'method', 'getCompletedOrRefundedOrders').length).toBeGreaterThan(0);
  });
}

describe("historyReading (Toss 5.232.0: no getPendingOrders, so the history is the app's only list)", () => {
  // Toss's server verification failed after payment: no grant callback ran, no outbox entry, no pending list.
  async function buyWithoutGrantStep() {
    host.setAppVersion('5.232.0');
    await renderApp(stack);
    await nextPurchase('TOSS_SERVER_VERIFICATION_FAILED');
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await screen.findByTestId('error-TOSS_SERVER_VERIFICATION_FAILED');
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
    expect(ordersOfUser()).toEqual([expect.objectContaining({ payment: 'paid', grantEnding: null })]);
  }

  test("after-complete-grant (default): the order is never listed, so no app path grants it (it is left to the operator's intent list)", async () => {
    await buyWithoutGrantStep();
    await syncedAfterPurchase();
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
    expect(balance()).toBe('0');
  });

  test('after-payment: the history lists it COMPLETED, refund sync hands it to the server, which verifies it paid and grants it — once', async () => {
    await stack.control('POST', '/__mock/options', { historyReading: 'after-payment' });
    await buyWithoutGrantStep();
    await syncedAfterPurchase();
    await waitFor(() => expect(balance()).toBe('100'));
    returnToApp();
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
    expect(balance()).toBe('100');
  });

  test('after-payment under grant-failed: an order Toss reads FAILED that the server never saw paid is listed COMPLETED, and still not granted', async () => {
    await stack.control('POST', '/__mock/options', { historyReading: 'after-payment' });
    host.setAppVersion('5.232.0');
    await renderApp(stack);
    // The grant callback never reached the server (the app closed first): Toss reads FAILED.
    await nextPurchase('close-after-payment');
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ grantEnding: 'app-closed' }));
    cleanup();
    await renderApp(stack);
    await syncedAfterPurchase();
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
    expect(balance()).toBe('0');
  });
});

describe('statusAfterComplete (grant-failed): the order the server granted but whose answer never reached Toss', () => {
  for (const statusAfterComplete of ['unchanged', 'reads-paid'] as const) {
    test(`${statusAfterComplete}: recovered and completed once; refund sync and later starts never take the coins back`, async () => {
      await stack.control('POST', '/__mock/options', { statusAfterComplete });
      await renderApp(stack);
      // The server granted it inside the callback; the app closed before Toss heard "granted": Toss reads FAILED.
      await nextPurchase('close-during-grant');
      fireEvent.click(screen.getByTestId('buy-coin_100'));
      await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ grantEnding: 'app-closed' }));
      cleanup();
      await renderApp(stack);
      await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ completed: true }));
      expect(stack.mock.state.orderStatus(ordersOfUser()[0]!.orderId, host.userKey()!).status).toBe(
        statusAfterComplete === 'unchanged' ? 'FAILED' : 'PAYMENT_COMPLETED',
      );
      returnToApp(); // refund sync: the history lists it COMPLETED; the server re-checks it with Toss
      await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
      await waitFor(() => expect(balance()).toBe('100'));
      returnToApp();
      await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
      expect(balance()).toBe('100');
    });
  }
});

describe('wrongKindPurchase: a modified client buys the subscription SKU with a one-time purchase', () => {
  async function buySubscriptionSkuOnce(): Promise<{ granted: boolean; inventory: InventoryOutput }> {
    const { services } = await renderApp(stack);
    const { IAP } = await import('@apps-in-toss/web-framework');
    const granted = await new Promise<boolean>((resolve, reject) => {
      const stop = IAP.createOneTimePurchaseOrder({
        options: {
          sku: 'premium_monthly',
          processProductGrant: async ({ orderId }) => {
            const out = await services.api.fulfill({ orderId, sku: 'premium_monthly' });
            resolve(out.granted);
            return out.granted;
          },
        },
        onEvent: () => stop(),
        onError: (error) => {
          stop();
          reject(error);
        },
      });
    });
    return { granted, inventory: await services.trpc.me.inventory.query() };
  }

  test('refused (default): INVALID_PRODUCT_ID before any checkout; nothing charged, nothing granted', async () => {
    await expect(buySubscriptionSkuOnce()).rejects.toMatchObject({ code: 'INVALID_PRODUCT_ID' });
    expect(ordersOfUser()).toEqual([]);
  });

  test('accepted: charged once, and the server gives at most one cycle plus its grace — never an open-ended subscription', async () => {
    await stack.control('POST', '/__mock/options', { wrongKindPurchase: 'accepted' });
    const paidAt = Date.now();
    const { granted, inventory } = await buySubscriptionSkuOnce();
    expect(ordersOfUser()).toEqual([expect.objectContaining({ payment: 'paid', subscriptionId: null })]);
    const premium = inventory.entitlements.filter((e) => e.sku === 'premium_monthly');
    // The server grants the SKU the order was paid for: one cycle, bounded like any subscription order.
    expect(granted).toBe(true);
    // One paid month (≤ 31 days) and the product's 3 grace days, with a day of slack for clocks.
    const limit = paidAt + (31 + 3 + 1) * 86_400_000;
    expect(premium).toHaveLength(1);
    expect(premium[0]?.expiresAt).toBeTruthy();
    expect(Date.parse(premium[0]!.expiresAt!)).toBeLessThanOrEqual(limit);
  });
});
