/**
 * The confirmation every change goes through: what will happen, what the customer will see afterwards, and a
 * required reason (written to the audit log with the operator's name).
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';

export interface ConfirmDialogProps {
  title: string;
  /** What the customer will see afterwards. */
  outcome: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy: boolean;
  /** Extra fields (e.g. the SKU the settlement shows). */
  children?: ReactNode;
  onConfirm(reason: string): void;
  onCancel(): void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const [reason, setReason] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    // The reason is the one thing every decision needs: start there.
    reasonField.current?.focus();
  }, []);
  const trimmed = reason.trim();
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="confirm-title" onCancel={props.onCancel}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (trimmed && !props.busy) props.onConfirm(trimmed);
        }}
      >
        <h2 id="confirm-title">{props.title}</h2>
        <div className="outcome">
          <strong>고객에게 보이는 결과</strong>
          <div>{props.outcome}</div>
        </div>
        {props.children}
        <label className="field">
          <span>사유 (필수, 감사 로그에 남아요)</span>
          <textarea
            ref={reasonField}
            name="reason"
            value={reason}
            required
            maxLength={500}
            rows={3}
            onChange={(event) => setReason(event.target.value)}
          />
        </label>
        <div className="dialog-actions">
          <button type="button" onClick={props.onCancel}>
            취소
          </button>
          <button
            type="submit"
            className={props.danger ? 'danger' : 'primary'}
            disabled={!trimmed || props.busy}
          >
            {props.busy ? '처리 중…' : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
