/**
 * The tests' one way to PostgreSQL outside the server (the only test file that imports `pg`): a plain connection (no
 * pool, no timeouts) for setup and inspection, and a fresh database per test file in the run's server
 * (test/postgres-setup.ts provides it). A project scaffolded with `--no-postgres` has its own version of this file,
 * which refuses: its server suite runs on SQLite only.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser (or CREATEDB) connection URL to the server's maintenance database. */
    pgAdminUrl: string;
    /** Every database this run creates starts with it (so teardown drops only this run's). */
    pgDatabasePrefix: string;
  }
}

export interface PostgresClient {
  query<Row extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
  end(): Promise<void>;
}

/** Connect to `url`; `end()` it yourself. */
export async function postgresClient(url: string): Promise<PostgresClient> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    query: async <Row extends Record<string, unknown>>(text: string, values?: unknown[]) =>
      (await client.query<Row>(text, values)).rows,
    end: () => client.end(),
  };
}

/** `CREATE DATABASE` a new one named after `name` in this run's server; its URL. */
export async function createTestPostgresDatabase(name: string): Promise<string> {
  const dbName = `${inject('pgDatabasePrefix')}${name
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 16)}_${randomBytes(4).toString('hex')}`;
  const client = await postgresClient(inject('pgAdminUrl'));
  try {
    await client.query(`create database "${dbName}"`);
  } finally {
    await client.end();
  }
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${dbName}`;
  return url.toString();
}
