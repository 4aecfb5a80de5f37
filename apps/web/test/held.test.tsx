/**
 * Held orders under Toss staff's reading (`grant-failed`, the mock's default): a paid order whose grant callback
 * answered false reads FAILED, and the server — never having seen it paid — holds it for an operator (UNDER_REVIEW).
 * The app says it is being checked and promises nothing more; it keeps asking only while Toss lists the order as
 * pending (or, on a Toss app that cannot list, while the outbox has it); an approval reaches the user on the next start.
 * Real SDK (Storage and IAP over the bridge) → toss-mock host → real server; operators act through the server's ops
 * actions, as `pnpm --filter @ait-iap/server ops approve|deny` does.
 */
import { fulfillReasonCopy, iapErrorInfo, orderReference } from '@ait-iap/iap-contract';
import { DEFAULT_APP_VERSION, type TossMockHost } from '@ait-iap/toss-mock/host';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { operatorApprove, operatorDeny } from '../../server/src/ops/actions';
import { copy } from '../src/copy';
import { OUTBOX_KEY } from '../src/iap/outbox';
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
afterEach(() => cleanup());
beforeEach(async () => {
  host.setAppVersion(DEFAULT_APP_VERSION);
  await host.switchUser();
  await stack.control('DELETE', '/__mock/faults');
  await setStatusReading(stack, 'grant-failed');
  setVisibility('visible');
});

const operator = { operator: 'test-operator', reason: 'paid at the store (checked the settlement)' };
const mockOrder = (orderId: string) => stack.mock.state.orders.get(orderId);
/** The outbox as the SDK's Storage holds it on the (mock) device. */
async function deviceOutbox(): Promise<{ orderId: string; held?: boolean }[]> {
  const { Storage } = await import('@apps-in-toss/web-framework');
  return JSON.parse((await Storage.getItem(OUTBOX_KEY)) ?? '[]');
}
const returnToApp = () => {
  setVisibility('hidden');
  setVisibility('visible');
};
/** A paid order whose grant callback answered false: Toss reads it FAILED (pending until completeProductGrant). */
async function paidOrderReadingFailed(sku = 'coin_100'): Promise<string> {
  const { orderId } = await stack.control<{ orderId: string }>('POST', '/__mock/orders', {
    userKey: host.userKey(),
    sku,
  });
  await stack.control('POST', `/__mock/orders/${orderId}/grant`, { ending: 'not-granted' });
  return orderId;
}

test('the grant answered "not granted" (server out of reach) and Toss now reads FAILED: the purchase says the order is being checked — never "granted automatically" — and an approval reaches the user on the next start, once', async () => {
  const link = serverLink();
  const first = await renderApp(stack, { fetch: link.fetch, grantWindowMs: 1_500 });
  const from = host.messages.length;
  // Out of reach for the whole grant window; back as soon as Toss has its answer.
  link.downWhile(() => sent(host, from, 'method', 'processProductGrant').length === 0);
  fireEvent.click(screen.getByTestId('buy-coin_100'));

  const notice = await screen.findByTestId('purchase-held');
  const orderId = notice.getAttribute('data-order-id') ?? 'missing';
  expect(notice.textContent).toContain(copy.held.title);
  expect(notice.textContent).toContain(fulfillReasonCopy.UNDER_REVIEW);
  expect(notice.textContent).not.toContain(iapErrorInfo.PRODUCT_NOT_GRANTED_BY_PARTNER.description);
  expect(screen.queryByTestId('error-PRODUCT_NOT_GRANTED_BY_PARTNER')).toBeNull();
  // Something to quote: the order's short reference, and a support link that carries it.
  expect(within(notice).getByTestId(`order-reference-${orderId}`).textContent).toBe(orderReference(orderId));
  expect(within(notice).getByText(copy.actions.contact).closest('a')?.getAttribute('href')).toBe(
    `${copy.supportUrl}?ref=${orderReference(orderId)}`,
  );
  expect(mockOrder(orderId)).toMatchObject({ payment: 'paid', grantEnding: 'not-granted', completed: false });
  expect(balance()).toBe('0');
  expect(await deviceOutbox()).toEqual([expect.objectContaining({ orderId, held: true })]);
  // Said once: the banner does not repeat what the purchase notice says.
  expect(screen.queryByTestId(`held-${orderId}`)).toBeNull();

  // Where the user looks for what they bought: the inventory and the history say the same.
  fireEvent.click(screen.getByTestId('tab-inventory'));
  const row = await screen.findByTestId(`inventory-held-${orderId}`);
  expect(row.textContent).toContain(fulfillReasonCopy.UNDER_REVIEW);
  fireEvent.click(screen.getByTestId('tab-history'));
  const historyRow = await screen.findByTestId(`history-${orderId}`);
  expect(historyRow.textContent).toContain(copy.held.badge);
  expect(historyRow.textContent).toContain(fulfillReasonCopy.UNDER_REVIEW);
  expect(within(historyRow).getByTestId(`order-reference-${orderId}`).textContent).toBe(
    orderReference(orderId),
  );
  // Dismissed, the notice gives way to the banner: still being checked.
  fireEvent.click(within(notice).getByText(copy.actions.dismiss));
  expect((await screen.findByTestId(`held-${orderId}`)).textContent).toContain('코인');
  expect(screen.getByTestId('held-orders').textContent).toContain(fulfillReasonCopy.UNDER_REVIEW);
  first.view.unmount();

  expect(await operatorApprove(stack.server.deps, { orderId, ...operator })).toMatchObject({ ok: true });
  await renderApp(stack);
  await waitFor(() => expect(balance()).toBe('100'));
  await waitFor(() => expect(mockOrder(orderId)).toMatchObject({ completed: true }));
  expect(screen.queryByTestId('held-orders')).toBeNull();
  expect(await deviceOutbox()).toEqual([]);
  cleanup();

  await renderApp(stack);
  expect(balance()).toBe('100');
});

