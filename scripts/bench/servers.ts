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
  /** The server's Prometheus endpoint (commit group sizes); null for the baseline. */
  metricsUrl: string | null;
}

/** Start `entry` on `port` (a free one unless given) until /healthz answers; three tries (a port may be taken). */
async function start(
  name: string,
  entry: string,
  env: Record<string, string>,
  port?: number,
  nodeArgs?: string[],
) {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? (await freePort());
    const metrics = env.DATABASE_URL ? await freePort() : null; // the servers, not the baseline
    const all = { ...env, PORT: String(chosen), ...(metrics ? { METRICS_PORT: String(metrics) } : {}) };
    try {
      const child = await startServer(all, { ...childOptions(name, all, nodeArgs), entry });
      const metricsUrl = metrics ? `http://127.0.0.1:${metrics}/metrics` : null;
      return { child, url: `http://127.0.0.1:${chosen}`, metricsUrl } satisfies Running;
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(200);
    }
  }
}

/** The server's SQLite `synchronous` level, read from its source so the baseline pays for the same durability. */
export function serverSynchronous(): string {
  const source = readFileSync(path.join(repoRoot, 'apps/server/src/db/database.ts'), 'utf8');
  const level = /pragma\(['"`]synchronous\s*=\s*(\w+)['"`]\)/i.exec(source)?.[1]?.toUpperCase();
  // No guess: a baseline at another level than the server's would compare different durability.
  if (!level)
    throw new Error("can't read the server's synchronous level from apps/server/src/db/database.ts");
  return level;
}

export const startBaseline = (file: string) =>
  start('baseline', 'scripts/bench/baseline-server.ts', {
    DATABASE_PATH: file,
    BENCH_SQLITE_SYNCHRONOUS: serverSynchronous(),
  });

/** `profileDir`: the process writes a V8 CPU profile there when it exits (`node --cpu-prof`). */
export function startInproc(file: string, profileDir?: string) {
  const env = { ...serverEnv(file), TOSS_API_BASE_URL: 'https://partner.bench.invalid' };
  const cpuProf = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return start('server-inproc', 'scripts/bench/server-inproc.ts', env, undefined, cpuProf);
}

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
export function startMain(mock: Mock, file: string, env: Record<string, string> = {}, port?: number) {
  const { caPath, clientCertPath, clientKeyPath } = mock.certs;
  const tls = { TOSS_MTLS_CERT: clientCertPath, TOSS_MTLS_KEY: clientKeyPath, TOSS_MTLS_CA: caPath };
  const all = { ...serverEnv(file), TOSS_API_BASE_URL: mock.partnerUrl, ...tls, ...env };
  return start('server-mtls', 'apps/server/src/main.ts', all, port);
}
