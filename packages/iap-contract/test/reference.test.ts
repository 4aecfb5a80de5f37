import { describe, expect, it } from 'vitest';
import { orderReference, parseOrderReference } from '../src/reference';

describe('order reference', () => {
  it('is the last 8 hex digits of a UUID order id, uppercase, grouped 4-4', () => {
    expect(orderReference('019a3f2c-7b1e-7c00-8d2e-9c41a1b2c3d4')).toBe('A1B2-C3D4');
  });

  it('skips dashes and other separators when the id ends near one', () => {
    expect(orderReference('ord_12-34_ab-cd')).toBe('1234-ABCD');
  });

  it('keeps what a short id has', () => {
    expect(orderReference('abc12')).toBe('ABC1-2');
  });

  it('reads what a customer types: any case, spaces, dashes, a leading #', () => {
    for (const typed of ['a1b2-c3d4', 'A1B2C3D4', ' a1b2 c3d4 ', '#A1B2-C3D4']) {
      expect(parseOrderReference(typed)).toBe('A1B2-C3D4');
    }
  });

  it('refuses text that is not a reference', () => {
    for (const typed of ['', 'A1B2-C3D', 'A1B2-C3D4-E5', 'A1B2_C3D4', '가나다라마바사아']) {
      expect(parseOrderReference(typed)).toBeNull();
    }
  });

  it('round-trips: the reference of an id parses back to itself', () => {
    const reference = orderReference('8d2e9c41-0000-4000-8000-00000000beef');
    expect(parseOrderReference(reference)).toBe(reference);
  });
});
