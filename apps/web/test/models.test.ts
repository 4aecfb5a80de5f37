import {
  type CatalogListItem,
  type Entitlement,
  fulfillReasonCopy,
  type HistoryOrder,
  type IapProductListItem,
} from '@ait-iap/iap-contract';
import { describe, expect, test } from 'vitest';
import { buildHistoryRows } from '../src/app/historyModel';
import { buildShopRows } from '../src/app/shopModel';
import { copy } from '../src/copy';

const coin: IapProductListItem = {
  sku: 'coin_100',
  type: 'CONSUMABLE',
  displayName: '코인 100개',
  displayAmount: '1,050원',
  iconUrl: '',
  description: '코인',
};
const noAds: IapProductListItem = {
  ...coin,
  sku: 'remove_ads',
  type: 'NON_CONSUMABLE',
  displayName: '광고 제거',
};
const premium: IapProductListItem = {
  ...coin,
  sku: 'premium_monthly',
  type: 'SUBSCRIPTION',
  displayName: '프리미엄',
  renewalCycle: 'MONTHLY',
  offers: [{ type: 'FREE_TRIAL', offerId: 'premium_trial_7d', period: 'P7D' }],
};
const catalog: CatalogListItem[] = [
  {
    sku: 'coin_100',
    type: 'CONSUMABLE',
    name: '코인 100개',
    description: '',
    salePrice: 1050,
    displayAmount: '1,050원',
    grant: { kind: 'currency', currency: 'COIN', amount: 100 },
  },
  {
    sku: 'remove_ads',
    type: 'NON_CONSUMABLE',
    name: '광고 제거',
    description: '',
    salePrice: 3150,
    displayAmount: '3,150원',
    grant: { kind: 'entitlement', entitlement: 'no_ads' },
  },
  {
    sku: 'premium_monthly',
    type: 'SUBSCRIPTION',
    name: '프리미엄',
    description: '',
    salePrice: 4200,
    displayAmount: '4,200원',
    grant: { kind: 'entitlement', entitlement: 'premium' },
  },
];
const now = new Date('2026-11-22T00:00:00Z');
const sub = (over: Partial<Entitlement>): Entitlement => ({
  entitlement: 'premium',
  sku: 'premium_monthly',
  type: 'SUBSCRIPTION',
  orderId: 'o-sub',
  grantedAt: '2026-11-01T00:00:00Z',
  expiresAt: '2026-12-01T00:00:00Z',
  status: 'ACTIVE',
  autoRenew: true,
  ...over,
});

describe('shop rows', () => {
  test('lists exactly what Toss lists, in its order, with what our catalog says each SKU grants', () => {
    const rows = buildShopRows([premium, coin], catalog, null, new Set(), { now });
    expect(rows.map((r) => r.product.sku)).toEqual(['premium_monthly', 'coin_100']);
    expect(rows[1]?.grant).toEqual({ kind: 'currency', currency: 'COIN', amount: 100 });
    expect(rows[0]?.offer?.offerId).toBe('premium_trial_7d');
  });

  test('a non-consumable the user owns is marked owned and cannot be bought again', () => {
    const inventory = {
      balances: {},
      entitlements: [
        {
          entitlement: 'no_ads',
          sku: 'remove_ads',
          type: 'NON_CONSUMABLE' as const,
          orderId: 'o1',
          grantedAt: '2026-11-01T00:00:00Z',
        },
      ],
    };
    const [row] = buildShopRows([noAds], catalog, inventory, new Set(), { now });
    expect(row?.owned).toBe(true);
    expect(row?.purchasable).toBe(false);
  });

  test('Toss saying ITEM_ALREADY_OWNED marks the item owned even before our inventory knows', () => {
    const [row] = buildShopRows(
      [noAds],
      catalog,
      { balances: {}, entitlements: [] },
      new Set(['remove_ads']),
      {
        now,
      },
    );
    expect(row?.owned).toBe(true);
    expect(row?.purchasable).toBe(false);
  });

  test('consumables stay purchasable however many the user has bought', () => {
    const [row] = buildShopRows([coin], catalog, { balances: { COIN: 500 }, entitlements: [] }, new Set(), {
      now,
    });
    expect(row?.purchasable).toBe(true);
  });

  test('an active or in-grace subscription blocks a second subscription; an expired one does not', () => {
    for (const [status, blocked] of [
      ['ACTIVE', true],
      ['IN_GRACE_PERIOD', true],
      ['EXPIRED', false],
      ['ON_HOLD', false],
      ['REVOKED', false],
    ] as const) {
      const [row] = buildShopRows(
        [premium],
        catalog,
        { balances: {}, entitlements: [sub({ status })] },
        new Set(),
        { now },
      );
      expect({ status, purchasable: row?.purchasable }).toEqual({ status, purchasable: !blocked });
      expect(row?.subscription?.status).toBe(status);
    }
  });

  test('a SKU our server does not sell is shown but not purchasable (it would be paid for and never granted)', () => {
    const unknown = { ...coin, sku: 'mystery_box' };
    const [row] = buildShopRows([unknown], catalog, null, new Set(), { now });
    expect(row?.purchasable).toBe(false);
  });

  test('in the sandbox app, its test SKUs are purchasable (the server maps them onto ours)', () => {
    const test1 = { ...coin, sku: 'test_product_1' };
    const [row] = buildShopRows([test1], catalog, null, new Set(), { now, sandbox: true });
    expect(row?.purchasable).toBe(true);
  });

  test('without our catalog (server unreachable) nothing is purchasable', () => {
    const rows = buildShopRows([coin, premium], null, null, new Set(), { now });
    expect(rows.every((r) => !r.purchasable)).toBe(true);
  });
});

