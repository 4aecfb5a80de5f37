import { defineConfig } from 'vitest/config';

/**
 * The same server suite on PostgreSQL: test/postgres-setup.ts starts a throwaway cluster (or uses PG_TEST_URL) and
 * every test database is a fresh `CREATE DATABASE` in it. Fails (never skips) when no PostgreSQL is available.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: { TEST_DATABASE: 'postgres' },
    globalSetup: ['test/postgres-setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest-postgres.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
