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
 * Each step is a function of its own beside this file: fulfill-ledger.ts (1), fulfill-verify.ts (3, with
 * fulfill-refund.ts), fulfill-decide.ts (4, with fulfill-hold.ts), fulfill-grant.ts (5); fulfill-call.ts holds what
 * they share (the answer, the attempt row and the log lines).
 */
import type { FulfillOutput, OrderState } from '@ait-iap/iap-contract';
import { findProduct } from '../catalog/products';
import type { TossEnvironment } from '../config';
import type { Tx } from '../db/schema';
import type { AppDeps } from '../trpc';
import { finish } from './fulfill-call';
import { decideHoldOrGrant } from './fulfill-decide';
import { bindAndGrant } from './fulfill-grant';
import { holdOrder } from './fulfill-hold';
import { answerFromLedger, readLedger } from './fulfill-ledger';
import { verifyWithToss } from './fulfill-verify';

export { onSale } from './fulfill-decide';
export { REGRANT_KNOWN_REFUNDED } from './fulfill-refund';
export { seenPaid } from './fulfill-verify';

export type FulfillDeps = Pick<AppDeps, 'database' | 'toss' | 'clock' | 'log'> & {
  /** `toss.requireVerifiedSku` (TOSS_REQUIRE_VERIFIED_SKU); absent = false. */
  config?: { toss: { requireVerifiedSku: boolean } };
};

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

/** The five steps, each in its own module (`fulfill-*.ts`) with the guarantee it keeps. */
export async function fulfill(deps: FulfillDeps, request: FulfillRequest): Promise<FulfillResult> {
  // 1. Ledger first: an order this server already settled is answered from its row, without asking Toss again.
  const call = await readLedger(deps, request);
  const fromLedger = answerFromLedger(call);
  if (fromLedger) return fromLedger;

  // 2. Validate the SKU the client named: known = ever in the catalog (a retired SKU's paid orders are not dropped).
  if (!(await findProduct(deps.database.db, call.clientSku)) && !call.existing) {
    return finish(call, 'UNKNOWN_SKU', { sku: call.clientSku });
  }

  // 3. Verify with Toss, as the session user: nothing is bound before it answers; a reading that grants nothing
  //    (retry, refuse, a refund to revoke) is answered there.
  const reading = await verifyWithToss(call);
  if ('output' in reading) return reading;

  // 4. Hold or grant: FAILED never seen paid, or a SKU only the client vouches for that is not on sale, is held
  //    (an operator's approval of a held order is not).
  const plan = await decideHoldOrGrant(call, reading);
  if ('output' in plan) return plan;
  if (plan.holdReason !== null) return holdOrder(call, { ...plan, holdReason: plan.holdReason });

  // 5. One transaction: bind + grant, exactly once.
  return bindAndGrant(call, plan);
}
