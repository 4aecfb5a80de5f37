/**
 * vitest globalSetup for the PostgreSQL run (vitest.postgres.config.ts): a PostgreSQL server for the whole run.
 * PG_TEST_URL (e.g. GitHub's service container) if set, else a throwaway cluster from Debian's binaries
 * (scripts/lib/postgres.mjs). No PostgreSQL → the run FAILS with how to install it (a skipped suite hides bugs).
 * Test files create their own databases in it (`testDatabase` in helpers.ts); teardown drops them / stops the cluster.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../../scripts/lib/postgres.mjs';
import { postgresClient } from './postgres';

export default async function setup(project: TestProject) {
  const fromEnv = process.env.PG_TEST_URL?.trim();
  const cluster = fromEnv ? null : await startPostgres({ log: (line) => console.log(`[postgres] ${line}`) });
  const url = fromEnv || (cluster as NonNullable<typeof cluster>).url;
  try {
    const client = await postgresClient(url);
    const rows = await client.query<{ server_version: string }>('show server_version');
    await client.end();
    console.log(
      `[postgres] server ${rows[0]?.server_version} ${fromEnv ? '(PG_TEST_URL)' : '(throwaway cluster)'}`,
    );
  } catch (error) {
    cluster?.stop();
    throw new Error(
      `Cannot connect to PostgreSQL at ${fromEnv ? 'PG_TEST_URL' : url}: ${(error as Error).message}`,
    );
  }
  const prefix = `ait_test_${process.pid}_${Date.now().toString(36)}_`;
  project.provide('pgAdminUrl', url);
  project.provide('pgDatabasePrefix', prefix);
  return async () => {
    if (cluster) {
      cluster.stop();
      return;
    }
    // A shared server (PG_TEST_URL): drop the databases this run created.
    const client = await postgresClient(url);
    try {
      const rows = await client.query<{ datname: string }>(
        'select datname from pg_database where datname like $1',
        [`${prefix}%`],
      );
      for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
    } finally {
      await client.end();
    }
  };
}
