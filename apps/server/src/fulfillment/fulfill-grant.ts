/**
 * Step 5 of `fulfill`: bind and grant in ONE write transaction, exactly once. A new order is INSERTed already GRANTED
 * (ON CONFLICT DO NOTHING … RETURNING) with its grant; an existing one is read locked and, only if it is ours, for this
 * SKU (or an approval's) and still unsettled (RECEIVED or HELD), granted and marked GRANTED by one UPDATE guarded by its
 * state (an operator's approval writes its audit row in the same transaction). Concurrent and repeated calls
 * therefore grant once.
 */
import type { FulfillReason } from '@ait-iap/iap-contract';
import { isoAt } from '../clock';
import { forUpdate, lockLedgerRows, writeTransaction } from '../db/database';
import type { OrdersTable, Tx } from '../db/schema';
import type { FulfillResult } from './fulfill';
import {
  answer,
  type FulfillCall,
  logAttempt,
  logChange,
  newOrderRow,
  recordAttempt,
  refusedReason,
} from './fulfill-call';
import type { GrantPlan } from './fulfill-decide';
import { applyGrant } from './grants';
import { prepared } from './prepared';

/** INSERT … ON CONFLICT DO NOTHING RETURNING: a row back only if this call inserted the order. */
const insertNewOrder = prepared<OrdersTable, { order_id: string }>((db, slot) =>
  db
    .insertInto('orders')
    .values({
      order_id: slot('order_id'),
      user_id: slot('user_id'),
      sku: slot('sku'),
      product_type: slot('product_type'),
      state: slot('state'),
      last_reason: slot('last_reason'),
      toss_status: slot('toss_status'),
      sku_verified: slot('sku_verified'),
      subscription_id: slot('subscription_id'),
      created_at: slot('created_at'),
      updated_at: slot('updated_at'),
      granted_at: slot('granted_at'),
      revoked_at: slot('revoked_at'),
      checked_at: slot('checked_at'),
      hold_reason: slot('hold_reason'),
      sale_price: slot('sale_price'),
      environment: slot('environment'),
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .returning('order_id'),
);

interface Granted {
  reason: FulfillReason;
  from: string | null;
  auditId?: string;
}

/** Grants the paid order once (or answers what the locked row says), then logs the change and answers. */
export async function bindAndGrant(call: FulfillCall, plan: GrantPlan): Promise<FulfillResult> {
  const { product, tossStatus, skuVerified } = plan;
  let outcome: Granted;
  try {
    outcome = await writeTransaction(call.deps.database, async (trx) => {
      // PostgreSQL (READ COMMITTED): lock this user's ledger, then insert-or-wait on the order's primary key, then
      // lock the order row: a concurrent call for the same order waits here and then reads GRANTED.
      await lockLedgerRows(call.deps.database, trx, call.user.userId);
      const at = isoAt(call.deps.clock.now());
      // An approval is always of an existing (HELD) order.
      const inserted = plan.approval === null ? await insertGranted(call, trx, plan, at) : undefined;
      return inserted ?? (await grantExisting(call, trx, plan, at));
    });
  } catch (error) {
    await keepEvidence(call, plan, error);
    throw error;
  }
  if (outcome.reason === 'GRANTED') {
    logChange(
      call,
      { from: outcome.from, to: 'GRANTED', reason: 'GRANTED', sku: product.sku },
      {
        tossStatus,
        skuVerified: skuVerified === 1,
        ...(outcome.auditId ? { auditId: outcome.auditId } : {}),
      },
    );
  } else if (outcome.reason === 'ORDER_CONFLICT' || outcome.reason === 'SKU_MISMATCH') {
    logAttempt(call, outcome.reason, { sku: product.sku, tossStatus });
  }
  return {
    output: answer(call.orderId, outcome.reason, product.sku),
    effect: outcome.reason === 'GRANTED' ? 'granted' : 'none',
    ...(outcome.auditId ? { auditId: outcome.auditId } : {}),
  };
}

/**
 * A new order, the common case: inserted already GRANTED, its grant and attempt in the same transaction, so the row is
 * written once and never read back. If the order exists (held, another user's, or inserted by a concurrent call that
 * this insert waited for), nothing is inserted (undefined) and `grantExisting` decides.
 */
async function insertGranted(
  call: FulfillCall,
  trx: Tx,
  plan: GrantPlan,
  at: string,
): Promise<Granted | undefined> {
  const { orderId, user, request } = call;
  const { product, tossStatus, skuVerified } = plan;
  const row = newOrderRow(call, { state: 'GRANTED', product, skuVerified, holdReason: null }, tossStatus, at);
  const [inserted] = (await insertNewOrder(trx, row)).rows;
  if (!inserted) return undefined;
  await applyGrant({
    trx,
    userId: user.userId,
    orderId,
    product,
    subscriptionId: request.subscriptionId ?? null,
    now: call.deps.clock.now(),
    effectKey: `grant:${orderId}`,
    kind: 'GRANT',
  });
  await recordAttempt(call, trx, 'GRANTED', {
    sku: product.sku,
    tossStatus,
    detail: skuVerified ? null : 'sku not verified',
  });
  const auditId = await request.audit?.(trx, {
    from: null,
    to: 'GRANTED',
    userId: user.userId,
    detail: `new order; toss_status ${tossStatus}`,
  });
  return { reason: 'GRANTED', from: null, ...(auditId ? { auditId } : {}) };
}

/** An existing order, read locked: granted only if it is ours, for this SKU (or an approval's) and not settled. */
async function grantExisting(call: FulfillCall, trx: Tx, plan: GrantPlan, at: string): Promise<Granted> {
  const { orderId, user } = call;
  const { product, tossStatus, skuVerified, approval } = plan;
  const row = await trx
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .$call(forUpdate(call.deps.database))
    .executeTakeFirstOrThrow();
  let reason: FulfillReason;
  let from: string | null = null;
  let auditId: string | undefined;
  if (row.user_id !== user.userId) reason = 'ORDER_CONFLICT';
  else if (row.sku !== product.sku && plan.approvedSku === null) reason = 'SKU_MISMATCH';
  else if (row.state === 'GRANTED') reason = 'ALREADY_GRANTED';
  else if (row.state === 'REVOKED') reason = 'REVOKED';
  else if (row.state === 'REFUSED') reason = refusedReason(row);
  else {
    from = call.existing ? row.state : null;
    auditId = await call.request.audit?.(trx, {
      from: row.state,
      to: 'GRANTED',
      userId: user.userId,
      detail: `from ${row.state}; hold_reason ${row.hold_reason ?? 'none'}; toss_status ${tossStatus}${
        row.sku === product.sku ? '' : `; sku ${row.sku} -> ${product.sku}`
      }`,
    });
    await applyGrant({
      trx,
      userId: user.userId,
      orderId,
      product,
      subscriptionId: row.subscription_id ?? call.request.subscriptionId ?? null,
      now: call.deps.clock.now(),
      // The same key for a claim's grant and an operator's approval: at most one of them ever lands.
      effectKey: `grant:${orderId}`,
      kind: approval ? 'OPERATOR_GRANT' : 'GRANT',
      ...(approval ? { reason: approval.reason } : {}),
    });
    await markGranted(call, trx, row, plan, at);
    reason = 'GRANTED';
  }
  await recordAttempt(call, trx, reason, {
    sku: product.sku,
    tossStatus,
    detail: approval ? 'operator approval' : skuVerified ? null : 'sku not verified',
  });
  return { reason, from, ...(auditId ? { auditId } : {}) };
}

/** One UPDATE guarded by the state read locked; anything else changing it inside this transaction is a bug. */
async function markGranted(
  call: FulfillCall,
  trx: Tx,
  row: Pick<OrdersTable, 'state' | 'sku' | 'sale_price'>,
  plan: GrantPlan,
  at: string,
): Promise<void> {
  const { product } = plan;
  const updated = await trx
    .updateTable('orders')
    .set({
      state: 'GRANTED',
      last_reason: 'GRANTED',
      toss_status: plan.tossStatus,
      sku_verified: plan.skuVerified,
      // An approval may correct the SKU to what the settlement shows.
      sku: product.sku,
      product_type: product.type,
      sale_price: row.sku === product.sku ? (row.sale_price ?? product.sale_price) : product.sale_price,
      granted_at: at,
      updated_at: at,
    })
    .where('order_id', '=', call.orderId)
    .where('state', '=', row.state)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1)
    throw new Error(`order ${call.orderId} changed inside its own transaction`);
}

/**
 * Nothing committed. Keep the evidence that Toss read this order (it may be paid), so that a later FAILED reading is
 * still granted (under the staff's reading the app's false answer turns it FAILED), and so that the reconcile job
 * retries it (retryable) even if the app never comes back.
 */
async function keepEvidence(call: FulfillCall, plan: GrantPlan, error: unknown): Promise<void> {
  const { deps, orderId } = call;
  const message = error instanceof Error ? error.message : String(error);
  deps.log.error('fulfill.grant_failed', {
    orderId,
    userId: call.user.userId,
    tossStatus: plan.tossStatus,
    error: message,
  });
  await writeTransaction(deps.database, (trx) =>
    recordAttempt(call, trx, 'UPSTREAM_UNAVAILABLE', {
      sku: plan.product.sku,
      tossStatus: plan.tossStatus,
      detail: `grant not committed: ${message}`.slice(0, 500),
    }),
  ).catch((evidenceError: unknown) =>
    deps.log.error('fulfill.evidence_not_recorded', {
      orderId,
      error: evidenceError instanceof Error ? evidenceError.message : String(evidenceError),
    }),
  );
}
