/**
 * Every paid order leaves a trace an operator can find: the app records a purchase intent before Toss's checkout
 * opens, reports every purchase that ends without a grant (error code, order id if any), and reports an outbox entry
 * the server could not find before dropping it. Bookkeeping never blocks a paying user: a server that cannot record
 * the intent or take the report changes nothing the user sees.
 * Real SDK → toss-mock host → real server for the purchase; the two intent procedures are answered by the page's
 * fetch (`intentDesk`), so what the app SENDS is asserted here and the server's side in apps/server's tests.
 */
import { partnerPaths } from '@ait-iap/iap-contract';
import { DEFAULT_APP_VERSION, type TossMockHost } from '@ait-iap/toss-mock/host';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { OUTBOX_KEY } from '../src/iap/outbox';
import { balance, memoryStore, renderApp } from './app';
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
afterEach(() => cleanup());
beforeEach(async () => {
  host.setAppVersion(DEFAULT_APP_VERSION);
  await host.switchUser();
  await stack.control('DELETE', '/__mock/next-purchase');
  await stack.control('DELETE', '/__mock/faults');
  await setStatusReading(stack);
});

const ordersOfUser = () => [...stack.mock.state.orders.values()].filter((o) => o.userKey === host.userKey());
const nextPurchase = (outcome: string) =>
  stack.control('POST', '/__mock/next-purchase', { outcome, userKey: host.userKey() });

type DeskMode = 'up' | 'down';
interface DeskCall {
  procedure: 'iap.beginPurchase' | 'iap.reportPurchase';
  input: Record<string, unknown>;
  /** Purchase sheets the page had asked Toss for when the call went out. */
  checkoutsOpened: number;
}

/**
 * The server's intent desk as the page reaches it: `begin`/`report` 'up' answer like the server does, 'down' fail
 * on the way (the server unreachable for these calls only). Everything else goes to the real server.
 */
