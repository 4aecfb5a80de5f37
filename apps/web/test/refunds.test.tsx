/**
 * Refund sync: every page of IAP.getCompletedOrRefundedOrders({ key }) reaches the server's iap.sync, which
 * re-checks each order with Toss (the mock's partner API) and revokes refunds — the user sees it on return to the app.
 */
import type { TossMockHost } from '@ait-iap/toss-mock/host';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { copy } from '../src/copy';
import { balance, renderApp, setVisibility } from './app';
import { installHost, type Stack, sent, startStack } from './harness';

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
  await host.switchUser();
  setVisibility('visible');
});

const orderOf = (sku: string) =>
  [...stack.mock.state.orders.values()].find((o) => o.userKey === host.userKey() && o.sku === sku);

test('the sync reads every page (3 pages of 20) and the server grants completed orders it had missed', async () => {
  for (let i = 0; i < 45; i++) {
    await stack.control('POST', '/__mock/orders', {
      userKey: host.userKey(),
      sku: 'coin_100',
      status: 'COMPLETED',
    });
  }
  const from = host.messages.length;
  await renderApp(stack);
  await waitFor(() => expect(balance()).toBe('4500'), { timeout: 15_000 });
  const pages = sent(host, from, 'method', 'getCompletedOrRefundedOrders').map(
    (m) => (m.args as [{ key: string | null }])[0].key,
  );
  expect(pages.slice(0, 3)).toHaveLength(3);
  expect(pages[0]).toBeNull();
  expect(new Set(pages.slice(1, 3)).size).toBe(2);
  expect(pages.slice(1, 3).every((key) => typeof key === 'string')).toBe(true);
});

test('a refunded item is revoked when the user comes back: no longer owned, buyable again, 환불됨 in history', async () => {
  await renderApp(stack);
  fireEvent.click(screen.getByTestId('buy-remove_ads'));
  await screen.findByTestId('owned-remove_ads');
  const orderId = orderOf('remove_ads')!.orderId;

  await stack.control('POST', `/__mock/orders/${orderId}/refund`);
  setVisibility('hidden');
  setVisibility('visible');

  await waitFor(() => expect(screen.queryByTestId('owned-remove_ads')).toBeNull(), { timeout: 10_000 });
  await waitFor(() =>
    expect((screen.getByTestId('buy-remove_ads') as HTMLButtonElement).disabled).toBe(false),
  );
  fireEvent.click(screen.getByTestId('tab-history'));
  const row = await screen.findByTestId(`history-${orderId}`);
  expect(within(row).getByText('환불됨')).toBeTruthy();
});

test('refunded coins are taken back from the balance; the other purchase stays 지급 완료', async () => {
  await renderApp(stack);
  fireEvent.click(screen.getByTestId('buy-coin_550'));
  await waitFor(() => expect(balance()).toBe('550'));
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await waitFor(() => expect(balance()).toBe('650'));
  const refunded = orderOf('coin_100')!.orderId;
  const kept = orderOf('coin_550')!.orderId;

  await stack.control('POST', `/__mock/orders/${refunded}/refund`);
  setVisibility('hidden');
  setVisibility('visible');
  await waitFor(() => expect(balance()).toBe('550'), { timeout: 10_000 });

  fireEvent.click(screen.getByTestId('tab-history'));
  expect(within(await screen.findByTestId(`history-${refunded}`)).getByText('환불됨')).toBeTruthy();
  // Our server's record (granted) wins over Toss's own listing (paid).
  await waitFor(() =>
    expect(within(screen.getByTestId(`history-${kept}`)).getByText(copy.history.status.granted)).toBeTruthy(),
  );
});
