import { defineConfig } from 'vitest/config';

// The server suite on SQLite.
// starter:postgres
// `pnpm test` runs this AND vitest.postgres.config.ts (test/run-both.mjs).
// /starter:postgres
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: { TEST_DATABASE: 'sqlite' },
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
