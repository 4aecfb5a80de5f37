/**
 * How long a subscription gives access — DERIVED, never accumulated. You probably don't need to edit this file.
 *
 * The partner API tells the server only that an order is paid (or refunded); it gives no dates and has no subscription
 * endpoint. So the server's access end is a pure function of the verified orders of one subscription:
 *
 *   end = cycleEnd(anchor, cycle, number of paid, non-revoked orders)      (iap-contract `periods.ts`)
 *   grace end = end + the catalog's gracePeriodDays                         (the one bounded grace)
 *
 * whatever the client reports, however many reports and renewals arrive, in any order. A refunded (or operator
 * revoked) order's cycle is subtracted and stays subtracted: nothing but a new paid order moves the end again.
 *
 * Which orders form one subscription: the orders of one user and one SKU, in the order Toss created them, grouped into
 * runs — an order joins the current run when it was paid before that run's scheduled end (counting every order of the
 * run, refunded or not) plus the grace days and a day of slack; otherwise it starts a new subscription anchored on it
 * (a re-subscription after a lapse). Renewals reach the server without a subscription id (`iap.sync`, recovery), so
 * the grouping cannot rely on one.
 *
 * When Toss created an order ("order time"): Toss order ids are UUIDv7 in practice, whose first 48 bits are the
 * creation time in ms, and the id itself is verified with Toss — so a renewal the server finds late still lands on
 * its own cycle. When the id is not a v7 UUID, or its time is implausible (after the server first saw the order, or
 * more than 400 days before), the time the server first recorded the order is used instead.
 */
import { cycleEnd, type RenewalCycle } from '@ait-iap/iap-contract';
import { isoAt } from '../clock';
import { type AppDatabase, lockLedgerRows, writeTransaction } from '../db/database';
import type { Tx } from '../db/schema';

const dayMs = 86_400_000;
/** How far before the server first saw it an order id's embedded time may lie and still be believed. */
const maxOrderAgeMs = 400 * dayMs;
/** A renewal may be charged a little before or after the scheduled end: still the same subscription. */
const renewalSlackMs = dayMs;

/** One order of a subscription SKU as the ledger holds it. */
export interface SubscriptionOrder {
  orderId: string;
  /** `orders.created_at`: when this server first recorded the order. */
  firstSeenAt: string;
  /** Paid and not revoked (refund or operator): the order's cycle counts. */
  live: boolean;
}

export interface SubscriptionRun {
  /** Order time of the run's first order: cycle k ends at anchor + k cycles. */
  anchor: number;
  /** Every order of the run in order time (refunded ones too: they keep their place in the schedule). */
  orderIds: string[];
  /** The live orders in order time; the i-th (0-based) covers cycle i + 1. */
  liveOrderIds: string[];
  /** Access end: anchor + (number of live orders) cycles. Equal to `anchor` when none is live. */
  end: number;
}

/** The creation time embedded in a UUIDv7, or null for any other string. */
export function uuidV7Time(id: string): number | null {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.exec(id);
  if (!match) return null;
  return Number.parseInt(`${match[1]}${match[2]}`, 16);
}

/** When Toss created the order, as far as the server can tell (see the header). */
export function orderTime(orderId: string, firstSeenAt: string): number {
  const seen = Date.parse(firstSeenAt);
  const embedded = uuidV7Time(orderId);
  if (embedded === null || embedded > seen || embedded < seen - maxOrderAgeMs) return seen;
  return embedded;
}

