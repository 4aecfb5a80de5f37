/**
 * One `fulfill` call's facts (who claims which order, what the ledger held) and what every step does with them:
 * the answer the caller is told, the `fulfillment_attempts` row every call leaves, and its one JSON log line.
 */
import { randomUUID } from 'node:crypto';
import {
  type FulfillOutput,
  type FulfillReason,
  type OrderStatus,
  retryableFulfillReasons,
} from '@ait-iap/iap-contract';
import type { InsertResult } from 'kysely';
import type { ProductRow } from '../catalog/products';
import { isoAt } from '../clock';
import type { FulfillmentAttemptsTable, HoldReason, OrdersTable, Tx } from '../db/schema';
import { hashUserKey } from '../log';
import type { FulfillDeps, FulfillRequest, FulfillResult } from './fulfill';
import { prepared } from './prepared';

const insertAttempt = prepared<FulfillmentAttemptsTable, InsertResult>((db, slot) =>
  db.insertInto('fulfillment_attempts').values({
    id: slot('id'),
    order_id: slot('order_id'),
    user_id: slot('user_id'),
    sku: slot('sku'),
    source: slot('source'),
    outcome: slot('outcome'),
    retryable: slot('retryable'),
    toss_status: slot('toss_status'),
    detail: slot('detail'),
    created_at: slot('created_at'),
  }),
);

/** What step 1 (the ledger) found, read by every later step. */
export interface FulfillCall {
  deps: FulfillDeps;
  request: FulfillRequest;
  orderId: string;
  user: FulfillRequest['user'];
  /** The SKU the client named, aliases resolved for the session's environment. */
  clientSku: string;
  /** The order is bound to ANOTHER user: carried on as if never seen, recorded as ORDER_CONFLICT. */
  foreign: boolean;
  /** This user's order row, if the ledger has one (another user's reads as none). */
  existing: OrdersTable | undefined;
}

/** What an attempt row and its log line say beside the outcome. */
export interface AttemptFields {
  sku: string;
  tossStatus?: string | null;
  detail?: string | null;
}

/** What the caller is told. ORDER_CONFLICT is never told: another user's order is answered like an unknown one. */
export function answer(orderId: string, reason: FulfillReason, sku?: string): FulfillOutput {
  const told: FulfillReason = reason === 'ORDER_CONFLICT' ? 'ORDER_NOT_FOUND' : reason;
  const granted = told === 'GRANTED' || told === 'ALREADY_GRANTED';
  return {
    granted,
    reason: told,
    retryable: retryableFulfillReasons.includes(told),
    orderId,
    ...(sku === undefined || told === 'ORDER_NOT_FOUND' ? {} : { sku }),
  };
}

/** The answer for an order this server refused before (operator deny, or refunded before it was granted). */
export function refusedReason(order: Pick<OrdersTable, 'last_reason'>): FulfillReason {
  return order.last_reason === 'REFUNDED' ? 'REFUNDED' : 'NOT_PAID';
}

/** A foreign claim is recorded as what it is (ORDER_CONFLICT), whatever it was answered. */
function recordedReason(call: FulfillCall, outcome: FulfillReason): FulfillReason {
  return call.foreign ? 'ORDER_CONFLICT' : outcome;
}

/** Writes this call's `fulfillment_attempts` row (what ops, the reconcile job and the FAILED evidence read). */
export async function recordAttempt(
  call: FulfillCall,
  trx: Tx,
  outcome: FulfillReason,
  fields: AttemptFields,
): Promise<void> {
  const { orderId, user, request } = call;
  const recorded = recordedReason(call, outcome);
  const detail = call.foreign
    ? `order bound to another user; answered ${answer(orderId, outcome).reason}`
    : (fields.detail ?? null);
  await insertAttempt(trx, {
    id: randomUUID(),
    order_id: orderId,
    user_id: user.userId,
    sku: fields.sku.slice(0, 64),
    source: request.source,
    outcome: recorded,
    retryable: retryableFulfillReasons.includes(recorded) ? 1 : 0,
    toss_status: fields.tossStatus ?? null,
    detail,
    created_at: isoAt(call.deps.clock.now()),
  });
}

/** Logs the attempt (`fulfill.attempt`); a conflict or a SKU mismatch at warn, for operators. */
export function logAttempt(call: FulfillCall, outcome: FulfillReason, fields: AttemptFields): void {
  const { orderId, user, request } = call;
  const recorded = recordedReason(call, outcome);
  const level = recorded === 'ORDER_CONFLICT' || recorded === 'SKU_MISMATCH' ? 'warn' : 'info';
  call.deps.log[level]('fulfill.attempt', {
    orderId,
    userId: user.userId,
    userKeyHash: hashUserKey(user.userKey),
    sku: fields.sku,
    source: request.source,
    outcome: recorded,
    answered: answer(orderId, outcome).reason,
    tossStatus: fields.tossStatus ?? null,
    detail: fields.detail ?? null,
  });
}

/** Answers without changing the order: records the attempt, logs it, tells the caller `reason`. */
export async function finish(
  call: FulfillCall,
  reason: FulfillReason,
  fields: AttemptFields & { answerSku?: string },
): Promise<FulfillResult> {
  // A bare write (one statement, its own commit): no money moves here, so if another process holds the lock past
  // the short stall the call fails and the client asks again. The evidence of a paid read is kept, waiting.
  await recordAttempt(call, call.deps.database.db, reason, fields);
  logAttempt(call, reason, fields);
  return { output: answer(call.orderId, reason, fields.answerSku), effect: 'none' };
}

/** Logs a state change of the order (`order.state_changed`), one line each; HELD at warn. */
export function logChange(
  call: FulfillCall,
  change: { from: string | null; to: string; reason: FulfillReason; sku: string },
  extra: object = {},
  level: 'info' | 'warn' = 'info',
): void {
  const { orderId, user, request } = call;
  call.deps.log[level]('order.state_changed', {
    orderId,
    userId: user.userId,
    userKeyHash: hashUserKey(user.userKey),
    sku: change.sku,
    from: change.from,
    to: change.to,
    reason: change.reason,
    source: request.source,
    ...extra,
  });
}

/** The row of an order bound now (GRANTED, or HELD with its reason), as Toss read it. */
export function newOrderRow(
  call: FulfillCall,
  bound: {
    state: 'GRANTED' | 'HELD';
    product: ProductRow;
    skuVerified: number;
    holdReason: HoldReason | null;
  },
  tossStatus: OrderStatus,
  at: string,
): OrdersTable {
  const { state, product } = bound;
  return {
    order_id: call.orderId,
    user_id: call.user.userId,
    sku: product.sku,
    product_type: product.type,
    state,
    last_reason: state === 'HELD' ? 'UNDER_REVIEW' : 'GRANTED',
    toss_status: tossStatus,
    sku_verified: bound.skuVerified,
    subscription_id: call.request.subscriptionId ?? null,
    created_at: at,
    updated_at: at,
    granted_at: state === 'GRANTED' ? at : null,
    revoked_at: null,
    checked_at: null,
    hold_reason: bound.holdReason,
    sale_price: product.sale_price,
    environment: call.user.environment ?? null,
  };
}