test('a held order is asked about on every recovery while Toss lists it as pending, and forgotten once Toss stops listing it', async () => {
  const orderId = await paidOrderReadingFailed();
  const link = serverLink();
  const asked = () => link.fulfilled.filter((id) => id === orderId).length;
  await renderApp(stack, { fetch: link.fetch });
  expect((await screen.findByTestId(`held-${orderId}`)).textContent).toContain('코인');
  expect(asked()).toBe(1);

  returnToApp();
  await waitFor(() => expect(asked()).toBe(2));
  await waitFor(() => expect(screen.queryByTestId('pending-recovery')).toBeNull());
  expect(screen.getByTestId(`held-${orderId}`)).toBeTruthy();
  expect(await deviceOutbox()).toEqual([expect.objectContaining({ orderId, held: true })]);

  // Toss takes it off the pending list (acknowledged elsewhere, e.g. on the user's other phone).
  const { IAP } = await import('@apps-in-toss/web-framework');
  expect(await IAP.completeProductGrant({ params: { orderId } })).toBe(true);
  const from = host.messages.length;
  returnToApp();
  await waitFor(() => expect(sent(host, from, 'method', 'getPendingOrders').length).toBeGreaterThan(0));
  await waitFor(() => expect(screen.queryByTestId('held-orders')).toBeNull());
  expect(asked()).toBe(2);
  expect(await deviceOutbox()).toEqual([]);
});

test('an operator denies a held order: the next recovery forgets it (a final "not paid") and history says why it was not granted and whom to ask', async () => {
  const orderId = await paidOrderReadingFailed();
  await renderApp(stack);
  await screen.findByTestId(`held-${orderId}`);

  expect(await operatorDeny(stack.server.deps, { orderId, ...operator })).toMatchObject({ ok: true });
  returnToApp();
  await waitFor(() => expect(screen.queryByTestId('held-orders')).toBeNull());
  expect(await deviceOutbox()).toEqual([]);
  expect(balance()).toBe('0');
  fireEvent.click(screen.getByTestId('tab-history'));
  // The reason in the buyer's words and the next step: support, with the order's reference.
  const row = await screen.findByTestId(`history-${orderId}`);
  expect(row.textContent).toContain(copy.history.status.denied);
  expect(row.textContent).toContain(copy.history.detail.denied);
  expect(within(row).getByText(copy.actions.contact).closest('a')?.getAttribute('href')).toBe(
    `${copy.supportUrl}?ref=${orderReference(orderId)}`,
  );
});

test('on a Toss app without getPendingOrders a held order is asked about while the outbox has it, and its approval is delivered from there', async () => {
  const orderId = await paidOrderReadingFailed();
  host.setAppVersion('5.225.0');
  const device = memoryStore();
  await device.store.setItem(OUTBOX_KEY, JSON.stringify([{ orderId, sku: 'coin_100' }]));
  const link = serverLink();
  const asked = () => link.fulfilled.filter((id) => id === orderId).length;
  await renderApp(stack, { fetch: link.fetch, store: device.store });
  await screen.findByTestId(`held-${orderId}`);
  returnToApp();
  await waitFor(() => expect(asked()).toBe(2));
  expect(JSON.parse(device.data.get(OUTBOX_KEY) ?? '[]')).toEqual([
    expect.objectContaining({ orderId, held: true }),
  ]);

  expect(await operatorApprove(stack.server.deps, { orderId, ...operator })).toMatchObject({ ok: true });
  returnToApp();
  await waitFor(() => expect(balance()).toBe('100'));
  await waitFor(() => expect(device.data.has(OUTBOX_KEY)).toBe(false));
  expect(screen.queryByTestId('held-orders')).toBeNull();
});
