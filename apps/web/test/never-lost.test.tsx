/**
 * A paid order is never lost: the grant callback asks our server again while requests fail on the way (and never
 * after a decision), the device's outbox remembers the order before the server is asked, and recovery replays it
 * together with Toss's pending list — also on Toss apps without getPendingOrders — without granting twice.
 * Real SDK → toss-mock host → real server; "the server is down" is the page's fetch failing (serverLink).
 */
import { iapErrorInfo, partnerPaths } from '@ait-iap/iap-contract';
import { DEFAULT_APP_VERSION, type TossMockHost } from '@ait-iap/toss-mock/host';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { type KeyValueStore, OUTBOX_KEY } from '../src/iap/outbox';
import { balance, memoryStore, renderApp, serverLink, setVisibility } from './app';
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
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});
beforeEach(async () => {
  host.setAppVersion(DEFAULT_APP_VERSION);
  await host.switchUser();
  await stack.control('DELETE', '/__mock/next-purchase');
  await stack.control('DELETE', '/__mock/faults');
  await setStatusReading(stack); // grant-failed, the mock's (and Toss staff's) default
  setVisibility('visible');
});

const ordersOfUser = () => [...stack.mock.state.orders.values()].filter((o) => o.userKey === host.userKey());
const grantAnswers = (from: number) =>
  sent(host, from, 'method', 'processProductGrant').map((m) => (m.args as unknown[])[0]);
/** The outbox as stored on the device. */
const stored = (data: Map<string, string>) =>
  JSON.parse(data.get(OUTBOX_KEY) ?? '[]') as { orderId: string; sku: string; held?: boolean }[];
const returnToApp = () => {
  setVisibility('hidden');
  setVisibility('visible');
};

