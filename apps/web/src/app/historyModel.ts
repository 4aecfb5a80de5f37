/**
 * The history screen's rows: Toss's completed/refunded orders (IAP.getCompletedOrRefundedOrders) merged with
 * what our server recorded (me.orders), newest first. A refund on either side wins.
 */
import {
  type CatalogListItem,
  type CompletedOrRefundedOrder,
  fulfillReasonCopy,
  type HistoryOrder,
} from '@ait-iap/iap-contract';
import { copy } from '../copy';

/**
 * One state, one phrase (copy.history.status): `granted` our server granted it; `paid` only Toss lists it, COMPLETED
 * (paid; the refund sync asks the server to grant it); `refunded` Toss refunded it (revoked if it had been granted);
 * `processing` recorded, not decided; `denied` an operator refused the held order; `cancelled` an operator took a
 * grant back (not a refund); `held` waiting for an operator.
 */
export type HistoryStatus = 'granted' | 'paid' | 'refunded' | 'processing' | 'denied' | 'cancelled' | 'held';

export interface HistoryRow {
  orderId: string;
  sku: string;
  name: string;
  date: string;
  status: HistoryStatus;
  label: string;
  /** The reason in the buyer's words and the next step, for rows that need one (held, denied, cancelled). */
  detail: string | null;
  /** Offer the support link (carrying the order's reference). */
  contact: boolean;
}

const details: Partial<Record<HistoryStatus, string>> = {
  held: fulfillReasonCopy.UNDER_REVIEW,
  denied: copy.history.detail.denied,
  cancelled: copy.history.detail.cancelled,
};

function describe(status: HistoryStatus): Pick<HistoryRow, 'status' | 'label' | 'detail' | 'contact'> {
  const detail = details[status] ?? null;
  return { status, label: copy.history.status[status], detail, contact: detail !== null };
}

/** Our server's record → the row's state. REVOKED and REFUSED tell a refund from an operator's decision by lastReason. */
function serverStatus(order: HistoryOrder): HistoryStatus {
  const refunded = order.lastReason === 'REFUNDED';
  switch (order.state) {
    case 'GRANTED':
      return 'granted';
    case 'REVOKED':
      return refunded ? 'refunded' : 'cancelled';
    case 'REFUSED':
      return refunded ? 'refunded' : 'denied';
    case 'HELD':
      return 'held';
    case 'RECEIVED':
      return 'processing';
  }
}

export function buildHistoryRows(
  tossOrders: readonly CompletedOrRefundedOrder[],
  serverOrders: readonly HistoryOrder[],
  catalog: readonly CatalogListItem[] | null,
): HistoryRow[] {
  const names = new Map((catalog ?? []).map((item) => [item.sku, item.name]));
  const rows = new Map<string, HistoryRow>();
  for (const order of serverOrders) {
    rows.set(order.orderId, {
      orderId: order.orderId,
      sku: order.sku,
      name: order.name || names.get(order.sku) || order.sku,
      date: order.updatedAt || order.createdAt,
      ...describe(serverStatus(order)),
    });
  }
  for (const order of tossOrders) {
    const existing = rows.get(order.orderId);
    const tossStatus: HistoryStatus = order.status === 'REFUNDED' ? 'refunded' : 'paid';
    if (existing) {
      if (tossStatus === 'refunded' && existing.status !== 'refunded') {
        rows.set(order.orderId, { ...existing, ...describe('refunded'), date: order.date });
      }
      continue;
    }
    rows.set(order.orderId, {
      orderId: order.orderId,
      sku: order.sku,
      name: names.get(order.sku) ?? order.sku,
      date: order.date,
      ...describe(tossStatus),
    });
  }
  // Toss dates are local time without a zone, ours are ISO UTC: compare as instants, not strings.
  const time = (iso: string) => {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? 0 : ms;
  };
  return [...rows.values()].sort((a, b) => time(b.date) - time(a.date));
}
