/**
 * The purchase spine end to end in the component: real SDK → toss-mock host → processProductGrant → real server
 * (verifies with the mock's partner API over mTLS) → completeProductGrant → inventory. Each test is a fresh user.
 */
import { appErrorCopy, partnerPaths } from '@ait-iap/iap-contract';
import type { TossMockHost } from '@ait-iap/toss-mock/host';
import { act, cleanup, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { copy, formatDate } from '../src/copy';
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
afterEach(() => cleanup()); // unmount → the purchase hook's cleanup runs
beforeEach(async () => {
  await host.switchUser();
  await stack.control('DELETE', '/__mock/next-purchase');
  await stack.control('DELETE', '/__mock/faults');
  await setStatusReading(stack);
  setVisibility('visible');
});

const ordersOfUser = () => [...stack.mock.state.orders.values()].filter((o) => o.userKey === host.userKey());
const nextPurchase = (outcome: string) =>
  stack.control('POST', '/__mock/next-purchase', { outcome, userKey: host.userKey() });

/** The purchase listener the page opened after message index `from`, and whether it was removed (cleanup). */
function checkouts(from: number) {
  const opened = sent(host, from, 'addEventListener').filter((m) =>
    ['requestOneTimePurchase', 'requestSubscriptionPurchase'].includes(m.functionName),
  );
  const removed = new Set(sent(host, from, 'removeEventListener').map((m) => m.eventId));
  return { opened, cleanedUp: opened.every((m) => removed.has(m.eventId)) };
}

describe('one-time purchase', () => {
  test('buying coins grants them once, acknowledges the order to Toss and cleans up', async () => {
    await renderApp(stack);
    expect(balance()).toBe('0');
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    await waitFor(() => expect(balance()).toBe('100'));
    const [order] = ordersOfUser();
    expect(ordersOfUser()).toHaveLength(1);
    expect(order).toMatchObject({ sku: 'coin_100', payment: 'paid', granted: true, completed: true });
    const grants = sent(host, from, 'method', 'processProductGrant');
    expect(grants.map((m) => m.args)).toEqual([[{ orderId: order?.orderId, isProductGranted: true }]]);
    expect(checkouts(from)).toMatchObject({ opened: [{ args: { sku: 'coin_100' } }], cleanedUp: true });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  test('a non-consumable shows as owned after purchase and cannot be bought again', async () => {
    await renderApp(stack);
    fireEvent.click(screen.getByTestId('buy-remove_ads'));
    await screen.findByTestId('owned-remove_ads', undefined, { timeout: 5_000 });
    expect((screen.getByTestId('buy-remove_ads') as HTMLButtonElement).disabled).toBe(true);
  });

  test('cancelling the checkout charges nothing, says so, and cleans up', async () => {
    await renderApp(stack);
    await nextPurchase('USER_CANCELED');
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    const notice = await screen.findByTestId('error-USER_CANCELED');
    expect(notice.textContent).toContain('결제를 취소했어요');
    expect(checkouts(from)).toMatchObject({
      opened: [{ functionName: 'requestOneTimePurchase' }],
      cleanedUp: true,
    });
    expect(ordersOfUser()).toHaveLength(0);
    expect(sent(host, from, 'method', 'processProductGrant')).toHaveLength(0);
    expect(balance()).toBe('0');
    // The buy button is usable again.
    await waitFor(() =>
      expect((screen.getByTestId('buy-coin_100') as HTMLButtonElement).disabled).toBe(false),
    );
  });
});

describe('recovery (payment-completed reading: a paid order stays paid after a false answer)', () => {
  // Here the order still reads paid after a failed grant (the developers' reading): recovery grants it. Under Toss
  // staff's grant-failed reading the same order reads FAILED and is held for an operator: never-lost.test.tsx.
  beforeEach(() => setStatusReading(stack, 'payment-completed'));
  test('a grant that fails (Toss partner API down) leaves the order pending; back in the foreground it is granted and completed', async () => {
    await renderApp(stack);
    await stack.control('POST', '/__mock/faults', { kind: 'error5xx' });
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    const notice = await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER', undefined, {
      timeout: 8_000,
    });
    expect(notice.textContent).toContain('결제는 완료됐어요');
    expect(sent(host, from, 'method', 'processProductGrant').map((m) => m.args)).toEqual([
      [{ orderId: ordersOfUser()[0]?.orderId, isProductGranted: false }],
    ]);
    expect(checkouts(from).cleanedUp).toBe(true);
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull(), { timeout: 8_000 });
    expect(balance()).toBe('0');
    expect(ordersOfUser()[0]).toMatchObject({ payment: 'paid', completed: false });

    await stack.control('DELETE', '/__mock/faults');
    setVisibility('hidden');
    setVisibility('visible');

    await waitFor(() => expect(balance()).toBe('100'), { timeout: 8_000 });
    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ completed: true }));
  });

  test('when completeProductGrant fails, recovery acknowledges the order without granting it twice', async () => {
    await renderApp(stack);
    await nextPurchase('complete-fails');
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ granted: true, completed: true }), {
      timeout: 8_000,
    });
    // completeProductGrant was called twice: the failed attempt, then recovery's.
    const completes = sent(host, from, 'method', 'completeProductGrant');
    expect(completes.length).toBe(2);
    await waitFor(() => expect(balance()).toBe('100'));
    expect(ordersOfUser()).toHaveLength(1);
    expect(checkouts(from).cleanedUp).toBe(true);
  });

  test('the app closed right after payment: on the next start the paid order is granted and completed', async () => {
    const first = await renderApp(stack);
    await nextPurchase('close-after-payment');
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ payment: 'paid', granted: null }));

    // The app is gone (unmount = the page closing); cleanup still runs on the way out.
    first.view.unmount();
    expect(checkouts(from)).toMatchObject({
      opened: [{ functionName: 'requestOneTimePurchase' }],
      cleanedUp: true,
    });

    await renderApp(stack);
    await waitFor(() => expect(balance()).toBe('100'), { timeout: 8_000 });
    expect(ordersOfUser()[0]).toMatchObject({ completed: true });
  });

  test('the app closed after the grant but before completeProductGrant: the next start completes it, coins once', async () => {
    const first = await renderApp(stack);
    await nextPurchase('close-after-grant');
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ granted: true, completed: false }), {
      timeout: 8_000,
    });
    first.view.unmount();

    await renderApp(stack);
    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ completed: true }), { timeout: 8_000 });
    expect(balance()).toBe('100');
  });

  test('a server slower than the grant deadline: processProductGrant answers false in time, recovery finishes the order, coins once', async () => {
    await renderApp(stack, { grantWindowMs: 400 });
    // Every partner API call takes 1.2 s (inside the server's own 1.5 s Toss timeout): the grant lands late.
    await stack.control('POST', '/__mock/faults', { kind: 'latency', ms: 1_200, count: 1 });
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER');
    expect(sent(host, from, 'method', 'processProductGrant').map((m) => m.args)).toEqual([
      [{ orderId: ordersOfUser()[0]?.orderId, isProductGranted: false }],
    ]);
    expect(checkouts(from).cleanedUp).toBe(true);
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());

    // Back in the foreground (the server has long finished): recovery acknowledges the order.
    setVisibility('hidden');
    setVisibility('visible');
    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ completed: true }));
    await waitFor(() => expect(balance()).toBe('100'));
    expect(ordersOfUser()).toHaveLength(1);
  }, 45_000);

  test('pending orders are recovered before a new purchase opens its checkout', async () => {
    // A paid, never-granted order created behind the app's back (e.g. on another device).
    const { orderId } = await stack.control<{ orderId: string }>('POST', '/__mock/orders', {
      userKey: host.userKey(),
      sku: 'coin_550',
    });
    const from = host.messages.length;
    await renderApp(stack); // start-up recovery grants it
    await waitFor(() => expect(balance()).toBe('550'));
    expect(sent(host, from, 'method', 'getPendingOrders').length).toBeGreaterThanOrEqual(1);
    expect(stack.mock.state.orders.get(orderId)).toMatchObject({ completed: true });

    const before = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(balance()).toBe('650'));
    const order = host.messages.slice(before).map((m) => m.functionName);
    expect(order.indexOf('getPendingOrders')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('getPendingOrders')).toBeLessThan(order.indexOf('requestOneTimePurchase'));
  });
});

