import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTossMock } from '@ait-iap/toss-mock';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../apps/server/src/db/database';
import { catalogJson, deadUrl, seed, tempDir, writeJson } from './test-helpers';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;
beforeEach(async () => {
  tmp = await tempDir();
  env = {
    DATABASE_PATH: path.join(tmp.dir, 'app.db'),
    CATALOG_PATH: path.join(tmp.dir, 'products.json'),
    MOCK_TOSS_CONTROL_URL: await deadUrl(), // no mock running: the mock step is skipped
  };
  await writeJson(env.CATALOG_PATH!, catalogJson());
});
afterEach(() => tmp.cleanup());

/** Every product row as the server stores it, by SKU. */
async function productRows() {
  const database = await openDatabase({ databasePath: env.DATABASE_PATH! });
  try {
    const rows = await database.db.selectFrom('products').selectAll().orderBy('sku').execute();
    return Object.fromEntries(rows.map((row) => [row.sku, row]));
  } finally {
    await database.close();
  }
}

/** A Toss mock on free ports reading this test's catalog, for the length of `body`. */
async function withMock(body: (mock: Awaited<ReturnType<typeof startTossMock>>) => Promise<void>) {
  const mock = await startTossMock({
    port: 0,
    controlPort: 0,
    certDir: path.join(tmp.dir, 'certs'),
    catalogPath: env.CATALOG_PATH!,
  });
  try {
    await body(mock);
  } finally {
    await mock.close();
  }
}

describe('pnpm seed (database)', () => {
  it('inserts every SKU on the first run, and changes nothing on the second', async () => {
    const first = await seed([], env);
    expect(first.code).toBe(0);
    expect(first.out.join('\n')).toMatch(
      /inserted 5 \(coin_100, coin_550, remove_ads, premium_monthly, coin_1200_event\)/,
    );
    const afterFirst = await productRows();
    expect(Object.keys(afterFirst)).toEqual([
      'coin_100',
      'coin_1200_event',
      'coin_550',
      'premium_monthly',
      'remove_ads',
    ]);
    expect(afterFirst.coin_100).toMatchObject({
      supply_price: 1000,
      sale_price: 1050,
      active: 1,
      visible: 1,
    });

    const second = await seed([], env);
    expect(second.code).toBe(0);
    expect(second.out.join('\n')).toMatch(
      /inserted 0, updated 0, deactivated 0, unchanged 5 — already up to date/,
    );
    expect(await productRows()).toEqual(afterFirst);
  });

  it('updates a changed product and deactivates a removed one, never deleting it', async () => {
    await seed([], env);
    const json = catalogJson();
    json.products = json.products.filter((p) => p.sku !== 'coin_550');
    json.products.find((p) => p.sku === 'coin_100')!.supplyPrice = 1100;
    await writeJson(env.CATALOG_PATH!, json);

    const run = await seed([], env);
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toMatch(/updated 1 \(coin_100\), deactivated 1 \(coin_550\), unchanged 3/);
    const rows = await productRows();
    expect(rows.coin_550).toMatchObject({ sku: 'coin_550', active: 0 });
    expect(rows.coin_100).toMatchObject({ supply_price: 1100, sale_price: 1155, active: 1 });

    const again = await seed([], env);
    expect(again.out.join('\n')).toMatch(/already up to date/);
  });

  it('writes nothing when the catalog has a violation, even alongside valid changes', async () => {
    await seed([], env);
    const before = await productRows();
    const json = catalogJson();
    json.products.find((p) => p.sku === 'coin_100')!.supplyPrice = 2000; // valid change
    json.products.push({ ...json.products[0]!, sku: 'gem_10', name: '' }); // invalid new product
    json.products.find((p) => p.sku === 'remove_ads')!.description = '광'.repeat(46); // invalid change
    await writeJson(env.CATALOG_PATH!, json);

    const run = await seed([], env);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toMatch(/2 problems/);
    expect(run.err).toContain('  gem_10: name — name is required');
    expect(run.err).toContain('  remove_ads: description — description must be at most 45 characters');
    expect(run.err.join('\n')).toMatch(/Nothing was written/);
    expect(await productRows()).toEqual(before);
  });

  it('does not even create the database file for an invalid catalog', async () => {
    const json = catalogJson();
    json.products[0]!.supplyPrice = 10;
    await writeJson(env.CATALOG_PATH!, json);
    const run = await seed([], env);
    expect(run.code).toBe(1);
    expect(existsSync(env.DATABASE_PATH!)).toBe(false);
  });

  it('rolls the whole sync back when the database fails part-way, leaving no half-written catalog', async () => {
    await seed([], env);
    const before = await productRows();
    // A database that refuses one row (as a full disk or a constraint would), after others were already written.
    const database = await openDatabase({ databasePath: env.DATABASE_PATH! });
    await sql`create trigger refuse_gem_b before insert on products when new.sku = 'gem_b'
      begin select raise(abort, 'disk full'); end`.execute(database.db);
    await database.close();
    const json = catalogJson();
    json.products.find((p) => p.sku === 'coin_100')!.supplyPrice = 2000;
    json.products.push({ ...json.products[0]!, sku: 'gem_a', image: 'catalog/images/coin_100.png' });
    json.products.push({ ...json.products[0]!, sku: 'gem_b', image: 'catalog/images/coin_100.png' });
    await writeJson(env.CATALOG_PATH!, json);

    const run = await seed([], env);
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toMatch(/sync failed, nothing changed: .*disk full/);
    expect(await productRows()).toEqual(before);
  });
});

