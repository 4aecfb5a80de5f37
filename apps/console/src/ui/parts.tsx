/** Small shared pieces: badges, a copy button, an error line, a section with a title. */
import { type ReactNode, useState } from 'react';
import { errorMessage, stateLabel } from '../copy';

export function Badge({
  tone = 'plain',
  children,
}: {
  tone?: 'plain' | 'warn' | 'ok' | 'bad' | 'test';
  children: ReactNode;
}) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function EnvBadge({ environment }: { environment: string | null }) {
  if (environment === 'sandbox') return <Badge tone="test">테스트</Badge>;
  if (environment === 'production') return <Badge>실결제</Badge>;
  return <Badge>환경 모름</Badge>;
}

const stateTone: Record<string, 'plain' | 'warn' | 'ok' | 'bad'> = {
  HELD: 'warn',
  GRANTED: 'ok',
  REFUSED: 'bad',
  REVOKED: 'bad',
};

export function StateBadge({ state }: { state: string | null }) {
  if (!state) return <Badge>원장에 없음</Badge>;
  return <Badge tone={stateTone[state] ?? 'plain'}>{stateLabel[state] ?? state}</Badge>;
}

export function CopyButton({ text, label = '복사' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="link-button"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        });
      }}
    >
      {done ? '복사됨' : label}
    </button>
  );
}

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="card">
      <header className="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}
