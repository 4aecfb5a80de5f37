import { describe, expect, it } from 'vitest';
import {
  BeginPurchaseInput,
  FulfillInput,
  LoginInput,
  ReportPurchaseInput,
  SyncInput,
  SyncSubscriptionsInput,
  SyncSubscriptionsOutput,
} from '../src/api';
import { formatKrw } from '../src/format';
import {
  CompletedOrRefundedPage,
  IapProductListItem,
  PendingOrdersResult,
  PurchaseResult,
  SubscriptionInfoResult,
} from '../src/sdk';

const orderId = '0190a6c2-7c4e-7b1a-9f3e-2a1b3c4d5e6f';

describe('procedure inputs', () => {
  it('accepts a UUID order id and refuses anything else', () => {
    expect(FulfillInput.safeParse({ orderId, sku: 'coin_100' }).success).toBe(true);
    expect(FulfillInput.safeParse({ orderId: '1; DROP TABLE', sku: 'coin_100' }).success).toBe(false);
    expect(FulfillInput.safeParse({ orderId: 42, sku: 'coin_100' }).success).toBe(false);
  });

  it('refuses extra fields, so a client cannot smuggle a price or a user id', () => {
    expect(FulfillInput.safeParse({ orderId, sku: 'coin_100', userId: 'someone' }).success).toBe(false);
    expect(FulfillInput.safeParse({ orderId, sku: 'coin_100', amount: 1 }).success).toBe(false);
  });

  it('accepts only the referrers appLogin can return', () => {
    expect(LoginInput.safeParse({ authorizationCode: 'c', referrer: 'DEFAULT' }).success).toBe(true);
    expect(LoginInput.safeParse({ authorizationCode: 'c', referrer: 'SANDBOX' }).success).toBe(true);
    expect(LoginInput.safeParse({ authorizationCode: 'c', referrer: 'WEB' }).success).toBe(false);
  });

  it('takes a purchase intent with only a SKU and an app version; the user comes from the session', () => {
    expect(BeginPurchaseInput.safeParse({ sku: 'coin_100', appVersion: '5.232.0' }).success).toBe(true);
    expect(BeginPurchaseInput.safeParse({ sku: 'coin_100', appVersion: null }).success).toBe(true);
    expect(BeginPurchaseInput.safeParse({ sku: 'coin_100', userId: 'someone' }).success).toBe(false);
    expect(BeginPurchaseInput.safeParse({ sku: '' }).success).toBe(false);
  });

  it('takes a purchase report with a known outcome and refuses anything else', () => {
    const report = { sku: 'coin_100', outcome: 'OUTBOX_DROPPED', orderId, serverReason: 'ORDER_NOT_FOUND' };
    expect(ReportPurchaseInput.safeParse(report).success).toBe(true);
    expect(
      ReportPurchaseInput.safeParse({ sku: 'coin_100', outcome: 'ERROR', errorCode: 'NETWORK_ERROR' })
        .success,
    ).toBe(true);
    expect(ReportPurchaseInput.safeParse({ ...report, outcome: 'GRANTED' }).success).toBe(false);
    expect(ReportPurchaseInput.safeParse({ ...report, intentId: 'not-a-uuid' }).success).toBe(false);
    expect(ReportPurchaseInput.safeParse({ ...report, amount: 100 }).success).toBe(false);
  });

  it('bounds a sync batch', () => {
    const order = { orderId, sku: 'coin_100', status: 'REFUNDED' };
    expect(SyncInput.safeParse({ orders: [order] }).success).toBe(true);
    expect(SyncInput.safeParse({ orders: Array(501).fill(order) }).success).toBe(false);
    expect(SyncInput.safeParse({ orders: [{ ...order, status: 'PURCHASED' }] }).success).toBe(false);
  });

  it('bounds a subscription report batch and accepts only what getSubscriptionInfo returns', () => {
    const subscription = {
      catalogId: 7,
      status: 'ACTIVE',
      expiresAt: '2026-12-01T00:00:00Z',
      isAutoRenew: true,
      gracePeriodExpiresAt: null,
      isAccessible: true,
    };
    const report = { orderId, subscription };
    expect(SyncSubscriptionsInput.safeParse({ subscriptions: [report] }).success).toBe(true);
    expect(SyncSubscriptionsInput.safeParse({ subscriptions: Array(51).fill(report) }).success).toBe(false);
    expect(
      SyncSubscriptionsInput.safeParse({
        subscriptions: [{ ...report, subscription: { ...subscription, status: 'FOREVER' } }],
      }).success,
    ).toBe(false);
    // No room to smuggle a user, a SKU or a price next to the report.
    expect(SyncSubscriptionsInput.safeParse({ subscriptions: [{ ...report, sku: 'x' }] }).success).toBe(
      false,
    );
    expect(SyncSubscriptionsInput.safeParse({ subscriptions: [report], userId: 'u' }).success).toBe(false);
    expect(
      SyncSubscriptionsInput.safeParse({ subscriptions: [{ orderId: 'not-a-uuid', subscription }] }).success,
    ).toBe(false);
  });

  it('names why a subscription report was refused', () => {
    const output = {
      updated: [orderId],
      unchanged: 0,
      refused: [{ orderId, reason: 'ORDER_NOT_FOUND' }],
      deferred: [],
    };
    expect(SyncSubscriptionsOutput.parse(output).refused[0]?.reason).toBe('ORDER_NOT_FOUND');
    expect(
      SyncSubscriptionsOutput.safeParse({ ...output, refused: [{ orderId, reason: 'BECAUSE' }] }).success,
    ).toBe(false);
  });
});

