// The stack as `pnpm dev`, the e2e harness and the bench run it: toss-mock, the catalog seed, the fulfillment server
// and the mini-app, each with its command, the environment it reads and when it is ready. The callers choose ports,
// folders and their own settings (dev: .dev/ and the usual ports; e2e: free ports, a temp database and a production
// build; bench: its own entries and CPU-relevant settings). Starting, waiting and stopping: processes.mjs.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { finished, repoRoot, startNode, startProcess, waitUntil } from './processes.mjs';

const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const webDir = path.join(repoRoot, 'apps', 'web');
const vite = path.join(webDir, 'node_modules', 'vite', 'bin', 'vite.js');
const consoleDir = path.join(repoRoot, 'apps', 'console');
const consoleVite = path.join(consoleDir, 'node_modules', 'vite', 'bin', 'vite.js');

/** Where the parts answer, given their ports. */
export function stackUrls(ports) {
  return {
    partnerUrl: `https://localhost:${ports.mock}`,
    controlUrl: `http://127.0.0.1:${ports.control}`,
    serverUrl: `http://127.0.0.1:${ports.server}`,
    webUrl: `http://localhost:${ports.web}`,
    // The support console, served by the server on ADMIN_PORT (loopback only).
    adminUrl: `http://127.0.0.1:${ports.admin ?? 3200}`,
  };
}

/** What the parts read, wired to each other: one map for all (each part reads its own variables). */
export function stackEnv({ ports, certDir, databasePath }) {
  const urls = stackUrls(ports);
  return {
    MOCK_TOSS_PORT: String(ports.mock),
    MOCK_TOSS_CONTROL_PORT: String(ports.control),
    MOCK_TOSS_CERT_DIR: certDir,
    MOCK_TOSS_CONTROL_URL: urls.controlUrl,
    PORT: String(ports.server),
    ...(ports.admin === undefined ? {} : { ADMIN_PORT: String(ports.admin) }),
    DATABASE_PATH: databasePath,
    TOSS_API_BASE_URL: urls.partnerUrl,
    TOSS_MTLS_CERT: path.join(certDir, 'client.pem'),
    TOSS_MTLS_KEY: path.join(certDir, 'client-key.pem'),
    TOSS_MTLS_CA: path.join(certDir, 'ca.pem'),
    CORS_ORIGINS: `${urls.webUrl},http://127.0.0.1:${ports.web}`,
    // The mock plays Toss: a sandbox deployment unless the caller says otherwise (e2e plays the live app).
    TOSS_ENVIRONMENT: 'sandbox',
    VITE_API_URL: urls.serverUrl,
    VITE_TOSS_MOCK_CONTROL_URL: urls.controlUrl,
  };
}

/** toss-mock's CLI: partner API (mTLS, certificates written to MOCK_TOSS_CERT_DIR) and control API. */
export async function startMock(env, { timeoutMs, ...options } = {}) {
  const child = startNode('mock', 'packages/toss-mock/src/cli.ts', { ...options, env });
  await waitUntil(child, `${env.MOCK_TOSS_CONTROL_URL}/__mock/state`, { timeoutMs });
  return child;
}

/** `pnpm seed`: the catalog into the server's database and the running mock's product list. */
export function runSeed(env, options = {}) {
  return finished(startNode('seed', 'scripts/seed.ts', { ...options, env }));
}

/**
 * The fulfillment server on PORT, ready when /healthz answers. `watch`: restart it on source changes (`tsx watch`,
 * as the server's own `dev` script). `entry`: another server entry (the bench's baseline and in-process variants).
 */
export async function startServer(env, options = {}) {
  const { entry = 'apps/server/src/main.ts', name = 'server', watch = false, timeoutMs, ...start } = options;
  const child = watch
    ? startProcess(name, process.execPath, [tsx, 'watch', entry], { ...start, env })
    : startNode(name, entry, { ...start, env });
  await waitUntil(child, `http://127.0.0.1:${env.PORT}/healthz`, { timeoutMs });
  return child;
}

/** The mini-app on localhost (TDS renders only there): Vite's dev server, or with `outDir` a preview of that build. */
export async function startWeb(env, { port, outDir, timeoutMs, ...options }) {
  const mode = outDir ? ['preview', '--outDir', outDir] : [];
  const args = [vite, ...mode, '--host', 'localhost', '--port', String(port), '--strictPort'];
  const child = startProcess(outDir ? 'web-preview' : 'web', process.execPath, args, {
    ...options,
    cwd: webDir,
    env,
  });
  await waitUntil(child, `http://localhost:${port}/`, { timeoutMs });
  return child;
}

/** A production build of the mini-app into `outDir`, with the env's VITE_* settings compiled in. */
export function buildWeb(env, outDir, options = {}) {
  const args = [vite, 'build', '--outDir', outDir, '--emptyOutDir'];
  return finished(startProcess('web-build', process.execPath, args, { ...options, cwd: webDir, env }));
}

/**
 * The support console built into `outDir` (the server serves it on ADMIN_PORT: point ADMIN_CONSOLE_DIR there).
 * `watch`: keep rebuilding on source changes (`pnpm dev`); resolves once the first build is written.
 */
export async function buildConsole(env, outDir, { watch = false, timeoutMs = 120_000, ...options } = {}) {
  const args = [consoleVite, 'build', '--outDir', outDir, '--emptyOutDir', ...(watch ? ['--watch'] : [])];
  const child = startProcess('console', process.execPath, args, { ...options, cwd: consoleDir, env });
  if (!watch) return finished(child);
  const index = path.join(outDir, 'index.html');
  const started = Date.now();
  while (!(existsSync(index) && statSync(index).mtimeMs >= started - 1_000)) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`console: no build in ${outDir} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return child;
}
