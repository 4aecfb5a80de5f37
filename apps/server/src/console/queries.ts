/**
 * What the support console reads, as plain queries over the ledger (no writes here): the inbox (held orders,
 * conflicts, paid orders still retrying, the reconcile's last result), search, an order or a user with everything
 * recorded about them, the audit log (also as CSV) and the settlement view. Orders are named by id or by the short
 * reference the mini-app shows (`orderReference`). A fork normally does not edit this file.
 */
import { orderReference } from '@ait-iap/iap-contract';
import type { ReconcileReport } from '../fulfillment/reconcile';
import { lastReconcileRuns } from '../fulfillment/reconcile-runs';
import { listConflicts, listHeld, unverifiedGrants } from '../fulfillment/review';
import { describeOrder, describeUser, findUser, type OpsDeps } from '../ops/actions';
import { resolveOrder } from '../ops/lookup';

export type ReadDeps = OpsDeps;

/** The reconcile job's last run in this process (the inbox shows it), or null before the first run. */
export interface LastReconcile {
  at: string;
  ok: boolean;
  report: ReconcileReport | null;
}

const listLimit = 200;

/**
 * An order id, or the short reference the app shows (any case, with or without the dash) → the order ids it names:
 * one for an id, possibly several for a reference (it is only the id's last 8 characters), none when unknown.
 * An id claimed but never verified by Toss (no ledger row) is found through its attempts.
 */
export async function resolveOrderIds(deps: ReadDeps, idOrReference: string): Promise<string[]> {
  const text = idOrReference.trim();
  if (!text) return [];
  const db = deps.database.db;
  const found = await resolveOrder(db, text);
  if (found.kind === 'id') return [found.orderId];
  if (found.kind === 'reference') return found.matches.map((order) => order.order_id);
  const attempt = await db
    .selectFrom('fulfillment_attempts')
    .select('order_id')
    .where('order_id', '=', text)
    .executeTakeFirst();
  return attempt ? [attempt.order_id] : [];
}

/** Paid orders (by the last attempt's reading) that are still retrying: Toss down, or the grant still pending. */
async function listRetrying(deps: ReadDeps) {
  const db = deps.database.db;
  const attempts = await db
    .selectFrom('fulfillment_attempts as a')
    .leftJoin('orders as o', 'o.order_id', 'a.order_id')
    .select([
      'a.order_id',
      'a.user_id',
      'a.sku',
      'a.outcome',
      'a.retryable',
      'a.toss_status',
      'a.created_at',
      'o.state',
    ])
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(listLimit * 5)
    .execute();
  const latest = new Map<string, (typeof attempts)[number] & { firstAt: string; tries: number }>();
  for (const row of attempts) {
    const seen = latest.get(row.order_id);
    if (seen) {
      seen.firstAt = row.created_at;
      seen.tries += 1;
    } else latest.set(row.order_id, { ...row, firstAt: row.created_at, tries: 1 });
  }
  return [...latest.values()]
    .filter((row) => row.retryable === 1 && (row.state === null || row.state === 'RECEIVED'))
    .map((row) => ({
      orderId: row.order_id,
      reference: orderReference(row.order_id),
      userId: row.user_id,
      sku: row.sku,
      lastOutcome: row.outcome,
      tossStatus: row.toss_status,
      firstAt: row.firstAt,
      lastAt: row.created_at,
      tries: row.tries,
    }))
    .slice(0, listLimit);
}

/** The last run recorded in `reconcile_runs` (every run that did its work, from any instance or the job). */
async function lastRecordedRun(deps: ReadDeps): Promise<LastReconcile | null> {
  const [run] = await lastReconcileRuns(deps);
  return run ? { at: run.finishedAt, ok: true, report: run.result as ReconcileReport } : null;
}

/** A count from a report field that is a list (today) or a number. */
const countOf = (value: unknown): number => (Array.isArray(value) ? value.length : Number(value ?? 0) || 0);

function reconcileSummary(last: LastReconcile | null) {
  if (!last) return null;
  const report = last.report as Partial<Record<string, unknown>> | null;
  return {
    at: last.at,
    ok: last.ok,
    summary: report && {
      rechecked: countOf(report.rechecked),
      retried: countOf(report.retried),
      granted: countOf(report.granted),
      revoked: countOf(report.revoked),
      stuck: countOf(report.stuck),
      held: countOf(report.held),
      skipped: report.skipped === true,
    },
  };
}

export async function inbox(deps: ReadDeps, lastReconcile: LastReconcile | null) {
  const [held, conflicts, retrying, recorded] = await Promise.all([
    listHeld(deps, listLimit),
    listConflicts(deps, listLimit),
    listRetrying(deps),
    lastRecordedRun(deps),
  ]);
  // This process's last run, or the last recorded one (another instance, the `reconcile` job), whichever is newer.
  const last = !recorded || (lastReconcile && lastReconcile.at >= recorded.at) ? lastReconcile : recorded;
  return {
    held: held.map((order) => ({ ...order, reference: orderReference(order.orderId) })),
    conflicts: conflicts.map((claim) => ({ ...claim, reference: orderReference(claim.orderId) })),
    retrying,
    reconcile: reconcileSummary(last),
  };
}

