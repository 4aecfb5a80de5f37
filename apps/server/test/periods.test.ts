/**
 * Subscription access derived from the paid orders (src/fulfillment/subscription-periods.ts), on the contract's one
 * calendar: the end is anchor + (paid, non-revoked orders) cycles on the anchor's day, whatever order the orders
 * arrive in; a lapse starts a new subscription; an order id's UUIDv7 time places a renewal found late.
 */
import { describe, expect, test } from 'vitest';
import { deriveSubscriptions, orderTime, uuidV7Time } from '../src/fulfillment/subscription-periods';

/** A UUIDv7 whose embedded time is `iso` (as Toss's order ids are in practice). */
function v7(iso: string, tail = 1): string {
  const hex = Date.parse(iso).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${tail.toString(16).padStart(12, '0')}`;
}
const order = (paidAt: string, live = true, firstSeenAt = paidAt, tail = 1) => ({
  orderId: v7(paidAt, tail),
  firstSeenAt,
  live,
});
const ends = (orders: ReturnType<typeof order>[]) =>
  deriveSubscriptions(orders, 'MONTHLY', 3).map((run) => new Date(run.end).toISOString());

describe('derived subscription ends', () => {
  test('monthly from Jan 31: one, two, three, four paid orders end Feb 28, Mar 31, Apr 30, May 31', () => {
    const paid = [
      order('2027-01-31T09:30:00.000Z', true, '2027-01-31T09:30:00.000Z', 1),
      order('2027-02-28T09:00:00.000Z', true, '2027-02-28T09:00:00.000Z', 2),
      order('2027-03-31T09:00:00.000Z', true, '2027-03-31T09:00:00.000Z', 3),
      order('2027-04-30T09:00:00.000Z', true, '2027-04-30T09:00:00.000Z', 4),
    ];
    expect([1, 2, 3, 4].map((n) => ends(paid.slice(0, n))[0])).toEqual([
      '2027-02-28T09:30:00.000Z',
      '2027-03-31T09:30:00.000Z',
      '2027-04-30T09:30:00.000Z',
      '2027-05-31T09:30:00.000Z',
    ]);
  });

  test('a refunded renewal subtracts its cycle, in any position and any arrival order', () => {
    const first = order('2027-01-10T00:00:00.000Z', true, '2027-01-10T00:00:00.000Z', 1);
    const r1 = order('2027-02-10T00:00:00.000Z', false, '2027-02-10T00:00:00.000Z', 2);
    const r2 = order('2027-03-10T00:00:00.000Z', true, '2027-03-10T00:00:00.000Z', 3);
    expect(ends([r2, first, r1])).toEqual(['2027-03-10T00:00:00.000Z']);
    expect(ends([first, r1, r2])).toEqual(['2027-03-10T00:00:00.000Z']);
  });

  test('a renewal the server first sees two months late still lands on its own cycle', () => {
    const first = order('2027-01-10T00:00:00.000Z', true, '2027-01-10T00:00:00.000Z', 1);
    const late = order('2027-02-10T00:00:00.000Z', true, '2027-04-10T00:00:00.000Z', 2);
    expect(ends([first, late])).toEqual(['2027-03-10T00:00:00.000Z']);
  });

  test('a renewal Toss charged inside the grace days stays in the subscription, on its own cycle', () => {
    const first = order('2027-01-10T00:00:00.000Z', true, '2027-01-10T00:00:00.000Z', 1);
    const retried = order('2027-02-12T00:00:00.000Z', true, '2027-02-12T00:00:00.000Z', 2);
    expect(ends([first, retried])).toEqual(['2027-03-10T00:00:00.000Z']);
  });

  test('a purchase after the subscription lapsed (past its grace) starts a new one on its own day', () => {
    const first = order('2027-01-10T00:00:00.000Z', true, '2027-01-10T00:00:00.000Z', 1);
    const again = order('2027-06-20T00:00:00.000Z', true, '2027-06-20T00:00:00.000Z', 2);
    expect(ends([first, again])).toEqual(['2027-02-10T00:00:00.000Z', '2027-07-20T00:00:00.000Z']);
  });
});

describe('order time', () => {
  test('a UUIDv7 order id gives Toss’s creation time; other ids and implausible times fall back to first seen', () => {
    expect(uuidV7Time(v7('2027-02-10T00:00:00.000Z'))).toBe(Date.parse('2027-02-10T00:00:00.000Z'));
    expect(uuidV7Time('0190a6c2-7c4e-4b1a-9f3e-2a1b3c4d5e6f')).toBeNull(); // v4
    const seen = '2027-03-01T00:00:00.000Z';
    expect(orderTime(v7('2027-02-10T00:00:00.000Z'), seen)).toBe(Date.parse('2027-02-10T00:00:00.000Z'));
    // Later than the server first saw it, or more than 400 days before: not believed.
    expect(orderTime(v7('2027-03-05T00:00:00.000Z'), seen)).toBe(Date.parse(seen));
    expect(orderTime(v7('2025-01-01T00:00:00.000Z'), seen)).toBe(Date.parse(seen));
  });
});
