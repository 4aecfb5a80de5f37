// `pnpm dev`: mock Toss + fulfillment server + mini-app, seeded, in one command.
//   toss-mock  partner API https://localhost:3100 (mTLS), control http://127.0.0.1:3101
//   server     http://127.0.0.1:3000 (tRPC at /trpc), SQLite at .dev/app.db; restarts on source changes (tsx watch)
//   web        http://localhost:5173 (Vite, with the mock host and its dev panel)
//   console    http://127.0.0.1:3200 (ADMIN_PORT, served by the server from apps/console/dist, rebuilt on change by
//              `vite build --watch`; a `dev` approver is made and printed)
// While it runs, .dev/stack.env says where everything is (the mock's URL, the dev certificates, the database),
// so `pnpm --filter @ait-iap/server ops …` from any terminal reaches this stack with nothing set; it is
// removed when the stack stops. Ports come from MOCK_TOSS_PORT, MOCK_TOSS_CONTROL_PORT, PORT, WEB_PORT, ADMIN_PORT.
// `node scripts/dev.mjs --smoke` starts everything, checks that each part answers, and exits (used by `pnpm test`).
// How each part starts: lib/stack.mjs. Ctrl-C, or any part exiting, stops them all.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { ensureCurrentNode } from './lib/node-runtime.mjs';
import { repoRoot, stopAll } from './lib/processes.mjs';
import {
  buildConsole,
  runSeed,
  stackEnv,
  stackUrls,
  startMock,
  startServer,
  startWeb,
} from './lib/stack.mjs';

if (process.argv.includes('--help')) {
  console.log(`usage: pnpm dev [--smoke]   (node scripts/dev.mjs)

Starts mock Toss, the fulfillment server, the mini-app and the support console, seeded; Ctrl-C stops them all.
  --smoke  start everything, check that each part answers, and exit`);
  process.exit(0);
}
await ensureCurrentNode();

const smoke = process.argv.includes('--smoke');
// What apps/server/.env sets, the server reads from there (as the ops CLI does): the stack's defaults yield to it.
const readEnvFile = (file) => (existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {});
const serverDotEnv = readEnvFile(join(repoRoot, 'apps', 'server', '.env'));
// The root .env fills in what the environment and apps/server/.env leave unset: the order the server and the CLI
// read their settings in (apps/server/src/settings-files.ts).
for (const [key, value] of Object.entries(readEnvFile(join(repoRoot, '.env')))) {
  if (process.env[key] === undefined && !(key in serverDotEnv)) process.env[key] = value;
}

const devDir = join(repoRoot, '.dev');
mkdirSync(devDir, { recursive: true });
const ports = {
  mock: Number(process.env.MOCK_TOSS_PORT ?? 3100),
  control: Number(process.env.MOCK_TOSS_CONTROL_PORT ?? 3101),
  server: Number(process.env.PORT ?? 3000),
  web: Number(process.env.WEB_PORT ?? 5173),
  admin: Number(process.env.ADMIN_PORT ?? 3200),
};
const urls = stackUrls(ports);
const certDir = process.env.MOCK_TOSS_CERT_DIR ?? join(devDir, 'certs');
const stackDefaults = Object.fromEntries(
  Object.entries(stackEnv({ ports, certDir, databasePath: join(devDir, 'app.db') })).filter(
    ([key]) => !(key in serverDotEnv),
  ),
);
const env = {
  ...stackDefaults,
  LOG_FORMAT: 'pretty', // the server's output is piped through here, so it cannot see the terminal itself
  ...process.env, // the caller's environment (and .env) wins, but the mock's control URL follows its port
  MOCK_TOSS_CONTROL_URL: urls.controlUrl,
  VITE_TOSS_MOCK_CONTROL_URL: urls.controlUrl,
};

