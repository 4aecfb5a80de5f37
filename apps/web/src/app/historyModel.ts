/**
 * The history screen's rows: Toss's completed/refunded orders (IAP.getCompletedOrRefundedOrders) merged with
 * what our server recorded (me.orders), newest first. A refund on either side wins.
 */
import type { CatalogListItem, CompletedOrRefundedOrder, HistoryOrder } from '@ait-iap/iap-contract';
import { copy } from '../copy';

export type HistoryStatus = 'completed' | 'refunded' | 'processing' | 'refused' | 'held';

export interface HistoryRow {
  orderId: string;
  sku: string;
  name: string;
  date: string;
  status: HistoryStatus;
  label: string;
}

const labels: Record<HistoryStatus, string> = {
  completed: copy.history.completed,
  refunded: copy.history.refunded,
  processing: copy.history.state.RECEIVED,
  refused: copy.history.state.REFUSED,
  held: copy.history.state.HELD,
};

export function buildHistoryRows(
  tossOrders: readonly CompletedOrRefundedOrder[],
  serverOrders: readonly HistoryOrder[],
  catalog: readonly CatalogListItem[] | null,
): HistoryRow[] {
  const names = new Map((catalog ?? []).map((item) => [item.sku, item.name]));
  const rows = new Map<string, HistoryRow>();
  for (const order of serverOrders) {
    const status: HistoryStatus =
      order.state === 'GRANTED'
        ? 'completed'
        : order.state === 'REVOKED'
          ? 'refunded'
          : order.state === 'REFUSED'
            ? order.lastReason === 'REFUNDED'
              ? 'refunded'
              : 'refused'
            : order.state === 'HELD'
              ? 'held'
              : 'processing';
    rows.set(order.orderId, {
      orderId: order.orderId,
      sku: order.sku,
      name: order.name || names.get(order.sku) || order.sku,
      date: order.updatedAt || order.createdAt,
      status,
      label: labels[status],
    });
  }
  for (const order of tossOrders) {
    const existing = rows.get(order.orderId);
    const tossStatus: HistoryStatus = order.status === 'REFUNDED' ? 'refunded' : 'completed';
    if (existing) {
      if (tossStatus === 'refunded' && existing.status !== 'refunded') {
        rows.set(order.orderId, {
          ...existing,
          status: 'refunded',
          label: labels.refunded,
          date: order.date,
        });
      }
      continue;
    }
    rows.set(order.orderId, {
      orderId: order.orderId,
      sku: order.sku,
      name: names.get(order.sku) ?? order.sku,
      date: order.date,
      status: tossStatus,
      label: labels[tossStatus],
    });
  }
  // Toss dates are local time without a zone, ours are ISO UTC: compare as instants, not strings.
  const time = (iso: string) => {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? 0 : ms;
  };
  return [...rows.values()].sort((a, b) => time(b.date) - time(a.date));
}
