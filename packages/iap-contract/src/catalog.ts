/**
 * The console mirror (`catalog/products.json`): every SKU as registered in the Apps in Toss console, plus what
 * the server grants for it. The schema enforces the console's registration rules (reference 003) so a mistake is
 * caught here, with the SKU and field named, instead of in review.
 */
import { z } from 'zod';
import { Offer, RenewalCycle } from './sdk';

export const consoleRules = {
  nameMaxLength: 30,
  descriptionMaxLength: 45,
  supplyPriceMin: 400,
  supplyPriceMax: 1_400_000,
  imageSizePx: 1024,
} as const;

const skuPattern = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const versionPattern = /^\d+\.\d+\.\d+$/;

/** What a purchase grants. Consumables credit a currency; the rest unlock an entitlement. */
export const CurrencyGrant = z
  .object({
    kind: z.literal('currency'),
    currency: z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, 'currency must be UPPER_SNAKE, e.g. COIN'),
    amount: z.number().int().positive(),
  })
  .strict();
export const EntitlementGrant = z
  .object({
    kind: z.literal('entitlement'),
    entitlement: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'entitlement must be lower_snake, e.g. no_ads'),
  })
  .strict();

const base = {
  sku: z
    .string()
    .regex(skuPattern, 'sku must be 1-64 chars of a-z, 0-9, _ . - (as registered in the console)'),
  name: z
    .string()
    .min(1, 'name is required')
    .refine(
      (v) => [...v].length <= consoleRules.nameMaxLength,
      `name must be at most ${consoleRules.nameMaxLength} characters`,
    ),
  description: z
    .string()
    .min(1, 'description is required')
    .refine(
      (v) => [...v].length <= consoleRules.descriptionMaxLength,
      `description must be at most ${consoleRules.descriptionMaxLength} characters`,
    ),
  supplyPrice: z
    .number()
    .int('supplyPrice must be a whole number of won')
    .min(consoleRules.supplyPriceMin, `supplyPrice must be at least ${consoleRules.supplyPriceMin} KRW`)
    .max(consoleRules.supplyPriceMax, `supplyPrice must be at most ${consoleRules.supplyPriceMax} KRW`),
  /** Path (from the repo root) of the 1024×1024 PNG uploaded to the console. */
  image: z.string().regex(/\.png$/i, 'image must be a .png file'),
  /** Minimum mini-app version that may show the product (console "최소 지원 버전"). */
  minAppVersion: z.string().regex(versionPattern, 'minAppVersion must look like 1.0.0'),
  /** Console "노출 여부". Invisible products are not listed in the shop. */
  visible: z.boolean(),
};

export const CatalogProduct = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('CONSUMABLE'), grant: CurrencyGrant }).strict(),
  z.object({ ...base, type: z.literal('NON_CONSUMABLE'), grant: EntitlementGrant }).strict(),
  z
    .object({
      ...base,
      type: z.literal('SUBSCRIPTION'),
      renewalCycle: RenewalCycle,
      offers: z.array(Offer).default([]),
      /** Days of access kept after a failed renewal while the store retries. */
      gracePeriodDays: z.number().int().min(0).max(30).default(0),
      grant: EntitlementGrant,
    })
    .strict(),
]);
export type CatalogProduct = z.infer<typeof CatalogProduct>;
export type CatalogProductInput = z.input<typeof CatalogProduct>;

export const Catalog = z
  .object({
    /**
     * In-app payment fee in basis points (500 = 5%, the console's standard rate; VAT on the fee is billed
     * separately and is not part of the sale price). Sale price = supply price + fee, see `salePrice`.
     */
    feeRateBps: z.number().int().min(0).max(10_000),
    products: z.array(CatalogProduct),
    /** The sandbox app lists its own test products; map their SKUs onto ours so a sandbox purchase grants something. */
    sandboxSkuMap: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    catalog.products.forEach((product, index) => {
      if (seen.has(product.sku)) {
        ctx.addIssue({
          code: 'custom',
          path: ['products', index, 'sku'],
          message: `duplicate sku "${product.sku}"`,
        });
      }
      seen.add(product.sku);
    });
    for (const [sandboxSku, sku] of Object.entries(catalog.sandboxSkuMap)) {
      if (!seen.has(sku)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sandboxSkuMap', sandboxSku],
          message: `maps to unknown sku "${sku}"`,
        });
      }
    }
  });
export type Catalog = z.infer<typeof Catalog>;

/**
 * Sale price = supply price + fee, the fee rounded half-up to a whole won (integer arithmetic, no float drift).
 * 1,000 KRW at 5% → 1,050 KRW; 1,010 KRW at 5% → 1,061 KRW (50.5 rounds up).
 */
export function salePrice(supplyPrice: number, feeRateBps: number): number {
  return supplyPrice + Math.floor((supplyPrice * feeRateBps + 5_000) / 10_000);
}

/** A catalog violation with the SKU and field named, e.g. `coin_100: name — name must be at most 30 characters`. */
export interface CatalogViolation {
  sku: string | undefined;
  field: string;
  message: string;
}

export type CatalogParseResult =
  | { ok: true; catalog: Catalog }
  | { ok: false; violations: CatalogViolation[] };

/** Validate a whole catalog and report EVERY violation, each naming its SKU (when known) and field. */
export function parseCatalog(input: unknown): CatalogParseResult {
  const result = Catalog.safeParse(input);
  if (result.success) return { ok: true, catalog: result.data };
  const products = (input as { products?: unknown })?.products;
  const violations = result.error.issues.map((issue): CatalogViolation => {
    const [head, index, ...rest] = issue.path;
    let sku: string | undefined;
    let field = issue.path.join('.');
    if (head === 'products' && typeof index === 'number') {
      const raw = Array.isArray(products) ? (products[index] as { sku?: unknown } | undefined) : undefined;
      sku = typeof raw?.sku === 'string' ? raw.sku : `products[${index}]`;
      field = rest.length > 0 ? rest.join('.') : '(product)';
    }
    return { sku, field, message: issue.message };
  });
  return { ok: false, violations };
}

export function formatViolation(v: CatalogViolation): string {
  return `${v.sku ?? '(catalog)'}: ${v.field} — ${v.message}`;
}
