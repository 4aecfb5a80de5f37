/**
 * The shapes every layer shares: the dependencies built once by `createServer` (`AppDeps`), the tRPC context of one
 * request, and the session user. Types only, so `trpc.ts` (procedures) and `auth/sessions.ts` (login, sessions)
 * both import them without importing each other. You probably don't need to edit this file, unless you add a
 * dependency every procedure needs.
 */
import type { Clock } from './clock';
import type { Config, TossEnvironment } from './config';
import type { AppDatabase } from './db/database';
import type { RateLimiter } from './http/rate-limit';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import type { TossClient } from './toss/client';

/** Everything the procedures need, built once by `createServer` (tests build it with fakes for clock/transport). */
export interface AppDeps {
  config: Config;
  database: AppDatabase;
  toss: TossClient;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  limits: {
    /** `auth.login`, per client address. */
    login: RateLimiter;
    /**
     * `auth.login`, every client together (key `global`): the shared ceiling for attempts beyond a client's first
     * tries, and the last line when many addresses each stay under their own limit (`loginCeiling` in trpc.ts).
     */
    loginGlobal: RateLimiter;
    /** `auth.login`, every client together: the part of the ceiling kept for clients' first tries. */
    loginReserve: RateLimiter;
    /** `auth.login`, per client address: its first tries a minute, which may draw on `loginReserve`. */
    loginFirstTries: RateLimiter;
    /** `catalog.list` (and other public reads), per client address. */
    publicRead: RateLimiter;
    /** `iap.fulfill` / `iap.sync` / `iap.syncSubscriptions`, per user (one token per partner call). */
    fulfill: RateLimiter;
  };
}

export interface Context {
  deps: AppDeps;
  /** The raw bearer token from `Authorization`, if any. */
  bearerToken: string | null;
  /** The client's address as seen through TRUST_PROXY_HOPS / TRUST_PROXY_SUBNETS (the key of per-client limits). */
  ip: string;
  /** This request's id (`x-request-id`), also on every log line written while handling it. */
  requestId: string;
}

export interface SessionUser {
  sessionId: string;
  userId: string;
  /** The Toss userKey, for partner API calls. Never sent to the client, never logged in clear. */
  userKey: string;
  /** Where the login came from: `sandbox` (the sandbox app, or a server running TOSS_ENVIRONMENT=sandbox) or `production`. */
  environment: TossEnvironment;
}

export type AuthedContext = Context & { session: SessionUser };
