/**
 * SUBSCRIPTION SYNC — Toss is the source of truth for a subscription's state (expired, on hold, paused, revoked,
 * auto-renew off, a trial shorter than a cycle), and the partner API has no subscription endpoint: so for each
 * subscription the user holds, ask IAP.getSubscriptionInfo and report it to our server (`iap.syncSubscriptions`),
 * which re-verifies the order and may only shorten access (or extend it by at most one cycle).
 * Runs after the refund sync, on start and on return to the foreground. You probably don't need to edit this file.
 */
import type { InventoryOutput, SyncSubscriptionsInput, SyncSubscriptionsOutput } from '@ait-iap/iap-contract';
import type { ShopApi } from '../api/types';
import { getSubscriptionInfo } from './sdk';

/** `iap.syncSubscriptions` accepts at most this many reports per call (contract SyncSubscriptionsInput). */
const MAX_REPORTS = 50;

export async function syncSubscriptionStatus(deps: {
  api: Pick<ShopApi, 'syncSubscriptions'>;
  inventory: InventoryOutput;
}): Promise<SyncSubscriptionsOutput | null> {
  const orderIds = [
    ...new Set(deps.inventory.entitlements.filter((e) => e.type === 'SUBSCRIPTION').map((e) => e.orderId)),
  ].slice(0, MAX_REPORTS);
  if (orderIds.length === 0) return null;
  const subscriptions: SyncSubscriptionsInput['subscriptions'] = [];
  for (const orderId of orderIds) {
    const info = await getSubscriptionInfo(orderId);
    if (info.ok) subscriptions.push({ orderId, subscription: info.value });
    else console.warn('[iap] subscription sync: getSubscriptionInfo failed', orderId, info.error.code);
  }
  if (subscriptions.length === 0) return null;
  try {
    return await deps.api.syncSubscriptions({ subscriptions });
  } catch (error) {
    console.warn('[iap] subscription sync: iap.syncSubscriptions failed', error);
    return null;
  }
}
