/**
 * Toss reads a bound order refunded (`decideGrant` → revoke): a GRANTED order is revoked and a HELD one refused, in
 * ONE write transaction with its attempt (and audit) row, once — unless an operator re-granted it knowing it was
 * refunded (a goodwill grant is not undone).
 */
import type { OrderState, OrderStatus } from '@ait-iap/iap-contract';
import { isoAt } from '../clock';
import { forUpdate, lockLedgerRows, writeTransaction } from '../db/database';
import type { OrdersTable, Tx } from '../db/schema';
import type { FulfillResult } from './fulfill';
import { answer, type FulfillCall, finish, logChange, recordAttempt } from './fulfill-call';
import { revokeGrant } from './grants';

/** Marker in a `regrant` audit row's detail: the operator re-granted an order they knew was refunded (goodwill). */
export const REGRANT_KNOWN_REFUNDED = 'knownRefunded';

/** Revokes (GRANTED) or refuses (HELD) the refunded order once, and answers REFUNDED. */
export async function revokeRefunded(call: FulfillCall, tossStatus: OrderStatus): Promise<FulfillResult> {
  const { existing, orderId } = call;
  if (!existing) return finish(call, 'REFUNDED', { sku: call.clientSku, tossStatus });
  const { database } = call.deps;
  const revoked = await writeTransaction(database, async (trx) => {
    await lockLedgerRows(database, trx, existing.user_id);
    const row = await trx
      .selectFrom('orders')
      .selectAll()
      .where('order_id', '=', orderId)
      .$call(forUpdate(database))
      .executeTakeFirstOrThrow();
    if (row.state === 'REVOKED' || row.state === 'REFUSED' || row.user_id !== call.user.userId) return null;
    if ((await regrantedKnowingRefunded(trx, orderId)) && row.state === 'GRANTED') return null;
    return revokeRow(call, trx, row, tossStatus);
  });
  if (!revoked) return { output: answer(orderId, 'REFUNDED', existing.sku), effect: 'none' };
  logChange(call, { from: revoked.from, to: revoked.to, reason: 'REFUNDED', sku: existing.sku });
  return {
    output: answer(orderId, 'REFUNDED', existing.sku),
    effect: revoked.to === 'REVOKED' ? 'revoked' : 'none',
    ...(revoked.auditId ? { auditId: revoked.auditId } : {}),
  };
}

/**
 * An operator re-granted this order knowing it was refunded (a goodwill grant): don't undo their decision. A
 * re-grant that did not know (e.g. after an unrelated operator revoke) does not exempt a later refund.
 */
async function regrantedKnowingRefunded(trx: Tx, orderId: string): Promise<boolean> {
  const regrants = await trx
    .selectFrom('audit_log')
    .select('detail')
    .where('order_id', '=', orderId)
    .where('action', '=', 'regrant')
    .execute();
  return regrants.some((r) => (r.detail ?? '').split('; ').includes(REGRANT_KNOWN_REFUNDED));
}

/** Inside the transaction: reverse the grant (if any), move the row out of GRANTED/HELD, record the attempt. */
async function revokeRow(call: FulfillCall, trx: Tx, row: OrdersTable, tossStatus: OrderStatus) {
  const { orderId, user } = call;
  const at = isoAt(call.deps.clock.now());
  if (row.state === 'GRANTED') {
    await revokeGrant({
      trx,
      userId: user.userId,
      orderId,
      now: call.deps.clock.now(),
      kind: 'REVOKE',
      reason: 'refunded',
    });
  }
  // A HELD order refunded: nothing was granted, nothing to revoke; it leaves the review list.
  const to: OrderState = row.state === 'GRANTED' ? 'REVOKED' : 'REFUSED';
  await trx
    .updateTable('orders')
    .set({
      state: to,
      last_reason: 'REFUNDED',
      toss_status: tossStatus,
      updated_at: at,
      revoked_at: to === 'REVOKED' ? at : null,
    })
    .where('order_id', '=', orderId)
    .where('state', '=', row.state)
    .execute();
  await recordAttempt(call, trx, 'REFUNDED', { sku: row.sku, tossStatus });
  const auditId = await call.request.audit?.(trx, {
    from: row.state,
    to,
    userId: user.userId,
    detail: `from ${row.state}; toss_status ${tossStatus}`,
  });
  return { from: row.state, to, auditId };
}
