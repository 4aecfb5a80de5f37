/** The inbox: held orders oldest first, claims of another user's order, paid orders still retrying, last reconcile. */
import { useQuery } from '@tanstack/react-query';
import { formatAge, formatTime, formatWon, holdReasonLabel } from '../copy';
import { href } from '../route';
import { useTRPC } from '../trpc';
import { Badge, Empty, EnvBadge, ErrorLine, Section } from '../ui/parts';

export function Inbox() {
  const trpc = useTRPC();
  const inbox = useQuery({ ...trpc.ops.inbox.queryOptions(), refetchInterval: 30_000 });
  if (inbox.error) return <ErrorLine error={inbox.error} />;
  if (!inbox.data) return <p className="muted">불러오는 중…</p>;
  const { held, conflicts, retrying, reconcile } = inbox.data;
  return (
    <>
      <Section title={`확인이 필요한 주문 ${held.length}건`}>
        {held.length === 0 ? (
          <Empty>확인이 필요한 주문이 없어요.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>참조 번호</th>
                  <th>경과</th>
                  <th>상품</th>
                  <th>판매가</th>
                  <th>환경</th>
                  <th>보류 사유</th>
                  <th>요청 수</th>
                </tr>
              </thead>
              <tbody>
                {held.map((order) => (
                  <tr key={order.orderId}>
                    <td>
                      <a href={href.order(order.orderId)} className="mono">
                        {order.reference}
                      </a>
                    </td>
                    <td title={formatTime(order.heldAt)}>{formatAge(order.heldAt)}</td>
                    <td className="mono">{order.sku}</td>
                    <td>{formatWon(order.salePrice)}</td>
                    <td>
                      <EnvBadge environment={order.environment} />
                    </td>
                    <td>{holdReasonLabel[order.holdReason ?? ''] ?? order.holdReason ?? '—'}</td>
                    <td>{order.claims}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title={`다른 고객의 주문을 요청한 기록 ${conflicts.length}건`}>
        {conflicts.length === 0 ? (
          <Empty>없어요.</Empty>
        ) : (
          <ul className="list">
            {conflicts.map((claim) => (
              <li key={`${claim.orderId}-${claim.at}-${claim.claimedBy}`}>
                <a href={href.order(claim.orderId)} className="mono">
                  {claim.reference}
                </a>{' '}
                · 요청: <a href={href.user(claim.claimedBy)}>{claim.claimedBy}</a> · 주인:{' '}
                {claim.ownerId ? <a href={href.user(claim.ownerId)}>{claim.ownerId}</a> : '—'} ·{' '}
                {formatTime(claim.at)}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={`결제됐을 수 있고 재시도 중인 주문 ${retrying.length}건`}>
        {retrying.length === 0 ? (
          <Empty>없어요.</Empty>
        ) : (
          <ul className="list">
            {retrying.map((order) => (
              <li key={order.orderId}>
                <a href={href.order(order.orderId)} className="mono">
                  {order.reference}
                </a>{' '}
                · {order.sku} · {order.lastOutcome} · Toss {order.tossStatus ?? '응답 없음'} · {order.tries}회
                · 처음 {formatTime(order.firstAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="정기 재확인(reconcile) 마지막 결과">
        {!reconcile ? (
          <Empty>이 서버가 시작된 뒤로 아직 실행되지 않았어요.</Empty>
        ) : (
          <p>
            {formatTime(reconcile.at)} ·{' '}
            {reconcile.ok ? <Badge tone="ok">성공</Badge> : <Badge tone="bad">실패 (서버 로그 확인)</Badge>}
            {reconcile.summary && (
              <>
                {' '}
                · 재확인 {reconcile.summary.rechecked} · 재시도 {reconcile.summary.retried} · 지급{' '}
                {reconcile.summary.granted} · 회수 {reconcile.summary.revoked} · 지연{' '}
                {reconcile.summary.stuck} · 보류 {reconcile.summary.held}
                {reconcile.summary.skipped ? ' · 다른 인스턴스가 실행 중이라 건너뜀' : ''}
              </>
            )}
          </p>
        )}
      </Section>
    </>
  );
}
