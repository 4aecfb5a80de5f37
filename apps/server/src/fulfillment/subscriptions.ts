/**
 * `iap.syncSubscriptions`: the mini-app reports what Toss's `IAP.getSubscriptionInfo` said about each subscription it
 * owns, so an expiry, hold, pause or revoke on Toss's side (or a free trial shorter than a cycle) reaches the server.
 * The partner API has no subscription endpoint; this report is the only way that truth gets here, and the client is
 * not trusted. You probably don't need to edit this file; the policy is in the README ("Subscriptions"):
 *
 * 1. The order must be this session user's, GRANTED, and a SUBSCRIPTION; otherwise the report is refused.
 * 2. Re-verify the order with Toss through `fulfill` (recheckGranted): a refund revokes it as usual; Toss down →
 *    deferred, nothing changed.
 * 3. EXPIRED / REVOKED / ON_HOLD / PAUSED, or `isAccessible: false` → access ends now (server clock).
 *    ACTIVE / IN_GRACE_PERIOD with an `expiresAt` → expiry = min(reported, the DERIVED paid end of the order's
 *    subscription — subscription-periods.ts): a shorter trial is accepted, a later date never extends anything, however
 *    often it is reported. Grace = at most expiry + the catalog's gracePeriodDays (one bounded grace).
 * 4. The rows changed are the reported order's entitlement and the earlier periods of the same SKU (the renewals
 *    before it), in one write transaction. One JSON log line per order changed.
 */
import type {
  SubscriptionInfo,
  SubscriptionStatus,
  SubscriptionSyncRefusal,
  SyncSubscriptionsInput,
  SyncSubscriptionsOutput,
} from '@ait-iap/iap-contract';
import type { SessionUser } from '../auth/sessions';
import { findProduct } from '../catalog/products';
import { isoAt } from '../clock';
import { lockLedgerRows, writeTransaction } from '../db/database';
import type { EntitlementsTable, Tx } from '../db/schema';
import { hashUserKey } from '../log';
import { type FulfillDeps, fulfill } from './fulfill';
import { derivedPeriodOf } from './subscription-periods';
import { mapLimit } from './sync';

const dayMs = 86_400_000;

/** Statuses after which Toss gives no access, whatever the dates say. */
export const endedSubscriptionStatuses: readonly SubscriptionStatus[] = [
  'EXPIRED',
  'REVOKED',
  'ON_HOLD',
  'PAUSED',
];

type ReportOutcome =
  | { kind: 'updated' }
  | { kind: 'unchanged' }
  | { kind: 'deferred' }
  | { kind: 'refused'; reason: SubscriptionSyncRefusal };

type User = Pick<SessionUser, 'userId' | 'userKey'>;
type Report = SyncSubscriptionsInput['subscriptions'][number];

export async function syncSubscriptions(
  deps: FulfillDeps,
  user: User,
  reports: SyncSubscriptionsInput['subscriptions'],
): Promise<SyncSubscriptionsOutput> {
  const unique = [...new Map(reports.map((report) => [report.orderId, report])).values()];
  const outcomes = await mapLimit(unique, 4, (report) => applyReport(deps, user, report));
  const output: SyncSubscriptionsOutput = { updated: [], unchanged: 0, refused: [], deferred: [] };
  outcomes.forEach((outcome, index) => {
    const orderId = (unique[index] as Report).orderId;
    if (outcome.kind === 'updated') output.updated.push(orderId);
    else if (outcome.kind === 'deferred') output.deferred.push(orderId);
    else if (outcome.kind === 'refused') output.refused.push({ orderId, reason: outcome.reason });
    else output.unchanged += 1;
  });
  return output;
}

