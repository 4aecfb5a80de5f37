/**
 * Purchase intents and purchase reports: every paid order leaves a trace an operator can find. You probably don't need
 * to edit this file.
 *
 * - `iap.beginPurchase`: before opening Toss's checkout the app records an intent (session user, SKU, app version,
 *   server time; no order id yet). One insert; a user keeps at most `maxIntentsPerUser` (the oldest go first), and
 *   reconcile deletes intents older than RECONCILE_REFUND_HORIZON_DAYS.
 * - `iap.reportPurchase`: the app reports every path that ended without a grant (SDK error code, the server's
 *   refusal, an outbox entry dropped on ORDER_NOT_FOUND / UNKNOWN_SKU), with the order id when it has one.
 * Neither is ever trusted for money: they only feed the operator lists below (`ops intents`, `ops dropped`).
 *
 * An intent counts as fulfilled when a granted (or since revoked) order of the same user and SKU was first recorded
 * after it and before the user's next intent for that SKU, or when a report against it names such an order.
 */
import { randomUUID } from 'node:crypto';
import type {
  BeginPurchaseInput,
  BeginPurchaseOutput,
  PurchaseReportOutcome,
  ReportPurchaseInput,
  ReportPurchaseOutput,
} from '@ait-iap/iap-contract';
import { isoAt } from '../clock';
import type { AppDeps } from '../context';
import { writeTransaction } from '../db/database';
import type { Tx } from '../db/schema';

export const maxIntentsPerUser = 20;
export const maxReportsPerUser = 100;

type Deps = Pick<AppDeps, 'database' | 'clock' | 'log'>;
type User = { userId: string };

/** Keep only the newest `keep` rows of `table` for this user. */
async function keepNewest(
  db: Tx,
  table: 'purchase_intents' | 'purchase_reports',
  userId: string,
  keep: number,
): Promise<void> {
  const cutoff = await db
    .selectFrom(table)
    .select(['created_at', 'id'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(1)
    .executeTakeFirst();
  if (!cutoff) return;
  await db
    .deleteFrom(table)
    .where('user_id', '=', userId)
    .where((eb) =>
      eb.or([
        eb('created_at', '<', cutoff.created_at),
        eb.and([eb('created_at', '=', cutoff.created_at), eb('id', '<=', cutoff.id)]),
      ]),
    )
    .execute();
}

export async function beginPurchase(
  deps: Deps,
  user: User,
  input: BeginPurchaseInput,
): Promise<BeginPurchaseOutput> {
  const intentId = randomUUID();
  await writeTransaction(deps.database, async (trx) => {
    await trx
      .insertInto('purchase_intents')
      .values({
        id: intentId,
        user_id: user.userId,
        sku: input.sku,
        app_version: input.appVersion ?? null,
        created_at: isoAt(deps.clock.now()),
      })
      .execute();
    await keepNewest(trx, 'purchase_intents', user.userId, maxIntentsPerUser);
  });
  return { intentId };
}

export async function reportPurchase(
  deps: Deps,
  user: User,
  input: ReportPurchaseInput,
): Promise<ReportPurchaseOutput> {
  const intent = await writeTransaction(deps.database, async (trx) => {
    // Only the user's own intent is linked; an unknown or foreign id is kept out (and the answer is the same).
    const linked = input.intentId
      ? await trx
          .selectFrom('purchase_intents')
          .select('id')
          .where('id', '=', input.intentId)
          .where('user_id', '=', user.userId)
          .executeTakeFirst()
      : undefined;
    await trx
      .insertInto('purchase_reports')
      .values({
        id: randomUUID(),
        user_id: user.userId,
        intent_id: linked?.id ?? null,
        order_id: input.orderId ?? null,
        sku: input.sku,
        outcome: input.outcome,
        error_code: input.errorCode ?? null,
        server_reason: input.serverReason ?? null,
        created_at: isoAt(deps.clock.now()),
      })
      .execute();
    await keepNewest(trx, 'purchase_reports', user.userId, maxReportsPerUser);
    return linked;
  });
  const level = input.outcome === 'OUTBOX_DROPPED' ? 'warn' : 'info';
  deps.log[level]('purchase.reported', {
    userId: user.userId,
    sku: input.sku,
    outcome: input.outcome,
    orderId: input.orderId ?? null,
    intentLinked: intent !== undefined,
    errorCode: input.errorCode ?? null,
    serverReason: input.serverReason ?? null,
  });
  return { ok: true };
}

export interface TraceReport {
  outcome: PurchaseReportOutcome;
  orderId: string | null;
  errorCode: string | null;
  serverReason: string | null;
  reportedAt: string;
}

export interface StaleIntent {
  intentId: string;
  userId: string;
  sku: string;
  appVersion: string | null;
  createdAt: string;
  /** What the app reported against this intent, oldest first. */
  reports: TraceReport[];
}

/**
 * Intents older than `staleAfterMinutes` that never became a granted order (see the header), oldest first: for the
 * settlement check — a paid order in Toss's settlement for this user and SKU is owed.
 */
export async function listStaleIntents(
  deps: Pick<AppDeps, 'database' | 'clock'>,
  options: { staleAfterMinutes: number; limit?: number },
): Promise<StaleIntent[]> {
  const db = deps.database.db;
  const before = isoAt(deps.clock.now() - options.staleAfterMinutes * 60_000);
  const intents = await unfulfilledIntents(db, before, options.limit ?? 200);
  const reports =
    intents.length === 0
      ? []
      : await db
          .selectFrom('purchase_reports')
          .selectAll()
          .where(
            'intent_id',
            'in',
            intents.map((intent) => intent.id),
          )
          .orderBy('created_at')
          .execute();
  return intents.map((intent) => ({
    intentId: intent.id,
    userId: intent.user_id,
    sku: intent.sku,
    appVersion: intent.app_version,
    createdAt: intent.created_at,
    reports: reports.filter((report) => report.intent_id === intent.id).map(traceReport),
  }));
}

/** Intents created at or before `before` that no granted (or since revoked) order fulfilled (see the header). */
function unfulfilledIntents(db: Tx, before: string, limit: number) {
  return db
    .selectFrom('purchase_intents as i')
    .selectAll('i')
    .where('i.created_at', '<=', before)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          // A granted order of this user and SKU first recorded after the intent, before the user's next intent.
          selectFrom('orders as o')
            .select('o.order_id')
            .whereRef('o.user_id', '=', 'i.user_id')
            .whereRef('o.sku', '=', 'i.sku')
            .where('o.state', 'in', ['GRANTED', 'REVOKED'])
            .whereRef('o.created_at', '>=', 'i.created_at')
            .where(({ not: notInner, exists: existsInner, selectFrom: selectInner }) =>
              notInner(
                existsInner(
                  selectInner('purchase_intents as later')
                    .select('later.id')
                    .whereRef('later.user_id', '=', 'i.user_id')
                    .whereRef('later.sku', '=', 'i.sku')
                    .whereRef('later.created_at', '>', 'i.created_at')
                    .whereRef('later.created_at', '<=', 'o.created_at'),
                ),
              ),
            ),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          // A report against this intent naming an order of this user that was granted.
          selectFrom('purchase_reports as r')
            .innerJoin('orders as ro', 'ro.order_id', 'r.order_id')
            .select('r.id')
            .whereRef('r.intent_id', '=', 'i.id')
            .whereRef('ro.user_id', '=', 'i.user_id')
            .where('ro.state', 'in', ['GRANTED', 'REVOKED']),
        ),
      ),
    )
    .orderBy('i.created_at')
    .orderBy('i.id')
    .limit(limit)
    .execute();
}

