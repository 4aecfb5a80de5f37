/**
 * Playwright fixtures for the scenarios: each test gets a FRESH mock Toss user, the app opened as that user, the
 * mock's control API and the server's view of the same user. Scenario state the mock keeps globally (faults,
 * status reading, revealSku) is reset around every test: by default the mock is as strict as Toss is documented —
 * the `grant-failed` reading, and get-order-status without the order's SKU. On failure, the tails of the server's and the mock's logs and the
 * page's console are attached to the report (and printed).
 * You probably don't need to edit this file; add page helpers to app.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultStatusReading, type StatusReading } from '@ait-iap/iap-contract';
import { test as base, expect } from '@playwright/test';
import { App } from './app';
import { childLogNames, type HarnessEnv, readHarnessEnv } from './env';
import { createMockControl, type MockControl } from './mock-control';
import { type ServerView, serverViewOf } from './server-api';

interface TestFixtures {
  /** Which reading of "what status does a paid order have" the mock uses (default `grant-failed`, Toss staff's). */
  statusReading: StatusReading;
  /**
   * get-order-status also names the order's SKU — NOT documented by Toss (default false). A test that sets it says
   * "SKU revealed" in its name.
   */
  revealSku: boolean;
  /** A new Toss user in the mock, never seen by the server before. */
  user: { userKey: number };
  /** The app, already opened as `user` (app-ready visible). */
  app: App;
  /** The server's view of `user` (its own session), for ledger / inventory assertions. */
  server: ServerView;
  /** Resets the mock's global scenario state around each test and attaches logs on failure. */
  scenario: undefined;
}

interface WorkerFixtures {
  harness: HarnessEnv;
  mock: MockControl;
}

function logSince(file: string, offset: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(offset).split('\n').slice(-80).join('\n');
  } catch {
    return '(no log)';
  }
}

function logSize(file: string): number {
  try {
    return readFileSync(file, 'utf8').length;
  } catch {
    return 0;
  }
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  harness: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies destructured.
    async ({}, use) => {
      await use(readHarnessEnv());
    },
    { scope: 'worker' },
  ],
  mock: [
    async ({ harness }, use) => {
      await use(createMockControl(harness.controlUrl));
    },
    { scope: 'worker' },
  ],
  statusReading: [defaultStatusReading, { option: true }],
  revealSku: [false, { option: true }],
  scenario: [
    async ({ mock, harness, statusReading, revealSku }, use, testInfo) => {
      if (revealSku && !/SKU revealed/i.test(testInfo.title))
        throw new Error(`"${testInfo.title}" reveals the SKU: say "SKU revealed" in its name`);
      await mock.clearFaults();
      await mock.setOptions({ statusReading, revealSku });
      const logs = childLogNames
        .filter((name) => name === 'server' || name === 'toss-mock')
        .map((name) => ({ name, file: path.join(harness.logDir, `${name}.log`) }));
      const offsets = logs.map((log) => logSize(log.file));
      await use(undefined);
      await mock.clearFaults();
      await mock.setOptions({ statusReading: defaultStatusReading, revealSku: false });
      if (testInfo.status !== testInfo.expectedStatus) {
        for (const [i, log] of logs.entries()) {
          const body = logSince(log.file, offsets[i] ?? 0);
          await testInfo.attach(`${log.name}.log`, { body, contentType: 'text/plain' });
          console.log(`\n[e2e] ${testInfo.title} — ${log.name}.log during the test:\n${body}`);
        }
      }
    },
    { auto: true },
  ],
  user: async ({ mock }, use) => {
    const { userKey } = await mock.createUser();
    await use({ userKey });
  },
  app: async ({ page, harness, user }, use, testInfo) => {
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => consoleLines.push(`[pageerror] ${error.stack ?? error.message}`));
    const app = new App(page, harness.webUrl, user.userKey);
    await app.open();
    await use(app);
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('browser-console.txt', {
        body: consoleLines.join('\n'),
        contentType: 'text/plain',
      });
    }
  },
  server: async ({ harness, mock, user }, use) => {
    await use(await serverViewOf(harness.serverUrl, mock, user.userKey));
  },
});

export { expect };
