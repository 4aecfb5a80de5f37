/**
 * `iap.sync`: the app hands over its completed/refunded order pages; each order is re-verified with Toss through
 * the one fulfillment function (the client's `status` is never trusted). Refunded grants are revoked, completed
 * orders this server never granted are granted, orders that cannot be checked now are reported as deferred.
 * You probably don't need to edit this file.
 */
import type { SyncInput, SyncOutput } from '@ait-iap/iap-contract';
import type { SessionUser } from '../auth/sessions';
import { type FulfillDeps, fulfill } from './fulfill';

/** Run `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * `allowance(n)` grants up to n partner calls (the caller's rate limit); what it doesn't cover is answered as
 * `deferred` and checked on a later sync. So that a long history never starves the orders that matter, the budget
 * goes first to orders this server has not granted (possibly paid and owed), then to orders the app says were
 * REFUNDED, then to re-checking granted orders in random order (refunds the app has not seen; reconcile also finds them).
 */
export async function syncOrders(
  deps: FulfillDeps,
  user: Pick<SessionUser, 'userId' | 'userKey'> & Partial<Pick<SessionUser, 'environment'>>,
  orders: SyncInput['orders'],
  allowance: (wanted: number) => number | Promise<number> = (wanted) => wanted,
  random: () => number = Math.random,
): Promise<SyncOutput> {
  const unique = [...new Map(orders.map((order) => [order.orderId, order])).values()];
  const granted = new Set(
    unique.length === 0
      ? []
      : (
          await deps.database.db
            .selectFrom('orders')
            .select('order_id')
            .where('user_id', '=', user.userId)
            .where('state', '=', 'GRANTED')
            .where(
              'order_id',
              'in',
              unique.map((order) => order.orderId),
            )
            .execute()
        ).map((row) => row.order_id),
  );
  const priority = (order: SyncInput['orders'][number]) =>
    !granted.has(order.orderId) ? 0 : order.status === 'REFUNDED' ? 1 : 2 + random();
  const ranked = unique
    .map((order) => ({ order, rank: priority(order) }))
    .sort((a, b) => a.rank - b.rank)
    .map(({ order }) => order);
  const allowed = await allowance(ranked.length);
  const results = await mapLimit(ranked.slice(0, allowed), 4, (order) =>
    fulfill(deps, { user, orderId: order.orderId, sku: order.sku, source: 'sync', recheckGranted: true }),
  );
  const output: SyncOutput = {
    checked: unique.length,
    granted: [],
    revoked: [],
    unchanged: 0,
    deferred: ranked.slice(allowed).map((order) => order.orderId),
  };
  for (const { output: result, effect } of results) {
    if (effect === 'granted') output.granted.push(result.orderId);
    else if (effect === 'revoked') output.revoked.push(result.orderId);
    else if (result.retryable) output.deferred.push(result.orderId);
    else output.unchanged += 1;
  }
  return output;
}