describe('one purchase at a time', () => {
  test('a double tap opens one checkout and grants one order', async () => {
    const { services } = await renderApp(stack);
    const [{ AppProviders }, { usePurchase }] = await Promise.all([
      import('../src/App'),
      import('../src/iap/usePurchase'),
    ]);
    const wrapper = ({ children }: { children: ReactNode }) => (
      <AppProviders services={services}>{children}</AppProviders>
    );
    const { result } = renderHook(() => usePurchase(), { wrapper });
    const from = host.messages.length;
    await act(async () => {
      const first = result.current.buy({ sku: 'coin_100', type: 'CONSUMABLE' });
      const second = result.current.buy({ sku: 'coin_100', type: 'CONSUMABLE' });
      await Promise.all([first, second]);
    });
    expect(checkouts(from).opened).toHaveLength(1);
    expect(ordersOfUser()).toHaveLength(1);
    expect(result.current.state).toMatchObject({ phase: 'succeeded', sku: 'coin_100', completed: true });
  });

  test('while a checkout is open every buy button is disabled', async () => {
    await renderApp(stack);
    await nextPurchase('close-after-payment'); // the checkout never comes back
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(screen.getByTestId('purchase-progress')).toBeTruthy());
    for (const sku of ['coin_100', 'coin_550', 'remove_ads', 'premium_monthly']) {
      expect((screen.getByTestId(`buy-${sku}`) as HTMLButtonElement).disabled).toBe(true);
    }
  });
});

