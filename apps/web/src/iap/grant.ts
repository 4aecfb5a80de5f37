/**
 * The grant callback's fight for the paid reading: inside processProductGrant, ask our server (`iap.fulfill`) again
 * and again while the answer is not final — the request failed ON THE WAY (network error, HTTP 5xx, 429, no answer in
 * time) or the server answered "not granted, retryable" (`UPSTREAM_UNAVAILABLE`: Toss's partner API was down;
 * `PAYMENT_IN_PROGRESS`: not settled yet) — with a growing pause between attempts, and stop when the grant window is
 * spent, so Toss always gets its answer in time (Toss gives up after 30 s; the window is 25 s). Why fight: once the
 * callback answers false or late, Toss may read the paid order as FAILED (Toss staff's account), and a FAILED order
 * the server never saw paid is held for an operator.
 * A DECISION from the server is never asked again: granted, a non-retryable "not granted" (NOT_PAID, REFUNDED,
 * UNDER_REVIEW, ...) and any 4xx app error. The order is idempotent on the server, so a repeated request never grants
 * twice.
 * You probably don't need to edit this file; the timings are in config.ts.
 */
import { FulfillOutput, retryableFulfillReasons } from '@ait-iap/iap-contract';
import { isTransportFailure } from '../api/errors';
import { type Clock, within } from './clock';

export interface GrantRetryPolicy {
  /** One request may take this long before it counts as lost and is sent again. */
  attemptTimeoutMs: number;
  /** Pause after the first failed attempt; it doubles after each further one, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const defaultGrantRetryPolicy: GrantRetryPolicy = {
  attemptTimeoutMs: 10_000,
  backoffMs: 500,
  maxBackoffMs: 4_000,
};

/** Below this much time left, another attempt could not get an answer back anyway: answer Toss now. */
const minUsefulAttemptMs = 1_000;

export type GrantCall =
  /**
   * The server decided (granted or not) — or, when the window closed on retryable answers, its last answer
   * (`output.retryable`: the order stays recoverable).
   */
  | { kind: 'answered'; output: FulfillOutput; attempts: number }
  /** The server refused the request itself (a 4xx app error): its decision, not retried. */
  | { kind: 'refused'; failure: string; attempts: number }
  /** No attempt got an answer before the window closed. */
  | { kind: 'unreachable'; failure: string; attempts: number };

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** "Not granted, ask again later": the server could not decide now (Toss down, payment still in progress). */
export function isRetryableAnswer(output: FulfillOutput): boolean {
  return !output.granted && output.retryable && retryableFulfillReasons.includes(output.reason);
}

/** Call `fulfill` until it answers, is refused, or `deadline` (on `clock`) leaves no room for another attempt. */
export async function fulfillWithinWindow(
  fulfill: () => Promise<unknown>,
  deadline: number,
  policy: GrantRetryPolicy,
  clock: Clock,
): Promise<GrantCall> {
  let attempts = 0;
  let pause = policy.backoffMs;
  let failure = 'the grant window closed before the first attempt';
  /** The last retryable answer: what Toss's "not granted" is based on if the window closes on it. */
  let lastAnswer: FulfillOutput | null = null;
  const giveUp = (): GrantCall =>
    lastAnswer
      ? { kind: 'answered', output: lastAnswer, attempts }
      : { kind: 'unreachable', failure, attempts };
  for (;;) {
    const left = deadline - clock.now();
    if (left <= 0) return giveUp();
    attempts += 1;
    try {
      const raw = await within(fulfill(), Math.min(policy.attemptTimeoutMs, left), 'iap.fulfill', clock);
      const output = FulfillOutput.safeParse(raw);
      if (output.success && !isRetryableAnswer(output.data))
        return { kind: 'answered', output: output.data, attempts };
      if (output.success) {
        lastAnswer = output.data;
        failure = `the server answered ${output.data.reason} (retryable)`;
      } else {
        failure = 'iap.fulfill answered something that is not a FulfillOutput';
      }
    } catch (error) {
      if (!isTransportFailure(error)) return { kind: 'refused', failure: describe(error), attempts };
      failure = describe(error);
    }
    console.warn(`[iap] grant attempt ${attempts} got no final answer: ${failure}`);
    if (deadline - clock.now() < pause + minUsefulAttemptMs) return giveUp();
    await clock.sleep(pause);
    pause = Math.min(pause * 2, policy.maxBackoffMs);
  }
}
