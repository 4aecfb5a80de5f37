/**
 * The support console's tRPC setup (separate from the mini-app's): its context (the operator's session cookie, the
 * client's address, a way to set/clear the cookie), its error shape (`data.consoleCode`, and `data.decided` for a
 * decision on an order no longer held) and its procedure builders by role:
 *   anonymousProcedure (only `operator.login`) · viewerProcedure (any signed-in operator: reads) ·
 *   approverProcedure (role `approver`: every change).
 * A fork normally does not edit this file.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { canDecide, type Operator, operatorFromSession } from '../auth/operators';
import type { AppDeps } from '../context';
import type { RateLimiter } from '../http/rate-limit';

export interface ConsoleLimits {
  /** `operator.login`, per client address. */
  loginPerAddress: RateLimiter;
  /** `operator.login`, per operator name (a slow guess spread over many addresses). */
  loginPerName: RateLimiter;
}

export interface ConsoleContext {
  deps: AppDeps;
  limits: ConsoleLimits;
  /** The session token from the console's cookie, if any. */
  sessionToken: string | null;
  ip: string;
  requestId: string;
  /** Set the session cookie (login) or clear it (`null`: logout, or a session that is no longer valid). */
  setSessionCookie(token: string | null, expiresAt?: Date): void;
}

/** What a decision found instead of a HELD order: its state now, and who/what moved it there and when. */
export interface DecidedElsewhere {
  state: string;
  by: string | null;
  at: string | null;
}

export const consoleCodes = [
  'UNAUTHORIZED',
  'SESSION_EXPIRED',
  'LOGIN_FAILED',
  'FORBIDDEN',
  'NOT_FOUND',
  'AMBIGUOUS',
  'ALREADY_DECIDED',
  'NOT_POSSIBLE',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'BAD_REQUEST',
  'INTERNAL',
] as const;
export type ConsoleCode = (typeof consoleCodes)[number];

type TrpcCode = ConstructorParameters<typeof TRPCError>[0]['code'];
const trpcCodeFor: Record<ConsoleCode, TrpcCode> = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  SESSION_EXPIRED: 'UNAUTHORIZED',
  LOGIN_FAILED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  AMBIGUOUS: 'BAD_REQUEST',
  ALREADY_DECIDED: 'CONFLICT',
  NOT_POSSIBLE: 'CONFLICT',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UPSTREAM_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  BAD_REQUEST: 'BAD_REQUEST',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** A console error with its code; `decided` when the order was moved by someone/something else first. */
export class ConsoleError extends TRPCError {
  readonly consoleCode: ConsoleCode;
  readonly decided: DecidedElsewhere | null;
  constructor(code: ConsoleCode, message: string, decided: DecidedElsewhere | null = null) {
    super({ code: trpcCodeFor[code], message });
    this.consoleCode = code;
    this.decided = decided;
  }
}

function codeOf(error: TRPCError): ConsoleCode {
  if (error instanceof ConsoleError) return error.consoleCode;
  const found = (Object.keys(trpcCodeFor) as ConsoleCode[]).find((c) => trpcCodeFor[c] === error.code);
  return found && error.code !== 'CONFLICT' && error.code !== 'UNAUTHORIZED' ? found : 'BAD_REQUEST';
}

const t = initTRPC.context<ConsoleContext>().create({
  errorFormatter({ shape, error }) {
    const consoleCode = error.code === 'INTERNAL_SERVER_ERROR' ? 'INTERNAL' : codeOf(error);
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message: consoleCode === 'INTERNAL' ? 'Internal error' : shape.message,
      data: {
        ...data,
        consoleCode,
        decided: error instanceof ConsoleError ? error.decided : null,
      },
    };
  },
});

export const router = t.router;

export const anonymousProcedure = t.procedure;

/** Any signed-in operator (viewer or approver); adds `ctx.operator`. 401 without a live session. */
export const viewerProcedure = t.procedure.use(async ({ ctx, next }) => {
  if (!ctx.sessionToken) throw new ConsoleError('UNAUTHORIZED', 'Sign in first');
  const operator = await operatorFromSession(ctx.deps, ctx.sessionToken);
  if (!operator) {
    ctx.setSessionCookie(null);
    throw new ConsoleError('UNAUTHORIZED', 'Session expired or signed out');
  }
  return next({ ctx: { ...ctx, operator: operator as Operator } });
});

/** Only role `approver` may change anything: a viewer gets 403 and nothing is changed. */
export const approverProcedure = viewerProcedure.use(({ ctx, next }) => {
  if (!canDecide(ctx.operator.role)) {
    throw new ConsoleError('FORBIDDEN', 'Role viewer may only read: deciding needs role approver');
  }
  return next();
});
