/**
 * What operators review, as read-only queries shared by the ops CLI (`ops review`, `ops conflicts`, `ops unverified`)
 * and the reconcile report: HELD orders, claims of other users' orders, and grants whose SKU Toss did not state.
 * You probably don't need to edit this file: it only reads what `fulfill.ts` recorded.
 */
import type { AppDatabase } from '../db/database';

type ReviewDeps = { database: AppDatabase };

export interface HeldOrder {
  orderId: string;
  userId: string;
  sku: string;
  /** Sale price (KRW) of the SKU when the order was held: compare with the console's settlement for this order. */
  salePrice: number | null;
  holdReason: string | null;
  /** Toss's status when the order was held. */
  tossStatus: string | null;
  heldAt: string;
  /** The Toss environment of the session that claimed it (`sandbox` orders are test purchases); null if unknown. */
  environment: 'production' | 'sandbox' | null;
  /** Claims of this order since (every recovery on app start asks again). */
  claims: number;
}

/** Every HELD order, oldest first: what an operator must decide (`approve` or `deny`). */
export async function listHeld(deps: ReviewDeps, limit = 500): Promise<HeldOrder[]> {
  const db = deps.database.db;
  const rows = await db
    .selectFrom('orders')
    .leftJoin('products', 'products.sku', 'orders.sku')
    .select([
      'orders.order_id',
      'orders.user_id',
      'orders.sku',
      'orders.sale_price',
      'products.sale_price as current_price',
      'orders.hold_reason',
      'orders.toss_status',
      'orders.created_at',
      'orders.environment',
    ])
    .where('orders.state', '=', 'HELD')
    .orderBy('orders.created_at')
    .orderBy('orders.order_id')
    .limit(limit)
    .execute();
  const claims =
    rows.length === 0
      ? []
      : await db
          .selectFrom('fulfillment_attempts')
          .select(['order_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where(
            'order_id',
            'in',
            rows.map((row) => row.order_id),
          )
          .groupBy('order_id')
          .execute();
  const claimsOf = new Map(claims.map((c) => [c.order_id, Number(c.n)]));
  return rows.map((row) => ({
    orderId: row.order_id,
    userId: row.user_id,
    sku: row.sku,
    salePrice: row.sale_price ?? row.current_price ?? null,
    holdReason: row.hold_reason,
    tossStatus: row.toss_status,
    heldAt: row.created_at,
    environment: row.environment,
    claims: claimsOf.get(row.order_id) ?? 0,
  }));
}

export interface ConflictClaim {
  orderId: string;
  /** Who claimed it (not its owner). */
  claimedBy: string;
  /** Whom the ledger binds it to. */
  ownerId: string | null;
  sku: string;
  source: string;
  at: string;
}

/** Recent claims of orders bound to another user (each answered like an unknown order), newest first. */
export async function listConflicts(deps: ReviewDeps, limit = 200): Promise<ConflictClaim[]> {
  const rows = await deps.database.db
    .selectFrom('fulfillment_attempts as a')
    .leftJoin('orders as o', 'o.order_id', 'a.order_id')
    .select(['a.order_id', 'a.user_id', 'o.user_id as owner_id', 'a.sku', 'a.source', 'a.created_at'])
    .where('a.outcome', '=', 'ORDER_CONFLICT')
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    orderId: row.order_id,
    claimedBy: row.user_id,
    ownerId: row.owner_id,
    sku: row.sku,
    source: row.source,
    at: row.created_at,
  }));
}

export interface UnverifiedSkuTotal {
  sku: string;
  /** Granted orders whose SKU Toss did not state (the client's word, on sale at the time; or an operator's approval). */
  count: number;
  /** Sum of their sale prices (KRW) as recorded: what the console's settlement should show for them. */
  saleTotal: number;
  /** Of those, granted by an operator's approval. */
  approved: number;
}

export interface UnverifiedReport {
  since: string | null;
  count: number;
  saleTotal: number;
  bySku: UnverifiedSkuTotal[];
  /** Only with `orders: true`: one line per order, to match against the settlement row by row. */
  orders?: Array<{
    orderId: string;
    userId: string;
    sku: string;
    salePrice: number | null;
    grantedAt: string | null;
  }>;
}

/**
 * Grants whose SKU Toss did not state (the documented get-order-status has no SKU), per SKU: count and sum of sale
 * prices. Audit it against the console's settlement: a client that paid for a cheap SKU and claimed a dearer one shows
 * up as a settlement amount below the sale price recorded here.
 */
export async function unverifiedGrants(
  deps: ReviewDeps,
  options: { since?: string | null; orders?: boolean } = {},
): Promise<UnverifiedReport> {
  const db = deps.database.db;
  let query = db
    .selectFrom('orders')
    .leftJoin('products', 'products.sku', 'orders.sku')
    .select([
      'orders.order_id',
      'orders.user_id',
      'orders.sku',
      'orders.granted_at',
      (eb) => eb.fn.coalesce('orders.sale_price', 'products.sale_price').as('price'),
      // Granted by an operator's approval? A column, not an IN list of every id (bind-variable limits at volume).
      (eb) =>
        eb
          .exists(
            eb
              .selectFrom('audit_log')
              .select('audit_log.id')
              .whereRef('audit_log.order_id', '=', 'orders.order_id')
              .where('audit_log.action', '=', 'approve'),
          )
          .as('approved'),
    ])
    .where('orders.sku_verified', '=', 0)
    .where('orders.state', '=', 'GRANTED');
  if (options.since) query = query.where('orders.granted_at', '>=', options.since);
  const rows = await query.orderBy('orders.granted_at').orderBy('orders.order_id').execute();
  const bySku = new Map<string, UnverifiedSkuTotal>();
  for (const row of rows) {
    const entry = bySku.get(row.sku) ?? { sku: row.sku, count: 0, saleTotal: 0, approved: 0 };
    entry.count += 1;
    entry.saleTotal += Number(row.price ?? 0);
    if (row.approved) entry.approved += 1;
    bySku.set(row.sku, entry);
  }
  const totals = [...bySku.values()].sort((a, b) => a.sku.localeCompare(b.sku));
  return {
    since: options.since ?? null,
    count: rows.length,
    saleTotal: totals.reduce((sum, t) => sum + t.saleTotal, 0),
    bySku: totals,
    ...(options.orders
      ? {
          orders: rows.map((row) => ({
            orderId: row.order_id,
            userId: row.user_id,
            sku: row.sku,
            salePrice: row.price === null ? null : Number(row.price),
            grantedAt: row.granted_at,
          })),
        }
      : {}),
  };
}
