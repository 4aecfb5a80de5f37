/**
 * The grant callback's retries (src/iap/grant.ts): what is asked again (a request that failed on the way: network,
 * HTTP 5xx, 429, no answer in time) and what never is (any FulfillOutput, a 4xx app error), all inside the window.
 * A virtual clock stands in for time; the HTTP cases go through the real tRPC client with a scripted fetch.
 */
import type { FulfillOutput } from '@ait-iap/iap-contract';
import { describe, expect, test } from 'vitest';
import { createServerClient, shopApi } from '../src/api/client';
import { systemClock } from '../src/iap/clock';
import { defaultGrantRetryPolicy, fulfillWithinWindow } from '../src/iap/grant';
import { virtualClock } from './clock';

const orderId = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const granted: FulfillOutput = {
  granted: true,
  reason: 'GRANTED',
  retryable: false,
  orderId,
  sku: 'coin_100',
};
const window = 25_000;

/** A fulfill stub answering from a script: an error to throw, 'hang' (never answers), or an output. */
function scripted(...steps: (FulfillOutput | Error | 'hang')[]) {
  let calls = 0;
  const fulfill = () => {
    const step = steps[Math.min(calls, steps.length - 1)];
    calls += 1;
    if (step === 'hang') return new Promise<never>(() => {});
    if (step instanceof Error) return Promise.reject(step);
    return Promise.resolve(step);
  };
  return { fulfill, calls: () => calls };
}

describe('inside the grant window', () => {
  test('a request that never reached the server is sent again, with growing pauses, until the server answers', async () => {
    const { clock, pauses } = virtualClock();
    const offline = new TypeError('Failed to fetch');
    const server = scripted(offline, offline, offline, granted);
    const call = await fulfillWithinWindow(
      server.fulfill,
      clock.now() + window,
      defaultGrantRetryPolicy,
      clock,
    );
    expect(call).toEqual({ kind: 'answered', output: granted, attempts: 4 });
    expect(pauses).toEqual([500, 1_000, 2_000]);
  });

  test('a request with no answer in time is abandoned and sent again; Toss still gets its answer within the window', async () => {
    const { clock, elapsed } = virtualClock();
    const server = scripted('hang');
    const call = await fulfillWithinWindow(
      server.fulfill,
      clock.now() + window,
      defaultGrantRetryPolicy,
      clock,
    );
    expect(call).toMatchObject({ kind: 'unreachable', failure: expect.stringContaining('timed out') });
    expect(server.calls()).toBe(3); // 10 s, 10 s, then what was left of the 25 s
    expect(elapsed()).toBeLessThanOrEqual(window);
  });

  test('a server that stays unreachable is asked until too little of the window is left, never past it', async () => {
    const { clock, elapsed, pauses } = virtualClock();
    const server = scripted(new TypeError('Failed to fetch'));
    const call = await fulfillWithinWindow(
      server.fulfill,
      clock.now() + window,
      defaultGrantRetryPolicy,
      clock,
    );
    expect(call.kind).toBe('unreachable');
    // 23.5 s of pauses; one more 4 s pause would leave less than a second to ask.
    expect(pauses).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000, 4_000, 4_000]);
    expect(server.calls()).toBe(9);
    expect(elapsed()).toBeLessThan(window);
  });

  test('a retryable "not granted" (Toss down, payment in progress) is asked again, and the grant that follows wins', async () => {
    const { clock, pauses } = virtualClock();
    const tossDown: FulfillOutput = {
      granted: false,
      reason: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      orderId,
    };
    const inProgress: FulfillOutput = {
      granted: false,
      reason: 'PAYMENT_IN_PROGRESS',
      retryable: true,
      orderId,
    };
    const server = scripted(tossDown, inProgress, tossDown, granted);
    const call = await fulfillWithinWindow(
      server.fulfill,
      clock.now() + window,
      defaultGrantRetryPolicy,
      clock,
    );
    expect(call).toEqual({ kind: 'answered', output: granted, attempts: 4 });
    expect(pauses).toEqual([500, 1_000, 2_000]);
  });

  test('when the window closes on retryable answers, the last one is returned in time (the order stays recoverable)', async () => {
    const { clock, elapsed } = virtualClock();
    const tossDown: FulfillOutput = {
      granted: false,
      reason: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      orderId,
    };
    const server = scripted(tossDown);
    const call = await fulfillWithinWindow(
      server.fulfill,
      clock.now() + window,
      defaultGrantRetryPolicy,
      clock,
    );
    expect(call).toEqual({ kind: 'answered', output: tossDown, attempts: 9 });
    expect(elapsed()).toBeLessThan(window);
  });

  test('a definitive answer is final at once: granted, held, not paid, refunded, unknown order', async () => {
    const { clock } = virtualClock();
    const definitive: FulfillOutput[] = [
      granted,
      { granted: true, reason: 'ALREADY_GRANTED', retryable: false, orderId },
      { granted: false, reason: 'UNDER_REVIEW', retryable: false, orderId },
      { granted: false, reason: 'NOT_PAID', retryable: false, orderId },
      { granted: false, reason: 'REFUNDED', retryable: false, orderId },
      { granted: false, reason: 'ORDER_NOT_FOUND', retryable: false, orderId },
    ];
    for (const output of definitive) {
      const server = scripted(output, granted);
      const call = await fulfillWithinWindow(
        server.fulfill,
        clock.now() + window,
        defaultGrantRetryPolicy,
        clock,
      );
      expect(call).toEqual({ kind: 'answered', output, attempts: 1 });
      expect(server.calls()).toBe(1);
    }
  });
});