export interface SearchInput {
  query?: string | undefined;
  sku?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

function orderSummary(row: {
  order_id: string;
  user_id: string;
  sku: string;
  state: string;
  sale_price: number | null;
  environment: string | null;
  created_at: string;
  updated_at: string;
}) {
  return {
    orderId: row.order_id,
    reference: orderReference(row.order_id),
    userId: row.user_id,
    sku: row.sku,
    state: row.state,
    salePrice: row.sale_price,
    environment: row.environment,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** By order id or reference, user id or user key (exact); or by SKU and/or time range (newest first). */
export async function search(deps: ReadDeps, input: SearchInput) {
  const db = deps.database.db;
  const text = input.query?.trim() ?? '';
  let userId: string | null = null;
  let orderIds: string[] = [];
  if (text) {
    orderIds = await resolveOrderIds(deps, text);
    userId = orderIds.length > 0 ? null : ((await findUser(deps, text))?.id ?? null);
  }
  if (text && orderIds.length === 0 && !userId) return { orderIds, user: null, orders: [] };
  let query = db.selectFrom('orders').selectAll();
  if (orderIds.length > 0) query = query.where('order_id', 'in', orderIds);
  else if (userId) query = query.where('user_id', '=', userId);
  if (input.sku?.trim()) query = query.where('sku', '=', input.sku.trim());
  if (input.from) query = query.where('created_at', '>=', input.from);
  if (input.to) query = query.where('created_at', '<', input.to);
  const rows = await query.orderBy('created_at', 'desc').orderBy('order_id').limit(listLimit).execute();
  return { orderIds, user: userId, orders: rows.map(orderSummary) };
}

/** An order with everything recorded about it, or null. */
export async function orderDetail(deps: ReadDeps, orderId: string) {
  const described = await describeOrder(deps, orderId);
  if (!described.order && described.attempts.length === 0) return null;
  const db = deps.database.db;
  const sku = described.order?.sku ?? described.attempts.at(-1)?.sku ?? null;
  const product = sku
    ? await db
        .selectFrom('products')
        .select(['sku', 'name', 'type', 'sale_price', 'grant_kind', 'grant_currency', 'grant_amount'])
        .where('sku', '=', sku)
        .executeTakeFirst()
    : undefined;
  return {
    orderId,
    reference: orderReference(orderId),
    userId: described.order?.user_id ?? described.attempts.at(-1)?.user_id ?? null,
    ...described,
    product: product ?? null,
  };
}

/** A user (by id or user key) with balances, wallet ledger, entitlements and subscriptions, orders; or null. */
export async function userDetail(deps: ReadDeps, idOrUserKey: string) {
  const described = await describeUser(deps, idOrUserKey.trim());
  if (!described) return null;
  return {
    ...described,
    orders: described.orders.map((order) => ({ ...order, reference: orderReference(order.order_id) })),
    subscriptions: described.entitlements.filter((row) => row.type === 'SUBSCRIPTION'),
  };
}

export interface AuditFilter {
  operator?: string | undefined;
  action?: string | undefined;
  orderId?: string | undefined;
  userId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit?: number | undefined;
}

/** The audit log, newest first, filtered. */
export async function auditLog(deps: ReadDeps, filter: AuditFilter) {
  let query = deps.database.db.selectFrom('audit_log').selectAll();
  if (filter.operator) query = query.where('operator', '=', filter.operator);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.orderId) {
    const orderIds = await resolveOrderIds(deps, filter.orderId);
    query = query.where('order_id', 'in', orderIds.length > 0 ? orderIds : [filter.orderId]);
  }
  if (filter.userId) query = query.where('user_id', '=', filter.userId);
  if (filter.from) query = query.where('created_at', '>=', filter.from);
  if (filter.to) query = query.where('created_at', '<', filter.to);
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 500)
    .execute();
}

const csvColumns = [
  'created_at',
  'operator',
  'action',
  'order_id',
  'user_id',
  'reason',
  'detail',
  'id',
] as const;

/** One CSV field: quoted, quotes doubled; a leading = + - @ is prefixed with ' so a spreadsheet never runs it. */
function csvField(value: string | null): string {
  const text = value ?? '';
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export async function auditCsv(deps: ReadDeps, filter: AuditFilter): Promise<string> {
  const rows = await auditLog(deps, { ...filter, limit: filter.limit ?? 50_000 });
  const lines = [csvColumns.join(',')];
  for (const row of rows) lines.push(csvColumns.map((column) => csvField(row[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Grants whose SKU Toss did not state, per SKU and order by order (today's `ops unverified --orders`). */
export function settlement(deps: ReadDeps, since: string | null) {
  return unverifiedGrants(deps, { since, orders: true });
}