/** Group one user's orders of one subscription SKU into subscriptions and derive each one's access end. */
export function deriveSubscriptions(
  orders: readonly SubscriptionOrder[],
  cycle: RenewalCycle,
  gracePeriodDays: number,
): SubscriptionRun[] {
  const timed = orders
    .map((order) => ({ ...order, at: orderTime(order.orderId, order.firstSeenAt) }))
    .sort((a, b) => a.at - b.at || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
  const runs: SubscriptionRun[] = [];
  let current: SubscriptionRun | null = null;
  for (const order of timed) {
    const scheduledEnd = current ? cycleEnd(new Date(current.anchor), cycle, current.orderIds.length) : null;
    const joins =
      current !== null &&
      scheduledEnd !== null &&
      order.at < scheduledEnd.getTime() + gracePeriodDays * dayMs + renewalSlackMs;
    if (!joins || current === null) {
      current = { anchor: order.at, orderIds: [], liveOrderIds: [], end: order.at };
      runs.push(current);
    }
    current.orderIds.push(order.orderId);
    if (order.live) current.liveOrderIds.push(order.orderId);
  }
  for (const run of runs) run.end = cycleEnd(new Date(run.anchor), cycle, run.liveOrderIds.length).getTime();
  return runs;
}

/** Where one live order sits: its cycle's start, and its subscription's access and grace ends. */
export interface DerivedPeriod {
  startsAt: number;
  expiresAt: number;
  graceExpiresAt: number;
}

/** The derived period of every live order, keyed by order id. */
export function derivedPeriods(
  runs: readonly SubscriptionRun[],
  cycle: RenewalCycle,
  gracePeriodDays: number,
): Map<string, DerivedPeriod & { run: SubscriptionRun }> {
  const periods = new Map<string, DerivedPeriod & { run: SubscriptionRun }>();
  for (const run of runs) {
    run.liveOrderIds.forEach((orderId, index) => {
      periods.set(orderId, {
        startsAt: cycleEnd(new Date(run.anchor), cycle, index).getTime(),
        expiresAt: run.end,
        graceExpiresAt: run.end + gracePeriodDays * dayMs,
        run,
      });
    });
  }
  return periods;
}

/** A subscription SKU as the catalog defines it (the fields the derivation needs). */
export interface SubscriptionProduct {
  sku: string;
  renewal_cycle: RenewalCycle | null;
  grace_period_days: number;
}

/** One user's orders of one subscription SKU, read from the ledger (inside the caller's transaction). */
export async function subscriptionOrders(trx: Tx, userId: string, sku: string): Promise<SubscriptionOrder[]> {
  const rows = await trx
    .selectFrom('entitlements')
    .innerJoin('orders', 'orders.order_id', 'entitlements.order_id')
    .select(['entitlements.order_id', 'orders.created_at', 'entitlements.revoked_at'])
    .where('entitlements.user_id', '=', userId)
    .where('entitlements.sku', '=', sku)
    .where('entitlements.type', '=', 'SUBSCRIPTION')
    .execute();
  return rows.map((row) => ({
    orderId: row.order_id,
    firstSeenAt: row.created_at,
    live: row.revoked_at === null,
  }));
}

/** The derived access end of the subscription `orderId` belongs to, or null if the order is not live. */
export async function derivedPeriodOf(
  trx: Tx,
  userId: string,
  product: SubscriptionProduct,
  orderId: string,
): Promise<DerivedPeriod | null> {
  const cycle = product.renewal_cycle ?? 'MONTHLY';
  const runs = deriveSubscriptions(
    await subscriptionOrders(trx, userId, product.sku),
    cycle,
    product.grace_period_days,
  );
  return derivedPeriods(runs, cycle, product.grace_period_days).get(orderId) ?? null;
}

/**
 * Write the derived periods onto the user's live entitlement rows of `product` (inside the grant/revoke transaction).
 * `grant`: the subscription `orderId` now belongs to was paid again, so its rows take the derived end as it is (a new
 * payment outranks an earlier report that shortened access). `shrink` (after a revoke, or reconcile settling dates
 * written by older code), and every other subscription: rows only ever shrink to the derived end (a report that
 * ended or shortened access stays in force; a refunded cycle is gone).
 */
export async function rederiveSubscription(
  trx: Tx,
  input: { userId: string; product: SubscriptionProduct; orderId?: string; mode: 'grant' | 'shrink' },
): Promise<void> {
  const { userId, product } = input;
  const cycle = product.renewal_cycle ?? 'MONTHLY';
  const runs = deriveSubscriptions(
    await subscriptionOrders(trx, userId, product.sku),
    cycle,
    product.grace_period_days,
  );
  const periods = derivedPeriods(runs, cycle, product.grace_period_days);
  const { orderId } = input;
  const paidAgain =
    input.mode === 'grant' && orderId !== undefined
      ? runs.find((run) => run.orderIds.includes(orderId))
      : undefined;
  const rows = await trx
    .selectFrom('entitlements')
    .select(['id', 'order_id', 'starts_at', 'expires_at', 'grace_expires_at'])
    .where('user_id', '=', userId)
    .where('sku', '=', product.sku)
    .where('type', '=', 'SUBSCRIPTION')
    .where('revoked_at', 'is', null)
    .execute();
  for (const row of rows) {
    const period = periods.get(row.order_id);
    if (!period) continue;
    const fresh = paidAgain !== undefined && period.run === paidAgain;
    const storedExpires = row.expires_at === null ? period.expiresAt : Date.parse(row.expires_at);
    const storedGrace =
      row.grace_expires_at === null ? period.graceExpiresAt : Date.parse(row.grace_expires_at);
    const expiresAt = fresh ? period.expiresAt : Math.min(storedExpires, period.expiresAt);
    const graceExpiresAt = Math.max(
      expiresAt,
      fresh ? period.graceExpiresAt : Math.min(storedGrace, period.graceExpiresAt),
    );
    const fields = {
      starts_at: isoAt(period.startsAt),
      expires_at: isoAt(expiresAt),
      grace_expires_at: isoAt(graceExpiresAt),
    };
    if (
      fields.starts_at === row.starts_at &&
      fields.expires_at === row.expires_at &&
      fields.grace_expires_at === row.grace_expires_at
    )
      continue;
    await trx.updateTable('entitlements').set(fields).where('id', '=', row.id).execute();
  }
}

/** One subscription entitlement row with what the invariant check needs (see `subscriptionDateViolations`). */
export interface SubscriptionRowFacts {
  user_id: string;
  sku: string;
  order_id: string;
  /** `orders.created_at` of the row's order. */
  order_created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  grace_expires_at: string | null;
  /** Set when a report from the app changed the row (it may then only be shorter than derived). */
  toss_reported_at: string | null;
  renewal_cycle: RenewalCycle | null;
  grace_period_days: number;
}

/**
 * The ledger invariant for subscription dates (tests' `ledgerViolations`, the bench's ledger check): every live row's
 * expiry is at most its subscription's derived paid end — exactly that end unless a report shortened it — and its
 * grace end at most that end + the catalog's grace days (one grace), never before its expiry.
 */
export function subscriptionDateViolations(rows: readonly SubscriptionRowFacts[]): string[] {
  const problems: string[] = [];
  const groups = new Map<string, SubscriptionRowFacts[]>();
  for (const row of rows)
    groups.set(`${row.user_id}/${row.sku}`, [...(groups.get(`${row.user_id}/${row.sku}`) ?? []), row]);
  for (const group of groups.values()) {
    const { renewal_cycle, grace_period_days } = group[0] as SubscriptionRowFacts;
    const cycle = renewal_cycle ?? 'MONTHLY';
    const orders = group.map((row) => ({
      orderId: row.order_id,
      firstSeenAt: row.order_created_at,
      live: row.revoked_at === null,
    }));
    const periods = derivedPeriods(
      deriveSubscriptions(orders, cycle, grace_period_days),
      cycle,
      grace_period_days,
    );
    for (const row of group) {
      const period = periods.get(row.order_id);
      if (!period) continue;
      const expires = row.expires_at === null ? Number.NaN : Date.parse(row.expires_at);
      const grace = row.grace_expires_at === null ? Number.NaN : Date.parse(row.grace_expires_at);
      const label = `subscription order ${row.order_id}`;
      const exact = row.toss_reported_at === null;
      if (!(exact ? expires === period.expiresAt : expires <= period.expiresAt))
        problems.push(`${label}: expires ${row.expires_at}, derived paid end ${isoAt(period.expiresAt)}`);
      if (!(exact ? grace === period.graceExpiresAt : grace <= period.graceExpiresAt && grace >= expires))
        problems.push(
          `${label}: grace ends ${row.grace_expires_at}, derived ${isoAt(period.graceExpiresAt)}`,
        );
    }
  }
  return problems;
}

/**
 * Reconcile's housekeeping: bring the dates of these users' subscriptions to the derived ones, shrinking only (rows
 * written before the derivation existed — stacked renewals, a forged date's extra cycle — lose what was never paid;
 * nothing is ever extended here). One short write transaction per subscription, under the user's ledger lock.
 * Returns how many subscriptions it looked at.
 */
export async function settleSubscriptionDates(
  database: AppDatabase,
  subscriptions: ReadonlyArray<{ userId: string; product: SubscriptionProduct }>,
): Promise<number> {
  const unique = new Map(subscriptions.map((s) => [`${s.userId}/${s.product.sku}`, s]));
  for (const { userId, product } of unique.values()) {
    await writeTransaction(database, async (trx) => {
      await lockLedgerRows(database, trx, userId);
      await rederiveSubscription(trx, { userId, product, mode: 'shrink' });
    });
  }
  return unique.size;
}
