/**
 * THE subscription calendar, shared by the server (what the paid orders cover) and toss-mock (when Toss renews), so
 * the two can never drift. A fork normally leaves it alone.
 *
 * Cycle k of a subscription ends at its anchor (the first paid order's time) + k periods — always counted from the
 * anchor, never from the previous end: months and years keep the ANCHOR's day of month and clamp to a shorter
 * month's last day for that month only (Jan 31 → Feb 28 → Mar 31 → Apr 30 → May 31; Feb 29 + 12 months = Feb 28,
 * + 48 months = Feb 29). Weeks are 7 × 24 h. All in UTC, same time of day as the anchor.
 */
import type { RenewalCycle } from './sdk';

const weekMs = 7 * 86_400_000;

/** `months` calendar months after `from` (same time of day), on day `anchorDay` or the month's last day if shorter. */
export function addMonths(from: Date, months: number, anchorDay = from.getUTCDate()): Date {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const d = new Date(from.getTime());
  d.setUTCFullYear(year, month, Math.min(anchorDay, lastDay));
  return d;
}

/** One renewal cycle after `from`; months and years land on `anchorDay`, clamped to shorter months. */
export function addCycle(from: Date, cycle: RenewalCycle, anchorDay = from.getUTCDate()): Date {
  if (cycle === 'WEEKLY') return new Date(from.getTime() + weekMs);
  return addMonths(from, cycle === 'MONTHLY' ? 1 : 12, anchorDay);
}

/**
 * The end of cycle `k` of a subscription anchored at `anchor`: anchor + k periods (k = 0 is the anchor itself; cycle
 * k covers [cycleEnd(k - 1), cycleEnd(k))). This is the one function both the server and the mock call to say how far
 * k paid cycles reach. `k` must be a non-negative integer.
 */
export function cycleEnd(anchor: Date, cycle: RenewalCycle, k: number): Date {
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError(`cycle index must be a non-negative integer, got ${k}`);
  if (cycle === 'WEEKLY') return new Date(anchor.getTime() + k * weekMs);
  return addMonths(anchor, (cycle === 'MONTHLY' ? 1 : 12) * k);
}

/**
 * The 1-based cycle of the subscription anchored at `anchor` that contains `at` (0 if `at` is before the anchor):
 * where a renewal paid at `at` sits on the calendar, so a renewal found late still lands on its own cycle.
 */
export function cycleIndexAt(anchor: Date, cycle: RenewalCycle, at: Date): number {
  if (at.getTime() < anchor.getTime()) return 0;
  // An estimate from the average length, corrected by at most a step or two either way.
  const approxMs = cycle === 'WEEKLY' ? weekMs : (cycle === 'MONTHLY' ? 1 : 12) * 30.436875 * 86_400_000;
  let k = Math.max(1, Math.floor((at.getTime() - anchor.getTime()) / approxMs) + 1);
  while (k > 1 && cycleEnd(anchor, cycle, k - 1).getTime() > at.getTime()) k -= 1;
  while (cycleEnd(anchor, cycle, k).getTime() <= at.getTime()) k += 1;
  return k;
}
