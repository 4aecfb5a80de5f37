/**
 * The tRPC client for the fulfillment server: plain JSON (no transformer), one request per call (httpLink, no
 * batching, so curl and server logs read one procedure per request), `Authorization: Bearer <token>`.
 * Typed by the server router's TYPE only — no server code reaches the browser.
 * One client serves both callers: the ShopApi the purchase, recovery and sync flows call (`shopApi`), and the screens'
 * reads through TanStack Query (app/queries.tsx); its `session` link (api/session.ts) logs in again on 401.
 * You probably don't need to edit this file, unless you add a procedure the screens call.
 */
import type { AppRouter } from '@ait-iap/server/router';
import { createTRPCClient, httpLink, type TRPCClient, type TRPCLink } from '@trpc/client';
import type { ShopApi } from './types';

export interface TrpcApiOptions {
  /** Server base URL, e.g. http://127.0.0.1:3000 (tRPC at /trpc). */
  apiUrl: string;
  /** The current session token, or null before login. */
  getToken: () => string | null;
  fetch?: typeof globalThis.fetch;
}

function serverLink({ apiUrl, getToken, fetch }: TrpcApiOptions): TRPCLink<AppRouter> {
  return httpLink({
    url: `${apiUrl}/trpc`,
    headers: () => {
      const token = getToken();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
    ...(fetch ? { fetch } : {}),
  });
}

/** The app's one tRPC client (behind `useTRPC()` and the ShopApi): `session` (`sessionLink`) first, then the server. */
export function createServerClient(
  options: TrpcApiOptions & { session?: TRPCLink<AppRouter> },
): TRPCClient<AppRouter> {
  const links = [serverLink(options)];
  return createTRPCClient<AppRouter>({ links: options.session ? [options.session, ...links] : links });
}

/** The purchase, recovery and sync flows' calls, over `client`. */
export function shopApi(client: TRPCClient<AppRouter>): ShopApi {
  return {
    login: (input) => client.auth.login.mutate(input),
    logout: async () => {
      await client.auth.logout.mutate();
    },
    fulfill: (input) => client.iap.fulfill.mutate(input),
    beginPurchase: (input) => client.iap.beginPurchase.mutate(input),
    reportPurchase: (input) => client.iap.reportPurchase.mutate(input),
    sync: (input) => client.iap.sync.mutate(input),
    syncSubscriptions: (input) => client.iap.syncSubscriptions.mutate(input),
  };
}
