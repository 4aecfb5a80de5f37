/**
 * Wires the app's dependencies once: config → session (login + re-login) → the one tRPC client (the flows' ShopApi and
 * the screens' queries, app/queries.tsx) → outbox → recovery runner.
 * Tests build the same thing against a real server in-process (`fetch` to wrap the page's requests).
 */
import type { LoginOutput } from '@ait-iap/iap-contract';
import type { AppRouter } from '@ait-iap/server/router';
import type { TRPCClient } from '@trpc/client';
import { createServerClient, shopApi } from '../api/client';
import { createSession, sessionLink } from '../api/session';
import type { ShopApi } from '../api/types';
import type { WebConfig } from '../config';
import { createPurchaseIntents, type PurchaseIntents } from '../iap/intents';
import { createOutbox, deviceStore, type KeyValueStore, type Outbox } from '../iap/outbox';
import { createRecoveryRunner, type RecoveryRunner } from '../iap/recovery';
import { login as appLogin, tossAppVersion } from '../iap/sdk';

export interface AppServices {
  config: WebConfig;
  /** The purchase, recovery and sync flows' calls, over `trpc` (logs in again on 401). */
  api: ShopApi;
  /** The app's one tRPC client: behind `useTRPC()` (the screens' reads) and `api` (logs in again on 401). */
  trpc: TRPCClient<AppRouter>;
  /** appLogin() → auth.login. Single flight. */
  login: () => Promise<LoginOutput>;
  recovery: RecoveryRunner;
  /** Paid orders the server has not settled yet, on the device (SDK Storage). */
  outbox: Outbox;
  /** Purchase intents and reports on the server (never block a purchase). */
  intents: PurchaseIntents;
}

export interface ServiceOptions {
  fetch?: typeof globalThis.fetch;
  /** Replace the device storage behind the outbox (tests). Default: the SDK's Storage, or localStorage. */
  store?: KeyValueStore;
}

export function createAppServices(config: WebConfig, options: ServiceOptions = {}): AppServices {
  // One tRPC client for the flows and the screens' reads. The session logs in through its auth.* calls, which skip
  // the session link; `server` is only read when the first call is made, after it exists.
  const session = createSession({
    api: { login: (input) => server.login(input), logout: () => server.logout() },
    appLogin,
  });
  const trpc = createServerClient({
    apiUrl: config.apiUrl,
    getToken: session.token,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    session: sessionLink(session),
  });
  const server = shopApi(trpc);
  const api: ShopApi = { ...server, logout: session.logout };
  const outbox = createOutbox({ store: options.store ?? deviceStore(), userId: session.userId });
  const intents = createPurchaseIntents({ api, appVersion: tossAppVersion });
  const recovery = createRecoveryRunner({
    api,
    outbox,
    intents,
    fulfillTimeoutMs: config.recoveryTimeoutMs,
    completeTimeoutMs: config.completeTimeoutMs,
  });
  return { config, api, trpc, login: session.login, recovery, outbox, intents };
}
