/**
 * RECOVERY — finish paid orders that never got through completeProductGrant (app closed mid-purchase, grant
 * failed or timed out, completeProductGrant failed). For each pending order: ask our server to fulfill it
 * (idempotent: an order granted before answers "granted" again) and call completeProductGrant ONLY when it was
 * granted. Runs on start, when the app returns to the foreground, after a failed purchase and before every new one.
 * You probably don't need to edit this file.
 */
import type { FulfillReason, IapError } from '@ait-iap/iap-contract';
import type { ShopApi } from '../api/types';
import { completeProductGrant, getPendingOrders, withTimeout } from './sdk';

export interface RecoveryDeps {
  api: Pick<ShopApi, 'fulfill'>;
  /** Per order; recovery has no Toss deadline, so this can be longer than the purchase's grant deadline. */
  fulfillTimeoutMs: number;
  completeTimeoutMs: number;
}

export interface RecoveryReport {
  /** Pending orders Toss reported. */
  pending: number;
  /** Granted by our server now or before (safe to acknowledge). */
  granted: string[];
  /** Of those, granted just now (the user gets something new: worth telling them). */
  grantedNow: string[];
  /** Acknowledged to Toss with completeProductGrant. */
  completed: string[];
  /** Not granted (yet): the order stays pending and is retried next time. */
  notGranted: { orderId: string; reason: FulfillReason | 'REQUEST_FAILED' }[];
  /** Set when the pending list itself could not be read (old app, no host, network). */
  error: IapError | null;
}

export async function recoverPendingOrders(deps: RecoveryDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = {
    pending: 0,
    granted: [],
    grantedNow: [],
    completed: [],
    notGranted: [],
    error: null,
  };
  const pending = await getPendingOrders();
  if (!pending.ok) {
    report.error = pending.error;
    return report;
  }
  report.pending = pending.value.length;
  for (const order of pending.value) {
    let granted = false;
    try {
      const out = await withTimeout(
        deps.api.fulfill({ orderId: order.orderId, sku: order.sku }),
        deps.fulfillTimeoutMs,
        'iap.fulfill',
      );
      granted = out.granted === true;
      if (granted && out.reason === 'GRANTED') report.grantedNow.push(order.orderId);
      if (!granted) report.notGranted.push({ orderId: order.orderId, reason: out.reason });
    } catch (error) {
      console.warn('[iap] recovery: fulfill failed', order.orderId, error);
      report.notGranted.push({ orderId: order.orderId, reason: 'REQUEST_FAILED' });
    }
    if (!granted) continue;
    report.granted.push(order.orderId);
    const ack = await completeProductGrant(order.orderId, deps.completeTimeoutMs);
    if (ack.ok && ack.value) report.completed.push(order.orderId);
  }
  return report;
}

/** One recovery at a time: callers during a run share its result. */
export function createRecoveryRunner(deps: RecoveryDeps) {
  let running: Promise<RecoveryReport> | null = null;
  return {
    run(): Promise<RecoveryReport> {
      if (!running) {
        running = recoverPendingOrders(deps).finally(() => {
          running = null;
        });
      }
      return running;
    },
    isRunning: () => running !== null,
  };
}
export type RecoveryRunner = ReturnType<typeof createRecoveryRunner>;
