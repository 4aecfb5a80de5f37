/**
 * What customer support can do, as functions (the CLI in cli.ts is a thin shell over these): look up a user's
 * orders and grants; review HELD orders and approve (a grant THROUGH `fulfill`, audited in its transaction) or deny
 * them; re-grant or revoke an order with a reason (written to `audit_log` in the same transaction as the effect);
 * list claims of other users' orders and the grants made on a SKU Toss did not state (to audit against the console's
 * settlement). Re-granting needs an order already bound to its user (Toss-verified); for an order that never got
 * that far, re-check it (`recheck --apply`), which goes through `fulfill` and Toss.
 */
import { randomUUID } from 'node:crypto';
import { findProduct } from '../catalog/products';
import { isoAt } from '../clock';
import { type AppDatabase, forUpdate, lockLedgerRows, writeTransaction } from '../db/database';
import type { OrdersTable, Tx } from '../db/schema';
import { type FulfillDeps, fulfill, REGRANT_KNOWN_REFUNDED } from '../fulfillment/fulfill';
import { applyGrant, revokeGrant } from '../fulfillment/grants';

export { listConflicts, listHeld, unverifiedGrants } from '../fulfillment/review';

import { hashUserKey } from '../log';

export type OpsDeps = Pick<FulfillDeps, 'database' | 'clock' | 'log'>;

export type OpsResult =
  | { ok: true; auditId: string; from: string; to: string }
  | { ok: false; error: string };

/** Find a user by our id or by Toss userKey. */
export async function findUser(deps: OpsDeps, idOrUserKey: string) {
  return deps.database.db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrUserKey), eb('user_key', '=', idOrUserKey)]))
    .executeTakeFirst();
}

export async function describeUser(deps: OpsDeps, idOrUserKey: string) {
  const user = await findUser(deps, idOrUserKey);
  if (!user) return null;
  const db = deps.database.db;
  const [lastSession, orders, wallets, walletEntries, entitlements, attempts] = await Promise.all([
    db
      .selectFrom('sessions')
      .select(['environment', 'created_at'])
      .where('user_id', '=', user.id)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom('orders')
      .selectAll()
      .where('user_id', '=', user.id)
      .orderBy('created_at', 'desc')
      .execute(),
    db.selectFrom('wallets').selectAll().where('user_id', '=', user.id).execute(),
    db
      .selectFrom('wallet_entries')
      .selectAll()
      .where('user_id', '=', user.id)
      .orderBy('created_at')
      .execute(),
    db.selectFrom('entitlements').selectAll().where('user_id', '=', user.id).orderBy('starts_at').execute(),
    db
      .selectFrom('fulfillment_attempts')
      .selectAll()
      .where('user_id', '=', user.id)
      .orderBy('created_at', 'desc')
      .limit(100)
      .execute(),
  ]);
  return {
    user: {
      id: user.id,
      userKeyHash: hashUserKey(user.user_key),
      createdAt: user.created_at,
      // Each order shows the environment it was claimed in (`orders[].environment`, null = unknown).
      lastLoginEnvironment: lastSession?.environment ?? null,
    },
    orders,
    wallets,
    walletEntries,
    entitlements,
    attempts,
  };
}

export async function describeOrder(deps: OpsDeps, orderId: string) {
  const db = deps.database.db;
  const [order, attempts, walletEntries, entitlements, audit] = await Promise.all([
    db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst(),
    db
      .selectFrom('fulfillment_attempts')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('wallet_entries')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('created_at')
      .execute(),
    db.selectFrom('entitlements').selectAll().where('order_id', '=', orderId).execute(),
    db.selectFrom('audit_log').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute(),
  ]);
  return { order: order ?? null, attempts, walletEntries, entitlements, audit };
}

