/**
 * The server's view of a user, through its public tRPC API (no transformer: plain JSON): log in with a fresh Toss
 * login code from the mock, then read `me.inventory` and `me.orders` with the session token.
 */
import type { HistoryOrder, InventoryOutput } from '@ait-iap/iap-contract';
import type { MockControl } from './mock-control';

async function trpc<T>(
  serverUrl: string,
  procedure: string,
  init: { token?: string; input?: unknown; post?: boolean },
) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let url = `${serverUrl}/trpc/${procedure}`;
  let body: string | undefined;
  if (init.post) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.input ?? {});
  } else if (init.input !== undefined) {
    url += `?input=${encodeURIComponent(JSON.stringify(init.input))}`;
  }
  const response = await fetch(url, {
    method: init.post ? 'POST' : 'GET',
    headers,
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`server ${procedure} → ${response.status}: ${text}`);
  return (JSON.parse(text) as { result: { data: T } }).result.data;
}

export interface ServerView {
  inventory(): Promise<InventoryOutput>;
  orders(): Promise<HistoryOrder[]>;
  /** The COIN (or other currency) balance; 0 when the user has none. */
  balance(currency?: string): Promise<number>;
  /** Skus of the user's active entitlements. */
  entitlementSkus(): Promise<string[]>;
}

/** Log in as `userKey` on the server (a separate session from the browser's) and read what it recorded. */
export async function serverViewOf(
  serverUrl: string,
  mock: MockControl,
  userKey: number,
): Promise<ServerView> {
  const authorizationCode = await mock.loginCode(userKey);
  const { token } = await trpc<{ token: string }>(serverUrl, 'auth.login', {
    post: true,
    input: { authorizationCode, referrer: 'DEFAULT' },
  });
  const inventory = () => trpc<InventoryOutput>(serverUrl, 'me.inventory', { token });
  return {
    inventory,
    orders: async () => (await trpc<{ orders: HistoryOrder[] }>(serverUrl, 'me.orders', { token })).orders,
    balance: async (currency = 'COIN') => (await inventory()).balances[currency] ?? 0,
    entitlementSkus: async () => (await inventory()).entitlements.map((e) => e.sku).sort(),
  };
}
