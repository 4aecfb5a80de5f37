import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
    testTimeout: 15_000,
    // Host tests run in happy-dom on a localhost page, like the mini-app in dev.
    environmentOptions: { happyDOM: { url: 'http://localhost:5173/' } },
    // Tests throw errors whose message starts with "[expected]" on purpose (test/expected.ts): a grant callback that
    // throws leaves an unhandled rejection inside the real SDK, exactly as in a real app.
    onUnhandledError: (error) => (String(error?.message).startsWith('[expected]') ? false : undefined),
  },
});
