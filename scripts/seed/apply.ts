/**
 * The two writes `pnpm seed` makes once the catalog is valid:
 * 1. the server database: the server's own `syncCatalog` (one transaction; idempotent; a SKU removed from the file
 *    is deactivated, never deleted), on the database the server itself would use (SQLite file or PostgreSQL);
 * 2. the Toss mock's product list: `POST <control>/__mock/catalog` makes a running mock reload the catalog file.
 *    A mock that isn't running is skipped (it reads the file when it starts).
 * You probably don't need to edit this file.
 */
import type { Catalog } from '@ait-iap/iap-contract';

export interface CatalogSyncResult {
  inserted: string[];
  updated: string[];
  deactivated: string[];
  unchanged: string[];
}

/** The variables that pick the server's database, as the server reads them (`DATABASE_URL=postgres://…` wins). */
export interface DatabaseEnv {
  DATABASE_URL?: string | undefined;
  DATABASE_PATH?: string | undefined;
  DATABASE_POOL_SIZE?: string | undefined;
  /** Tests: where the server's settings files are read from (`none`: none). */
  AIT_IAP_SETTINGS_ROOT?: string | undefined;
}

/** A failed sync, with the database it was aimed at (for the message). Nothing was written. */
export class DatabaseSyncError extends Error {
  constructor(
    readonly label: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Open the database the server would open for these variables (its own settings loader — these variables, then
 * apps/server/.env, .env and a running `pnpm dev`'s .dev/stack.env — and `openDatabase`: SQLite file, or PostgreSQL), creating and migrating it if needed; sync the catalog; close it. The server's modules are loaded
 * here, lazily, so `--sheet` and `--check` never load a database driver.
 */
export async function syncDatabase(
  env: DatabaseEnv,
  catalog: Catalog,
): Promise<{ label: string; result: CatalogSyncResult }> {
  const { loadSettingsConfig } = await import('../../apps/server/src/settings-files');
  const { databaseOptions, describePostgresUrl, openDatabase } = await import(
    '../../apps/server/src/db/database'
  );
  const { syncCatalog } = await import('../../apps/server/src/catalog/sync');
  let label = 'database';
  try {
    const options = databaseOptions(loadSettingsConfig({ env: { ...env } }).config);
    label = options.databaseUrl
      ? `PostgreSQL ${describePostgresUrl(options.databaseUrl)}`
      : (options.databasePath ?? label);
    const database = await openDatabase(options);
    try {
      return { label, result: await syncCatalog(database, catalog) };
    } finally {
      await database.close();
    }
  } catch (error) {
    throw new DatabaseSyncError(label, error instanceof Error ? error.message : String(error));
  }
}

export type MockRefresh =
  | { status: 'refreshed'; products: number }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string };

const notRunningCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

/** Ask a running Toss mock to reload its catalog file. Never throws. */
export async function refreshMock(
  controlUrl: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 5_000,
): Promise<MockRefresh> {
  const url = new URL('/__mock/catalog', controlUrl);
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } })?.cause?.code;
    if (typeof code === 'string' && notRunningCodes.has(code)) {
      return { status: 'skipped', reason: `no mock running at ${controlUrl}` };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'failed', reason: `${url.href}: ${message}` };
  }
  const text = await response.text().catch(() => '');
  if (!response.ok)
    return { status: 'failed', reason: `${url.href} answered ${response.status} ${text.slice(0, 200)}` };
  let products: unknown;
  try {
    products = (JSON.parse(text) as { products?: unknown }).products;
  } catch {
    products = undefined;
  }
  if (typeof products !== 'number') {
    return {
      status: 'failed',
      reason: `${url.href} answered ${text.slice(0, 200)} (expected { products: n })`,
    };
  }
  return { status: 'refreshed', products };
}
