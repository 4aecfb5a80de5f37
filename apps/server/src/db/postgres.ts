/**
 * The PostgreSQL driver: a `pg` pool behind Kysely's PostgreSQL dialect, with every wait bounded. Only drivers.ts
 * imports this file (scaffolding with `--no-postgres` deletes it and rewrites that one). The SQL itself is shared
 * with SQLite and lives elsewhere (database.ts and its callers); this file only opens connections.
 * You probably don't need to edit this file.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './schema';

/** What `openPostgres` reads (a subset of `DatabaseOptions`). */
export interface PostgresPoolOptions {
  /** Most connections this process opens (pg pool `max`). Default 10. */
  poolSize?: number;
  /** Longest wait for a pooled connection (pg `connectionTimeoutMillis`). Default 5 000. */
  acquireTimeoutMs?: number;
  /** `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` of every connection. Default 10 000. */
  statementTimeoutMs?: number;
}

/** Kysely on a new `pg` pool to `url` (a postgres:// URL). Connections open lazily, on the first query. */
export function openPostgres(url: string, options: PostgresPoolOptions): Db {
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    application_name: 'ait-iap-server',
    // Bounded waits: a request never queues for a connection, a lock or a slow query longer than these. No partner
    // call is ever made inside a transaction, so an open transaction idle this long is a bug, not a slow Toss.
    connectionTimeoutMillis: options.acquireTimeoutMs ?? 5_000,
    statement_timeout: statementTimeoutMs,
    lock_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: statementTimeoutMs,
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process; the pool reconnects.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