describe('pnpm seed (which database)', () => {
  it("follows the server's rules: DATABASE_URL wins over DATABASE_PATH, and a bad one is refused", async () => {
    const run = await seed([], { ...env, DATABASE_URL: 'mysql://db.example/shop' });
    expect(run.code).toBe(1);
    expect(run.err.join('\n')).toMatch(
      /sync failed, nothing changed: .*DATABASE_URL: "mysql:(\/\/)?" is not supported/s,
    );
    expect(existsSync(env.DATABASE_PATH!)).toBe(false);
  });

  it('takes a SQLite file path in DATABASE_URL, as the server does', async () => {
    const file = path.join(tmp.dir, 'from-url.db');
    const run = await seed([], { ...env, DATABASE_URL: file });
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toContain(`✓ ${file}: inserted 5`);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(env.DATABASE_PATH!)).toBe(false);
  });
});

describe("pnpm seed (the server's settings files)", () => {
  it("fills what the environment leaves unset from them: a running pnpm dev's database and mock", async () => {
    await withMock(async (mock) => {
      const root = path.join(tmp.dir, 'root');
      await mkdir(path.join(root, '.dev'), { recursive: true });
      await mkdir(path.join(root, 'apps', 'server'), { recursive: true });
      // The server's own .env names the database (relative to its folder); the live stack names the mock.
      await writeFile(path.join(root, 'apps', 'server', '.env'), 'DATABASE_PATH=../../server.db\n');
      await writeFile(
        path.join(root, '.dev', 'stack.env'),
        `DEV_STACK_PID=${process.pid}\nDATABASE_PATH=${path.join(root, 'stack.db')}\n` +
          `MOCK_TOSS_CONTROL_URL=${mock.controlUrl}\n`,
      );
      const run = await seed([], { CATALOG_PATH: env.CATALOG_PATH!, AIT_IAP_SETTINGS_ROOT: root });
      expect(run.code).toBe(0);
      expect(run.out.join('\n')).toContain(
        `✓ ${path.join(root, 'server.db')} (apps/server/.env): inserted 5`,
      );
      expect(run.out.join('\n')).toMatch(/Toss mock: reloaded, 5 products/);
      expect(existsSync(path.join(root, 'stack.db'))).toBe(false);

      // What the environment sets still wins; a stack.env whose pnpm dev is gone is ignored, with a note.
      await writeFile(path.join(root, '.dev', 'stack.env'), 'DEV_STACK_PID=999999999\n');
      const given = await seed([], { ...env, AIT_IAP_SETTINGS_ROOT: root });
      expect(given.code).toBe(0);
      expect(given.out.join('\n')).toContain(`✓ ${env.DATABASE_PATH}: inserted 5`);
      expect(given.err.join('\n')).toMatch(/ignoring \.dev\/stack\.env .*is not running/);
    });
  });
});

describe('pnpm seed (Toss mock)', () => {
  it("makes a running mock reload the catalog, so a new product is listed by the mock's Toss", async () => {
    await withMock(async (mock) => {
      const json = catalogJson();
      json.products.push({ ...json.products[0]!, sku: 'gem_10', name: '보석 10개' });
      await writeJson(env.CATALOG_PATH!, json);
      const run = await seed([], { ...env, MOCK_TOSS_CONTROL_URL: mock.controlUrl });
      expect(run.code).toBe(0);
      expect(run.out.join('\n')).toMatch(/Toss mock: reloaded, 6 products/);
      const state = (await (await fetch(`${mock.controlUrl}/__mock/state`)).json()) as {
        catalog: { products: number };
      };
      expect(state.catalog.products).toBe(6);
    });
  });

  it('skips the mock with a note when none is running, and still succeeds', async () => {
    const run = await seed([], env);
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toContain(
      `Toss mock: skipped, no mock running at ${env.MOCK_TOSS_CONTROL_URL}`,
    );
  });
});
