/** Catalog sync (idempotent, deactivates removed SKUs, never deletes) and config validation (clear messages). */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Catalog, parseCatalog } from '@ait-iap/iap-contract';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listShopProducts } from '../src/catalog/products';
import { syncCatalog } from '../src/catalog/sync';
import { systemClock } from '../src/clock';
import { ConfigError, envVariables, loadConfig } from '../src/config';
import type { AppDatabase } from '../src/db/database';
import { configureLogHashSecret, createLogger, hashUserKey } from '../src/log';
import { catalogPath, type TestDatabase, tempDir, testDatabase } from './helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let catalog: Catalog;
beforeAll(async () => {
  tmp = await tempDir();
  const parsed = parseCatalog(JSON.parse(await readFile(catalogPath, 'utf8')));
  if (!parsed.ok) throw new Error('repo catalog is invalid');
  catalog = parsed.catalog;
});
afterAll(async () => {
  await tmp?.remove();
});

describe('syncCatalog', () => {
  let target: TestDatabase;
  let database: AppDatabase;
  beforeAll(async () => {
    target = await testDatabase(tmp.dir, 'catalog');
    database = await target.open();
  });
  afterAll(async () => {
    await database?.close();
  });

  test('first run inserts every SKU; a second run changes nothing', async () => {
    const first = await syncCatalog(database.db, catalog);
    expect(first.inserted.sort()).toEqual(catalog.products.map((p) => p.sku).sort());
    const second = await syncCatalog(database, catalog);
    expect(second).toEqual({ inserted: [], updated: [], deactivated: [], unchanged: expect.any(Array) });
    expect(second.unchanged).toHaveLength(catalog.products.length);
  });

  test('a changed product is updated; a removed SKU is deactivated (kept), then revived when it returns', async () => {
    const changed: Catalog = {
      ...catalog,
      products: catalog.products
        .filter((p) => p.sku !== 'coin_550')
        .map((p) => (p.sku === 'coin_100' ? { ...p, supplyPrice: 1200 } : p)),
    };
    const result = await syncCatalog(database.db, changed);
    expect(result.updated).toEqual(['coin_100']);
    expect(result.deactivated).toEqual(['coin_550']);
    const kept = await database.db
      .selectFrom('products')
      .selectAll()
      .where('sku', '=', 'coin_550')
      .executeTakeFirst();
    expect(kept?.active).toBe(0);
    const shop = await listShopProducts(database.db);
    expect(shop.products.map((p) => p.sku)).not.toContain('coin_550');
    expect(shop.products.find((p) => p.sku === 'coin_100')?.salePrice).toBe(1260);

    expect((await syncCatalog(database.db, changed)).deactivated).toEqual([]);
    const back = await syncCatalog(database.db, catalog);
    expect(back.updated.sort()).toEqual(['coin_100', 'coin_550']);
  });

  test('reopening the database keeps the data and re-applies no migration', async () => {
    await database.close();
    database = await target.open();
    expect((await syncCatalog(database.db, catalog)).inserted).toEqual([]);
  });
});

