/**
 * THE fulfillment function — where a paid order becomes a grant. Reached from `iap.fulfill` (the grant callback and
 * pending-order recovery), `iap.sync`, the reconcile job and operators (`ops approve`, `ops recheck --apply`).
 * YOU PROBABLY DON'T NEED TO EDIT THIS FILE: what a SKU grants lives in `grants.ts`, which this calls inside the
 * transaction; the status policy lives in `@ait-iap/iap-contract` (`decideGrant`).
 *
 * 1. Ledger first: already granted to this user → ALREADY_GRANTED without asking Toss again (the grant callback can be
 *    retried even while Toss is down); refused or revoked before → that answer, never a grant. An order bound to
 *    ANOTHER user is treated exactly like an order this server never saw (same checks, same Toss call, same answer:
 *    Toss reads it NOT_FOUND for this user), so the answer never confirms it exists; the claim is recorded as
 *    ORDER_CONFLICT and logged at warn for operators.
 * 2. Validate the SKU (aliases resolved): it must be in the products table in ANY state (retired SKUs still known).
 * 3. Verify with Toss (get-order-status, scoped to the SESSION user's userKey) and apply `decideGrant`, with the
 *    evidence this server holds: did an earlier attempt by this user record Toss reading the order paid?
 *    FAILED + seen paid → grant; FAILED alone → HOLD (bound to this user and SKU, state HELD, answered UNDER_REVIEW).
 *    Toss unreachable / 5xx / timeout / malformed → UPSTREAM_UNAVAILABLE, retryable; nothing is bound to the user.
 * 4. SKU policy when Toss does not state the SKU (the documented API never does): the client's SKU is granted only if
 *    it is on sale now (active AND visible); a retired or hidden one is HELD for an operator.
 * 5. In ONE write transaction: INSERT the order as GRANTED (ON CONFLICT DO NOTHING … RETURNING) and, if it was new,
 *    apply the grant; if it already existed, read it locked and only if it is ours and not yet granted, apply the
 *    grant and mark it GRANTED with one UPDATE guarded by its state (an operator's approval writes its audit row in
 *    the same transaction). Concurrent and repeated calls therefore grant once.
 * Every call records a row in `fulfillment_attempts` (what ops, the reconcile job and the FAILED evidence read) and
 * state changes log one JSON line each (HELD at warn).
 */
import { randomUUID } from 'node:crypto';
import {
  decideGrant,
  type FulfillOutput,
  type FulfillReason,
  type OrderState,
  type OrderStatus,
  type OrderStatusSuccess,
  paidStatuses,
  retryableFulfillReasons,
} from '@ait-iap/iap-contract';
import { canonicalSku, findProduct, type ProductRow } from '../catalog/products';
import { isoAt } from '../clock';
import type { TossEnvironment } from '../config';
import { forUpdate, lockLedgerRows, writeTransaction } from '../db/database';
import type { HoldReason, OrdersTable, Tx } from '../db/schema';
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

/** An operator's decision to grant a HELD order (`ops approve`), recorded in `audit_log` with the grant. */
export interface OperatorApproval {
  reason: string;
  /**
   * Grant this SKU instead of the one claimed (the console's settlement shows what was bought, e.g. a tampered client
   * claimed a dearer SKU). Refused if Toss states another SKU.
   */
  sku?: string;
}

export interface FulfillRequest {
  /**
   * Whose claim this is. `environment` is the claiming session's (`sandbox` resolves the catalog's sandbox aliases and
   * is recorded on a new order); reconcile and operators act without a session and leave it out.
   */
  user: { userId: string; userKey: string; environment?: TossEnvironment | undefined };
  orderId: string;
  sku: string;
  subscriptionId?: string | undefined;
  source: FulfillSource;
  /** Ask Toss even when the ledger already says GRANTED (sync and reconcile: to discover refunds). */
  recheckGranted?: boolean;
  /**
   * Operators only: grant this HELD order although Toss reads FAILED (never seen paid) or did not state the SKU.
   * Toss is still asked first: a refunded order is not granted, a contradicting SKU is refused.
   */
  approval?: OperatorApproval;
  /**
   * Operators (approve, `recheck --apply`): writes the `audit_log` row of a state change this call makes — grant,
   * refund (revoke or refusal), hold — INSIDE that change's transaction, and returns its id. Required with `approval`.
   */
  audit?: AuditChange;
}

