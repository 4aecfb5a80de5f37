/**
 * Step 1 of `fulfill`: the ledger first. What this server already settled is answered from its own row, without
 * asking Toss again (the grant callback can be retried even while Toss is down); an order refused or revoked before is
 * never granted by a claim. An order bound to ANOTHER user reads as one this server never saw.
 */
import { canonicalSku } from '../catalog/products';
import type { OrdersTable } from '../db/schema';
import type { FulfillDeps, FulfillRequest, FulfillResult } from './fulfill';
import { type FulfillCall, finish, refusedReason } from './fulfill-call';
import { prepared } from './prepared';

const selectOrder = prepared<{ orderId: string }, OrdersTable>((db, slot) =>
  db.selectFrom('orders').selectAll().where('order_id', '=', slot('orderId')),
);

/** Reads the claim's order from the ledger; another user's order is carried on as if this server never saw it. */
export async function readLedger(deps: FulfillDeps, request: FulfillRequest): Promise<FulfillCall> {
  const { orderId, user } = request;
  const db = deps.database.db;
  const clientSku = await canonicalSku(db, request.sku, user.environment);
  const [found] = (await selectOrder(db, { orderId })).rows;
  // Another user's order: same checks, same Toss call, same answer (Toss reads it NOT_FOUND for this user), so the
  // answer never confirms it exists.
  const foreign = found !== undefined && found.user_id !== user.userId;
  return { deps, request, orderId, user, clientSku, foreign, existing: foreign ? undefined : found };
}

/** Settled in the ledger → that answer, without asking Toss; undefined when Toss must be asked. */
export function answerFromLedger(call: FulfillCall): Promise<FulfillResult> | undefined {
  const { existing, clientSku } = call;
  if (!existing) return undefined;
  if (existing.sku !== clientSku) {
    return finish(call, 'SKU_MISMATCH', { sku: clientSku, detail: `order is for ${existing.sku}` });
  }
  if (existing.state === 'REVOKED')
    return finish(call, 'REVOKED', { sku: existing.sku, answerSku: existing.sku });
  if (existing.state === 'REFUSED') {
    // Denied by an operator, or refunded before it was ever granted: never granted by a claim, whatever Toss says.
    return finish(call, refusedReason(existing), {
      sku: existing.sku,
      answerSku: existing.sku,
      detail: 'refused before',
    });
  }
  if (existing.state === 'GRANTED' && !call.request.recheckGranted) {
    return finish(call, 'ALREADY_GRANTED', { sku: existing.sku, answerSku: existing.sku });
  }
  return undefined;
}
