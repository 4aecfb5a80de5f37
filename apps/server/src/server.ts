/**
 * `createServer(config)`: the whole server as a value — Express with request ids, security headers, CORS allow-list,
 * URL and body limits, `GET /healthz` (liveness) and `GET /readyz` (readiness), tRPC at `/trpc` (no transformer, no
 * batching), Prometheus metrics on an internal listener (METRICS_PORT), the support console on its own listener
 * (ADMIN_PORT, src/console/), and a graceful `close()` (readiness goes to
 * 503 for SHUTDOWN_DRAIN_MS, then stop accepting, let in-flight grants finish, close the database). Opens + migrates
 * the database and syncs the catalog file on start. Tests build it in-process (port 0) with an injected clock / Toss
 * transport. You probably don't need to edit this.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { sql } from 'kysely';
import { loadCatalogMemory } from './catalog/products';
import { loadCatalogFile, syncCatalog } from './catalog/sync';
import { type Clock, isoAt, systemClock } from './clock';
import type { Config } from './config';
import { createAdminApp } from './console/http';
import type { LastReconcile } from './console/queries';
import type { AppDeps, Context } from './context';
import { type AppDatabase, databaseOptions, onGroupCommit, openDatabase } from './db/database';
import { type ReconcileReport, reconcile } from './fulfillment/reconcile';
import { createClientAddressResolver, shortChainLogger } from './http/client-address';
import { readinessHandler } from './http/health';
import { createRateLimiter } from './http/rate-limit';
import { createDatabaseRateLimiter } from './http/rate-limit-store';
import { requestId } from './http/request-id';
import { configureLogHashSecret, createLogger, type Logger, resolveLogFormat } from './log';
import { createMetrics, instrumentTossClient } from './metrics';
import { appRouter } from './router';
import { createStateLogger } from './state-change';
import { createTossClient, type TossClient, type Transport } from './toss/client';
import { bearerFrom } from './trpc';

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

/** An error answered outside tRPC, in tRPC's shape (`error.data.appCode`), so clients read every error one way. */
function httpError(httpStatus: number, message: string) {
  const appCode = httpStatus >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
  return { error: { message, data: { appCode, httpStatus } } };
}

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.setHeader('Cache-Control', 'no-store');
  next();
}

