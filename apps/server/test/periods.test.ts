/**
 * Renewal periods in calendar months (src/fulfillment/grants.ts `addCycle`): the end of a period that starts on a day
 * the next month lacks is that month's last day — never a day in the month after.
 */
import { describe, expect, test } from 'vitest';
import { addCycle } from '../src/fulfillment/grants';

const at = (iso: string) => Date.parse(iso);
const end = (iso: string, cycle: 'WEEKLY' | 'MONTHLY' | 'YEARLY') =>
  new Date(addCycle(at(iso), cycle)).toISOString();

describe('addCycle', () => {
  test.each([
    ['2027-01-31T09:30:00.000Z', '2027-02-28T09:30:00.000Z'],
    ['2028-01-31T00:00:00.000Z', '2028-02-29T00:00:00.000Z'], // leap year
    ['2027-03-31T23:59:59.999Z', '2027-04-30T23:59:59.999Z'],
    ['2027-05-31T12:00:00.000Z', '2027-06-30T12:00:00.000Z'],
    ['2027-12-31T12:00:00.000Z', '2028-01-31T12:00:00.000Z'],
    ['2027-02-28T12:00:00.000Z', '2027-03-28T12:00:00.000Z'],
    ['2027-01-15T08:00:00.000Z', '2027-02-15T08:00:00.000Z'],
  ])('monthly from %s ends %s', (from, to) => {
    expect(end(from, 'MONTHLY')).toBe(to);
  });

  test.each([
    ['2028-02-29T10:00:00.000Z', '2029-02-28T10:00:00.000Z'],
    ['2027-02-28T10:00:00.000Z', '2028-02-28T10:00:00.000Z'],
    ['2027-06-30T10:00:00.000Z', '2028-06-30T10:00:00.000Z'],
  ])('yearly from %s ends %s', (from, to) => {
    expect(end(from, 'YEARLY')).toBe(to);
  });

  test('weekly is seven days', () => {
    expect(end('2027-02-25T10:00:00.000Z', 'WEEKLY')).toBe('2027-03-04T10:00:00.000Z');
  });
});
