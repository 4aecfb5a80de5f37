/**
 * REFUND SYNC — read every page of IAP.getCompletedOrRefundedOrders({ key }) (follow nextKey while hasNext) and
 * hand the orders to our server's `iap.sync`, which re-checks each with Toss and revokes what was refunded (and
 * grants a completed order it somehow missed). Also returns the orders, for the history screen.
 * You probably don't need to edit this file.
 */
import {
  type CompletedOrRefundedOrder,
  type IapError,
  OrderId,
  type SyncOutput,
} from '@ait-iap/iap-contract';
import type { ShopApi } from '../api/types';
import { getCompletedOrRefundedOrdersPage } from './sdk';

/** Guards against a host that keeps answering hasNext: true. */
const MAX_PAGES = 100;
/** `iap.sync` accepts at most this many orders per call (contract SyncInput). */
const SYNC_BATCH = 500;

export type OrdersResult = { ok: true; orders: CompletedOrRefundedOrder[] } | { ok: false; error: IapError };

export async function fetchAllCompletedOrRefundedOrders(): Promise<OrdersResult> {
  const orders: CompletedOrRefundedOrder[] = [];
  const seenKeys = new Set<string>();
  let key: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await getCompletedOrRefundedOrdersPage(key);
    if (!result.ok) {
      // A later page failing still leaves the earlier pages worth syncing.
      if (page === 0) return { ok: false, error: result.error };
      console.warn('[iap] refund sync: a later page failed; syncing what was read', result.error.code);
      break;
    }
    orders.push(...result.value.orders);
    const next = result.value.nextKey ?? null;
    if (!result.value.hasNext || next === null || seenKeys.has(next)) break;
    seenKeys.add(next);
    key = next;
  }
  return { ok: true, orders };
}

export interface RefundSyncReport {
  orders: OrdersResult;
  /** Merged answers of every iap.sync batch; null if nothing was sent or the server could not be reached. */
  sync: SyncOutput | null;
}

export async function syncRefunds(deps: { api: Pick<ShopApi, 'sync'> }): Promise<RefundSyncReport> {
  const orders = await fetchAllCompletedOrRefundedOrders();
  if (!orders.ok) return { orders, sync: null };
  // The server refuses a whole batch over one malformed id; drop those here.
  const valid = orders.orders.filter((order) => OrderId.safeParse(order.orderId).success);
  if (valid.length === 0) return { orders, sync: null };
  const total: SyncOutput = { checked: 0, granted: [], revoked: [], unchanged: 0, deferred: [] };
  try {
    for (let i = 0; i < valid.length; i += SYNC_BATCH) {
      const batch = valid
        .slice(i, i + SYNC_BATCH)
        .map(({ orderId, sku, status }) => ({ orderId, sku, status }));
      const out = await deps.api.sync({ orders: batch });
      total.checked += out.checked;
      total.granted.push(...out.granted);
      total.revoked.push(...out.revoked);
      total.unchanged += out.unchanged;
      total.deferred.push(...out.deferred);
    }
  } catch (error) {
    console.warn('[iap] refund sync: iap.sync failed', error);
    return { orders, sync: total.checked > 0 ? total : null };
  }
  return { orders, sync: total };
}
