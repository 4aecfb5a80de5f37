// @vitest-environment node
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { copy } from '../src/copy';

describe('copy', () => {
  test('a particle after a product name follows its last syllable (es-hangul josa)', () => {
    expect(copy.purchase.success('코인 100개')).toBe('코인 100개를 구매했어요');
    expect(copy.purchase.success('프리미엄 구독')).toBe('프리미엄 구독을 구매했어요');
  });

  test('no particle is written by hand as 을(를), 이(가), 은(는), 와(과) or (으)로', () => {
    const source = readFileSync(fileURLToPath(new URL('../src/copy.ts', import.meta.url)), 'utf8');
    expect(source).not.toMatch(/\((을|를|이|가|은|는|과|와|으)\)/);
  });

  test('one state, one phrase: recovery reads the same before a checkout and in the banner; held reads the same everywhere', () => {
    expect(copy.purchase.recovering).toBe(copy.recovery.banner);
    expect(copy.history.status.held).toBe(copy.held.badge);
    const phrases = Object.values(copy.history.status);
    expect(new Set(phrases).size).toBe(phrases.length);
    // "확인 중" named four states before; none of them is a spinner now.
    for (const phrase of [
      ...phrases,
      copy.held.title,
      copy.recovery.banner,
      ...Object.values(copy.inventory.status),
    ])
      expect(phrase).not.toMatch(/확인 중|확인하고 있어요/);
  });
});