async function audit(
  trx: Parameters<Parameters<typeof writeTransaction>[1]>[0],
  entry: {
    operator: string;
    action: string;
    orderId: string;
    userId: string;
    reason: string;
    detail: string;
    now: number;
  },
): Promise<string> {
  const id = randomUUID();
  await trx
    .insertInto('audit_log')
    .values({
      id,
      operator: entry.operator,
      action: entry.action,
      order_id: entry.orderId,
      user_id: entry.userId,
      reason: entry.reason,
      detail: entry.detail,
      created_at: isoAt(entry.now),
    })
    .execute();
  return id;
}

/** Read an order inside a write transaction, locked (PostgreSQL: its user's ledger, then the row; see database.ts). */
async function lockedOrder(database: AppDatabase, trx: Tx, orderId: string) {
  const owner = await trx
    .selectFrom('orders')
    .select('user_id')
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (owner) await lockLedgerRows(database, trx, owner.user_id);
  return trx
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .$call(forUpdate(database))
    .executeTakeFirst();
}

function knownRefunded(order: { toss_status: string | null; last_reason: string | null }): boolean {
  return order.toss_status === 'REFUNDED' || order.last_reason === 'REFUNDED';
}

/**
 * One operator decision on one order: a reason is required; in ONE write transaction the order is read locked and
 * `change` decides (and writes its audit row); the state change is logged once.
 */
async function operatorChange(
  deps: OpsDeps,
  input: { orderId: string; reason: string },
  missing: string,
  change: (trx: Tx, order: OrdersTable, now: number) => Promise<OpsResult>,
): Promise<OpsResult> {
  if (!input.reason.trim()) return { ok: false, error: 'a reason is required' };
  const now = deps.clock.now();
  const result = await writeTransaction(deps.database, async (trx): Promise<OpsResult> => {
    const order = await lockedOrder(deps.database, trx, input.orderId);
    return order ? change(trx, order, now) : { ok: false, error: missing };
  });
  logOperatorChange(deps, input.orderId, result);
  return result;
}

/** Grant an order again (after a revoke or a refusal), recording who and why. */
export async function operatorRegrant(
  deps: OpsDeps,
  input: { orderId: string; reason: string; operator: string },
): Promise<OpsResult> {
  const missing = 'order not in the ledger (never verified by Toss): use `recheck --apply`';
  return operatorChange(deps, input, missing, async (trx, order, now) => {
    if (order.state === 'GRANTED') return { ok: false, error: 'order is already granted' };
    if (order.state === 'HELD') return { ok: false, error: 'order is HELD: use `approve` or `deny`' };
    const product = await findProduct(trx, order.sku);
    if (!product) return { ok: false, error: `unknown sku ${order.sku}` };
    const auditId = await audit(trx, {
      operator: input.operator,
      action: 'regrant',
      orderId: order.order_id,
      userId: order.user_id,
      reason: input.reason,
      // What fulfill's refund path compares: only a re-grant made knowing the order was refunded is a goodwill grant
      // that a later refund re-check must not undo.
      detail: `from ${order.state}; toss_status ${order.toss_status ?? 'unknown'}; ${
        knownRefunded(order) ? REGRANT_KNOWN_REFUNDED : 'not known refunded'
      }`,
      now,
    });
    await applyGrant({
      trx,
      userId: order.user_id,
      orderId: order.order_id,
      product,
      subscriptionId: order.subscription_id,
      now,
      effectKey: `operator:${auditId}`,
      kind: 'OPERATOR_GRANT',
      reason: input.reason,
    });
    await trx
      .updateTable('orders')
      .set({
        state: 'GRANTED',
        last_reason: 'GRANTED',
        granted_at: isoAt(now),
        revoked_at: null,
        updated_at: isoAt(now),
      })
      .where('order_id', '=', order.order_id)
      .where('state', '=', order.state)
      .execute();
    return { ok: true, auditId, from: order.state, to: 'GRANTED' };
  });
}

/** One log line per state change an operator made (the same event the fulfillment function writes). */
function logOperatorChange(deps: OpsDeps, orderId: string, result: OpsResult) {
  if (!result.ok) return;
  deps.log.info('order.state_changed', {
    orderId,
    from: result.from,
    to: result.to,
    reason: 'OPERATOR',
    source: 'operator',
    auditId: result.auditId,
  });
}

