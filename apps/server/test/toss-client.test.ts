/**
 * The Toss client with an injected transport (no network): retries only what is transient, stays inside its time
 * budget, parses envelopes with the contract's schemas. And over real mTLS: no client certificate → no answer.
 */
import { partnerPaths } from '@ait-iap/iap-contract';
import { startTossMock } from '@ait-iap/toss-mock';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createManualClock } from '../src/clock';
import {
  createHttpsTransport,
  createTossClient,
  TossError,
  type Transport,
  type TransportRequest,
  TransportTimeout,
} from '../src/toss/client';
import { tempDir } from './helpers';

const orderId = '01900000-0000-7000-8000-000000000001';
const ok = (success: unknown) => ({ status: 200, body: JSON.stringify({ resultType: 'SUCCESS', success }) });
const paid = ok({ orderId, status: 'PAYMENT_COMPLETED', reason: null, sku: 'coin_100' });

/** A transport that answers from a script and records what it was asked. */
function scripted(...answers: Array<{ status: number; body: string } | Error>) {
  const calls: TransportRequest[] = [];
  const transport: Transport = async (request) => {
    calls.push(request);
    const next = answers.shift();
    if (!next) throw new Error('script exhausted');
    if (next instanceof Error) throw next;
    return next;
  };
  return { calls, transport };
}