describe('subscription', () => {
  test('subscribing with the listed free-trial offer passes offerId and shows the subscription as active', async () => {
    await renderApp(stack);
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-premium_monthly'));

    const status = await screen.findByTestId('subscription-premium_monthly', undefined, { timeout: 8_000 });
    expect(status.textContent).toContain('이용 중');
    expect(status.textContent).toContain('자동 갱신');
    expect(checkouts(from)).toMatchObject({
      opened: [
        {
          functionName: 'requestSubscriptionPurchase',
          args: { sku: 'premium_monthly', offerId: 'premium_trial_7d' },
        },
      ],
      cleanedUp: true,
    });
    expect(ordersOfUser()[0]).toMatchObject({ granted: true, completed: true });
    expect((screen.getByTestId('buy-premium_monthly') as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('subscription state from Toss', () => {
  async function subscribe() {
    await renderApp(stack);
    fireEvent.click(screen.getByTestId('buy-premium_monthly'));
    const status = await screen.findByTestId('subscription-premium_monthly');
    expect(status.textContent).toContain('이용 중');
    return ordersOfUser()[0]!.orderId;
  }

  test('a subscription Toss expired is reported on return to the app: no longer active, buyable again', async () => {
    const orderId = await subscribe();
    await stack.control('POST', `/__mock/subscriptions/${orderId}/expire`);
    const from = host.messages.length;
    setVisibility('hidden');
    setVisibility('visible');

    await waitFor(() => expect(screen.queryByTestId('subscription-premium_monthly')).toBeNull());
    await waitFor(() =>
      expect((screen.getByTestId('buy-premium_monthly') as HTMLButtonElement).disabled).toBe(false),
    );
    expect(sent(host, from, 'method', 'getSubscriptionInfo').map((m) => m.args)).toContainEqual([
      { params: { orderId } },
    ]);
  });

  test("right after subscribing with the 7-day free trial, the shop shows Toss's trial end, not a month", async () => {
    await renderApp(stack);
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-premium_monthly'));
    await screen.findByTestId('subscription-premium_monthly', undefined, { timeout: 8_000 });
    const orderId = ordersOfUser()[0]!.orderId;
    const toss = await stack.control<{ subscription: { expiresAt: string } }>(
      'POST',
      '/__mock/host/subscription',
      { userKey: host.userKey(), orderId },
    );
    const trialEnd = toss.subscription.expiresAt;
    const aMonth = new Date(Date.parse(trialEnd));
    aMonth.setUTCDate(aMonth.getUTCDate() + 23); // the server's default: one whole cycle from the purchase
    expect(formatDate(trialEnd)).not.toBe(formatDate(aMonth.toISOString()));

    // No restart, no return to the app: the purchase itself reports Toss's state.
    await waitFor(
      () =>
        expect(screen.getByTestId('subscription-premium_monthly').textContent).toContain(
          formatDate(trialEnd),
        ),
      { timeout: 8_000 },
    );
    expect(sent(host, from, 'method', 'getSubscriptionInfo').map((m) => m.args)).toContainEqual([
      { params: { orderId } },
    ]);
  });

  test('a renewal that failed puts the subscription in its grace period, and the shop says so', async () => {
    const orderId = await subscribe();
    await stack.control('POST', `/__mock/subscriptions/${orderId}/grace`);
    setVisibility('hidden');
    setVisibility('visible');

    await waitFor(() =>
      expect(screen.getByTestId('subscription-premium_monthly').textContent).toContain(
        copy.inventory.status.IN_GRACE_PERIOD,
      ),
    );
    expect((screen.getByTestId('buy-premium_monthly') as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('session', () => {
  test('when login fails the user sees why and "다시 시도" logs in', async () => {
    await stack.control('POST', '/__mock/faults', { kind: 'error5xx', path: partnerPaths.generateToken });
    const [{ App }, { createAppServices }] = await Promise.all([
      import('../src/App'),
      import('../src/app/services'),
    ]);
    render(
      <App
        services={createAppServices({
          apiUrl: stack.apiUrl,
          grantWindowMs: 5_000,
          completeTimeoutMs: 3_000,
          recoveryTimeoutMs: 10_000,
        })}
      />,
    );
    const reason = await screen.findByTestId('app-error-UPSTREAM_UNAVAILABLE');
    expect(reason.textContent).toContain(appErrorCopy.UPSTREAM_UNAVAILABLE);

    await stack.control('DELETE', '/__mock/faults');
    fireEvent.click(screen.getByText('다시 시도'));
    await screen.findByTestId('app-ready');
    expect(balance()).toBe('0');
  });

  test('an expired session logs in again mid-purchase and the purchase still completes, on the same screen', async () => {
    await renderApp(stack);
    fireEvent.click(screen.getByTestId('tab-inventory'));
    await screen.findByText('상점 둘러보기');
    fireEvent.click(screen.getByTestId('tab-shop'));
    stack.advanceServerClock(2 * 24 * 60 * 60 * 1000); // past the 24 h session
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    await waitFor(() => expect(balance()).toBe('100'), { timeout: 8_000 });
    expect(sent(host, from, 'method', 'appLogin')).toHaveLength(1);
    expect(screen.getByTestId('tab-shop').getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByTestId('login-failed')).toBeNull();
  });
});
