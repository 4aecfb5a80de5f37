/**
 * Validate the console mirror before anything is written: the contract's schema (every console registration rule)
 * plus what a schema cannot see — each referenced image exists, is a PNG and is 1024×1024 (read from its IHDR).
 * Reports EVERY violation, each naming the SKU and field. You probably don't need to edit this file; the rules
 * themselves live in `consoleRules` / `Catalog` in @ait-iap/iap-contract.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Catalog,
  type CatalogViolation,
  consoleRules,
  formatViolation,
  parseCatalog,
} from '@ait-iap/iap-contract';
import { readPngHeader } from '../lib/png';

export type CatalogFileResult =
  | { ok: true; catalog: Catalog }
  | { ok: false; violations: CatalogViolation[] };

/** Check one image file: returns a message saying what is wrong, or null when it is a 1024×1024 PNG. */
export async function checkImage(file: string): Promise<string | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return `image file not found: ${file}`;
  }
  const png = readPngHeader(bytes);
  if (!png.ok) return `image ${file} is ${png.error}`;
  const size = consoleRules.imageSizePx;
  const { width, height } = png.header;
  if (width !== size || height !== size) {
    return `image must be ${size}×${size} px, ${file} is ${width}×${height}`;
  }
  return null;
}

/**
 * Checks across products that the schema only runs once every product parses (zod refines a valid object only):
 * duplicate SKUs and sandbox mappings to unknown SKUs. Same wording as the contract, so duplicates are dropped.
 */
function crossChecks(products: unknown[], sandboxSkuMap: unknown): CatalogViolation[] {
  const violations: CatalogViolation[] = [];
  const skus = new Set<string>();
  for (const raw of products) {
    const sku = (raw as { sku?: unknown } | null)?.sku;
    if (typeof sku !== 'string') continue;
    if (skus.has(sku)) violations.push({ sku, field: 'sku', message: `duplicate sku "${sku}"` });
    skus.add(sku);
  }
  if (sandboxSkuMap && typeof sandboxSkuMap === 'object') {
    for (const [alias, sku] of Object.entries(sandboxSkuMap)) {
      if (typeof sku === 'string' && !skus.has(sku)) {
        violations.push({
          sku: undefined,
          field: `sandboxSkuMap.${alias}`,
          message: `maps to unknown sku "${sku}"`,
        });
      }
    }
  }
  return violations;
}

/** Validate an already-parsed JSON value. Image paths are resolved against `root` (the repo root). */
export async function validateCatalog(input: unknown, root: string): Promise<CatalogFileResult> {
  const parsed = parseCatalog(input);
  const violations = parsed.ok ? [] : [...parsed.violations];
  const { products, sandboxSkuMap } = (input ?? {}) as { products?: unknown; sandboxSkuMap?: unknown };
  if (Array.isArray(products)) {
    violations.push(...crossChecks(products, sandboxSkuMap));
    for (const [index, raw] of products.entries()) {
      const product = raw as { sku?: unknown; image?: unknown } | null;
      // A missing or non-.png image is already reported by the schema; check the file only when the field is sane.
      if (typeof product?.image !== 'string' || !/\.png$/i.test(product.image)) continue;
      const problem = await checkImage(path.resolve(root, product.image));
      if (problem) {
        const sku = typeof product.sku === 'string' ? product.sku : `products[${index}]`;
        violations.push({ sku, field: 'image', message: problem });
      }
    }
  }
  if (violations.length === 0 && parsed.ok) return { ok: true, catalog: parsed.catalog };
  const seen = new Set<string>();
  const unique = violations.filter((v) => {
    const key = formatViolation(v);
    return !seen.has(key) && seen.add(key);
  });
  return { ok: false, violations: unique };
}

/** Read and validate the catalog file. A missing file or broken JSON is one violation, not a crash. */
export async function validateCatalogFile(catalogPath: string, root: string): Promise<CatalogFileResult> {
  let text: string;
  try {
    text = await readFile(catalogPath, 'utf8');
  } catch {
    return {
      ok: false,
      violations: [{ sku: undefined, field: '(file)', message: `cannot read ${catalogPath}` }],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      violations: [{ sku: undefined, field: '(file)', message: `not valid JSON: ${detail}` }],
    };
  }
  return validateCatalog(json, root);
}
