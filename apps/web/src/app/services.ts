/**
 * Wires the app's dependencies once: config → tRPC transport → session (login + re-login) → outbox → recovery runner.
 * Tests build the same thing with their own transport (a real server in-process, or a scripted ShopApi).
 */
import type { LoginOutput } from '@ait-iap/iap-contract';
import { createTrpcApi } from '../api/client';
import { createSession } from '../api/session';
import type { ShopApi } from '../api/types';
import type { WebConfig } from '../config';
import { createPurchaseIntents, type PurchaseIntents } from '../iap/intents';
import { createOutbox, deviceStore, type KeyValueStore, type Outbox } from '../iap/outbox';
import { createRecoveryRunner, type RecoveryRunner } from '../iap/recovery';
import { login as appLogin, tossAppVersion } from '../iap/sdk';

export interface AppServices {
  config: WebConfig;
  /** Authenticated API (logs in again on 401). */
  api: ShopApi;
  /** appLogin() → auth.login. Single flight. */
  login: () => Promise<LoginOutput>;
  recovery: RecoveryRunner;
  /** Paid orders the server has not settled yet, on the device (SDK Storage). */
  outbox: Outbox;
  /** Purchase intents and reports on the server (never block a purchase). */
  intents: PurchaseIntents;
}

export interface ServiceOptions {
  /** Replace the tRPC transport (tests). Receives the session's token getter. */
  transport?: (getToken: () => string | null) => ShopApi;
  fetch?: typeof globalThis.fetch;
  /** Replace the device storage behind the outbox (tests). Default: the SDK's Storage, or localStorage. */
  store?: KeyValueStore;
}

export function createAppServices(config: WebConfig, options: ServiceOptions = {}): AppServices {
  let getToken: () => string | null = () => null;
  const tokenGetter = () => getToken();
  const transport =
    options.transport?.(tokenGetter) ??
    createTrpcApi({
      apiUrl: config.apiUrl,
      getToken: tokenGetter,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  const session = createSession({ api: transport, appLogin });
  getToken = session.token;
  const outbox = createOutbox({ store: options.store ?? deviceStore(), userId: session.userId });
  const intents = createPurchaseIntents({ api: session.api, appVersion: tossAppVersion });
  const recovery = createRecoveryRunner({
    api: session.api,
    outbox,
    intents,
    fulfillTimeoutMs: config.recoveryTimeoutMs,
    completeTimeoutMs: config.completeTimeoutMs,
  });
  return { config, api: session.api, login: session.login, recovery, outbox, intents };
}
