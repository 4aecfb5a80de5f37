/**
 * Test stack: toss-mock (partner API over mTLS + control API) and the REAL fulfillment server, in-process on free
 * ports, plus the toss-mock host installed in happy-dom's window BEFORE the SDK is imported. Each test acts as a
 * fresh Toss user. Nothing here fakes an answer: purchases run the real SDK against the mock host, and grants go
 * through the real server, which verifies every order with the mock's partner API.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStatusReading, type StatusReading } from '@ait-iap/iap-contract';
import { startTossMock, type TossMock } from '@ait-iap/toss-mock';
import type { TossMockHost } from '@ait-iap/toss-mock/host';
import { loadConfig } from '../../server/src/config';
import { type AppServer, createServer } from '../../server/src/server';

/** The page origin happy-dom runs the app under (vitest.config.ts); TDS renders only on localhost. */
export const pageOrigin = 'http://localhost:5173';

export interface Stack {
  mock: TossMock;
  server: AppServer;
  apiUrl: string;
  controlUrl: string;
  /** Move the fulfillment server's clock (sessions expire, etc.). */
  advanceServerClock(ms: number): void;
  /** Call the mock's control API. Throws on a non-2xx answer. */
  control<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'ait-iap-web-test-'));
  const mock = await startTossMock({ port: 0, controlPort: 0, certDir: join(dir, 'certs') });
  let offsetMs = 0;
  const config = loadConfig({
    DATABASE_PATH: join(dir, 'app.db'),
    TOSS_API_BASE_URL: mock.partnerUrl,
    TOSS_MTLS_CERT_PEM: mock.certs.clientCert,
    TOSS_MTLS_KEY_PEM: mock.certs.clientKey,
    TOSS_MTLS_CA_PEM: mock.certs.caCert,
    TOSS_TIMEOUT_MS: '1500',
    TOSS_RETRIES: '0',
    TOSS_TOTAL_TIMEOUT_MS: '3000',
    CORS_ORIGINS: `${pageOrigin},http://127.0.0.1:5173`,
    RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
    RATE_LIMIT_FULFILL_PER_MINUTE: '10000',
    RECONCILE_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'error',
  });
  const server = await createServer(config, { clock: { now: () => Date.now() + offsetMs } });
  const { url } = await server.listen(0, '127.0.0.1');

  async function control<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${mock.controlUrl}${path}`, {
      method,
      // The control API takes JSON only (it answers 415 to a POST/DELETE without this header).
      headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`control ${method} ${path} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    mock,
    server,
    apiUrl: url,
    controlUrl: mock.controlUrl,
    advanceServerClock: (ms) => {
      offsetMs += ms;
    },
    control,
    async close() {
      await server.close();
      await mock.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Which reading of "what status does a paid order have" the mock uses (`grant-failed` is its default). */
export function setStatusReading(
  stack: Stack,
  reading: StatusReading = defaultStatusReading,
): Promise<unknown> {
  return stack.control('POST', '/__mock/status-reading', { reading });
}

/** Install the mock host into happy-dom's window. Must run before anything imports the SDK. */
export async function installHost(
  stack: Stack,
  options: { appVersion?: string } = {},
): Promise<TossMockHost> {
  const { installTossMockHost } = await import('@ait-iap/toss-mock/host');
  const host = installTossMockHost({
    controlUrl: stack.controlUrl,
    checkout: 'auto',
    // "The app closes" is simulated by the test (unmount, then mount again), not by reloading happy-dom.
    closeApp: () => {},
    ...(options.appVersion ? { appVersion: options.appVersion } : {}),
  });
  await host.ready;
  return host;
}

/** The bridge messages of one kind the page sent since `from` (an index into host.messages). */
export function sent(host: TossMockHost, from: number, type: string, functionName?: string) {
  return host.messages
    .slice(from)
    .filter((m) => m.type === type && (functionName === undefined || m.functionName === functionName));
}