/** A state change made for an operator, handed to `FulfillRequest.audit` inside its transaction. */
export type AuditChange = (
  trx: Tx,
  change: { from: OrderState | null; to: OrderState; userId: string; detail: string },
) => Promise<string>;

export interface FulfillResult {
  output: FulfillOutput;
  /** What this call changed: used by sync/reconcile to report. */
  effect: 'granted' | 'revoked' | 'held' | 'none';
  /** The `audit_log` row written (by `request.audit`) with the change this call made. */
  auditId?: string;
}

const refuseReason: Partial<Record<OrderStatus, FulfillReason>> = {
  NOT_FOUND: 'ORDER_NOT_FOUND',
  MINIAPP_MISMATCH: 'MINIAPP_MISMATCH',
};

/**
 * What the caller is told. ORDER_CONFLICT is never told: another user's order is answered like an unknown one.
 */
function answer(orderId: string, reason: FulfillReason, sku?: string): FulfillOutput {
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
function refusedReason(order: Pick<OrdersTable, 'last_reason'>): FulfillReason {
  return order.last_reason === 'REFUNDED' ? 'REFUNDED' : 'NOT_PAID';
}

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

/** On sale now: in the catalog file (active) AND listed in the shop (visible, the console's 노출 여부). */
export function onSale(product: Pick<ProductRow, 'active' | 'visible'>): boolean {
  return product.active === 1 && product.visible === 1;
}

export async function fulfill(deps: FulfillDeps, request: FulfillRequest): Promise<FulfillResult> {
  const { database, log } = deps;
  const db = database.db;
  const { orderId, user, approval } = request;
  const now = () => deps.clock.now();

  // 1. Ledger first.
  const clientSku = await canonicalSku(db, request.sku, user.environment);
  const found = await db.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst();
  // Another user's order: carry on as if this server had never seen it (see the header).
  const foreign = found !== undefined && found.user_id !== user.userId;
  const existing = foreign ? undefined : found;

  const recordAttempt = async (
    trx: Tx,
    outcome: FulfillReason,
    fields: { sku: string; tossStatus?: string | null; detail?: string | null },
  ) => {
    // A foreign claim is recorded as what it is, whatever it was answered.
    const recorded: FulfillReason = foreign ? 'ORDER_CONFLICT' : outcome;
    const detail = foreign
      ? `order bound to another user; answered ${answer(orderId, outcome).reason}`
      : (fields.detail ?? null);
    await trx
      .insertInto('fulfillment_attempts')
      .values({
        id: randomUUID(),
        order_id: orderId,
        user_id: user.userId,
        sku: fields.sku.slice(0, 64),
        source: request.source,
        outcome: recorded,
        retryable: retryableFulfillReasons.includes(recorded) ? 1 : 0,
        toss_status: fields.tossStatus ?? null,
        detail,
        created_at: isoAt(now()),
      })
      .execute();
  };
  const logAttempt = (
    outcome: FulfillReason,
    fields: { sku: string; tossStatus?: string | null; detail?: string | null },
  ) => {
    const recorded = foreign ? 'ORDER_CONFLICT' : outcome;
    const level = recorded === 'ORDER_CONFLICT' || recorded === 'SKU_MISMATCH' ? 'warn' : 'info';
    log[level]('fulfill.attempt', {
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
  };
  const finish = async (
    reason: FulfillReason,
    fields: { sku: string; tossStatus?: string | null; detail?: string | null; answerSku?: string },
  ): Promise<FulfillResult> => {
    // A bare write (one statement, its own commit): no money moves here, so if another process holds the lock past
    // the short stall the call fails and the client asks again. The evidence of a paid read is kept below, waiting.
    await recordAttempt(db, reason, fields);
    logAttempt(reason, fields);
    return { output: answer(orderId, reason, fields.answerSku), effect: 'none' };
  };
  const logChange = (
    from: string | null,
    to: string,
    reason: FulfillReason,
    sku: string,
    extra: object = {},
    level: 'info' | 'warn' = 'info',
  ) =>
    log[level]('order.state_changed', {
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

  if (existing && existing.sku !== clientSku) {
    return finish('SKU_MISMATCH', { sku: clientSku, detail: `order is for ${existing.sku}` });
  }
  if (existing?.state === 'REVOKED') return finish('REVOKED', { sku: existing.sku, answerSku: existing.sku });
  if (existing?.state === 'REFUSED') {
    // Denied by an operator, or refunded before it was ever granted: never granted by a claim, whatever Toss says.
    return finish(refusedReason(existing), {
      sku: existing.sku,
      answerSku: existing.sku,
      detail: 'refused before',
    });
  }
  if (existing?.state === 'GRANTED' && !request.recheckGranted) {
    return finish('ALREADY_GRANTED', { sku: existing.sku, answerSku: existing.sku });
  }

  // 2. Validate the SKU the client named: known = ever in the catalog (a retired SKU's paid orders are not dropped).
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
  const evidence = { seenPaid: tossStatus === 'FAILED' && (await seenPaid(db, orderId, user.userId)) };
  const decision = decideGrant(tossStatus, evidence);

  if (decision === 'retry') {
    return finish(tossStatus === 'ORDER_IN_PROGRESS' ? 'PAYMENT_IN_PROGRESS' : 'UPSTREAM_UNAVAILABLE', {
      sku: clientSku,
      tossStatus,
    });
  }

  if ((decision === 'refuse' || decision === 'hold') && existing?.state === 'GRANTED') {
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

  if (decision === 'refuse') {
    // A HELD order stays held (an operator decides); the caller is told what Toss said.
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
      if (row.state === 'REVOKED' || row.state === 'REFUSED' || row.user_id !== user.userId) return null;
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
      // A HELD order refunded: nothing was granted, nothing to revoke; it leaves the review list.
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
      const auditId = await request.audit?.(trx, {
        from: row.state,
        to,
        userId: user.userId,
        detail: `from ${row.state}; toss_status ${tossStatus}`,
      });
      return { from: row.state, to, auditId };
    });
    if (!revoked) return { output: answer(orderId, 'REFUNDED', existing.sku), effect: 'none' };
    logChange(revoked.from, revoked.to, 'REFUNDED', existing.sku);
    return {
      output: answer(orderId, 'REFUNDED', existing.sku),
      effect: revoked.to === 'REVOKED' ? 'revoked' : 'none',
      ...(revoked.auditId ? { auditId: revoked.auditId } : {}),
    };
  }

  // decision === 'grant' (paid, or FAILED after a paid reading) or 'hold' (FAILED, never seen paid). Toss answered
  // under this user's userKey, so the order is theirs either way.
  const verifiedSku =
    verified.sku === undefined ? null : await canonicalSku(db, verified.sku, user.environment);
  const approved = approval !== undefined && existing?.state === 'HELD';
  if (approval && !request.audit) throw new Error('fulfill: an approval needs its audit row (request.audit)');
  const approvedSku =
    approved && approval.sku ? await canonicalSku(db, approval.sku, user.environment) : null;
  const orderSku = approvedSku ?? existing?.sku ?? verifiedSku ?? clientSku;
  if (verifiedSku !== null && verifiedSku !== (approvedSku ?? clientSku)) {
    return finish('SKU_MISMATCH', { sku: clientSku, tossStatus, detail: `Toss says ${verifiedSku}` });
  }
  if (existing?.state === 'GRANTED') {
    // Re-check of a granted order (sync/reconcile): still paid, nothing to do — even if its SKU was retired since.
    // Routine reconcile re-checks are not attempts worth a row (reconcile notes `orders.checked_at`).
    if (request.source === 'reconcile')
      return { output: answer(orderId, 'ALREADY_GRANTED', existing.sku), effect: 'none' };
    return finish('ALREADY_GRANTED', { sku: existing.sku, tossStatus, answerSku: existing.sku });
  }
  const product: ProductRow | undefined = await findProduct(db, orderSku);
  if (!product) return finish('UNKNOWN_SKU', { sku: orderSku, tossStatus });
  const skuVerified = verifiedSku !== null ? 1 : 0;

  // 4. Hold instead of granting: FAILED never seen paid, or a SKU only the client vouches for that is not on sale (or
  //    any such SKU under TOSS_REQUIRE_VERIFIED_SKU). Held, not refused: the payment is real and must stay visible.
  let holdReason: HoldReason | null = null;
  if (!approved) {
    if (decision === 'hold') holdReason = 'FAILED_NOT_SEEN_PAID';
    else if (skuVerified === 0 && (!onSale(product) || deps.config?.toss.requireVerifiedSku))
      holdReason = 'UNVERIFIED_SKU';
  }
  if (holdReason !== null) return hold(holdReason, product);

  // 5. One transaction: bind + grant, exactly once.
  let outcome: { reason: FulfillReason; from: string | null; auditId?: string };
  try {
    outcome = await writeTransaction(database, async (trx) => {
      // PostgreSQL (READ COMMITTED): lock this user's ledger, then insert-or-wait on the order's primary key, then
      // lock the order row: a concurrent call for the same order waits here and then reads GRANTED.
      await lockLedgerRows(database, trx, user.userId);
      const at = isoAt(now());
      // A new order, the common case: inserted already GRANTED, its grant and attempt in the same transaction, so
      // the row is written once and never read back. If the order exists (held, another user's, or inserted by a
      // concurrent call that this insert waited for), nothing is inserted and it is read locked and decided below.
      // An approval is always of an existing (HELD) order.
      if (!approved) {
        const inserted = await trx
          .insertInto('orders')
          .values(newOrderRow('GRANTED', product, skuVerified, null, at))
          .onConflict((oc) => oc.column('order_id').doNothing())
          .returning('order_id')
          .executeTakeFirst();
        if (inserted) {
          await applyGrant({
            trx,
            userId: user.userId,
            orderId,
            product,
            subscriptionId: request.subscriptionId ?? null,
            now: now(),
            effectKey: `grant:${orderId}`,
            kind: 'GRANT',
          });
          await recordAttempt(trx, 'GRANTED', {
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
          return { reason: 'GRANTED' as FulfillReason, from: null, ...(auditId ? { auditId } : {}) };
        }
      }
      const row = await trx
        .selectFrom('orders')
        .selectAll()
        .where('order_id', '=', orderId)
        .$call(forUpdate(database))
        .executeTakeFirstOrThrow();
      let reason: FulfillReason;
      let from: string | null = null;
      let auditId: string | undefined;
      if (row.user_id !== user.userId) reason = 'ORDER_CONFLICT';
      else if (row.sku !== product.sku && approvedSku === null) reason = 'SKU_MISMATCH';
      else if (row.state === 'GRANTED') reason = 'ALREADY_GRANTED';
      else if (row.state === 'REVOKED') reason = 'REVOKED';
      else if (row.state === 'REFUSED') reason = refusedReason(row);
      else {
        from = existing ? row.state : null;
        auditId = await request.audit?.(trx, {
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
          subscriptionId: row.subscription_id ?? request.subscriptionId ?? null,
          now: now(),
          // The same key for a claim's grant and an operator's approval: at most one of them ever lands.
          effectKey: `grant:${orderId}`,
          kind: approved ? 'OPERATOR_GRANT' : 'GRANT',
          ...(approved ? { reason: approval.reason } : {}),
        });
        const updated = await trx
          .updateTable('orders')
          .set({
            state: 'GRANTED',
            last_reason: 'GRANTED',
            toss_status: tossStatus,
            sku_verified: skuVerified,
            // An approval may correct the SKU to what the settlement shows.
            sku: product.sku,
            product_type: product.type,
            sale_price: row.sku === product.sku ? (row.sale_price ?? product.sale_price) : product.sale_price,
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
        detail: approved ? 'operator approval' : skuVerified ? null : 'sku not verified',
      });
      return { reason, from, ...(auditId ? { auditId } : {}) };
    });
  } catch (error) {
    // Nothing committed. Keep the evidence that Toss read this order (it may be paid), so that a later FAILED reading
    // is still granted (under the staff's reading the app's false answer turns it FAILED), and so that the reconcile
    // job retries it (retryable) even if the app never comes back.
    log.error('fulfill.grant_failed', {
      orderId,
      userId: user.userId,
      tossStatus,
      error: error instanceof Error ? error.message : String(error),
    });
    await writeTransaction(database, (trx) =>
      recordAttempt(trx, 'UPSTREAM_UNAVAILABLE', {
        sku: product.sku,
        tossStatus,
        detail: `grant not committed: ${error instanceof Error ? error.message : String(error)}`.slice(
          0,
          500,
        ),
      }),
    ).catch((evidenceError: unknown) =>
      log.error('fulfill.evidence_not_recorded', {
        orderId,
        error: evidenceError instanceof Error ? evidenceError.message : String(evidenceError),
      }),
    );
    throw error;
  }

  if (outcome.reason === 'GRANTED') {
    logChange(outcome.from, 'GRANTED', 'GRANTED', product.sku, {
      tossStatus,
      skuVerified: skuVerified === 1,
      ...(outcome.auditId ? { auditId: outcome.auditId } : {}),
    });
  } else if (outcome.reason === 'ORDER_CONFLICT' || outcome.reason === 'SKU_MISMATCH') {
    logAttempt(outcome.reason, { sku: product.sku, tossStatus });
  }
  return {
    output: answer(orderId, outcome.reason, product.sku),
    effect: outcome.reason === 'GRANTED' ? 'granted' : 'none',
    ...(outcome.auditId ? { auditId: outcome.auditId } : {}),
  };

  function newOrderRow(
    state: 'GRANTED' | 'HELD',
    product: ProductRow,
    skuVerified: number,
    holdReason: HoldReason | null,
    at: string,
  ): OrdersTable {
    return {
      order_id: orderId,
      user_id: user.userId,
      sku: product.sku,
      product_type: product.type,
      state,
      last_reason: state === 'HELD' ? 'UNDER_REVIEW' : 'GRANTED',
      toss_status: tossStatus,
      sku_verified: skuVerified,
      subscription_id: request.subscriptionId ?? null,
      created_at: at,
      updated_at: at,
      granted_at: state === 'GRANTED' ? at : null,
      revoked_at: null,
      checked_at: null,
      hold_reason: holdReason,
      sale_price: product.sale_price,
      environment: user.environment ?? null,
    };
  }

  /**
   * Bind the order to this user and SKU as HELD (once: a held order's later claims change nothing) and tell the
   * caller UNDER_REVIEW. Never a grant, never dropped: `ops review` and reconcile list it until an operator decides
   * or a later check reads it paid (granted) or refunded (refused, nothing to revoke).
   */
  async function hold(reason: HoldReason, product: ProductRow): Promise<FulfillResult> {
    const held = await writeTransaction(database, async (trx) => {
      await lockLedgerRows(database, trx, user.userId);
      const at = isoAt(now());
      const inserted = await trx
        .insertInto('orders')
        .values(newOrderRow('HELD', product, skuVerified, reason, at))
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
      if (row.user_id !== user.userId) outcome = 'ORDER_CONFLICT';
      else if (row.sku !== product.sku) outcome = 'SKU_MISMATCH';
      else if (row.state === 'GRANTED') outcome = 'ALREADY_GRANTED';
      else if (row.state === 'REVOKED') outcome = 'REVOKED';
      else if (row.state === 'REFUSED') outcome = refusedReason(row);
      else {
        outcome = 'UNDER_REVIEW';
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) from = null;
        else if (row.state !== 'HELD') {
          await trx
            .updateTable('orders')
            .set({ state: 'HELD', last_reason: 'UNDER_REVIEW', hold_reason: reason, updated_at: at })
            .where('order_id', '=', orderId)
            .where('state', '=', row.state)
            .execute();
          from = row.state;
        }
      }
      const auditId =
        from === undefined
          ? undefined
          : await request.audit?.(trx, {
              from,
              to: 'HELD',
              userId: user.userId,
              detail: `held: ${reason}; toss_status ${tossStatus}`,
            });
      // The reconcile job's routine re-check of a held order that stays held is not an attempt worth a row.
      const routine = request.source === 'reconcile' && outcome === 'UNDER_REVIEW' && from === undefined;
      if (!routine) {
        await recordAttempt(trx, outcome, {
          sku: product.sku,
          tossStatus,
          detail: outcome === 'UNDER_REVIEW' ? `held: ${row.hold_reason ?? reason}` : null,
        });
      }
      return { outcome, from, auditId };
    });
    const sku = product.sku;
    if (held.from !== undefined) {
      logChange(held.from, 'HELD', 'UNDER_REVIEW', sku, { tossStatus, holdReason: reason }, 'warn');
    } else {
      logAttempt(held.outcome, {
        sku,
        tossStatus,
        detail: held.outcome === 'UNDER_REVIEW' ? 'still held' : null,
      });
    }
    return {
      output: answer(orderId, held.outcome, sku),
      effect: held.from !== undefined ? 'held' : 'none',
      ...(held.auditId ? { auditId: held.auditId } : {}),
    };
  }
}
