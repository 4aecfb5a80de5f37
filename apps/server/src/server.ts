/**
 * `createServer(config)`: the whole server as a value — Express with request ids, security headers, CORS allow-list,
 * URL and body limits, `GET /healthz` (liveness) and `GET /readyz` (readiness), tRPC at `/trpc` (no transformer, no
 * batching), Prometheus metrics on an internal listener (METRICS_PORT), the support console on its own listener
 * (ADMIN_PORT, src/console/), and a graceful `close()` (readiness goes to
 * 503 for SHUTDOWN_DRAIN_MS, then stop accepting, let in-flight grants finish, close the database). Opens + migrates
 * the database and syncs the catalog file on start. Tests build it in-process (port 0) with an injected clock / Toss
 * transport. You probably don't need to edit this. The public app's middleware and routes: http/app.ts.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { sql } from 'kysely';
import { type CatalogMemory, loadCatalogMemory } from './catalog/products';
import { loadCatalogFile, syncCatalog } from './catalog/sync';
import { type Clock, isoAt, systemClock } from './clock';
import type { Config } from './config';
import { type AdminApp, createAdminApp } from './console/http';
import type { LastReconcile } from './console/queries';
import type { AppDeps } from './context';
import { type AppDatabase, databaseOptions, onGroupCommit, openDatabase } from './db/database';
import { type ReconcileReport, reconcile } from './fulfillment/reconcile';
import { createPublicApp, type RequestTracker, trackRequests } from './http/app';
import { createClientAddressResolver, shortChainLogger } from './http/client-address';
import { readinessHandler } from './http/health';
import { createRateLimiter } from './http/rate-limit';
import { createDatabaseRateLimiter } from './http/rate-limit-store';
import { configureLogHashSecret, createLogger, type Logger, resolveLogFormat } from './log';
import { createMetrics, instrumentTossClient, type Metrics } from './metrics';
import { createStateLogger } from './state-change';
import { createTossClient, type TossClient, type Transport } from './toss/client';

export interface ServerOverrides {
  clock?: Clock;
  log?: Logger;
  /** Replace the HTTPS transport of the Toss client (tests). */
  tossTransport?: Transport;
  /** Replace the Toss client entirely. */
  toss?: TossClient;
  /** Use an already-open database (it is still closed by `close()`). */
  database?: AppDatabase;
  /** Skip syncing the catalog file on start (tests that sync their own). */
  skipCatalogSync?: boolean;
}

export interface AppServer {
  app: express.Express;
  deps: AppDeps;
  /**
   * Start listening (port 0 = a free port), the metrics listener when METRICS_PORT is set, and the support console's
   * listener when ADMIN_PORT is set.
   */
  listen(
    port?: number,
    host?: string,
  ): Promise<{ port: number; url: string; metricsUrl: string | null; adminUrl: string | null }>;
  /** Requests being handled right now. */
  inflight(): number;
  /**
   * Run the reconcile job once (what main.ts's timer calls); its findings go to the metrics. `signal` (shutdown):
   * once aborted no further order is started.
   */
  reconcileOnce(options?: { signal?: AbortSignal }): Promise<ReconcileReport>;
  /** Start draining: `/readyz` answers 503 from now on; requests are still served. `close()` does this first. */
  drain(): void;
  /**
   * Graceful: drain (readiness 503 for SHUTDOWN_DRAIN_MS), stop accepting, wait for in-flight requests (up to
   * SHUTDOWN_GRACE_MS), close the database.
   */
  close(): Promise<void>;
}

/** Each client's first login attempts a minute that may draw on the login reserve (a login, and one retry). */
export const LOGIN_FIRST_TRIES_PER_MINUTE = 2;
const loginReservePerMinute = (config: Config) => Math.ceil(config.rateLimits.loginGlobalPerMinute / 2);
const loginSharedPerMinute = (config: Config) =>
  Math.max(1, config.rateLimits.loginGlobalPerMinute - loginReservePerMinute(config));

/** A short key for "the same failure again" (the message without numbers that change per attempt). */
function errorKey(error: unknown): string {
  return String((error as Error)?.message ?? error).replace(/\d+/g, '#');
}

