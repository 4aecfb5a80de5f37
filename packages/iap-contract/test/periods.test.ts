/**
 * The one subscription calendar (src/periods.ts) the server and the mock share: cycle ends are counted from the
 * anchor, keep the anchor's day, and clamp to a short month only for that month.
 */
import { describe, expect, it } from 'vitest';
import { addCycle, cycleEnd, cycleIndexAt } from '../src/periods';

const at = (iso: string) => new Date(iso);
const ends = (anchor: string, cycle: 'WEEKLY' | 'MONTHLY' | 'YEARLY', n: number) =>
  Array.from({ length: n }, (_, i) => cycleEnd(at(anchor), cycle, i + 1).toISOString());

describe('cycleEnd', () => {
  it('keeps the anchor day: Jan 31 → Feb 28 → Mar 31 → Apr 30 → May 31', () => {
    expect(ends('2027-01-31T09:30:00.000Z', 'MONTHLY', 4)).toEqual([
      '2027-02-28T09:30:00.000Z',
      '2027-03-31T09:30:00.000Z',
      '2027-04-30T09:30:00.000Z',
      '2027-05-31T09:30:00.000Z',
    ]);
  });

  it('lands on Feb 29 in a leap year and back on the 31st after it', () => {
    expect(ends('2028-01-31T00:00:00.000Z', 'MONTHLY', 2)).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2028-03-31T00:00:00.000Z',
    ]);
  });

  it('crosses a year end on the anchor day', () => {
    expect(ends('2027-11-30T12:00:00.000Z', 'MONTHLY', 3)).toEqual([
      '2027-12-30T12:00:00.000Z',
      '2028-01-30T12:00:00.000Z',
      '2028-02-29T12:00:00.000Z',
    ]);
  });

  it('yearly from Feb 29 clamps to Feb 28 and returns to Feb 29 four years on', () => {
    expect(ends('2028-02-29T10:00:00.000Z', 'YEARLY', 4)).toEqual([
      '2029-02-28T10:00:00.000Z',
      '2030-02-28T10:00:00.000Z',
      '2031-02-28T10:00:00.000Z',
      '2032-02-29T10:00:00.000Z',
    ]);
  });

  it('weekly is seven days a cycle', () => {
    expect(ends('2027-02-25T10:00:00.000Z', 'WEEKLY', 2)).toEqual([
      '2027-03-04T10:00:00.000Z',
      '2027-03-11T10:00:00.000Z',
    ]);
  });

  it('cycle 0 is the anchor, and a bad index is refused', () => {
    expect(cycleEnd(at('2027-01-31T00:00:00.000Z'), 'MONTHLY', 0).toISOString()).toBe(
      '2027-01-31T00:00:00.000Z',
    );
    expect(() => cycleEnd(at('2027-01-31T00:00:00.000Z'), 'MONTHLY', -1)).toThrow(RangeError);
    expect(() => cycleEnd(at('2027-01-31T00:00:00.000Z'), 'MONTHLY', 1.5)).toThrow(RangeError);
  });

  it('agrees with stepping one cycle at a time on the anchor day (the mock renews that way)', () => {
    const anchor = at('2027-01-31T08:00:00.000Z');
    let stepped = anchor;
    for (let k = 1; k <= 24; k++) {
      stepped = addCycle(stepped, 'MONTHLY', anchor.getUTCDate());
      expect(cycleEnd(anchor, 'MONTHLY', k).toISOString()).toBe(stepped.toISOString());
    }
  });
});

describe('cycleIndexAt', () => {
  const anchor = at('2027-01-31T09:30:00.000Z');
  it.each([
    ['2027-01-30T00:00:00.000Z', 0],
    ['2027-01-31T09:30:00.000Z', 1],
    ['2027-02-28T09:29:59.999Z', 1],
    ['2027-02-28T09:30:00.000Z', 2],
    ['2027-03-31T09:29:59.999Z', 2],
    ['2027-03-31T09:30:00.000Z', 3],
    ['2028-01-31T09:30:00.000Z', 13],
  ])('monthly: %s is in cycle %i', (when, k) => {
    expect(cycleIndexAt(anchor, 'MONTHLY', at(when))).toBe(k);
  });

  it('weekly and yearly', () => {
    expect(cycleIndexAt(anchor, 'WEEKLY', at('2027-02-14T09:30:00.000Z'))).toBe(3);
    expect(cycleIndexAt(anchor, 'YEARLY', at('2029-02-01T00:00:00.000Z'))).toBe(3);
  });
});
