/**
 * Wires the app's dependencies once: config → tRPC transport → session (login + re-login) → outbox → recovery runner,
 * and the read client the screens' queries use (app/queries.ts).
 * Tests build the same thing against a real server in-process (`fetch` to wrap the page's requests).
 */
import type { LoginOutput } from '@ait-iap/iap-contract';
import type { AppRouter } from '@ait-iap/server/router';
import type { TRPCClient } from '@trpc/client';
import { createReadClient, createTrpcApi } from '../api/client';
import { createSession, sessionLink } from '../api/session';
import type { ShopApi } from '../api/types';
import type { WebConfig } from '../config';
import { createPurchaseIntents, type PurchaseIntents } from '../iap/intents';
import { createOutbox, deviceStore, type KeyValueStore, type Outbox } from '../iap/outbox';
import { createRecoveryRunner, type RecoveryRunner } from '../iap/recovery';
import { login as appLogin, tossAppVersion } from '../iap/sdk';

export interface AppServices {
  config: WebConfig;
  /** Authenticated API for the purchase, recovery and sync flows (logs in again on 401). */
  api: ShopApi;
  /** The tRPC client behind `useTRPC()`: the screens' reads (logs in again on 401). */
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
  let getToken: () => string | null = () => null;
  const server = {
    apiUrl: config.apiUrl,
    getToken: () => getToken(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const session = createSession({ api: createTrpcApi(server), appLogin });
  getToken = session.token;
  const trpc = createReadClient({ ...server, session: sessionLink(session) });
  const outbox = createOutbox({ store: options.store ?? deviceStore(), userId: session.userId });
  const intents = createPurchaseIntents({ api: session.api, appVersion: tossAppVersion });
  const recovery = createRecoveryRunner({
    api: session.api,
    outbox,
    intents,
    fulfillTimeoutMs: config.recoveryTimeoutMs,
    completeTimeoutMs: config.completeTimeoutMs,
  });
  return { config, api: session.api, trpc, login: session.login, recovery, outbox, intents };
}
