/**
 * The tRPC client for the fulfillment server: plain JSON (no transformer), one request per call (httpLink, no
 * batching, so curl and server logs read one procedure per request), `Authorization: Bearer <token>`.
 * Typed by the server router's TYPE only — no server code reaches the browser.
 * You probably don't need to edit this file, unless you add a procedure the screens call.
 */
import type { AppRouter } from '@ait-iap/server/router';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { ShopApi } from './types';

export interface TrpcApiOptions {
  /** Server base URL, e.g. http://127.0.0.1:3000 (tRPC at /trpc). */
  apiUrl: string;
  /** The current session token, or null before login. */
  getToken: () => string | null;
  fetch?: typeof globalThis.fetch;
}

export function createTrpcApi({ apiUrl, getToken, fetch }: TrpcApiOptions): ShopApi {
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${apiUrl}/trpc`,
        headers: () => {
          const token = getToken();
          return token ? { Authorization: `Bearer ${token}` } : {};
        },
        ...(fetch ? { fetch } : {}),
      }),
    ],
  });
  return {
    login: (input) => client.auth.login.mutate(input),
    logout: async () => {
      await client.auth.logout.mutate();
    },
    catalog: () => client.catalog.list.query(),
    fulfill: (input) => client.iap.fulfill.mutate(input),
    beginPurchase: (input) => client.iap.beginPurchase.mutate(input),
    reportPurchase: (input) => client.iap.reportPurchase.mutate(input),
    sync: (input) => client.iap.sync.mutate(input),
    syncSubscriptions: (input) => client.iap.syncSubscriptions.mutate(input),
    inventory: () => client.me.inventory.query(),
    orders: () => client.me.orders.query(),
  };
}
