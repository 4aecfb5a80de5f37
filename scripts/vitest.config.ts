import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['seed/**/*.test.ts', 'lib/**/*.test.ts', 'docs/**/*.test.ts', 'bench/test/**/*.test.ts'],
    // Generous: CI machines here have 2 cores shared by every suite; a slow run is not a failure.
    testTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
