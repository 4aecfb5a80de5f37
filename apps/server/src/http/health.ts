/**
 * Readiness: is this instance able to serve purchases right now? The database answers (within a time limit), can
 * still make writes durable (SQLite: no failed WAL sync), and every migration this code knows is applied. Liveness
 * (`/healthz`) does no I/O and is answered in server.ts.
 * Cheap under any probe rate: once every migration has been seen applied the migration table is never read again
 * (migrations are not un-applied), concurrent probes share one check, and an answer is reused for `cacheMs`.
 * The answer says only the reason (`database`, `migrations`, `draining`); the detail (a driver error, the pending
 * migrations) goes to the log, once per change of state (server.ts). You probably don't need to edit this file.
 */
import type { Request, Response } from 'express';
import { sql } from 'kysely';
import type { Clock } from '../clock';
import type { AppDatabase } from '../db/database';
import { migrations } from '../db/migrations';
import type { Logger } from '../log';
import { createStateLogger } from '../state-change';
import type { ClientAddressResolver } from './client-address';
import { clientAddressKey, createRateLimiter } from './rate-limit';

export type Readiness =
  | { ok: true }
  | { ok: false; reason: 'draining' | 'database' | 'migrations'; detail?: string };

/** Kysely's migrator records applied migrations in this table (its default name). */
const migrationTable = 'kysely_migration';

export async function checkReadiness(
  database: AppDatabase,
  timeoutMs: number,
  options: { migrationsKnownApplied?: boolean } = {},
): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: 'database', detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const check = (async (): Promise<Readiness> => {
    try {
      const fault = database.writeFault?.();
      if (fault) return { ok: false, reason: 'database', detail: fault };
      if (options.migrationsKnownApplied) {
        await sql`select 1`.execute(database.db);
        return { ok: true };
      }
      const rows = await sql<{ name: string }>`select name from ${sql.table(migrationTable)}`.execute(
        database.db,
      );
      const applied = new Set(rows.rows.map((row) => row.name));
      const pending = Object.keys(migrations).filter((name) => !applied.has(name));
      return pending.length === 0
        ? { ok: true }
        : { ok: false, reason: 'migrations', detail: pending.join(', ') };
    } catch (error) {
      return { ok: false, reason: 'database', detail: (error as Error)?.message ?? String(error) };
    }
  })();
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadinessProbe {
  /** The current readiness (shared by concurrent callers, reused for `cacheMs`). */
  check(): Promise<Readiness>;
}

export function createReadinessProbe(options: {
  database: AppDatabase;
  now: () => number;
  timeoutMs?: number;
  cacheMs?: number;
}): ReadinessProbe {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const cacheMs = options.cacheMs ?? 1_000;
  let migrationsKnownApplied = false;
  let last: { at: number; readiness: Readiness } | null = null;
  let running: Promise<Readiness> | null = null;
  return {
    check() {
      const now = options.now();
      if (last && now - last.at < cacheMs && now >= last.at) return Promise.resolve(last.readiness);
      running ??= checkReadiness(options.database, timeoutMs, { migrationsKnownApplied })
        .then((readiness) => {
          if (readiness.ok) migrationsKnownApplied = true;
          last = { at: options.now(), readiness };
          return readiness;
        })
        .finally(() => {
          running = null;
        });
      return running;
    },
  };
}

/**
 * `GET /readyz`: rate-limited per client (in memory even on PostgreSQL, so a probe still answers while the database
 * that holds the shared buckets is down); the answer names only the reason, the detail (a driver error, the pending
 * migrations) is logged once per change of state (`server.not_ready`, then `server.ready`).
 */
export function readinessHandler(options: {
  database: AppDatabase;
  clock: Clock;
  log: Logger;
  perMinute: number;
  clientAddress: ClientAddressResolver;
  draining: () => boolean;
}) {
  const probe = createReadinessProbe({ database: options.database, now: () => options.clock.now() });
  const limiter = createRateLimiter({ perMinute: options.perMinute, clock: options.clock });
  const stateLog = createStateLogger(options.log, { failing: 'server.not_ready', recovered: 'server.ready' });
  return async (req: Request, res: Response) => {
    const ip = options.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (!(await limiter.take(clientAddressKey(ip)))) {
      res.status(429).json({
        error: { message: 'Too many requests', data: { appCode: 'RATE_LIMITED', httpStatus: 429 } },
      });
      return;
    }
    if (options.draining()) {
      res.status(503).json({ ok: false, reason: 'draining' });
      return;
    }
    const state = await probe.check();
    if (state.ok) stateLog.ok();
    else stateLog.failing(`${state.reason}:${state.detail ?? ''}`, { ...state });
    res.status(state.ok ? 200 : 503).json(state.ok ? { ok: true } : { ok: false, reason: state.reason });
  };
}