/** Revoke a granted order (wallet credit reversed, entitlement revoked), recording who and why. */
export async function operatorRevoke(
  deps: OpsDeps,
  input: { orderId: string; reason: string; operator: string },
): Promise<OpsResult> {
  return operatorChange(deps, input, 'order not in the ledger', async (trx, order, now) => {
    if (order.state !== 'GRANTED') return { ok: false, error: `order is ${order.state}, not GRANTED` };
    const auditId = await audit(trx, {
      operator: input.operator,
      action: 'revoke',
      orderId: order.order_id,
      userId: order.user_id,
      reason: input.reason,
      detail: 'from GRANTED',
      now,
    });
    await revokeGrant({
      trx,
      userId: order.user_id,
      orderId: order.order_id,
      now,
      kind: 'OPERATOR_REVOKE',
      reason: input.reason,
    });
    await trx
      .updateTable('orders')
      .set({ state: 'REVOKED', last_reason: 'REVOKED', revoked_at: isoAt(now), updated_at: isoAt(now) })
      .where('order_id', '=', order.order_id)
      .where('state', '=', 'GRANTED')
      .execute();
    return { ok: true, auditId, from: 'GRANTED', to: 'REVOKED' };
  });
}

/**
 * Grant a HELD order on an operator's word — through `fulfill` (source `operator`), so it is the same exactly-once
 * grant as any other: Toss is asked first (a refunded order is not granted, it leaves the review list; Toss down →
 * try again later), and the `approve` audit row is written in the grant's transaction. A second approve grants nothing.
 * `sku` grants the SKU the console's settlement shows instead of the one claimed (the audit row records the change).
 */
export async function operatorApprove(
  deps: FulfillDeps,
  input: { orderId: string; reason: string; operator: string; sku?: string | undefined },
): Promise<OpsResult> {
  if (!input.reason.trim()) return { ok: false, error: 'a reason is required' };
  const db = deps.database.db;
  const order = await db
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', input.orderId)
    .executeTakeFirst();
  if (!order) return { ok: false, error: 'order not in the ledger' };
  if (order.state !== 'HELD') return { ok: false, error: `order is ${order.state}, not HELD` };
  const user = await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', order.user_id)
    .executeTakeFirstOrThrow();
  const result = await fulfill(deps, {
    user: { userId: user.id, userKey: user.user_key },
    orderId: order.order_id,
    sku: order.sku,
    source: 'operator',
    approval: { operator: input.operator, reason: input.reason, ...(input.sku ? { sku: input.sku } : {}) },
  });
  if (result.effect === 'granted' && result.auditId) {
    return { ok: true, auditId: result.auditId, from: 'HELD', to: 'GRANTED' };
  }
  const { reason, retryable } = result.output;
  return {
    ok: false,
    error: `not granted: ${reason}${retryable ? ' (Toss could not confirm now; try again later)' : ''}`,
  };
}

/** Refuse a HELD order for good (state REFUSED): later claims answer NOT_PAID and never grant. */
export async function operatorDeny(
  deps: OpsDeps,
  input: { orderId: string; reason: string; operator: string },
): Promise<OpsResult> {
  return operatorChange(deps, input, 'order not in the ledger', async (trx, order, now) => {
    if (order.state !== 'HELD') return { ok: false, error: `order is ${order.state}, not HELD` };
    const auditId = await audit(trx, {
      operator: input.operator,
      action: 'deny',
      orderId: order.order_id,
      userId: order.user_id,
      reason: input.reason,
      detail: `from HELD; hold_reason ${order.hold_reason ?? 'none'}; toss_status ${order.toss_status ?? 'unknown'}`,
      now,
    });
    await trx
      .updateTable('orders')
      .set({ state: 'REFUSED', last_reason: 'NOT_PAID', updated_at: isoAt(now) })
      .where('order_id', '=', order.order_id)
      .where('state', '=', 'HELD')
      .execute();
    return { ok: true, auditId, from: 'HELD', to: 'REFUSED' };
  });
}
