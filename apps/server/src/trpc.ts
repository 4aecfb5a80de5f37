/**
 * tRPC setup: the error shape (`data.appCode`) and the procedure builders (public, authed, rate-limited).
 * YOU PROBABLY DON'T NEED TO EDIT THIS FILE, unless you add a new kind of middleware.
 *
 * 1. Context: what every procedure can use (`ctx.deps`, the bearer token, the client's address, the request id).
 *    The types live in `context.ts` (shared with `auth/sessions.ts` without an import cycle).
 * 2. Init: no transformer (plain JSON, so curl works), errors carry `data.appCode`.
 * 3. Procedures: `publicProcedure`, `authedProcedure` (a valid session → `ctx.session`), `rateLimited(...)`.
 *    Every call is counted in the metrics (`observe`).
 */
import { initTRPC } from '@trpc/server';
import { resolveSession } from './auth/sessions';
import type { AppDeps, AuthedContext, Context } from './context';
import { AppError, appCodeForTrpcCode } from './errors';
import { clientAddressKey, type RateLimiter } from './http/rate-limit';
import { addLogFields } from './log';

// 1. Context ---------------------------------------------------------------------------------------------------

export type { AppDeps, AuthedContext, Context } from './context';

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

/** The procedure whose answers are counted by reason (`ait_iap_fulfill_outcomes_total`). */
const fulfillPath = 'iap.fulfill';

/** Counts every call by procedure and outcome, and `iap.fulfill` answers by reason. */
const observe = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  const { metrics } = ctx.deps;
  if (result.ok) {
    metrics.call(path, 'ok');
    const data = result.data as { reason?: unknown; granted?: unknown } | undefined;
    if (path === fulfillPath && typeof data?.reason === 'string') {
      metrics.fulfillOutcome(data.reason, data.granted === true);
    }
  } else {
    const { error } = result;
    metrics.call(path, error instanceof AppError ? error.appCode : appCodeForTrpcCode(error.code));
  }
  return result;
});

/**
 * After a failed sync of SQLite's WAL (db/group-commit.ts 6) the rows this server reads may never reach the disk, so
 * no call is answered from them, reads included, until the server restarts; /readyz says `database` meanwhile.
 */
const durableDatabase = t.middleware(({ ctx, next }) => {
  const fault = ctx.deps.database.writeFault?.();
  if (fault) throw new AppError('INTERNAL', fault);
  return next();
});

export const publicProcedure = t.procedure.use(observe).use(durableDatabase);

/**
 * Requires `Authorization: Bearer <token>` of a live session; adds `ctx.session`. The rest of the call runs with the
 * session's environment in scope (sandbox SKU aliases apply only to sandbox sessions) and its user id on log lines.
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.bearerToken) throw new AppError('UNAUTHORIZED', 'Missing bearer token');
  const result = await resolveSession(ctx.deps, ctx.bearerToken);
  if (!result.ok)
    throw new AppError(
      result.code,
      result.code === 'SESSION_EXPIRED' ? 'Session expired' : 'Invalid session',
    );
  addLogFields({ userId: result.session.userId });
  const session = result.session;
  return next({ ctx: { ...ctx, session } });
});

/** The rate-limit key: the session user (authed) or the client's address (public; an IPv6 client by its /64). */
function limitKey(ctx: Context): string {
  const session = (ctx as Partial<AuthedContext>).session;
  return session ? `user:${session.userId}` : `ip:${clientAddressKey(ctx.ip)}`;
}

/** Takes `count` tokens from `limiter` for this caller, or refuses with RATE_LIMITED (taking none). */
export async function takeOrRefuse(ctx: Context, limiter: RateLimiter, count = 1): Promise<void> {
  if (!(await limiter.take(limitKey(ctx), count))) throw new AppError('RATE_LIMITED', 'Too many requests');
}

/** Takes up to `max` tokens from `limiter` for this caller; returns how many (a fan-out does that much work now). */
export function takeUpTo(ctx: Context, limiter: RateLimiter, max: number): Promise<number> {
  return limiter.takeUpTo(limitKey(ctx), max);
}

/**
 * Takes a token from `limiter` keyed by the session user (authed) or the client's address (public). Put it AFTER
 * `.input(...)`, so malformed calls are refused by validation without spending the caller's tokens.
 */
export function rateLimited(pick: (limits: AppDeps['limits']) => RateLimiter) {
  return t.middleware(async ({ ctx, next }) => {
    await takeOrRefuse(ctx, pick(ctx.deps.limits));
    return next();
  });
}

/**
 * The login ceiling shared by every client, split so that a few clients hammering at full rate cannot spend it for
 * everyone: each client's first `loginFirstTries` attempts a minute (a real user's login, and a retry) draw on a
 * reserve first; every other attempt draws only on the rest. Both parts together are
 * RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE, so the total reaching Toss stays bounded; only hundreds of distinct clients
 * (reserve ÷ first tries) can spend the reserve. Put it after the per-client `rateLimited`.
 */
export const loginCeiling = t.middleware(async ({ ctx, next }) => {
  const { limits } = ctx.deps;
  const firstTry = await limits.loginFirstTries.take(limitKey(ctx));
  if ((firstTry && (await limits.loginReserve.take('global'))) || (await limits.loginGlobal.take('global')))
    return next();
  warnGlobalSpent(ctx, 'login');
  throw new AppError('RATE_LIMITED', 'Too many requests');
});

const lastGlobalWarning = new WeakMap<AppDeps, Map<string, number>>();

/** Logs `rate_limit.global` at most once a minute per limit and server. */
function warnGlobalSpent(ctx: Context, name: string): void {
  const byName = lastGlobalWarning.get(ctx.deps) ?? new Map<string, number>();
  lastGlobalWarning.set(ctx.deps, byName);
  const now = ctx.deps.clock.now();
  if (now - (byName.get(name) ?? Number.NEGATIVE_INFINITY) < 60_000) return;
  byName.set(name, now);
  ctx.deps.log.warn('rate_limit.global', {
    limit: name,
    message: 'the shared limit is spent: callers get 429',
  });
}
