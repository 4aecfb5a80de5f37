import { defineConfig } from 'vitest/config';
import { EXPECTED_UNHANDLED } from './test/expected';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
    testTimeout: 15_000,
    // Host tests run in happy-dom on a localhost page, like the mini-app in dev.
    environmentOptions: { happyDOM: { url: 'http://localhost:5173/' } },
    onUnhandledError: (error) => (String(error?.message).includes(EXPECTED_UNHANDLED) ? false : undefined),
  },
});
