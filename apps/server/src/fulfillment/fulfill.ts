/**
 * THE fulfillment function — where a paid order becomes a grant. Reached from `iap.fulfill` (the grant callback and
 * pending-order recovery), `iap.sync` and the reconcile job. YOU PROBABLY DON'T NEED TO EDIT THIS FILE: what a SKU
 * grants lives in `grants.ts`, which this calls inside the transaction.
 *
 * 1. Ledger first: an order already bound to another user → ORDER_CONFLICT; already granted to this user →
 *    ALREADY_GRANTED without asking Toss again (the grant callback can be retried even while Toss is down).
 * 2. Validate the SKU (aliases resolved): it must be in the products table in ANY state. A SKU retired from the
 *    catalog (active = 0) is still known: deactivation only stops new sales, a paid order for it is still granted.
 * 3. Verify with Toss (get-order-status, scoped to the SESSION user's userKey) and apply `decideGrant`.
 *    Toss unreachable / 5xx / timeout / malformed → UPSTREAM_UNAVAILABLE, retryable; nothing is bound to the user.
 * 4. In ONE write transaction: INSERT the order (ON CONFLICT DO NOTHING), re-read it, and only if it is ours and
 *    not yet granted, apply the grant and mark it GRANTED. Concurrent and repeated calls therefore grant once.
 * Every call records a row in `fulfillment_attempts` (what ops and the reconcile job read) and state changes log
 * one JSON line each.
 */
import { randomUUID } from 'node:crypto';
import {
  decideGrant,
  type FulfillOutput,
  type FulfillReason,
  type OrderStatus,
  type OrderStatusSuccess,
  retryableFulfillReasons,
} from '@ait-iap/iap-contract';
import { canonicalSku, findProduct, type ProductRow } from '../catalog/products';
import { isoAt } from '../clock';
import { forUpdate, lockLedgerRows, writeTransaction } from '../db/database';
import type { OrdersTable, Tx } from '../db/schema';
import { hashUserKey } from '../log';
import { TossError } from '../toss/client';
import type { AppDeps } from '../trpc';
import { applyGrant, revokeGrant } from './grants';

export type FulfillDeps = Pick<AppDeps, 'database' | 'toss' | 'clock' | 'log'> & {
  /** `toss.requireVerifiedSku` (TOSS_REQUIRE_VERIFIED_SKU); absent = false. */
  config?: { toss: { requireVerifiedSku: boolean } };
};

/** Marker in a `regrant` audit row's detail: the operator re-granted an order they knew was refunded (goodwill). */
export const REGRANT_KNOWN_REFUNDED = 'knownRefunded';

/** Where a fulfillment came from (recorded on each attempt). */
export type FulfillSource = 'client' | 'sync' | 'reconcile' | 'operator';

export interface FulfillRequest {
  user: { userId: string; userKey: string };
  orderId: string;
  sku: string;
  subscriptionId?: string | undefined;
  source: FulfillSource;
  /** Ask Toss even when the ledger already says GRANTED (sync and reconcile: to discover refunds). */
  recheckGranted?: boolean;
}

export interface FulfillResult {
  output: FulfillOutput;
  /** What this call changed: used by sync/reconcile to report. */
  effect: 'granted' | 'revoked' | 'none';
}

const refuseReason: Partial<Record<OrderStatus, FulfillReason>> = {
  FAILED: 'NOT_PAID',
  NOT_FOUND: 'ORDER_NOT_FOUND',
  MINIAPP_MISMATCH: 'MINIAPP_MISMATCH',
};

function answer(orderId: string, reason: FulfillReason, sku?: string): FulfillOutput {
  const granted = reason === 'GRANTED' || reason === 'ALREADY_GRANTED';
  return {
    granted,
    reason,
    retryable: retryableFulfillReasons.includes(reason),
    orderId,
    ...(sku === undefined ? {} : { sku }),
  };
}

