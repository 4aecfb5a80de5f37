/**
 * Global setup for the browser suite: on free ports, start toss-mock (partner API over mTLS + scenario control),
 * the fulfillment server against it (with the support console on its admin port, ADMIN_PORT, serving a build of
 * apps/console), and a PRODUCTION build of the mini-app (mock host compiled in) served by `vite preview` on localhost. Returns the teardown, which kills every child's process group.
 * Logs stay in <tmp>/logs and are copied to <outputDir>/harness-logs/ (e2e/test-results/ by default) at the end.
 * How each part starts and when it is ready: scripts/lib/stack.mjs; here are the ports, folders and e2e settings.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';
import { freePorts, logTail, repoRoot, stopAll } from '../../scripts/lib/processes.mjs';
import {
  buildConsole,
  buildWeb,
  stackEnv,
  stackUrls,
  startMock,
  startServer,
  startWeb,
} from '../../scripts/lib/stack.mjs';
import { childLogNames, writeHarnessEnv } from './env';

/** The grant deadline the mock host enforces in e2e (Toss: 30 s). Short so a stuck grant fails fast. */
const grantDeadlineMs = 12_000;
/** The app answers the grant within this (production: 25 s of Toss's 30 s), so it beats the mock's deadline too. */
const grantWindowMs = 9_000;

export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(tmpdir(), 'ait-iap-e2e-'));
  const logDir = path.join(tmp, 'logs');
  const webOut = path.join(tmp, 'web');
  const consoleOut = path.join(tmp, 'console');
  mkdirSync(logDir);
  const log = (name: (typeof childLogNames)[number]) => ({ logFile: path.join(logDir, `${name}.log`) });
  const [mock, control, server, web, admin] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const ports = { mock, control, server, web };
  const { webUrl, serverUrl, controlUrl, partnerUrl } = stackUrls(ports);
  const adminUrl = `http://127.0.0.1:${admin}`;
  const databasePath = path.join(tmp, 'app.db');
  const certDir = path.join(tmp, 'certs');
  const catalog = path.join(repoRoot, 'catalog', 'products.json');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    ...stackEnv({ ports, certDir, databasePath }),
    MOCK_TOSS_GRANT_DEADLINE_MS: String(grantDeadlineMs),
    MOCK_TOSS_CATALOG: catalog,
    CATALOG_PATH: catalog,
    VITE_TOSS_MOCK: '1',
    VITE_GRANT_WINDOW_MS: String(grantWindowMs),
    HOST: '127.0.0.1',
    // The mock host plays the live Toss app (logins with referrer DEFAULT); NODE_ENV=production requires saying so.
    TOSS_ENVIRONMENT: 'production',
    // A PostgreSQL URL in the caller's environment would win over DATABASE_PATH: keep e2e on its own SQLite file.
    DATABASE_URL: undefined,
    // Nor may a developer's apps/server/.env, .env or running pnpm dev (.dev/stack.env) fill in what is unset here:
    // an omitted variable is omitted, and DATABASE_URL above stays unset instead of coming from a file.
    AIT_IAP_SETTINGS_ROOT: 'none',
    // Fail fast on partner faults so a failed grant answers well inside the grant deadline.
    TOSS_TIMEOUT_MS: '1500',
    TOSS_RETRIES: '1',
    TOSS_TOTAL_TIMEOUT_MS: '4000',
    // Every test logs in a few times from the same address.
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    RATE_LIMIT_FULFILL_PER_MINUTE: '100000',
    // The reconcile job would race the scenarios; they drive recovery and refunds themselves.
    RECONCILE_INTERVAL_SECONDS: '0',
    SHUTDOWN_GRACE_MS: '500',
    // The support console on its own loopback port, serving the build made below.
    ADMIN_PORT: String(admin),
    ADMIN_HOST: '127.0.0.1',
    ADMIN_CONSOLE_DIR: consoleOut,
    ADMIN_LOGIN_PER_MINUTE: '1000',
  };

  const keepTmp = process.env.E2E_KEEP_TMP === '1';
  const teardown = async () => {
    await stopAll();
    const kept = path.join(
      config.projects[0]?.outputDir ?? path.join(repoRoot, 'e2e', 'test-results'),
      'harness-logs',
    );
    try {
      mkdirSync(kept, { recursive: true });
      cpSync(logDir, kept, { recursive: true });
    } catch {
      // best effort: logs are a debugging aid
    }
    if (keepTmp) console.log(`[e2e] kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  };

  try {
    // toss-mock and the production build side by side (the build only needs the URLs); the server once the mock
    // has written the certificates; the build served on localhost once it is done.
    const build = buildWeb(env, webOut, log('web-build'));
    build.catch(() => undefined); // a failed build is reported below, not as an unhandled rejection meanwhile
    const consoleBuild = buildConsole(env, consoleOut, log('console-build'));
    consoleBuild.catch(() => undefined);
    await startMock(env, { ...log('toss-mock'), timeoutMs: 30_000 });
    await Promise.all([
      startServer(env, log('server')),
      build.then(() =>
        startWeb(env, { ...log('web-preview'), port: web, outDir: webOut, timeoutMs: 30_000 }),
      ),
      consoleBuild,
    ]);
  } catch (error) {
    console.error(`[e2e] harness failed to start: ${(error as Error).message}`);
    for (const name of childLogNames) console.error(`[e2e] ${name}.log\n${logTail(log(name).logFile, 20)}`);
    await teardown();
    throw error;
  }

  writeHarnessEnv({ webUrl, serverUrl, adminUrl, controlUrl, partnerUrl, databasePath, certDir, logDir });
  console.log(
    `[e2e] harness up in ${((Date.now() - started) / 1000).toFixed(1)} s: web ${webUrl}, server ${serverUrl}, console ${adminUrl}, mock control ${controlUrl}`,
  );
  return teardown;
}
