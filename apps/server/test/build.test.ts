/**
 * The production build: `pnpm build` bundles the server to dist/ and `pnpm start` runs `node dist/main.js` — plain
 * Node, no TypeScript loader. Built once here, started on a free port against toss-mock and a fresh database, it
 * answers /readyz, logs a user in (the bundled contract at work) and drains on SIGTERM.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { apiClient, type MockHarness, startMock, tempDir, testDatabase } from './helpers';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packageJson = (await import('../package.json', { with: { type: 'json' } })).default as {
  scripts: Record<string, string>;
};

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let child: ChildProcess | null = null;

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await mock?.close();
  await tmp?.remove();
});

test('pnpm build → node dist/main.js serves /readyz and logins, then drains on SIGTERM', {
  timeout: 120_000,
}, async () => {
  await promisify(execFile)(process.execPath, ['scripts/build.mjs'], { cwd: serverDir });
  for (const entry of ['main.js', 'ops.js', 'reconcile.js']) {
    expect(existsSync(path.join(serverDir, 'dist', entry))).toBe(true);
  }
  // `start` is plain node on the bundle.
  expect(packageJson.scripts.start).toBe('node --enable-source-maps dist/main.js');

  const database = await testDatabase(tmp.dir, 'built');
  // The built CLI loads settings like the server: the database apps/server/.env names, from another working directory.
  const root = path.join(tmp.dir, 'settings-root');
  mkdirSync(path.join(root, 'apps', 'server'), { recursive: true });
  const dbLine = database.env.DATABASE_URL
    ? `DATABASE_URL=${database.env.DATABASE_URL}`
    : `DATABASE_PATH=${path.relative(path.join(root, 'apps', 'server'), database.env.DATABASE_PATH ?? '')}`;
  // The built CLI is production by default, so it needs a matching mTLS pair like the server.
  const mtlsLines = `TOSS_MTLS_CERT=${mock.mock.certs.clientCertPath}\nTOSS_MTLS_KEY=${mock.mock.certs.clientKeyPath}\n`;
  writeFileSync(
    path.join(root, 'apps', 'server', '.env'),
    `TOSS_ENVIRONMENT=sandbox\n${dbLine}\n${mtlsLines}`,
  );
  const listed = await promisify(execFile)(
    process.execPath,
    [path.join(serverDir, 'dist', 'ops.js'), 'operator', 'list', '--json'],
    { cwd: tmp.dir, env: { PATH: process.env.PATH, AIT_IAP_SETTINGS_ROOT: root } },
  );
  expect(listed.stderr).toMatch(/database .* \(from apps\/server\/\.env\)/);
  expect(JSON.parse(listed.stdout)).toEqual([]);

  const lines: Array<Record<string, unknown>> = [];
  // No NODE_OPTIONS (vitest's loaders), no tsx: only what production has.
  const started = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      TOSS_ENVIRONMENT: 'sandbox',
      PORT: '0',
      HOST: '127.0.0.1',
      ...database.env,
      TOSS_API_BASE_URL: mock.mock.partnerUrl,
      TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
      TOSS_MTLS_KEY: mock.mock.certs.clientKeyPath,
      TOSS_MTLS_CA: mock.mock.certs.caPath,
      RECONCILE_INTERVAL_SECONDS: '0',
      SHUTDOWN_DRAIN_MS: '300',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      AIT_IAP_SETTINGS_ROOT: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let stderr = '';
  started.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => started.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`built server did not start: ${stderr}`)), 30_000);
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      lines.push(record);
      if (record.event === 'server.listening') {
        clearTimeout(timer);
        resolve(String(record.url));
      }
    });
    started.on('exit', (code) => reject(new Error(`built server exited with ${code}: ${stderr}`)));
  });

  const ready = await fetch(`${url}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([200, { ok: true }]);
  expect(ready.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const { authorizationCode } = await mock.control.newUser();
  const login = await apiClient(url).mutation<{ token: string }>('auth.login', {
    authorizationCode,
    referrer: 'DEFAULT',
  });
  expect(login.data?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

  started.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(lines.map((l) => l.event)).toEqual(
    expect.arrayContaining(['server.listening', 'auth.login', 'server.stopping', 'server.closed']),
  );
});

test('the built server is production by default: without NODE_ENV it refuses to start until TOSS_ENVIRONMENT is named', async () => {
  // Runs after the build above (same file, sequential).
  const refused = spawnSync(process.execPath, ['dist/main.js'], {
    cwd: serverDir,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: `${tmp.dir}/never.db` },
    encoding: 'utf8',
    timeout: 20_000,
  });
  // Exited on its own (not killed by the timeout, which a server that started would hit).
  expect([refused.status, refused.signal]).toEqual([1, null]);
  expect(refused.stderr).toMatch(/TOSS_ENVIRONMENT/);
});

test('the built server in production never logs a secret it was given: every log line is searched', {
  timeout: 60_000,
}, async () => {
  // Runs after the build above (same file, sequential).
  const database = await testDatabase(tmp.dir, 'secrets');
  const hashSecret = `hash-secret-${Date.now().toString(36)}`;
  const keyPem = readFileSync(mock.mock.certs.clientKeyPath, 'utf8');
  const keyLine = keyPem.split('\n').find((line) => line.length > 40) as string;
  const env: Record<string, string> = { ...database.env };
  const secrets = [hashSecret, keyLine];
  if (env.DATABASE_URL) {
    // A password in the URL (the throwaway cluster trusts local connections, so any password connects).
    const url = new URL(env.DATABASE_URL);
    if (!url.password) url.password = `pg-pass-${Date.now().toString(36)}`;
    env.DATABASE_URL = url.toString();
    secrets.push(decodeURIComponent(url.password));
  }
  const output: string[] = [];
  const started = spawn(process.execPath, ['dist/main.js'], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      TOSS_ENVIRONMENT: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
      TOSS_API_BASE_URL: mock.mock.partnerUrl,
      TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
      TOSS_MTLS_KEY_PEM: keyPem,
      TOSS_MTLS_CA: mock.mock.certs.caPath,
      LOG_HASH_SECRET: hashSecret,
      RECONCILE_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  started.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => started.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`built server did not start: ${output.join('')}`)),
      30_000,
    );
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(line);
      const record = JSON.parse(line) as Record<string, unknown>;
      if (record.event === 'server.listening') {
        clearTimeout(timer);
        resolve(String(record.url));
      }
    });
    started.on('exit', (code) => reject(new Error(`built server exited with ${code}: ${output.join('')}`)));
  });
  // Work that logs: readiness, a login (its user-key tag is HMAC'd under the secret), a refused login, a bad call.
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  const api = apiClient(url);
  const { authorizationCode } = await mock.control.newUser();
  expect((await api.mutation('auth.login', { authorizationCode, referrer: 'DEFAULT' })).status).toBe(200);
  expect((await api.mutation('auth.login', { authorizationCode, referrer: 'DEFAULT' })).status).toBe(401);
  expect((await api.query('me.inventory', undefined, 'not-a-session-token-000')).status).toBe(401);
  started.kill('SIGTERM');
  expect(await exited).toBe(0);
  const logged = output.join('\n');
  expect(logged).toContain('server.listening');
  expect(logged).toContain('auth.login');
  for (const secret of secrets) expect(logged).not.toContain(secret);
});

test('a libpq DATABASE_URL stops the built server in one line naming the setting, without its password or a file', () => {
  const refused = spawnSync(process.execPath, [path.join(serverDir, 'dist/main.js')], {
    cwd: tmp.dir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      TOSS_ENVIRONMENT: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      TOSS_MTLS_CERT: mock.mock.certs.clientCertPath,
      TOSS_MTLS_KEY: mock.mock.certs.clientKeyPath,
      DATABASE_URL: 'host=db.internal port=5432 dbname=app user=app password=s3cret-libpq',
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect([refused.status, refused.signal]).toEqual([1, null]);
  expect(refused.stderr).toMatch(/DATABASE_URL: a "key=value" connection string is not accepted/);
  expect(`${refused.stdout}${refused.stderr}`).not.toContain('s3cret-libpq');
  expect(readdirSync(tmp.dir).filter((name) => name.includes('host='))).toEqual([]);
});