// .dev/stack.env: the settings the server runs with (except what apps/server/.env sets), for the ops CLI and the
// reconcile job in other terminals (apps/server/src/settings-files.ts reads it; DEV_STACK_PID says it is live).
const stackFile = join(devDir, 'stack.env');
// Not PORT or ADMIN_PORT: another server started by hand (or by the bench) while this stack runs must not inherit
// a port this stack already holds, and the CLI needs neither.
const stackKeys = [
  'TOSS_ENVIRONMENT',
  'DATABASE_PATH',
  'DATABASE_URL',
  'TOSS_API_BASE_URL',
  'TOSS_MTLS_CERT',
  'TOSS_MTLS_KEY',
  'TOSS_MTLS_CA',
  'CORS_ORIGINS',
  'CATALOG_PATH',
  'MOCK_TOSS_CONTROL_URL',
];
const pathKeys = [
  'DATABASE_PATH',
  'DATABASE_URL',
  'TOSS_MTLS_CERT',
  'TOSS_MTLS_KEY',
  'TOSS_MTLS_CA',
  'CATALOG_PATH',
];
let wroteStackFile = false;

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function writeStackFile() {
  if (existsSync(stackFile)) {
    const pid = Number(parseEnv(readFileSync(stackFile, 'utf8')).DEV_STACK_PID);
    if (pid && pid !== process.pid && pidAlive(pid)) {
      throw new Error(`another pnpm dev is running here (pid ${pid}, ${stackFile}); stop it first`);
    }
  }
  // Paths absolute: the server resolved a relative one against the repository root (the CLI would use .dev/).
  const value = (key) =>
    pathKeys.includes(key) && !/^[a-z][a-z0-9+.-]*:/i.test(env[key]) ? resolve(repoRoot, env[key]) : env[key];
  const lines = stackKeys
    .filter((key) => env[key] !== undefined && env[key] !== '' && !(key in serverDotEnv))
    .map((key) => `${key}=${JSON.stringify(value(key))}`);
  writeFileSync(
    stackFile,
    `# Written by pnpm dev (scripts/dev.mjs) while its stack runs; removed when it stops. Do not edit.\nDEV_STACK_PID=${process.pid}\n${lines.join('\n')}\n`,
  );
  wroteStackFile = true;
}

function removeStackFile() {
  if (wroteStackFile) rmSync(stackFile, { force: true });
  wroteStackFile = false;
}
process.on('exit', removeStackFile);

/** The `dev` approver for the console (made once; its password printed in the banner). */
async function devOperator() {
  const cli = join(repoRoot, 'apps', 'server', 'src', 'ops', 'cli.ts');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', cli, 'operator', 'dev', '--json'],
    {
      cwd: repoRoot,
      env,
    },
  );
  return JSON.parse(stdout);
}

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await stopAll();
  removeStackFile();
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
process.on('SIGHUP', () => stop(129)); // the terminal closed: the children run in their own groups and never hear it

/** A fixed port already taken (often a dev stack left running) would answer our readiness checks: refuse early. */
function ensureFree(name, port) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () =>
      reject(new Error(`${name}: port ${port} is in use (another pnpm dev still running?)`)),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}
const stopWhenItExits = (child) =>
  child.exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`[${child.name}] exited (${signal ?? code}); stopping everything.`);
    stop(1);
  });

try {
  for (const [name, port] of Object.entries(ports)) await ensureFree(name, port);
  writeStackFile();
  stopWhenItExits(await startMock(env));
  await runSeed(env);
  const operator = await devOperator();
  // The console the server serves on ADMIN_PORT: built once, then rebuilt on every change (`vite build --watch`).
  const consoleOut = env.ADMIN_CONSOLE_DIR
    ? resolve(repoRoot, env.ADMIN_CONSOLE_DIR)
    : join(repoRoot, 'apps', 'console', 'dist');
  if (smoke) await buildConsole(env, consoleOut);
  else stopWhenItExits(await buildConsole(env, consoleOut, { watch: true }));
  stopWhenItExits(await startServer(env, { watch: true }));
  stopWhenItExits(await startWeb(env, { port: ports.web }));
  if (smoke) {
    const html = await (await fetch(urls.webUrl)).text();
    if (!html.includes('id="root"')) throw new Error('web: the page has no #root element');
    const health = await (await fetch(`${urls.serverUrl}/healthz`)).json();
    if (health.ok !== true) throw new Error('server: /healthz did not say ok');
    const consolePage = await (await fetch(`${urls.adminUrl}/`)).text();
    if (!consolePage.includes('id="root"'))
      throw new Error('console: the admin port did not serve the console');
    console.log('dev smoke: mock, seed, server, console and web all answered');
    await stop(0);
  } else {
    console.log(
      `\n  Mini-app     ${urls.webUrl}   (open at 375 px width; the "Toss 모의" button drives the mock)`,
    );
    console.log(`  Server       ${urls.serverUrl}/healthz · tRPC ${urls.serverUrl}/trpc`);
    console.log(`  Mock Toss    ${urls.partnerUrl} (mTLS) · control ${urls.controlUrl}/__mock/state`);
    console.log(
      operator.disabled
        ? `  Console      ${urls.adminUrl}   (the dev operator is disabled: ops operator add <name> --role approver)`
        : `  Console      ${urls.adminUrl}   sign in as ${operator.name} / ${operator.password}`,
    );
    console.log(
      `  Ops CLI      pnpm --filter @ait-iap/server ops --help   (reads .dev/stack.env: this stack)\n`,
    );
  }
} catch (error) {
  console.error(`dev: ${error instanceof Error ? error.message : error}`);
  await stop(1);
}
