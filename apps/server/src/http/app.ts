/**
 * The public Express app: request ids, the in-flight count (graceful shutdown waits on it), security headers, the
 * CORS allow-list, the URL limit, `GET /healthz` (liveness), `GET /readyz` (readiness), tRPC at `/trpc` (no
 * transformer, no batching), and JSON 404/500 answers in tRPC's error shape. You probably don't need to edit this.
 */
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppDeps, Context } from '../context';
import { appRouter } from '../router';
import { bearerFrom } from '../trpc';
import type { ClientAddressResolver } from './client-address';
import { requestId } from './request-id';

/** An error answered outside tRPC, in tRPC's shape (`error.data.appCode`), so clients read every error one way. */
export function httpError(httpStatus: number, message: string) {
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

/** Requests being handled, and what shutdown needs from them: a `Connection: close` once closing, a wake-up at zero. */
export interface RequestTracker {
  /** The middleware that counts a request from its arrival until its response finishes or its socket closes. */
  middleware: RequestHandler;
  inflight(): number;
  /** From now on answers carry `Connection: close`. */
  startClosing(): void;
  /** Resolves when no request is in flight (at once if none is). */
  idle(): Promise<void>;
}

export function trackRequests(deps: Pick<AppDeps, 'log'>): RequestTracker {
  let inflight = 0;
  let closing = false;
  const idleWaiters: Array<() => void> = [];
  const middleware: RequestHandler = (req, res, next) => {
    inflight += 1;
    const started = performance.now();
    if (closing) res.setHeader('Connection', 'close');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inflight -= 1;
      deps.log.debug('http.request', {
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
  };
  return {
    middleware,
    inflight: () => inflight,
    startClosing: () => {
      closing = true;
    },
    idle: () =>
      inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
}

export interface PublicAppOptions {
  deps: AppDeps;
  tracker: RequestTracker;
  clientAddress: ClientAddressResolver;
  readyz: RequestHandler;
}

/** The public app, in the order its middleware runs. */
export function createPublicApp({ deps, tracker, clientAddress, readyz }: PublicAppOptions): express.Express {
  const { config, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  // The client's address is resolved by http/client-address.ts (strict X-Forwarded-For parsing, `ip:port` entries,
  // an over-counted hop number bounded per peer), never by Express's `trust proxy`.
  app.set('trust proxy', false);
  app.use(requestId());
  app.use(tracker.middleware);
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
  app.use('/trpc', trpcMiddleware(deps, clientAddress));
  app.use((_req, res) => {
    res.status(404).json(httpError(404, 'Not found'));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error('http.error', { err: error instanceof Error ? error : new Error(String(error)) });
    if (!res.headersSent) res.status(500).json(httpError(500, 'Internal error'));
  });
  return app;
}

/** tRPC at `/trpc`: one procedure per request; internal errors logged (their message never reaches the client). */
function trpcMiddleware(deps: AppDeps, clientAddress: ClientAddressResolver) {
  return createExpressMiddleware({
    router: appRouter,
    maxBodySize: deps.config.bodyLimitBytes,
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
        deps.log.error('trpc.internal_error', { path: path ?? null, err: error });
      }
    },
  });
}
