/**
 * The reconcile job (an interval in main.ts, or `pnpm --filter @ait-iap/server reconcile` once):
 *  1. re-checks recent grants (RECONCILE_LOOKBACK_DAYS) with Toss and revokes the ones refunded since (there is no
 *     refund webhook); then walks the older grants up to RECONCILE_REFUND_HORIZON_DAYS — refunds come months later —
 *     at most `limit` Toss calls a run, never-checked and least recently checked first (newest first among equals),
 *     and reports how far the walk has got (`horizon`);
 *  2. retries orders whose last fulfillment attempt was retryable (Toss was down, payment in progress) — through
 *     the same `fulfill`, as the user who asked, so nothing is bound to a user Toss did not confirm;
 *  3. reports the ones still not granted after RECONCILE_ALERT_AFTER_SECONDS (logged at warn level for alerting);
 *  4. re-checks HELD orders (Toss read FAILED and the server never saw them paid, or an unverified SKU not on sale)
 *     through `fulfill`: one that now reads paid is granted normally, one refunded leaves the review list (nothing to
 *     revoke); the rest are listed as `held` for an operator (`ops approve` / `ops deny`), warn log `reconcile.held`.
 *     (This replaces the old `failed_after_paid` finding: such an order is now HELD by `fulfill` itself.)
 *  5. reports the grants of the lookback window whose SKU Toss did not state, per SKU (count, sum of sale prices), to
 *     audit against the console's settlement.
 * Each run that did its work is stored in `reconcile_runs` (the last one is what operators see); housekeeping deletes
 * sessions past the lookback and purchase intents/reports and run records past the refund horizon.
 * You probably don't need to edit this file.
 */
import { sql } from 'kysely';
import { findProduct } from '../catalog/products';
import { isoAt } from '../clock';
import { exclusiveJob, writeTransaction } from '../db/database';
import { type FulfillDeps, fulfill } from './fulfill';
import { expireTraces } from './intents';
import { expireReconcileRuns, recordReconcileRun } from './reconcile-runs';
import { type HeldOrder, listHeld, type UnverifiedReport, unverifiedGrants } from './review';
import { settleSubscriptionDates } from './subscription-periods';
import { mapLimit } from './sync';

export interface ReconcileOptions {
  lookbackDays: number;
  alertAfterSeconds: number;
  /** Max orders re-checked (and max retried) per run, and max Toss calls of the horizon walk. Default 200. */
  limit?: number;
  /** Shutdown: once aborted, no further order is started (the run rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Grants up to this old are re-checked by the horizon walk. Default 180 (never less than `lookbackDays`). */
  refundHorizonDays?: number;
}

/**
 * How far the refund-horizon walk has got over the grants between the lookback and the horizon. When
 * `neverChecked` is 0, every one of them was confirmed with Toss at or after `oldestCheckAt`.
 */
export interface HorizonProgress {
  /** The window walked: grants from `from` (the horizon) up to `to` (the lookback). */
  from: string;
  to: string;
  /** Grants re-checked with Toss in this run (≤ limit). */
  checked: number;
  revoked: string[];
  /** Grants in the window now. */
  grants: number;
  /** Grants in the window never re-checked yet. */
  neverChecked: number;
  /** The least recent re-check among the window's grants (null when none was ever checked). */
  oldestCheckAt: string | null;
}

export interface StuckOrder {
  orderId: string;
  userId: string;
  sku: string;
  firstSeenAt: string;
  lastOutcome: string;
  /** Why it is listed: still retryable (Toss down, payment in progress) after the alert threshold. */
  reason: 'paid_ungranted';
}

export interface ReconcileReport {
  rechecked: number;
  revoked: string[];
  /** The refund-horizon walk (revocations found there are also in `revoked`). */
  horizon: HorizonProgress;
  retried: number;
  granted: string[];
  /** Possibly paid, still not granted, older than the alert threshold: look at these. */
  stuck: StuckOrder[];
  /** HELD orders still waiting for an operator after this run's re-check (`ops approve` / `ops deny`). */
  held: HeldOrder[];
  /** Grants of the lookback window whose SKU Toss did not state, per SKU: audit against the console's settlement. */
  unverified: UnverifiedReport;
  /** PostgreSQL: another instance was running the job, so this run did nothing (set only then). */
  skipped?: true;
}

/**
 * Every server instance runs this on its interval. On PostgreSQL only one runs at a time (a session advisory lock,
 * `exclusiveJob`); the others skip that turn instead of asking Toss about the same orders again. (Running it twice
 * would still be safe — `fulfill` is idempotent — only wasteful.)
 */
