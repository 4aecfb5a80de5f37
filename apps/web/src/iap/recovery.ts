/**
 * RECOVERY — finish paid orders that never got through completeProductGrant (app closed mid-purchase, grant
 * failed or timed out, completeProductGrant failed). Runs on start, when the app returns to the foreground, after a
 * failed purchase and before every new one.
 *
 *   1. What to ask about: Toss's pending orders (`getPendingOrders`) AND the device's outbox (outbox.ts), one
 *      entry per orderId. The outbox alone covers Toss apps without getPendingOrders (the host resolves undefined).
 *   2. For each: ask our server to fulfill it (idempotent: an order granted before answers "granted" again) and call
 *      completeProductGrant ONLY when it was granted.
 *   3. Held orders (UNDER_REVIEW: Toss read FAILED and the server never saw them paid) are reported so the app can
 *      say so, and asked about again only while Toss still lists them as pending (or, where Toss cannot list
 *      pending orders, while they are in the outbox). Once Toss stops listing one, the outbox forgets it.
 *   4. An outbox entry the server answers ORDER_NOT_FOUND / UNKNOWN_SKU is reported to operators
 *      (`iap.reportPurchase` OUTBOX_DROPPED) and dropped only once the server took the report.
 * You probably don't need to edit this file.
 */
import type { FulfillOutput, FulfillReason, IapError } from '@ait-iap/iap-contract';
import type { ShopApi } from '../api/types';
import { type Clock, systemClock, within } from './clock';
import { type PurchaseIntents, reportableOrderId, reportedDropReasons } from './intents';
import { type Outbox, type OutboxEntry, outboxAction } from './outbox';
import { acknowledgeGrant, getPendingOrders } from './sdk';

export interface RecoveryDeps {
  api: Pick<ShopApi, 'fulfill'>;
  outbox: Outbox;
  /** Where a dropped outbox entry is reported (step 4). Without it, entries are dropped unreported. */
  intents?: PurchaseIntents;
  /** Per order; recovery has no Toss deadline, so this can be longer than the purchase's grant window. */
  fulfillTimeoutMs: number;
  completeTimeoutMs: number;
  clock?: Clock;
}

export interface HeldOrder {
  orderId: string;
  sku: string;
}

export interface RecoveryReport {
  /** Pending orders Toss reported. */
  pending: number;
  /** Granted by our server now or before (safe to acknowledge). */
  granted: string[];
  /** Of those, granted just now or released from review (the user gets something new: worth telling them). */
  grantedNow: string[];
  /** Acknowledged to Toss with completeProductGrant. */
  completed: string[];
  /** Held for an operator (UNDER_REVIEW): the app tells the user it is being checked. */
  held: HeldOrder[];
  /** Not granted (yet), held orders included: asked about again next time unless refused for good. */
  notGranted: { orderId: string; reason: FulfillReason | 'REQUEST_FAILED' }[];
  /** Set when Toss's pending list could not be read (old app, no host, network); the outbox was still replayed. */
  error: IapError | null;
}

interface Candidate {
  orderId: string;
  sku: string;
  subscriptionId?: string;
  /** Toss lists it as pending now (false: only the outbox has it). */
  listedByToss: boolean;
  /** The outbox has it (and whether it was held last time). */
  inOutbox: boolean;
  wasHeld: boolean;
}

