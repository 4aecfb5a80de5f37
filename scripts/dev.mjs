// `pnpm dev`: mock Toss + fulfillment server + mini-app, seeded, in one command.
//   toss-mock  partner API https://localhost:3100 (mTLS), control http://127.0.0.1:3101
//   server     http://127.0.0.1:3000 (tRPC at /trpc), SQLite at .dev/app.db
//   web        http://localhost:5173 (Vite, with the mock host and its dev panel)
// `node scripts/dev.mjs --smoke` starts everything, checks that each part answers, and exits (used by `pnpm test`).
// Each child runs in its own process group so Ctrl-C stops the whole tree (pnpm/tsx shims don't forward signals).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCurrentNode } from './lib/node-runtime.mjs';

await ensureCurrentNode();

const root = fileURLToPath(new URL('..', import.meta.url));
const smoke = process.argv.includes('--smoke');
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));

const devDir = join(root, '.dev');
const certDir = process.env.MOCK_TOSS_CERT_DIR ?? join(devDir, 'certs');
mkdirSync(devDir, { recursive: true });

const ports = {
  mock: Number(process.env.MOCK_TOSS_PORT ?? 3100),
  control: Number(process.env.MOCK_TOSS_CONTROL_PORT ?? 3101),
  server: Number(process.env.PORT ?? 3000),
  web: Number(process.env.WEB_PORT ?? 5173),
};
const controlUrl = `http://127.0.0.1:${ports.control}`;
const serverUrl = `http://127.0.0.1:${ports.server}`;
const webUrl = `http://localhost:${ports.web}`;

const env = {
  ...process.env,
  MOCK_TOSS_PORT: String(ports.mock),
  MOCK_TOSS_CONTROL_PORT: String(ports.control),
  MOCK_TOSS_CERT_DIR: certDir,
  MOCK_TOSS_CONTROL_URL: controlUrl,
  PORT: String(ports.server),
  DATABASE_PATH: process.env.DATABASE_PATH ?? join(devDir, 'app.db'),
  TOSS_API_BASE_URL: process.env.TOSS_API_BASE_URL ?? `https://localhost:${ports.mock}`,
  TOSS_MTLS_CERT: process.env.TOSS_MTLS_CERT ?? join(certDir, 'client.pem'),
  TOSS_MTLS_KEY: process.env.TOSS_MTLS_KEY ?? join(certDir, 'client-key.pem'),
  TOSS_MTLS_CA: process.env.TOSS_MTLS_CA ?? join(certDir, 'ca.pem'),
  CORS_ORIGINS: process.env.CORS_ORIGINS ?? `http://localhost:${ports.web},http://127.0.0.1:${ports.web}`,
  VITE_API_URL: process.env.VITE_API_URL ?? serverUrl,
  VITE_TOSS_MOCK_CONTROL_URL: controlUrl,
};

const bin = (name) => join(root, 'node_modules', '.bin', name);
const children = [];
let stopping = false;

function start(name, command, args, cwd = root) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}]`.padEnd(9);
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) console.log(`${prefix}${line}`);
    });
  }
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${prefix}exited (${signal ?? code}); stopping everything.`);
    stop(1);
  });
  children.push(child);
  return child;
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
  }
  setTimeout(() => {
    for (const child of children) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
    process.exit(code);
  }, 3_000).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(
    () => process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

async function waitFor(name, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return response;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

function runOnce(name, command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} failed (exit ${code})`))));
  });
}

try {
  start('mock', bin('tsx'), ['packages/toss-mock/src/cli.ts']);
  await waitFor('toss-mock', `${controlUrl}/__mock/state`);
  await runOnce('seed', 'pnpm', ['run', '--silent', 'seed']);
  start('server', bin('tsx'), ['apps/server/src/main.ts']);
  await waitFor('server', `${serverUrl}/healthz`);
  const webDir = join(root, 'apps', 'web');
  start(
    'web',
    join(webDir, 'node_modules', '.bin', 'vite'),
    ['--host', 'localhost', '--port', String(ports.web), '--strictPort'],
    webDir,
  );
  const page = await waitFor('web', webUrl);
  if (smoke) {
    const html = await page.text();
    if (!html.includes('id="root"')) throw new Error('web: the page has no #root element');
    const health = await (await fetch(`${serverUrl}/healthz`)).json();
    if (health.ok !== true) throw new Error('server: /healthz did not say ok');
    console.log('dev smoke: mock, seed, server and web all answered');
    stop(0);
  } else {
    console.log(
      `\n  Mini-app     ${webUrl}   (open at 375 px width; the "Toss 모의" button drives the mock)`,
    );
    console.log(`  Server       ${serverUrl}/healthz · tRPC ${serverUrl}/trpc`);
    console.log(
      `  Mock Toss    https://localhost:${ports.mock} (mTLS) · control ${controlUrl}/__mock/state\n`,
    );
  }
} catch (error) {
  console.error(`dev: ${error instanceof Error ? error.message : error}`);
  stop(1);
}
