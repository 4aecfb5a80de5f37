/**
 * Reading the catalog: the shop list (`catalog.list`) and the product a SKU names. The server keeps the catalog IN
 * MEMORY (`CatalogMemory`: products, aliases, the shop list and the currencies, loaded at start), so a request reads
 * no catalog rows. It is reloaded when the catalog changes:
 *  - `syncCatalog` in this process (the server's start, tests) reloads it before returning;
 *  - another process (`pnpm seed` against a live server, a second instance) is noticed within
 *    `CATALOG_REFRESH_MS`: on SQLite the timer reloads only when another connection has committed
 *    (`externalChanges`), on PostgreSQL it reloads every time;
 *  - a SKU missing from memory is looked up in the database (a product added a moment ago grants at once) and makes
 *    the memory reload;
 *  - a change written some other way (SQL by hand) must call `reloadCatalogMemory`, or wait for the timer.
 * Without a memory attached (the ops CLI, code handed a transaction) every function reads the database as before.
 * You probably don't need to edit this file; the catalog itself is `catalog/products.json`.
 */
import { type CatalogListItem, type CatalogListOutput, formatKrw, Offer } from '@ait-iap/iap-contract';
import { z } from 'zod';
import type { TossEnvironment } from '../config';
import type { AppDatabase } from '../db/database';
import type { Db, ProductsTable, Tx } from '../db/schema';

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
  const memory = memories.get(db);
  const remembered = memory?.alias(sku) ?? (memory?.product(sku) ? sku : undefined);
  if (remembered) return remembered;
  // Neither a remembered alias nor a remembered SKU: ask the table (an alias `pnpm seed` added a moment ago).
  const alias = await db.selectFrom('sku_aliases').select('sku').where('alias', '=', sku).executeTakeFirst();
  if (alias && memory) memory.reloadSoon();
  return alias?.sku ?? sku;
}

/** The product for a catalog SKU, in any state (a retired SKU is still known). */
export async function findProduct(db: Tx, sku: string): Promise<ProductRow | undefined> {
  const memory = memories.get(db);
  const remembered = memory?.product(sku);
  if (remembered) return remembered;
  const row = await db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
  if (row && memory) memory.reloadSoon(); // added since the memory was loaded
  return row;
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
  const memory = memories.get(db);
  if (memory) return memory.shop();
  return { products: (await shopRows(db)).map(toCatalogListItem) };
}

/** The currencies active products grant (every one shows in `me.inventory`, 0 when the wallet has none). */
export async function catalogCurrencies(db: Tx): Promise<string[]> {
  const memory = memories.get(db);
  if (memory) return memory.currencies();
  const rows = await db
    .selectFrom('products')
    .select('grant_currency')
    .distinct()
    .where('grant_kind', '=', 'currency')
    .where('active', '=', 1)
    .execute();
  return rows.flatMap((row) => (row.grant_currency ? [row.grant_currency] : []));
}

async function shopRows(db: Tx): Promise<ProductRow[]> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('active', '=', 1)
    .where('visible', '=', 1)
    .orderBy('created_at')
    .orderBy('sku')
    .execute();
}

// The catalog in memory -------------------------------------------------------------------------------------------

/** How often the memory looks for a catalog change made by another process. */
export const CATALOG_REFRESH_MS = 1_000;

interface CatalogSnapshot {
  products: Map<string, ProductRow>;
  aliases: Map<string, string>;
  shop: CatalogListOutput;
  currencies: string[];
}

async function readSnapshot(db: Db): Promise<CatalogSnapshot> {
  // One read of the products, in shop order; the shop is the active, visible ones of it.
  const rows = await db.selectFrom('products').selectAll().orderBy('created_at').orderBy('sku').execute();
  const aliases = await db.selectFrom('sku_aliases').select(['alias', 'sku']).execute();
  const shop = rows.filter((row) => row.active === 1 && row.visible === 1);
  const currencies = [
    ...new Set(
      rows.flatMap((r) =>
        r.grant_kind === 'currency' && r.active === 1 && r.grant_currency ? [r.grant_currency] : [],
      ),
    ),
  ].sort();
  return {
    products: new Map(rows.map((row) => [row.sku, row])),
    aliases: new Map(aliases.map((a) => [a.alias, a.sku])),
    // Built (and its offers parsed) once per load: `catalog.list` hands out the same value every time.
    shop: { products: shop.map(toCatalogListItem) },
    currencies,
  };
}

/** The catalog of one database, in memory. Create with `loadCatalogMemory`; `close()` stops its timer. */
export class CatalogMemory {
  private loading: Promise<void> | null = null;
  private changesSeen: number | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly database: AppDatabase,
    private snapshot: CatalogSnapshot,
    refreshMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly onLoaded: () => void = () => undefined,
  ) {
    this.timer = setInterval(() => {
      try {
        // SQLite: only when another connection committed since the last load. PostgreSQL: always.
        const changes = this.database.externalChanges?.();
        if (changes === undefined || changes !== this.changesSeen) this.reloadSoon();
      } catch (error) {
        this.onError(error); // e.g. the database was closed under a memory nobody closed: keep the process alive
      }
    }, refreshMs);
    this.timer.unref();
  }

  static async load(
    database: AppDatabase,
    refreshMs: number,
    onError: (error: unknown) => void,
    onLoaded?: () => void,
  ) {
    const changes = database.externalChanges?.();
    const memory = new CatalogMemory(database, await readSnapshot(database.db), refreshMs, onError, onLoaded);
    memory.changesSeen = changes;
    return memory;
  }

  product(sku: string): ProductRow | undefined {
    return this.snapshot.products.get(sku);
  }

  alias(sku: string): string | undefined {
    return this.snapshot.aliases.get(sku);
  }

  shop(): CatalogListOutput {
    return this.snapshot.shop;
  }

  currencies(): string[] {
    return this.snapshot.currencies;
  }

  /** Read the catalog again (one load at a time; a call during a load waits for a fresh one). */
  async reload(): Promise<void> {
    while (this.loading) await this.loading;
    const changes = this.database.externalChanges?.();
    this.loading = readSnapshot(this.database.db).then(
      (snapshot) => {
        this.snapshot = snapshot;
        this.changesSeen = changes;
        this.onLoaded();
      },
      (error: unknown) => this.onError(error),
    );
    try {
      await this.loading;
    } finally {
      this.loading = null;
    }
  }

  /** Reload in the background (errors are reported, the current snapshot stays). */
  reloadSoon(): void {
    if (!this.loading) void this.reload();
  }

  close(): void {
    clearInterval(this.timer);
    memories.delete(this.database.db);
  }
}

/** Keyed by the database's root Kysely instance: calls made inside a transaction read the database. */
const memories = new WeakMap<object, CatalogMemory>();

/** Load the catalog of `database` into memory; from now on the functions above answer from it. */
export async function loadCatalogMemory(
  database: AppDatabase,
  options: { refreshMs?: number; onError?: (error: unknown) => void; onLoaded?: () => void } = {},
): Promise<CatalogMemory> {
  memories.get(database.db)?.close();
  const memory = await CatalogMemory.load(
    database,
    options.refreshMs ?? CATALOG_REFRESH_MS,
    options.onError ?? (() => undefined),
    options.onLoaded,
  );
  memories.set(database.db, memory);
  return memory;
}

/** The catalog of this database changed (a sync, or a direct write): reload its memory now, if it has one. */
export async function reloadCatalogMemory(db: Db | AppDatabase): Promise<void> {
  await memories.get('dialect' in db ? db.db : db)?.reload();
}
