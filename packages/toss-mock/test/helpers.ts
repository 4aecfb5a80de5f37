import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTossMock, type TossMock, type TossMockOptions } from '../src/index';

/** One cert folder per test process: generating RSA keys is the slowest thing the mock does. */
let certDirPromise: Promise<string> | undefined;
export function sharedCertDir(): Promise<string> {
  certDirPromise ??= mkdtemp(join(tmpdir(), 'toss-mock-certs-'));
  return certDirPromise;
}

export async function startTestMock(options: TossMockOptions = {}): Promise<TossMock> {
  return startTossMock({ port: 0, controlPort: 0, certDir: await sharedCertDir(), ...options });
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'toss-mock-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON replies loosely and assert on them
export type LooseJson = any;

export interface PartnerReply {
  status: number;
  text: string;
  json: LooseJson;
}

export interface PartnerCall {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Client identity: the mock's client cert (default), none, or another pair. */
  identity?: 'none' | { cert: string; key: string };
  timeoutMs?: number;
}

/** Call the partner API over real TLS, trusting only the mock's dev CA. */
export function callPartner(mock: TossMock, call: PartnerCall): Promise<PartnerReply> {
  const url = new URL(call.path, mock.partnerUrl);
  const identity =
    call.identity === 'none'
      ? {}
      : call.identity
        ? call.identity
        : { cert: mock.certs.clientCert, key: mock.certs.clientKey };
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: call.method ?? 'POST',
        ca: mock.certs.caCert,
        ...identity,
        agent: false,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...call.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: LooseJson;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('error', reject);
    if (call.timeoutMs) {
      req.setTimeout(call.timeoutMs, () => req.destroy(new Error('client timeout')));
    }
    req.end(payload);
  });
}

export interface ControlReply<T = LooseJson> {
  status: number;
  body: T;
  headers: Headers;
}

/** Call the control API like a well-behaved client: POST and DELETE as `application/json` (unless `headers` say else). */
export async function control<T = LooseJson>(
  mock: TossMock,
  method: 'GET' | 'POST' | 'DELETE' | 'OPTIONS',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ControlReply<T>> {
  const json = method === 'POST' || method === 'DELETE' || body !== undefined;
  const res = await fetch(`${mock.controlUrl}${path}`, {
    method,
    headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** A new user with a fresh authorization code. */
export async function newUser(mock: TossMock): Promise<{ userKey: number; authorizationCode: string }> {
  const res = await control(mock, 'POST', '/__mock/users', {});
  return res.body;
}
