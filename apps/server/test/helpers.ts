/**
 * Test harness: a real toss-mock (partner API over REAL mTLS, control API over HTTP) on free ports, and this server
 * built in-process with `createServer` on port 0, talking to it exactly as in production. Plus a plain-fetch tRPC
 * caller (no transformer: the same requests curl would send) and ledger invariant checks.
 * Every suite runs on SQLite and, where the project keeps PostgreSQL, again on PostgreSQL (TEST_DATABASE, set by each
 * vitest config).
 * Get every database from `testDatabase(dir, name)` — a SQLite file, or a fresh PostgreSQL database — never a path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StatusReading } from '@ait-iap/iap-contract';
import { type GrantEnding, startTossMock, type TossMock } from '@ait-iap/toss-mock';
import { sql } from 'kysely';
import { type Config, loadConfig, repoRoot } from '../src/config';
import { type AppDatabase, type DatabaseOptions, openDatabase } from '../src/db/database';
import { subscriptionDateViolations } from '../src/fulfillment/subscription-periods';
import { type AppServer, createServer, type ServerOverrides } from '../src/server';
import { createTestPostgresDatabase } from './postgres';

export const catalogPath = path.join(repoRoot, 'catalog', 'products.json');

export async function tempDir(prefix = 'ait-server-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The backend this run tests (TEST_DATABASE, set by each vitest config; SQLite unless it says postgres). */
export const testBackend: 'sqlite' | 'postgres' =
  process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

export interface TestDatabase {
  backend: 'sqlite' | 'postgres';
  /** What `openDatabase` takes. */
  options: DatabaseOptions;
  /** The server's environment naming it: DATABASE_PATH (SQLite) or DATABASE_URL (PostgreSQL). */
  env: Record<string, string>;
  /** Open (and migrate) it; close it yourself. */
  open(): Promise<AppDatabase>;
}

/**
 * A new, empty database for this test file: `<dir>/<name>.db` on SQLite, a fresh `CREATE DATABASE` on PostgreSQL
 * (so files stay isolated and run in parallel). Calling it twice with the same name gives two different databases
 * on PostgreSQL; keep the returned value to reopen the same one.
 */
export async function testDatabase(dir: string, name: string): Promise<TestDatabase> {
  if (testBackend === 'sqlite') {
    const databasePath = path.join(dir, `${name}.db`);
    return {
      backend: 'sqlite',
      options: { databasePath },
      env: { DATABASE_PATH: databasePath },
      open: () => openDatabase({ databasePath }),
    };
  }
  const databaseUrl = await createTestPostgresDatabase(name);
  return {
    backend: 'postgres',
    options: { databaseUrl, poolSize: 10 },
    env: { DATABASE_URL: databaseUrl },
    open: () => openDatabase({ databaseUrl, poolSize: 10 }),
  };
}

export interface MockHarness {
  mock: TossMock;
  control: ReturnType<typeof controlClient>;
  close(): Promise<void>;
}

export async function startMock(certDir: string): Promise<MockHarness> {
  const mock = await startTossMock({ port: 0, controlPort: 0, certDir });
  return { mock, control: controlClient(mock.controlUrl), close: () => mock.close() };
}

