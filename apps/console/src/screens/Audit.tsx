/** The audit log: every change an operator made (console or CLI), filterable, with a CSV export. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { actionLabel, formatTime } from '../copy';
import { href } from '../route';
import { useTRPC } from '../trpc';
import { Empty, ErrorLine, Section } from '../ui/parts';

const empty = { operator: '', action: '', orderId: '', userId: '' };

export function Audit() {
  const trpc = useTRPC();
  const [form, setForm] = useState(empty);
  const [filter, setFilter] = useState(empty);
  const input = Object.fromEntries(Object.entries(filter).filter(([, v]) => v.trim() !== ''));
  const rows = useQuery(trpc.ops.audit.queryOptions(input));
  const csvUrl = `/audit.csv?${new URLSearchParams(input).toString()}`;
  return (
    <>
      <Section
        title="감사 로그"
        actions={
          <a className="button" href={csvUrl} download>
            CSV 내보내기
          </a>
        }
      >
        <form
          className="search-form"
          onSubmit={(event) => {
            event.preventDefault();
            setFilter(form);
          }}
        >
          {(['operator', 'action', 'orderId', 'userId'] as const).map((key) => (
            <label key={key} className="field">
              <span>
                {{ operator: '운영자', action: '작업', orderId: '주문·참조 번호', userId: '사용자' }[key]}
              </span>
              <input
                name={key}
                value={form[key]}
                onChange={(e) => setForm({ ...form, [key]: e.target.value })}
              />
            </label>
          ))}
          <button type="submit" className="primary">
            필터
          </button>
        </form>
      </Section>
      <ErrorLine error={rows.error} />
      {rows.data && (
        <Section title={`${rows.data.length}건`}>
          {rows.data.length === 0 ? (
            <Empty>기록이 없어요.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>시각</th>
                    <th>운영자</th>
                    <th>작업</th>
                    <th>주문</th>
                    <th>사용자</th>
                    <th>사유</th>
                    <th>상세</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.data.map((row) => (
                    <tr key={row.id}>
                      <td>{formatTime(row.created_at)}</td>
                      <td>{row.operator}</td>
                      <td>{actionLabel[row.action] ?? row.action}</td>
                      <td>{row.order_id ? <a href={href.order(row.order_id)}>열기</a> : '—'}</td>
                      <td>
                        {row.user_id ? <a href={href.user(row.user_id)}>{row.user_id.slice(0, 8)}</a> : '—'}
                      </td>
                      <td>{row.reason}</td>
                      <td className="muted">{row.detail ?? ''}</td>
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
