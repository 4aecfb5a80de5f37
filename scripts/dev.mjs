// `pnpm dev`: mock Toss + fulfillment server + mini-app, seeded, in one command.
//   toss-mock  partner API https://localhost:3100 (mTLS), control http://127.0.0.1:3101
//   server     http://127.0.0.1:3000 (tRPC at /trpc), SQLite at .dev/app.db; restarts on source changes (tsx watch)
//   web        http://localhost:5173 (Vite, with the mock host and its dev panel)
// `node scripts/dev.mjs --smoke` starts everything, checks that each part answers, and exits (used by `pnpm test`).
// How each part starts: lib/stack.mjs. Ctrl-C, or any part exiting, stops them all.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureCurrentNode } from './lib/node-runtime.mjs';
import { repoRoot, stopAll } from './lib/processes.mjs';
import { runSeed, stackEnv, stackUrls, startMock, startServer, startWeb } from './lib/stack.mjs';

await ensureCurrentNode();

const smoke = process.argv.includes('--smoke');
if (existsSync(join(repoRoot, '.env'))) process.loadEnvFile(join(repoRoot, '.env'));

const devDir = join(repoRoot, '.dev');
mkdirSync(devDir, { recursive: true });
const ports = {
  mock: Number(process.env.MOCK_TOSS_PORT ?? 3100),
  control: Number(process.env.MOCK_TOSS_CONTROL_PORT ?? 3101),
  server: Number(process.env.PORT ?? 3000),
  web: Number(process.env.WEB_PORT ?? 5173),
};
const urls = stackUrls(ports);
const certDir = process.env.MOCK_TOSS_CERT_DIR ?? join(devDir, 'certs');
const env = {
  ...stackEnv({ ports, certDir, databasePath: join(devDir, 'app.db') }),
  LOG_FORMAT: 'pretty', // the server's output is piped through here, so it cannot see the terminal itself
  ...process.env, // the caller's environment (and .env) wins, but the mock's control URL follows its port
  MOCK_TOSS_CONTROL_URL: urls.controlUrl,
  VITE_TOSS_MOCK_CONTROL_URL: urls.controlUrl,
};

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await stopAll();
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
  stopWhenItExits(await startMock(env));
  await runSeed(env);
  stopWhenItExits(await startServer(env, { watch: true }));
  stopWhenItExits(await startWeb(env, { port: ports.web }));
  if (smoke) {
    const html = await (await fetch(urls.webUrl)).text();
    if (!html.includes('id="root"')) throw new Error('web: the page has no #root element');
    const health = await (await fetch(`${urls.serverUrl}/healthz`)).json();
    if (health.ok !== true) throw new Error('server: /healthz did not say ok');
    console.log('dev smoke: mock, seed, server and web all answered');
    await stop(0);
  } else {
    console.log(
      `\n  Mini-app     ${urls.webUrl}   (open at 375 px width; the "Toss 모의" button drives the mock)`,
    );
    console.log(`  Server       ${urls.serverUrl}/healthz · tRPC ${urls.serverUrl}/trpc`);
    console.log(`  Mock Toss    ${urls.partnerUrl} (mTLS) · control ${urls.controlUrl}/__mock/state\n`);
  }
} catch (error) {
  console.error(`dev: ${error instanceof Error ? error.message : error}`);
  await stop(1);
}
