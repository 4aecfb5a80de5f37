/** Search: an order id or its short reference, a user id or user key; or a SKU and a time range. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatTime, formatWon } from '../copy';
import { href } from '../route';
import { useTRPC } from '../trpc';
import { Empty, EnvBadge, ErrorLine, Section, StateBadge } from '../ui/parts';

/** `2026-12-01` (a date input, Korea time) → ISO, or undefined. */
function dayStart(value: string): string | undefined {
  return value ? new Date(`${value}T00:00:00+09:00`).toISOString() : undefined;
}

export function Search({ initialQuery }: { initialQuery: string }) {
  const trpc = useTRPC();
  const [form, setForm] = useState({ query: initialQuery, sku: '', from: '', to: '' });
  const [submitted, setSubmitted] = useState(initialQuery ? { ...form } : null);
  const input = submitted && {
    query: submitted.query.trim() || undefined,
    sku: submitted.sku.trim() || undefined,
    from: dayStart(submitted.from),
    to: submitted.to
      ? new Date(new Date(`${submitted.to}T00:00:00+09:00`).getTime() + 86_400_000).toISOString()
      : undefined,
  };
  const result = useQuery({ ...trpc.ops.search.queryOptions(input ?? {}), enabled: input !== null });
  const data = result.data;
  return (
    <>
      <Section title="검색">
        <form
          className="search-form"
          onSubmit={(event) => {
            event.preventDefault();
            setSubmitted({ ...form });
          }}
        >
          <label className="field wide">
            <span>주문 번호 · 참조 번호 · 사용자 ID · userKey</span>
            <input
              name="query"
              value={form.query}
              onChange={(e) => setForm({ ...form, query: e.target.value })}
              placeholder="예: A1B2-C3D4"
            />
          </label>
          <label className="field">
            <span>상품(SKU)</span>
            <input name="sku" value={form.sku} onChange={(e) => setForm({ ...form, sku: e.target.value })} />
          </label>
          <label className="field">
            <span>시작일</span>
            <input
              name="from"
              type="date"
              value={form.from}
              onChange={(e) => setForm({ ...form, from: e.target.value })}
            />
          </label>
          <label className="field">
            <span>종료일</span>
            <input
              name="to"
              type="date"
              value={form.to}
              onChange={(e) => setForm({ ...form, to: e.target.value })}
            />
          </label>
          <button type="submit" className="primary">
            검색
          </button>
        </form>
      </Section>
      <ErrorLine error={result.error} />
      {data && (
        <Section title={`결과 ${data.orders.length}건`}>
          {data.user && (
            <p>
              사용자: <a href={href.user(data.user)}>{data.user}</a>
            </p>
          )}
          {data.orders.length === 0 ? (
            <Empty>
              {data.orderIds[0]
                ? '원장에 없는 주문이에요 (Toss가 확인하기 전 요청만 있어요).'
                : '찾는 주문이 없어요.'}
              {data.orderIds[0] && (
                <>
                  {' '}
                  <a href={href.order(data.orderIds[0])}>요청 기록 보기</a>
                </>
              )}
            </Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>참조 번호</th>
                    <th>상태</th>
                    <th>상품</th>
                    <th>판매가</th>
                    <th>환경</th>
                    <th>사용자</th>
                    <th>생성</th>
                  </tr>
                </thead>
                <tbody>
                  {data.orders.map((order) => (
                    <tr key={order.orderId}>
                      <td>
                        <a href={href.order(order.orderId)} className="mono">
                          {order.reference}
                        </a>
                      </td>
                      <td>
                        <StateBadge state={order.state} />
                      </td>
                      <td className="mono">{order.sku}</td>
                      <td>{formatWon(order.salePrice)}</td>
                      <td>
                        <EnvBadge environment={order.environment} />
                      </td>
                      <td>
                        <a href={href.user(order.userId)}>{order.userId.slice(0, 8)}</a>
                      </td>
                      <td>{formatTime(order.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Section>
      )}
    </>
  );
}
