/** One user: balances (negative ones too) and the wallet ledger, entitlements and subscriptions, orders; a credit. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { formatTime } from '../copy';
import { href } from '../route';
import { useTRPC } from '../trpc';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Badge, Empty, EnvBadge, ErrorLine, Section, StateBadge } from '../ui/parts';
import { outcome } from './outcomes';

export function User({ userId, canDecide }: { userId: string; canDecide: boolean }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.ops.user.queryOptions({ userId }));
  if (detail.error) return <ErrorLine error={detail.error} />;
  if (!detail.data) return <p className="muted">불러오는 중…</p>;
  const { user, wallets, walletEntries, entitlements, subscriptions, orders } = detail.data;
  return (
    <>
      <Section title="사용자">
        <dl className="facts">
          <dt>ID</dt>
          <dd className="mono">{user.id}</dd>
          <dt>userKey 태그</dt>
          <dd className="mono">{user.userKeyHash}</dd>
          <dt>가입</dt>
          <dd>{formatTime(user.createdAt)}</dd>
          <dt>마지막 로그인 환경</dt>
          <dd>
            <EnvBadge environment={user.lastLoginEnvironment} />
          </dd>
        </dl>
      </Section>
      <Section title="잔액">
        {wallets.length === 0 ? (
          <Empty>지갑이 없어요.</Empty>
        ) : (
          <ul className="list" data-testid="balances">
            {wallets.map((wallet) => (
              <li key={wallet.currency}>
                {wallet.currency}{' '}
                <strong className={wallet.balance < 0 ? 'negative' : ''}>
                  {wallet.balance.toLocaleString('ko-KR')}
                </strong>
                {wallet.balance < 0 && <Badge tone="bad">음수 잔액</Badge>}
              </li>
            ))}
          </ul>
        )}
        <Credit userId={user.id} currencies={wallets.map((w) => w.currency)} canDecide={canDecide} />
      </Section>
      <Section title={`지갑 기록 ${walletEntries.length}건`}>
        {walletEntries.length === 0 ? (
          <Empty>없어요.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>시각</th>
                  <th>종류</th>
                  <th>재화</th>
                  <th>수량</th>
                  <th>주문</th>
                  <th>사유</th>
                </tr>
              </thead>
              <tbody>
                {walletEntries.map((entry) => (
                  <tr key={entry.id}>
                    <td>{formatTime(entry.created_at)}</td>
                    <td>{entry.kind}</td>
                    <td>{entry.currency}</td>
                    <td className={entry.amount < 0 ? 'negative' : ''}>{entry.amount}</td>
                    <td>{entry.order_id ? <a href={href.order(entry.order_id)}>열기</a> : '—'}</td>
                    <td>{entry.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title={`권한 ${entitlements.length}건 · 구독 ${subscriptions.length}건`}>
        {entitlements.length === 0 ? (
          <Empty>없어요.</Empty>
        ) : (
          <ul className="list">
            {entitlements.map((row) => (
              <li key={row.id}>
                {row.entitlement} · {row.type === 'SUBSCRIPTION' ? '구독' : '영구'} ·{' '}
                {formatTime(row.starts_at)}
                {row.expires_at ? ` ~ ${formatTime(row.expires_at)}` : ''}
                {row.toss_status ? ` · Toss ${row.toss_status}` : ''}
                {row.revoked_at ? <Badge tone="bad">회수됨</Badge> : null}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={`주문 ${orders.length}건`}>
        {orders.length === 0 ? (
          <Empty>없어요.</Empty>
        ) : (
          <ul className="list">
            {orders.map((order) => (
              <li key={order.order_id}>
                <a href={href.order(order.order_id)} className="mono">
                  {order.reference}
                </a>{' '}
                <StateBadge state={order.state} /> {order.sku} · {formatTime(order.created_at)}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function Credit({
  userId,
  currencies,
  canDecide,
}: {
  userId: string;
  currencies: string[];
  canDecide: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [currency, setCurrency] = useState(currencies[0] ?? '');
  const [amount, setAmount] = useState('');
  const [open, setOpen] = useState(false);
  const credit = useMutation(
    trpc.ops.credit.mutationOptions({ onSettled: () => queryClient.invalidateQueries() }),
  );
  const value = Number(amount);
  const valid = currency.trim() !== '' && Number.isInteger(value) && value > 0;
  return (
    <div className="credit">
      <h3>보상 지급</h3>
      <div className="search-form">
        <label className="field">
          <span>재화</span>
          <input name="currency" value={currency} onChange={(e) => setCurrency(e.target.value)} />
        </label>
        <label className="field">
          <span>수량</span>
          <input
            name="amount"
            inputMode="numeric"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        </label>
        <button
          type="button"
          className="primary"
          disabled={!canDecide || !valid}
          onClick={() => setOpen(true)}
        >
          보상 지급
        </button>
      </div>
      {credit.isSuccess && <p className="ok">보상 지급 완료</p>}
      <ErrorLine error={credit.error} />
      {open && (
        <ConfirmDialog
          title="보상 지급할까요?"
          outcome={outcome.credit(currency.trim(), value)}
          confirmLabel="보상 지급"
          busy={credit.isPending}
          onCancel={() => setOpen(false)}
          onConfirm={(reason) =>
            credit.mutateAsync({ userId, currency: currency.trim(), amount: value, reason }).then(
              () => setOpen(false),
              () => setOpen(false),
            )
          }
        />
      )}
    </div>
  );
}
