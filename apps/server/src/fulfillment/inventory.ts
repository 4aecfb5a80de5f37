/**
 * What a user owns (`me.inventory`) and what they bought (`me.orders`), read from the ledger.
 * `entitlements` lists what the user can use NOW: non-consumables not revoked, and subscriptions that are ACTIVE or
 * IN_GRACE_PERIOD (computed from the injected clock). A subscription Toss reported ON_HOLD / PAUSED / REVOKED /
 * EXPIRED (`iap.syncSubscriptions`, see subscriptions.ts) is not listed; a reported IN_GRACE_PERIOD is kept, and
 * `autoRenew` is what Toss last said (absent until the app has reported). Balances include every catalog currency
 * (0 when empty) and may be negative after a refund of coins already spent (shown as owed).
 */
import type { Entitlement, HistoryOutput, InventoryOutput, SubscriptionStatus } from '@ait-iap/iap-contract';
import { catalogCurrencies } from '../catalog/products';
import { isoAt } from '../clock';
import type { AppDeps } from '../trpc';
import { endedSubscriptionStatuses } from './subscriptions';

export async function getInventory(
  deps: Pick<AppDeps, 'database' | 'clock'>,
  userId: string,
): Promise<InventoryOutput> {
  const db = deps.database.db;
  const nowIso = isoAt(deps.clock.now());
  const balances: Record<string, number> = {};
  for (const currency of await catalogCurrencies(db)) balances[currency] = 0;
  const wallets = await db
    .selectFrom('wallets')
    .select(['currency', 'balance'])
    .where('user_id', '=', userId)
    .execute();
  for (const wallet of wallets) balances[wallet.currency] = Number(wallet.balance);

  const rows = await db
    .selectFrom('entitlements')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('starts_at')
    .orderBy('id')
    .execute();
  const byEntitlement = new Map<string, Entitlement>();
  for (const row of rows) {
    if (row.type === 'NON_CONSUMABLE') {
      if (!byEntitlement.has(row.entitlement)) {
        byEntitlement.set(row.entitlement, {
          entitlement: row.entitlement,
          sku: row.sku,
          type: 'NON_CONSUMABLE',
          orderId: row.order_id,
          grantedAt: row.created_at,
        });
      }
      continue;
    }
    // Subscriptions: the period that ends last wins; on a tie (the rows of one subscription share its derived end)
    // the latest cycle's order, so the inventory names the renewal the user is in.
    const current = byEntitlement.get(row.entitlement);
    if (current && (current.graceExpiresAt ?? '') > (row.grace_expires_at ?? '')) continue;
    const expiresAt = row.expires_at ?? nowIso;
    const graceExpiresAt = row.grace_expires_at ?? expiresAt;
    const byClock = nowIso < expiresAt ? 'ACTIVE' : nowIso < graceExpiresAt ? 'IN_GRACE_PERIOD' : 'EXPIRED';
    const reported = row.toss_status;
    const status: SubscriptionStatus =
      byClock === 'EXPIRED'
        ? 'EXPIRED'
        : reported !== null && endedSubscriptionStatuses.includes(reported)
          ? reported
          : reported === 'IN_GRACE_PERIOD'
            ? 'IN_GRACE_PERIOD'
            : byClock;
    byEntitlement.set(row.entitlement, {
      entitlement: row.entitlement,
      sku: row.sku,
      type: 'SUBSCRIPTION',
      orderId: row.order_id,
      grantedAt: row.created_at,
      expiresAt,
      graceExpiresAt,
      status,
      ...(row.auto_renew === null ? {} : { autoRenew: row.auto_renew === 1 }),
    });
  }
  const entitlements = [...byEntitlement.values()].filter(
    (e) => e.type === 'NON_CONSUMABLE' || e.status === 'ACTIVE' || e.status === 'IN_GRACE_PERIOD',
  );
  return { balances, entitlements };
}

export async function getHistory(
  deps: Pick<AppDeps, 'database'>,
  userId: string,
  limit = 200,
): Promise<HistoryOutput> {
  const rows = await deps.database.db
    .selectFrom('orders')
    .innerJoin('products', 'products.sku', 'orders.sku')
    .select([
      'orders.order_id',
      'orders.sku',
      'products.name',
      'orders.state',
      'orders.last_reason',
      'orders.created_at',
      'orders.updated_at',
    ])
    .where('orders.user_id', '=', userId)
    .orderBy('orders.created_at', 'desc')
    .orderBy('orders.order_id', 'desc')
    .limit(limit)
    .execute();
  return {
    orders: rows.map((row) => ({
      orderId: row.order_id,
      sku: row.sku,
      name: row.name,
      state: row.state,
      lastReason: row.last_reason,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    })),
  };
}
