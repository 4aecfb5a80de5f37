import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatViolation, parseCatalog, salePrice } from '../src/catalog';

const repoCatalog = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../catalog/products.json', import.meta.url)), 'utf8'),
) as { products: Record<string, unknown>[] };

function consumable(overrides: Record<string, unknown> = {}) {
  return {
    sku: 'coin_100',
    type: 'CONSUMABLE',
    name: '코인 100개',
    description: '코인 100개',
    supplyPrice: 1000,
    image: 'catalog/images/coin_100.png',
    minAppVersion: '1.0.0',
    visible: true,
    grant: { kind: 'currency', currency: 'COIN', amount: 100 },
    ...overrides,
  };
}

function catalogWith(...products: unknown[]) {
  return { feeRateBps: 500, products };
}

function violationsOf(input: unknown) {
  const result = parseCatalog(input);
  if (result.ok) throw new Error('expected the catalog to be rejected');
  return result.violations.map(formatViolation);
}

describe('catalog schema (console registration rules)', () => {
  it('accepts the repository catalog', () => {
    const result = parseCatalog(repoCatalog);
    expect(result.ok ? [] : result.violations).toEqual([]);
  });

  it('accepts a 30-character name and rejects a 31-character one, naming SKU and field', () => {
    expect(parseCatalog(catalogWith(consumable({ name: '가'.repeat(30) }))).ok).toBe(true);
    expect(violationsOf(catalogWith(consumable({ name: '가'.repeat(31) })))).toEqual([
      'coin_100: name — name must be at most 30 characters',
    ]);
  });

  it('counts characters, not UTF-16 units, so emoji names are measured as the console shows them', () => {
    expect(parseCatalog(catalogWith(consumable({ name: '🪙'.repeat(30) }))).ok).toBe(true);
  });

  it('rejects a 46-character description', () => {
    expect(parseCatalog(catalogWith(consumable({ description: 'a'.repeat(45) }))).ok).toBe(true);
    expect(violationsOf(catalogWith(consumable({ description: 'a'.repeat(46) })))).toEqual([
      'coin_100: description — description must be at most 45 characters',
    ]);
  });

  it('rejects supply prices outside 400–1,400,000 KRW and fractions of a won', () => {
    expect(parseCatalog(catalogWith(consumable({ supplyPrice: 400 }))).ok).toBe(true);
    expect(parseCatalog(catalogWith(consumable({ supplyPrice: 1_400_000 }))).ok).toBe(true);
    expect(violationsOf(catalogWith(consumable({ supplyPrice: 399 })))).toEqual([
      'coin_100: supplyPrice — supplyPrice must be at least 400 KRW',
    ]);
    expect(violationsOf(catalogWith(consumable({ supplyPrice: 1_400_001 })))).toEqual([
      'coin_100: supplyPrice — supplyPrice must be at most 1400000 KRW',
    ]);
    expect(violationsOf(catalogWith(consumable({ supplyPrice: 1000.5 })))).toEqual([
      'coin_100: supplyPrice — supplyPrice must be a whole number of won',
    ]);
  });

  it('requires a PNG image and a semantic minimum app version', () => {
    expect(violationsOf(catalogWith(consumable({ image: 'coin.jpg', minAppVersion: 'v1' })))).toEqual([
      'coin_100: image — image must be a .png file',
      'coin_100: minAppVersion — minAppVersion must look like 1.0.0',
    ]);
  });

  it('requires type-specific fields: a consumable grants currency, a subscription has a renewal cycle', () => {
    const wrongGrant = violationsOf(
      catalogWith(consumable({ grant: { kind: 'entitlement', entitlement: 'x' } })),
    );
    expect(wrongGrant.some((v) => v.startsWith('coin_100: grant'))).toBe(true);
    const subscription = {
      ...consumable({ sku: 'premium', type: 'SUBSCRIPTION' }),
      grant: { kind: 'entitlement', entitlement: 'premium' },
    };
    expect(violationsOf(catalogWith(subscription)).some((v) => v.startsWith('premium: renewalCycle'))).toBe(
      true,
    );
    expect(parseCatalog(catalogWith({ ...subscription, renewalCycle: 'MONTHLY' })).ok).toBe(true);
  });

  it('rejects unknown fields instead of silently ignoring a typo', () => {
    expect(violationsOf(catalogWith(consumable({ supplyprice: 1000 })))[0]).toMatch(/^coin_100: /);
  });

  it('reports every violation at once, across products', () => {
    const violations = violationsOf(
      catalogWith(consumable({ name: '' }), consumable({ sku: 'coin_200', supplyPrice: 100 }), consumable()),
    );
    expect(violations).toEqual([
      'coin_100: name — name is required',
      'coin_200: supplyPrice — supplyPrice must be at least 400 KRW',
      'coin_100: sku — duplicate sku "coin_100"',
    ]);
  });

  it('rejects a sandbox mapping onto an unknown SKU', () => {
    expect(violationsOf({ ...catalogWith(consumable()), sandboxSkuMap: { test_product_1: 'nope' } })).toEqual(
      ['(catalog): sandboxSkuMap.test_product_1 — maps to unknown sku "nope"'],
    );
  });
});

describe('salePrice', () => {
  it('adds the fee to the supply price, rounding half up to a whole won', () => {
    expect(salePrice(1000, 500)).toBe(1050);
    expect(salePrice(1010, 500)).toBe(1061); // 50.5 → 51
    expect(salePrice(1009, 500)).toBe(1059); // 50.45 → 50
    expect(salePrice(400, 0)).toBe(400);
    expect(salePrice(1_400_000, 500)).toBe(1_470_000);
  });
});
