/**
 * `pnpm dev` and the ops CLI agree with nothing set: the stack is started the way `pnpm dev` starts it (scripts/dev.mjs)
 * — on free ports, with its database and certificates in a temp folder so a developer's .dev/app.db is untouched —
 * and then `pnpm --filter @ait-iap/server ops approve`, run from the repository root with a clean environment (no
 * DATABASE_PATH, no TOSS_*), finds the held order in the stack's database and asks the stack's mock Toss, through the
 * .dev/stack.env that dev.mjs writes (and removes when it stops).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { freePorts, repoRoot, startProcess, waitUntil } from './processes.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ait-dev-ops-'));
const stackFile = path.join(repoRoot, '.dev', 'stack.env');
let dev: ReturnType<typeof startProcess> | undefined;
afterAll(async () => {
  await dev?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { result?: { data: T } } & T;
  if (!response.ok) throw new Error(`${url} → ${response.status} ${JSON.stringify(json)}`);
  return json.result ? json.result.data : json;
}

test('with pnpm dev running, ops approve from the repo root (no env set) grants a held order', {
  timeout: 240_000,
}, async () => {
  expect(existsSync(stackFile), 'a pnpm dev is already running in this checkout').toBe(false);
  const [mock, control, server, web, admin] = await freePorts(5);
  const logFile = path.join(dir, 'dev.log');
  dev = startProcess('dev', process.execPath, ['scripts/dev.mjs'], {
    logFile,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MOCK_TOSS_PORT: String(mock),
      MOCK_TOSS_CONTROL_PORT: String(control),
      PORT: String(server),
      WEB_PORT: String(web),
      ADMIN_PORT: String(admin),
      // Isolation only: the stack's own files in a temp folder (the CLI learns them from .dev/stack.env).
      DATABASE_PATH: path.join(dir, 'app.db'),
      MOCK_TOSS_CERT_DIR: path.join(dir, 'certs'),
    },
  });
  await waitUntil(dev, 'the ready banner', {
    probe: () => dev?.grep(/Console\s+http/).length !== 0,
    timeoutMs: 180_000,
  });
  expect(dev.grep(/sign in as dev \/ \S{24}/)).toHaveLength(1);

  // A purchase that ends held: Toss reads FAILED and the server never saw it paid.
  const controlUrl = `http://127.0.0.1:${control}/__mock`;
  const serverUrl = `http://127.0.0.1:${server}/trpc`;
  const { userKey, authorizationCode } = await call<{ userKey: number; authorizationCode: string }>(
    `${controlUrl}/users`,
    {},
  );
  const { token } = await call<{ token: string }>(`${serverUrl}/auth.login`, {
    authorizationCode,
    referrer: 'DEFAULT',
  });
  const { orderId } = await call<{ orderId: string }>(`${controlUrl}/orders`, {
    userKey,
    sku: 'coin_100',
    status: 'FAILED',
  });
  const claim = await fetch(`${serverUrl}/iap.fulfill`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ orderId, sku: 'coin_100' }),
  });
  expect(((await claim.json()) as { result: { data: { reason: string } } }).result.data.reason).toBe(
    'UNDER_REVIEW',
  );

  const ops = (...args: string[]) =>
    promisify(execFile)('pnpm', ['--filter', '@ait-iap/server', 'ops', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
  const approved = await ops('approve', orderId, '--reason', 'settlement shows it paid', '--json');
  expect(approved.stderr).toContain(`database ${path.join(dir, 'app.db')} (from .dev/stack.env (pnpm dev))`);
  expect(approved.stderr).toContain(`Toss https://localhost:${mock} (from .dev/stack.env (pnpm dev))`);
  expect(JSON.parse(approved.stdout)).toMatchObject({ ok: true, from: 'HELD', to: 'GRANTED' });

  const inventory = await fetch(`${serverUrl}/me.inventory`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(
    ((await inventory.json()) as { result: { data: { balances: Record<string, number> } } }).result.data
      .balances.COIN,
  ).toBe(100);

  await dev.stop();
  expect(existsSync(stackFile)).toBe(false);
});
