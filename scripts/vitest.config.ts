import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['seed/**/*.test.ts', 'lib/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
