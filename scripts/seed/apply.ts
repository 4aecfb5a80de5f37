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
 * Open the database the server would open with these settings (`env`: what `loadSettings` merged; the server's own
 * `loadConfig` and `openDatabase`: SQLite file, or PostgreSQL), creating and migrating it if needed; sync the catalog;
 * close it. The server's database modules are loaded here, lazily, so `--sheet` and `--check` never load a driver.
 */
export async function syncDatabase(
  env: Record<string, string | undefined>,
  catalog: Catalog,
): Promise<{ label: string; result: CatalogSyncResult }> {
  const { loadConfig } = await import('../../apps/server/src/config');
  const { databaseOptions, describePostgresUrl, openDatabase } = await import(
    '../../apps/server/src/db/database'
  );
  const { syncCatalog } = await import('../../apps/server/src/catalog/sync');
  let label = 'database';
  try {
    const options = databaseOptions(loadConfig(env));
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
