/**
 * Three rules no Toss document states are named readings the mock can be switched to (protocol.ts): when the history
 * lists a paid order COMPLETED, what get-order-status reads after a recovered grant, and whether a purchase of the
 * wrong kind is refused. Each reading is asserted here; the money paths under them run in apps/web's tests.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalogFile } from '../src/catalog';
import { createMockClock } from '../src/clock';
import { createLedger, defaultUndocumentedReadings, type LedgerOptions } from '../src/ledger';
import { defaultCatalogPath } from '../src/server';
import { control, startTestMock } from './helpers';

async function ledgerWith(options: Partial<LedgerOptions> = {}) {
  return createLedger({
    clock: createMockClock(() => new Date('2027-01-10T00:00:00Z')),
    catalog: await loadCatalogFile(defaultCatalogPath),
    options: {
      statusReading: 'grant-failed',
      grantDeadlineMs: 30_000,
      revealSku: false,
      pageSize: 20,
      ...defaultUndocumentedReadings,
      ...options,
    },
  });
}

const historyOf = (ledger: Awaited<ReturnType<typeof ledgerWith>>, userKey: number) => {
  const page = ledger.completedOrRefunded(userKey, null);
  if (!page.ok) throw new Error(page.message);
  return page.value.orders.map((o) => ({ orderId: o.orderId, status: o.status }));
};

describe('historyReading: when the history lists a paid order COMPLETED', () => {
  it('after-complete-grant (default): only once completeProductGrant was called', async () => {
    const ledger = await ledgerWith();
    const order = ledger.createOrder({ userKey: 7, sku: 'coin_100' });
    expect(historyOf(ledger, 7)).toEqual([]);
    ledger.completeGrant(order.orderId, 7);
    expect(historyOf(ledger, 7)).toEqual([{ orderId: order.orderId, status: 'COMPLETED' }]);
  });

  it('after-payment: as soon as it is paid, whatever its grant did', async () => {
    const ledger = await ledgerWith({ historyReading: 'after-payment' });
    const order = ledger.createOrder({ userKey: 7, sku: 'coin_100' });
    ledger.endGrant(order.orderId, 'not-granted');
    expect(historyOf(ledger, 7)).toEqual([{ orderId: order.orderId, status: 'COMPLETED' }]);
    const pending = ledger.createOrder({ userKey: 7, sku: 'coin_100', status: 'ORDER_IN_PROGRESS' });
    expect(historyOf(ledger, 7).map((o) => o.orderId)).not.toContain(pending.orderId);
  });
});

describe('statusAfterComplete: what a recovered order reads once completeProductGrant was called', () => {
  it('unchanged (default): under grant-failed it still reads FAILED while the history says COMPLETED', async () => {
    const ledger = await ledgerWith();
    const order = ledger.createOrder({ userKey: 7, sku: 'coin_100' });
    ledger.endGrant(order.orderId, 'app-closed');
    ledger.completeGrant(order.orderId, 7);
    expect(ledger.orderStatus(order.orderId, 7).status).toBe('FAILED');
    expect(historyOf(ledger, 7)).toEqual([{ orderId: order.orderId, status: 'COMPLETED' }]);
  });

  it('reads-paid: it reads paid again — PAYMENT_COMPLETED, or PURCHASED under the purchased reading', async () => {
    const ledger = await ledgerWith({ statusAfterComplete: 'reads-paid' });
    const order = ledger.createOrder({ userKey: 7, sku: 'coin_100' });
    ledger.endGrant(order.orderId, 'app-closed');
    expect(ledger.orderStatus(order.orderId, 7).status).toBe('FAILED');
    ledger.completeGrant(order.orderId, 7);
    expect(ledger.orderStatus(order.orderId, 7).status).toBe('PAYMENT_COMPLETED');
    ledger.setOptions({ statusReading: 'purchased' });
    expect(ledger.orderStatus(order.orderId, 7).status).toBe('PURCHASED');
  });

  it('a refund still reads REFUNDED under both', async () => {
    for (const statusAfterComplete of ['unchanged', 'reads-paid'] as const) {
      const ledger = await ledgerWith({ statusAfterComplete });
      const order = ledger.createOrder({ userKey: 7, sku: 'coin_100' });
      ledger.completeGrant(order.orderId, 7);
      ledger.refund(order.orderId);
      expect(ledger.orderStatus(order.orderId, 7).status).toBe('REFUNDED');
    }
  });
});

describe('wrongKindPurchase: a one-time purchase of a subscription SKU (and the reverse)', () => {
  const checkout = (
    ledger: Awaited<ReturnType<typeof ledgerWith>>,
    sku: string,
    kind: 'one-time' | 'subscription',
  ) => ledger.beginCheckout({ userKey: 7, sku, kind, environment: 'toss' });

  it('refused (default): INVALID_PRODUCT_ID before any checkout, no order', async () => {
    const ledger = await ledgerWith();
    expect(checkout(ledger, 'premium_monthly', 'one-time')).toMatchObject({
      ok: false,
      code: 'INVALID_PRODUCT_ID',
    });
    expect(checkout(ledger, 'coin_100', 'subscription')).toMatchObject({
      ok: false,
      code: 'INVALID_PRODUCT_ID',
    });
    expect(ledger.orders.size).toBe(0);
  });

  it('accepted: charged once as asked — a paid order and no subscription started', async () => {
    const ledger = await ledgerWith({ wrongKindPurchase: 'accepted' });
    const started = checkout(ledger, 'premium_monthly', 'one-time');
    if (!started.ok) throw new Error(started.message);
    const paid = ledger.payCheckout(started.checkoutId);
    if (!paid.ok || !paid.value.ok) throw new Error('expected a paid order');
    expect(paid.value.subscriptionId).toBeUndefined();
    expect(ledger.orders.get(paid.value.orderId)).toMatchObject({ payment: 'paid', subscriptionId: null });
    expect(ledger.subscriptions.size).toBe(0);
  });
});

describe('control API', () => {
  it('switches each reading with POST /__mock/options, refuses an unknown one, and reset restores the defaults', async () => {
    const mock = await startTestMock();
    try {
      const set = await control(mock, 'POST', '/__mock/options', {
        historyReading: 'after-payment',
        statusAfterComplete: 'reads-paid',
        wrongKindPurchase: 'accepted',
      });
      expect(set.status).toBe(200);
      expect(set.body.options).toMatchObject({
        historyReading: 'after-payment',
        statusAfterComplete: 'reads-paid',
        wrongKindPurchase: 'accepted',
      });
      expect((await control(mock, 'POST', '/__mock/options', { historyReading: 'someday' })).status).toBe(
        400,
      );
      await control(mock, 'POST', '/__mock/reset');
      const state = await control(mock, 'GET', '/__mock/state');
      expect(state.body.options).toMatchObject(defaultUndocumentedReadings);
    } finally {
      await mock.close();
    }
  });
});
