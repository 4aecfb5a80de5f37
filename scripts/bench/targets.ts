/**
 * The processes under test, each in its own Node process (so RSS is the server's alone):
 *  - `startBaseline`: baseline-server.ts (bare node:http + the same SQLite write);
 *  - `startInprocServer`: the fulfillment server with the partner API answered in-process (server-inproc.ts);
 *  - `startMock` + `startMainServer`: toss-mock (mock-entry.ts) and the server's real entry (apps/server/src/main.ts)
 *    talking to it over mTLS on loopback.
 * Rate limits are raised for the bench through the server's own env (RATE_LIMIT_LOGIN_PER_MINUTE,
 * RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE, RATE_LIMIT_PUBLIC_PER_MINUTE, RATE_LIMIT_FULFILL_PER_MINUTE); everything else
 * keeps its default unless a phase says otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Child, freePort, repoRoot, sleep, startNode, waitUntil } from '../lib/processes.mjs';
import { startServer } from '../lib/stack.mjs';
import { childOptions } from './proc';

const benchDir = 'scripts/bench';

/** Env every server under test gets: limits out of the way, no reconcile timer firing mid-run. */
export const benchServerEnv: Record<string, string> = {
  HOST: '127.0.0.1',
  RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
  RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE: '1000000',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
  RATE_LIMIT_FULFILL_PER_MINUTE: '1000000',
  RECONCILE_INTERVAL_SECONDS: '0',
  LOG_LEVEL: 'info',
  /** '' = a free port, chosen at start (`RunningServer.metricsUrl`). */
  METRICS_PORT: '',
};

/**
 * Pin the server to this SQLite file. DATABASE_URL wins over DATABASE_PATH in the server's config, so a
 * DATABASE_URL (e.g. postgres://…) left in the caller's environment is overridden with the same file path.
 */
function sqliteAt(databasePath: string): Record<string, string> {
  return { DATABASE_PATH: databasePath, DATABASE_URL: databasePath };
}

export interface RunningServer {
  child: Child;
  url: string;
  port: number;
  /** The server's `/metrics` listener (group commit sizes), or null (baselines). */
  metricsUrl: string | null;
  databasePath: string;
  env: Record<string, string>;
}

/** Start a server entry on PORT (a free one unless given) until it answers /healthz; up to 3 tries. */
async function startWithRetry(
  name: string,
  entry: string,
  env: Record<string, string>,
  port?: number,
): Promise<RunningServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const chosen = port ?? (await freePort());
    // The fulfillment server also serves /metrics (the bench reads its commit group sizes there).
    const metricsPort = env.METRICS_PORT === '' ? String(await freePort()) : undefined;
    const fullEnv = { ...env, PORT: String(chosen), ...(metricsPort ? { METRICS_PORT: metricsPort } : {}) };
    try {
      const child = await startServer(fullEnv, { ...childOptions(name, fullEnv), entry });
      const url = `http://127.0.0.1:${chosen}`;
      const metricsUrl = metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : null;
      return { child, url, port: chosen, metricsUrl, databasePath: env.DATABASE_PATH ?? '', env: fullEnv };
    } catch (error) {
      lastError = error;
      if (port !== undefined) await sleep(200); // the same port: give the OS a moment
    }
  }
  throw lastError;
}

/**
 * The server's SQLite `synchronous` level (FULL: fsync on every commit), read from its source so the baseline
 * pays for the same durability. Falls back to FULL, the safe reading, if the line moves.
 */
export function serverSqliteSynchronous(): string {
  try {
    const source = readFileSync(path.join(repoRoot, 'apps/server/src/db/database.ts'), 'utf8');
    return /pragma\(['"`]synchronous\s*=\s*(\w+)['"`]\)/i.exec(source)?.[1]?.toUpperCase() ?? 'FULL';
  } catch {
    return 'FULL';
  }
}

export function startBaseline(databasePath: string): Promise<RunningServer> {
  return startWithRetry('baseline', `${benchDir}/baseline-server.ts`, {
    DATABASE_PATH: databasePath,
    BENCH_SQLITE_SYNCHRONOUS: serverSqliteSynchronous(),
  });
}

/** The bare read handler (read-baseline-server.ts) on an existing server database (read phase). */
export function startReadBaseline(databasePath: string): Promise<RunningServer> {
  return startWithRetry('read-baseline', `${benchDir}/read-baseline-server.ts`, {
    DATABASE_PATH: databasePath,
  });
}

/** `cpuProfilePath`: SIGUSR2 toggles the CPU profiler, writing there (see server-inproc.ts). */
export function startInprocServer(databasePath: string, cpuProfilePath?: string): Promise<RunningServer> {
  return startWithRetry('server(in-process partner)', `${benchDir}/server-inproc.ts`, {
    ...benchServerEnv,
    ...sqliteAt(databasePath),
    TOSS_API_BASE_URL: 'https://partner.bench.invalid',
    ...(cpuProfilePath ? { BENCH_CPU_PROFILE: cpuProfilePath } : {}),
  });
}

export interface RunningMock {
  child: Child;
  partnerUrl: string;
  controlUrl: string;
  certs: { caPath: string; clientCertPath: string; clientKeyPath: string };
}

export async function startMock(certDir: string): Promise<RunningMock> {
  const env = { BENCH_CERT_DIR: certDir };
  const child = startNode('toss-mock', `${benchDir}/mock-entry.ts`, childOptions('toss-mock', env));
  const ready = () => child.grep(/"event":"mock\.ready"/)[0];
  await waitUntil(child, 'mock.ready', { probe: () => ready() !== undefined });
  return { child, ...(JSON.parse(ready()!) as Omit<RunningMock, 'child'>) };
}

/** The server's real entry point against toss-mock (mTLS). `port` reuses a port across restarts (chaos). */
export function startMainServer(
  mock: RunningMock,
  databasePath: string,
  extraEnv: Record<string, string> = {},
  port?: number,
): Promise<RunningServer> {
  // The server's own entry; if it is missing, the same createServer(loadConfig()) without the in-process partner.
  const mainEntry = 'apps/server/src/main.ts';
  const useMain = existsSync(path.join(repoRoot, mainEntry));
  return startWithRetry(
    'server(toss-mock)',
    useMain ? mainEntry : `${benchDir}/server-inproc.ts`,
    {
      ...(useMain ? {} : { BENCH_PARTNER: 'https' }),
      ...benchServerEnv,
      ...sqliteAt(databasePath),
      TOSS_API_BASE_URL: mock.partnerUrl,
      TOSS_MTLS_CERT: mock.certs.clientCertPath,
      TOSS_MTLS_KEY: mock.certs.clientKeyPath,
      TOSS_MTLS_CA: mock.certs.caPath,
      ...extraEnv,
    },
    port,
  );
}
