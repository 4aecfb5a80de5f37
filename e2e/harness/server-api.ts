/**
 * The server's view of a user, through its public tRPC API (no transformer: plain JSON): log in with a fresh Toss
 * login code from the mock, then read `me.inventory` and `me.orders` with the session token. And the operators' CLI
 * (`pnpm --filter @ait-iap/server ops …`) against the e2e server's own database.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { HistoryOrder, InventoryOutput } from '@ait-iap/iap-contract';
import type { HarnessEnv } from './env';
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
  /** The server's id for this user (what operator lists show). */
  userId: string;
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
  const { token, user } = await trpc<{ token: string; user: { id: string } }>(serverUrl, 'auth.login', {
    post: true,
    input: { authorizationCode, referrer: 'DEFAULT' },
  });
  const inventory = () => trpc<InventoryOutput>(serverUrl, 'me.inventory', { token });
  return {
    userId: user.id,
    inventory,
    orders: async () => (await trpc<{ orders: HistoryOrder[] }>(serverUrl, 'me.orders', { token })).orders,
    balance: async (currency = 'COIN') => (await inventory()).balances[currency] ?? 0,
    entitlementSkus: async () => (await inventory()).entitlements.map((e) => e.sku).sort(),
  };
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const laterClock = path.join(path.dirname(fileURLToPath(import.meta.url)), 'later-clock.mjs');

/**
 * Run the operators' CLI exactly as support would — `pnpm --filter @ait-iap/server ops <args>` — against the e2e
 * server's SQLite file and the mock's partner API (an approval re-checks the order with Toss). Returns its JSON output;
 * throws with its stderr when it exits non-zero.
 */
export async function ops(
  harness: HarnessEnv,
  args: string[],
  options: { laterMinutes?: number } = {},
): Promise<unknown> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // `laterMinutes`: the operator runs the command that much later (the CLI's clock moved on, nothing else).
    ...(options.laterMinutes
      ? {
          E2E_CLOCK_OFFSET_MS: String(options.laterMinutes * 60_000),
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(laterClock).href}`.trim(),
        }
      : {}),
    NODE_ENV: 'production',
    TOSS_ENVIRONMENT: 'production',
    DATABASE_PATH: harness.databasePath,
    CATALOG_PATH: path.join(repoRoot, 'catalog', 'products.json'),
    TOSS_API_BASE_URL: harness.partnerUrl,
    TOSS_MTLS_CERT: path.join(harness.certDir, 'client.pem'),
    TOSS_MTLS_KEY: path.join(harness.certDir, 'client-key.pem'),
    TOSS_MTLS_CA: path.join(harness.certDir, 'ca.pem'),
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
  // A PostgreSQL URL in the caller's environment would win over DATABASE_PATH (the e2e server ignores it too), and
  // so would one from a settings file: the CLI reads none of them (AIT_IAP_SETTINGS_ROOT=none), as the server.
  delete env.DATABASE_URL;
  env.AIT_IAP_SETTINGS_ROOT = 'none';
  try {
    const { stdout } = await promisify(execFile)(
      'pnpm',
      ['--silent', '--filter', '@ait-iap/server', 'ops', ...args],
      { cwd: repoRoot, env, timeout: 60_000 },
    );
    return JSON.parse(stdout);
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`ops ${args.join(' ')} failed: ${failed.stderr || failed.stdout || failed.message}`);
  }
}

/**
 * An operator approving a held order after checking the settlement (`ops approve`, as support would run it at the
 * server: as the OS user, recorded as such — `--as <name>` would need an operator account).
 */
export function approveHeld(harness: HarnessEnv, orderId: string): Promise<unknown> {
  return ops(harness, ['approve', orderId, '--reason', 'paid: checked the settlement', '--json']);
}

/** A purchase intent with no granted order, as `ops intents` lists it for the settlement check. */
export interface StaleIntent {
  intentId: string;
  userId: string;
  sku: string;
  appVersion: string | null;
  reports: {
    outcome: string;
    orderId: string | null;
    errorCode: string | null;
    serverReason: string | null;
  }[];
}

/**
 * `ops intents` as support runs it once the intents are stale (INTENT_STALE_AFTER_MINUTES, 60 by default): the CLI
 * runs 61 minutes "later" so a purchase made seconds ago is already on the list.
 */
export async function staleIntents(harness: HarnessEnv): Promise<StaleIntent[]> {
  return (await ops(harness, ['intents'], { laterMinutes: 61 })) as StaleIntent[];
}
