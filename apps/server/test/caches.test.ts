/**
 * What the server keeps in memory to spare a request its reads — resolved sessions and the catalog — must never
 * outlive the truth: a session revoked or expired is refused on the next call, and a catalog changed by another
 * process (`pnpm seed` against a live server) is what the server answers with shortly after.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashToken } from '../src/auth/sessions';
import {
  CATALOG_REFRESH_MS,
  canonicalSku,
  catalogCurrencies,
  findProduct,
  loadCatalogMemory,
} from '../src/catalog/products';
import { loadCatalogFile, syncCatalog } from '../src/catalog/sync';
import { createManualClock, isoAt } from '../src/clock';
import type { AppDatabase } from '../src/db/database';
import {
  catalogPath,
  loginUser,
  type MockHarness,
  type ServerHarness,
  startMock,
  startServer,
  type TestDatabase,
  tempDir,
  testConfig,
  testDatabase,
} from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let mock: MockHarness;
let server: ServerHarness;
let database: TestDatabase;
/** A second connection to the same database: what another process (seed, ops, a second server) would write with. */
let other: AppDatabase;
const clock = createManualClock(Date.now());

beforeAll(async () => {
  tmp = await tempDir();
  mock = await startMock(`${tmp.dir}/certs`);
  database = await testDatabase(tmp.dir, 'caches');
  server = await startServer(testConfig(mock.mock, database, { SESSION_TTL_SECONDS: '3600' }), { clock });
  other = await database.open();
});

afterAll(async () => {
  await other?.close();
  await server?.close();
  await mock?.close();
  await tmp?.remove();
});

const inventory = (token: string) => server.api.query('me.inventory', undefined, token);
const shopSkus = async () =>
  ((await server.api.query<{ products: Array<{ sku: string }> }>('catalog.list')).data?.products ?? []).map(
    (p) => p.sku,
  );

/** Poll `read` until `done` holds, for at most a few refresh periods. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + CATALOG_REFRESH_MS * 5 + 2_000;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

describe('sessions', () => {
  test('a session revoked by another process is refused on the very next call', async () => {
    const user = await loginUser(server.api, mock.control);
    expect((await inventory(user.token)).status).toBe(200);
    expect((await inventory(user.token)).status).toBe(200); // answered from memory, if anything
    await other.db
      .updateTable('sessions')
      .set({ revoked_at: isoAt(clock.now()) })
      .where('token_hash', '=', hashToken(user.token))
      .execute();
    const after = await inventory(user.token);
    expect([after.status, after.error?.data.appCode]).toEqual([401, 'UNAUTHORIZED']);
  });

  test('a logout is refused on the very next call, however recently the session was used', async () => {
    const user = await loginUser(server.api, mock.control);
    expect((await inventory(user.token)).status).toBe(200);
    expect((await server.api.mutation('auth.logout', undefined, user.token)).status).toBe(200);
    expect((await inventory(user.token)).status).toBe(401);
  });

  test('a session whose expiry passes between two calls is expired on the second', async () => {
    const user = await loginUser(server.api, mock.control);
    expect((await inventory(user.token)).status).toBe(200);
    clock.advance(3_600 * 1000);
    const expired = await inventory(user.token);
    expect([expired.status, expired.error?.data.appCode]).toEqual([401, 'SESSION_EXPIRED']);
  });
});

describe('the catalog in memory', () => {
  test('a catalog synced by another process (pnpm seed) reaches catalog.list without a restart', async () => {
    const catalog = await loadCatalogFile(catalogPath);
    const shown = catalog.products.find((p) => p.visible)?.sku as string;
    expect(await shopSkus()).toContain(shown);
    const hidden = {
      ...catalog,
      products: catalog.products.map((p) => (p.sku === shown ? { ...p, visible: false } : p)),
    };
    try {
      expect((await syncCatalog(other, hidden)).updated).toEqual([shown]);
      expect(await eventually(shopSkus, (skus) => !skus.includes(shown))).not.toContain(shown);
    } finally {
      await syncCatalog(other, catalog);
    }
    expect(await eventually(shopSkus, (skus) => skus.includes(shown))).toContain(shown);
  });

  test('a product added since the memory was loaded is found at once, and the memory catches up', async () => {
    const memoryDb = await database.open();
    try {
      const memory = await loadCatalogMemory(memoryDb, { refreshMs: 60_000 });
      try {
        const template = await findProduct(memoryDb.db, 'coin_100');
        expect(template).toBeDefined();
        await other.db
          .insertInto('products')
          .values({
            ...(template as NonNullable<typeof template>),
            sku: 'coin_added_later',
            grant_currency: 'GEM',
          })
          .execute();
        // Not in memory yet: read from the database, not refused as unknown.
        expect((await findProduct(memoryDb.db, 'coin_added_later'))?.grant_currency).toBe('GEM');
        // …and the memory reloads (in the background) without waiting for its timer.
        expect(
          await eventually(
            () => catalogCurrencies(memoryDb.db),
            (c) => c.includes('GEM'),
          ),
        ).toContain('GEM');
      } finally {
        memory.close();
      }
    } finally {
      await other.db.deleteFrom('products').where('sku', '=', 'coin_added_later').execute();
      await memoryDb.close();
    }
  });

  test('a sandbox alias added since the memory was loaded resolves at once (a sandbox claim is not refused)', async () => {
    const memoryDb = await database.open();
    try {
      const memory = await loadCatalogMemory(memoryDb, { refreshMs: 60_000 });
      try {
        expect(await canonicalSku(memoryDb.db, 'test_product_late', 'sandbox')).toBe('test_product_late');
        await other.db
          .insertInto('sku_aliases')
          .values({ alias: 'test_product_late', sku: 'coin_100' })
          .execute();
        expect(await canonicalSku(memoryDb.db, 'test_product_late', 'sandbox')).toBe('coin_100');
        // A production session still never buys through an alias.
        expect(await canonicalSku(memoryDb.db, 'test_product_late', 'production')).toBe('test_product_late');
      } finally {
        memory.close();
      }
    } finally {
      await other.db.deleteFrom('sku_aliases').where('alias', '=', 'test_product_late').execute();
      await memoryDb.close();
    }
  });
});