export async function createServer(config: Config, overrides: ServerOverrides = {}): Promise<AppServer> {
  const { deps, catalogMemory } = await createDeps(config, overrides);
  const { clock, log, metrics } = deps;
  let drainingSince: number | null = null;
  const tracker = trackRequests(deps);
  const clientAddress = createClientAddressResolver({
    trustProxy: config.trustProxy,
    onShortChain: shortChainLogger(log, clock),
  });
  const readyz = readinessHandler({
    database: deps.database,
    clock,
    log,
    perMinute: config.rateLimits.publicPerMinute,
    clientAddress,
    draining: () => drainingSince !== null,
  });
  const app = createPublicApp({ deps, tracker, clientAddress, readyz });
  // The support console on its own listener (ADMIN_PORT), never on the public app above.
  let lastReconcile: LastReconcile | null = null;
  const admin = config.admin ? createAdminApp(deps, config.admin, () => lastReconcile) : null;
  const listeners: Listeners = {
    server: null,
    admin,
    adminServer: admin ? createHttpServer(admin.app) : null,
    metricsServer: config.metrics ? metricsListener(metrics, log) : null,
  };
  let closed: Promise<void> | null = null;
  const drain = () => {
    drainingSince ??= performance.now();
  };
  return {
    app,
    deps,
    inflight: tracker.inflight,
    async listen(port = config.port, host = config.host) {
      listeners.server = createHttpServer(app);
      return listenAll(config, log, listeners, port, host);
    },
    async reconcileOnce(options = {}) {
      try {
        // After a failed WAL sync nothing more is written until a restart (db/group-commit.ts 6): not the reconcile's
        // bookkeeping either, some of which is a bare write outside the group commit (fulfill-call.ts `finish`).
        const fault = deps.database.writeFault?.();
        if (fault) throw new Error(`reconcile skipped: ${fault}`);
        const report = await reconcile(deps, {
          ...config.reconcile,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        metrics.reconcileRun(report);
        lastReconcile = { at: isoAt(clock.now()), ok: true, report };
        return report;
      } catch (error) {
        metrics.reconcileRun('failed');
        lastReconcile = { at: isoAt(clock.now()), ok: false, report: null };
        throw error;
      }
    },
    drain,
    close() {
      drain();
      closed ??= shutdown({ deps, catalogMemory, tracker, listeners, drainingSince: drainingSince ?? 0 });
      return closed;
    },
  };
}

// What createServer builds once ------------------------------------------------------------------------------

/** Logger, database (opened, migrated, catalog synced), catalog in memory, metrics, the Toss client, the limits. */
async function createDeps(
  config: Config,
  overrides: ServerOverrides,
): Promise<{ deps: AppDeps; catalogMemory: CatalogMemory }> {
  const clock = overrides.clock ?? systemClock;
  const log =
    overrides.log ??
    createLogger({
      level: config.logLevel,
      clock,
      format: resolveLogFormat(config.logFormat, Boolean(process.stdout.isTTY)),
    });
  configureLogHashSecret(config.logHashSecret, log);
  const database = overrides.database ?? (await openDatabase(databaseOptions(config)));
  try {
    if (!overrides.skipCatalogSync) await syncCatalogFile(config, database, clock, log);
  } catch (error) {
    await database.close();
    throw error;
  }
  const catalogMemory = await loadCatalog(database, log);
  const metrics = serverMetrics(config, database, log);
  const toss = instrumentTossClient(overrides.toss ?? tossClient(config, overrides, clock), metrics);
  warnAboutConfig(config, overrides, log);
  const limits = createLimits(config, database, clock);
  return { deps: { config, database, toss, clock, log, metrics, limits }, catalogMemory };
}

async function syncCatalogFile(
  config: Config,
  database: AppDatabase,
  clock: Clock,
  log: Logger,
): Promise<void> {
  const catalog = await loadCatalogFile(config.catalogPath);
  const result = await syncCatalog(database, catalog, clock);
  log.info('catalog.synced', {
    path: config.catalogPath,
    inserted: result.inserted,
    updated: result.updated,
    deactivated: result.deactivated,
    unchanged: result.unchanged.length,
  });
}

/**
 * The catalog in memory from now on (catalog/products.ts says when it is reloaded). A reload failing every second
 * while the database is down is logged once (and its recovery once), not once per tick.
 */
function loadCatalog(database: AppDatabase, log: Logger): Promise<CatalogMemory> {
  const catalogReload = createStateLogger(log, {
    failing: 'catalog.reload_failed',
    recovered: 'catalog.reload_recovered',
    level: 'error',
  });
  return loadCatalogMemory(database, {
    onError: (error) => catalogReload.failing(errorKey(error), { err: error }),
    onLoaded: () => catalogReload.ok(),
  });
}

function serverMetrics(config: Config, database: AppDatabase, log: Logger): Metrics {
  const metrics = createMetrics({
    enabled: config.metrics !== null,
    log,
    heldOrders: async () => {
      const row = await database.db
        .selectFrom('orders')
        .select(sql<number>`count(*)`.as('n'))
        .where('state', '=', 'HELD')
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  });
  if (metrics.enabled) onGroupCommit(database, (size) => metrics.commitGroup(size));
  return metrics;
}

function tossClient(config: Config, overrides: ServerOverrides, clock: Clock): TossClient {
  const mtls = config.toss.mtls;
  return createTossClient({
    baseUrl: config.toss.baseUrl,
    ...(mtls ? { cert: mtls.cert, key: mtls.key, ...(mtls.ca ? { ca: mtls.ca } : {}) } : {}),
    ...(overrides.tossTransport ? { transport: overrides.tossTransport } : {}),
    clock,
    timeoutMs: config.toss.timeoutMs,
    retries: config.toss.retries,
    totalTimeoutMs: config.toss.totalTimeoutMs,
  });
}

/** What refuses a production start (config.ts) but only warns elsewhere: missing or mismatched mTLS material. */
function warnAboutConfig(config: Config, overrides: ServerOverrides, log: Logger): void {
  if (!overrides.toss && !overrides.tossTransport) {
    for (const message of config.warnings) log.warn('config.warning', { message });
  }
  if (config.environment === 'production' && config.allowSandbox) {
    log.warn('toss.sandbox_allowed_in_production', {
      message: 'ALLOW_SANDBOX_IN_PRODUCTION=true: sandbox-app logins and their SKU aliases are accepted',
    });
  }
}

/** PostgreSQL (several instances): buckets in the database, shared; SQLite (one instance): in memory. */
function createLimits(config: Config, database: AppDatabase, clock: Clock): AppDeps['limits'] {
  const limiter = (name: string, perMinute: number) =>
    database.dialect === 'postgres'
      ? createDatabaseRateLimiter(database.db, { name, perMinute, clock })
      : createRateLimiter({ perMinute, clock });
  return {
    login: limiter('login', config.rateLimits.loginPerMinute),
    // The login ceiling, split (trpc.ts `loginCeiling`): about half kept for clients' first tries.
    loginGlobal: limiter('login_global', loginSharedPerMinute(config)),
    loginReserve: limiter('login_reserve', loginReservePerMinute(config)),
    loginFirstTries: limiter('login_first', LOGIN_FIRST_TRIES_PER_MINUTE),
    publicRead: limiter('public', config.rateLimits.publicPerMinute),
    fulfill: limiter('fulfill', config.rateLimits.fulfillPerMinute),
  };
}

// Listeners and shutdown -------------------------------------------------------------------------------------

interface Listeners {
  /** The public app's listener, from `listen()` on. */
  server: Server | null;
  admin: AdminApp | null;
  adminServer: Server | null;
  metricsServer: Server | null;
}

/** Prometheus metrics on an internal listener (METRICS_PORT): `GET /metrics`, nothing else. */
function metricsListener(metrics: Metrics, log: Logger): Server {
  return createHttpServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => {
        log.error('metrics.render_failed', { err: error });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  });
}

function listenOn(target: Server, port: number, host: string): Promise<{ port: number; url: string }> {
  return new Promise((resolve, reject) => {
    target.once('error', reject);
    target.listen(port, host, () => {
      target.off('error', reject);
      const address = target.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({ port: address.port, url: `http://${shownHost}:${address.port}` });
    });
  });
}

/** The public listener, then the metrics one (METRICS_PORT) and the console's (ADMIN_PORT) when configured. */
async function listenAll(config: Config, log: Logger, listeners: Listeners, port: number, host: string) {
  const { server, admin, adminServer, metricsServer } = listeners;
  const main = await listenOn(server as Server, port, host);
  let metricsUrl: string | null = null;
  if (metricsServer && config.metrics) {
    metricsUrl = `${(await listenOn(metricsServer, config.metrics.port, config.metrics.host)).url}/metrics`;
    log.info('metrics.listening', { url: metricsUrl });
  }
  let adminUrl: string | null = null;
  if (admin && adminServer && config.admin) {
    const bound = await listenOn(adminServer, config.admin.port, config.admin.host);
    admin.setListeningPort(bound.port);
    adminUrl = bound.url;
    log.info('console.listening', { url: adminUrl });
  }
  return { ...main, metricsUrl, adminUrl };
}

/**
 * Graceful: readiness 503 for what is left of SHUTDOWN_DRAIN_MS, stop accepting, let in-flight requests (grants)
 * finish for up to SHUTDOWN_GRACE_MS, close the other listeners, then the Toss client, the catalog and the database.
 */
async function shutdown(parts: {
  deps: AppDeps;
  catalogMemory: CatalogMemory;
  tracker: RequestTracker;
  listeners: Listeners;
  drainingSince: number;
}): Promise<void> {
  const { deps, tracker, listeners } = parts;
  const { config, log } = deps;
  const { server, adminServer, metricsServer } = listeners;
  if (server) {
    const left = config.shutdownDrainMs - (performance.now() - parts.drainingSince);
    if (left > 0) {
      log.info('server.draining', { ms: Math.round(left) });
      await new Promise<void>((resolve) => setTimeout(resolve, left));
    }
  }
  tracker.startClosing();
  const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
  server?.closeIdleConnections();
  if (tracker.inflight() > 0) {
    await Promise.race([
      tracker.idle(),
      new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref()),
    ]);
  }
  server?.closeAllConnections();
  await stopped;
  if (adminServer?.listening) {
    await new Promise<void>((resolve) => {
      adminServer.close(() => resolve());
      adminServer.closeAllConnections();
    });
  }
  if (metricsServer?.listening) {
    await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    metricsServer.closeAllConnections();
  }
  deps.toss.close();
  parts.catalogMemory.close();
  await deps.database.close();
  log.info('server.closed', {});
}
