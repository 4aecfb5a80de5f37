/**
 * The Toss partner API client: mTLS (node:https Agent with the console-issued certificate), a timeout per call,
 * bounded retries with backoff for transient failures (5xx, timeouts, connection errors, malformed bodies), a total
 * time budget so `iap.fulfill` answers well inside the app's 30 s grant deadline, and zod-checked envelopes.
 * Failures are values (`TossError` with a `kind`), never raw exceptions. Transport and clock are injectable for tests.
 * You probably don't need to edit this file, unless Toss adds an endpoint you use.
 */
import https from 'node:https';
import {
  LoginMeResponse,
  type LoginMeSuccess,
  OrderStatusResponse,
  type OrderStatusSuccess,
  partnerPaths,
  RemoveTokenResponse,
  TokenResponse,
  type TokenSuccess,
} from '@ait-iap/iap-contract';
import type { z } from 'zod';
import type { Clock } from '../clock';

export interface TransportRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}
export interface TransportResponse {
  status: number;
  body: string;
}
/** Sends one HTTP request. Rejects on connection errors; rejects with `TransportTimeout` after `timeoutMs`. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

export class TransportTimeout extends Error {
  constructor(ms: number) {
    super(`no response within ${ms} ms`);
    this.name = 'TransportTimeout';
  }
}

export type TossErrorKind =
  /** No answer in time (retried). */
  | 'timeout'
  /** Connection refused/reset, TLS failure (retried). */
  | 'network'
  /** HTTP 5xx (retried). */
  | 'server'
  /** A body that is not the documented envelope (retried). */
  | 'malformed'
  /** A well-formed `resultType: FAIL` envelope, or a 4xx (not retried: asking again gives the same answer). */
  | 'rejected'
  /** The client is not configured (no mTLS certificate). */
  | 'not_configured';

export class TossError extends Error {
  readonly kind: TossErrorKind;
  readonly transient: boolean;
  readonly errorCode: string | undefined;
  readonly httpStatus: number | undefined;
  readonly attempts: number;
  constructor(
    kind: TossErrorKind,
    message: string,
    options: { errorCode?: string; httpStatus?: number; attempts?: number } = {},
  ) {
    super(message);
    this.name = 'TossError';
    this.kind = kind;
    this.transient = kind === 'timeout' || kind === 'network' || kind === 'server' || kind === 'malformed';
    this.errorCode = options.errorCode;
    this.httpStatus = options.httpStatus;
    this.attempts = options.attempts ?? 1;
  }
}

export interface TossClientOptions {
  baseUrl: string;
  /** PEM client certificate and key (console "mTLS 인증서"), optional CA for a private server (toss-mock). */
  cert?: string;
  key?: string;
  ca?: string;
  /** Replaces the HTTPS transport (tests). */
  transport?: Transport;
  clock: Clock;
  /** Per-call timeout. */
  timeoutMs: number;
  /** Extra attempts after the first for transient failures. */
  retries: number;
  /** Upper bound for one logical call, retries and backoff included. Default: timeoutMs × (retries + 1) + backoff. */
  totalTimeoutMs?: number;
  /** First backoff delay; doubles each retry (with jitter). Default 100 ms. */
  backoffMs?: number;
  /** Waits between retries; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** 0..1; default Math.random. */
  random?: () => number;
}

export interface TossClient {
  generateToken(input: { authorizationCode: string; referrer: string }): Promise<TokenSuccess>;
  loginMe(accessToken: string): Promise<LoginMeSuccess>;
  getOrderStatus(input: { userKey: string; orderId: string }): Promise<OrderStatusSuccess>;
  removeByAccessToken(accessToken: string): Promise<void>;
  /** Releases sockets (keep-alive agent). */
  close(): void;
}