function parseTime(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** The client's date as ISO, or null: never log the raw client string. */
function reportedIso(value: string | null): string | null {
  const ms = parseTime(value);
  return ms === null || Math.abs(ms) > 8.64e15 ? null : isoAt(ms);
}

interface Period {
  expiresMs: number;
  graceMs: number;
}

/** What one report means for the reported order's period, under the trust policy (pure; exported for tests). */
export function boundedPeriod(input: {
  now: number;
  current: Period;
  /** The derived paid end of the order's subscription (its verified, non-revoked orders). */
  paidEnd: number;
  gracePeriodDays: number;
  report: SubscriptionInfo;
}): Period & { ended: boolean; capped: boolean } {
  const { now, current, report } = input;
  if (endedSubscriptionStatuses.includes(report.status) || !report.isAccessible) {
    const end = Math.min(current.expiresMs, now);
    return { expiresMs: end, graceMs: end, ended: true, capped: false };
  }
  const reported = parseTime(report.expiresAt);
  if (reported === null) return { ...current, ended: false, capped: false };
  const ceiling = input.paidEnd;
  const expiresMs = Math.min(reported, ceiling);
  const graceLimit = expiresMs + input.gracePeriodDays * dayMs;
  const reportedGrace = parseTime(report.gracePeriodExpiresAt) ?? graceLimit;
  const graceMs = Math.max(expiresMs, Math.min(reportedGrace, graceLimit));
  return { expiresMs, graceMs, ended: false, capped: reported > ceiling };
}

type Refused = Extract<ReportOutcome, { kind: 'refused' }>;
const refused = (reason: SubscriptionSyncRefusal): Refused => ({ kind: 'refused', reason });

/** One report, as the header's steps: the order, still paid with Toss, the new period written, one log line. */
async function applyReport(deps: FulfillDeps, user: User, report: Report): Promise<ReportOutcome> {
  const order = await reportedOrder(deps, user, report.orderId);
  if ('kind' in order) return order;
  const paid = await stillPaid(deps, user, report.orderId, order.sku);
  if (paid) return paid;
  const change = await writeTransaction(deps.database, (trx) =>
    writeReportedPeriod(deps, trx, user, order.sku, report),
  );
  if (change.kind !== 'changed') return change;
  logReported(deps, user, report, order.sku, change);
  return { kind: 'updated' };
}

/** 1. The order, if it is this user's GRANTED subscription; else why the report is refused. */
async function reportedOrder(
  deps: FulfillDeps,
  user: User,
  orderId: string,
): Promise<{ sku: string } | Refused> {
  const order = await deps.database.db
    .selectFrom('orders')
    .select(['user_id', 'sku', 'state', 'product_type'])
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  // Another user's order reads exactly like an unknown one: the answer must not confirm it exists.
  if (!order || order.user_id !== user.userId) return refused('ORDER_NOT_FOUND');
  if (order.product_type !== 'SUBSCRIPTION') return refused('NOT_A_SUBSCRIPTION');
  if (order.state === 'REVOKED') return refused('REVOKED');
  if (order.state !== 'GRANTED') return refused('NOT_GRANTED');
  return { sku: order.sku };
}

/**
 * 2. Still paid? A refund found here revokes the grant through the one fulfillment function, as iap.sync does.
 * Null when Toss says it is; else what to answer (Toss unreachable → deferred).
 */
async function stillPaid(
  deps: FulfillDeps,
  user: User,
  orderId: string,
  sku: string,
): Promise<ReportOutcome | null> {
  const { output } = await fulfill(deps, { user, orderId, sku, source: 'sync', recheckGranted: true });
  if (output.retryable) return { kind: 'deferred' };
  if (output.reason === 'REFUNDED' || output.reason === 'REVOKED') return refused('REVOKED');
  if (output.reason !== 'ALREADY_GRANTED') return refused('NOT_GRANTED');
  return null;
}

type PeriodChange = ReturnType<typeof periodChange>;

/** 3-4. In the write transaction: re-read the order, bound the reported period, update the rows it covers. */
async function writeReportedPeriod(
  deps: FulfillDeps,
  trx: Tx,
  user: User,
  sku: string,
  report: Report,
): Promise<PeriodChange | { kind: 'unchanged' } | Refused> {
  const { orderId, subscription } = report;
  // PostgreSQL: hold this user's ledger (as grants and revokes do) so a concurrent refund or renewal can't
  // interleave between the read below and the entitlement update. SQLite: BEGIN IMMEDIATE already does.
  await lockLedgerRows(deps.database, trx, user.userId);
  const row = await trx
    .selectFrom('orders')
    .select(['state', 'user_id'])
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (row?.state !== 'GRANTED' || row.user_id !== user.userId) return refused('REVOKED');
  const product = await findProduct(trx, sku);
  const rows = await trx
    .selectFrom('entitlements')
    .selectAll()
    .where('user_id', '=', user.userId)
    .where('sku', '=', sku)
    .where('type', '=', 'SUBSCRIPTION')
    .where('revoked_at', 'is', null)
    .execute();
  const target = rows.find((r) => r.order_id === orderId);
  if (!product || !target) return refused('NOT_GRANTED');
  const now = deps.clock.now();
  const derived = await derivedPeriodOf(trx, user.userId, product, orderId);
  if (!derived) return refused('NOT_GRANTED');
  const currentExpires = parseTime(target.expires_at) ?? derived.expiresAt;
  const next = boundedPeriod({
    now,
    current: { expiresMs: currentExpires, graceMs: parseTime(target.grace_expires_at) ?? currentExpires },
    paidEnd: derived.expiresAt,
    gracePeriodDays: product.grace_period_days,
    report: subscription,
  });
  // The reported order and the periods before it (earlier renewals of the same subscription, or older,
  // already-ended subscriptions of this SKU). A later subscription of the same SKU is left alone.
  const scope = rows.filter((r) => r.starts_at <= target.starts_at);
  const changed = await updatePeriods(trx, scope, {
    orderId,
    currentExpires,
    next,
    subscription,
    at: isoAt(now),
  });
  return changed === 0 ? { kind: 'unchanged' } : periodChange(target, next, subscription, changed);
}

/** What changed, for the log line: the reported order's row before and after. */
function periodChange(
  target: EntitlementsTable,
  next: ReturnType<typeof boundedPeriod>,
  subscription: SubscriptionInfo,
  rows: number,
) {
  return {
    kind: 'changed' as const,
    rows,
    from: {
      expiresAt: target.expires_at,
      graceExpiresAt: target.grace_expires_at,
      status: target.toss_status,
      autoRenew: target.auto_renew === null ? null : target.auto_renew === 1,
    },
    to: {
      expiresAt: isoAt(next.expiresMs),
      graceExpiresAt: isoAt(next.graceMs),
      status: subscription.status,
      autoRenew: subscription.isAutoRenew,
    },
    ended: next.ended,
    capped: next.capped,
  };
}

/**
 * The reported order's row takes the new period and Toss's status; an earlier row only ever shrinks to it. Rows
 * already so are not written. Returns how many were.
 */
async function updatePeriods(
  trx: Tx,
  scope: EntitlementsTable[],
  change: {
    orderId: string;
    currentExpires: number;
    next: Period;
    subscription: SubscriptionInfo;
    at: string;
  },
): Promise<number> {
  const { orderId, currentExpires, next, subscription, at } = change;
  const autoRenew = subscription.isAutoRenew ? 1 : 0;
  let changedRows = 0;
  for (const entitlement of scope) {
    const isTarget = entitlement.order_id === orderId;
    const expiresMs = parseTime(entitlement.expires_at) ?? currentExpires;
    const graceMs = parseTime(entitlement.grace_expires_at) ?? expiresMs;
    const fields = {
      expires_at: isoAt(isTarget ? next.expiresMs : Math.min(expiresMs, next.expiresMs)),
      grace_expires_at: isoAt(isTarget ? next.graceMs : Math.min(graceMs, next.graceMs)),
      ...(isTarget ? { toss_status: subscription.status, auto_renew: autoRenew } : {}),
    };
    const same =
      fields.expires_at === entitlement.expires_at &&
      fields.grace_expires_at === entitlement.grace_expires_at &&
      (!isTarget ||
        (entitlement.toss_status === subscription.status && entitlement.auto_renew === autoRenew));
    if (same) continue;
    await trx
      .updateTable('entitlements')
      .set({ ...fields, toss_reported_at: at })
      .where('id', '=', entitlement.id)
      .execute();
    changedRows += 1;
  }
  return changedRows;
}

/** One JSON log line per order whose rows changed. */
function logReported(deps: FulfillDeps, user: User, report: Report, sku: string, change: PeriodChange) {
  const { subscription } = report;
  deps.log.info('subscription.reported', {
    orderId: report.orderId,
    userId: user.userId,
    userKeyHash: hashUserKey(user.userKey),
    sku,
    isAccessible: subscription.isAccessible,
    reportedExpiresAt: reportedIso(subscription.expiresAt),
    from: change.from,
    to: change.to,
    ended: change.ended,
    // The report asked for more than the paid orders cover: it was cut to the derived paid end.
    capped: change.capped,
    rows: change.rows,
  });
}
