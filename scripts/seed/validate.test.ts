import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatViolation } from '@ait-iap/iap-contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePng } from '../lib/png';
import { repoRoot } from './paths';
import { catalogJson, tempDir } from './test-helpers';
import { validateCatalog, validateCatalogFile } from './validate';

type Json = ReturnType<typeof catalogJson>;
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(() => tmp.cleanup());

async function pngFile(name: string, size: number): Promise<string> {
  const file = path.join(tmp.dir, name);
  await writeFile(
    file,
    encodePng({ width: size, height: size, data: new Uint8Array(size * size * 4).fill(200) }),
  );
  return file;
}

async function violationsOf(mutate: (c: Json) => void | Promise<void>) {
  const json = catalogJson();
  await mutate(json);
  const result = await validateCatalog(json, repoRoot);
  return result.ok ? [] : result.violations;
}

const product = (c: Json, sku: string) => c.products.find((p) => p.sku === sku)!;
const set = (sku: string, field: string, value: unknown) => (c: Json) => {
  product(c, sku)[field] = value;
};
const unset = (sku: string, field: string) => (c: Json) => {
  delete product(c, sku)[field];
};

describe('catalog validation (console registration rules)', () => {
  it('accepts the repo catalog, images included', async () => {
    expect(
      await validateCatalogFile(path.join(repoRoot, 'catalog', 'products.json'), repoRoot),
    ).toMatchObject({
      ok: true,
    });
  });

  it('accepts values exactly at the console limits (30-char name, 45-char description, 400 and 1,400,000 won)', async () => {
    const violations = await violationsOf((c) => {
      product(c, 'coin_100').name = '가'.repeat(30);
      product(c, 'coin_100').description = '나'.repeat(45);
      product(c, 'coin_100').supplyPrice = 400;
      product(c, 'coin_550').supplyPrice = 1_400_000;
    });
    expect(violations).toEqual([]);
  });

  const rules: [string, (c: Json) => void | Promise<void>, string, string, RegExp][] = [
    [
      'a name longer than 30 characters',
      set('coin_100', 'name', '가'.repeat(31)),
      'coin_100',
      'name',
      /at most 30/,
    ],
    ['an empty name', set('coin_100', 'name', ''), 'coin_100', 'name', /required/],
    [
      'a description longer than 45 characters',
      set('remove_ads', 'description', '나'.repeat(46)),
      'remove_ads',
      'description',
      /at most 45/,
    ],
    [
      'a supply price under 400 won',
      set('coin_550', 'supplyPrice', 399),
      'coin_550',
      'supplyPrice',
      /at least 400/,
    ],
    [
      'a supply price over 1,400,000 won',
      set('coin_550', 'supplyPrice', 1_400_001),
      'coin_550',
      'supplyPrice',
      /at most 1400000/,
    ],
    [
      'a supply price with a fraction of a won',
      set('coin_550', 'supplyPrice', 1000.5),
      'coin_550',
      'supplyPrice',
      /whole number/,
    ],
    [
      'a product type the console does not have',
      set('remove_ads', 'type', 'BUNDLE'),
      'remove_ads',
      'type',
      /CONSUMABLE/,
    ],
    [
      'a subscription without a renewal cycle',
      unset('premium_monthly', 'renewalCycle'),
      'premium_monthly',
      'renewalCycle',
      /MONTHLY/,
    ],
    [
      'an image that is not a .png file',
      set('coin_100', 'image', 'catalog/images/coin_100.jpg'),
      'coin_100',
      'image',
      /\.png/,
    ],
    [
      'an image file that does not exist',
      set('coin_100', 'image', 'catalog/images/nope.png'),
      'coin_100',
      'image',
      /not found/,
    ],
    [
      'an image that is not really a PNG',
      async (c) => {
        const file = path.join(tmp.dir, 'fake.png');
        await writeFile(file, 'just text with a .png name, nothing more to it');
        product(c, 'coin_100').image = file;
      },
      'coin_100',
      'image',
      /not a PNG/,
    ],
    [
      'an image that is not 1024×1024',
      async (c) => {
        product(c, 'premium_monthly').image = await pngFile('small.png', 512);
      },
      'premium_monthly',
      'image',
      /1024×1024.*512×512/,
    ],
    [
      'a minimum app version that is not x.y.z',
      set('coin_100', 'minAppVersion', 'latest'),
      'coin_100',
      'minAppVersion',
      /1\.0\.0/,
    ],
    [
      'a visibility that is not true/false',
      set('coin_100', 'visible', 'yes'),
      'coin_100',
      'visible',
      /boolean/,
    ],
    [
      'a SKU with characters the console does not allow',
      set('coin_550', 'sku', 'Coin 550'),
      'Coin 550',
      'sku',
      /a-z/,
    ],
    ['a duplicate SKU', set('coin_550', 'sku', 'coin_100'), 'coin_100', 'sku', /duplicate sku "coin_100"/],
  ];

  it.each(rules)('rejects %s, naming the SKU and field', async (_name, mutate, sku, field, message) => {
    const violations = await violationsOf(mutate);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ sku, field });
    expect(violations[0]!.message).toMatch(message);
    expect(formatViolation(violations[0]!)).toContain(`${sku}: ${field}`);
  });

  it('rejects a consumable that would grant an entitlement instead of a currency', async () => {
    const violations = await violationsOf(
      set('coin_100', 'grant', { kind: 'entitlement', entitlement: 'coins' }),
    );
    expect(violations).toContainEqual(expect.objectContaining({ sku: 'coin_100', field: 'grant.kind' }));
    expect(violations.every((v) => v.sku === 'coin_100' && v.field.startsWith('grant'))).toBe(true);
  });

  it('rejects a sandbox mapping to a SKU the catalog does not have', async () => {
    const violations = await violationsOf((c) => {
      c.sandboxSkuMap.test_product_1 = 'coin_999';
    });
    expect(violations).toEqual([
      { sku: undefined, field: 'sandboxSkuMap.test_product_1', message: 'maps to unknown sku "coin_999"' },
    ]);
  });

  it('reports every violation at once, across products, in one pass', async () => {
    const violations = await violationsOf(async (c) => {
      product(c, 'coin_100').name = '가'.repeat(31);
      product(c, 'coin_550').supplyPrice = 100;
      product(c, 'coin_550').sku = 'remove_ads'; // duplicate, reported even while other products are invalid
      product(c, 'premium_monthly').image = await pngFile('tiny.png', 16);
      product(c, 'coin_1200_event').description = '';
    });
    expect(violations.map((v) => `${v.sku}:${v.field}`).sort()).toEqual(
      [
        'coin_100:name',
        'remove_ads:supplyPrice',
        'remove_ads:sku',
        'premium_monthly:image',
        'coin_1200_event:description',
      ].sort(),
    );
  });

  it('turns a broken JSON file into one violation instead of a crash', async () => {
    const file = path.join(tmp.dir, 'products.json');
    await writeFile(file, '{ "feeRateBps": 500, "products": [ ');
    const result = await validateCatalogFile(file, repoRoot);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.violations[0]).toMatchObject({ sku: undefined, field: '(file)' });
    expect(!result.ok && result.violations[0]!.message).toMatch(/not valid JSON/);
  });
});
