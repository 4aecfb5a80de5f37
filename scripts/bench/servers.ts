/**
 * The processes under test, each its own `node --import tsx <entry>` (so its pid, CPU time and RSS are its own),
 * in the bench's process group and stopped when the bench exits. Their output goes to a log FILE in the bench's temp
 * dir, never a pipe: a server writing into a pipe the busy load generator must drain would measure the bench.
 *  - `startBaseline`: baseline-server.ts, bare node:http + better-sqlite3 (the fulfill and the read baseline);
 *  - `startInproc`: the real server with the partner API answered in-process (server-inproc.ts);
 *  - `startMock` + `startMain`: toss-mock (mock-entry.ts) and the server's own entry talking to it over mTLS.
 */

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Child, freePort, repoRoot, sleep, startNode, waitUntil } from '../lib/processes.mjs';
import { startServer } from '../lib/stack.mjs';

let logDir = '';
let started = 0;
/** Children's logs go here (the bench's temp dir). */
export const setLogDir = (dir: string) => {
  logDir = dir;
  mkdirSync(dir, { recursive: true });
};
const childOptions = (name: string, env: Record<string, string>, nodeArgs: string[] = []) => ({
  name,
  env: { ...process.env, ...env },
  logFile: path.join(logDir, `${String(++started).padStart(2, '0')}-${name.replace(/\W+/g, '-')}.log`),
  nodeArgs,
  group: false,
  graceMs: 5_000,
});

/** Every server under test: rate limits out of the way, no reconcile timer firing mid-run, /metrics on. */
const serverEnv = (databasePath: string): Record<string, string> => ({
  HOST: '127.0.0.1',
  RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
  RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE: '1000000',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
  RATE_LIMIT_FULFILL_PER_MINUTE: '1000000',
  RECONCILE_INTERVAL_SECONDS: '0',
  LOG_LEVEL: 'info',
  // DATABASE_URL outranks DATABASE_PATH: pinned to the same file, so a postgres:// one in the shell is not used.
  DATABASE_PATH: databasePath,
  DATABASE_URL: databasePath,
});

export interface Running {
  child: Child;
  url: string;
  port: number;
  /** The server's Prometheus endpoint (commit group sizes); null for the baseline. */
  metricsUrl: string | null;
  databasePath: string;
}

/** Start `entry` on PORT (a free one unless given) until /healthz answers; three tries (a port may be taken). */
async function start(
  name: string,
  entry: string,
  env: Record<string, string>,
  port?: number,
  nodeArgs?: string[],
) {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? (await freePort());
    const metricsPort = env.DATABASE_URL ? await freePort() : null;
    const fullEnv = {
      ...env,
      PORT: String(chosen),
      ...(metricsPort ? { METRICS_PORT: String(metricsPort) } : {}),
    };
    try {
      const child = await startServer(fullEnv, { ...childOptions(name, fullEnv, nodeArgs), entry });
      const metricsUrl = metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : null;
      const url = `http://127.0.0.1:${chosen}`;
      return {
        child,
        url,
        port: chosen,
        metricsUrl,
        databasePath: env.DATABASE_PATH ?? '',
      } satisfies Running;
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(200);
    }
  }
}

/** The server's SQLite `synchronous` level, read from its source so the baseline pays for the same durability. */
export function serverSynchronous(): string {
  const source = readFileSync(path.join(repoRoot, 'apps/server/src/db/database.ts'), 'utf8');
  return /pragma\(['"`]synchronous\s*=\s*(\w+)['"`]\)/i.exec(source)?.[1]?.toUpperCase() ?? 'FULL';
}

export const startBaseline = (databasePath: string) =>
  start('baseline', 'scripts/bench/baseline-server.ts', {
    DATABASE_PATH: databasePath,
    BENCH_SQLITE_SYNCHRONOUS: serverSynchronous(),
  });

/** `profileDir`: the process writes a V8 CPU profile there when it exits (`node --cpu-prof`). */
export const startInproc = (databasePath: string, profileDir?: string) =>
  start(
    'server-inproc',
    'scripts/bench/server-inproc.ts',
    { ...serverEnv(databasePath), TOSS_API_BASE_URL: 'https://partner.bench.invalid' },
    undefined,
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );

export interface Mock {
  child: Child;
  partnerUrl: string;
  controlUrl: string;
  certs: { caPath: string; clientCertPath: string; clientKeyPath: string };
}

export async function startMock(certDir: string): Promise<Mock> {
  const child = startNode(
    'toss-mock',
    'scripts/bench/mock-entry.ts',
    childOptions('toss-mock', { BENCH_CERT_DIR: certDir }),
  );
  const ready = () => child.grep(/"event":"mock\.ready"/)[0];
  await waitUntil(child, 'mock.ready', { probe: () => ready() !== undefined });
  return { child, ...JSON.parse(ready()!) };
}

/** The server's own entry (apps/server/src/main.ts) against toss-mock over mTLS; `port` survives restarts. */
export const startMain = (
  mock: Mock,
  databasePath: string,
  env: Record<string, string> = {},
  port?: number,
) =>
  start(
    'server-mtls',
    'apps/server/src/main.ts',
    {
      ...serverEnv(databasePath),
      TOSS_API_BASE_URL: mock.partnerUrl,
      TOSS_MTLS_CERT: mock.certs.clientCertPath,
      TOSS_MTLS_KEY: mock.certs.clientKeyPath,
      TOSS_MTLS_CA: mock.certs.caPath,
      ...env,
    },
    port,
  );
