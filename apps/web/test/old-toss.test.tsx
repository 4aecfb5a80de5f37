/**
 * Old Toss apps: below a function's minimum version the host resolves `undefined` (or the SDK silently does
 * nothing). The app gates with isMinVersionSupported + the contract's minTossAppVersions and never crashes.
 */
import { iapErrorInfo } from '@ait-iap/iap-contract';
import type { TossMockHost } from '@ait-iap/toss-mock/host';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { balance, renderApp } from './app';
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
});

test('a Toss app too old for in-app purchases shows "update Toss" instead of a shop, and does not crash', async () => {
  host.setAppVersion('5.200.0');
  const from = host.messages.length;
  await renderApp(stack);
  const notice = await screen.findByTestId('error-UNSUPPORTED_APP_VERSION');
  expect(notice.textContent).toContain(iapErrorInfo.UNSUPPORTED_APP_VERSION.title);
  // Gated calls are never sent to a host that cannot answer them.
  expect(sent(host, from, 'method', 'iapGetProductItemList')).toHaveLength(0);
  expect(sent(host, from, 'method', 'getPendingOrders')).toHaveLength(0);
  expect(balance()).toBe('0');
});

test('a host that answers undefined although the version check passed: "update Toss", never a crash', async () => {
  // The host is old (answers undefined) but reports a new version, so every SDK gate passes.
  host.setAppVersion('5.200.0');
  (
    window as unknown as { __CONSTANT_HANDLER_MAP: Record<string, unknown> }
  ).__CONSTANT_HANDLER_MAP.getTossAppVersion = '5.250.0';
  const from = host.messages.length;
  await renderApp(stack);
  // The calls were made and came back undefined…
  expect(sent(host, from, 'method', 'iapGetProductItemList').length).toBeGreaterThan(0);
  expect(sent(host, from, 'method', 'getPendingOrders').length).toBeGreaterThan(0);
  // …and became a typed value the screen renders.
  const notice = await screen.findByTestId('error-UNSUPPORTED_APP_VERSION');
  expect(notice.textContent).toContain(iapErrorInfo.UNSUPPORTED_APP_VERSION.title);
  const sdk = await import('../src/iap/sdk');
  expect(await sdk.getPendingOrders()).toMatchObject({
    ok: false,
    error: { code: 'UNSUPPORTED_APP_VERSION' },
  });
  expect(await sdk.getCompletedOrRefundedOrdersPage(null)).toMatchObject({ ok: false });
});

test('one-time purchases work on a Toss app too old for subscriptions; subscribing says to update', async () => {
  host.setAppVersion('5.240.0'); // ≥ 5.219 (one-time), < 5.248 (subscriptions, Android)
  await renderApp(stack);
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await waitFor(() => expect(balance()).toBe('100'));

  const from = host.messages.length;
  fireEvent.click(screen.getByTestId('buy-premium_monthly'));
  const notice = await screen.findByTestId('error-UNSUPPORTED_APP_VERSION');
  expect(notice.textContent).toContain('토스 앱을 업데이트해 주세요');
  expect(sent(host, from, 'addEventListener')).toHaveLength(0);
});

test('the legacy purchase path (Toss < 5.231.1): granted purchases work; a grant our server refused is not reported as bought', async () => {
  host.setAppVersion('5.230.0');
  await renderApp(stack);
  const from = host.messages.length;
  fireEvent.click(screen.getByTestId('buy-coin_100'));
  await waitFor(() => expect(balance()).toBe('100'));
  expect(sent(host, from, 'method', 'iapCreateOneTimePurchaseOrder')).toHaveLength(1);

  // The partner API is down: our server cannot verify, so it does not grant. Toss's legacy path still says
  // "success"; the app must not.
  await stack.control('POST', '/__mock/faults', { kind: 'error5xx' });
  try {
    const before = host.messages.length;
    fireEvent.click(screen.getByTestId('buy-coin_100'));
    await screen.findByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER');
    expect(sent(host, before, 'method', 'completeProductGrant')).toHaveLength(0);
    expect(balance()).toBe('100');
  } finally {
    await stack.control('DELETE', '/__mock/faults');
  }
});
