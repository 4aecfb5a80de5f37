/**
 * Log a condition once per change of state, not once per occurrence: a probe hit every second while the database is
 * down, or a timer's reload failing every second, writes one line when it starts failing (and again only if the
 * reason changes) and one when it recovers. You probably don't need to edit this file.
 */
import type { Logger } from './log';

export interface StateLogger {
  /** Still failing: logs only if it was fine before, or the `key` (a short reason) changed. */
  failing(key: string, fields: Record<string, unknown>): void;
  /** Fine again: logs once if it was failing. */
  ok(fields?: Record<string, unknown>): void;
}

export function createStateLogger(
  log: Logger,
  events: { failing: string; recovered: string; level?: 'warn' | 'error' },
): StateLogger {
  let current: string | null = null;
  return {
    failing(key, fields) {
      if (current === key) return;
      current = key;
      log[events.level ?? 'warn'](events.failing, fields);
    },
    ok(fields = {}) {
      if (current === null) return;
      current = null;
      log.info(events.recovered, fields);
    },
  };
}
