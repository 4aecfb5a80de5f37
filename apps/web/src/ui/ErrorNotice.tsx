/**
 * An IAP error as the user sees it: the contract's Korean copy (`iapErrorInfo`) and one next action —
 * retry, wait, nothing, contact support, already owned (→ show it), update the Toss app.
 * `data-testid="error-<CODE>"` is what the e2e suite looks for.
 */
import { fulfillReasonCopy, type IapError } from '@ait-iap/iap-contract';
import { Button } from '@toss/tds-mobile';
import { copy } from '../copy';
import type { GrantAttempt } from '../iap/purchase';

export interface ErrorNoticeProps {
  error: IapError;
  /** What our server said about the order, when the failure came after payment. */
  grant?: GrantAttempt | null;
  onRetry?: () => void;
  onShowOwned?: () => void;
  onDismiss: () => void;
}

export function ErrorNotice({ error, grant, onRetry, onShowOwned, onDismiss }: ErrorNoticeProps) {
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
        {error.action === 'contact' ? (
          <Button
            as="a"
            size="small"
            variant="weak"
            color="primary"
            href={copy.supportUrl}
            target="_blank"
            rel="noreferrer"
          >
            {copy.actions.contact}
          </Button>
        ) : null}
        <Button size="small" variant="weak" color="dark" onClick={onDismiss}>
          {error.action === 'retry' || error.action === 'owned' || error.action === 'contact'
            ? copy.actions.dismiss
            : copy.actions[error.action]}
        </Button>
      </div>
    </div>
  );
}