export async function reconcile(deps: FulfillDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const startedAt = isoAt(deps.clock.now());
  const run = await exclusiveJob(deps.database, 'ait-iap:reconcile', () => reconcileNow(deps, options));
  if (run.ran) {
    const finishedAt = isoAt(deps.clock.now());
    await writeTransaction(deps.database, (trx) =>
      recordReconcileRun(trx, { startedAt, finishedAt, result: run.result }),
    );
    return run.result;
  }
  deps.log.info('reconcile.skipped', { reason: 'another instance is running it' });
  return {
    rechecked: 0,
    revoked: [],
    horizon: { from: '', to: '', checked: 0, revoked: [], grants: 0, neverChecked: 0, oldestCheckAt: null },
    retried: 0,
    granted: [],
    stuck: [],
    held: [],
    unverified: { since: null, count: 0, saleTotal: 0, bySku: [] },
    skipped: true,
  };
}

/**
 * Ask Toss again about stored orders, through the one fulfill function; whatever the outcome, they move to the back
 * of the re-check queue (`checked_at`), so every order gets its turn.
 */
async function recheck(
  deps: FulfillDeps,
  rows: { order_id: string; sku: string; user_id: string; user_key: string }[],
  options: { recheckGranted: boolean; signal?: AbortSignal | undefined },
) {
  const results = await mapLimit(rows, 4, (row) => {
    options.signal?.throwIfAborted();
    return fulfill(deps, {
      user: { userId: row.user_id, userKey: row.user_key },
      orderId: row.order_id,
      sku: row.sku,
      source: 'reconcile',
      recheckGranted: options.recheckGranted,
    });
  });
  if (rows.length > 0) {
    await writeTransaction(deps.database, (trx) =>
      trx
        .updateTable('orders')
        .set({ checked_at: isoAt(deps.clock.now()) })
        .where(
          'order_id',
          'in',
          rows.map((row) => row.order_id),
        )
        .execute(),
    );
  }
  return results;
}

function emptyHorizon(from: string, to: string): HorizonProgress {
  return { from, to, checked: 0, revoked: [], grants: 0, neverChecked: 0, oldestCheckAt: null };
}

/**
 * Re-check up to `limit` grants granted in [from, to) with Toss (refunded → revoked through `fulfill`): the never
 * checked first, then the least recently checked, newest first among equals. Each moves to the back of the queue.
 */
async function walkRefundHorizon(
  deps: FulfillDeps,
  window: { from: string; to: string; limit: number; signal?: AbortSignal | undefined },
): Promise<{ progress: HorizonProgress; rows: RecheckedRow[] }> {
  const db = deps.database.db;
  const inWindow = () =>
    db
      .selectFrom('orders')
      .where('orders.state', '=', 'GRANTED')
      .where('orders.granted_at', '>=', window.from)
      .where('orders.granted_at', '<', window.to);
  const due = await inWindow()
    .innerJoin('users', 'users.id', 'orders.user_id')
    .select(['orders.order_id', 'orders.sku', 'orders.user_id', 'users.user_key', 'orders.product_type'])
    .orderBy(sql`case when orders.checked_at is null then 0 else 1 end`)
    .orderBy('orders.checked_at')
    .orderBy('orders.granted_at', 'desc')
    .orderBy('orders.order_id')
    .limit(window.limit)
    .execute();
  const results = await recheck(deps, due, { recheckGranted: true, signal: window.signal });
  const counts = await inWindow()
    .select([
      (eb) => eb.fn.countAll<number>().as('grants'),
      (eb) => eb.fn.count<number>('orders.checked_at').as('checked'),
      (eb) => eb.fn.min('orders.checked_at').as('oldest'),
    ])
    .executeTakeFirst();
  const grants = Number(counts?.grants ?? 0);
  const progress = {
    ...emptyHorizon(window.from, window.to),
    checked: due.length,
    revoked: results.filter((r) => r.effect === 'revoked').map((r) => r.output.orderId),
    grants,
    neverChecked: grants - Number(counts?.checked ?? 0),
    oldestCheckAt: counts?.oldest ? String(counts.oldest) : null,
  };
  return { progress, rows: due };
}

interface RecheckedRow {
  user_id: string;
  sku: string;
  product_type: string;
}

/** `settleSubscriptionDates` for the subscription orders among `rows`. */
async function settleSubscriptionsOf(deps: FulfillDeps, rows: readonly RecheckedRow[]): Promise<void> {
  const subscriptions = [];
  for (const row of rows) {
    if (row.product_type !== 'SUBSCRIPTION') continue;
    const product = await findProduct(deps.database.db, row.sku);
    if (product) subscriptions.push({ userId: row.user_id, product });
  }
  await settleSubscriptionDates(deps.database, subscriptions);
}

