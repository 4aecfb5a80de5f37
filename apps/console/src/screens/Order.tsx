/**
 * One order: the ledger row, every attempt with the Toss reading it saw, its effects (wallet entries, entitlements),
 * its audit trail; "Toss에 다시 묻기" (read-only), then approve / deny (HELD), revoke (GRANTED), regrant
 * (REFUSED/REVOKED) — each behind a confirmation with a required reason.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { actionLabel, decisionLabel, formatTime, formatWon, holdReasonLabel } from '../copy';
import { href } from '../route';
import { useTRPC } from '../trpc';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Badge, CopyButton, Empty, EnvBadge, ErrorLine, Section, StateBadge } from '../ui/parts';
import { outcome } from './outcomes';

type Decision = 'approve' | 'deny' | 'regrant' | 'revoke';

export function Order({ orderId, canDecide }: { orderId: string; canDecide: boolean }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.ops.order.queryOptions({ orderId }));
  if (detail.error) return <ErrorLine error={detail.error} />;
  if (!detail.data) return <p className="muted">불러오는 중…</p>;
  const data = detail.data;
  const order = data.order;
  const sku = order?.sku ?? data.attempts.at(-1)?.sku ?? '';
  return (
    <>
      <Section
        title="주문"
        actions={
          <span className="ref">
            참조 번호{' '}
            <strong className="mono" data-testid="order-reference">
              {data.reference}
            </strong>{' '}
            <CopyButton text={data.reference} />
          </span>
        }
      >
        <dl className="facts">
          <dt>상태</dt>
          <dd data-testid="order-state">
            <StateBadge state={order?.state ?? null} />
          </dd>
          <dt>주문 번호</dt>
          <dd className="mono">{data.orderId}</dd>
          <dt>사용자</dt>
          <dd>{data.userId ? <a href={href.user(data.userId)}>{data.userId}</a> : '—'}</dd>
          <dt>상품</dt>
          <dd className="mono">
            {sku} {data.product ? `(${data.product.name})` : ''}
            {order && order.sku_verified === 0 && <Badge tone="warn">Toss가 상품을 알려주지 않음</Badge>}
          </dd>
          <dt>판매가</dt>
          <dd>{formatWon(order?.sale_price ?? data.product?.sale_price ?? null)}</dd>
          <dt>환경</dt>
          <dd>
            <EnvBadge environment={order?.environment ?? null} />
          </dd>
          {order?.hold_reason && (
            <>
              <dt>보류 사유</dt>
              <dd>{holdReasonLabel[order.hold_reason] ?? order.hold_reason}</dd>
            </>
          )}
          <dt>Toss 상태(기록)</dt>
          <dd>{order?.toss_status ?? '—'}</dd>
          <dt>생성 · 변경</dt>
          <dd>
            {formatTime(order?.created_at)} · {formatTime(order?.updated_at)}
          </dd>
        </dl>
      </Section>
      <AskToss orderId={data.orderId} />
      {order && (
        <Decisions
          orderId={data.orderId}
          state={order.state}
          sku={sku}
          product={data.product}
          canDecide={canDecide}
        />
      )}
      <Section title={`요청 기록 ${data.attempts.length}건`}>
        {data.attempts.length === 0 ? (
          <Empty>없어요.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>시각</th>
                  <th>출처</th>
                  <th>결과</th>
                  <th>Toss 상태</th>
                  <th>상품</th>
                  <th>비고</th>
                </tr>
              </thead>
              <tbody>
                {data.attempts.map((attempt) => (
                  <tr key={attempt.id}>
                    <td>{formatTime(attempt.created_at)}</td>
                    <td>{attempt.source}</td>
                    <td>
                      {attempt.outcome}
                      {attempt.retryable ? ' (재시도)' : ''}
                    </td>
                    <td>{attempt.toss_status ?? '응답 없음'}</td>
                    <td className="mono">{attempt.sku}</td>
                    <td>{attempt.detail ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="지급 효과">
        {data.walletEntries.length === 0 && data.entitlements.length === 0 ? (
          <Empty>지급된 것이 없어요.</Empty>
        ) : (
          <ul className="list">
            {data.walletEntries.map((entry) => (
              <li key={entry.id}>
                {formatTime(entry.created_at)} · {entry.kind} · {entry.currency}{' '}
                <strong>{entry.amount > 0 ? `+${entry.amount}` : entry.amount}</strong>
                {entry.reason ? ` · ${entry.reason}` : ''}
              </li>
            ))}
            {data.entitlements.map((row) => (
              <li key={row.id}>
                권한 {row.entitlement} · {formatTime(row.starts_at)}
                {row.expires_at ? ` ~ ${formatTime(row.expires_at)}` : ''}
                {row.revoked_at ? ` · 회수됨 ${formatTime(row.revoked_at)}` : ''}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="감사 기록">
        {data.audit.length === 0 ? (
          <Empty>운영자가 처리한 기록이 없어요.</Empty>
        ) : (
          <ul className="list" data-testid="order-audit">
            {data.audit.map((row) => (
              <li key={row.id}>
                {formatTime(row.created_at)} · <strong>{row.operator}</strong> ·{' '}
                {actionLabel[row.action] ?? row.action} · {row.reason}
                {row.detail ? <span className="muted"> ({row.detail})</span> : null}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function AskToss({ orderId }: { orderId: string }) {
  const trpc = useTRPC();
  const ask = useMutation(trpc.ops.askToss.mutationOptions());
  return (
    <Section
      title="Toss의 지금 상태"
      actions={
        <button type="button" onClick={() => ask.mutate({ orderId })} disabled={ask.isPending}>
          {ask.isPending ? '묻는 중…' : 'Toss에 다시 묻기'}
        </button>
      }
    >
      <ErrorLine error={ask.error} />
      {ask.data ? (
        <p data-testid="toss-reading">
          {formatTime(ask.data.askedAt)} · Toss: <strong>{ask.data.status}</strong>
          {ask.data.statedSku ? ` · 상품 ${ask.data.statedSku}` : ' · 상품은 알려주지 않음'} ·{' '}
          {decisionLabel[ask.data.decision] ?? ask.data.decision}
        </p>
      ) : (
        <p className="muted">묻기만 하고 아무것도 바꾸지 않아요. 결정하기 전에 눌러 보세요.</p>
      )}
    </Section>
  );
}

const allowed: Record<string, Decision[]> = {
  HELD: ['approve', 'deny'],
  GRANTED: ['revoke'],
  REFUSED: ['regrant'],
  REVOKED: ['regrant'],
};

function Decisions(props: {
  orderId: string;
  state: string;
  sku: string;
  product: Parameters<typeof outcome.approve>[0];
  canDecide: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<Decision | null>(null);
  const [approveSku, setApproveSku] = useState('');
  const onSettled = () => queryClient.invalidateQueries();
  const mutations = {
    approve: useMutation(trpc.ops.approve.mutationOptions({ onSettled })),
    deny: useMutation(trpc.ops.deny.mutationOptions({ onSettled })),
    regrant: useMutation(trpc.ops.regrant.mutationOptions({ onSettled })),
    revoke: useMutation(trpc.ops.revoke.mutationOptions({ onSettled })),
  };
  const actions = allowed[props.state] ?? [];
  const failed = Object.values(mutations).find((m) => m.error);
  const done = Object.entries(mutations).find(([, m]) => m.isSuccess);
  if (actions.length === 0 && !failed && !done) return null;
  const run = (decision: Decision, reason: string) => {
    const input = { orderId: props.orderId, reason };
    const mutation = mutations[decision];
    const sku = approveSku.trim();
    const call =
      decision === 'approve' && sku
        ? mutations.approve.mutateAsync({ ...input, sku })
        : mutation.mutateAsync(input);
    call.then(
      () => setOpen(null),
      () => setOpen(null),
    );
  };
  const current = open ? mutations[open] : null;
  return (
    <Section title="처리">
      {!props.canDecide && (
        <p className="muted">조회 권한 계정이에요: 처리는 approver 계정만 할 수 있어요.</p>
      )}
      <div className="actions">
        {actions.map((decision) => (
          <button
            key={decision}
            type="button"
            className={decision === 'approve' || decision === 'regrant' ? 'primary' : 'danger'}
            disabled={!props.canDecide}
            onClick={() => setOpen(decision)}
          >
            {actionLabel[decision]}
          </button>
        ))}
      </div>
      {done && (
        <p className="ok" role="status">
          {actionLabel[done[0]]} 완료
        </p>
      )}
      <ErrorLine error={failed?.error} />
      {open && current && (
        <ConfirmDialog
          title={`${actionLabel[open]}할까요?`}
          outcome={
            open === 'deny' ? outcome.deny() : outcome[open](props.product, approveSku.trim() || props.sku)
          }
          confirmLabel={actionLabel[open] ?? open}
          danger={open === 'deny' || open === 'revoke'}
          busy={current.isPending}
          onCancel={() => setOpen(null)}
          onConfirm={(reason) => run(open, reason)}
        >
          {open === 'approve' && (
            <label className="field">
              <span>정산에 보이는 상품(SKU) — 요청한 상품 {props.sku}와 다를 때만 입력</span>
              <input name="sku" value={approveSku} onChange={(e) => setApproveSku(e.target.value)} />
            </label>
          )}
        </ConfirmDialog>
      )}
    </Section>
  );
}