/** The default transport: node:https with an mTLS agent (keep-alive), a hard timeout per request. */
export function createHttpsTransport(options: { cert?: string; key?: string; ca?: string }): Transport & {
  close(): void;
} {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 32,
    ...(options.cert ? { cert: options.cert } : {}),
    ...(options.key ? { key: options.key } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
  });
  const transport = (request: TransportRequest) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const req = https.request(
        request.url,
        { method: request.method, headers: request.headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new TransportTimeout(request.timeoutMs));
      }, request.timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      if (request.body !== undefined) req.write(request.body);
      req.end();
    });
  return Object.assign(transport, { close: () => agent.destroy() });
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createTossClient(options: TossClientOptions): TossClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const backoffMs = options.backoffMs ?? 100;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const totalTimeoutMs =
    options.totalTimeoutMs ??
    options.timeoutMs * (options.retries + 1) + backoffMs * 2 ** (options.retries + 1);
  const configured = Boolean(options.transport || (options.cert && options.key));
  const httpsTransport = options.transport ? undefined : createHttpsTransport(options);
  const transport: Transport = options.transport ?? (httpsTransport as Transport);

  async function once(
    schema: z.ZodType,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: unknown,
    timeoutMs: number,
    attempt: number,
  ): Promise<unknown> {
    let response: TransportResponse;
    try {
      response = await transport({
        method,
        url: `${baseUrl}${path}`,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs,
      });
    } catch (error) {
      if (error instanceof TransportTimeout)
        throw new TossError('timeout', error.message, { attempts: attempt });
      throw new TossError('network', (error as Error)?.message ?? 'connection failed', { attempts: attempt });
    }
    if (response.status >= 500) {
      throw new TossError('server', `HTTP ${response.status} from ${path}`, {
        httpStatus: response.status,
        attempts: attempt,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      if (response.status >= 400) {
        throw new TossError('rejected', `HTTP ${response.status} from ${path}`, {
          httpStatus: response.status,
          attempts: attempt,
        });
      }
      throw new TossError('malformed', `non-JSON body from ${path}`, {
        httpStatus: response.status,
        attempts: attempt,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      if (response.status >= 400) {
        throw new TossError('rejected', `HTTP ${response.status} from ${path}`, {
          httpStatus: response.status,
          attempts: attempt,
        });
      }
      throw new TossError(
        'malformed',
        `unexpected body from ${path}: ${parsed.error.issues[0]?.message ?? ''}`,
        {
          httpStatus: response.status,
          attempts: attempt,
        },
      );
    }
    const envelope = parsed.data as
      | { resultType: 'SUCCESS'; success: unknown }
      | { resultType: 'FAIL'; error: { errorCode: string; reason: string } };
    if (envelope.resultType === 'FAIL') {
      throw new TossError('rejected', `${envelope.error.errorCode}: ${envelope.error.reason}`, {
        errorCode: envelope.error.errorCode,
        httpStatus: response.status,
        attempts: attempt,
      });
    }
    return envelope.success;
  }

  /** One logical call: `schema` is the envelope, the result is its `success` payload (typed by the caller). */
  async function call<T>(
    schema: z.ZodType,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: unknown,
    retries = options.retries,
  ): Promise<T> {
    if (!configured) {
      throw new TossError(
        'not_configured',
        'Toss mTLS certificate is not configured (TOSS_MTLS_CERT/TOSS_MTLS_KEY or their _PEM forms)',
      );
    }
    const deadline = options.clock.now() + totalTimeoutMs;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      const remaining = deadline - options.clock.now();
      try {
        return (await once(
          schema,
          method,
          path,
          headers,
          body,
          Math.max(1, Math.min(options.timeoutMs, remaining)),
          attempt,
        )) as T;
      } catch (error) {
        const tossError = error as TossError;
        if (!tossError.transient || attempt > retries) throw tossError;
        const delay = Math.round(backoffMs * 2 ** (attempt - 1) * (0.5 + random() / 2));
        // Not enough budget left for the wait plus a useful attempt: give up now, the caller answers "retry later".
        if (deadline - options.clock.now() < delay + Math.min(options.timeoutMs, 200)) throw tossError;
        await sleep(delay);
      }
    }
  }

  return {
    // Never retried: the authorization code is single-use, so a retry after a lost answer can only be refused as a
    // used code. The mini-app recovers by calling appLogin() again for a fresh code.
    generateToken: (input) =>
      call<TokenSuccess>(
        TokenResponse,
        'POST',
        partnerPaths.generateToken,
        {},
        {
          authorizationCode: input.authorizationCode,
          referrer: input.referrer,
        },
        0,
      ),
    loginMe: (accessToken) =>
      call<LoginMeSuccess>(LoginMeResponse, 'GET', partnerPaths.loginMe, {
        authorization: `Bearer ${accessToken}`,
      }),
    getOrderStatus: (input) =>
      call<OrderStatusSuccess>(
        OrderStatusResponse,
        'POST',
        partnerPaths.getOrderStatus,
        { 'x-toss-user-key': input.userKey },
        {
          orderId: input.orderId,
        },
      ),
    removeByAccessToken: async (accessToken) => {
      await call<unknown>(
        RemoveTokenResponse,
        'POST',
        partnerPaths.removeByAccessToken,
        { authorization: `Bearer ${accessToken}` },
        {},
      );
    },
    close: () => httpsTransport?.close(),
  };
}
