/**
 * Step 3 of `fulfill`: verify with Toss, as the SESSION user (get-order-status under their userKey), and apply
 * `decideGrant` with the evidence this server holds. Nothing is bound to the user before Toss answers: no reading
 * (unreachable, 5xx, timeout, malformed, or a FAIL answer) → UPSTREAM_UNAVAILABLE, retryable. A refund is revoked here
 * (fulfill-refund.ts); only a reading that may grant or hold goes on.
 */
import {
  decideGrant,
  type FulfillReason,
  type OrderStatus,
  type OrderStatusSuccess,
  paidStatuses,
} from '@ait-iap/iap-contract';
import type { Tx } from '../db/schema';
import { TossError } from '../toss/client';
import type { FulfillResult } from './fulfill';
import { type FulfillCall, finish } from './fulfill-call';
import { revokeRefunded } from './fulfill-refund';

/** Toss's reading of a paid order, the one that goes on to step 4: grant, or hold (FAILED, never seen paid). */
export interface TossReading {
  verified: OrderStatusSuccess;
  tossStatus: OrderStatus;
  decision: 'grant' | 'hold';
}

const refuseReason: Partial<Record<OrderStatus, FulfillReason>> = {
  NOT_FOUND: 'ORDER_NOT_FOUND',
  MINIAPP_MISMATCH: 'MINIAPP_MISMATCH',
};

/** The evidence `decideGrant` needs for FAILED: did an earlier attempt by this user record Toss reading it paid? */
export async function seenPaid(db: Tx, orderId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('fulfillment_attempts')
    .select('id')
    .where('order_id', '=', orderId)
    .where('user_id', '=', userId)
    .where('toss_status', 'in', [...paidStatuses])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Asks Toss; answers here every reading that grants nothing (retry, refuse, drift, refund), else the reading. */
export async function verifyWithToss(call: FulfillCall): Promise<FulfillResult | TossReading> {
  const { orderId, user, clientSku, existing } = call;
  let verified: OrderStatusSuccess;
  try {
    verified = await call.deps.toss.getOrderStatus({ userKey: user.userKey, orderId });
  } catch (error) {
    if (!(error instanceof TossError)) throw error;
    return finish(call, 'UPSTREAM_UNAVAILABLE', {
      sku: clientSku,
      detail: `${error.kind}${error.errorCode ? `:${error.errorCode}` : ''} after ${error.attempts} attempt(s)`,
    });
  }
  if (verified.orderId !== orderId) {
    return finish(call, 'UPSTREAM_UNAVAILABLE', {
      sku: clientSku,
      detail: 'partner answered for another orderId',
    });
  }
  const tossStatus = verified.status;
  // FAILED + seen paid → grant; FAILED alone → hold.
  const evidence = {
    seenPaid: tossStatus === 'FAILED' && (await seenPaid(call.deps.database.db, orderId, user.userId)),
  };
  const decision = decideGrant(tossStatus, evidence);
  if (decision === 'retry') {
    return finish(call, tossStatus === 'ORDER_IN_PROGRESS' ? 'PAYMENT_IN_PROGRESS' : 'UPSTREAM_UNAVAILABLE', {
      sku: clientSku,
      tossStatus,
    });
  }
  if ((decision === 'refuse' || decision === 'hold') && existing?.state === 'GRANTED') {
    // Granted before; Toss now reads FAILED/NOT_FOUND (e.g. the grant callback's answer was lost). Not a refund:
    // keep the grant, flag it for operators.
    call.deps.log.warn('order.status_drift', {
      orderId,
      userId: user.userId,
      state: existing.state,
      tossStatus,
    });
    return finish(call, 'ALREADY_GRANTED', {
      sku: existing.sku,
      tossStatus,
      answerSku: existing.sku,
      detail: 'status drift',
    });
  }
  // A HELD order stays held (an operator decides); the caller is told what Toss said.
  if (decision === 'refuse')
    return finish(call, refuseReason[tossStatus] ?? 'NOT_PAID', { sku: clientSku, tossStatus });
  if (decision === 'revoke') return revokeRefunded(call, tossStatus);
  return { verified, tossStatus, decision };
}