export async function fulfill(deps: FulfillDeps, request: FulfillRequest): Promise<FulfillResult> {
  const { database, log } = deps;
  const db = database.db;
  const { orderId, user } = request;
  const now = () => deps.clock.now();

  const recordAttempt = async (
    trx: Tx,
    outcome: FulfillReason,
    fields: { sku: string; tossStatus?: string | null; detail?: string | null },
  ) => {
    await trx
      .insertInto('fulfillment_attempts')
      .values({
        id: randomUUID(),
        order_id: orderId,
        user_id: user.userId,
        sku: fields.sku.slice(0, 64),
        source: request.source,
        outcome,
        retryable: retryableFulfillReasons.includes(outcome) ? 1 : 0,
        toss_status: fields.tossStatus ?? null,
        detail: fields.detail ?? null,
        created_at: isoAt(now()),
      })
      .execute();
  };
  const finish = async (
    reason: FulfillReason,
    fields: { sku: string; tossStatus?: string | null; detail?: string | null; answerSku?: string },
  ): Promise<FulfillResult> => {
    await recordAttempt(db, reason, fields);
    const level = reason === 'ORDER_CONFLICT' || reason === 'SKU_MISMATCH' ? 'warn' : 'info';
    log[level]('fulfill.attempt', {
      orderId,
      userId: user.userId,
      userKeyHash: hashUserKey(user.userKey),
      sku: fields.sku,
      source: request.source,
      outcome: reason,
      tossStatus: fields.tossStatus ?? null,
      detail: fields.detail ?? null,
    });
    return { output: answer(orderId, reason, fields.answerSku), effect: 'none' };
  };
  const logChange = (
    from: string | null,
    to: string,
    reason: FulfillReason,
    sku: string,
    extra: object = {},
  ) =>
    log.info('order.state_changed', {
      orderId,
      userId: user.userId,
      userKeyHash: hashUserKey(user.userKey),
      sku,
      from,
      to,
      reason,
      source: request.source,
      ...extra,
    });

  // 1. Ledger first.
  const clientSku = await canonicalSku(db, request.sku);
  const existing = await db
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (existing && existing.user_id !== user.userId) return finish('ORDER_CONFLICT', { sku: clientSku });
  if (existing && existing.sku !== clientSku) {
    return finish('SKU_MISMATCH', { sku: clientSku, detail: `order is for ${existing.sku}` });
  }
  if (existing?.state === 'REVOKED') return finish('REVOKED', { sku: existing.sku, answerSku: existing.sku });
  if (existing?.state === 'GRANTED' && !request.recheckGranted) {
    return finish('ALREADY_GRANTED', { sku: existing.sku, answerSku: existing.sku });
  }

  // 2. Validate the SKU the client named: known = ever in the catalog (a retired SKU's paid orders still grant).
  const clientProduct = await findProduct(db, clientSku);
  if (!clientProduct && !existing) return finish('UNKNOWN_SKU', { sku: clientSku });

  // 3. Verify with Toss, as the session user.
  let verified: OrderStatusSuccess;
  try {
    verified = await deps.toss.getOrderStatus({ userKey: user.userKey, orderId });
  } catch (error) {
    if (!(error instanceof TossError)) throw error;
    return finish('UPSTREAM_UNAVAILABLE', {
      sku: clientSku,
      detail: `${error.kind}${error.errorCode ? `:${error.errorCode}` : ''} after ${error.attempts} attempt(s)`,
    });
  }
  if (verified.orderId !== orderId) {
    return finish('UPSTREAM_UNAVAILABLE', { sku: clientSku, detail: 'partner answered for another orderId' });
  }
  const tossStatus = verified.status;
  const decision = decideGrant(tossStatus);

  if (decision === 'retry') {
    return finish(tossStatus === 'ORDER_IN_PROGRESS' ? 'PAYMENT_IN_PROGRESS' : 'UPSTREAM_UNAVAILABLE', {
      sku: clientSku,
      tossStatus,
    });
  }

  if (decision === 'refuse') {
    if (existing?.state === 'GRANTED') {
      // Granted before; Toss now reads FAILED/NOT_FOUND (e.g. the grant callback's answer was lost). Not a refund:
      // keep the grant, flag it for operators.
      log.warn('order.status_drift', { orderId, userId: user.userId, state: existing.state, tossStatus });
      return finish('ALREADY_GRANTED', {
        sku: existing.sku,
        tossStatus,
        answerSku: existing.sku,
        detail: 'status drift',
      });
    }
    return finish(refuseReason[tossStatus] ?? 'NOT_PAID', { sku: clientSku, tossStatus });
  }

  if (decision === 'revoke') {
    if (!existing) return finish('REFUNDED', { sku: clientSku, tossStatus });
    const revoked = await writeTransaction(database, async (trx) => {
      await lockLedgerRows(database, trx, existing.user_id);
      const row = await trx
        .selectFrom('orders')
        .selectAll()
        .where('order_id', '=', orderId)
        .$call(forUpdate(database))
        .executeTakeFirstOrThrow();
      if (row.state === 'REVOKED' || row.user_id !== user.userId) return null;
      // An operator re-granted this order knowing it was refunded (a goodwill grant): don't undo their decision.
      // A re-grant that did not know (e.g. after an unrelated operator revoke) does not exempt a later refund.
      const regrants = await trx
        .selectFrom('audit_log')
        .select('detail')
        .where('order_id', '=', orderId)
        .where('action', '=', 'regrant')
        .execute();
      const goodwill = regrants.some((r) => (r.detail ?? '').split('; ').includes(REGRANT_KNOWN_REFUNDED));
      if (goodwill && row.state === 'GRANTED') return null;
      const at = isoAt(now());
      if (row.state === 'GRANTED') {
        await revokeGrant({
          trx,
          userId: user.userId,
          orderId,
          now: now(),
          kind: 'REVOKE',
          reason: 'refunded',
        });
      }
      const to = row.state === 'GRANTED' ? 'REVOKED' : 'REFUSED';
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
      await recordAttempt(trx, 'REFUNDED', { sku: row.sku, tossStatus });
      return { from: row.state, to };
    });
    if (!revoked) return { output: answer(orderId, 'REFUNDED', existing.sku), effect: 'none' };
    logChange(revoked.from, revoked.to, 'REFUNDED', existing.sku);
    return {
      output: answer(orderId, 'REFUNDED', existing.sku),
      effect: revoked.to === 'REVOKED' ? 'revoked' : 'none',
    };
  }

  // decision === 'grant': the order is paid, and it is this user's (Toss answered under their userKey).
  const verifiedSku = verified.sku === undefined ? null : await canonicalSku(db, verified.sku);
  const orderSku = existing?.sku ?? verifiedSku ?? clientSku;
  if (verifiedSku !== null && verifiedSku !== clientSku) {
    return finish('SKU_MISMATCH', { sku: clientSku, tossStatus, detail: `Toss says ${verifiedSku}` });
  }
  if (existing?.state === 'GRANTED') {
    // Re-check of a granted order (sync/reconcile): still paid, nothing to do — even if its SKU was retired since.
    // Routine reconcile re-checks are not attempts worth a row (reconcile notes `orders.checked_at`).
    if (request.source === 'reconcile')
      return { output: answer(orderId, 'ALREADY_GRANTED', existing.sku), effect: 'none' };
    return finish('ALREADY_GRANTED', { sku: existing.sku, tossStatus, answerSku: existing.sku });
  }
  if (verifiedSku === null && deps.config?.toss.requireVerifiedSku) {
    return finish('SKU_MISMATCH', {
      sku: clientSku,
      tossStatus,
      detail: 'Toss did not state the SKU (TOSS_REQUIRE_VERIFIED_SKU)',
    });
  }
  const product: ProductRow | undefined = await findProduct(db, orderSku);
  if (!product) return finish('UNKNOWN_SKU', { sku: orderSku, tossStatus });
  const skuVerified = verifiedSku !== null ? 1 : 0;

  // 4. One transaction: bind + grant, exactly once.
  const outcome = await writeTransaction(database, async (trx) => {
    // PostgreSQL (READ COMMITTED): lock this user's ledger, then insert-or-wait on the order's primary key, then
    // lock the order row: a concurrent call for the same order waits here and then reads GRANTED.
    await lockLedgerRows(database, trx, user.userId);
    const at = isoAt(now());
    const values: OrdersTable = {
      order_id: orderId,
      user_id: user.userId,
      sku: product.sku,
      product_type: product.type,
      state: 'RECEIVED',
      last_reason: null,
      toss_status: tossStatus,
      sku_verified: skuVerified,
      subscription_id: request.subscriptionId ?? null,
      created_at: at,
      updated_at: at,
      granted_at: null,
      revoked_at: null,
      checked_at: null,
    };
    await trx
      .insertInto('orders')
      .values(values)
      .onConflict((oc) => oc.column('order_id').doNothing())
      .execute();
    const row = await trx
      .selectFrom('orders')
      .selectAll()
      .where('order_id', '=', orderId)
      .$call(forUpdate(database))
      .executeTakeFirstOrThrow();
    let reason: FulfillReason;
    let from: string | null = null;
    if (row.user_id !== user.userId) reason = 'ORDER_CONFLICT';
    else if (row.sku !== product.sku) reason = 'SKU_MISMATCH';
    else if (row.state === 'GRANTED') reason = 'ALREADY_GRANTED';
    else if (row.state === 'REVOKED') reason = 'REVOKED';
    else {
      from = existing ? row.state : null;
      await applyGrant({
        trx,
        userId: user.userId,
        orderId,
        product,
        subscriptionId: row.subscription_id ?? request.subscriptionId ?? null,
        now: now(),
        effectKey: `grant:${orderId}`,
        kind: 'GRANT',
      });
      const updated = await trx
        .updateTable('orders')
        .set({
          state: 'GRANTED',
          last_reason: 'GRANTED',
          toss_status: tossStatus,
          sku_verified: skuVerified,
          granted_at: at,
          updated_at: at,
        })
        .where('order_id', '=', orderId)
        .where('state', '=', row.state)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new Error(`order ${orderId} changed inside its own transaction`);
      reason = 'GRANTED';
    }
    await recordAttempt(trx, reason, {
      sku: product.sku,
      tossStatus,
      detail: skuVerified ? null : 'sku not verified',
    });
    return { reason, from };
  });

  if (outcome.reason === 'GRANTED') {
    logChange(outcome.from, 'GRANTED', 'GRANTED', product.sku, {
      tossStatus,
      skuVerified: skuVerified === 1,
    });
  } else if (outcome.reason === 'ORDER_CONFLICT' || outcome.reason === 'SKU_MISMATCH') {
    log.warn('fulfill.attempt', {
      orderId,
      userId: user.userId,
      outcome: outcome.reason,
      source: request.source,
    });
  }
  return {
    output: answer(orderId, outcome.reason, product.sku),
    effect: outcome.reason === 'GRANTED' ? 'granted' : 'none',
  };
}
