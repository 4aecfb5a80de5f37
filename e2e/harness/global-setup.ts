/**
 * Global setup for the browser suite: on free ports, start toss-mock (partner API over mTLS + scenario control),
 * the fulfillment server against it, and a PRODUCTION build of the mini-app (mock host compiled in) served by
 * `vite preview` on localhost. Returns the teardown, which kills every child's process group.
 * Logs stay in <tmp>/logs and are copied to <outputDir>/harness-logs/ (e2e/test-results/ by default) at the end.
 * You probably don't need to edit this file, unless a part's start command or environment changes.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FullConfig } from '@playwright/test';
import { childLogNames, writeHarnessEnv } from './env';
import {
  answers,
  type Child,
  freePorts,
  runToEnd,
  startChild,
  stopChild,
  tail,
  waitUntilReady,
} from './processes';

const e2eDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(e2eDir, '..');
const tsxCli = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const webDir = path.join(repoRoot, 'apps', 'web');
const viteCli = path.join(webDir, 'node_modules', 'vite', 'bin', 'vite.js');

/** The grant deadline the mock host enforces in e2e (Toss: 30 s). Short so a stuck grant fails fast. */
const grantDeadlineMs = 12_000;
/** The app answers the grant within this (production: 25 s of Toss's 30 s), so it beats the mock's deadline too. */
const grantWindowMs = 9_000;

export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(tmpdir(), 'ait-iap-e2e-'));
  const logDir = path.join(tmp, 'logs');
  const certDir = path.join(tmp, 'certs');
  const webOut = path.join(tmp, 'web');
  mkdirSync(logDir);
  const log = (name: (typeof childLogNames)[number]) => path.join(logDir, `${name}.log`);
  const [mockPort, controlPort, serverPort, webPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];

  const partnerUrl = `https://localhost:${mockPort}`;
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const webUrl = `http://localhost:${webPort}`;
  const databasePath = path.join(tmp, 'app.db');
  const baseEnv = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0', NO_COLOR: '1' };

  const children: Child[] = [];
  const keepTmp = process.env.E2E_KEEP_TMP === '1';
  const teardown = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    const kept = path.join(
      config.projects[0]?.outputDir ?? path.join(e2eDir, 'test-results'),
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
    // 1. toss-mock and the production build, side by side (the build only needs the URLs).
    const mock = startChild('toss-mock', process.execPath, [tsxCli, 'packages/toss-mock/src/cli.ts'], {
      cwd: repoRoot,
      logFile: log('toss-mock'),
      env: {
        ...baseEnv,
        MOCK_TOSS_PORT: String(mockPort),
        MOCK_TOSS_CONTROL_PORT: String(controlPort),
        MOCK_TOSS_CERT_DIR: certDir,
        MOCK_TOSS_GRANT_DEADLINE_MS: String(grantDeadlineMs),
        MOCK_TOSS_CATALOG: path.join(repoRoot, 'catalog', 'products.json'),
      },
    });
    children.push(mock);
    const build = runToEnd(
      'web-build',
      process.execPath,
      [viteCli, 'build', '--outDir', webOut, '--emptyOutDir'],
      {
        cwd: webDir,
        logFile: log('web-build'),
        env: {
          ...baseEnv,
          VITE_TOSS_MOCK: '1',
          VITE_API_URL: serverUrl,
          VITE_TOSS_MOCK_CONTROL_URL: controlUrl,
          VITE_GRANT_WINDOW_MS: String(grantWindowMs),
        },
      },
    );
    await waitUntilReady(mock, 'GET /__mock/state', () => answers(`${controlUrl}/__mock/state`), 30_000);

    // 2. The server, once the mock has written the certificates.
    const server = startChild('server', process.execPath, [tsxCli, 'apps/server/src/main.ts'], {
      cwd: repoRoot,
      logFile: log('server'),
      env: {
        ...baseEnv,
        PORT: String(serverPort),
        HOST: '127.0.0.1',
        DATABASE_PATH: databasePath,
        // A PostgreSQL URL in the caller's environment would win over DATABASE_PATH: keep e2e on its own SQLite file.
        DATABASE_URL: undefined,
        CATALOG_PATH: path.join(repoRoot, 'catalog', 'products.json'),
        TOSS_API_BASE_URL: partnerUrl,
        TOSS_MTLS_CERT: path.join(certDir, 'client.pem'),
        TOSS_MTLS_KEY: path.join(certDir, 'client-key.pem'),
        TOSS_MTLS_CA: path.join(certDir, 'ca.pem'),
        CORS_ORIGINS: `${webUrl},http://127.0.0.1:${webPort}`,
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
      },
    });
    children.push(server);

    // 3. Serve the build on localhost.
    await build;
    const preview = startChild(
      'web-preview',
      process.execPath,
      [
        viteCli,
        'preview',
        '--outDir',
        webOut,
        '--host',
        'localhost',
        '--port',
        String(webPort),
        '--strictPort',
      ],
      { cwd: webDir, logFile: log('web-preview'), env: baseEnv },
    );
    children.push(preview);

    await waitUntilReady(server, 'GET /healthz', () => answers(`${serverUrl}/healthz`), 60_000);
    await waitUntilReady(preview, `GET ${webUrl}/`, () => answers(`${webUrl}/`), 30_000);
  } catch (error) {
    console.error(`[e2e] harness failed to start: ${(error as Error).message}`);
    for (const name of childLogNames) console.error(`[e2e] ${name}.log\n${tail(log(name), 20)}`);
    await teardown();
    throw error;
  }

  writeHarnessEnv({ webUrl, serverUrl, controlUrl, partnerUrl, databasePath, certDir, logDir });
  console.log(
    `[e2e] harness up in ${((Date.now() - started) / 1000).toFixed(1)} s: web ${webUrl}, server ${serverUrl}, mock control ${controlUrl}`,
  );
  return teardown;
}