describe('SDK shapes', () => {
  it('parses each product type, subscriptions with renewal cycle and offers', () => {
    const base = { sku: 's', displayAmount: '4,200원', displayName: '구독', iconUrl: '', description: 'd' };
    expect(
      IapProductListItem.parse({
        ...base,
        type: 'SUBSCRIPTION',
        renewalCycle: 'MONTHLY',
        offers: [{ type: 'FREE_TRIAL', offerId: 't', period: 'P7D' }],
      }),
    ).toMatchObject({ type: 'SUBSCRIPTION', renewalCycle: 'MONTHLY' });
    expect(IapProductListItem.safeParse({ ...base, type: 'SUBSCRIPTION' }).success).toBe(false);
    expect(IapProductListItem.safeParse({ ...base, type: 'BUNDLE' }).success).toBe(false);
  });

  it('parses pending orders with or without the payment date', () => {
    const parsed = PendingOrdersResult.parse({ orders: [{ orderId, sku: 'coin_100' }] });
    expect(parsed.orders[0]?.paymentCompletedDate).toBeUndefined();
  });

  it('parses a completed/refunded page with its cursor', () => {
    const page = CompletedOrRefundedPage.parse({
      hasNext: true,
      nextKey: 'k2',
      orders: [{ orderId, sku: 'coin_100', status: 'REFUNDED', date: '2026-11-01T00:00:00+09:00' }],
    });
    expect(page.nextKey).toBe('k2');
    expect(
      CompletedOrRefundedPage.safeParse({
        hasNext: false,
        orders: [{ orderId, sku: 'x', status: 'X', date: '' }],
      }).success,
    ).toBe(false);
  });

  it('parses subscription info with its statuses and purchase results', () => {
    const info = SubscriptionInfoResult.parse({
      subscription: {
        catalogId: 1,
        status: 'IN_GRACE_PERIOD',
        expiresAt: null,
        isAutoRenew: true,
        gracePeriodExpiresAt: '2026-12-01T00:00:00Z',
        isAccessible: true,
      },
    });
    expect(info.subscription.status).toBe('IN_GRACE_PERIOD');
    expect(
      PurchaseResult.safeParse({
        orderId,
        displayName: '코인',
        displayAmount: '1,050원',
        amount: 1050,
        currency: 'KRW',
        fraction: 0,
        miniAppIconUrl: null,
      }).success,
    ).toBe(true);
  });
});

describe('formatKrw', () => {
  it('formats prices the way Toss shows them', () => {
    expect(formatKrw(1050)).toBe('1,050원');
    expect(formatKrw(1_470_000)).toBe('1,470,000원');
    expect(formatKrw(400)).toBe('400원');
  });
});
