/**
 * The reconcile job (an interval in main.ts, or `pnpm --filter @ait-iap/server reconcile` once):
 *  1. re-checks recent grants with Toss and revokes the ones refunded since (there is no refund webhook);
 *  2. retries orders whose last fulfillment attempt was retryable (Toss was down, payment in progress) — through
 *     the same `fulfill`, as the user who asked, so nothing is bound to a user Toss did not confirm;
 *  3. reports the ones still not granted after RECONCILE_ALERT_AFTER_SECONDS (logged at warn level for alerting).
 * You probably don't need to edit this file.
 */
import { isoAt } from '../clock';
import { type FulfillDeps, fulfill } from './fulfill';
import { mapLimit } from './sync';

export interface ReconcileOptions {
  lookbackDays: number;
  alertAfterSeconds: number;
  /** Max orders re-checked per run. */
  limit?: number;
}

export interface StuckOrder {
  orderId: string;
  userId: string;
  sku: string;
  firstSeenAt: string;
  lastOutcome: string;
}

export interface ReconcileReport {
  rechecked: number;
  revoked: string[];
  retried: number;
  granted: string[];
  /** Possibly paid, still not granted, older than the alert threshold: look at these. */
  stuck: StuckOrder[];
}

export async function reconcile(deps: FulfillDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const since = isoAt(now - options.lookbackDays * 86_400_000);
  const limit = options.limit ?? 500;
  const report: ReconcileReport = { rechecked: 0, revoked: [], retried: 0, granted: [], stuck: [] };

  // 1. Recent grants: refunded since?
  const granted = await db
    .selectFrom('orders')
    .innerJoin('users', 'users.id', 'orders.user_id')
    .select(['orders.order_id', 'orders.sku', 'orders.user_id', 'users.user_key'])
    .where('orders.state', '=', 'GRANTED')
    .where('orders.granted_at', '>=', since)
    .orderBy('orders.granted_at', 'desc')
    .limit(limit)
    .execute();
  const rechecks = await mapLimit(granted, 4, (row) =>
    fulfill(deps, {
      user: { userId: row.user_id, userKey: row.user_key },
      orderId: row.order_id,
      sku: row.sku,
      source: 'reconcile',
      recheckGranted: true,
    }),
  );
  report.rechecked = granted.length;
  for (const result of rechecks) if (result.effect === 'revoked') report.revoked.push(result.output.orderId);

  // 2. Orders whose latest attempt (per order and caller) was retryable, and that are not settled in the ledger.
  const attempts = await db
    .selectFrom('fulfillment_attempts')
    .innerJoin('users', 'users.id', 'fulfillment_attempts.user_id')
    .leftJoin('orders', 'orders.order_id', 'fulfillment_attempts.order_id')
    .select([
      'fulfillment_attempts.order_id',
      'fulfillment_attempts.user_id',
      'fulfillment_attempts.sku',
      'fulfillment_attempts.outcome',
      'fulfillment_attempts.retryable',
      'fulfillment_attempts.created_at',
      'users.user_key',
      'orders.state',
    ])
    .where('fulfillment_attempts.created_at', '>=', since)
    .orderBy('fulfillment_attempts.created_at')
    .orderBy('fulfillment_attempts.id')
    .execute();
  const latest = new Map<string, (typeof attempts)[number] & { firstSeenAt: string }>();
  for (const attempt of attempts) {
    const key = `${attempt.order_id}\u0000${attempt.user_id}`;
    const firstSeenAt = latest.get(key)?.firstSeenAt ?? attempt.created_at;
    latest.set(key, { ...attempt, firstSeenAt });
  }
  const pending = [...latest.values()]
    .filter((a) => a.retryable === 1 && (a.state === null || a.state === 'RECEIVED'))
    .slice(0, limit);
  const retries = await mapLimit(pending, 4, (a) =>
    fulfill(deps, {
      user: { userId: a.user_id, userKey: a.user_key },
      orderId: a.order_id,
      sku: a.sku,
      source: 'reconcile',
    }),
  );
  report.retried = pending.length;
  const alertBefore = isoAt(now - options.alertAfterSeconds * 1000);
  pending.forEach((a, index) => {
    const result = retries[index];
    if (result?.effect === 'granted') report.granted.push(a.order_id);
    else if (result?.output.retryable && a.firstSeenAt <= alertBefore) {
      report.stuck.push({
        orderId: a.order_id,
        userId: a.user_id,
        sku: a.sku,
        firstSeenAt: a.firstSeenAt,
        lastOutcome: result.output.reason,
      });
    }
  });

  // Housekeeping: sessions that ended before the lookback window are of no use to anyone.
  await db.deleteFrom('sessions').where('expires_at', '<', since).execute();

  deps.log.info('reconcile.done', {
    rechecked: report.rechecked,
    revoked: report.revoked.length,
    retried: report.retried,
    granted: report.granted.length,
    stuck: report.stuck.length,
  });
  for (const stuck of report.stuck) deps.log.warn('reconcile.paid_ungranted', { ...stuck });
  return report;
}