describe('loadConfig', () => {
  test('.env.example documents exactly the variables the server reads', async () => {
    const example = await readFile(new URL('../.env.example', import.meta.url), 'utf8');
    const documented = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...envVariables].sort());
  });

  test('log tags are an HMAC under LOG_HASH_SECRET: the same user key differs under two secrets, the raw key never shows', () => {
    expect(loadConfig({ LOG_HASH_SECRET: 's3cret' }).logHashSecret).toBe('s3cret');
    expect(loadConfig({}).logHashSecret).toBeNull();
    const userKey = 12345;
    const a = hashUserKey(userKey, 'secret-a');
    const b = hashUserKey(userKey, 'secret-b');
    expect(a).not.toBe(b);
    expect(hashUserKey(userKey, 'secret-a')).toBe(a); // stable under one secret
    expect(hashUserKey(userKey)).not.toBe(hashUserKey(userKey, 'secret-a')); // default: a random per-process secret
    // Not the unsalted hash anyone could recompute by hashing every small integer.
    const unsalted = createHash('sha256').update(`toss-user:${userKey}`).digest('hex').slice(0, 16);
    expect([a, b, hashUserKey(userKey)]).not.toContain(unsalted);
    for (const tag of [a, b]) expect(tag).not.toContain(String(userKey));
  });

  test('without LOG_HASH_SECRET the server says once that log tags will not correlate across restarts', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', clock: systemClock, sink: (line) => lines.push(line) });
    configureLogHashSecret(null, log);
    configureLogHashSecret(null, log);
    expect(lines.filter((l) => l.includes('log.hash_secret_random'))).toHaveLength(1);
  });

  test('defaults match the public contract', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.sessionTtlSeconds).toBe(86_400);
    expect(config.toss.baseUrl).toBe('https://apps-in-toss-api.toss.im');
    expect(config.corsOrigins).toEqual(['http://localhost:5173', 'http://127.0.0.1:5173']);
    expect(config.databasePath).toMatch(/\.dev[/\\]app\.db$/);
    expect(config.catalogPath).toMatch(/catalog[/\\]products\.json$/);
    expect(config.toss.mtls).toBeNull();
  });

  test('DATABASE_URL=postgres://… selects PostgreSQL; a file path there (or unset) keeps SQLite', () => {
    const pg = loadConfig({
      DATABASE_URL: 'postgres://app:secret@db.internal:5432/ait',
      DATABASE_PATH: '/x/a.db',
    });
    expect(pg.databaseUrl).toBe('postgres://app:secret@db.internal:5432/ait');
    expect(pg.databasePoolSize).toBe(10);
    expect(loadConfig({ DATABASE_URL: 'postgresql://h/db' }).databaseUrl).toBe('postgresql://h/db');
    const file = loadConfig({ DATABASE_URL: '/var/lib/ait/app.db' });
    expect(file.databaseUrl).toBeNull();
    expect(file.databasePath).toBe(path.resolve('/var/lib/ait/app.db'));
    expect(loadConfig({ DATABASE_URL: 'file:///var/lib/ait/other.db' }).databasePath).toBe(
      path.resolve('/var/lib/ait/other.db'),
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://h/db' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '1' })).toThrow(/DATABASE_POOL_SIZE/);
  });

  test('the refund horizon defaults to 180 days and may not be shorter than the lookback', () => {
    expect(loadConfig({}).reconcile.refundHorizonDays).toBe(180);
    expect(loadConfig({}).intents.staleAfterMinutes).toBe(60);
    expect(loadConfig({ RECONCILE_REFUND_HORIZON_DAYS: '365' }).reconcile.refundHorizonDays).toBe(365);
    expect(() => loadConfig({ RECONCILE_REFUND_HORIZON_DAYS: '20' })).toThrow(
      /RECONCILE_REFUND_HORIZON_DAYS \(20\) must be at least RECONCILE_LOOKBACK_DAYS \(30\)/,
    );
    expect(() => loadConfig({ RECONCILE_REFUND_HORIZON_DAYS: 'soon' })).toThrow(
      /RECONCILE_REFUND_HORIZON_DAYS/,
    );
    expect(() => loadConfig({ INTENT_STALE_AFTER_MINUTES: '0' })).toThrow(/INTENT_STALE_AFTER_MINUTES/);
  });

  test('empty values mean "use the default"', () => {
    expect(loadConfig({ PORT: '', DATABASE_PATH: '' }).port).toBe(3000);
  });

  test('every problem is reported with the variable named', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        TOSS_API_BASE_URL: 'http://plain.example',
        TOSS_MTLS_CERT: '/nonexistent/cert.pem',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('TOSS_API_BASE_URL');
    expect(message).toContain('LOG_LEVEL');
  });

  test('certificate files that cannot be read, or a cert without a key, are refused', () => {
    expect(() =>
      loadConfig({ TOSS_MTLS_CERT: '/nonexistent/cert.pem', TOSS_MTLS_KEY: '/nonexistent/key.pem' }),
    ).toThrow(/TOSS_MTLS_CERT: cannot read/);
    expect(() => loadConfig({ TOSS_MTLS_CERT_PEM: '-----BEGIN CERTIFICATE-----' })).toThrow(
      /must be set together/,
    );
  });

  test('inline PEM with \\n escapes is accepted; CORS origins must be bare origins', () => {
    const config = loadConfig({ TOSS_MTLS_CERT_PEM: 'a\\nb', TOSS_MTLS_KEY_PEM: 'k' });
    expect(config.toss.mtls?.cert).toBe('a\nb');
    expect(() => loadConfig({ CORS_ORIGINS: 'https://ok.example,https://bad.example/path' })).toThrow(
      /CORS_ORIGINS/,
    );
  });
});