function client(transport: Transport, overrides: Partial<Parameters<typeof createTossClient>[0]> = {}) {
  const clock = createManualClock();
  const sleeps: number[] = [];
  const toss = createTossClient({
    baseUrl: 'https://partner.example/',
    transport,
    clock,
    timeoutMs: 1000,
    retries: 2,
    totalTimeoutMs: 10_000,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  return { toss, clock, sleeps };
}

describe('createTossClient (injected transport)', () => {
  test('asks for the order status with the user key header and the documented path', async () => {
    const { calls, transport } = scripted(paid);
    const status = await client(transport).toss.getOrderStatus({ userKey: '42', orderId });
    expect(status).toMatchObject({ orderId, status: 'PAYMENT_COMPLETED', sku: 'coin_100' });
    expect(calls[0]).toMatchObject({
      method: 'POST',
      url: `https://partner.example${partnerPaths.getOrderStatus}`,
      body: JSON.stringify({ orderId }),
    });
    expect(calls[0]?.headers['x-toss-user-key']).toBe('42');
  });

  test('5xx, a timeout and a malformed body are retried with growing backoff, then succeed', async () => {
    const { calls, transport } = scripted({ status: 503, body: 'busy' }, new TransportTimeout(1000), paid);
    const { toss, sleeps } = client(transport);
    await expect(toss.getOrderStatus({ userKey: '1', orderId })).resolves.toMatchObject({
      status: 'PAYMENT_COMPLETED',
    });
    expect(calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]!).toBeGreaterThan(sleeps[0]!);
  });

  test('gives up after the configured retries with a typed, transient error', async () => {
    const { calls, transport } = scripted(
      { status: 200, body: '{"resultType":"SUC' },
      { status: 200, body: '{"resultType":"SUCCESS","success":{"orderId":1}}' },
      { status: 200, body: '<html>' },
    );
    const error = await client(transport)
      .toss.getOrderStatus({ userKey: '1', orderId })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TossError);
    expect(error).toMatchObject({ kind: 'malformed', transient: true, attempts: 3 });
    expect(calls).toHaveLength(3);
  });

  test('a FAIL envelope is not retried and carries the partner error code', async () => {
    const { calls, transport } = scripted({
      status: 401,
      body: JSON.stringify({
        resultType: 'FAIL',
        error: { errorCode: 'INVALID_AUTHORIZATION_CODE', reason: 'used' },
      }),
    });
    const error = await client(transport)
      .toss.generateToken({ authorizationCode: 'c', referrer: 'DEFAULT' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'rejected',
      transient: false,
      errorCode: 'INVALID_AUTHORIZATION_CODE',
    });
    expect(calls).toHaveLength(1);
  });

  test('the single-use login code is never re-sent after a lost answer (the app asks for a fresh code)', async () => {
    const { calls, transport } = scripted(new TransportTimeout(1000), {
      status: 200,
      body: JSON.stringify({
        resultType: 'SUCCESS',
        success: { tokenType: 'Bearer', accessToken: 'a', refreshToken: 'r', expiresIn: 3600 },
      }),
    });
    const error = await client(transport)
      .toss.generateToken({ authorizationCode: 'c', referrer: 'DEFAULT' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', transient: true, attempts: 1 });
    expect(calls).toHaveLength(1);
  });

  test('connection errors are retried: two refused connections, then the answer on the third attempt', async () => {
    const { calls, transport } = scripted(new Error('ECONNREFUSED'), new Error('ECONNRESET'), paid);
    const status = await client(transport).toss.getOrderStatus({ userKey: '1', orderId });
    expect(status).toMatchObject({ orderId, status: 'PAYMENT_COMPLETED' });
    expect(calls.length).toBe(3);
  });

  test('the total budget stops connection-error retries early: one retry fits, the next does not', async () => {
    const { calls, transport } = scripted(new Error('ECONNREFUSED'), new Error('ECONNRESET'), paid);
    // First wait 75 ms + 200 ms of attempt fit in 400 ms; the second wait (150 ms + 200 ms) no longer fits in what is left.
    const error = await client(transport, { totalTimeoutMs: 400, backoffMs: 100 })
      .toss.getOrderStatus({ userKey: '1', orderId })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network' });
    expect(calls.length).toBe(2);
  });

  test('each attempt gets at most the time left in the budget', async () => {
    const clock = createManualClock();
    const timeouts: number[] = [];
    const transport: Transport = async (request) => {
      timeouts.push(request.timeoutMs);
      clock.advance(request.timeoutMs); // the attempt used all its time
      throw new TransportTimeout(request.timeoutMs);
    };
    const toss = createTossClient({
      baseUrl: 'https://partner.example',
      transport,
      clock,
      timeoutMs: 1000,
      retries: 5,
      totalTimeoutMs: 1500,
      backoffMs: 10,
      random: () => 0.5,
      sleep: async (ms) => clock.advance(ms),
    });
    await expect(toss.getOrderStatus({ userKey: '1', orderId })).rejects.toMatchObject({ kind: 'timeout' });
    // 1000 ms, then a backoff of 8 ms, then only the 492 ms left; then the budget is spent.
    expect(timeouts).toEqual([1000, 492]);
    expect(clock.now() - createManualClock().now()).toBeLessThanOrEqual(1500);
  });

  test('login-me sends the access token and tolerates new scope values and extra fields', async () => {
    const { calls, transport } = scripted(
      ok({
        userKey: 7,
        scope: 'user_key,user_name,brand_new_scope',
        agreedTerms: [],
        name: 'ENCRYPTED',
        future: 1,
      }),
    );
    await expect(client(transport).toss.loginMe('token-1')).resolves.toMatchObject({ userKey: 7 });
    expect(calls[0]).toMatchObject({ method: 'GET' });
    expect(calls[0]?.headers.authorization).toBe('Bearer token-1');
  });

  test('without a certificate (and no transport) calls fail as not_configured', async () => {
    const toss = createTossClient({
      baseUrl: 'https://x',
      clock: createManualClock(),
      timeoutMs: 10,
      retries: 0,
    });
    await expect(toss.getOrderStatus({ userKey: '1', orderId })).rejects.toMatchObject({
      kind: 'not_configured',
    });
  });
});

describe('mTLS against toss-mock', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let mock: Awaited<ReturnType<typeof startTossMock>>;
  beforeAll(async () => {
    tmp = await tempDir();
    mock = await startTossMock({ port: 0, controlPort: 0, certDir: `${tmp.dir}/certs` });
  });
  afterAll(async () => {
    await mock?.close();
    await tmp?.remove();
  });

  test('with the client certificate the partner API answers', async () => {
    const toss = createTossClient({
      baseUrl: mock.partnerUrl,
      cert: mock.certs.clientCert,
      key: mock.certs.clientKey,
      ca: mock.certs.caCert,
      clock: createManualClock(),
      timeoutMs: 2000,
      retries: 0,
    });
    await expect(toss.getOrderStatus({ userKey: '1', orderId })).resolves.toMatchObject({
      status: 'NOT_FOUND',
    });
    toss.close();
  });

  test('without a client certificate the handshake is refused: a network error, never an answer', async () => {
    const toss = createTossClient({
      baseUrl: mock.partnerUrl,
      transport: createHttpsTransport({ ca: mock.certs.caCert }), // trusts the mock, presents no certificate
      clock: createManualClock(),
      timeoutMs: 2000,
      retries: 0,
    });
    const error = await toss.getOrderStatus({ userKey: '1', orderId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TossError);
    expect((error as TossError).kind).toBe('network');
  });
});
