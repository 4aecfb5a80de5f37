/**
 * An IAP error as the user sees it: the contract's Korean copy (`iapErrorInfo`) and one next action —
 * retry, wait, nothing, contact support, already owned (→ show it), update the Toss app.
 * `data-testid="error-<CODE>"` is what the e2e suite looks for.
 */
import { fulfillReasonCopy, type IapError, orderReference } from '@ait-iap/iap-contract';
import { Button } from '@toss/tds-mobile';
import { readSupportUrl, supportLink } from '../config';
import { copy } from '../copy';
import type { GrantAttempt } from '../iap/purchase';
import { OrderReference } from './OrderReference';

/** The purchase's order is held for an operator: what is true now, nothing more (no grant, no refund, no date). */
function HeldNotice({ orderId, onDismiss }: { orderId: string | null; onDismiss: () => void }) {
  return (
    <div
      className="notice notice--calm"
      role="alert"
      data-testid="purchase-held"
      {...(orderId ? { 'data-order-id': orderId } : {})}
    >
      <p className="notice__title">{copy.held.title}</p>
      <p className="notice__body">{fulfillReasonCopy.UNDER_REVIEW}</p>
      {orderId ? <OrderReference orderId={orderId} /> : null}
      <div className="notice__actions">
        <ContactButton orderId={orderId} />
        <Button size="small" variant="weak" color="dark" onClick={onDismiss}>
          {copy.actions.dismiss}
        </Button>
      </div>
    </div>
  );
}

/**
 * An error Toss reported after our server granted the order (its answer reached Toss late or not at all): the product
 * is the user's — say that, not "not granted". Keeps `data-testid="error-<CODE>"`, with `data-granted`.
 */
function GrantedNotice({ code, onDismiss }: { code: string; onDismiss: () => void }) {
  return (
    <div
      className="notice notice--calm"
      role="alert"
      data-testid={`error-${code}`}
      data-action="none"
      data-granted="true"
    >
      <p className="notice__title">{copy.purchase.grantedDespiteError.title}</p>
      <p className="notice__body">{copy.purchase.grantedDespiteError.description}</p>
      <div className="notice__actions">
        <Button size="small" variant="weak" color="dark" onClick={onDismiss}>
          {copy.actions.none}
        </Button>
      </div>
    </div>
  );
}

/** "고객센터 문의": the team's support page (VITE_SUPPORT_URL), carrying the order's reference when there is one. */
export function ContactButton({ orderId }: { orderId?: string | null }) {
  const href = supportLink(readSupportUrl(), orderId ? orderReference(orderId) : null);
  return (
    <Button as="a" size="small" variant="weak" color="primary" href={href} target="_blank" rel="noreferrer">
      {copy.actions.contact}
    </Button>
  );
}

export interface ErrorNoticeProps {
  error: IapError;
  /** What our server said about the order, when the failure came after payment. */
  grant?: GrantAttempt | null;
  /** The paid order is held for an operator (UNDER_REVIEW): say that, not the error's "granted automatically". */
  held?: boolean;
  onRetry?: () => void;
  onShowOwned?: () => void;
  onDismiss: () => void;
}

export function ErrorNotice({ error, grant, held, onRetry, onShowOwned, onDismiss }: ErrorNoticeProps) {
  if (held) return <HeldNotice orderId={grant?.orderId ?? null} onDismiss={onDismiss} />;
  if (grant?.granted) return <GrantedNotice code={error.code} onDismiss={onDismiss} />;
  const reason = grant?.output && !grant.output.granted ? fulfillReasonCopy[grant.output.reason] : null;
  const calm = error.action === 'none';
  return (
    <div
      className={calm ? 'notice notice--calm' : 'notice'}
      role="alert"
      data-testid={`error-${error.code}`}
      data-action={error.action}
    >
      <p className="notice__title">{error.title}</p>
      <p className="notice__body">{error.description}</p>
      {reason ? <p className="notice__detail">{reason}</p> : null}
      {error.action === 'contact' && grant?.orderId ? <OrderReference orderId={grant.orderId} /> : null}
      <div className="notice__actions">
        {error.action === 'retry' && onRetry ? (
          <Button size="small" variant="fill" color="primary" onClick={onRetry}>
            {copy.actions.retry}
          </Button>
        ) : null}
        {error.action === 'owned' && onShowOwned ? (
          <Button size="small" variant="fill" color="primary" onClick={onShowOwned}>
            {copy.actions.owned}
          </Button>
        ) : null}
        {error.action === 'contact' ? <ContactButton orderId={grant?.orderId ?? null} /> : null}
        <Button size="small" variant="weak" color="dark" onClick={onDismiss}>
          {error.action === 'retry' || error.action === 'owned' || error.action === 'contact'
            ? copy.actions.dismiss
            : copy.actions[error.action]}
        </Button>
      </div>
    </div>
  );
}
