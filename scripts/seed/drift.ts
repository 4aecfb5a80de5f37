/**
 * `pnpm seed --check <dump.json>`: compare what Toss actually lists (a `getProductItemList()` result captured in the
 * Toss app, contract `ProductItemListResult`) with the mirror, and name every difference: a SKU missing from Toss, an
 * extra one the mirror doesn't know (or hides), a changed name / description / type / price / renewal cycle.
 * Prices compare the dump's `displayAmount` ("1,050원") with the mirror's `salePrice`. You probably don't need to
 * edit this file.
 */
import {
  type Catalog,
  type CatalogProduct,
  formatKrw,
  ProductItemListResult,
  salePrice,
} from '@ait-iap/iap-contract';

export type DriftField = 'name' | 'description' | 'type' | 'price' | 'renewalCycle';

export type Drift =
  /** Visible in the mirror, not listed by Toss. */
  | { kind: 'missing'; sku: string }
  /** Listed by Toss, unknown to the mirror. */
  | { kind: 'extra'; sku: string; name: string }
  /** Listed by Toss although the mirror says `visible: false`. */
  | { kind: 'hidden'; sku: string }
  | { kind: 'changed'; sku: string; field: DriftField; mirror: string; toss: string };

export type DriftReport =
  | { ok: true; drift: Drift[]; compared: number; sandboxSkus: string[] }
  | { ok: false; error: string };

/** "1,050원" → 1050; null when the string carries no amount. */
export function parseDisplayAmount(displayAmount: string): number | null {
  const digits = displayAmount.replace(/[^0-9]/g, '');
  return digits.length > 0 ? Number(digits) : null;
}

function compareProduct(
  product: CatalogProduct,
  listed: ProductItemListResult['products'][number],
  feeRateBps: number,
) {
  const changes: Drift[] = [];
  const change = (field: DriftField, mirror: string, toss: string) => {
    if (mirror !== toss) changes.push({ kind: 'changed', sku: product.sku, field, mirror, toss });
  };
  change('type', product.type, listed.type);
  change('name', product.name, listed.displayName);
  change('description', product.description, listed.description);
  const expected = salePrice(product.supplyPrice, feeRateBps);
  if (parseDisplayAmount(listed.displayAmount) !== expected)
    change('price', formatKrw(expected), listed.displayAmount);
  if (product.type === 'SUBSCRIPTION' && listed.type === 'SUBSCRIPTION') {
    change('renewalCycle', product.renewalCycle, listed.renewalCycle);
  }
  return changes;
}

/**
 * Compare a dump with the mirror. Accepts `{ products: [...] }` (what the SDK returns) or a bare array.
 * The sandbox app lists its own test products (the keys of `sandboxSkuMap`): those are set aside, and a dump with
 * nothing else is refused, since it says nothing about the console.
 */
export function checkDrift(catalog: Catalog, dump: unknown): DriftReport {
  const parsed = ProductItemListResult.safeParse(Array.isArray(dump) ? { products: dump } : dump);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    return {
      ok: false,
      error: `the dump is not a getProductItemList() result ({ products: [...] }):\n  ${issues.join('\n  ')}`,
    };
  }
  const isSandbox = (sku: string) => Object.hasOwn(catalog.sandboxSkuMap, sku);
  const sandboxSkus = parsed.data.products.map((p) => p.sku).filter(isSandbox);
  const listed = parsed.data.products.filter((p) => !isSandbox(p.sku));
  if (listed.length === 0 && sandboxSkus.length > 0) {
    return {
      ok: false,
      error:
        "the dump lists only the sandbox app's test products; capture getProductItemList() inside the Toss app " +
        '(after the products are approved) to compare with the console',
    };
  }
  const bySku = new Map(catalog.products.map((p) => [p.sku, p]));
  const drift: Drift[] = [];
  const seen = new Set<string>();
  for (const item of listed) {
    seen.add(item.sku);
    const product = bySku.get(item.sku);
    if (!product) drift.push({ kind: 'extra', sku: item.sku, name: item.displayName });
    else {
      if (!product.visible) drift.push({ kind: 'hidden', sku: item.sku });
      drift.push(...compareProduct(product, item, catalog.feeRateBps));
    }
  }
  for (const product of catalog.products) {
    if (product.visible && !seen.has(product.sku)) drift.push({ kind: 'missing', sku: product.sku });
  }
  return { ok: true, drift, compared: listed.length, sandboxSkus };
}

export function formatDrift(item: Drift): string {
  switch (item.kind) {
    case 'missing':
      return `${item.sku}: missing — visible in the mirror but not listed by Toss (not registered, not approved, hidden in the console, or above the app's version?)`;
    case 'extra':
      return `${item.sku}: extra — listed by Toss ("${item.name}") but not in the mirror; add it to catalog/products.json`;
    case 'hidden':
      return `${item.sku}: visible — listed by Toss but the mirror says "visible": false`;
    case 'changed':
      return `${item.sku}: ${item.field} — mirror "${item.mirror}", Toss "${item.toss}"`;
  }
}
