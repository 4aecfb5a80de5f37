/**
 * WHAT A SKU GRANTS — the customization point of the purchase spine.
 * Called only from inside the fulfillment transaction (fulfill.ts / ops), so whatever you write here commits
 * together with the order's state change, or not at all. Out of the box, driven by the catalog's `grant` field:
 *  - consumable  → a wallet credit (a `wallet_entries` row + the cached `wallets` balance, same transaction)
 *  - non-consumable → an entitlement
 *  - subscription → an entitlement with an expiry (renewal cycle) and a grace period
 * Revoking (refund or operator) reverses exactly what the order added. Refund policy for consumables already spent:
 * we write a NEGATIVE wallet entry for the full amount; the balance may go below zero and is shown as owed.
 * Keep the two rules: every wallet change is a ledger entry with a unique idempotency key, and the cached balance
 * moves by exactly that entry's amount.
 */
import { randomUUID } from 'node:crypto';
import { addCycle as addRenewalCycle } from '@ait-iap/iap-contract';
import { sql } from 'kysely';
import type { ProductRow } from '../catalog/products';
import { isoAt } from '../clock';
import type { Tx, WalletEntriesTable } from '../db/schema';

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

/** Append a wallet ledger entry and move the cached balance by the same amount. No-op if the key was used. */
export async function addWalletEntry(
  trx: Tx,
  entry: Omit<WalletEntriesTable, 'id' | 'created_at' | 'reason'> & { reason?: string | null; now: number },
): Promise<boolean> {
  const at = isoAt(entry.now);
  const inserted = await trx
    .insertInto('wallet_entries')
    .values({
      id: randomUUID(),
      user_id: entry.user_id,
      currency: entry.currency,
      amount: entry.amount,
      order_id: entry.order_id,
      kind: entry.kind,
      idempotency_key: entry.idempotency_key,
      reason: entry.reason ?? null,
      created_at: at,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
  await trx
    .insertInto('wallets')
    .values({ user_id: entry.user_id, currency: entry.currency, balance: entry.amount, updated_at: at })
    .onConflict((oc) =>
      oc.columns(['user_id', 'currency']).doUpdateSet({
        balance: sql<number>`wallets.balance + excluded.balance`,
        updated_at: at,
      }),
    )
    .execute();
  return true;
}

/** One renewal cycle after `fromMs` (calendar months/years in UTC, clamped to the month's last day: the contract's). */
export function addCycle(fromMs: number, cycle: ProductRow['renewal_cycle']): number {
  return addRenewalCycle(new Date(fromMs), cycle ?? 'MONTHLY').getTime();
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
  let startsAt = now;
  let expiresAt: string | null = null;
  let graceExpiresAt: string | null = null;
  if (product.type === 'SUBSCRIPTION') {
    // A renewal bought before the current period ends extends it instead of overlapping it.
    const current = await trx
      .selectFrom('entitlements')
      .select((eb) => eb.fn.max('expires_at').as('latest'))
      .where('user_id', '=', userId)
      .where('entitlement', '=', entitlement)
      .where('revoked_at', 'is', null)
      .where('order_id', '!=', orderId)
      .executeTakeFirst();
    const latest = current?.latest ? Date.parse(current.latest) : 0;
    startsAt = Math.max(now, latest);
    const end = addCycle(startsAt, product.renewal_cycle);
    expiresAt = isoAt(end);
    graceExpiresAt = isoAt(end + product.grace_period_days * 86_400_000);
  }
  await trx
    .insertInto('entitlements')
    .values({
      id: randomUUID(),
      user_id: userId,
      entitlement,
      sku: product.sku,
      type: product.type === 'SUBSCRIPTION' ? 'SUBSCRIPTION' : 'NON_CONSUMABLE',
      order_id: orderId,
      subscription_id: effect.subscriptionId,
      starts_at: isoAt(startsAt),
      expires_at: expiresAt,
      grace_expires_at: graceExpiresAt,
      revoked_at: null,
      created_at: isoAt(now),
    })
    // Re-granting a revoked order restores its entitlement row (one row per order).
    .onConflict((oc) => oc.column('order_id').doUpdateSet({ revoked_at: null }))
    .execute();
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
  await trx
    .updateTable('entitlements')
    .set({ revoked_at: isoAt(now) })
    .where('order_id', '=', orderId)
    .where('revoked_at', 'is', null)
    .execute();
}
