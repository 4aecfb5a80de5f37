/**
 * Settlement check: grants whose SKU Toss did not state (the client's word, or an operator's approval), per SKU and
 * order by order — compare each with the Apps in Toss console's settlement (`ops unverified`).
 */
import { useQuery } from '@tanstack/react-query';
import { formatTime, formatWon } from '../copy';
import { href } from '../route';
import { useTRPC } from '../trpc';
import { Empty, ErrorLine, Section } from '../ui/parts';

export function Settlement() {
  const trpc = useTRPC();
  const report = useQuery(trpc.ops.settlement.queryOptions({}));
  if (report.error) return <ErrorLine error={report.error} />;
  if (!report.data) return <p className="muted">불러오는 중…</p>;
  const { bySku, count, saleTotal, orders = [] } = report.data;
  return (
    <>
      <Section title={`Toss가 상품을 확인해 주지 않은 지급 ${count}건 · ${formatWon(saleTotal)}`}>
        <p className="muted small">
          앱인토스 콘솔의 정산 금액과 비교하세요. 정산 금액이 여기 판매가보다 적으면 고객이 더 싼 상품을 사고
          비싼 상품을 요청한 것일 수 있어요.
        </p>
        {bySku.length === 0 ? (
          <Empty>없어요.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>상품</th>
                  <th>건수</th>
                  <th>판매가 합계</th>
                  <th>운영자 승인</th>
                </tr>
              </thead>
              <tbody>
                {bySku.map((row) => (
                  <tr key={row.sku}>
                    <td className="mono">{row.sku}</td>
                    <td>{row.count}</td>
                    <td>{formatWon(row.saleTotal)}</td>
                    <td>{row.approved}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      {orders.length > 0 && (
        <Section title="주문별">
          <ul className="list">
            {orders.map((order) => (
              <li key={order.orderId}>
                <a href={href.order(order.orderId)} className="mono">
                  {order.orderId}
                </a>{' '}
                · {order.sku} · {formatWon(order.salePrice)} · {formatTime(order.grantedAt)}
              </li>
            ))}
          </ul>
        </Section>
      )}
    </>
  );
}