describe('history rows', () => {
  const server = (over: Partial<HistoryOrder>): HistoryOrder => ({
    orderId: 'a',
    sku: 'coin_100',
    name: '코인 100개',
    state: 'GRANTED',
    lastReason: 'GRANTED',
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
    ...over,
  });

  test('a refund reported by Toss wins over our "granted" record, and shows as 환불됨', () => {
    const rows = buildHistoryRows(
      [{ orderId: 'a', sku: 'coin_100', status: 'REFUNDED', date: '2026-11-05T00:00:00' }],
      [server({})],
      catalog,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ orderId: 'a', status: 'refunded', label: '환불됨' });
  });

  test('orders only Toss knows, and orders only our server knows, are both listed, newest first', () => {
    const rows = buildHistoryRows(
      [{ orderId: 'b', sku: 'remove_ads', status: 'COMPLETED', date: '2026-11-10T00:00:00' }],
      [server({ orderId: 'a' })],
      catalog,
    );
    // Toss alone only knows it was paid; our server knows it was granted.
    expect(rows.map((r) => [r.orderId, r.label, r.name])).toEqual([
      ['b', '결제 완료', '광고 제거'],
      ['a', '지급 완료', '코인 100개'],
    ]);
  });

  test("a refund reads 환불됨, an operator's revoke 지급 취소됨 (never 환불됨), an undecided order 처리 중", () => {
    const rows = buildHistoryRows(
      [],
      [
        server({ orderId: 'r', state: 'REVOKED', lastReason: 'REFUNDED', updatedAt: '2026-11-04T00:00:00Z' }),
        server({ orderId: 'o', state: 'REVOKED', lastReason: 'REVOKED', updatedAt: '2026-11-03T00:00:00Z' }),
        server({ orderId: 'p', state: 'RECEIVED', lastReason: null, updatedAt: '2026-11-02T00:00:00Z' }),
      ],
      catalog,
    );
    expect(rows.map((r) => [r.orderId, r.label, r.detail, r.contact])).toEqual([
      ['r', '환불됨', null, false],
      ['o', '지급 취소됨', copy.history.detail.cancelled, true],
      ['p', '처리 중', null, false],
    ]);
  });

  test("an operator's denial says why in buyer words and offers support; a held order refunded reads 환불됨", () => {
    const rows = buildHistoryRows(
      [],
      [
        server({ orderId: 'd', state: 'REFUSED', lastReason: 'NOT_PAID', updatedAt: '2026-11-03T00:00:00Z' }),
        server({ orderId: 'f', state: 'REFUSED', lastReason: 'REFUNDED', updatedAt: '2026-11-02T00:00:00Z' }),
      ],
      catalog,
    );
    expect(rows.map((r) => [r.orderId, r.label, r.detail, r.contact])).toEqual([
      ['d', '지급 안 됨', fulfillReasonCopy.NOT_PAID, true],
      ['f', '환불됨', null, false],
    ]);
  });
});

describe('history rows for held orders', () => {
  test('an order held for an operator reads 담당자 확인 대기 with the UNDER_REVIEW explanation, not 처리 중 or 지급 안 됨', () => {
    const rows = buildHistoryRows(
      [],
      [
        {
          orderId: 'h',
          sku: 'coin_100',
          name: '코인 100개',
          state: 'HELD',
          lastReason: 'UNDER_REVIEW',
          createdAt: '2026-11-01T00:00:00Z',
          updatedAt: '2026-11-01T00:00:00Z',
        },
      ],
      catalog,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        orderId: 'h',
        status: 'held',
        label: '담당자 확인 대기',
        detail: fulfillReasonCopy.UNDER_REVIEW,
        contact: true,
      }),
    ]);
  });
});

describe('serial runner (refund/subscription sync)', () => {
  test('a call during a run gets a fresh run afterwards; calls in the meantime share it', async () => {
    const { serialRunner } = await import('../src/app/serial');
    const starts: number[] = [];
    const releases: Array<() => void> = [];
    const run = serialRunner(async () => {
      starts.push(starts.length);
      await new Promise<void>((resolve) => releases.push(resolve));
    });
    const first = run();
    const second = run();
    const third = run();
    expect(second).toBe(third);
    expect(starts).toEqual([0]);
    releases[0]?.();
    await first;
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(starts).toEqual([0, 1]);
    releases[1]?.();
    await second;
    expect(starts).toEqual([0, 1]);
  });
});
