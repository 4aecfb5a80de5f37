/**
 * What customer support can do, as functions (the CLI in cli.ts is a thin shell over these): look up a user's
 * orders and grants; review HELD orders and approve (a grant THROUGH `fulfill`, audited in its transaction) or deny
 * them; re-grant or revoke an order with a reason (written to `audit_log` in the same transaction as the effect);
 * list claims of other users' orders and the grants made on a SKU Toss did not state (to audit against the console's
 * settlement). Re-granting needs an order already bound to its user (Toss-verified); for an order that never got
 * that far, re-check it (`recheck --apply`), which goes through `fulfill` and Toss.
 */
import { decideGrant, type OrderState } from '@ait-iap/iap-contract';
import { findProduct } from '../catalog/products';
import { isoAt } from '../clock';
import { type AppDatabase, forUpdate, lockLedgerRows, writeTransaction } from '../db/database';
import type { OrdersTable, Tx } from '../db/schema';
import {
  type FulfillDeps,
  type FulfillResult,
  fulfill,
  REGRANT_KNOWN_REFUNDED,
  seenPaid,
} from '../fulfillment/fulfill';
import { addWalletEntry, applyGrant, revokeGrant } from '../fulfillment/grants';
import { hashUserKey } from '../log';
import { TossError } from '../toss/client';
import { type Actor, type ActorInput, actorOf, describeActor, lastChange, writeAudit } from './audit';

export { listConflicts, listHeld, unverifiedGrants } from '../fulfillment/review';
export type { Actor, ActorInput } from './audit';

export type OpsDeps = Pick<FulfillDeps, 'database' | 'clock' | 'log'>;

/**
 * Why an action changed nothing. The ones about the order's state name the state it is in now and who last moved it
 * (`state`, `movedBy`, `movedAt`), so a second decision — another tab, another operator, the CLI — gets a clear answer.
 */
export type OpsFailureCode =
  | 'REASON_REQUIRED'
  | 'NOT_FOUND'
  /** approve/deny: the order is no longer HELD (someone, or a claim, already decided it). */
  | 'ALREADY_DECIDED'
  /** revoke: the order is not GRANTED. */
  | 'NOT_GRANTED'
  /** regrant: the order is GRANTED already. */
  | 'ALREADY_GRANTED'
  /** regrant: the order is HELD (approve or deny it instead). */
  | 'STILL_HELD'
  /** approve: Toss was asked and the order is not grantable (`error` says Toss's answer, e.g. REFUNDED). */
  | 'NOT_APPROVED'
  /** approve: Toss could not be asked now; nothing changed, try again later. */
  | 'UPSTREAM_UNAVAILABLE'
  | 'UNKNOWN_SKU'
  | 'UNKNOWN_USER'
  | 'INVALID_AMOUNT'
  | 'UNKNOWN_CURRENCY';

export interface OpsFailure {
  ok: false;
  code: OpsFailureCode;
  /** A sentence for people (today's JSON field). */
  error: string;
  state?: OrderState;
  movedBy?: string;
  movedAt?: string;
  /** approve that found the order refunded: the audit row of HELD → REFUSED. */
  auditId?: string;
}

export type OpsResult = { ok: true; auditId: string; from: string; to: string } | OpsFailure;

const fail = (code: OpsFailureCode, error: string, extra: Partial<OpsFailure> = {}): OpsFailure => ({
  ok: false,
  code,
  error,
  ...extra,
});

/** A refusal naming the order's state now and who last moved it (read inside the caller's transaction). */
async function stateFailure(
  db: Tx,
  code: OpsFailureCode,
  order: Pick<OrdersTable, 'order_id' | 'state'>,
  sentence: string,
): Promise<OpsFailure> {
  const moved = await lastChange(db, order.order_id);
  const by = moved ? `; moved by ${moved.by} at ${moved.at}` : '';
  return fail(code, `${sentence}${by}`, {
    state: order.state,
    ...(moved ? { movedBy: moved.by, movedAt: moved.at } : {}),
  });
}

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

type DecisionInput = { orderId: string; reason: string } & ActorInput;

