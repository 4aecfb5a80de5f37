/**
 * Time, injected: the grant callback's retry loop reads `now()` and waits with `sleep()`, so unit tests run the
 * whole 25-second grant window in no time with a virtual clock. The app uses `systemClock`.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; resolves early (without error) when `signal` aborts, clearing its timer. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done);
    }),
};

/** Rejects with an Error after `ms` on `clock` unless `promise` settles first; the timer is always cleared. */
export async function within<T>(promise: Promise<T>, ms: number, label: string, clock: Clock): Promise<T> {
  const stop = new AbortController();
  const timeout = clock.sleep(ms, stop.signal).then(() => {
    throw new Error(`${label} timed out after ${ms} ms`);
  });
  timeout.catch(() => {}); // when `promise` wins, the losing timeout must not surface as unhandled
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    stop.abort();
  }
}