function cors(allowed: readonly string[]) {
  const origins = new Set(allowed);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    // tRPC's adapter later sets its own `Vary` (trpc-accept, accept), which would drop `Origin` and let a shared cache
    // serve one origin's CORS answer to another: merge instead of replace.
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name: string, value: number | string | readonly string[]) => {
      if (name.toLowerCase() !== 'vary') return setHeader(name, value);
      const merged = new Set(
        [res.getHeader('Vary'), value]
          .flat()
          .flatMap((v) => (v === undefined ? [] : String(v).split(',')))
          .map((v) => v.trim())
          .filter(Boolean),
      );
      return setHeader(name, [...merged].join(', '));
    };
    res.vary('Origin');
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader(
        'Access-Control-Allow-Headers',
        'authorization, content-type, trpc-accept, x-trpc-source',
      );
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    if (req.method === 'OPTIONS') {
      res.status(origin && origins.has(origin) ? 204 : 403).end();
      return;
    }
    next();
  };
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
    if (!overrides.skipCatalogSync) {
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
  } catch (error) {
    await database.close();
    throw error;
  }
  // The catalog in memory from now on (catalog/products.ts says when it is reloaded). A reload failing every second
  // while the database is down is logged once (and its recovery once), not once per tick.
  const catalogReload = createStateLogger(log, {
    failing: 'catalog.reload_failed',
    recovered: 'catalog.reload_recovered',
    level: 'error',
  });
  const catalogMemory = await loadCatalogMemory(database, {
    onError: (error) => catalogReload.failing(errorKey(error), { err: error }),
    onLoaded: () => catalogReload.ok(),
  });
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
  const mtls = config.toss.mtls;
  const toss = instrumentTossClient(
    overrides.toss ??
      createTossClient({
        baseUrl: config.toss.baseUrl,
        ...(mtls ? { cert: mtls.cert, key: mtls.key, ...(mtls.ca ? { ca: mtls.ca } : {}) } : {}),
        ...(overrides.tossTransport ? { transport: overrides.tossTransport } : {}),
        clock,
        timeoutMs: config.toss.timeoutMs,
        retries: config.toss.retries,
        totalTimeoutMs: config.toss.totalTimeoutMs,
      }),
    metrics,
  );
  // What refuses a production start (config.ts) but only warns elsewhere: missing or mismatched mTLS material.
  if (!overrides.toss && !overrides.tossTransport) {
    for (const message of config.warnings) log.warn('config.warning', { message });
  }
  if (config.environment === 'production' && config.allowSandbox) {
    log.warn('toss.sandbox_allowed_in_production', {
      message: 'ALLOW_SANDBOX_IN_PRODUCTION=true: sandbox-app logins and their SKU aliases are accepted',
    });
  }
  // PostgreSQL (several instances): buckets in the database, shared; SQLite (one instance): in memory.
  const limiter = (name: string, perMinute: number) =>
    database.dialect === 'postgres'
      ? createDatabaseRateLimiter(database.db, { name, perMinute, clock })
      : createRateLimiter({ perMinute, clock });
  const deps: AppDeps = {
    config,
    database,
    toss,
    clock,
    log,
    metrics,
    limits: {
      login: limiter('login', config.rateLimits.loginPerMinute),
      // The login ceiling, split (trpc.ts `loginCeiling`): about half kept for clients' first tries.
      loginGlobal: limiter('login_global', loginSharedPerMinute(config)),
      loginReserve: limiter('login_reserve', loginReservePerMinute(config)),
      loginFirstTries: limiter('login_first', LOGIN_FIRST_TRIES_PER_MINUTE),
      publicRead: limiter('public', config.rateLimits.publicPerMinute),
      fulfill: limiter('fulfill', config.rateLimits.fulfillPerMinute),
    },
  };

  let inflight = 0;
  let closing = false;
  let drainingSince: number | null = null;
  const idleWaiters: Array<() => void> = [];
  const app = express();
  app.disable('x-powered-by');
  // The client's address is resolved by http/client-address.ts (strict X-Forwarded-For parsing, `ip:port` entries,
  // an over-counted hop number bounded per peer), never by Express's `trust proxy`.
  app.set('trust proxy', false);
  const clientAddress = createClientAddressResolver({
    trustProxy: config.trustProxy,
    onShortChain: shortChainLogger(log, clock),
  });
  const readyz = readinessHandler({
    database,
    clock,
    log,
    perMinute: config.rateLimits.publicPerMinute,
    clientAddress,
    draining: () => drainingSince !== null,
  });
  app.use(requestId());
  app.use((req, res, next) => {
    inflight += 1;
    const started = performance.now();
    if (closing) res.setHeader('Connection', 'close');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inflight -= 1;
      log.debug('http.request', {
        requestId: res.locals.requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      });
      if (inflight === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  });
  app.use(securityHeaders);
  app.use(cors(config.corsOrigins));
  app.use((req, res, next) => {
    if (Buffer.byteLength(req.originalUrl) <= config.urlLimitBytes) return next();
    res.status(414).json(httpError(414, `URL longer than ${config.urlLimitBytes} bytes`));
  });
  app.get('/healthz', (_req, res) => {
    res.status(200).json({ ok: true });
  });
  app.get('/readyz', readyz);
  app.use(
    '/trpc',
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: config.bodyLimitBytes,
      allowMethodOverride: true,
      // One procedure per request (the mini-app's client uses httpLink): a batch is refused before any of its
      // calls is looked at, so `/trpc/a,a,a,…?batch=1` costs one small 400 however long it is.
      allowBatching: false,
      maxBatchSize: 1,
      createContext: ({ req, res }): Context => ({
        deps,
        bearerToken: bearerFrom(req.headers.authorization),
        ip: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']),
        requestId: String(res.locals.requestId),
      }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          log.error('trpc.internal_error', { path: path ?? null, err: error });
        }
      },
    }),
  );
  app.use((_req, res) => {
    res.status(404).json(httpError(404, 'Not found'));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error('http.error', { err: error instanceof Error ? error : new Error(String(error)) });
    if (!res.headersSent) res.status(500).json(httpError(500, 'Internal error'));
  });

  // The support console on its own listener (ADMIN_PORT), never on the public app above.
  let lastReconcile: LastReconcile | null = null;
  const admin = config.admin ? createAdminApp(deps, config.admin, () => lastReconcile) : null;
  const adminServer = admin ? createHttpServer(admin.app) : null;

  const metricsServer = config.metrics
    ? createHttpServer((req, res) => {
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
      })
    : null;

  const listenOn = (target: Server, port: number, host: string) =>
    new Promise<{ port: number; url: string }>((resolve, reject) => {
      target.once('error', reject);
      target.listen(port, host, () => {
        target.off('error', reject);
        const address = target.address() as AddressInfo;
        const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
        resolve({ port: address.port, url: `http://${shownHost}:${address.port}` });
      });
    });

  let server: Server | null = null;
  let closed: Promise<void> | null = null;
  const drain = () => {
    drainingSince ??= performance.now();
  };
  return {
    app,
    deps,
    inflight: () => inflight,
    async listen(port = config.port, host = config.host) {
      server = createHttpServer(app);
      const main = await listenOn(server, port, host);
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
    },
    async reconcileOnce(options = {}) {
      try {
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
      closed ??= (async () => {
        drain();
        if (server) {
          const waited = performance.now() - (drainingSince ?? 0);
          const left = config.shutdownDrainMs - waited;
          if (left > 0) {
            log.info('server.draining', { ms: Math.round(left) });
            await new Promise<void>((resolve) => setTimeout(resolve, left));
          }
        }
        closing = true;
        const stopped = server
          ? new Promise<void>((resolve) => (server as Server).close(() => resolve()))
          : Promise.resolve();
        server?.closeIdleConnections();
        if (inflight > 0) {
          await Promise.race([
            new Promise<void>((resolve) => idleWaiters.push(resolve)),
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
        toss.close();
        catalogMemory.close();
        await database.close();
        log.info('server.closed', {});
      })();
      return closed;
    },
  };
}
