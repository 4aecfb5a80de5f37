/**
 * Calendar arithmetic of the mock's subscriptions: periods end on the same day of the month, clamped to shorter
 * months (Jan 31 → Feb 28), and a yearly period from Feb 29 ends Feb 28 in a year that has no Feb 29.
 */
import { Catalog } from '@ait-iap/iap-contract';
import { describe, expect, it } from 'vitest';
import { createMockClock } from '../src/clock';
import { addCycle, addMonths, addPeriod, createLedger, defaultUndocumentedReadings } from '../src/ledger';

const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe('addMonths / addCycle / addPeriod', () => {
  it('clamps to the last day of a shorter month and keeps the time of day', () => {
    expect(iso(addMonths(at('2026-01-31T09:30:00Z'), 1))).toBe('2026-02-28T09:30:00.000Z');
    expect(iso(addMonths(at('2028-01-31T00:00:00Z'), 1))).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(addMonths(at('2026-03-31T00:00:00Z'), 1))).toBe('2026-04-30T00:00:00.000Z');
    expect(iso(addMonths(at('2026-12-31T00:00:00Z'), 2))).toBe('2027-02-28T00:00:00.000Z');
    expect(iso(addMonths(at('2026-01-15T00:00:00Z'), 1))).toBe('2026-02-15T00:00:00.000Z');
  });

  it('a yearly period from Feb 29 ends Feb 28 in a non-leap year, Feb 29 again in the next leap year', () => {
    expect(iso(addCycle(at('2028-02-29T00:00:00Z'), 'YEARLY'))).toBe('2029-02-28T00:00:00.000Z');
    expect(iso(addCycle(at('2031-02-28T00:00:00Z'), 'YEARLY', 29))).toBe('2032-02-29T00:00:00.000Z');
    expect(iso(addPeriod(at('2028-02-29T00:00:00Z'), 'P1Y'))).toBe('2029-02-28T00:00:00.000Z');
  });

  it('a monthly cycle returns to its anchor day after a short month', () => {
    expect(iso(addCycle(at('2026-02-28T00:00:00Z'), 'MONTHLY', 31))).toBe('2026-03-31T00:00:00.000Z');
    expect(iso(addCycle(at('2026-01-31T00:00:00Z'), 'WEEKLY'))).toBe('2026-02-07T00:00:00.000Z');
    expect(iso(addPeriod(at('2026-01-31T00:00:00Z'), 'P1M'))).toBe('2026-02-28T00:00:00.000Z');
    expect(iso(addPeriod(at('2026-01-31T00:00:00Z'), 'P2W'))).toBe('2026-02-14T00:00:00.000Z');
  });
});

describe('a yearly subscription in the ledger', () => {
  it('bought on Feb 29 expires Feb 28 next year and renews to Feb 28, then Feb 29 in the leap year', () => {
    const clock = createMockClock(() => at('2028-02-29T10:00:00Z'));
    const catalog = Catalog.parse({
      feeRateBps: 500,
      products: [
        {
          sku: 'premium_yearly',
          type: 'SUBSCRIPTION',
          name: '프리미엄 연간 구독',
          description: '1년 구독',
          supplyPrice: 40000,
          image: 'catalog/images/premium_yearly.png',
          minAppVersion: '1.0.0',
          visible: true,
          renewalCycle: 'YEARLY',
          grant: { kind: 'entitlement', entitlement: 'premium' },
        },
      ],
    });
    const ledger = createLedger({
      clock,
      catalog,
      options: {
        statusReading: 'grant-failed',
        grantDeadlineMs: 30_000,
        revealSku: false,
        pageSize: 20,
        ...defaultUndocumentedReadings,
      },
    });
    const order = ledger.createOrder({ userKey: 1, sku: 'premium_yearly' });
    const info = () => ledger.subscriptionInfo(order.orderId, 1)?.expiresAt;
    expect(info()).toBe('2029-02-28T10:00:00.000Z');
    clock.set(at('2029-03-01T00:00:00Z'));
    expect(info()).toBe('2030-02-28T10:00:00.000Z');
    clock.set(at('2031-03-01T00:00:00Z'));
    expect(info()).toBe('2032-02-29T10:00:00.000Z');
  });
});

describe("a monthly subscription in the ledger (the catalog's premium_monthly)", () => {
  async function monthly(start: string) {
    const { loadCatalogFile } = await import('../src/catalog');
    const { defaultCatalogPath } = await import('../src/server');
    const clock = createMockClock(() => at(start));
    const ledger = createLedger({
      clock,
      catalog: await loadCatalogFile(defaultCatalogPath),
      options: {
        statusReading: 'grant-failed',
        grantDeadlineMs: 30_000,
        revealSku: false,
        pageSize: 20,
        ...defaultUndocumentedReadings,
      },
    });
    const order = ledger.createOrder({ userKey: 1, sku: 'premium_monthly' });
    const info = () => ledger.subscriptionInfo(order.orderId, 1);
    const renewals = () => [...ledger.orders.values()].filter((o) => o.renewalOf === order.orderId);
    return { clock, ledger, order, info, renewals };
  }

  it('started Jan 31 it renews to Feb 28, then Mar 31 (the anchor day comes back), then Apr 30', async () => {
    const { clock, info } = await monthly('2027-01-31T09:00:00Z');
    expect(info()?.expiresAt).toBe('2027-02-28T09:00:00.000Z');
    clock.set(at('2027-03-01T00:00:00Z'));
    expect(info()?.expiresAt).toBe('2027-03-31T09:00:00.000Z');
    clock.set(at('2027-04-01T00:00:00Z'));
    expect(info()?.expiresAt).toBe('2027-04-30T09:00:00.000Z');
  });

  it('a refunded renewal no longer counts: the paid end shrinks by that cycle and the other renewal stays', async () => {
    const { clock, ledger, order, info, renewals } = await monthly('2027-01-31T09:00:00Z');
    clock.set(at('2027-03-15T00:00:00Z'));
    expect(info()?.expiresAt).toBe('2027-03-31T09:00:00.000Z');
    ledger.subscriptionAction(order.orderId, 'renew'); // paid ahead: until Apr 30
    expect(info()?.expiresAt).toBe('2027-04-30T09:00:00.000Z');
    const [, second] = renewals();
    if (!second) throw new Error('expected two renewals');
    expect(ledger.refund(second.orderId).ok).toBe(true);
    // Three paid cycles → two: Mar 31, still ahead, so access continues until then.
    expect(info()).toMatchObject({
      expiresAt: '2027-03-31T09:00:00.000Z',
      status: 'ACTIVE',
      isAccessible: true,
    });
  });

  it('a refunded renewal whose shorter end has passed ends access at once, and does not renew by itself', async () => {
    const { clock, ledger, info, renewals } = await monthly('2027-01-31T09:00:00Z');
    clock.set(at('2027-03-10T00:00:00Z'));
    expect(info()?.expiresAt).toBe('2027-03-31T09:00:00.000Z');
    const [first] = renewals();
    if (!first) throw new Error('expected a renewal');
    expect(ledger.refund(first.orderId).ok).toBe(true);
    expect(info()).toMatchObject({
      expiresAt: '2027-02-28T09:00:00.000Z',
      status: 'EXPIRED',
      isAutoRenew: false,
      isAccessible: false,
    });
    clock.set(at('2027-05-01T00:00:00Z'));
    expect(renewals()).toHaveLength(1);
  });
});
