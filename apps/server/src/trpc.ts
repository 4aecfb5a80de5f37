/**
 * tRPC setup: the context, the error shape (`data.appCode`), and the procedure builders (public, authed,
 * rate-limited). YOU PROBABLY DON'T NEED TO EDIT THIS FILE, unless you add a new kind of middleware.
 *
 * 1. Context: what every procedure can use (`ctx.deps`, the bearer token, the caller's IP).
 * 2. Init: no transformer (plain JSON, so curl works), errors carry `data.appCode`.
 * 3. Procedures: `publicProcedure`, `authedProcedure` (a valid session → `ctx.session`), `rateLimited(...)`.
 */
import { initTRPC } from '@trpc/server';
import { resolveSession, type SessionUser } from './auth/sessions';
import type { Clock } from './clock';
import type { Config } from './config';
import type { AppDatabase } from './db/database';
import { AppError, appCodeForTrpcCode } from './errors';
import type { RateLimiter } from './http/rate-limit';
import type { Logger } from './log';
import type { TossClient } from './toss/client';

// 1. Context ---------------------------------------------------------------------------------------------------

/** Everything the procedures need, built once by `createServer` (tests build it with fakes for clock/transport). */
export interface AppDeps {
  config: Config;
  database: AppDatabase;
  toss: TossClient;
  clock: Clock;
  log: Logger;
  limits: { login: RateLimiter; fulfill: RateLimiter };
}

export interface Context {
  deps: AppDeps;
  /** The raw bearer token from `Authorization`, if any. */
  bearerToken: string | null;
  ip: string;
}

export function bearerFrom(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9_-]{16,128})$/.exec(header.trim());
  return match?.[1] ?? null;
}

// 2. Init ------------------------------------------------------------------------------------------------------

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const appCode = error instanceof AppError ? error.appCode : appCodeForTrpcCode(error.code);
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      // Internal errors never leak their message to the client.
      message: appCode === 'INTERNAL' ? 'Internal error' : shape.message,
      data: { ...data, appCode },
    };
  },
});

export const router = t.router;
export const middleware = t.middleware;

// 3. Procedures ------------------------------------------------------------------------------------------------

export const publicProcedure = t.procedure;

/** Requires `Authorization: Bearer <token>` of a live session; adds `ctx.session`. */
export const authedProcedure = t.procedure.use(async ({ ctx, next }) => {
  if (!ctx.bearerToken) throw new AppError('UNAUTHORIZED', 'Missing bearer token');
  const result = await resolveSession(ctx.deps, ctx.bearerToken);
  if (!result.ok)
    throw new AppError(
      result.code,
      result.code === 'SESSION_EXPIRED' ? 'Session expired' : 'Invalid session',
    );
  return next({ ctx: { ...ctx, session: result.session } });
});

export type AuthedContext = Context & { session: SessionUser };

/** The rate-limit key: the session user (authed) or the IP (public). */
function limitKey(ctx: Context): string {
  const session = (ctx as Partial<AuthedContext>).session;
  return session ? `user:${session.userId}` : `ip:${ctx.ip}`;
}

/** Takes `count` tokens from `limiter` for this caller, or refuses with RATE_LIMITED (taking none). */
export function takeOrRefuse(ctx: Context, limiter: RateLimiter, count = 1): void {
  if (!limiter.take(limitKey(ctx), count)) throw new AppError('RATE_LIMITED', 'Too many requests');
}

/** Takes up to `max` tokens from `limiter` for this caller; returns how many (a fan-out does that much work now). */
export function takeUpTo(ctx: Context, limiter: RateLimiter, max: number): number {
  return limiter.takeUpTo(limitKey(ctx), max);
}

/** Takes a token from `limiter` keyed by the session user (authed) or the IP (public). */
export function rateLimited(pick: (limits: AppDeps['limits']) => RateLimiter) {
  return t.middleware(({ ctx, next }) => {
    takeOrRefuse(ctx, pick(ctx.deps.limits));
    return next();
  });
}
