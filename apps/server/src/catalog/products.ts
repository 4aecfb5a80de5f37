/**
 * Reading the catalog from the database: the shop list (`catalog.list`) and the product a SKU names.
 * You probably don't need to edit this file; the catalog itself is `catalog/products.json`.
 */
import { type CatalogListItem, type CatalogListOutput, formatKrw, Offer } from '@ait-iap/iap-contract';
import { z } from 'zod';
import type { TossEnvironment } from '../config';
import type { ProductsTable, Tx } from '../db/schema';

export type ProductRow = ProductsTable;

/**
 * A client may name a SKU by an alias: the sandbox app shows its own test products, mapped to catalog SKUs by the
 * catalog's `sandboxSkuMap`. This returns the catalog SKU it stands for — but only for a sandbox session: a
 * production session (the live Toss app on a TOSS_ENVIRONMENT=production server) never buys through an alias, so
 * its SKU is taken as is. `environment` is the claiming session's; without one (reconcile, ops: SKUs from the ledger,
 * already canonical) aliases still resolve.
 */
export async function canonicalSku(
  db: Tx,
  sku: string,
  environment: TossEnvironment | undefined,
): Promise<string> {
  if (environment === 'production') return sku;
  const alias = await db.selectFrom('sku_aliases').select('sku').where('alias', '=', sku).executeTakeFirst();
  return alias?.sku ?? sku;
}

/** The product for a catalog SKU, only if it is active (present in the catalog file). */
export async function findActiveProduct(db: Tx, sku: string): Promise<ProductRow | undefined> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('sku', '=', sku)
    .where('active', '=', 1)
    .executeTakeFirst();
}

export async function findProduct(db: Tx, sku: string): Promise<ProductRow | undefined> {
  return db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
}

export function toCatalogListItem(row: ProductRow): CatalogListItem {
  const offers = z.array(Offer).safeParse(JSON.parse(row.offers_json));
  const item: CatalogListItem = {
    sku: row.sku,
    type: row.type,
    name: row.name,
    description: row.description,
    salePrice: row.sale_price,
    displayAmount: formatKrw(row.sale_price),
    grant:
      row.grant_kind === 'currency'
        ? { kind: 'currency', currency: row.grant_currency ?? '', amount: row.grant_amount ?? 0 }
        : { kind: 'entitlement', entitlement: row.grant_entitlement ?? '' },
  };
  if (row.type === 'SUBSCRIPTION' && row.renewal_cycle) {
    item.renewalCycle = row.renewal_cycle;
    item.offers = offers.success ? offers.data : [];
  }
  return item;
}

/** Active, visible products, in catalog-file order of insertion (then SKU). */
export async function listShopProducts(db: Tx): Promise<CatalogListOutput> {
  const rows = await db
    .selectFrom('products')
    .selectAll()
    .where('active', '=', 1)
    .where('visible', '=', 1)
    .orderBy('created_at')
    .orderBy('sku')
    .execute();
  return { products: rows.map(toCatalogListItem) };
}
