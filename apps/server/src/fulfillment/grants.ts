/**
 * WHAT A SKU GRANTS — the customization point of the purchase spine.
 * Called only from inside the fulfillment transaction (fulfill.ts / ops), so whatever you write here commits
 * together with the order's state change, or not at all. Out of the box, driven by the catalog's `grant` field:
 *  - consumable  → a wallet credit (a `wallet_entries` row + the cached `wallets` balance, same transaction)
 *  - non-consumable → an entitlement
 *  - subscription → an entitlement whose expiry and grace are DERIVED from the subscription's paid orders
 *    (subscription-periods.ts), rewritten on every grant and revoke of that SKU
 * Revoking (refund or operator) reverses exactly what the order added. Refund policy for consumables already spent:
 * we write a NEGATIVE wallet entry for the full amount; the balance may go below zero and is shown as owed.
 * Keep the two rules: every wallet change is a ledger entry with a unique idempotency key, and the cached balance
 * moves by exactly that entry's amount.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { findProduct, type ProductRow } from '../catalog/products';
import { isoAt } from '../clock';
import type { Tx, WalletEntriesTable, WalletsTable } from '../db/schema';
import { prepared } from './prepared';
import { rederiveSubscription } from './subscription-periods';

export interface GrantEffect {
  trx: Tx;
  userId: string;
  orderId: string;
  product: ProductRow;
  subscriptionId: string | null;
  now: number;
  /** Unique per effect, e.g. `grant:<orderId>`. */
  effectKey: string;
  kind: 'GRANT' | 'OPERATOR_GRANT';
  reason?: string;
}

export interface RevokeEffect {
  trx: Tx;
  userId: string;
  orderId: string;
  now: number;
  kind: 'REVOKE' | 'OPERATOR_REVOKE';
  reason?: string;
}

/** A wallet ledger entry, unless its idempotency key was used: a row back only if this call inserted it. */
const insertWalletEntry = prepared<WalletEntriesTable, { id: string }>((db, slot) =>
  db
    .insertInto('wallet_entries')
    .values({
      id: slot('id'),
      user_id: slot('user_id'),
      currency: slot('currency'),
      amount: slot('amount'),
      order_id: slot('order_id'),
      kind: slot('kind'),
      idempotency_key: slot('idempotency_key'),
      reason: slot('reason'),
      created_at: slot('created_at'),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id'),
);

/** Moves the cached balance by `balance` (creating it at that amount). */
const moveBalance = prepared<WalletsTable, never>((db, slot) =>
  db
    .insertInto('wallets')
    .values({
      user_id: slot('user_id'),
      currency: slot('currency'),
      balance: slot('balance'),
      updated_at: slot('updated_at'),
    })
    .onConflict((oc) =>
      oc.columns(['user_id', 'currency']).doUpdateSet({
        balance: sql<number>`wallets.balance + excluded.balance`,
        updated_at: sql<string>`excluded.updated_at`,
      }),
    ),
);

/** Append a wallet ledger entry and move the cached balance by the same amount. No-op if the key was used. */
export async function addWalletEntry(
  trx: Tx,
  entry: Omit<WalletEntriesTable, 'id' | 'created_at' | 'reason'> & { reason?: string | null; now: number },
): Promise<boolean> {
  const at = isoAt(entry.now);
  const { user_id, currency, amount } = entry;
  const inserted = await insertWalletEntry(trx, {
    id: randomUUID(),
    user_id,
    currency,
    amount,
    order_id: entry.order_id,
    kind: entry.kind,
    idempotency_key: entry.idempotency_key,
    reason: entry.reason ?? null,
    created_at: at,
  });
  if (inserted.rows.length === 0) return false;
  await moveBalance(trx, { user_id, currency, balance: amount, updated_at: at });
  return true;
}

/** Apply what `product` grants for one order. */
export async function applyGrant(effect: GrantEffect): Promise<void> {
  const { trx, product, userId, orderId, now } = effect;
  if (product.grant_kind === 'currency') {
    await addWalletEntry(trx, {
      user_id: userId,
      currency: product.grant_currency ?? 'COIN',
      amount: product.grant_amount ?? 0,
      order_id: orderId,
      kind: effect.kind,
      idempotency_key: effect.effectKey,
      reason: effect.reason ?? null,
      now,
    });
    return;
  }
  const entitlement = product.grant_entitlement ?? product.sku;
  const at = isoAt(now);
  const subscription = product.type === 'SUBSCRIPTION';
  await trx
    .insertInto('entitlements')
    .values({
      id: randomUUID(),
      user_id: userId,
      entitlement,
      sku: product.sku,
      type: subscription ? 'SUBSCRIPTION' : 'NON_CONSUMABLE',
      order_id: orderId,
      subscription_id: effect.subscriptionId,
      // A subscription's period is derived right below, from all of its paid orders.
      starts_at: at,
      expires_at: subscription ? at : null,
      grace_expires_at: subscription ? at : null,
      revoked_at: null,
      created_at: at,
    })
    // Re-granting a revoked order restores its entitlement row (one row per order).
    .onConflict((oc) => oc.column('order_id').doUpdateSet({ revoked_at: null }))
    .execute();
  if (subscription) await rederiveSubscription(trx, { userId, product, orderId, mode: 'grant' });
}

/** Reverse everything `orderId` granted: wallet credits net to zero, entitlements revoked. */
export async function revokeGrant(effect: RevokeEffect): Promise<void> {
  const { trx, userId, orderId, now } = effect;
  const nets = await trx
    .selectFrom('wallet_entries')
    .select([
      'currency',
      (eb) => eb.fn.sum<number>('amount').as('net'),
      (eb) => eb.fn.countAll<number>().as('entries'),
    ])
    .where('order_id', '=', orderId)
    .where('user_id', '=', userId)
    .groupBy('currency')
    .execute();
  for (const row of nets) {
    const net = Number(row.net);
    if (net <= 0) continue;
    await addWalletEntry(trx, {
      user_id: userId,
      currency: row.currency,
      amount: -net,
      order_id: orderId,
      kind: effect.kind,
      idempotency_key: `revoke:${orderId}:${row.currency}:${Number(row.entries)}`,
      reason: effect.reason ?? null,
      now,
    });
  }
  const revoked = await trx
    .updateTable('entitlements')
    .set({ revoked_at: isoAt(now) })
    .where('order_id', '=', orderId)
    .where('revoked_at', 'is', null)
    .returning(['sku', 'type'])
    .execute();
  // A revoked subscription order's cycle is subtracted: the other periods of its subscription shrink by it.
  for (const row of revoked) {
    if (row.type !== 'SUBSCRIPTION') continue;
    const product = await findProduct(trx, row.sku);
    if (product) await rederiveSubscription(trx, { userId, product, orderId, mode: 'shrink' });
  }
}
