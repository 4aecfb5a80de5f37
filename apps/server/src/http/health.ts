/**
 * Readiness: is this instance able to serve purchases right now? The database answers (within a time limit) and
 * every migration this code knows is applied. Liveness (`/healthz`) does no I/O and is answered in server.ts.
 * You probably don't need to edit this file.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database';
import { migrations } from '../db/migrations';

export type Readiness =
  | { ok: true }
  | { ok: false; reason: 'draining' | 'database' | 'migrations'; detail?: string };

/** Kysely's migrator records applied migrations in this table (its default name). */
const migrationTable = 'kysely_migration';

export async function checkReadiness(database: AppDatabase, timeoutMs: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: 'database', detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const check = (async (): Promise<Readiness> => {
    let applied: Set<string>;
    try {
      const rows = await sql<{ name: string }>`select name from ${sql.table(migrationTable)}`.execute(
        database.db,
      );
      applied = new Set(rows.rows.map((row) => row.name));
    } catch (error) {
      return { ok: false, reason: 'database', detail: (error as Error)?.message ?? String(error) };
    }
    const pending = Object.keys(migrations).filter((name) => !applied.has(name));
    return pending.length === 0
      ? { ok: true }
      : { ok: false, reason: 'migrations', detail: pending.join(', ') };
  })();
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
