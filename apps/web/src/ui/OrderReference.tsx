/**
 * The order's short reference (`A1B2-C3D4`, the last 8 characters of its id) with a copy button: what the customer
 * reads out or pastes to support, and what the support console finds the order by.
 * `data-testid="order-reference-<orderId>"`.
 */
import { orderReference } from '@ait-iap/iap-contract';
import { useState } from 'react';
import { copy } from '../copy';

export function OrderReference({ orderId }: { orderId: string }) {
  const reference = orderReference(orderId);
  const [copied, setCopied] = useState(false);
  return (
    <span className="order-ref">
      <span>
        {copy.reference.label} <strong data-testid={`order-reference-${orderId}`}>{reference}</strong>
      </span>
      <button
        type="button"
        className="order-ref__copy"
        aria-label={copy.reference.copyLabel(reference)}
        onClick={() => {
          void navigator.clipboard?.writeText(reference).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? copy.reference.copied : copy.reference.copy}
      </button>
    </span>
  );
}