/** Toss's pending list joined with the outbox, one candidate per orderId; held entries Toss dropped are forgotten. */
async function candidates(deps: RecoveryDeps, report: RecoveryReport): Promise<Candidate[]> {
  const [pending, outbox] = await Promise.all([getPendingOrders(), deps.outbox.list()]);
  const saved = new Map<string, OutboxEntry>(outbox.map((entry) => [entry.orderId, entry]));
  const list: Candidate[] = [];
  const seen = new Set<string>();
  if (pending.ok) {
    report.pending = pending.value.length;
    for (const order of pending.value) {
      if (seen.has(order.orderId)) continue;
      seen.add(order.orderId);
      const entry = saved.get(order.orderId);
      list.push({
        orderId: order.orderId,
        sku: order.sku,
        ...(entry?.subscriptionId ? { subscriptionId: entry.subscriptionId } : {}),
        listedByToss: true,
        inOutbox: entry !== undefined,
        wasHeld: entry?.held === true,
      });
    }
  } else {
    report.error = pending.error;
  }
  for (const entry of outbox) {
    if (seen.has(entry.orderId)) continue;
    seen.add(entry.orderId);
    // Held, and Toss can list pending orders but no longer lists this one: stop asking.
    if (pending.ok && entry.held) {
      await deps.outbox.remove(entry.orderId);
      continue;
    }
    list.push({
      orderId: entry.orderId,
      sku: entry.sku,
      ...(entry.subscriptionId ? { subscriptionId: entry.subscriptionId } : {}),
      listedByToss: false,
      inOutbox: true,
      wasHeld: entry.held === true,
    });
  }
  return list;
}

/**
 * An entry the server could not find or sell is a paid order no list shows (Toss apps without getPendingOrders):
 * tell operators before forgetting it. False (keep it, report again next time) when the report did not get through.
 */
async function reportedBeforeDrop(
  deps: RecoveryDeps,
  order: Candidate,
  output: FulfillOutput,
): Promise<boolean> {
  if (!deps.intents || !reportedDropReasons.includes(output.reason)) return true;
  return deps.intents.report({
    ...reportableOrderId(order.orderId),
    sku: order.sku,
    outcome: 'OUTBOX_DROPPED',
    serverReason: output.reason,
  });
}

export async function recoverPendingOrders(deps: RecoveryDeps): Promise<RecoveryReport> {
  const clock = deps.clock ?? systemClock;
  const report: RecoveryReport = {
    pending: 0,
    granted: [],
    grantedNow: [],
    completed: [],
    held: [],
    notGranted: [],
    error: null,
  };
  const orders = await candidates(deps, report);
  // Toss's pending list was read (false: an old Toss app, no host, or a failed call — the outbox decides).
  const tossListRead = report.error === null;
  for (const order of orders) {
    let output: FulfillOutput | null = null;
    try {
      output = await within(
        deps.api.fulfill({
          orderId: order.orderId,
          sku: order.sku,
          ...(order.subscriptionId ? { subscriptionId: order.subscriptionId } : {}),
        }),
        deps.fulfillTimeoutMs,
        'iap.fulfill',
        clock,
      );
    } catch (error) {
      console.warn('[iap] recovery: fulfill failed', order.orderId, error);
      report.notGranted.push({ orderId: order.orderId, reason: 'REQUEST_FAILED' });
      continue; // the outbox keeps it; Toss keeps listing it
    }

    if (!output.granted) {
      report.notGranted.push({ orderId: order.orderId, reason: output.reason });
      const action = outboxAction(output, false);
      if (action === 'hold') {
        report.held.push({ orderId: order.orderId, sku: order.sku });
        // Asked about again while Toss lists it (or cannot list anything), remembered as held so an approval later
        // is news; forgotten once Toss stops listing it.
        if (order.listedByToss || !tossListRead) await deps.outbox.markHeld(order);
        else await deps.outbox.remove(order.orderId);
      } else if (action === 'remove' && order.inOutbox && (await reportedBeforeDrop(deps, order, output))) {
        await deps.outbox.remove(order.orderId);
      }
      continue;
    }

    report.granted.push(order.orderId);
    if (output.reason === 'GRANTED' || order.wasHeld) report.grantedNow.push(order.orderId);
    const ack = await acknowledgeGrant(order.orderId, deps.completeTimeoutMs);
    if (ack.completed) report.completed.push(order.orderId);
    // Toss no longer listing it counts as acknowledged: there is nothing left to tell Toss.
    const tossDone = ack.settled || (tossListRead && !order.listedByToss);
    if (order.inOutbox && tossDone) await deps.outbox.remove(order.orderId);
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
