/**
 * A held order: bound to this user and SKU as HELD, once (a held order's later claims change nothing), and the caller
 * told UNDER_REVIEW. Never a grant, never dropped: `ops review` and reconcile list it until an operator decides or a
 * later check reads it paid (granted) or refunded (refused, nothing to revoke).
 */
import type { FulfillReason, OrderState } from '@ait-iap/iap-contract';
import { isoAt } from '../clock';
import { forUpdate, lockLedgerRows, writeTransaction } from '../db/database';
import type { HoldReason, Tx } from '../db/schema';
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

type HeldPlan = GrantPlan & { holdReason: HoldReason };

/** Binds the order HELD in one write transaction (with its attempt and audit rows) and answers UNDER_REVIEW. */
export async function holdOrder(call: FulfillCall, plan: HeldPlan): Promise<FulfillResult> {
  const { database } = call.deps;
  const { product, tossStatus, holdReason } = plan;
  const held = await writeTransaction(database, async (trx) => {
    await lockLedgerRows(database, trx, call.user.userId);
    const { outcome, from, keptReason } = await bindHeld(call, trx, plan);
    const auditId =
      from === undefined
        ? undefined
        : await call.request.audit?.(trx, {
            from,
            to: 'HELD',
            userId: call.user.userId,
            detail: `held: ${holdReason}; toss_status ${tossStatus}`,
          });
    // The reconcile job's routine re-check of a held order that stays held is not an attempt worth a row.
    const routine = call.request.source === 'reconcile' && outcome === 'UNDER_REVIEW' && from === undefined;
    if (!routine) {
      await recordAttempt(call, trx, outcome, {
        sku: product.sku,
        tossStatus,
        detail: outcome === 'UNDER_REVIEW' ? `held: ${keptReason ?? holdReason}` : null,
      });
    }
    return { outcome, from, auditId };
  });
  const sku = product.sku;
  if (held.from !== undefined) {
    logChange(
      call,
      { from: held.from, to: 'HELD', reason: 'UNDER_REVIEW', sku },
      { tossStatus, holdReason },
      'warn',
    );
  } else {
    logAttempt(call, held.outcome, {
      sku,
      tossStatus,
      detail: held.outcome === 'UNDER_REVIEW' ? 'still held' : null,
    });
  }
  return {
    output: answer(call.orderId, held.outcome, sku),
    effect: held.from !== undefined ? 'held' : 'none',
    ...(held.auditId ? { auditId: held.auditId } : {}),
  };
}

/**
 * Inside the transaction: insert the order HELD, or read it locked and hold it only if it is ours, for this SKU and
 * not settled. `from` is the state it left (null: new), undefined when nothing changed.
 */
async function bindHeld(call: FulfillCall, trx: Tx, plan: HeldPlan) {
  const { database } = call.deps;
  const { orderId } = call;
  const at = isoAt(call.deps.clock.now());
  const inserted = await trx
    .insertInto('orders')
    .values(
      newOrderRow(
        call,
        { state: 'HELD', product: plan.product, skuVerified: plan.skuVerified, holdReason: plan.holdReason },
        plan.tossStatus,
        at,
      ),
    )
    .onConflict((oc) => oc.column('order_id').doNothing())
    .executeTakeFirst();
  const row = await trx
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .$call(forUpdate(database))
    .executeTakeFirstOrThrow();
  let outcome: FulfillReason;
  let from: OrderState | null | undefined; // undefined: no state change
  if (row.user_id !== call.user.userId) outcome = 'ORDER_CONFLICT';
  else if (row.sku !== plan.product.sku) outcome = 'SKU_MISMATCH';
  else if (row.state === 'GRANTED') outcome = 'ALREADY_GRANTED';
  else if (row.state === 'REVOKED') outcome = 'REVOKED';
  else if (row.state === 'REFUSED') outcome = refusedReason(row);
  else {
    outcome = 'UNDER_REVIEW';
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) from = null;
    else if (row.state !== 'HELD') {
      await trx
        .updateTable('orders')
        .set({ state: 'HELD', last_reason: 'UNDER_REVIEW', hold_reason: plan.holdReason, updated_at: at })
        .where('order_id', '=', orderId)
        .where('state', '=', row.state)
        .execute();
      from = row.state;
    }
  }
  return { outcome, from, keptReason: row.hold_reason };
}
