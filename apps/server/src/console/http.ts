/**
 * The admin listener's Express app (ADMIN_PORT only, never the public port): the console's tRPC API at `/trpc`, the
 * audit log as CSV at `GET /audit.csv`, and the built console (apps/console/dist) as static files.
 * Guards, in order: a change (any method but GET/HEAD) must come from an allowed Origin and carry JSON; the session
 * is an HttpOnly SameSite=Strict cookie with an expiry. A fork normally does not edit this file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { operatorFromSession } from '../auth/operators';
import type { AdminConfig } from '../config';
import type { AppDeps } from '../context';
import { createClientAddressResolver, shortChainLogger } from '../http/client-address';
import { createRateLimiter } from '../http/rate-limit';
import { requestId } from '../http/request-id';
import type { LastReconcileSource } from './decisions';
import { auditCsv } from './queries';
import { createConsoleRouter } from './router';
import type { ConsoleContext, ConsoleLimits } from './trpc';

export const sessionCookieName = 'ait_console_session';

export interface AdminApp {
  app: express.Express;
  /** Once listening: the loopback origins of the bound port are allowed (unless ADMIN_ORIGINS names others). */
  setListeningPort(port: number): void;
}

function refuse(res: Response, status: number, message: string) {
  res.status(status).json({ error: { message, data: { consoleCode: 'FORBIDDEN', httpStatus: status } } });
}

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'",
  );
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** A change must come from an allowed origin (a missing Origin is refused too) and be JSON (no form posts). */
function changeGuard(allowedOrigins: () => ReadonlySet<string>) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const origin = req.headers.origin;
    if (!origin || !allowedOrigins().has(origin)) {
      return refuse(res, 403, `Origin ${origin ?? '(none)'} may not change anything here`);
    }
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return refuse(res, 415, 'Changes must be sent as application/json');
    }
    next();
  };
}

function cookieWriter(res: Response, secure: boolean, clock: AppDeps['clock']) {
  return (token: string | null, expiresAt?: Date) => {
    const base = `${sessionCookieName}=${token ?? ''}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    if (token === null) {
      res.append('Set-Cookie', `${base}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`);
      return;
    }
    const until = expiresAt ?? new Date(clock.now());
    const maxAge = Math.max(0, Math.floor((until.getTime() - clock.now()) / 1000));
    res.append('Set-Cookie', `${base}; Max-Age=${maxAge}; Expires=${until.toUTCString()}`);
  };
}

/** `GET /audit.csv?operator=&action=&orderId=&userId=&from=&to=`: any signed-in operator. */
function auditCsvRoute(deps: AppDeps) {
  return async (req: Request, res: Response) => {
    const token = readCookie(req.headers.cookie, sessionCookieName);
    const operator = token ? await operatorFromSession(deps, token) : null;
    if (!operator) {
      res.status(401).type('text/plain').send('sign in first\n');
      return;
    }
    const pick = (key: string) => {
      const value = req.query[key];
      return typeof value === 'string' && value.trim() && value.length <= 200 ? value.trim() : undefined;
    };
    const csv = await auditCsv(deps, {
      operator: pick('operator'),
      action: pick('action'),
      orderId: pick('orderId'),
      userId: pick('userId'),
      from: pick('from'),
      to: pick('to'),
    });
    res
      .status(200)
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', 'attachment; filename="audit-log.csv"')
      .send(`\uFEFF${csv}`);
  };
}

/** The built console, with every other GET path answered by its index.html (client-side routes). */
function consoleFiles(consoleDir: string) {
  const index = path.join(consoleDir, 'index.html');
  const files = express.static(consoleDir, { index: false, fallthrough: true });
  return [
    (req: Request, res: Response, next: NextFunction) => {
      // Built assets have hashed names: cacheable; the page itself is not.
      if (req.path.startsWith('/assets/'))
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      files(req, res, next);
    },
    (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      if (!existsSync(index)) {
        res
          .status(503)
          .type('text/plain')
          .send(`The console is not built (${index}): run pnpm --filter @ait-iap/console build\n`);
        return;
      }
      res.sendFile(index);
    },
  ];
}

export function createAdminApp(
  deps: AppDeps,
  admin: AdminConfig,
  lastReconcile: LastReconcileSource,
): AdminApp {
  let origins = new Set(admin.origins);
  const secure = admin.origins.length > 0 && admin.origins.every((origin) => origin.startsWith('https://'));
  const limits: ConsoleLimits = {
    loginPerAddress: createRateLimiter({ perMinute: admin.loginPerMinute, clock: deps.clock }),
    loginPerName: createRateLimiter({ perMinute: admin.loginPerMinute, clock: deps.clock }),
  };
  const router = createConsoleRouter(lastReconcile);
  const app = express();
  app.disable('x-powered-by');
  // The client's address as the public port resolves it (http/client-address.ts), never Express's `trust proxy`.
  app.set('trust proxy', false);
  const clientAddress = createClientAddressResolver({
    trustProxy: deps.config.trustProxy,
    onShortChain: shortChainLogger(deps.log, deps.clock),
  });
  app.use(requestId());
  app.use(securityHeaders);
  app.use(changeGuard(() => origins));
  app.use(
    '/trpc',
    createExpressMiddleware({
      router,
      maxBodySize: deps.config.bodyLimitBytes,
      allowBatching: false,
      createContext: ({ req, res }): ConsoleContext => ({
        deps,
        limits,
        sessionToken: readCookie(req.headers.cookie, sessionCookieName),
        ip: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']),
        requestId: String(res.locals.requestId),
        setSessionCookie: cookieWriter(res, secure, deps.clock),
      }),
      onError: ({ error, path: procedure }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          deps.log.error('console.internal_error', { path: procedure ?? null, err: error });
        }
      },
    }),
  );
  app.get('/audit.csv', (req, res, next) => {
    auditCsvRoute(deps)(req, res).catch(next);
  });
  app.use(...consoleFiles(admin.consoleDir));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.log.error('console.http_error', { err: error instanceof Error ? error : new Error(String(error)) });
    if (!res.headersSent) res.status(500).json({ error: { message: 'Internal error' } });
  });
  return {
    app,
    setListeningPort(port) {
      if (admin.origins.length === 0)
        origins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
    },
  };
}
