/**
 * Purchase history: completed and refunded orders from Toss (every page of getCompletedOrRefundedOrders, read by
 * the refund sync) merged with what our server recorded (me.orders). Loaded lazily.
 */
import { fulfillReasonCopy } from '@ait-iap/iap-contract';
import { Badge, List, ListRow, Result, Skeleton } from '@toss/tds-mobile';
import { useEffect, useMemo } from 'react';
import { apiErrorCode, apiErrorCopy } from '../api/errors';
import { useAppState } from '../app/AppState';
import { buildHistoryRows } from '../app/historyModel';
import { useCatalog, useOrders } from '../app/queries';
import { copy, formatDateTime } from '../copy';
import { OrderReference } from '../ui/OrderReference';

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
                {row.status === 'held' ? (
                  <span className="row-status">{fulfillReasonCopy.UNDER_REVIEW}</span>
                ) : null}
              </div>
            }
            right={
              <Badge
                size="small"
                variant="weak"
                color={
                  row.status === 'refunded'
                    ? 'red'
                    : row.status === 'completed'
                      ? 'blue'
                      : row.status === 'held'
                        ? 'yellow'
                        : 'elephant'
                }
              >
                {row.label}
              </Badge>
            }
          />
        ))}
      </List>
    </section>
  );
}
