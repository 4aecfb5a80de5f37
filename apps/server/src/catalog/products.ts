/**
 * Reading the catalog from the database: the shop list (`catalog.list`) and the product a SKU names.
 * You probably don't need to edit this file; the catalog itself is `catalog/products.json`.
 */
import { type CatalogListItem, type CatalogListOutput, formatKrw, Offer } from '@ait-iap/iap-contract';
import { z } from 'zod';
import type { ProductsTable, Tx } from '../db/schema';

export type ProductRow = ProductsTable;

/** A client may name a SKU by an alias (sandbox test products); this returns the catalog SKU it stands for. */
export async function canonicalSku(db: Tx, sku: string): Promise<string> {
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
