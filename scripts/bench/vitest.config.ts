import { defineConfig } from 'vitest/config';

// The bench's own unit tests (its measuring code, not timings). Run: pnpm --filter @ait-iap/scripts exec vitest
// run --config bench/vitest.config.ts
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
