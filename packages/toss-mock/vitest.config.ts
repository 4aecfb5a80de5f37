import { defineConfig } from 'vitest/config';

/** Thrown on purpose by tests of a grant callback that throws: the real SDK leaves that rejection unhandled. */
export const EXPECTED_UNHANDLED = '[expected] grant callback threw';

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