describe('the grant callback fights for the paid reading', () => {
  test('the server unreachable for the first attempts: the callback asks again and Toss hears "granted" — once', async () => {
    const link = serverLink();
    const device = memoryStore();
    await renderApp(stack, { fetch: link.fetch, store: device.store });
    const from = host.messages.length;
    link.down();
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(link.refused.length).toBeGreaterThanOrEqual(2));
    link.up();

    await waitFor(() => expect(balance()).toBe('100'));
    const [order] = ordersOfUser();
    expect(grantAnswers(from)).toEqual([{ orderId: order?.orderId, isProductGranted: true }]);
    expect(order).toMatchObject({ payment: 'paid', granted: true, completed: true });
    expect(link.fulfilled.filter((id) => id === order?.orderId)).toHaveLength(1);
    expect(screen.queryByRole('alert')).toBeNull();
    // Granted and acknowledged: the device forgot it.
    expect(stored(device.data)).toEqual([]);
  });

  test('Toss\'s partner API fails twice while granting: the callback asks again (a retryable answer), Toss hears "granted", nothing is held', async () => {
    const link = serverLink();
    await renderApp(stack, { fetch: link.fetch, store: memoryStore().store });
    await stack.control('POST', '/__mock/faults', {
      kind: 'error5xx',
      path: partnerPaths.getOrderStatus,
      count: 2,
    });
    const from = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    await waitFor(() => expect(balance()).toBe('100'));
    const [order] = ordersOfUser();
    expect(grantAnswers(from)).toEqual([{ orderId: order?.orderId, isProductGranted: true }]);
    expect(link.fulfilled.filter((id) => id === order?.orderId).length).toBeGreaterThanOrEqual(3);
    // Toss heard "granted": the order reads paid under Toss staff's reading, so no operator is needed.
    expect(order).toMatchObject({ grantEnding: 'granted', completed: true });
    expect(screen.queryByTestId(`held-${order?.orderId}`)).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  test('a decision from the server ("not granted", not retryable) goes to Toss at once: never asked again inside the window', async () => {
    let grantAnswered = 0;
    const link = serverLink({ tag: () => (grantAnswered > 0 ? 'after' : 'during') });
    // The server decides "not paid" (as it would for a payment Toss says failed).
    const decided: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.includes('iap.fulfill') || grantAnswered > 0) return link.fetch(input, init);
      await link.fetch(input, init).catch(() => undefined); // recorded (and granted nothing: it is refused below)
      const { orderId } = JSON.parse(String(init?.body)) as { orderId: string };
      const data = { granted: false, reason: 'NOT_PAID', retryable: false, orderId };
      return new Response(JSON.stringify({ result: { data } }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    };
    await stack.control('POST', '/__mock/faults', { kind: 'error5xx', path: partnerPaths.getOrderStatus });
    await renderApp(stack, { fetch: decided, store: memoryStore().store });
    const from = host.messages.length;
    const watch = setInterval(() => {
      grantAnswered = sent(host, from, 'method', 'processProductGrant').length;
    }, 1);
    try {
      fireEvent.click(screen.getByTestId('buy-coin_100'));
      await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER');
    } finally {
      clearInterval(watch);
    }
    const orderId = ordersOfUser()[0]?.orderId;
    expect(grantAnswers(from)).toEqual([{ orderId, isProductGranted: false }]);
    expect(link.requests.filter((r) => r.orderId === orderId && r.tag === 'during')).toHaveLength(1);
  });

  test('the server unreachable for the whole window: Toss hears "not granted" in time, the device keeps the order, and (still reading paid) it is granted once the server is back', async () => {
    await setStatusReading(stack, 'payment-completed');
    const link = serverLink();
    const device = memoryStore();
    await renderApp(stack, { fetch: link.fetch, store: device.store, grantWindowMs: 1_500 });
    const from = host.messages.length;
    link.down();
    fireEvent.click(screen.getByTestId('buy-coin_100'));

    const notice = await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER');
    expect(notice.textContent).toContain(iapErrorInfo.PRODUCT_NOT_GRANTED_BY_PARTNER.title);
    const [order] = ordersOfUser();
    expect(grantAnswers(from)).toEqual([{ orderId: order?.orderId, isProductGranted: false }]);
    expect(link.refused.filter((id) => id === order?.orderId).length).toBeGreaterThanOrEqual(2);
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
    expect(stored(device.data)).toEqual([
      { orderId: order?.orderId, sku: 'coin_100', userId: expect.any(String) },
    ]);

    link.up();
    returnToApp();
    await waitFor(() => expect(balance()).toBe('100'));
    await waitFor(() => expect(ordersOfUser()[0]).toMatchObject({ completed: true }));
    await waitFor(() => expect(stored(device.data)).toEqual([]));
  });
});

describe('the outbox', () => {
  test('the order is on the device before the server is asked, and gone once granted and acknowledged', async () => {
    const events: string[] = [];
    const device = memoryStore();
    const recording: KeyValueStore = {
      ...device.store,
      setItem: async (key, value) => {
        events.push(`stored ${value}`);
        await device.store.setItem(key, value);
      },
    };
    const link = serverLink({ tag: () => String(events.push('asked the server')) });
    await renderApp(stack, { fetch: link.fetch, store: recording });
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(balance()).toBe('100'));

    const orderId = ordersOfUser()[0]?.orderId ?? 'missing';
    const firstStore = events.findIndex((e) => e.startsWith('stored') && e.includes(orderId));
    const firstAsk = events.indexOf('asked the server');
    expect(firstStore).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(events[firstStore]?.slice('stored '.length) ?? '[]')).toEqual([
      { orderId, sku: 'coin_100', userId: expect.any(String) },
    ]);
    expect(link.requests[0]?.orderId).toBe(orderId);
    expect(firstStore).toBeLessThan(firstAsk);
    await waitFor(() => expect(device.data.has(OUTBOX_KEY)).toBe(false));
  });

  test('Toss 5.225.0 (no getPendingOrders; legacy purchase: Toss takes no grant answer), the server down during the grant: once it is back, the next start recovers the order from the outbox — coins once', async () => {
    host.setAppVersion('5.225.0');
    const link = serverLink();
    const device = memoryStore();
    const first = await renderApp(stack, { fetch: link.fetch, store: device.store, grantWindowMs: 1_000 });
    link.down();
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER');
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
    const [order] = ordersOfUser();
    expect(order).toMatchObject({ payment: 'paid', completed: false });
    expect(stored(device.data).map((e) => e.orderId)).toEqual([order?.orderId]);
    first.view.unmount();

    link.up();
    const from = host.messages.length;
    await renderApp(stack, { fetch: link.fetch, store: device.store });
    await waitFor(() => expect(balance()).toBe('100'));
    // Toss could not list it: the grant came from the outbox alone.
    expect(sent(host, from, 'method', 'getPendingOrders')).toHaveLength(0);
    await waitFor(() => expect(stored(device.data)).toEqual([]));
    cleanup();

    // Once more: nothing left to replay, nothing granted again.
    const asked = link.fulfilled.length;
    await renderApp(stack, { fetch: link.fetch, store: device.store });
    expect(balance()).toBe('100');
    expect(link.fulfilled.length).toBe(asked);
  });

  test('an order both Toss and the outbox know is asked about once per recovery', async () => {
    const { orderId } = await stack.control<{ orderId: string }>('POST', '/__mock/orders', {
      userKey: host.userKey(),
      sku: 'coin_550',
    });
    const device = memoryStore();
    await device.store.setItem(OUTBOX_KEY, JSON.stringify([{ orderId, sku: 'coin_550' }]));
    const link = serverLink();
    await renderApp(stack, { fetch: link.fetch, store: device.store });

    await waitFor(() => expect(balance()).toBe('550'));
    expect(link.fulfilled.filter((id) => id === orderId)).toHaveLength(1);
    expect(stack.mock.state.orders.get(orderId)).toMatchObject({ completed: true });
    expect(stored(device.data)).toEqual([]);
  });

  test('a device storage that fails does not stop a purchase, nor the recovery of a failed one (payment-completed reading)', async () => {
    await setStatusReading(stack, 'payment-completed');
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const broken: KeyValueStore = {
      getItem: () => Promise.reject(new Error('storage unavailable')),
      setItem: () => Promise.reject(new Error('storage unavailable')),
      removeItem: () => Promise.reject(new Error('storage unavailable')),
    };
    await renderApp(stack, { store: broken });
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(balance()).toBe('100'));

    await stack.control('POST', '/__mock/faults', { kind: 'error5xx', path: partnerPaths.getOrderStatus });
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER');
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
    await stack.control('DELETE', '/__mock/faults');
    returnToApp();
    await waitFor(() => expect(balance()).toBe('200'));
    expect(ordersOfUser().every((o) => o.completed)).toBe(true);
  });
});
