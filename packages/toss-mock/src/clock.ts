/**
 * The mock's clock: an injectable base clock plus an offset the control API moves (`POST /__mock/clock`).
 * Code and token expiry and subscription renewals all read this clock, so tests move time instead of waiting.
 */
export interface MockClock {
  now(): Date;
  advance(ms: number): Date;
  set(at: Date): Date;
  /** Back to the base clock (offset 0). */
  reset(): void;
  offsetMs(): number;
}

export function createMockClock(base: () => Date = () => new Date()): MockClock {
  let offset = 0;
  const now = () => new Date(base().getTime() + offset);
  return {
    now,
    advance(ms) {
      offset += ms;
      return now();
    },
    set(at) {
      offset = at.getTime() - base().getTime();
      return now();
    },
    reset() {
      offset = 0;
    },
    offsetMs: () => offset,
  };
}
