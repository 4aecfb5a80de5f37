/**
 * Paid orders held for an operator (the server answered UNDER_REVIEW), shown at the top of every tab until the
 * operator decides: the product with its short order reference (to quote to support), and the contract's UNDER_REVIEW
 * copy — nothing promised beyond it. The support link carries the reference when one order is held.
 * `data-testid="held-<orderId>"` per order.
 */
import { fulfillReasonCopy } from '@ait-iap/iap-contract';
import { copy } from '../copy';
import type { HeldOrder } from '../iap/recovery';
import { ContactButton } from './ErrorNotice';
import { OrderReference } from './OrderReference';

export function HeldOrders({
  orders,
  nameOf,
}: {
  orders: readonly HeldOrder[];
  nameOf: (sku: string) => string;
}) {
  if (orders.length === 0) return null;
  return (
    <div className="notice-wrap">
      <section className="notice notice--calm" aria-label={copy.held.section} data-testid="held-orders">
        <p className="notice__title">{copy.held.title}</p>
        <ul className="held-list">
          {orders.map((order) => (
            <li key={order.orderId} data-testid={`held-${order.orderId}`}>
              {nameOf(order.sku)} <OrderReference orderId={order.orderId} />
            </li>
          ))}
        </ul>
        <p className="notice__body">{fulfillReasonCopy.UNDER_REVIEW}</p>
        <div className="notice__actions">
          <ContactButton orderId={orders.length === 1 ? (orders[0]?.orderId ?? null) : null} />
        </div>
      </section>
    </div>
  );
}
