/**
 * The tests' one way to talk to PostgreSQL outside the server: a plain connection (no pool, no timeouts) for setup
 * (creating a test database) and inspection (pg_stat_activity, holding a lock). The only test file that imports
 * `pg`; a project scaffolded with `create-ait-iap --no-postgres` has its own version of it, which refuses.
 */
import pg from 'pg';

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