function intentDesk(modes: { begin?: DeskMode; report?: DeskMode } = {}) {
  const calls: DeskCall[] = [];
  const state = { begin: modes.begin ?? 'up', report: modes.report ?? 'up' };
  let nextIntent = 1;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const procedure = url.includes('iap.beginPurchase')
      ? 'iap.beginPurchase'
      : url.includes('iap.reportPurchase')
        ? 'iap.reportPurchase'
        : null;
    if (procedure === null) return globalThis.fetch(input, init);
    calls.push({
      procedure,
      input: JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>,
      checkoutsOpened: sent(host, 0, 'addEventListener').length,
    });
    if ((procedure === 'iap.beginPurchase' ? state.begin : state.report) === 'down')
      throw new TypeError('Failed to fetch');
    const data =
      procedure === 'iap.beginPurchase'
        ? { intentId: `0190a1b2-c3d4-7e5f-8a9b-${String(nextIntent++).padStart(12, '0')}` }
        : { ok: true };
    return new Response(JSON.stringify({ result: { data } }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return {
    fetch,
    calls,
    reports: () => calls.filter((c) => c.procedure === 'iap.reportPurchase').map((c) => c.input),
    begins: () => calls.filter((c) => c.procedure === 'iap.beginPurchase'),
    set: (next: { begin?: DeskMode; report?: DeskMode }) => Object.assign(state, next),
  };
}

test("the intent is recorded before Toss's checkout opens, with the SKU and the Toss app version; a granted purchase reports nothing", async () => {
  const desk = intentDesk();
  await renderApp(stack, { fetch: desk.fetch });
  const opened = sent(host, 0, 'addEventListener').length;
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await waitFor(() => expect(balance()).toBe('100'));

  expect(desk.begins()).toEqual([
    {
      procedure: 'iap.beginPurchase',
      input: { sku: 'coin_100', appVersion: `android ${DEFAULT_APP_VERSION}` },
      checkoutsOpened: opened,
    },
  ]);
  expect(sent(host, 0, 'addEventListener').length).toBe(opened + 1);
  expect(desk.reports()).toEqual([]);
});

test('the server cannot record the intent: the checkout opens anyway and the purchase is granted', async () => {
  const desk = intentDesk({ begin: 'down' });
  await renderApp(stack, { fetch: desk.fetch });
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await waitFor(() => expect(balance()).toBe('100'));
  expect(desk.begins().length).toBeGreaterThan(0);
  expect(ordersOfUser()).toEqual([expect.objectContaining({ sku: 'coin_100', completed: true })]);
  expect(screen.queryByRole('alert')).toBeNull();
});

test('a checkout Toss ends with an error is reported against the intent with the error code (payment pending, Toss verification failed, cancel)', async () => {
  const desk = intentDesk();
  await renderApp(stack, { fetch: desk.fetch });
  const codes = ['PAYMENT_PENDING', 'TOSS_SERVER_VERIFICATION_FAILED', 'USER_CANCELED'];
  for (const [i, code] of codes.entries()) {
    await nextPurchase(code);
    await waitFor(() =>
      expect((screen.getByTestId('buy-coin_100') as HTMLButtonElement).disabled).toBe(false),
    );
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await waitFor(() => expect(desk.reports()).toHaveLength(i + 1));
    expect(desk.reports()[i]).toEqual({
      intentId: `0190a1b2-c3d4-7e5f-8a9b-${String(desk.begins().length).padStart(12, '0')}`,
      sku: 'coin_100',
      outcome: 'ERROR',
      errorCode: code,
    });
    await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
  }
  expect(desk.reports()).toHaveLength(3);
});

test("a grant the server could not give in the window is reported NOT_GRANTED with the order id and the server's reason", async () => {
  const desk = intentDesk();
  await renderApp(stack, { fetch: desk.fetch, grantWindowMs: 1_500 });
  await stack.control('POST', '/__mock/faults', { kind: 'error5xx', path: partnerPaths.getOrderStatus });
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER');
  const [order] = ordersOfUser();
  await waitFor(() =>
    expect(desk.reports()).toEqual([
      {
        intentId: expect.any(String),
        orderId: order?.orderId,
        sku: 'coin_100',
        outcome: 'NOT_GRANTED',
        errorCode: 'PRODUCT_NOT_GRANTED_BY_PARTNER',
        serverReason: 'UPSTREAM_UNAVAILABLE',
      },
    ]),
  );
});

test("a report the server cannot take is not the user's problem: they see only the cancel, and can buy right after", async () => {
  const desk = intentDesk({ report: 'down' });
  await renderApp(stack, { fetch: desk.fetch });
  await nextPurchase('USER_CANCELED');
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await screen.findByTestId('error-USER_CANCELED');
  await waitFor(() => expect(desk.reports()).toHaveLength(1));
  expect(screen.getAllByRole('alert')).toHaveLength(1);

  // Tap buy until a checkout opens (the purchase that was cancelled lets go of the button a moment after it says so).
  await waitFor(() => {
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    expect(ordersOfUser()).toHaveLength(1);
  });
  await waitFor(() => expect(balance()).toBe('100'));
});

test('Toss 5.232.0 (no getPendingOrders): an outbox entry the server cannot find is reported OUTBOX_DROPPED before it is dropped — and kept until the report gets through', async () => {
  host.setAppVersion('5.232.0');
  const device = memoryStore();
  const unknownOrder = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
  device.data.set(OUTBOX_KEY, JSON.stringify([{ orderId: unknownOrder, sku: 'coin_100' }]));
  const desk = intentDesk({ report: 'down' });
  const first = await renderApp(stack, { fetch: desk.fetch, store: device.store });
  const dropped = {
    orderId: unknownOrder,
    sku: 'coin_100',
    outcome: 'OUTBOX_DROPPED',
    serverReason: 'ORDER_NOT_FOUND',
  };
  await waitFor(() => expect(desk.reports()).toEqual([dropped]));
  // The report did not get through: the device still remembers the order.
  expect(JSON.parse(device.data.get(OUTBOX_KEY) ?? '[]')).toEqual([
    { orderId: unknownOrder, sku: 'coin_100' },
  ]);
  first.view.unmount();

  desk.set({ report: 'up' });
  await renderApp(stack, { fetch: desk.fetch, store: device.store });
  await waitFor(() => expect(device.data.has(OUTBOX_KEY)).toBe(false));
  expect(desk.reports()).toEqual([dropped, dropped]);
});
