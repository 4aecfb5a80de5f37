/**
 * The console's changes, as calls to the audited actions in ops/actions.ts with the signed-in operator as the actor
 * (so each writes its `audit_log` row in the transaction of its effect), and their answers mapped to the console's:
 * done (what changed), or a typed refusal — not found, already decided (the state now, who moved it and when), not
 * possible (e.g. revoking an order that is not granted), Toss unavailable. A fork normally does not edit this file.
 */
import type { Operator } from '../auth/operators';
import type { AppDeps } from '../context';
import {
  type Actor,
  type OpsFailure,
  type OpsFailureCode,
  operatorApprove,
  operatorCredit,
  operatorDeny,
  operatorRegrant,
  operatorRevoke,
} from '../ops/actions';
import type { LastReconcile } from './queries';
import { type ConsoleCode, ConsoleError } from './trpc';

export type LastReconcileSource = () => LastReconcile | null;

type DecideContext = { deps: AppDeps; operator: Operator };

type OrderDecision = { orderId: string; reason: string; sku?: string | undefined };
type CreditDecision = { user: string; currency: string; amount: number; reason: string };

export interface DecisionDone {
  ok: true;
  auditId: string;
  /** Orders: the state before and after. */
  from?: string;
  to?: string;
  /** Credit: the wallet's balance after. */
  balance?: number;
}

function actorOf(operator: Operator): Actor {
  return { kind: 'operator', id: operator.id, name: operator.name };
}

type Action = 'approve' | 'deny' | 'regrant' | 'revoke' | 'credit';

export async function decide(
  ctx: DecideContext,
  action: 'credit',
  input: CreditDecision,
): Promise<DecisionDone>;
export async function decide(
  ctx: DecideContext,
  action: Exclude<Action, 'credit'>,
  input: OrderDecision,
): Promise<DecisionDone>;
export async function decide(
  ctx: DecideContext,
  action: Action,
  input: OrderDecision | CreditDecision,
): Promise<DecisionDone> {
  const result = await run(ctx.deps, action, input, actorOf(ctx.operator));
  if (result.ok) {
    return 'balance' in result
      ? { ok: true, auditId: result.auditId, balance: result.balance }
      : { ok: true, auditId: result.auditId, from: result.from, to: result.to };
  }
  throw refusal(result);
}

function run(deps: AppDeps, action: Action, input: OrderDecision | CreditDecision, actor: Actor) {
  switch (action) {
    case 'credit':
      return operatorCredit(deps, { ...(input as CreditDecision), actor });
    case 'approve':
      return operatorApprove(deps, { ...(input as OrderDecision), actor });
    case 'deny':
      return operatorDeny(deps, { ...(input as OrderDecision), actor });
    case 'regrant':
      return operatorRegrant(deps, { ...(input as OrderDecision), actor });
    case 'revoke':
      return operatorRevoke(deps, { ...(input as OrderDecision), actor });
  }
}

const codeFor: Record<OpsFailureCode, ConsoleCode> = {
  REASON_REQUIRED: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  UNKNOWN_USER: 'NOT_FOUND',
  ALREADY_DECIDED: 'ALREADY_DECIDED',
  NOT_GRANTED: 'NOT_POSSIBLE',
  ALREADY_GRANTED: 'NOT_POSSIBLE',
  STILL_HELD: 'NOT_POSSIBLE',
  NOT_APPROVED: 'NOT_POSSIBLE',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UNKNOWN_SKU: 'BAD_REQUEST',
  INVALID_AMOUNT: 'BAD_REQUEST',
  UNKNOWN_CURRENCY: 'BAD_REQUEST',
};

/** A refusal from the actions as the console's typed error, with the order's state now and who moved it. */
function refusal(failure: OpsFailure): ConsoleError {
  const decided = failure.state
    ? { state: failure.state, by: failure.movedBy ?? null, at: failure.movedAt ?? null }
    : null;
  return new ConsoleError(codeFor[failure.code] ?? 'NOT_POSSIBLE', failure.error, decided);
}
