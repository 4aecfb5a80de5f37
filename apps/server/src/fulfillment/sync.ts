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

export async function syncOrders(
  deps: FulfillDeps,
  user: Pick<SessionUser, 'userId' | 'userKey'>,
  orders: SyncInput['orders'],
): Promise<SyncOutput> {
  const unique = [...new Map(orders.map((order) => [order.orderId, order])).values()];
  const results = await mapLimit(unique, 4, (order) =>
    fulfill(deps, { user, orderId: order.orderId, sku: order.sku, source: 'sync', recheckGranted: true }),
  );
  const output: SyncOutput = { checked: unique.length, granted: [], revoked: [], unchanged: 0, deferred: [] };
  for (const { output: result, effect } of results) {
    if (effect === 'granted') output.granted.push(result.orderId);
    else if (effect === 'revoked') output.revoked.push(result.orderId);
    else if (result.retryable) output.deferred.push(result.orderId);
    else output.unchanged += 1;
  }
  return output;
}
