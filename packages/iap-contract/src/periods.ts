/**
 * Calendar arithmetic for subscription periods, shared by the server (what a paid cycle covers) and toss-mock (when
 * Toss renews): months and years in UTC, clamped to shorter months — Jan 31 + 1 month = Feb 28 (29 in a leap year),
 * Feb 29 + 12 months = Feb 28.
 */
import type { RenewalCycle } from './sdk';

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
  if (cycle === 'WEEKLY') return new Date(from.getTime() + 7 * 86_400_000);
  return addMonths(from, cycle === 'MONTHLY' ? 1 : 12, anchorDay);
}