export function controlClient(controlUrl: string) {
  const call = async <T = Record<string, unknown>>(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<T> => {
    const response = await fetch(`${controlUrl}/__mock/${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as T;
    if (!response.ok) throw new Error(`mock ${method} ${route} → ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    newUser: () => call<{ userKey: number; authorizationCode: string }>('POST', 'users', {}),
    codeFor: (userKey: number) =>
      call<{ userKey: number; authorizationCode: string }>('POST', 'users', { userKey }),
    order: (userKey: number, sku: string, status?: string) =>
      call<{ orderId: string; subscriptionId?: string }>('POST', 'orders', {
        userKey,
        sku,
        ...(status ? { status } : {}),
      }),
    refund: (orderId: string) => call('POST', `orders/${orderId}/refund`, {}),
    settle: (orderId: string, to: 'paid' | 'failed') => call('POST', `orders/${orderId}/settle`, { to }),
    fault: (fault: { kind: string; rate?: number; ms?: number; count?: number; path?: string }) =>
      call('POST', 'faults', fault),
    clearFaults: () => call('DELETE', 'faults'),
    statusReading: (reading: StatusReading) => call('POST', 'status-reading', { reading }),
    /**
     * Toss's documented get-order-status has no `sku`; the mock adds it only when a test opts in. Tests that need it
     * call `revealSku(true)` and say "(revealSku)" in their name.
     */
    revealSku: (reveal: boolean) => call('POST', 'options', { revealSku: reveal }),
    /**
     * End the order's grant as the mini-app's callback did: `granted` (answered true), `not-granted` (false),
     * `no-answer` (threw or too slow), `app-closed`. Under the `grant-failed` reading a paid order then reads FAILED
     * unless `granted`.
     */
    endGrant: (orderId: string, ending: GrantEnding) => call('POST', `orders/${orderId}/grant`, { ending }),
    options: (options: Record<string, unknown>) => call('POST', 'options', options),
    reset: () => call('POST', 'reset', {}),
  };
}

/** What Toss's get-order-status says about an order now, for this user (read from the mock's ledger). */
export function tossStatusOf(mock: TossMock, orderId: string, userKey: number): string {
  return mock.state.orderStatus(orderId, userKey).status;
}

export function testConfig(mock: TossMock, database: TestDatabase, env: Record<string, string> = {}): Config {
  if (typeof database !== 'object') throw new Error('testConfig: pass a testDatabase(dir, name), not a path');
  return loadConfig({
    ...database.env,
    CATALOG_PATH: catalogPath,
    TOSS_API_BASE_URL: mock.partnerUrl,
    TOSS_MTLS_CERT_PEM: mock.certs.clientCert,
    TOSS_MTLS_KEY_PEM: mock.certs.clientKey,
    TOSS_MTLS_CA_PEM: mock.certs.caCert,
    TOSS_TIMEOUT_MS: '400',
    TOSS_RETRIES: '1',
    TOSS_TOTAL_TIMEOUT_MS: '1500',
    RATE_LIMIT_FULFILL_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    RECONCILE_INTERVAL_SECONDS: '0',
    SHUTDOWN_GRACE_MS: '2000',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Start the real server process (`node --import tsx src/main.ts`) on a free port against the mock and `database`;
 * resolves once it logs `server.listening`. Kill it yourself (it is killed here only if it fails to start).
 */
export function startServerProcess(
  mock: TossMock,
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      ...database.env,
      TOSS_API_BASE_URL: mock.partnerUrl,
      TOSS_MTLS_CERT: mock.certs.clientCertPath,
      TOSS_MTLS_KEY: mock.certs.clientKeyPath,
      TOSS_MTLS_CA: mock.certs.caPath,
      RATE_LIMIT_FULFILL_PER_MINUTE: '100000',
      RECONCILE_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'info',
      // Only this environment: not the worktree's .env files or a running pnpm dev's .dev/stack.env.
      AIT_IAP_SETTINGS_ROOT: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      child.kill('SIGKILL');
      reject(new Error(`${message}: ${stderr}`));
    };
    const timer = setTimeout(() => fail('server did not start'), 30_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as { event?: string; url?: string };
        if (record.event === 'server.listening' && record.url) {
          clearTimeout(timer);
          resolve({ child, url: record.url, exited });
        }
      } catch {
        // not a log line
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}

export interface ServerHarness {
  server: AppServer;
  url: string;
  /** `http://…/metrics` when the config has METRICS_PORT (0 = a free port), else null. */
  metricsUrl: string | null;
  api: ReturnType<typeof apiClient>;
  close(): Promise<void>;
}

export async function startServer(config: Config, overrides: ServerOverrides = {}): Promise<ServerHarness> {
  const server = await createServer(config, overrides);
  const { url, metricsUrl } = await server.listen(0, '127.0.0.1');
  return { server, url, metricsUrl, api: apiClient(url), close: () => server.close() };
}

export interface TrpcReply<T = unknown> {
  status: number;
  data?: T;
  error?: { message: string; code: number; data: { code: string; appCode: string; httpStatus: number } };
  headers: Headers;
}

/** tRPC over plain HTTP: mutations are `POST /trpc/<path>` with the input as the body, queries `GET ...?input=`. */
export function apiClient(url: string) {
  const parse = async <T>(response: Response): Promise<TrpcReply<T>> => {
    const text = await response.text();
    let json: { result?: { data: T }; error?: TrpcReply['error'] } = {};
    try {
      json = JSON.parse(text);
    } catch {
      // non-JSON answer: leave data/error empty
    }
    return {
      status: response.status,
      ...(json.result ? { data: json.result.data } : {}),
      ...(json.error ? { error: json.error } : {}),
      headers: response.headers,
    };
  };
  const headers = (token?: string): Record<string, string> => ({
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  return {
    mutation: async <T = unknown>(procedure: string, input: unknown, token?: string) =>
      parse<T>(
        await fetch(`${url}/trpc/${procedure}`, {
          method: 'POST',
          headers: headers(token),
          body: typeof input === 'string' ? input : JSON.stringify(input),
        }),
      ),
    query: async <T = unknown>(procedure: string, input?: unknown, token?: string) =>
      parse<T>(
        await fetch(
          `${url}/trpc/${procedure}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
          { headers: headers(token) },
        ),
      ),
  };
}

export type Api = ReturnType<typeof apiClient>;

/** A Toss user (in the mock) logged in to our server. */
/**
 * Log a new mock user in as the mini-app does: a login that fails upstream (a slow answer on a busy machine) is
 * retried with a FRESH code from appLogin — the server never re-sends a single-use code.
 */
export async function loginUser(api: Api, control: MockHarness['control']) {
  const { userKey } = await control.newUser();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const { authorizationCode } = await control.codeFor(userKey);
    const reply = await api.mutation<{ token: string; expiresAt: string; user: { id: string } }>(
      'auth.login',
      {
        authorizationCode,
        referrer: 'DEFAULT',
      },
    );
    if (reply.data) return { userKey, token: reply.data.token, userId: reply.data.user.id };
    lastError = reply.error;
  }
  throw new Error(`login failed: ${JSON.stringify(lastError)}`);
}

/**
 * The ledger's invariants. Returns a list of violations (empty = healthy):
 *  - every wallet's balance equals the sum of its ledger entries;
 *  - per order, wallet credits net to the product amount when GRANTED and to 0 otherwise;
 *  - per order, at most one entitlement row, unrevoked iff the order is GRANTED;
 *  - every order-linked effect belongs to the order's user;
 *  - every live subscription entitlement expires at its subscription's derived paid end (anchor + paid cycles; a
 *    report may only shorten it), its grace at most one catalog grace later.
 */
export async function ledgerViolations(database: AppDatabase): Promise<string[]> {
  const db = database.db;
  const problems: string[] = [];
  const wallets = await db.selectFrom('wallets').selectAll().execute();
  const sums = await db
    .selectFrom('wallet_entries')
    .select(['user_id', 'currency', (eb) => eb.fn.sum<number>('amount').as('total')])
    .groupBy(['user_id', 'currency'])
    .execute();
  const sumOf = new Map(sums.map((s) => [`${s.user_id}/${s.currency}`, Number(s.total)]));
  for (const wallet of wallets) {
    const total = sumOf.get(`${wallet.user_id}/${wallet.currency}`) ?? 0;
    if (total !== Number(wallet.balance)) {
      problems.push(
        `wallet ${wallet.user_id}/${wallet.currency}: balance ${wallet.balance} ≠ ledger ${total}`,
      );
    }
  }
  if (sums.length !== wallets.length)
    problems.push(`ledger has ${sums.length} wallets, cache has ${wallets.length}`);
  const orders = await db
    .selectFrom('orders')
    .innerJoin('products', 'products.sku', 'orders.sku')
    .select([
      'orders.order_id',
      'orders.user_id',
      'orders.state',
      'products.grant_kind',
      'products.grant_amount',
    ])
    .execute();
  const nets = await db
    .selectFrom('wallet_entries')
    .select(['order_id', 'user_id', (eb) => eb.fn.sum<number>('amount').as('net')])
    .where('order_id', 'is not', null)
    .groupBy(['order_id', 'user_id'])
    .execute();
  const entitlements = await db.selectFrom('entitlements').selectAll().execute();
  for (const order of orders) {
    const orderNets = nets.filter((n) => n.order_id === order.order_id);
    if (orderNets.some((n) => n.user_id !== order.user_id))
      problems.push(`order ${order.order_id}: credit to another user`);
    const net = orderNets.reduce((sum, n) => sum + Number(n.net), 0);
    const granted = order.state === 'GRANTED';
    if (order.grant_kind === 'currency') {
      const expected = granted ? Number(order.grant_amount) : 0;
      if (net !== expected)
        problems.push(`order ${order.order_id} (${order.state}): wallet net ${net}, expected ${expected}`);
    } else {
      const rows = entitlements.filter((e) => e.order_id === order.order_id);
      const live = rows.filter((e) => e.revoked_at === null).length;
      if (rows.length > 1) problems.push(`order ${order.order_id}: ${rows.length} entitlement rows`);
      if (live !== (granted ? 1 : 0))
        problems.push(`order ${order.order_id} (${order.state}): ${live} live entitlements`);
      if (rows.some((e) => e.user_id !== order.user_id))
        problems.push(`order ${order.order_id}: entitlement of another user`);
    }
  }
  const subscriptionRows = await db
    .selectFrom('entitlements')
    .innerJoin('orders', 'orders.order_id', 'entitlements.order_id')
    .innerJoin('products', 'products.sku', 'entitlements.sku')
    .select([
      'entitlements.user_id',
      'entitlements.sku',
      'entitlements.order_id',
      'orders.created_at as order_created_at',
      'entitlements.revoked_at',
      'entitlements.expires_at',
      'entitlements.grace_expires_at',
      'entitlements.toss_reported_at',
      'products.renewal_cycle',
      'products.grace_period_days',
    ])
    .where('entitlements.type', '=', 'SUBSCRIPTION')
    .execute();
  problems.push(...subscriptionDateViolations(subscriptionRows));
  const orphans = await sql<{
    n: number;
  }>`select count(*) as n from wallet_entries where order_id is not null and order_id not in (select order_id from orders)`.execute(
    db,
  );
  if (Number(orphans.rows[0]?.n ?? 0) > 0) problems.push('wallet entries for unknown orders');
  return problems;
}
