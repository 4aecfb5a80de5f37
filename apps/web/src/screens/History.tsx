/**
 * Purchase history: completed and refunded orders from Toss (every page of getCompletedOrRefundedOrders, read by
 * the refund sync) merged with what our server recorded (me.orders). Loaded lazily.
 */
import { Badge, List, ListRow, Result, Skeleton } from '@toss/tds-mobile';
import { useEffect, useMemo } from 'react';
import { apiErrorCode, apiErrorCopy } from '../api/errors';
import { useAppState } from '../app/AppState';
import { buildHistoryRows, type HistoryStatus } from '../app/historyModel';
import { useCatalog, useOrders } from '../app/queries';
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
  const { tossOrders, runRefundSync } = useAppState();
  // Fresh on every visit: our server's record (useOrders reads it on mount) and Toss's list, with its refund sync.
  const server = useOrders();
  const catalog = useCatalog().data;
  useEffect(() => {
    void runRefundSync().catch(() => {});
  }, [runRefundSync]);

  const rows = useMemo(
    () =>
      buildHistoryRows(
        tossOrders?.ok ? tossOrders.orders : [],
        server.data?.orders ?? [],
        catalog?.products ?? null,
      ),
    [tossOrders, server.data, catalog],
  );

  if (server.isPending && rows.length === 0) {
    return (
      <div role="status" aria-busy="true" aria-label={copy.loading}>
        <Skeleton pattern="listOnly" repeatLastItemCount={4} />
      </div>
    );
  }
  if (server.isError && rows.length === 0) {
    const text = apiErrorCopy(apiErrorCode(server.error));
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
