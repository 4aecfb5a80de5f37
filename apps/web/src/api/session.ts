/**
 * Login and the session: `appLogin()` (Toss) → `auth.login` (our server) → a bearer token kept in memory.
 * Every authenticated call goes through `authed`, which logs in again once on UNAUTHORIZED / SESSION_EXPIRED and
 * retries, so an expired session never throws the user out of the screen they are on. `sessionLink` puts every
 * procedure of the app's one tRPC client (api/client.ts) but `auth.*` through it: the flows' calls and the reads alike.
 * You probably don't need to edit this file (a fork that wants the session to survive reloads can persist `token`).
 */
import type { AppLoginResult, LoginOutput } from '@ait-iap/iap-contract';
import type { AppRouter } from '@ait-iap/server/router';
import { type OperationResultEnvelope, TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import type { IapResult } from '../iap/sdk';
import { isAuthError } from './errors';
import type { ShopApi } from './types';

export interface SessionDeps {
  /** `auth.login` and `auth.logout` (the client's `auth.*` calls skip `sessionLink`). */
  api: Pick<ShopApi, 'login' | 'logout'>;
  /** Toss's appLogin (iap/sdk.ts `login`). */
  appLogin: () => Promise<IapResult<AppLoginResult>>;
}

export interface Session {
  /** Log in now (single flight: concurrent callers share one login). Throws a tRPC error (see apiErrorCode) or IapLoginError. */
  login(): Promise<LoginOutput>;
  token(): string | null;
  userId(): string | null;
  /** Run `call` logged in; on UNAUTHORIZED / SESSION_EXPIRED log in again once and run it again. */
  authed<T>(call: () => Promise<T>): Promise<T>;
  /** End the session on the server (when there is one) and forget it here. */
  logout(): Promise<void>;
}

/** appLogin() failed (no host, old app, user closed the login sheet). */
export class IapLoginError extends Error {
  override readonly name = 'IapLoginError';
  constructor(readonly result: Extract<IapResult<unknown>, { ok: false }>) {
    super(result.error.developerMessage);
  }
}

export function createSession({ api, appLogin }: SessionDeps): Session {
  let token: string | null = null;
  let userId: string | null = null;
  let inFlight: Promise<LoginOutput> | null = null;

  async function doLogin(): Promise<LoginOutput> {
    const code = await appLogin();
    if (!code.ok) throw new IapLoginError(code);
    const out = await api.login({
      authorizationCode: code.value.authorizationCode,
      referrer: code.value.referrer,
    });
    token = out.token;
    userId = out.user.id;
    return out;
  }

  function login(): Promise<LoginOutput> {
    if (!inFlight) {
      inFlight = doLogin().finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  async function authed<T>(call: () => Promise<T>): Promise<T> {
    if (token === null) await login();
    try {
      return await call();
    } catch (error) {
      if (!isAuthError(error)) throw error;
      token = null;
      await login();
      return call();
    }
  }

  async function logout(): Promise<void> {
    try {
      if (token !== null) await api.logout();
    } finally {
      token = null;
      userId = null;
    }
  }

  return { login, token: () => token, userId: () => userId, authed, logout };
}

type Result = OperationResultEnvelope<unknown, TRPCClientError<AppRouter>>;

/**
 * A tRPC link that runs every procedure but `auth.*` through `session.authed` (the client's first link), so a call
 * or a query after the session expired logs in again instead of showing an error.
 */
export function sessionLink(session: Pick<Session, 'authed'>): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) => {
      if (op.path.startsWith('auth.')) return next(op);
      return observable<Result, TRPCClientError<AppRouter>>((observer) => {
        let request: Unsubscribable | null = null;
        let stopped = false;
        const once = () =>
          new Promise<Result>((resolve, reject) => {
            request = next(op).subscribe({ next: resolve, error: reject });
          });
        session.authed(once).then(
          (result) => {
            if (stopped) return;
            observer.next(result);
            observer.complete();
          },
          (error: unknown) => {
            if (!stopped) observer.error(TRPCClientError.from(error as Error));
          },
        );
        return () => {
          stopped = true;
          request?.unsubscribe();
        };
      });
    };
}