/**
 * One operator decision on one order: a reason is required; in ONE write transaction the order is read locked and
 * `change` decides on the state it reads there (so a second caller finds the first one's result, and changes
 * nothing) and writes its audit row; the state change is logged once.
 */
async function operatorChange(
  deps: OpsDeps,
  input: DecisionInput,
  missing: string,
  change: (trx: Tx, order: OrdersTable, now: number, actor: Actor) => Promise<OpsResult>,
): Promise<OpsResult> {
  if (!input.reason.trim()) return fail('REASON_REQUIRED', 'a reason is required');
  const now = deps.clock.now();
  const actor = actorOf(input);
  const result = await writeTransaction(deps.database, async (trx): Promise<OpsResult> => {
    const order = await lockedOrder(deps.database, trx, input.orderId);
    return order ? change(trx, order, now, actor) : fail('NOT_FOUND', missing);
  });
  logOperatorChange(deps, input.orderId, result, actor);
  return result;
}

/** Grant an order again (after a revoke or a refusal), recording who and why. */
export async function operatorRegrant(deps: OpsDeps, input: DecisionInput): Promise<OpsResult> {
  const missing = 'order not in the ledger (never verified by Toss): use `recheck --apply`';
  return operatorChange(deps, input, missing, async (trx, order, now, actor) => {
    if (order.state === 'GRANTED')
      return stateFailure(trx, 'ALREADY_GRANTED', order, 'order is already granted');
    if (order.state === 'HELD')
      return stateFailure(trx, 'STILL_HELD', order, 'order is HELD: use `approve` or `deny`');
    const product = await findProduct(trx, order.sku);
    if (!product) return fail('UNKNOWN_SKU', `unknown sku ${order.sku}`);
    const auditId = await writeAudit(trx, actor, {
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
function logOperatorChange(deps: OpsDeps, orderId: string, result: OpsResult, actor: Actor) {
  if (!result.ok) return;
  deps.log.info('order.state_changed', {
    orderId,
    from: result.from,
    to: result.to,
    reason: 'OPERATOR',
    source: 'operator',
    actor: describeActor(actor),
    auditId: result.auditId,
  });
}

/** Revoke a granted order (wallet credit reversed, entitlement revoked), recording who and why. */
export async function operatorRevoke(deps: OpsDeps, input: DecisionInput): Promise<OpsResult> {
  return operatorChange(deps, input, 'order not in the ledger', async (trx, order, now, actor) => {
    if (order.state !== 'GRANTED')
      return stateFailure(trx, 'NOT_GRANTED', order, `order is ${order.state}, not GRANTED`);
    const auditId = await writeAudit(trx, actor, {
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
 * grant as any other: Toss is asked first (a refunded order is not granted: it moves HELD → REFUSED, audited as
 * `approve_found_refunded`; Toss down → try again later), and the `approve` audit row is written in the grant's
 * transaction. A second approve (another tab, another operator) grants nothing and is told ALREADY_DECIDED, with the
 * state now and who moved it. `sku` grants the SKU the console's settlement shows instead of the one claimed (the
 * audit row records the change).
 */
export async function operatorApprove(
  deps: FulfillDeps,
  input: DecisionInput & { sku?: string | undefined },
): Promise<OpsResult> {
  if (!input.reason.trim()) return fail('REASON_REQUIRED', 'a reason is required');
  const db = deps.database.db;
  const actor = actorOf(input);
  const order = await db
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', input.orderId)
    .executeTakeFirst();
  if (!order) return fail('NOT_FOUND', 'order not in the ledger');
  if (order.state !== 'HELD')
    return stateFailure(db, 'ALREADY_DECIDED', order, `order is ${order.state}, not HELD`);
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
    approval: { reason: input.reason, ...(input.sku ? { sku: input.sku } : {}) },
    audit: (trx, change) =>
      writeAudit(trx, actor, {
        action: change.to === 'GRANTED' ? 'approve' : 'approve_found_refunded',
        orderId: order.order_id,
        userId: change.userId,
        reason: input.reason,
        detail: change.detail,
        now: deps.clock.now(),
      }),
  });
  if (result.effect === 'granted' && result.auditId) {
    return { ok: true, auditId: result.auditId, from: 'HELD', to: 'GRANTED' };
  }
  return approveRefusal(deps, order.order_id, result);
}

/** What a not-granted approve tells the operator: decided meanwhile, refunded, or Toss's answer. */
async function approveRefusal(deps: OpsDeps, orderId: string, result: FulfillResult): Promise<OpsFailure> {
  const { reason, retryable } = result.output;
  const now = await deps.database.db
    .selectFrom('orders')
    .select(['order_id', 'state'])
    .where('order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  if (result.auditId) {
    // This call moved it (HELD → REFUSED: Toss reads it refunded) — audited, but not a grant.
    return fail('NOT_APPROVED', `not granted: ${reason} (the order is now ${now.state})`, {
      state: now.state,
      auditId: result.auditId,
    });
  }
  if (now.state !== 'HELD') {
    return stateFailure(
      deps.database.db,
      'ALREADY_DECIDED',
      now,
      `not granted: order is ${now.state}, not HELD`,
    );
  }
  if (retryable) {
    return fail(
      'UPSTREAM_UNAVAILABLE',
      `not granted: ${reason} (Toss could not confirm now; try again later)`,
      {
        state: now.state,
      },
    );
  }
  return fail('NOT_APPROVED', `not granted: ${reason}`, { state: now.state });
}

/** Refuse a HELD order for good (state REFUSED): later claims answer NOT_PAID and never grant. */
export async function operatorDeny(deps: OpsDeps, input: DecisionInput): Promise<OpsResult> {
  return operatorChange(deps, input, 'order not in the ledger', async (trx, order, now, actor) => {
    if (order.state !== 'HELD')
      return stateFailure(trx, 'ALREADY_DECIDED', order, `order is ${order.state}, not HELD`);
    const auditId = await writeAudit(trx, actor, {
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

/** What Toss says about an order now, beside the ledger (`recheck`, the console's "ask Toss now"). Read-only. */
export interface RecheckReport {
  orderId: string;
  userId: string;
  toss: Awaited<ReturnType<FulfillDeps['toss']['getOrderStatus']>>;
  decision: ReturnType<typeof decideGrant>;
  ledger: OrderState | null;
}

export type RecheckOutcome =
  | { ok: true; report: RecheckReport }
  | OpsFailure
  | {
      ok: false;
      code: 'TOSS_ERROR';
      orderId: string;
      userId: string;
      error: { kind: string; message: string };
    };

/** Ask Toss for an order's status now, as its owner (or `userId` for an order this ledger never recorded). */
export async function recheckOrder(
  deps: FulfillDeps,
  input: { orderId: string; userId?: string | undefined },
): Promise<RecheckOutcome> {
  const { order, attempts } = await describeOrder(deps, input.orderId);
  const userId = input.userId ?? order?.user_id ?? attempts.at(-1)?.user_id;
  if (!userId) return fail('UNKNOWN_USER', 'order unknown here; pass --user <userId> of the customer');
  const user = await findUser(deps, userId);
  if (!user) return fail('UNKNOWN_USER', `no user ${userId}`);
  try {
    const toss = await deps.toss.getOrderStatus({ userKey: user.user_key, orderId: input.orderId });
    const evidence = { seenPaid: await seenPaid(deps.database.db, input.orderId, user.id) };
    return {
      ok: true,
      report: {
        orderId: input.orderId,
        userId: user.id,
        toss,
        decision: decideGrant(toss.status, evidence),
        ledger: order?.state ?? null,
      },
    };
  } catch (error) {
    if (!(error instanceof TossError)) throw error;
    const detail = { kind: error.kind, message: error.message };
    return { ok: false, code: 'TOSS_ERROR', orderId: input.orderId, userId: user.id, error: detail };
  }
}

/**
 * `recheck --apply`: run `fulfill` with what Toss says now (grant a paid order, revoke a refunded one, hold a FAILED
 * one), as any other grant — and the change it makes, if any, is audited in its own transaction (action `recheck`).
 */
export async function applyRecheck(
  deps: FulfillDeps,
  input: { orderId: string; userId: string; reason?: string | undefined } & ActorInput,
): Promise<FulfillResult> {
  const actor = actorOf(input);
  const user = await findUser(deps, input.userId);
  if (!user) throw new Error(`no user ${input.userId}`);
  const { order, attempts } = await describeOrder(deps, input.orderId);
  const reason = input.reason?.trim() || 'recheck --apply';
  const result = await fulfill(deps, {
    user: { userId: user.id, userKey: user.user_key },
    orderId: input.orderId,
    sku: order?.sku ?? attempts.at(-1)?.sku ?? '',
    source: 'operator',
    recheckGranted: true,
    audit: (trx, change) =>
      writeAudit(trx, actor, {
        action: 'recheck',
        orderId: input.orderId,
        userId: change.userId,
        reason,
        detail: `${change.from ?? 'new'} -> ${change.to}; ${change.detail}`,
        now: deps.clock.now(),
      }),
  });
  if (result.auditId) {
    deps.log.info('order.recheck_applied', {
      orderId: input.orderId,
      effect: result.effect,
      actor: describeActor(actor),
      auditId: result.auditId,
    });
  }
  return result;
}

export type CreditResult =
  | { ok: true; auditId: string; userId: string; currency: string; amount: number; balance: number }
  | OpsFailure;

/** The most one goodwill credit may add (a typo guard, not a policy: change it if your currency is finer-grained). */
export const MAX_CREDIT_AMOUNT = 1_000_000;

/**
 * A goodwill credit (no order): `amount` of `currency` (one the catalog grants) to a user (id or userKey), with a
 * reason. The wallet ledger entry (kind OPERATOR_GRANT), the balance and the `credit` audit row commit together.
 */
export async function operatorCredit(
  deps: OpsDeps,
  input: { user: string; currency: string; amount: number; reason: string } & ActorInput,
): Promise<CreditResult> {
  if (!input.reason.trim()) return fail('REASON_REQUIRED', 'a reason is required');
  if (!Number.isInteger(input.amount) || input.amount < 1 || input.amount > MAX_CREDIT_AMOUNT)
    return fail('INVALID_AMOUNT', `amount must be a whole number from 1 to ${MAX_CREDIT_AMOUNT}`);
  const user = await findUser(deps, input.user);
  if (!user) return fail('UNKNOWN_USER', `no user ${input.user}`);
  const granted = await deps.database.db
    .selectFrom('products')
    .select('grant_currency')
    .where('grant_currency', '=', input.currency)
    .limit(1)
    .executeTakeFirst();
  if (!granted) return fail('UNKNOWN_CURRENCY', `no product grants the currency ${input.currency}`);
  const actor = actorOf(input);
  const now = deps.clock.now();
  const result = await writeTransaction(deps.database, async (trx) => {
    await lockLedgerRows(deps.database, trx, user.id);
    const auditId = await writeAudit(trx, actor, {
      action: 'credit',
      orderId: null,
      userId: user.id,
      reason: input.reason,
      detail: `${input.currency} +${input.amount}`,
      now,
    });
    await addWalletEntry(trx, {
      user_id: user.id,
      currency: input.currency,
      amount: input.amount,
      order_id: null,
      kind: 'OPERATOR_GRANT',
      idempotency_key: `credit:${auditId}`,
      reason: input.reason,
      now,
    });
    const wallet = await trx
      .selectFrom('wallets')
      .select('balance')
      .where('user_id', '=', user.id)
      .where('currency', '=', input.currency)
      .executeTakeFirstOrThrow();
    return { auditId, balance: Number(wallet.balance) };
  });
  deps.log.info('wallet.credited', {
    userId: user.id,
    currency: input.currency,
    amount: input.amount,
    actor: describeActor(actor),
    auditId: result.auditId,
  });
  return { ok: true, userId: user.id, currency: input.currency, amount: input.amount, ...result };
}
