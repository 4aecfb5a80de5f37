/**
 * Orders the refund + subscription sync (AppState's runRefundSync), which writes (iap.sync, iap.syncSubscriptions):
 * not a server read, so not a query. Server reads are ordered by TanStack Query (app/queries.tsx).
 * Run `task` one at a time. A call while it runs schedules ONE follow-up run (shared by every caller in the
 * meantime), so a request made after new data appeared is never answered by a run that started before it.
 */
export function serialRunner(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const run = (): Promise<void> => {
    if (!running) {
      running = task().finally(() => {
        running = null;
      });
      return running;
    }
    next ??= running.then(
      () => {
        next = null;
        return run();
      },
      () => {
        next = null;
        return run();
      },
    );
    return next;
  };
  return run;
}
