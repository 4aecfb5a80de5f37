/**
 * Catalog sync: the console mirror (`catalog/products.json`) → the `products` table, in one transaction.
 * Idempotent (a second run changes nothing); a SKU removed from the file is deactivated, never deleted, because
 * orders reference it. The server runs this on start; `scripts/seed.ts` runs it on demand.
 * You probably don't need to edit this file: edit the catalog file instead.
 */
import { readFile } from 'node:fs/promises';
import {
  type Catalog,
  type CatalogProduct,
  formatViolation,
  parseCatalog,
  salePrice,
} from '@ait-iap/iap-contract';
import { type Clock, isoAt, systemClock } from '../clock';
import { type AppDatabase, asAppDatabase, transactionLock, writeTransaction } from '../db/database';
import type { Db, ProductsTable } from '../db/schema';
import { reloadCatalogMemory } from './products';

export interface CatalogSyncResult {
  inserted: string[];
  updated: string[];
  deactivated: string[];
  unchanged: string[];
}

/** Read and validate a catalog file; throws with every violation (SKU and field named). */
export async function loadCatalogFile(catalogPath: string): Promise<Catalog> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(catalogPath, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read catalog ${catalogPath}: ${(error as Error).message}`);
  }
  const result = parseCatalog(raw);
  if (!result.ok) {
    throw new Error(
      `Invalid catalog ${catalogPath}:\n${result.violations.map((v) => `  - ${formatViolation(v)}`).join('\n')}`,
    );
  }
  return result.catalog;
}

type ProductValues = Omit<ProductsTable, 'created_at' | 'updated_at'>;

function toRow(product: CatalogProduct, feeRateBps: number): ProductValues {
  const values = {
    sku: product.sku,
    type: product.type,
    name: product.name,
    description: product.description,
    supply_price: product.supplyPrice,
    sale_price: salePrice(product.supplyPrice, feeRateBps),
    grant_kind: product.grant.kind,
    grant_currency: product.grant.kind === 'currency' ? product.grant.currency : null,
    grant_amount: product.grant.kind === 'currency' ? product.grant.amount : null,
    grant_entitlement: product.grant.kind === 'entitlement' ? product.grant.entitlement : null,
    renewal_cycle: product.type === 'SUBSCRIPTION' ? product.renewalCycle : null,
    grace_period_days: product.type === 'SUBSCRIPTION' ? product.gracePeriodDays : 0,
    offers_json: JSON.stringify(product.type === 'SUBSCRIPTION' ? product.offers : []),
    min_app_version: product.minAppVersion,
    image: product.image,
    visible: product.visible ? 1 : 0,
    active: 1,
  };
  // Every stored field, in a fixed order: equal definitions ⇔ nothing to update.
  return { ...values, definition: JSON.stringify(values) };
}

/** Accepts the Kysely instance (`database.db`) or the handle `openDatabase` returns. */
export async function syncCatalog(
  db: Db | AppDatabase,
  catalog: Catalog,
  clock: Clock = systemClock,
): Promise<CatalogSyncResult> {
  const database: AppDatabase = asAppDatabase(db);
  const now = isoAt(clock.now());
  const synced = await writeTransaction(database, async (trx) => {
    // PostgreSQL: instances starting together sync one after the other (the second finds nothing to change).
    await transactionLock(database, trx, 'ait-iap:catalog-sync');
    const result: CatalogSyncResult = { inserted: [], updated: [], deactivated: [], unchanged: [] };
    const existing = new Map(
      (await trx.selectFrom('products').select(['sku', 'definition', 'active']).execute()).map((row) => [
        row.sku,
        row,
      ]),
    );
    const inFile = new Set<string>();
    for (const product of catalog.products) {
      inFile.add(product.sku);
      const row = toRow(product, catalog.feeRateBps);
      const before = existing.get(product.sku);
      if (!before) {
        await trx
          .insertInto('products')
          .values({ ...row, created_at: now, updated_at: now })
          .execute();
        result.inserted.push(product.sku);
      } else if (before.definition !== row.definition || before.active !== 1) {
        await trx
          .updateTable('products')
          .set({ ...row, updated_at: now })
          .where('sku', '=', product.sku)
          .execute();
        result.updated.push(product.sku);
      } else {
        result.unchanged.push(product.sku);
      }
    }
    for (const [sku, row] of existing) {
      if (inFile.has(sku) || row.active === 0) continue;
      await trx.updateTable('products').set({ active: 0, updated_at: now }).where('sku', '=', sku).execute();
      result.deactivated.push(sku);
    }
    // Aliases (e.g. the sandbox app's test products) are replaced wholesale; they carry no history.
    const aliases = Object.entries(catalog.sandboxSkuMap);
    const currentAliases = await trx
      .selectFrom('sku_aliases')
      .select(['alias', 'sku'])
      .orderBy('alias')
      .execute();
    const wanted = aliases
      .map(([alias, sku]) => ({ alias, sku }))
      .sort((a, b) => a.alias.localeCompare(b.alias));
    if (JSON.stringify(currentAliases) !== JSON.stringify(wanted)) {
      await trx.deleteFrom('sku_aliases').execute();
      if (wanted.length > 0) await trx.insertInto('sku_aliases').values(wanted).execute();
    }
    return result;
  });
  // A server in this process answers from its catalog memory: the new catalog applies to the next request.
  await reloadCatalogMemory(database);
  return synced;
}
