import path from 'node:path';
import { type Catalog, formatKrw, type IapProductListItem, salePrice } from '@ait-iap/iap-contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDrift, parseDisplayAmount } from './drift';
import { catalogJson, parsed, seed, tempDir, writeJson } from './test-helpers';

const catalog = parsed(catalogJson());

/** What Toss lists when the console matches the mirror: visible products only, prices as "1,050원". */
function tossList(from: Catalog): IapProductListItem[] {
  return from.products
    .filter((p) => p.visible)
    .map((p) => {
      const base = {
        sku: p.sku,
        displayName: p.name,
        description: p.description,
        displayAmount: formatKrw(salePrice(p.supplyPrice, from.feeRateBps)),
        iconUrl: `https://static.toss.im/${p.sku}.png`,
      };
      return p.type === 'SUBSCRIPTION'
        ? { ...base, type: p.type, renewalCycle: p.renewalCycle, offers: p.offers }
        : { ...base, type: p.type };
    });
}

function withChange(sku: string, change: Partial<Record<string, unknown>>): unknown {
  return { products: tossList(catalog).map((p) => (p.sku === sku ? { ...p, ...change } : p)) };
}

describe('drift check (getProductItemList dump vs the mirror)', () => {
  it('finds no drift when Toss lists exactly the visible products at their sale prices', () => {
    expect(checkDrift(catalog, { products: tossList(catalog) })).toEqual({
      ok: true,
      drift: [],
      compared: 4,
      sandboxSkus: [],
    });
  });

  it('reports a changed price, comparing "1,100원" with the sale price 1,050원', () => {
    const report = checkDrift(catalog, withChange('coin_100', { displayAmount: '1,100원' }));
    expect(report.ok && report.drift).toEqual([
      { kind: 'changed', sku: 'coin_100', field: 'price', mirror: '1,050원', toss: '1,100원' },
    ]);
  });

  it('reports a SKU the mirror shows but Toss does not list', () => {
    const products = tossList(catalog).filter((p) => p.sku !== 'remove_ads');
    const report = checkDrift(catalog, { products });
    expect(report.ok && report.drift).toEqual([{ kind: 'missing', sku: 'remove_ads' }]);
  });

  it('reports an extra SKU Toss lists that the mirror does not know', () => {
    const extra: IapProductListItem = {
      sku: 'gem_10',
      type: 'CONSUMABLE',
      displayName: '보석 10개',
      description: '보석',
      displayAmount: '2,100원',
      iconUrl: '',
    };
    const report = checkDrift(catalog, { products: [...tossList(catalog), extra] });
    expect(report.ok && report.drift).toEqual([{ kind: 'extra', sku: 'gem_10', name: '보석 10개' }]);
  });

  it('reports a product Toss lists although the mirror hides it', () => {
    const hidden = catalog.products.find((p) => p.sku === 'coin_1200_event')!;
    const listed: IapProductListItem = {
      sku: hidden.sku,
      type: 'CONSUMABLE',
      displayName: hidden.name,
      description: hidden.description,
      displayAmount: formatKrw(salePrice(hidden.supplyPrice, catalog.feeRateBps)),
      iconUrl: '',
    };
    const report = checkDrift(catalog, { products: [...tossList(catalog), listed] });
    expect(report.ok && report.drift).toEqual([{ kind: 'hidden', sku: 'coin_1200_event' }]);
  });

  it('reports a changed name and a changed type', () => {
    const report = checkDrift(
      catalog,
      withChange('remove_ads', { displayName: '광고 없애기', type: 'CONSUMABLE' }),
    );
    expect(report.ok && report.drift).toEqual([
      { kind: 'changed', sku: 'remove_ads', field: 'type', mirror: 'NON_CONSUMABLE', toss: 'CONSUMABLE' },
      { kind: 'changed', sku: 'remove_ads', field: 'name', mirror: '광고 제거', toss: '광고 없애기' },
    ]);
  });

  it("sets the sandbox app's test products aside, and refuses a dump that has nothing else", () => {
    const sandbox: IapProductListItem = {
      sku: 'test_product_1',
      type: 'CONSUMABLE',
      displayName: '테스트 상품 - 1',
      description: '',
      displayAmount: '1,000원',
      iconUrl: '',
    };
    const mixed = checkDrift(catalog, { products: [...tossList(catalog), sandbox] });
    expect(mixed).toMatchObject({ ok: true, drift: [], sandboxSkus: ['test_product_1'] });
    const only = checkDrift(catalog, { products: [sandbox] });
    expect(only.ok).toBe(false);
    expect(!only.ok && only.error).toMatch(/sandbox/);
  });

  it('refuses a file that is not a product list, saying where it is wrong', () => {
    const report = checkDrift(catalog, { products: [{ sku: 'coin_100' }] });
    expect(report.ok).toBe(false);
    expect(!report.ok && report.error).toMatch(/products\.0/);
  });

  it('reads display prices with separators and a currency suffix', () => {
    expect(parseDisplayAmount('1,050원')).toBe(1050);
    expect(parseDisplayAmount('₩12,345')).toBe(12345);
    expect(parseDisplayAmount('무료')).toBeNull();
  });
});

describe('pnpm seed --check', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('exits 0 and says so when the dump matches', async () => {
    const dump = await writeJson(path.join(tmp.dir, 'dump.json'), { products: tossList(catalog) });
    const run = await seed(['--check', dump], {});
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toMatch(/no drift/);
  });

  it('exits non-zero and names each drifting SKU and field', async () => {
    const products = tossList(catalog)
      .filter((p) => p.sku !== 'remove_ads')
      .map((p) => (p.sku === 'coin_550' ? { ...p, displayAmount: '5,500원' } : p));
    const dump = await writeJson(path.join(tmp.dir, 'dump.json'), { products });
    const run = await seed(['--check', dump], {});
    expect(run.code).toBe(1);
    const errors = run.err.join('\n');
    expect(errors).toMatch(/2 differences/);
    expect(errors).toMatch(/coin_550: price — mirror "5,250원", Toss "5,500원"/);
    expect(errors).toMatch(/remove_ads: missing/);
  });

  it('exits 2 when the dump cannot be read', async () => {
    const run = await seed(['--check', path.join(tmp.dir, 'nope.json')], {});
    expect(run.code).toBe(2);
    expect(run.err.join('\n')).toMatch(/cannot read the dump/);
  });
});
