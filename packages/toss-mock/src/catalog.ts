/**
 * The mock's view of the console: reads `catalog/products.json` (validated by the contract's `Catalog`) and lists
 * products the way Toss shows them — only visible ones, sale price = supply + fee, formatted like `1,050원`.
 * The sandbox app lists its own two test products instead, mapped onto ours by `sandboxSkuMap`.
 * Product icons are the catalog's own images (`image`), served by the mock's control API on loopback
 * (`GET /__mock/icons/<sku>.png`): nothing a client shows is requested off the machine.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import {
  type Catalog,
  type CatalogProduct,
  formatKrw,
  formatViolation,
  type IapProductListItem,
  parseCatalog,
  salePrice,
} from '@ait-iap/iap-contract';

export async function loadCatalogFile(path: string): Promise<Catalog> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`toss-mock: cannot read the catalog at ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`toss-mock: the catalog at ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseCatalog(json);
  if (!parsed.ok) {
    throw new Error(
      `toss-mock: the catalog at ${path} is invalid:\n${parsed.violations.map(formatViolation).join('\n')}`,
    );
  }
  return parsed.catalog;
}

/** The sandbox app's own test products (it cannot show console SKUs). */
export const sandboxProducts = [
  { sku: 'test_product_1', displayName: '테스트 상품 - 1', supplyPrice: 1000 },
  { sku: 'test_product_2', displayName: '테스트 상품 - 2', supplyPrice: 2000 },
] as const;

export type Environment = 'toss' | 'sandbox';

/** Where the mock serves a product's icon: its control API (`iconBaseUrl`, e.g. http://127.0.0.1:3101). */
export function iconUrlFor(sku: string, iconBaseUrl: string): string {
  return `${iconBaseUrl.replace(/\/$/, '')}/__mock/icons/${encodeURIComponent(sku)}.png`;
}

/**
 * The file behind `GET /__mock/icons/<sku>.png`: the product's `image`, relative to the catalog's root (the folder
 * that holds `catalog/`); a sandbox test product shows the image of the catalog product it maps onto. Null for an
 * unknown SKU or an image path that leaves the root.
 */
export function iconFileFor(catalog: Catalog, sku: string, root: string): string | null {
  const mapped = catalog.sandboxSkuMap[sku] ?? sku;
  const product = catalog.products.find((p) => p.sku === mapped);
  if (!product) return null;
  const file = resolve(root, product.image);
  const inside = relative(root, file);
  if (inside.startsWith('..') || isAbsolute(inside)) return null;
  return file;
}

export function productPrice(catalog: Catalog, product: CatalogProduct): number {
  return salePrice(product.supplyPrice, catalog.feeRateBps);
}

export function toListItem(
  catalog: Catalog,
  product: CatalogProduct,
  iconBaseUrl: string,
): IapProductListItem {
  const base = {
    sku: product.sku,
    displayAmount: formatKrw(productPrice(catalog, product)),
    displayName: product.name,
    iconUrl: iconUrlFor(product.sku, iconBaseUrl),
    description: product.description,
  };
  if (product.type === 'SUBSCRIPTION') {
    return {
      ...base,
      type: 'SUBSCRIPTION',
      renewalCycle: product.renewalCycle,
      ...(product.offers.length > 0 ? { offers: product.offers } : {}),
    };
  }
  return { ...base, type: product.type };
}

/** What `IAP.getProductItemList()` resolves with in this environment. */
export function listProducts(
  catalog: Catalog,
  environment: Environment,
  iconBaseUrl: string,
): IapProductListItem[] {
  if (environment === 'sandbox') {
    return sandboxProducts.map((p) => {
      const mapped = catalog.products.find((c) => c.sku === catalog.sandboxSkuMap[p.sku]);
      return {
        sku: p.sku,
        type: mapped?.type === 'NON_CONSUMABLE' ? 'NON_CONSUMABLE' : 'CONSUMABLE',
        displayAmount: formatKrw(salePrice(p.supplyPrice, catalog.feeRateBps)),
        displayName: p.displayName,
        iconUrl: iconUrlFor(p.sku, iconBaseUrl),
        description: '샌드박스 테스트용 상품이에요',
      };
    });
  }
  return catalog.products.filter((p) => p.visible).map((p) => toListItem(catalog, p, iconBaseUrl));
}
