/**
 * `createServer(config)`: the whole server as a value — Express with security headers, CORS allow-list, body limit,
 * `GET /healthz`, tRPC at `/trpc` (no transformer), and graceful `close()` (stop accepting, let in-flight grants
 * finish, close the database). Opens + migrates the database and syncs the catalog file on start.
 * Tests build it in-process (port 0) with an injected clock / Toss transport. You probably don't need to edit this.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { loadCatalogFile, syncCatalog } from './catalog/sync';
import { type Clock, systemClock } from './clock';
import type { Config } from './config';
import { type AppDatabase, databaseOptions, openDatabase } from './db/database';
import { createRateLimiter } from './http/rate-limit';
import { configureLogHashSecret, createLogger, type Logger } from './log';
import { appRouter } from './router';
import { createTossClient, type TossClient, type Transport } from './toss/client';
import { type AppDeps, bearerFrom, type Context } from './trpc';

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
  /** Start listening (port 0 = a free port). */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /** Requests being handled right now. */
  inflight(): number;
  /** Graceful: stop accepting, wait for in-flight requests (up to SHUTDOWN_GRACE_MS), close the database. */
  close(): Promise<void>;
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

export async function createServer(config: Config, overrides: ServerOverrides = {}): Promise<AppServer> {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger({ level: config.logLevel, clock });
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
  const mtls = config.toss.mtls;
  const toss =
    overrides.toss ??
    createTossClient({
      baseUrl: config.toss.baseUrl,
      ...(mtls ? { cert: mtls.cert, key: mtls.key, ...(mtls.ca ? { ca: mtls.ca } : {}) } : {}),
      ...(overrides.tossTransport ? { transport: overrides.tossTransport } : {}),
      clock,
      timeoutMs: config.toss.timeoutMs,
      retries: config.toss.retries,
      totalTimeoutMs: config.toss.totalTimeoutMs,
    });
  if (!mtls && !overrides.toss && !overrides.tossTransport) {
    log.warn('toss.not_configured', {
      message: 'TOSS_MTLS_CERT/TOSS_MTLS_KEY not set: login and fulfillment will fail',
    });
  }
  const deps: AppDeps = {
    config,
    database,
    toss,
    clock,
    log,
    limits: {
      login: createRateLimiter({ perMinute: config.rateLimits.loginPerMinute, clock }),
      fulfill: createRateLimiter({ perMinute: config.rateLimits.fulfillPerMinute, clock }),
    },
  };

  let inflight = 0;
  let closing = false;
  const idleWaiters: Array<() => void> = [];
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use((_req, res, next) => {
    inflight += 1;
    if (closing) res.setHeader('Connection', 'close');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inflight -= 1;
      if (inflight === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  });
  app.use(securityHeaders);
  app.use(cors(config.corsOrigins));
  app.get('/healthz', (_req, res) => {
    res.status(200).json({ ok: true });
  });
  app.use(
    '/trpc',
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: config.bodyLimitBytes,
      allowMethodOverride: true,
      createContext: ({ req }): Context => ({
        deps,
        bearerToken: bearerFrom(req.headers.authorization),
        ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          log.error('trpc.internal_error', {
            path: path ?? null,
            message: error.message,
            cause: error.cause ?? null,
          });
        }
      },
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: { appCode: 'BAD_REQUEST', message: 'Not found' } });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error('http.error', { message: (error as Error)?.message ?? String(error) });
    if (!res.headersSent) res.status(500).json({ error: { appCode: 'INTERNAL', message: 'Internal error' } });
  });

  let server: Server | null = null;
  let closed: Promise<void> | null = null;
  return {
    app,
    deps,
    inflight: () => inflight,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        const listening = app.listen(port, host, (error?: Error) => {
          if (error) return reject(error);
          const address = listening.address() as AddressInfo;
          const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
          resolve({ port: address.port, url: `http://${shownHost}:${address.port}` });
        });
        listening.on('error', reject);
        server = listening;
      });
    },
    close() {
      closed ??= (async () => {
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
        toss.close();
        await database.close();
        log.info('server.closed', {});
      })();
      return closed;
    },
  };
}
