/**
 * The record of reconcile runs (`reconcile_runs`, migration 008): each run that did its work stores its report as
 * JSON, so operators (`ops reconcile-runs`, the console) see what the last one found and how far its refund-horizon
 * walk got. Runs older than the refund horizon are deleted by reconcile itself. You probably don't need to edit this.
 */
import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../context';
import type { Tx } from '../db/schema';

export interface ReconcileRun<T = unknown> {
  id: string;
  startedAt: string;
  finishedAt: string;
  result: T;
}

export async function recordReconcileRun(
  db: Tx,
  run: { startedAt: string; finishedAt: string; result: unknown },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('reconcile_runs')
    .values({
      id,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
      result: JSON.stringify(run.result),
    })
    .execute();
  return id;
}

/** The most recent runs, newest first (default: the last one only). */
export async function lastReconcileRuns(deps: Pick<AppDeps, 'database'>, limit = 1): Promise<ReconcileRun[]> {
  const rows = await deps.database.db
    .selectFrom('reconcile_runs')
    .selectAll()
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    result: JSON.parse(row.result) as unknown,
  }));
}

export async function expireReconcileRuns(db: Tx, before: string): Promise<void> {
  await db.deleteFrom('reconcile_runs').where('started_at', '<', before).execute();
}
