/**
 * Purchase history: completed and refunded orders from Toss (every page of getCompletedOrRefundedOrders, read by
 * the refund sync) merged with what our server recorded (me.orders). Loaded lazily.
 */
import type { HistoryOrder } from '@ait-iap/iap-contract';
import { Badge, List, ListRow, Result, Skeleton } from '@toss/tds-mobile';
import { useEffect, useMemo, useState } from 'react';
import { type ApiErrorCode, apiErrorCode, apiErrorCopy } from '../api/errors';
import { useAppState } from '../app/AppState';
import { buildHistoryRows, type HistoryStatus } from '../app/historyModel';
import { copy, formatDateTime } from '../copy';
import { ContactButton } from '../ui/ErrorNotice';
import { OrderReference } from '../ui/OrderReference';

const badgeColor: Record<HistoryStatus, 'red' | 'blue' | 'yellow' | 'elephant'> = {
  granted: 'blue',
  paid: 'blue',
  refunded: 'red',
  cancelled: 'red',
  denied: 'elephant',
  processing: 'elephant',
  held: 'yellow',
};

export default function History() {
  const { services, tossOrders, catalog, runRefundSync } = useAppState();
  const [server, setServer] = useState<
    | { status: 'loading' }
    | { status: 'ready'; orders: HistoryOrder[] }
    | { status: 'error'; code: ApiErrorCode }
  >({ status: 'loading' });

  useEffect(() => {
    let cancelled = false;
    // Fresh on every visit: Toss's list (and the refund sync that goes with it) and our server's record.
    void runRefundSync().catch(() => {});
    services.api.orders().then(
      (out) => !cancelled && setServer({ status: 'ready', orders: out.orders }),
      (error: unknown) => !cancelled && setServer({ status: 'error', code: apiErrorCode(error) }),
    );
    return () => {
      cancelled = true;
    };
  }, [services, runRefundSync]);

  const rows = useMemo(
    () =>
      buildHistoryRows(
        tossOrders?.ok ? tossOrders.orders : [],
        server.status === 'ready' ? server.orders : [],
        catalog.status === 'ready' ? catalog.value : null,
      ),
    [tossOrders, server, catalog],
  );

  if (server.status === 'loading' && rows.length === 0) {
    return (
      <div role="status" aria-busy="true" aria-label={copy.loading}>
        <Skeleton pattern="listOnly" repeatLastItemCount={4} />
      </div>
    );
  }
  if (server.status === 'error' && rows.length === 0) {
    const text = apiErrorCopy(server.code);
    return <Result title={copy.history.loadFailed} description={text.title} />;
  }
  if (rows.length === 0) {
    return <Result title={copy.history.empty} description={copy.history.emptyDescription} />;
  }
  return (
    <section className="screen" aria-label={copy.history.title}>
      {tossOrders && !tossOrders.ok && tossOrders.error.code === 'UNSUPPORTED_APP_VERSION' ? (
        <p className="hint">{copy.history.unsupported}</p>
      ) : null}
      <List>
        {rows.map((row) => (
          <ListRow
            key={row.orderId}
            data-testid={`history-${row.orderId}`}
            contents={
              <div className="row-texts">
                <span className="row-title">{row.name}</span>
                <span className="row-sub">{formatDateTime(row.date)}</span>
                <OrderReference orderId={row.orderId} />
                {row.detail ? <span className="row-status">{row.detail}</span> : null}
                {row.contact ? (
                  <span className="row-actions">
                    <ContactButton orderId={row.orderId} />
                  </span>
                ) : null}
              </div>
            }
            right={
              <Badge size="small" variant="weak" color={badgeColor[row.status]}>
                {row.label}
              </Badge>
            }
          />
        ))}
      </List>
    </section>
  );
}
