/**
 * A virtual clock for unit tests: a pause (`sleep` without a signal) moves time at once; a deadline (`sleep` with a
 * signal, as `within` uses) fires one macrotask later unless aborted first — so a request stub that settles at once
 * always beats its deadline, and a stub that never settles loses to it, in no real time.
 */
import type { Clock } from '../src/iap/clock';

export function virtualClock(start = 1_000_000) {
  let now = start;
  const pauses: number[] = [];
  const clock: Clock = {
    now: () => now,
    async sleep(ms, signal) {
      if (signal === undefined) {
        pauses.push(ms);
        now += ms;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (!signal.aborted) now += ms;
    },
  };
  return { clock, pauses, elapsed: () => now - start };
}