describe('over HTTP (the real tRPC client)', () => {
  const fulfillOk = JSON.stringify({ result: { data: granted } });
  const trpcError = (httpStatus: number, code: string, appCode: string) =>
    JSON.stringify({ error: { message: appCode, code: -32000, data: { code, httpStatus, appCode } } });

  /** A server that answers each iap.fulfill request with the next scripted response (or network failure). */
  function httpServer(...responses: (Response | 'offline')[]) {
    const seen: string[] = [];
    const api = shopApi(
      createServerClient({
        apiUrl: 'http://server.test',
        getToken: () => 'token',
        fetch: async (input) => {
          seen.push(String(input));
          const next = responses[Math.min(seen.length - 1, responses.length - 1)];
          if (next === 'offline' || next === undefined) throw new TypeError('Failed to fetch');
          return next.clone();
        },
      }),
    );
    return { fulfill: () => api.fulfill({ orderId, sku: 'coin_100' }), requests: () => seen.length };
  }
  const json = (status: number, body: string) =>
    new Response(body, { status, headers: { 'content-type': 'application/json' } });
  const quick = { attemptTimeoutMs: 5_000, backoffMs: 1, maxBackoffMs: 2 };

  test('HTTP 5xx (the server or a proxy in front of it) and 429 are retried; the first real answer wins', async () => {
    const server = httpServer(
      json(503, trpcError(503, 'SERVICE_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE')),
      new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
      json(429, trpcError(429, 'TOO_MANY_REQUESTS', 'RATE_LIMITED')),
      'offline',
      json(500, trpcError(500, 'INTERNAL_SERVER_ERROR', 'INTERNAL')),
      json(200, fulfillOk),
    );
    const call = await fulfillWithinWindow(server.fulfill, Date.now() + 10_000, quick, systemClock);
    expect(call).toEqual({ kind: 'answered', output: granted, attempts: 6 });
    expect(server.requests()).toBe(6);
  });

  test('a 4xx app error is the server refusing: answered at once, never asked again', async () => {
    const server = httpServer(json(400, trpcError(400, 'BAD_REQUEST', 'BAD_REQUEST')), json(200, fulfillOk));
    const call = await fulfillWithinWindow(server.fulfill, Date.now() + 10_000, quick, systemClock);
    expect(call).toMatchObject({ kind: 'refused', attempts: 1 });
    expect(server.requests()).toBe(1);
  });

  test('an answer that is not a FulfillOutput counts as no answer and is asked again', async () => {
    const server = httpServer(
      json(200, JSON.stringify({ result: { data: { granted: 'yes' } } })),
      json(200, fulfillOk),
    );
    const call = await fulfillWithinWindow(server.fulfill, Date.now() + 10_000, quick, systemClock);
    expect(call).toEqual({ kind: 'answered', output: granted, attempts: 2 });
  });
});