async function reconcileNow(deps: FulfillDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const now = deps.clock.now();
  const since = isoAt(now - options.lookbackDays * 86_400_000);
  const limit = options.limit ?? 200;
  const horizonDays = Math.max(options.refundHorizonDays ?? 180, options.lookbackDays);
  const horizonSince = isoAt(now - horizonDays * 86_400_000);
  const { signal } = options;

  // 1. Recent grants: refunded since? The least recently checked first, so every grant gets its turn.
  const recent = await recheckRecentGrants(deps, { since, limit, signal });
  // 1b. Older grants, up to the refund horizon: a bounded walk, so every one of them gets its turn.
  const walk = await walkRefundHorizon(deps, { from: horizonSince, to: since, limit, signal });
  signal?.throwIfAborted();
  // 1c. The subscriptions of the grants just re-checked: dates written by older code (stacked renewals, a forged
  // date's extra cycle) shrink to the derived ones; never extended.
  await settleSubscriptionsOf(deps, [...recent.rows, ...walk.rows]);

  // 2. Orders someone asked for that are not settled, whose latest attempt (by that caller) was retryable.
  const pending = await pendingOrders(deps, { since, limit });
  // 3. … retried; still not granted after the alert delay: reported (warn) for an operator.
  const retried = await retryPending(deps, pending, {
    alertBefore: isoAt(now - options.alertAfterSeconds * 1000),
    signal,
  });

  // 4. HELD orders: ask Toss again (the least recently checked first). Paid now → granted normally; refunded →
  // refused, nothing to revoke; otherwise still held. Whatever the outcome, they move to the back of the queue.
  const heldGranted = await recheckHeld(deps, { limit, signal });

  const report: ReconcileReport = {
    rechecked: recent.rows.length,
    revoked: [...recent.revoked, ...walk.progress.revoked],
    horizon: walk.progress,
    retried: pending.length,
    granted: [...retried.granted, ...heldGranted],
    stuck: retried.stuck,
    held: await listHeld(deps, limit),
    // 5. What was granted on the client's word about the SKU, for the settlement audit.
    unverified: await unverifiedGrants(deps, { since }),
  };
  await housekeeping(deps, { since, horizonSince });
  logReport(deps, report);
  return report;
}

/** Re-checks the grants of the lookback window with Toss (refunded → revoked through `fulfill`). */
async function recheckRecentGrants(
  deps: FulfillDeps,
  window: { since: string; limit: number; signal?: AbortSignal | undefined },
): Promise<{ rows: RecheckedRow[]; revoked: string[] }> {
  const rows = await deps.database.db
    .selectFrom('orders')
    .innerJoin('users', 'users.id', 'orders.user_id')
    .select(['orders.order_id', 'orders.sku', 'orders.user_id', 'users.user_key', 'orders.product_type'])
    .where('orders.state', '=', 'GRANTED')
    .where('orders.granted_at', '>=', window.since)
    .orderBy(sql`coalesce(orders.checked_at, orders.granted_at)`)
    .orderBy('orders.order_id')
    .limit(window.limit)
    .execute();
  const rechecks = await recheck(deps, rows, { recheckGranted: true, signal: window.signal });
  const revoked = rechecks
    .filter((result) => result.effect === 'revoked')
    .map((result) => result.output.orderId);
  return { rows, revoked };
}

interface PendingOrder {
  order_id: string;
  user_id: string;
  user_key: string;
  sku: string;
  firstSeenAt: string;
}

/** Orders asked for in the window, not settled, whose caller's latest attempt was retryable (oldest first). */
async function pendingOrders(
  deps: FulfillDeps,
  window: { since: string; limit: number },
): Promise<PendingOrder[]> {
  const db = deps.database.db;
  const candidates = await db
    .selectFrom('fulfillment_attempts as a')
    .leftJoin('orders as o', 'o.order_id', 'a.order_id')
    .select(['a.order_id', 'a.user_id', (eb) => eb.fn.min('a.created_at').as('first_seen_at')])
    .where('a.retryable', '=', 1)
    .where('a.created_at', '>=', window.since)
    .where((eb) => eb.or([eb('o.order_id', 'is', null), eb('o.state', '=', 'RECEIVED')]))
    // Settled since (a later non-retryable attempt by the same caller): filtered here, before the limit, so that
    // orders settled without a ledger row (NOT_FOUND, REFUNDED, …) never crowd out the ones still owed.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('fulfillment_attempts as b')
            .select('b.id')
            .whereRef('b.order_id', '=', 'a.order_id')
            .whereRef('b.user_id', '=', 'a.user_id')
            .where('b.retryable', '=', 0)
            .whereRef('b.created_at', '>', 'a.created_at'),
        ),
      ),
    )
    .groupBy(['a.order_id', 'a.user_id'])
    .orderBy('first_seen_at')
    .limit(window.limit)
    .execute();
  const pending: PendingOrder[] = [];
  for (const candidate of candidates) {
    const last = await db
      .selectFrom('fulfillment_attempts')
      .innerJoin('users', 'users.id', 'fulfillment_attempts.user_id')
      .select(['fulfillment_attempts.sku', 'fulfillment_attempts.retryable', 'users.user_key'])
      .where('fulfillment_attempts.order_id', '=', candidate.order_id)
      .where('fulfillment_attempts.user_id', '=', candidate.user_id)
      .orderBy('fulfillment_attempts.created_at', 'desc')
      .orderBy('fulfillment_attempts.id', 'desc')
      .executeTakeFirst();
    if (last?.retryable !== 1) continue; // settled since (e.g. later refused)
    pending.push({
      order_id: candidate.order_id,
      user_id: candidate.user_id,
      user_key: last.user_key,
      sku: last.sku,
      firstSeenAt: String(candidate.first_seen_at),
    });
  }
  return pending;
}

