/**
 * The deploy folder (`pnpm deploy:server`, scripts/deploy.mjs): built, then COPIED to a temp dir outside the
 * repository (the build output is deleted, so nothing can reach back into it), and started with plain `node` from an
 * unrelated directory with a bare environment — no NODE_OPTIONS, no tsx, no workspace node_modules on the way up.
 * Against the mock (real mTLS) it answers /readyz, logs a user in and fulfills a paid order, reading the catalog from
 * the folder's own catalog/products.json (no CATALOG_PATH given).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, lstat, mkdir, readdir, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { apiClient, type MockHarness, startMock, tempDir, testDatabase } from './helpers';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let child: ChildProcess | null = null;

beforeAll(async () => {
  tmp = await tempDir('ait-deploy-');
  mock = await startMock(`${tmp.dir}/certs`);
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await mock?.close();
  await tmp?.remove();
});

/** Symbolic links under `dir` whose target resolves outside it (a folder that isn't self-contained has some). */
async function linksLeaving(dir: string): Promise<string[]> {
  const leaving: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (!(await lstat(full)).isSymbolicLink()) continue;
    const target = path.resolve(path.dirname(full), await readlink(full));
    if (path.relative(dir, target).startsWith('..')) leaving.push(`${full} → ${target}`);
  }
  return leaving;
}

/** `node <folder>/apps/server/dist/main.js` with only what production has; resolves at `server.listening`. */
function startFolder(folder: string, cwd: string, env: Record<string, string>) {
  const started = spawn(process.execPath, ['--enable-source-maps', `${folder}/apps/server/dist/main.js`], {
    cwd,
    env: { PATH: '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let stderr = '';
  started.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const events: string[] = [];
  /** The url each `*.listening` line named (the support console's too). */
  const listening: Record<string, string> = {};
  const exited = new Promise<number | null>((resolve) => started.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deployed server did not start: ${stderr}`)), 30_000);
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let record: { event?: string; url?: string };
      try {
        record = JSON.parse(line);
      } catch {
        return; // not a log line
      }
      events.push(String(record.event));
      if (record.url) listening[String(record.event)] = record.url;
      if (record.event === 'server.listening') {
        clearTimeout(timer);
        resolve(String(record.url));
      }
    });
    started.on('exit', (code) => reject(new Error(`deployed server exited with ${code}: ${stderr}`)));
  });
  return { started, url, exited, events, listening };
}

test('the deploy folder, copied away from the repo, starts with plain node and fulfills a paid order over mTLS', {
  timeout: 180_000,
}, async () => {
  const built = path.join(tmp.dir, 'built');
  // What `pnpm deploy:server <dir>` runs.
  await promisify(execFile)(process.execPath, ['scripts/deploy.mjs', built], { cwd: serverDir });
  expect(await linksLeaving(built)).toEqual([]);

  const folder = path.join(tmp.dir, 'srv', 'iap-server');
  await cp(built, folder, { recursive: true, verbatimSymlinks: true });
  await rm(built, { recursive: true, force: true });
  const elsewhere = path.join(tmp.dir, 'elsewhere');
  await mkdir(elsewhere);

  const database = await testDatabase(tmp.dir, 'deployed');
  const server = startFolder(folder, elsewhere, {
    TOSS_ENVIRONMENT: 'sandbox',
    PORT: '0',
    HOST: '127.0.0.1',
    ...database.env,
    TOSS_API_BASE_URL: mock.mock.partnerUrl,
    TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
    TOSS_MTLS_KEY: mock.mock.certs.clientKeyPath,
    TOSS_MTLS_CA: mock.mock.certs.caPath,
    ADMIN_PORT: '0',
    RECONCILE_INTERVAL_SECONDS: '0',
    SHUTDOWN_DRAIN_MS: '300',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
  });
  const url = await server.url;

  const ready = await fetch(`${url}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([200, { ok: true }]);
  // The support console ships in the folder: its page, not a "not built" answer, on the admin port.
  const consolePage = await fetch(`${server.listening['console.listening']}/`);
  expect(consolePage.status).toBe(200);
  expect(await consolePage.text()).toContain('<title>운영 콘솔</title>');
  const api = apiClient(url);
  const { userKey, authorizationCode } = await mock.control.newUser();
  const login = await api.mutation<{ token: string }>('auth.login', {
    authorizationCode,
    referrer: 'DEFAULT',
  });
  const token = login.data?.token ?? '';
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const { orderId } = await mock.control.order(userKey, 'coin_100');
  const fulfilled = await api.mutation<{ granted: boolean }>(
    'iap.fulfill',
    { orderId, sku: 'coin_100' },
    token,
  );
  expect(fulfilled.data).toMatchObject({ granted: true });
  const inventory = await api.query<{ balances: Record<string, number> }>('me.inventory', undefined, token);
  expect(Object.values(inventory.data?.balances ?? {})).toEqual([100]);

  server.started.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  expect(server.events).toEqual(expect.arrayContaining(['auth.login', 'server.stopping', 'server.closed']));
});
