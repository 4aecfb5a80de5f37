import { describe, expect, it } from 'vitest';
import { formatPeriod, formatSheet } from './sheet';
import { catalogJson, parsed, seed } from './test-helpers';

describe('pnpm seed --sheet', () => {
  const sheet = formatSheet(parsed(catalogJson()));
  const block = (sku: string) => sheet.split('\n\n').find((b) => b.includes(`] ${sku}`)) ?? '';

  it('prints every SKU with the console form fields in Korean', () => {
    for (const sku of ['coin_100', 'coin_550', 'remove_ads', 'premium_monthly', 'coin_1200_event']) {
      const text = block(sku);
      for (const label of [
        '상품 유형',
        '상품명',
        '설명',
        '상품 이미지',
        '공급가',
        '판매가',
        '최소 지원 버전',
        '노출 여부',
      ]) {
        expect(text, `${sku} ${label}`).toContain(label);
      }
    }
  });

  it('gives the Korean product type, the supply price to type and the sale price the user pays', () => {
    expect(block('coin_100')).toMatch(/상품 유형\s+소모품/);
    expect(block('remove_ads')).toMatch(/상품 유형\s+비소모품/);
    expect(block('premium_monthly')).toMatch(/상품 유형\s+구독/);
    expect(block('coin_100')).toMatch(/공급가\s+1000 /);
    expect(block('coin_100')).toMatch(/판매가\s+1,050원/);
    expect(block('premium_monthly')).toMatch(/판매가\s+4,200원/);
    expect(block('premium_monthly')).toMatch(/무료 체험 7일/);
  });

  it('marks hidden products as not shown after approval', () => {
    expect(block('coin_1200_event')).toMatch(/노출 여부\s+☐/);
    expect(block('coin_100')).toMatch(/노출 여부\s+☑/);
  });

  it('formats ISO periods in Korean', () => {
    expect(formatPeriod('P7D')).toBe('7일');
    expect(formatPeriod('P1M')).toBe('1개월');
    expect(formatPeriod('P1Y2M')).toBe('P1Y2M');
  });

  it('is what the CLI prints', async () => {
    const run = await seed(['--sheet'], {});
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toBe(sheet);
  });
});

describe('pnpm seed usage', () => {
  it('refuses unknown options, stray arguments and two modes at once, writing nothing', async () => {
    for (const args of [['--sheeet'], ['products.json'], ['--sheet', '--validate'], ['--check']]) {
      const run = await seed(args, { DATABASE_PATH: '/nonexistent/dir/app.db' });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.err.at(-1)).toMatch(/^usage: pnpm seed/);
    }
  });
});