/** Fulfills each pending order again (4 at a time); one still retryable past `alertBefore` is stuck. */
async function retryPending(
  deps: FulfillDeps,
  pending: readonly PendingOrder[],
  options: { alertBefore: string; signal?: AbortSignal | undefined },
): Promise<Pick<ReconcileReport, 'granted' | 'stuck'>> {
  const retries = await mapLimit(pending, 4, (a) => {
    options.signal?.throwIfAborted();
    return fulfill(deps, {
      user: { userId: a.user_id, userKey: a.user_key },
      orderId: a.order_id,
      sku: a.sku,
      source: 'reconcile',
    });
  });
  const outcome: Pick<ReconcileReport, 'granted' | 'stuck'> = { granted: [], stuck: [] };
  pending.forEach((a, index) => {
    const result = retries[index];
    if (result?.effect === 'granted') outcome.granted.push(a.order_id);
    else if (result?.output.retryable && a.firstSeenAt <= options.alertBefore) {
      outcome.stuck.push({
        orderId: a.order_id,
        userId: a.user_id,
        sku: a.sku,
        firstSeenAt: a.firstSeenAt,
        lastOutcome: result.output.reason,
        reason: 'paid_ungranted',
      });
    }
  });
  return outcome;
}

/** Asks Toss again about up to `limit` HELD orders, the least recently checked first; returns those granted. */
async function recheckHeld(
  deps: FulfillDeps,
  options: { limit: number; signal?: AbortSignal | undefined },
): Promise<string[]> {
  const heldRows = await deps.database.db
    .selectFrom('orders')
    .innerJoin('users', 'users.id', 'orders.user_id')
    .select(['orders.order_id', 'orders.sku', 'orders.user_id', 'users.user_key'])
    .where('orders.state', '=', 'HELD')
    .orderBy(sql`coalesce(orders.checked_at, orders.created_at)`)
    .orderBy('orders.order_id')
    .limit(options.limit)
    .execute();
  const heldChecks = await recheck(deps, heldRows, { recheckGranted: false, signal: options.signal });
  return heldChecks.filter((result) => result.effect === 'granted').map((result) => result.output.orderId);
}

/**
 * Sessions that ended before the lookback window are of no use to anyone; purchase traces and run records past the
 * refund horizon neither.
 */
async function housekeeping(
  deps: FulfillDeps,
  window: { since: string; horizonSince: string },
): Promise<void> {
  await writeTransaction(deps.database, async (trx) => {
    await trx.deleteFrom('sessions').where('expires_at', '<', window.since).execute();
    await expireTraces(trx, window.horizonSince);
    await expireReconcileRuns(trx, window.horizonSince);
  });
}

/** One `reconcile.done` line, a warn per stuck order, and one warn listing held orders. */
function logReport(deps: FulfillDeps, report: ReconcileReport): void {
  deps.log.info('reconcile.done', {
    rechecked: report.rechecked,
    revoked: report.revoked.length,
    horizonChecked: report.horizon.checked,
    horizonNeverChecked: report.horizon.neverChecked,
    horizonOldestCheckAt: report.horizon.oldestCheckAt,
    retried: report.retried,
    granted: report.granted.length,
    stuck: report.stuck.length,
    held: report.held.length,
    unverifiedGrants: report.unverified.count,
    unverifiedSaleTotal: report.unverified.saleTotal,
  });
  for (const stuck of report.stuck) deps.log.warn('reconcile.paid_ungranted', { ...stuck });
  if (report.held.length > 0) {
    deps.log.warn('reconcile.held', {
      count: report.held.length,
      oldestHeldAt: report.held[0]?.heldAt ?? null,
      orderIds: report.held.slice(0, 50).map((held) => held.orderId),
    });
  }
}