function traceReport(row: {
  outcome: PurchaseReportOutcome;
  order_id: string | null;
  error_code: string | null;
  server_reason: string | null;
  created_at: string;
}): TraceReport {
  return {
    outcome: row.outcome,
    orderId: row.order_id,
    errorCode: row.error_code,
    serverReason: row.server_reason,
    reportedAt: row.created_at,
  };
}

export interface DroppedOrder extends TraceReport {
  userId: string;
  sku: string;
  intentId: string | null;
  /** The order's state in this server's ledger, or null if it never got there. */
  ledgerState: string | null;
}

/** Outbox entries the app dropped because the server answered ORDER_NOT_FOUND / UNKNOWN_SKU, newest first. */
export async function listDroppedOrders(
  deps: Pick<AppDeps, 'database'>,
  options: { since?: string | null; limit?: number } = {},
): Promise<DroppedOrder[]> {
  const rows = await deps.database.db
    .selectFrom('purchase_reports as r')
    .leftJoin('orders as o', 'o.order_id', 'r.order_id')
    .selectAll('r')
    .select('o.state as ledger_state')
    .where('r.outcome', '=', 'OUTBOX_DROPPED')
    .$if(Boolean(options.since), (qb) => qb.where('r.created_at', '>=', options.since as string))
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(options.limit ?? 200)
    .execute();
  return rows.map((row) => ({
    ...traceReport(row),
    userId: row.user_id,
    sku: row.sku,
    intentId: row.intent_id,
    ledgerState: row.ledger_state ?? null,
  }));
}

/**
 * Housekeeping (reconcile), inside its write transaction: intents and reports older than `before` are of no use to
 * the settlement check.
 */
export async function expireTraces(db: Tx, before: string): Promise<void> {
  await db.deleteFrom('purchase_reports').where('created_at', '<', before).execute();
  await db.deleteFrom('purchase_intents').where('created_at', '<', before).execute();
}
